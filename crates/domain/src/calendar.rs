//! The official working-day calendar (放假调休) and deadline arithmetic. Invariant: a count that touches a year whose official calendar is not loaded is never silent: it is counted Monday to Friday and marked provisional.
//!
//! The State Council publishes each year's holiday arrangement in November or
//! December, so a deadline may reach into a year nobody can know yet. Such a
//! deadline never blocks work; it is shown as provisional and recomputed once an
//! admin loads that year.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a State Council notice says about one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A day off inside a holiday block, weekends included (放假).
    Holiday,
    /// An adjusted working Saturday or Sunday (调休上班日).
    Workday,
}

impl DayKind {
    /// The word used in the CSV file and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A day kind other than `holiday` or `workday`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown day kind \"{0}\": expected \"holiday\" or \"workday\"")]
pub struct UnknownDayKind(pub String);

impl FromStr for DayKind {
    type Err = UnknownDayKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "holiday" => Ok(DayKind::Holiday),
            "workday" => Ok(DayKind::Workday),
            other => Err(UnknownDayKind(other.to_owned())),
        }
    }
}

/// A date by which something must happen, counted in working days.
///
/// `provisional` is true when the count passed through a year whose official
/// calendar is not loaded: those days were counted Monday to Friday, and the
/// date must be recomputed once that year is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// The official calendar: holiday blocks and adjusted working weekends of the
/// years that have been loaded.
///
/// A date is a working day unless it is listed as a holiday; a listed workday
/// (a Saturday or Sunday worked in exchange for a holiday) is a working day;
/// any other date is a working day from Monday to Friday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    entries: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// Builds a calendar from dated entries and the years whose official
    /// calendar they make up.
    ///
    /// A year is known only if it is listed in `years`: a year with no
    /// entries at all is unknown, not "a year without holidays". Entries are
    /// applied whatever their year; if a date appears twice, the last entry
    /// wins (`parse_holiday_csv` refuses duplicates before this point).
    pub fn new(
        entries: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        years: impl IntoIterator<Item = i32>,
    ) -> Self {
        WorkCalendar {
            entries: entries.into_iter().collect(),
            years: years.into_iter().collect(),
        }
    }

    /// A calendar with no year loaded: every count is provisional.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The notice's entry for `date`, if there is one.
    pub fn day_kind(&self, date: NaiveDate) -> Option<DayKind> {
        self.entries.get(&date).copied()
    }

    /// Whether staff work on `date`: a listed holiday is not a working day, a
    /// listed adjusted workday is, and any other date is a working day from
    /// Monday to Friday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.entries.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => is_monday_to_friday(date),
        }
    }

    /// Whether the official calendar of `year` is loaded.
    pub fn is_known_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The loaded years, in ascending order.
    pub fn known_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The `n`-th working day strictly after `start`.
    ///
    /// `start` itself never counts, whatever its kind: a sample received on a
    /// holiday with one working day to go is due on the next working day.
    /// With `n == 0` the result is `start` itself, provisional if and only if
    /// `start`'s year is unknown. Otherwise the result is provisional if any
    /// date after `start` up to and including the result lies in an unknown
    /// year. The cost is linear in the number of days walked.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Deadline {
        if n == 0 {
            return Deadline {
                date: start,
                provisional: !self.is_known_year(start.year()),
            };
        }
        let mut remaining = n;
        let mut provisional = false;
        for date in start.iter_days().skip(1) {
            provisional |= !self.is_known_year(date.year());
            if self.is_working_day(date) {
                remaining -= 1;
                if remaining == 0 {
                    return Deadline { date, provisional };
                }
            }
        }
        // Only reachable at the end of chrono's date range, which lies in no
        // loaded year.
        Deadline {
            date: NaiveDate::MAX,
            provisional: true,
        }
    }

    /// The number of working days in the half-open interval `(from, to]`,
    /// and whether that count is provisional.
    ///
    /// Convention: `from` never counts and `to` does, so that
    /// `working_days_between(a, add_working_days(a, n).date) == (n, provisional)`
    /// with the same provisional flag. If `to` is before `from` the count is
    /// the negative of `working_days_between(to, from)`: a sample three
    /// working days overdue gives -3 from its due date to today read the
    /// other way round. With `from == to` the count is 0, provisional if and
    /// only if that date's year is unknown. Otherwise the count is
    /// provisional if any counted date lies in an unknown year.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> (i64, bool) {
        if from == to {
            return (0, !self.is_known_year(from.year()));
        }
        let (low, high, sign) = if from < to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0_i64;
        let mut provisional = false;
        for date in low.iter_days().skip(1).take_while(|d| *d <= high) {
            provisional |= !self.is_known_year(date.year());
            if self.is_working_day(date) {
                count += 1;
            }
        }
        (sign * count, provisional)
    }
}

/// Plain-calendar arithmetic, as methods so that a rule profile can count
/// every unit on the one calendar it is given. None of them depends on the
/// holidays; see the free functions of the same names.
impl WorkCalendar {
    /// See [`add_calendar_days`].
    pub fn add_calendar_days(&self, start: NaiveDate, n: i64) -> NaiveDate {
        add_calendar_days(start, n)
    }

    /// See [`add_months`].
    pub fn add_months(&self, start: NaiveDate, n: u32) -> NaiveDate {
        add_months(start, n)
    }

    /// See [`add_hours`].
    pub fn add_hours(&self, start: NaiveDateTime, n: i64) -> NaiveDateTime {
        add_hours(start, n)
    }
}

fn is_monday_to_friday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `start` moved by `n` calendar days (backwards if `n` is negative).
/// Saturates at the ends of chrono's date range instead of panicking.
pub fn add_calendar_days(start: NaiveDate, n: i64) -> NaiveDate {
    let days = Days::new(n.unsigned_abs());
    if n >= 0 {
        start.checked_add_days(days).unwrap_or(NaiveDate::MAX)
    } else {
        start.checked_sub_days(days).unwrap_or(NaiveDate::MIN)
    }
}

/// `start` moved forward by `n` calendar months, clamped to the end of a
/// shorter month: 2025-08-31 plus 6 months is 2026-02-28. Saturates at the
/// end of chrono's date range.
pub fn add_months(start: NaiveDate, n: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// `start` moved by `n` hours (backwards if `n` is negative), for limits
/// such as "deliver within 48 hours of sampling". Saturates at the ends of
/// chrono's range.
pub fn add_hours(start: NaiveDateTime, n: i64) -> NaiveDateTime {
    let saturated = if n >= 0 {
        NaiveDateTime::MAX
    } else {
        NaiveDateTime::MIN
    };
    TimeDelta::try_hours(n)
        .and_then(|delta| start.checked_add_signed(delta))
        .unwrap_or(saturated)
}

/// A holiday file that cannot be loaded; each variant names the line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("line {line}: expected the header \"date,kind,name\", found \"{found}\"")]
    Header { line: usize, found: String },
    #[error("line {line}: expected 3 fields \"date,kind,name\", found {found}")]
    Fields { line: usize, found: usize },
    #[error("line {line}: \"{value}\" is not a date of the form YYYY-MM-DD")]
    Date { line: usize, value: String },
    #[error("line {line}: unknown kind \"{value}\", expected \"holiday\" or \"workday\"")]
    Kind { line: usize, value: String },
    #[error(
        "line {line}: {date} is listed as an adjusted workday but is not a Saturday or Sunday"
    )]
    WorkdayNotWeekend { line: usize, date: NaiveDate },
    #[error("line {line}: {date} is already listed on line {first_line}")]
    Duplicate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
}

/// Parses a holiday file: a header line `date,kind,name`, then one line per
/// date such as `2025-01-26,workday,春节`.
///
/// Line numbers in errors are 1-based and count the header. Blank lines are
/// skipped, a leading byte-order mark and CRLF line ends are accepted, and
/// fields are trimmed. A date listed twice is refused, and so is an adjusted
/// workday that is not a Saturday or Sunday, since either is a typing error
/// that would silently move deadlines.
pub fn parse_holiday_csv(text: &str) -> Result<Vec<(NaiveDate, DayKind, String)>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());

    let Some((header_line, header)) = lines.next() else {
        return Err(CalendarError::Header {
            line: 1,
            found: String::new(),
        });
    };
    let header_fields: Vec<&str> = header.split(',').map(str::trim).collect();
    if header_fields != ["date", "kind", "name"] {
        return Err(CalendarError::Header {
            line: header_line,
            found: header.to_owned(),
        });
    }

    let mut rows = Vec::new();
    let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (line, text) in lines {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let [date, kind, name] = fields[..] else {
            return Err(CalendarError::Fields {
                line,
                found: fields.len(),
            });
        };
        let date =
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| CalendarError::Date {
                line,
                value: date.to_owned(),
            })?;
        let kind: DayKind = kind.parse().map_err(|_| CalendarError::Kind {
            line,
            value: kind.to_owned(),
        })?;
        if kind == DayKind::Workday && is_monday_to_friday(date) {
            return Err(CalendarError::WorkdayNotWeekend { line, date });
        }
        if let Some(first_line) = seen.insert(date, line) {
            return Err(CalendarError::Duplicate {
                line,
                date,
                first_line,
            });
        }
        rows.push((date, kind, name.to_owned()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 2025 and 2026 rows of data/cn_holidays_2024_2026.csv, as published
    /// by the State Council.
    const HOLIDAYS_2025_2026: &str = "date,kind,name
2025-01-01,holiday,元旦
2025-01-26,workday,春节
2025-01-28,holiday,春节
2025-01-29,holiday,春节
2025-01-30,holiday,春节
2025-01-31,holiday,春节
2025-02-01,holiday,春节
2025-02-02,holiday,春节
2025-02-03,holiday,春节
2025-02-04,holiday,春节
2025-02-08,workday,春节
2025-04-04,holiday,清明节
2025-04-05,holiday,清明节
2025-04-06,holiday,清明节
2025-04-27,workday,劳动节
2025-05-01,holiday,劳动节
2025-05-02,holiday,劳动节
2025-05-03,holiday,劳动节
2025-05-04,holiday,劳动节
2025-05-05,holiday,劳动节
2025-05-31,holiday,端午节
2025-06-01,holiday,端午节
2025-06-02,holiday,端午节
2025-09-28,workday,国庆节、中秋节
2025-10-01,holiday,国庆节、中秋节
2025-10-02,holiday,国庆节、中秋节
2025-10-03,holiday,国庆节、中秋节
2025-10-04,holiday,国庆节、中秋节
2025-10-05,holiday,国庆节、中秋节
2025-10-06,holiday,国庆节、中秋节
2025-10-07,holiday,国庆节、中秋节
2025-10-08,holiday,国庆节、中秋节
2025-10-11,workday,国庆节、中秋节
2026-01-01,holiday,元旦
2026-01-02,holiday,元旦
2026-01-03,holiday,元旦
2026-01-04,workday,元旦
2026-02-14,workday,春节
2026-02-15,holiday,春节
2026-02-16,holiday,春节
2026-02-17,holiday,春节
2026-02-18,holiday,春节
2026-02-19,holiday,春节
2026-02-20,holiday,春节
2026-02-21,holiday,春节
2026-02-22,holiday,春节
2026-02-23,holiday,春节
2026-02-28,workday,春节
2026-04-04,holiday,清明节
2026-04-05,holiday,清明节
2026-04-06,holiday,清明节
2026-05-01,holiday,劳动节
2026-05-02,holiday,劳动节
2026-05-03,holiday,劳动节
2026-05-04,holiday,劳动节
2026-05-05,holiday,劳动节
2026-05-09,workday,劳动节
2026-06-19,holiday,端午节
2026-06-20,holiday,端午节
2026-06-21,holiday,端午节
2026-09-20,workday,国庆节
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节
";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn calendar() -> WorkCalendar {
        let rows = parse_holiday_csv(HOLIDAYS_2025_2026).expect("test rows parse");
        WorkCalendar::new(
            rows.into_iter().map(|(date, kind, _)| (date, kind)),
            [2025, 2026],
        )
    }

    #[test]
    fn the_official_rows_parse_with_the_published_counts() {
        let rows = parse_holiday_csv(HOLIDAYS_2025_2026).expect("parses");
        let count = |year: i32, kind: DayKind| {
            rows.iter()
                .filter(|(date, k, _)| date.year() == year && *k == kind)
                .count()
        };
        assert_eq!(count(2025, DayKind::Holiday), 28);
        assert_eq!(count(2025, DayKind::Workday), 5);
        assert_eq!(count(2026, DayKind::Holiday), 33);
        assert_eq!(count(2026, DayKind::Workday), 6);
        assert_eq!(
            rows[1],
            (d(2025, 1, 26), DayKind::Workday, "春节".to_owned())
        );
    }

    #[test]
    fn adjusted_sunday_2025_01_26_is_a_working_day() {
        let cal = calendar();
        assert_eq!(d(2025, 1, 26).weekday(), Weekday::Sun);
        assert!(cal.is_working_day(d(2025, 1, 26)));
        assert_eq!(cal.day_kind(d(2025, 1, 26)), Some(DayKind::Workday));
    }

    #[test]
    fn no_day_of_the_2025_spring_festival_block_is_a_working_day() {
        let cal = calendar();
        for date in d(2025, 1, 28)
            .iter_days()
            .take_while(|x| *x <= d(2025, 2, 4))
        {
            assert!(!cal.is_working_day(date), "{date} should be a holiday");
        }
        assert!(cal.is_working_day(d(2025, 1, 27)));
        assert!(cal.is_working_day(d(2025, 2, 5)));
        assert_eq!(d(2025, 2, 8).weekday(), Weekday::Sat);
        assert!(cal.is_working_day(d(2025, 2, 8)));
    }

    #[test]
    fn ordinary_weekends_are_not_working_days_and_weekdays_are() {
        let cal = calendar();
        assert!(!cal.is_working_day(d(2025, 10, 12))); // Sunday
        assert!(!cal.is_working_day(d(2025, 3, 1))); // Saturday
        assert!(cal.is_working_day(d(2025, 3, 3))); // Monday
        assert_eq!(cal.day_kind(d(2025, 3, 3)), None);
    }

    #[test]
    fn one_working_day_after_2025_09_30_is_2025_10_09() {
        let cal = calendar();
        assert_eq!(
            cal.add_working_days(d(2025, 9, 30), 1),
            Deadline {
                date: d(2025, 10, 9),
                provisional: false
            }
        );
    }

    #[test]
    fn the_adjusted_saturday_after_national_day_counts() {
        let cal = calendar();
        // 10-09 Thu, 10-10 Fri, 10-11 Sat (adjusted workday), 10-13 Mon.
        assert_eq!(
            cal.add_working_days(d(2025, 9, 30), 3).date,
            d(2025, 10, 11)
        );
        assert_eq!(
            cal.add_working_days(d(2025, 9, 30), 4).date,
            d(2025, 10, 13)
        );
    }

    #[test]
    fn counting_from_a_holiday_starts_on_the_next_working_day() {
        let cal = calendar();
        assert_eq!(cal.add_working_days(d(2025, 10, 3), 1).date, d(2025, 10, 9));
        assert_eq!(cal.add_working_days(d(2025, 1, 29), 1).date, d(2025, 2, 5));
    }

    #[test]
    fn zero_working_days_is_the_start_itself() {
        let cal = calendar();
        assert_eq!(
            cal.add_working_days(d(2025, 10, 4), 0),
            Deadline {
                date: d(2025, 10, 4),
                provisional: false
            }
        );
        assert_eq!(
            cal.add_working_days(d(2027, 3, 1), 0),
            Deadline {
                date: d(2027, 3, 1),
                provisional: true
            }
        );
    }

    #[test]
    fn counting_into_2027_is_provisional_and_counts_monday_to_friday() {
        let cal = calendar();
        assert!(!cal.is_known_year(2027));
        // 2026-12-31 Thu (known), 2027-01-01 Fri (unknown, counted as a
        // weekday even though it will surely be 元旦), 2027-01-04 Mon.
        assert_eq!(
            cal.add_working_days(d(2026, 12, 30), 3),
            Deadline {
                date: d(2027, 1, 4),
                provisional: true
            }
        );
        // A count that stays inside 2026 is not provisional.
        assert!(!cal.add_working_days(d(2026, 12, 30), 1).provisional);
        // Ten working days in unknown 2027 are exactly two Monday-to-Friday weeks.
        assert_eq!(
            cal.add_working_days(d(2027, 2, 5), 10),
            Deadline {
                date: d(2027, 2, 19),
                provisional: true
            }
        );
    }

    #[test]
    fn counting_through_an_unknown_earlier_year_is_provisional() {
        let cal = calendar();
        // 2024 is not loaded in this calendar.
        let deadline = cal.add_working_days(d(2024, 12, 30), 2);
        assert_eq!(deadline.date, d(2025, 1, 2));
        assert!(deadline.provisional);
        // From the last day of 2024 only 2025 dates are counted.
        let deadline = cal.add_working_days(d(2024, 12, 31), 1);
        assert_eq!(deadline.date, d(2025, 1, 2));
        assert!(!deadline.provisional);
    }

    #[test]
    fn an_empty_calendar_counts_monday_to_friday_and_is_always_provisional() {
        let cal = WorkCalendar::empty();
        assert_eq!(cal.known_years().count(), 0);
        assert_eq!(
            cal.add_working_days(d(2025, 9, 30), 1),
            Deadline {
                date: d(2025, 10, 1),
                provisional: true
            }
        );
        assert_eq!(
            cal.working_days_between(d(2025, 9, 26), d(2025, 10, 3)),
            (5, true)
        );
    }

    #[test]
    fn known_years_are_only_the_listed_years() {
        let cal = WorkCalendar::new([(d(2027, 1, 1), DayKind::Holiday)], [2025, 2026]);
        assert_eq!(cal.known_years().collect::<Vec<_>>(), vec![2025, 2026]);
        assert!(!cal.is_known_year(2027));
        // The entry still applies, but counting over it stays provisional.
        assert!(!cal.is_working_day(d(2027, 1, 1)));
        assert_eq!(
            cal.add_working_days(d(2026, 12, 31), 1),
            Deadline {
                date: d(2027, 1, 4),
                provisional: true
            }
        );
    }

    #[test]
    fn working_days_between_counts_the_half_open_interval() {
        let cal = calendar();
        assert_eq!(
            cal.working_days_between(d(2025, 9, 30), d(2025, 10, 9)),
            (1, false)
        );
        assert_eq!(
            cal.working_days_between(d(2025, 10, 9), d(2025, 9, 30)),
            (-1, false)
        );
        assert_eq!(
            cal.working_days_between(d(2025, 9, 30), d(2025, 10, 8)),
            (0, false)
        );
        assert_eq!(
            cal.working_days_between(d(2025, 9, 30), d(2025, 9, 30)),
            (0, false)
        );
        assert_eq!(
            cal.working_days_between(d(2027, 1, 5), d(2027, 1, 5)),
            (0, true)
        );
        // The adjusted Sunday 01-26, Monday 01-27, 02-05..02-07 after the
        // Spring Festival block, and the adjusted Saturday 02-08.
        assert_eq!(
            cal.working_days_between(d(2025, 1, 25), d(2025, 2, 8)),
            (6, false)
        );
        assert_eq!(
            cal.working_days_between(d(2026, 12, 30), d(2027, 1, 4)),
            (3, true)
        );
    }

    #[test]
    fn working_days_between_undoes_add_working_days() {
        let cal = calendar();
        for start in d(2024, 12, 1)
            .iter_days()
            .take_while(|x| *x <= d(2027, 1, 31))
        {
            for n in 0..40 {
                let deadline = cal.add_working_days(start, n);
                assert!(deadline.date >= start);
                assert!(n == 0 || cal.is_working_day(deadline.date));
                assert_eq!(
                    cal.working_days_between(start, deadline.date),
                    (i64::from(n), deadline.provisional),
                    "start {start}, n {n}"
                );
                assert_eq!(
                    cal.working_days_between(deadline.date, start),
                    (-i64::from(n), deadline.provisional),
                    "start {start}, n {n}, reversed"
                );
            }
        }
    }

    #[test]
    fn add_months_clamps_to_the_end_of_a_shorter_month() {
        assert_eq!(add_months(d(2025, 8, 31), 6), d(2026, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2025, 12, 31), 2), d(2026, 2, 28));
        assert_eq!(add_months(d(2025, 3, 15), 12), d(2026, 3, 15));
        assert_eq!(add_months(d(2025, 3, 15), 0), d(2025, 3, 15));
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn add_calendar_days_moves_both_ways_and_saturates() {
        assert_eq!(add_calendar_days(d(2025, 12, 30), 3), d(2026, 1, 2));
        assert_eq!(add_calendar_days(d(2025, 3, 1), -1), d(2025, 2, 28));
        assert_eq!(add_calendar_days(d(2025, 3, 1), 0), d(2025, 3, 1));
        assert_eq!(add_calendar_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_calendar_days(NaiveDate::MIN, -1), NaiveDate::MIN);
        assert_eq!(add_calendar_days(d(2025, 1, 1), i64::MIN), NaiveDate::MIN);
    }

    #[test]
    fn calendar_methods_match_the_free_functions() {
        let cal = calendar();
        let start = d(2025, 9, 30);
        assert_eq!(cal.add_calendar_days(start, 1), d(2025, 10, 1));
        assert_eq!(cal.add_months(d(2025, 8, 31), 6), d(2026, 2, 28));
        let at = start.and_hms_opt(9, 0, 0).expect("valid time");
        assert_eq!(cal.add_hours(at, 24), add_hours(at, 24));
    }

    #[test]
    fn add_hours_crosses_midnight_and_saturates() {
        let start = d(2025, 9, 30).and_hms_opt(16, 30, 0).expect("valid time");
        assert_eq!(
            add_hours(start, 48),
            d(2025, 10, 2).and_hms_opt(16, 30, 0).expect("valid time")
        );
        assert_eq!(
            add_hours(start, -17),
            d(2025, 9, 29).and_hms_opt(23, 30, 0).expect("valid time")
        );
        assert_eq!(add_hours(start, i64::MAX), NaiveDateTime::MAX);
        assert_eq!(add_hours(start, i64::MIN), NaiveDateTime::MIN);
    }

    #[test]
    fn day_kind_words_round_trip() {
        for kind in [DayKind::Holiday, DayKind::Workday] {
            assert_eq!(kind.as_str().parse::<DayKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(
            "Holiday".parse::<DayKind>(),
            Err(UnknownDayKind("Holiday".to_owned()))
        );
    }

    #[test]
    fn day_kind_deserializes_from_lowercase_words() {
        use serde::de::value::{Error as ValueError, StrDeserializer};
        let kind = DayKind::deserialize(StrDeserializer::<ValueError>::new("workday"));
        assert_eq!(kind.ok(), Some(DayKind::Workday));
        let kind = DayKind::deserialize(StrDeserializer::<ValueError>::new("Workday"));
        assert!(kind.is_err());
    }

    #[test]
    fn parser_accepts_bom_crlf_blank_lines_and_spaces() {
        let text = "\u{feff}date,kind,name\r\n2025-01-01, holiday ,元旦\r\n\r\n2025-01-26,workday,春节\r\n";
        let rows = parse_holiday_csv(text).expect("parses");
        assert_eq!(
            rows,
            vec![
                (d(2025, 1, 1), DayKind::Holiday, "元旦".to_owned()),
                (d(2025, 1, 26), DayKind::Workday, "春节".to_owned()),
            ]
        );
        assert_eq!(parse_holiday_csv("date,kind,name\n"), Ok(vec![]));
    }

    #[test]
    fn parser_requires_the_header() {
        assert_eq!(
            parse_holiday_csv(""),
            Err(CalendarError::Header {
                line: 1,
                found: String::new()
            })
        );
        assert_eq!(
            parse_holiday_csv("2025-01-01,holiday,元旦\n"),
            Err(CalendarError::Header {
                line: 1,
                found: "2025-01-01,holiday,元旦".to_owned()
            })
        );
    }

    #[test]
    fn parser_errors_name_the_line() {
        let bad_date = "date,kind,name\n2025-01-01,holiday,元旦\n2025-02-30,holiday,x\n";
        assert_eq!(
            parse_holiday_csv(bad_date),
            Err(CalendarError::Date {
                line: 3,
                value: "2025-02-30".to_owned()
            })
        );
        let bad_kind = "date,kind,name\n2025-01-01,vacation,元旦\n";
        assert_eq!(
            parse_holiday_csv(bad_kind),
            Err(CalendarError::Kind {
                line: 2,
                value: "vacation".to_owned()
            })
        );
        let short = "date,kind,name\n\n2025-01-01,holiday\n";
        assert_eq!(
            parse_holiday_csv(short),
            Err(CalendarError::Fields { line: 3, found: 2 })
        );
        let long = "date,kind,name\n2025-01-01,holiday,元旦,extra\n";
        assert_eq!(
            parse_holiday_csv(long),
            Err(CalendarError::Fields { line: 2, found: 4 })
        );
        let err = parse_holiday_csv(bad_kind).expect_err("bad kind");
        assert!(err.to_string().starts_with("line 2:"), "{err}");
    }

    #[test]
    fn parser_refuses_duplicates_and_weekday_workdays() {
        let duplicate = "date,kind,name\n2025-01-01,holiday,元旦\n2025-01-01,holiday,元旦\n";
        assert_eq!(
            parse_holiday_csv(duplicate),
            Err(CalendarError::Duplicate {
                line: 3,
                date: d(2025, 1, 1),
                first_line: 2
            })
        );
        // 2025-01-27 is a Monday: an adjusted workday there is a typing error.
        let weekday = "date,kind,name\n2025-01-27,workday,春节\n";
        assert_eq!(
            parse_holiday_csv(weekday),
            Err(CalendarError::WorkdayNotWeekend {
                line: 2,
                date: d(2025, 1, 27)
            })
        );
    }
}
