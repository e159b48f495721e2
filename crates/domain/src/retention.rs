//! Retention (留样) of the backup portion: how long it is kept, from the conclusion and
//! the product's shelf life. Invariant: a keep-until date is never later than the rule's
//! months after the conclusion and never earlier than the conclusion itself; shelf-life
//! text that cannot be read never shortens it.

use chrono::NaiveDate;

use super::calendar::{add_calendar_days, add_months};

/// A product's shelf life (保质期) as read from the label text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShelfLife {
    Days(u32),
    Months(u32),
    Years(u32),
}

impl ShelfLife {
    /// The day the product expires: its production date plus the shelf life, counted on
    /// the plain calendar ("9个月" from 2026-02-15 is 2026-11-15; a month end is clamped,
    /// as in [`add_months`]).
    pub fn expiry(self, produced_on: NaiveDate) -> NaiveDate {
        match self {
            ShelfLife::Days(n) => add_calendar_days(produced_on, i64::from(n)),
            ShelfLife::Months(n) => add_months(produced_on, n),
            ShelfLife::Years(n) => add_months(produced_on, n.saturating_mul(12)),
        }
    }
}

/// The longest shelf life read as one: anything longer is taken as a typing mistake.
const MAX_DAYS: u32 = 36_500;

/// Reads the shelf life written on a sample: "9个月", "12 months", "180天", "18月",
/// "2年", "365 days", "保质期：十二个月", "半年", "1年半", "1.5年". Full-width digits
/// are understood. Anything else ("常温9个月，冷藏12个月", "见包装", "0天") is `None`:
/// a keep-until date is then not capped by expiry, which errs on keeping longer.
pub fn parse_shelf_life(text: &str) -> Option<ShelfLife> {
    let norm: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .to_lowercase();
    let mut s = norm.trim();
    for label in ["保质期", "shelf life", "shelf-life"] {
        if let Some(rest) = s.strip_prefix(label) {
            s = rest.trim_start_matches([' ', ':', '为']).trim();
            break;
        }
    }
    let s = s.trim_end_matches(['.', '。', ' ']);
    if s == "半年" {
        return Some(ShelfLife::Months(6));
    }
    let (number, rest) = split_number(s)?;
    let rest = rest.trim();
    let (unit, tail) = unit_of(rest)?;
    let life = match (unit, tail.trim()) {
        (Unit::Years, "半") => {
            let months = number.whole()?.checked_mul(12)?.checked_add(6)?;
            ShelfLife::Months(months)
        }
        (_, "") => match (unit, number) {
            (Unit::Days, Number::Whole(n)) => ShelfLife::Days(n),
            (Unit::Months, Number::Whole(n)) => ShelfLife::Months(n),
            (Unit::Years, Number::Whole(n)) => ShelfLife::Years(n),
            // "1.5年": only halves of a year are read, as months.
            (Unit::Years, Number::Tenths(t)) if t % 5 == 0 => {
                ShelfLife::Months(t.checked_mul(12)? / 10)
            }
            _ => return None,
        },
        _ => return None,
    };
    let days = match life {
        ShelfLife::Days(n) => n,
        ShelfLife::Months(n) => n.checked_mul(31)?,
        ShelfLife::Years(n) => n.checked_mul(366)?,
    };
    (days > 0 && days <= MAX_DAYS).then_some(life)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    Whole(u32),
    /// A number with one decimal, in tenths: "1.5" is 15.
    Tenths(u32),
}

impl Number {
    fn whole(self) -> Option<u32> {
        match self {
            Number::Whole(n) => Some(n),
            Number::Tenths(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Days,
    Months,
    Years,
}

/// The leading number of `s` (ASCII digits with at most one decimal, or Chinese
/// numerals up to 九十九) and what follows it.
fn split_number(s: &str) -> Option<(Number, &str)> {
    let digits = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    if digits > 0 {
        let text = &s[..digits];
        let number = match text.split_once('.') {
            None => Number::Whole(text.parse().ok()?),
            Some((whole, frac)) if frac.len() == 1 && !whole.is_empty() => {
                let w: u32 = whole.parse().ok()?;
                let f: u32 = frac.parse().ok()?;
                if f == 0 {
                    Number::Whole(w)
                } else {
                    Number::Tenths(w.checked_mul(10)?.checked_add(f)?)
                }
            }
            _ => return None,
        };
        return Some((number, &s[digits..]));
    }
    let end = s
        .char_indices()
        .find(|(_, c)| chinese_digit(*c).is_none() && *c != '十')
        .map_or(s.len(), |(i, _)| i);
    let n = chinese_number(&s[..end])?;
    Some((Number::Whole(n), &s[end..]))
}

fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// 一 … 九, 十, 十八, 二十四, 九十九.
fn chinese_number(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => chinese_digit(*d),
        ['十', u] => Some(10 + chinese_digit(*u)?),
        [t, '十'] => Some(chinese_digit(*t)? * 10),
        [t, '十', u] => Some(chinese_digit(*t)? * 10 + chinese_digit(*u)?),
        _ => None,
    }
}

/// The unit at the start of `s`, and what follows it.
fn unit_of(s: &str) -> Option<(Unit, &str)> {
    const UNITS: &[(&str, Unit)] = &[
        ("个月", Unit::Months),
        ("個月", Unit::Months),
        ("月", Unit::Months),
        ("months", Unit::Months),
        ("month", Unit::Months),
        ("天", Unit::Days),
        ("日", Unit::Days),
        ("days", Unit::Days),
        ("day", Unit::Days),
        ("d", Unit::Days),
        ("年", Unit::Years),
        ("years", Unit::Years),
        ("year", Unit::Years),
        ("yrs", Unit::Years),
        ("yr", Unit::Years),
        ("y", Unit::Years),
    ];
    UNITS.iter().find_map(|(word, unit)| {
        let rest = s.strip_prefix(word)?;
        // "d" and "y" are units only as whole words: not the start of "dozen".
        let ascii_word = word.is_ascii();
        if ascii_word && rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        Some((*unit, rest))
    })
}

/// Until when the backup portion of a concluded sample is kept (FSSM Art 25 [S],
/// 《食品安全抽样检验管理办法》第二十五条): `months` after the conclusion (the rule
/// profile's `backup_keep_compliant`, 3 months, or `backup_keep_non_compliant`, 6
/// months); when the product expires sooner (production date plus shelf life), until
/// its expiry instead. A product already expired at the conclusion is kept to the
/// conclusion day. Without a production date or a readable shelf life there is no cap.
pub fn keep_until(
    conclusion_on: NaiveDate,
    months: u32,
    production_date: Option<NaiveDate>,
    shelf_life: Option<&str>,
) -> NaiveDate {
    let full = add_months(conclusion_on, months);
    match (production_date, shelf_life.and_then(parse_shelf_life)) {
        (Some(produced), Some(life)) => full.min(life.expiry(produced)).max(conclusion_on),
        _ => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shelf_life_is_read_in_chinese_and_english() {
        use ShelfLife::*;
        let cases = [
            ("9个月", Months(9)),
            ("12 months", Months(12)),
            ("180天", Days(180)),
            ("18月", Months(18)),
            ("2年", Years(2)),
            ("365 days", Days(365)),
            (" 1 month ", Months(1)),
            ("1 year", Years(1)),
            ("24 Months", Months(24)),
            ("90d", Days(90)),
            ("2y", Years(2)),
            ("１２个月", Months(12)),
            ("保质期：12个月", Months(12)),
            ("保质期 180 天", Days(180)),
            ("保质期为十八个月", Months(18)),
            ("十二个月", Months(12)),
            ("两年", Years(2)),
            ("二十四个月", Months(24)),
            ("半年", Months(6)),
            ("1年半", Months(18)),
            ("一年半", Months(18)),
            ("1.5年", Months(18)),
            ("2.0年", Years(2)),
            ("shelf life: 6 months", Months(6)),
            ("9個月", Months(9)),
            ("45日", Days(45)),
            ("9个月。", Months(9)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_shelf_life(text), Some(want), "{text}");
        }
    }

    #[test]
    fn unreadable_shelf_life_is_none() {
        for text in [
            "",
            "见包装",
            "常温9个月，冷藏12个月",
            "9个月（常温）",
            "0天",
            "0 months",
            "9",
            "months",
            "1.3年",
            "1.5个月",
            "9 dozen",
            "-3天",
            "99999999999天",
            "200年",
            "十百天",
        ] {
            assert_eq!(parse_shelf_life(text), None, "{text}");
        }
    }

    #[test]
    fn expiry_is_production_date_plus_shelf_life() {
        assert_eq!(
            ShelfLife::Months(9).expiry(d("2026-02-15")),
            d("2026-11-15")
        );
        assert_eq!(
            ShelfLife::Days(180).expiry(d("2026-01-01")),
            d("2026-06-30")
        );
        assert_eq!(ShelfLife::Years(2).expiry(d("2024-02-29")), d("2026-02-28"));
        assert_eq!(
            ShelfLife::Months(6).expiry(d("2025-08-31")),
            d("2026-02-28")
        );
    }

    #[test]
    fn keep_until_is_the_rule_months_after_the_conclusion() {
        // Compliant: 3 months; non-compliant: 6 months (FSSM Art 25).
        let on = d("2026-03-02");
        assert_eq!(keep_until(on, 3, None, None), d("2026-06-02"));
        assert_eq!(keep_until(on, 6, None, None), d("2026-09-02"));
        // Shelf life long enough: no cap.
        let produced = Some(d("2026-02-15"));
        assert_eq!(keep_until(on, 6, produced, Some("9个月")), d("2026-09-02"));
    }

    #[test]
    fn keep_until_stops_at_expiry_when_that_comes_sooner() {
        let on = d("2026-03-02");
        let produced = Some(d("2025-08-01"));
        assert_eq!(keep_until(on, 3, produced, Some("9个月")), d("2026-05-01"));
        assert_eq!(keep_until(on, 6, produced, Some("270天")), d("2026-04-28"));
        // Already expired at the conclusion: kept to the conclusion day.
        assert_eq!(keep_until(on, 6, produced, Some("3个月")), on);
    }

    #[test]
    fn unreadable_shelf_life_or_no_production_date_does_not_cap() {
        let on = d("2026-03-02");
        let produced = Some(d("2025-08-01"));
        assert_eq!(keep_until(on, 3, produced, Some("见包装")), d("2026-06-02"));
        assert_eq!(keep_until(on, 3, produced, None), d("2026-06-02"));
        assert_eq!(keep_until(on, 3, None, Some("9个月")), d("2026-06-02"));
    }
}
