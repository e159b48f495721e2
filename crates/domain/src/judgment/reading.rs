//! Reading a result text as written (numbers, bounds, "not detected", words, the
//! counts of a sampling plan) into the interval its true value lies in.

use super::*;

/// What a result text says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// "0.050", "0,050", "1.2e-3", "1.2×10^3", "1.2x10³".
    Number(Dec),
    /// "<0.01", "＜0.01", "< 0.01", "未检出(<0.01)": below a reporting bound.
    LessThan(Dec),
    /// "<LOD", "<检出限", "低于检出限".
    BelowLod,
    /// "未检出", "ND", "N.D.", "not detected".
    NotDetected,
    /// "阴性", "negative", "符合", "符合要求", "符合规定", "合格": a negative finding.
    Negative,
    /// "阳性", "positive", "不符合", "不合格", "不符合规定", "检出": a positive finding.
    Positive,
    /// One reading per unit of a sampling plan: each a Number, LessThan, NotDetected
    /// or BelowLod.
    Counts(Vec<Reading>),
}

impl Reading {
    /// How an error message names this kind of reading.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Reading::Number(_) => "a number",
            Reading::LessThan(_) => "a less-than value",
            Reading::BelowLod | Reading::NotDetected => "a not-detected result",
            Reading::Negative | Reading::Positive => "a qualitative word",
            Reading::Counts(_) => "per-unit counts",
        }
    }
}

/// A result as entered and as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedResult {
    /// Exactly as entered, never altered.
    pub text: String,
    pub reading: Reading,
    /// The representative number, in the result's own unit: the value, the "<x"
    /// bound, or the largest count; None for words.
    pub number: Option<Dec>,
}

/// Why a result cannot be read or judged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResultError {
    #[error("empty result")]
    Empty,
    #[error("result too long ({0} characters; at most 200)")]
    TooLong(usize),
    #[error("cannot read {0:?}: write a number (0.050, 1.2e-3), <0.01, <LOD, ND/未检出, 阴性/阳性, or for microbiological plans one count per unit separated by ';'")]
    Unreadable(String),
    #[error("a negative value cannot be a result")]
    Negative,
    #[error("expected {expected} counts (one per unit), got {got}")]
    WrongCount { expected: u32, got: usize },
    #[error("unit {from:?} does not convert to the limit's unit {to:?}")]
    Unit { from: String, to: String },
    #[error(
        "the limit of detection {lod} is above the limit {limit}: the result cannot be judged"
    )]
    LodAboveLimit { lod: String, limit: String },
    #[error("the limit is incomplete: {0}")]
    BadLimit(String),
    #[error("a {kind} limit cannot judge {reading}")]
    Mismatch {
        kind: &'static str,
        reading: &'static str,
    },
}

impl ResultError {
    /// The message in Chinese, the UI's default language.
    pub fn message_zh(&self) -> String {
        match self {
            ResultError::Empty => "结果为空".to_string(),
            ResultError::TooLong(n) => format!("结果过长（{n} 个字符，最多 200 个）"),
            ResultError::Unreadable(text) => format!(
                "无法识别“{text}”：请填写数值（0.050、1.2e-3）、<0.01、<LOD、ND/未检出、\
                 阴性/阳性；微生物采样方案请按样品单元逐个填写计数，用“;”分隔"
            ),
            ResultError::Negative => "结果不能为负值".to_string(),
            ResultError::WrongCount { expected, got } => {
                format!("应填写 {expected} 个计数（每个样品单元一个），实际为 {got} 个")
            }
            ResultError::Unit { from, to } => {
                format!("单位“{from}”无法换算为限量单位“{to}”")
            }
            ResultError::LodAboveLimit { lod, limit } => {
                format!("检出限 {lod} 高于限量 {limit}，无法判定")
            }
            ResultError::BadLimit(detail) => {
                let zh = LimitProblem::ALL
                    .iter()
                    .find(|p| p.en() == detail)
                    .map_or(detail.as_str(), |p| p.zh());
                format!("限量不完整：{zh}")
            }
            ResultError::Mismatch { kind, reading } => {
                let kind_zh = match *kind {
                    "max" => "最大值限量",
                    "min" => "最小值限量",
                    "range" => "范围限量",
                    "not_detected" => "不得检出限量",
                    "qualitative" => "定性限量",
                    other => other,
                };
                let reading_zh = match *reading {
                    "a number" => "数值结果",
                    "a less-than value" => "“<”结果",
                    "a not-detected result" => "未检出结果",
                    "a qualitative word" => "阴性/阳性结论",
                    "per-unit counts" => "逐单元计数",
                    other => other,
                };
                format!("{kind_zh}无法判定{reading_zh}")
            }
        }
    }
}

pub(super) const ND_WORDS: [&str; 5] = ["not detected", "n.d.", "n.d", "nd", "未检出"];
pub(super) const BELOW_LOD_WORDS: [&str; 2] = ["低于检出限", "小于检出限"];
pub(super) const LOD_WORDS: [&str; 2] = ["lod", "检出限"];
pub(super) const NEGATIVE_WORDS: [&str; 9] = [
    "阴性",
    "negative",
    "符合",
    "符合要求",
    "符合规定",
    "符合标准",
    "合格",
    "商业无菌",
    "符合商业无菌要求",
];
pub(super) const POSITIVE_WORDS: [&str; 10] = [
    "阳性",
    "positive",
    "不符合",
    "不符合要求",
    "不符合规定",
    "不符合标准",
    "不合格",
    "检出",
    "非商业无菌",
    "不符合商业无菌要求",
];
/// What separates the counts of a sampling plan (besides spaces).
pub(super) const COUNT_SEPARATORS: [char; 4] = [';', '、', '/', ','];

/// Why one piece of text is not a reading.
pub(super) enum Unread {
    Unreadable,
    Negative,
}

/// Reads a result text; `limit` tells whether commas separate counts (micro plan) or decimals.
pub fn parse_result(text: &str, limit: &Limit) -> Result<ParsedResult, ResultError> {
    let length = text.chars().count();
    if length > MAX_RESULT_CHARS {
        return Err(ResultError::TooLong(length));
    }
    let normal = normalise_text(text);
    if normal.is_empty() {
        return Err(ResultError::Empty);
    }
    let plan = limit.micro.is_some();
    let reading = match read_single(&normal, !plan) {
        Ok(reading) => reading,
        Err(Unread::Negative) => return Err(ResultError::Negative),
        Err(Unread::Unreadable) if plan => read_counts(&normal, text)?,
        Err(Unread::Unreadable) => return Err(ResultError::Unreadable(text.to_string())),
    };
    let number = representative(&reading);
    Ok(ParsedResult {
        text: text.to_string(),
        reading,
        number,
    })
}

pub(super) fn representative(reading: &Reading) -> Option<Dec> {
    match reading {
        Reading::Number(v) | Reading::LessThan(v) => Some(*v),
        Reading::Counts(units) => units.iter().filter_map(representative).max(),
        _ => None,
    }
}

/// Folds full-width forms to ASCII, the minus sign to '-', superscript exponents
/// to "^…", lower-cases, collapses whitespace, and joins "1.2 × 10 ^ 3" into one
/// token.
pub(super) fn normalise_text(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut in_superscript = false;
    for ch in text.chars() {
        if let Some(digit) = superscript(ch) {
            if !in_superscript {
                folded.push('^');
            }
            folded.push(digit);
            in_superscript = true;
            continue;
        }
        in_superscript = false;
        let ch = match ch {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(ch) - 0xFEE0).unwrap_or(ch),
            '\u{3000}' => ' ',
            '\u{2212}' => '-',
            '\u{2715}' => '×',
            _ => ch,
        };
        folded.extend(ch.to_lowercase());
    }
    let collapsed: Vec<char> = folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    tighten_powers(&collapsed)
}

pub(super) fn superscript(ch: char) -> Option<char> {
    Some(match ch {
        '\u{2070}' => '0',
        '\u{00B9}' => '1',
        '\u{00B2}' => '2',
        '\u{00B3}' => '3',
        '\u{2074}'..='\u{2079}' => char::from_u32(u32::from(ch) - 0x2074 + u32::from('4'))?,
        '\u{207A}' => '+',
        '\u{207B}' => '-',
        _ => return None,
    })
}

/// Turns an 'x' between a number and "10" into '×' and drops the spaces around
/// '×', '*' and '^', so "1.2 x 10 ^3" becomes "1.2×10^3". Spaces are single.
pub(super) fn tighten_powers(chars: &[char]) -> String {
    // The character before position i, skipping one space.
    let before = |i: usize| match i.checked_sub(1).and_then(|j| chars.get(j)) {
        Some(' ') => i.checked_sub(2).and_then(|j| chars.get(j)).copied(),
        other => other.copied(),
    };
    let is_times_x = |i: usize| {
        let after = if chars.get(i + 1) == Some(&' ') {
            i + 2
        } else {
            i + 1
        };
        before(i).is_some_and(|c| c.is_ascii_digit() || c == '.')
            && chars.get(after) == Some(&'1')
            && chars.get(after + 1) == Some(&'0')
    };
    let marked: Vec<char> = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if c == 'x' && is_times_x(i) { '×' } else { c })
        .collect();
    let is_operator = |c: Option<&char>| matches!(c, Some('×' | '*' | '^'));
    let next_to_operator = |i: usize| {
        is_operator(i.checked_sub(1).and_then(|j| marked.get(j))) || is_operator(marked.get(i + 1))
    };
    marked
        .iter()
        .enumerate()
        .filter(|&(i, &c)| c != ' ' || !next_to_operator(i))
        .map(|(_, &c)| c)
        .collect()
}

/// Reads a whole (normalised) text as one reading.
pub(super) fn read_single(s: &str, comma_decimal: bool) -> Result<Reading, Unread> {
    if ND_WORDS.contains(&s) {
        return Ok(Reading::NotDetected);
    }
    if BELOW_LOD_WORDS.contains(&s) {
        return Ok(Reading::BelowLod);
    }
    if NEGATIVE_WORDS.contains(&s) {
        return Ok(Reading::Negative);
    }
    if POSITIVE_WORDS.contains(&s) {
        return Ok(Reading::Positive);
    }
    if let Some(rest) = s.strip_prefix('<') {
        return read_bound(rest.trim_start(), comma_decimal);
    }
    if let Some(reading) = read_not_detected_with_bound(s, comma_decimal) {
        return reading;
    }
    let value = parse_number(s, comma_decimal).ok_or(Unread::Unreadable)?;
    if value.is_negative() {
        Err(Unread::Negative)
    } else {
        Ok(Reading::Number(value))
    }
}

/// What follows a '<': "LOD", "检出限" or a positive number.
pub(super) fn read_bound(s: &str, comma_decimal: bool) -> Result<Reading, Unread> {
    if LOD_WORDS.contains(&s) {
        return Ok(Reading::BelowLod);
    }
    let bound = parse_number(s, comma_decimal).ok_or(Unread::Unreadable)?;
    if bound.is_negative() {
        Err(Unread::Negative)
    } else if bound.is_zero() {
        // "<0" would claim a negative value.
        Err(Unread::Unreadable)
    } else {
        Ok(Reading::LessThan(bound))
    }
}

/// "未检出(<0.01)", "ND (检出限: 0.01)" → LessThan(0.01); None if `s` is not
/// a not-detected word followed by parentheses.
pub(super) fn read_not_detected_with_bound(
    s: &str,
    comma_decimal: bool,
) -> Option<Result<Reading, Unread>> {
    let rest = ND_WORDS.iter().find_map(|w| s.strip_prefix(w))?.trim();
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?.trim();
    let inner = LOD_WORDS
        .iter()
        .find_map(|w| inner.strip_prefix(w))
        .map_or(inner, str::trim_start);
    let inner = inner
        .strip_prefix([':', '='])
        .map_or(inner, str::trim_start);
    let inner = inner.strip_prefix('<').map_or(inner, str::trim_start);
    Some(read_bound(inner, comma_decimal))
}

/// Splits a sampling plan's text into one reading per unit.
pub(super) fn read_counts(s: &str, original: &str) -> Result<Reading, ResultError> {
    let pieces: Vec<&str> = if s.contains(COUNT_SEPARATORS) {
        s.split(COUNT_SEPARATORS)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    } else {
        s.split(' ').collect()
    };
    if pieces.len() < 2 {
        return Err(ResultError::Unreadable(original.to_string()));
    }
    pieces
        .into_iter()
        .map(|piece| match read_single(piece, false) {
            Ok(
                reading @ (Reading::Number(_)
                | Reading::LessThan(_)
                | Reading::NotDetected
                | Reading::BelowLod),
            ) => Ok(reading),
            Ok(_) | Err(Unread::Unreadable) => Err(ResultError::Unreadable(piece.to_string())),
            Err(Unread::Negative) => Err(ResultError::Negative),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Reading::Counts)
}

/// "0.05", "0,05", "1.2e-3", "1.2×10^3", "1.2*10^-3", "10^3" (normalised text).
pub(super) fn parse_number(s: &str, comma_decimal: bool) -> Option<Dec> {
    if s.contains(char::is_whitespace) {
        return None;
    }
    if let Some((coefficient, power)) = s.split_once(['×', '*']) {
        return parse_plain(coefficient, comma_decimal)?.mul_pow10(parse_power_of_ten(power)?);
    }
    if s.starts_with("10^") {
        return Dec::ONE.mul_pow10(parse_power_of_ten(s)?);
    }
    parse_plain(s, comma_decimal)
}

/// "10^3" → 3, "10^-3" → -3, "10" → 1.
pub(super) fn parse_power_of_ten(s: &str) -> Option<i32> {
    let rest = s.strip_prefix("10")?;
    if rest.is_empty() {
        return Some(1);
    }
    let exponent = parse_exponent(rest.strip_prefix('^')?)?;
    i32::try_from(exponent).ok()
}

/// A decimal with '.' or, when allowed and unambiguous, ',' as the decimal mark.
pub(super) fn parse_plain(s: &str, comma_decimal: bool) -> Option<Dec> {
    let Some((whole, fraction)) = s.split_once(',') else {
        return Dec::parse(s);
    };
    if !comma_decimal || s.contains('.') || fraction.contains(',') {
        return None;
    }
    let whole_digits = whole.trim_start_matches(['+', '-']);
    let could_be_grouping = fraction.len() == 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && whole_digits.bytes().any(|b| b != b'0');
    if could_be_grouping {
        return None;
    }
    Dec::parse(&format!("{whole}.{fraction}"))
}
