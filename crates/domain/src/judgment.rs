//! Result entry and single-item judgment (单项判定): reading a technician's result text, converting its unit and judging it pass | fail against the limit copied onto a test. Invariant: the entered text is kept unaltered and every comparison is an exact decimal comparison, so a result exactly at the limit is judged the same way every time.
//!
//! Choices where the lab rules leave room:
//! - Every reading is turned into the interval its true value must lie in: a
//!   number is a point, "<x" is `[0, x)`, "not detected" / "<LOD" is `[0, LOD)`.
//!   A result passes when that interval lies inside the acceptance region, fails
//!   when it lies wholly outside, and otherwise cannot be judged
//!   ([`ResultError::LodAboveLimit`]). So "<0.01" passes a max of 0.2, "<0.3"
//!   cannot be judged against it, and "<0.5" fails a min of 2.9 (nothing detected
//!   is below a minimum) while "<5" cannot be judged against that min.
//! - "Not detected" with no LOD known at all (neither given with the result nor on
//!   the limit) is taken as zero: it passes any max, fails any positive min.
//! - "未检出(<0.01)", "ND(<0.01)", "未检出(检出限0.01)" read as `LessThan(0.01)`:
//!   the bound is worth keeping.
//! - A comma is a decimal mark ("0,05") only when the limit has no sampling plan,
//!   and only when it cannot be a thousands separator: "1,000" is refused as
//!   ambiguous (it could mean 1 or 1000), "0,050" and "1,5" are read.
//! - For a sampling plan, counts are separated by ";", "、", "/" or ","; only when
//!   none of these is present do spaces separate them. A single word ("未检出",
//!   "阴性") speaks for every unit; a single number or "<x" is one unit only, so
//!   it is a [`ResultError::WrongCount`] unless n = 1.
//! - Counts between m and M that are only bounded ("<100" with m = 50) are judged
//!   exactly: they pass when even all of them above m stay within c.
//! - Qualitative limits accept "未检出" / "<LOD" as a negative finding.
//! - An empty result unit means "the limit's unit". Units are only checked when
//!   there is a number to convert (a value, a bound, or an LOD given with the
//!   result); the LOD given with the result is in the result's unit.
//! - "X/g(mL)" units (as in "CFU/g(mL)") equal both "X/g" and "X/mL".
//! - "<LOQ", ">x" and "多不可计" are not understood: they are refused as unreadable.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest result text accepted, in characters.
pub const MAX_RESULT_CHARS: usize = 200;

/// The largest power of ten a result may be written with ("1e30", "1×10^-30").
const MAX_EXPONENT: i64 = 30;

/// The most decimal places a [`Dec`] keeps; finer values are refused, which keeps
/// every value printable in a few dozen characters.
const MAX_SCALE: u32 = 80;

// ---------------------------------------------------------------------------
// Exact decimals
// ---------------------------------------------------------------------------

/// An exact decimal: value = mantissa × 10^(-scale). Parsed from text without rounding.
///
/// Always normalised (no trailing zero in the mantissa when scale > 0; zero is
/// 0 × 10^0), so the derived equality is numeric equality: 0.3 == 0.30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec {
        mantissa: 0,
        scale: 0,
    };

    /// One.
    pub const ONE: Dec = Dec {
        mantissa: 1,
        scale: 0,
    };

    fn normalised(mut mantissa: i128, mut scale: u32) -> Dec {
        if mantissa == 0 {
            return Dec::ZERO;
        }
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Dec { mantissa, scale }
    }

    /// Reads "0.050", "12", ".5", "1.5e-3", "2E4", "-3". None for NaN, inf, any
    /// other text, spaces, |exponent| > 30, more than 80 decimal places, or a value
    /// beyond i128.
    pub fn parse(s: &str) -> Option<Dec> {
        let (negative, body) = match s.as_bytes().first()? {
            b'-' => (true, s.get(1..)?),
            b'+' => (false, s.get(1..)?),
            _ => (false, s),
        };
        let (mantissa_text, exponent) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, parse_exponent(e)?),
            None => (body, 0),
        };
        let (int_part, frac_part) = mantissa_text.split_once('.').unwrap_or((mantissa_text, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return None;
        }
        let digits = int_part.bytes().chain(frac_part.bytes());
        let total = int_part.len() + frac_part.len();
        let trailing_zeros = digits.clone().rev().take_while(|b| *b == b'0').count();
        if trailing_zeros == total {
            return Some(Dec::ZERO);
        }
        let mut mantissa: i128 = 0;
        for b in digits.take(total - trailing_zeros) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let exp10 =
            exponent - i64::try_from(frac_part.len()).ok()? + i64::try_from(trailing_zeros).ok()?;
        let value = if exp10 >= 0 {
            let factor = pow10(u32::try_from(exp10).ok()?)?;
            Dec::normalised(mantissa.checked_mul(factor)?, 0)
        } else {
            let scale = u32::try_from(-exp10).ok()?;
            if scale > MAX_SCALE {
                return None;
            }
            Dec::normalised(mantissa, scale)
        };
        Some(if negative {
            Dec::normalised(-value.mantissa, value.scale)
        } else {
            value
        })
    }

    /// The digits of the value without its decimal point.
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// How many digits of the mantissa lie after the decimal point.
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The nearest `f64` (for display and statistics only, never for judging).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse::<f64>().unwrap_or(f64::NAN)
    }

    /// Exact comparison, whatever the scales; never overflows.
    pub fn cmp_exact(&self, other: &Dec) -> Ordering {
        let (a, b) = (self.mantissa.signum(), other.mantissa.signum());
        if a != b {
            return a.cmp(&b);
        }
        if a == 0 {
            return Ordering::Equal;
        }
        let magnitude = magnitude_cmp(
            self.mantissa.unsigned_abs(),
            self.scale,
            other.mantissa.unsigned_abs(),
            other.scale,
        );
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    /// The value × 10^k, exactly; None if it no longer fits.
    pub fn mul_pow10(self, k: i32) -> Option<Dec> {
        if self.mantissa == 0 {
            return Some(Dec::ZERO);
        }
        let shift = k.unsigned_abs();
        if k >= 0 {
            if shift <= self.scale {
                Some(Dec::normalised(self.mantissa, self.scale - shift))
            } else {
                let factor = pow10(shift - self.scale)?;
                Some(Dec::normalised(self.mantissa.checked_mul(factor)?, 0))
            }
        } else {
            let scale = self.scale.checked_add(shift)?;
            (scale <= MAX_SCALE).then(|| Dec::normalised(self.mantissa, scale))
        }
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }
}

fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// Compares a × 10^-sa with b × 10^-sb for nonzero a, b. Scaling the one with
/// fewer decimals up to the other's scale overflows only if it is the larger.
fn magnitude_cmp(a: u128, sa: u32, b: u128, sb: u32) -> Ordering {
    match sa.cmp(&sb) {
        Ordering::Equal => a.cmp(&b),
        Ordering::Less => match 10u128.checked_pow(sb - sa).and_then(|p| a.checked_mul(p)) {
            Some(scaled) => scaled.cmp(&b),
            None => Ordering::Greater,
        },
        Ordering::Greater => magnitude_cmp(b, sb, a, sa).reverse(),
    }
}

/// An exponent after "e": optional sign, digits, |value| ≤ 30.
fn parse_exponent(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits
        .bytes()
        .fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(1000));
    (value <= MAX_EXPONENT).then_some(if negative { -value } else { value })
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        self.cmp_exact(other)
    }
}

/// Canonical text: plain notation, no exponent, no trailing zeros ("0.05", "20000").
impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            write!(f, "{sign}{digits}")
        } else if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{whole}.{fraction}")
        } else {
            let zeros = "0".repeat(scale - digits.len());
            write!(f, "{sign}0.{zeros}{digits}")
        }
    }
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/// How a limit judges a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The result must be at most the limit (≤).
    Max,
    /// The result must be at least the limit (≥).
    Min,
    /// The result must lie within both limits, inclusive.
    Range,
    /// 不得检出: nothing may be detected at the method's LOD.
    NotDetected,
    /// 阴性/阳性, 符合/不符合: a word, not a number.
    Qualitative,
}

impl LimitKind {
    /// The word used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Max => "max",
            LimitKind::Min => "min",
            LimitKind::Range => "range",
            LimitKind::NotDetected => "not_detected",
            LimitKind::Qualitative => "qualitative",
        }
    }

    /// Reads a kind word, case-insensitively. Also reads the catalogue's
    /// `not_permitted` (an additive not allowed in the food: judged as not detected)
    /// and a sampling plan such as `n5_c2_m_M` (a max limit; the plan itself comes
    /// from [`MicroPlan::from_comparison`]).
    pub fn parse(s: &str) -> Option<LimitKind> {
        let word = s.trim().to_ascii_lowercase();
        match word.as_str() {
            "max" => Some(LimitKind::Max),
            "min" => Some(LimitKind::Min),
            "range" => Some(LimitKind::Range),
            "not_detected" | "not_permitted" => Some(LimitKind::NotDetected),
            "qualitative" => Some(LimitKind::Qualitative),
            _ => MicroPlan::from_comparison(&word).map(|_| LimitKind::Max),
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The limit as copied onto a test when it was assigned.
///
/// A microbiological plan (n, c, m, M) is kind `Max` with `min` = m, `max` = M and
/// `micro` set; a `NotDetected` limit may carry a plan too (drinking-water
/// coliforms: n = 5, c = 0, every unit not detected).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub kind: LimitKind,
    /// Min, Range; for a microbiological plan: m.
    pub min: Option<Dec>,
    /// Max, Range; for a microbiological plan: M.
    pub max: Option<Dec>,
    /// e.g. "mg/kg", "μg/kg", "g/100g", "CFU/g", "%", "" for qualitative.
    pub unit: String,
    /// The method's limit of detection, in `unit`; the default for "not detected".
    pub lod: Option<Dec>,
    pub micro: Option<MicroPlan>,
}

/// A microbiological sampling plan: n units tested; at most c may exceed m; none may exceed M.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MicroPlan {
    pub n: u32,
    pub c: u32,
}

impl MicroPlan {
    /// Reads the catalogue's comparison word for a plan: "n5_c2_m_M" → n = 5, c = 2.
    pub fn from_comparison(s: &str) -> Option<MicroPlan> {
        let word = s.trim().to_ascii_lowercase();
        let body = word.strip_prefix('n')?.strip_suffix("_m_m")?;
        let (n, c) = body.split_once("_c")?;
        let number = |t: &str| {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u32>().ok())
                .flatten()
        };
        Some(MicroPlan {
            n: number(n)?,
            c: number(c)?,
        })
    }
}

/// Why a limit cannot judge anything. The English text is what
/// [`ResultError::BadLimit`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitProblem {
    NoMax,
    NoMin,
    NoRange,
    RangeReversed,
    NoPlanBounds,
    PlanReversed,
    PlanWithoutUnits,
    PlanCAboveN,
    PlanOnWrongKind,
    NegativeValue,
}

impl LimitProblem {
    const ALL: [LimitProblem; 10] = [
        LimitProblem::NoMax,
        LimitProblem::NoMin,
        LimitProblem::NoRange,
        LimitProblem::RangeReversed,
        LimitProblem::NoPlanBounds,
        LimitProblem::PlanReversed,
        LimitProblem::PlanWithoutUnits,
        LimitProblem::PlanCAboveN,
        LimitProblem::PlanOnWrongKind,
        LimitProblem::NegativeValue,
    ];

    fn en(self) -> &'static str {
        match self {
            LimitProblem::NoMax => "a max limit needs its maximum",
            LimitProblem::NoMin => "a min limit needs its minimum",
            LimitProblem::NoRange => "a range limit needs its minimum and maximum",
            LimitProblem::RangeReversed => "the range minimum is above its maximum",
            LimitProblem::NoPlanBounds => "a sampling plan needs m (minimum) and M (maximum)",
            LimitProblem::PlanReversed => "the sampling plan's m is above its M",
            LimitProblem::PlanWithoutUnits => "a sampling plan needs at least one unit (n ≥ 1)",
            LimitProblem::PlanCAboveN => "a sampling plan's c cannot exceed n",
            LimitProblem::PlanOnWrongKind => {
                "a sampling plan applies only to max and not_detected limits"
            }
            LimitProblem::NegativeValue => "limit values and the LOD cannot be negative",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            LimitProblem::NoMax => "最大值限量缺少最大值",
            LimitProblem::NoMin => "最小值限量缺少最小值",
            LimitProblem::NoRange => "范围限量缺少最小值或最大值",
            LimitProblem::RangeReversed => "范围限量的最小值大于最大值",
            LimitProblem::NoPlanBounds => "采样方案缺少 m（最小值）或 M（最大值）",
            LimitProblem::PlanReversed => "采样方案的 m 大于 M",
            LimitProblem::PlanWithoutUnits => "采样方案至少需要一个样品单元（n ≥ 1）",
            LimitProblem::PlanCAboveN => "采样方案的 c 不能大于 n",
            LimitProblem::PlanOnWrongKind => "采样方案只适用于最大值限量和不得检出限量",
            LimitProblem::NegativeValue => "限量值和检出限不能为负",
        }
    }

    fn error(self) -> ResultError {
        ResultError::BadLimit(self.en().to_string())
    }
}

/// The acceptance region [lo, hi] (hi None = no upper end) of a max, min or
/// range limit, after checking the limit is complete.
fn checked_region(limit: &Limit) -> Result<(Dec, Option<Dec>), ResultError> {
    let values = [limit.min, limit.max, limit.lod];
    if values.iter().flatten().any(Dec::is_negative) {
        return Err(LimitProblem::NegativeValue.error());
    }
    if let Some(plan) = limit.micro {
        if plan.n == 0 {
            return Err(LimitProblem::PlanWithoutUnits.error());
        }
        if plan.c > plan.n {
            return Err(LimitProblem::PlanCAboveN.error());
        }
        match limit.kind {
            LimitKind::Max => {
                let (Some(m), Some(big_m)) = (limit.min, limit.max) else {
                    return Err(LimitProblem::NoPlanBounds.error());
                };
                if m > big_m {
                    return Err(LimitProblem::PlanReversed.error());
                }
                return Ok((m, Some(big_m)));
            }
            LimitKind::NotDetected => return Ok((Dec::ZERO, None)),
            _ => return Err(LimitProblem::PlanOnWrongKind.error()),
        }
    }
    match limit.kind {
        LimitKind::Max => limit
            .max
            .map(|max| (Dec::ZERO, Some(max)))
            .ok_or_else(|| LimitProblem::NoMax.error()),
        LimitKind::Min => limit
            .min
            .map(|min| (min, None))
            .ok_or_else(|| LimitProblem::NoMin.error()),
        LimitKind::Range => match (limit.min, limit.max) {
            (Some(min), Some(max)) if min <= max => Ok((min, Some(max))),
            (Some(_), Some(_)) => Err(LimitProblem::RangeReversed.error()),
            _ => Err(LimitProblem::NoRange.error()),
        },
        LimitKind::NotDetected | LimitKind::Qualitative => Ok((Dec::ZERO, None)),
    }
}

// ---------------------------------------------------------------------------
// Readings
// ---------------------------------------------------------------------------

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
    fn name(&self) -> &'static str {
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

const ND_WORDS: [&str; 5] = ["not detected", "n.d.", "n.d", "nd", "未检出"];
const BELOW_LOD_WORDS: [&str; 2] = ["低于检出限", "小于检出限"];
const LOD_WORDS: [&str; 2] = ["lod", "检出限"];
const NEGATIVE_WORDS: [&str; 9] = [
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
const POSITIVE_WORDS: [&str; 10] = [
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
const COUNT_SEPARATORS: [char; 4] = [';', '、', '/', ','];

/// Why one piece of text is not a reading.
enum Unread {
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

fn representative(reading: &Reading) -> Option<Dec> {
    match reading {
        Reading::Number(v) | Reading::LessThan(v) => Some(*v),
        Reading::Counts(units) => units.iter().filter_map(representative).max(),
        _ => None,
    }
}

/// Folds full-width forms to ASCII, the minus sign to '-', superscript exponents
/// to "^…", lower-cases, collapses whitespace, and joins "1.2 × 10 ^ 3" into one
/// token.
fn normalise_text(text: &str) -> String {
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

fn superscript(ch: char) -> Option<char> {
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
fn tighten_powers(chars: &[char]) -> String {
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
fn read_single(s: &str, comma_decimal: bool) -> Result<Reading, Unread> {
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
fn read_bound(s: &str, comma_decimal: bool) -> Result<Reading, Unread> {
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
fn read_not_detected_with_bound(s: &str, comma_decimal: bool) -> Option<Result<Reading, Unread>> {
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
fn read_counts(s: &str, original: &str) -> Result<Reading, ResultError> {
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
fn parse_number(s: &str, comma_decimal: bool) -> Option<Dec> {
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
fn parse_power_of_ten(s: &str) -> Option<i32> {
    let rest = s.strip_prefix("10")?;
    if rest.is_empty() {
        return Some(1);
    }
    let exponent = parse_exponent(rest.strip_prefix('^')?)?;
    i32::try_from(exponent).ok()
}

/// A decimal with '.' or, when allowed and unambiguous, ',' as the decimal mark.
fn parse_plain(s: &str, comma_decimal: bool) -> Option<Dec> {
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

// ---------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    MassFraction,
    MassConcentration,
}

/// A convertible unit as (dimension, power of ten relative to mg/kg or mg/L).
fn unit_factor(unit: &str) -> Option<(Dimension, i32)> {
    use Dimension::{MassConcentration as V, MassFraction as M};
    Some(match unit {
        "g/kg" | "mg/g" => (M, 3),
        "mg/kg" | "ug/g" => (M, 0),
        "ug/kg" | "ng/g" => (M, -3),
        "ng/kg" => (M, -6),
        "%" | "g/100g" => (M, 4),
        "mg/100g" => (M, 1),
        "g/l" | "mg/ml" => (V, 3),
        "mg/l" | "ug/ml" => (V, 0),
        "ug/l" | "ng/ml" => (V, -3),
        "ng/l" => (V, -6),
        "g/100ml" => (V, 4),
        "mg/100ml" => (V, 1),
        _ => return None,
    })
}

/// Full-width folded, micro signs as 'u', lower case, no spaces.
fn normalise_unit(unit: &str) -> String {
    unit.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{00B5}' | '\u{03BC}' => 'u',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The unit itself and, for "x/g(ml)", also "x/g" and "x/ml".
fn unit_alternatives(unit: String) -> Vec<String> {
    let mut all = Vec::with_capacity(3);
    if let Some((head, inner)) = unit
        .strip_suffix(')')
        .and_then(|u| u.rsplit_once('('))
        .filter(|(head, inner)| head.contains('/') && !inner.is_empty())
    {
        let numerator = head.rsplit_once('/').map_or("", |(n, _)| n);
        all.push(head.to_string());
        all.push(format!("{numerator}/{inner}"));
    }
    all.insert(0, unit);
    all
}

/// Converts `value` from unit `from` to unit `to` exactly, or None if they do not convert.
///
/// The same unit after normalising ("µg/kg" (micro sign) = "μg/kg" (Greek mu) =
/// "ug/kg"; case-insensitive; spaces and full-width forms ignored) is unchanged,
/// whatever the unit ("°T", "%vol"). Mass fractions convert among themselves: g/kg,
/// mg/g, mg/kg, μg/g, μg/kg, ng/g, ng/kg, % = g/100g (= 10 g/kg), mg/100g; so do
/// mass concentrations: g/L = mg/mL, mg/L = μg/mL, μg/L, ng/L, g/100mL, mg/100mL.
/// Count units (CFU/g, CFU/mL, MPN/g, MPN/100mL) convert only to themselves;
/// "CFU/g(mL)" equals "CFU/g" and "CFU/mL". None also when the value would overflow.
pub fn convert(value: Dec, from: &str, to: &str) -> Option<Dec> {
    let froms = unit_alternatives(normalise_unit(from));
    let tos = unit_alternatives(normalise_unit(to));
    if froms.iter().any(|f| tos.contains(f)) {
        return Some(value);
    }
    froms.iter().find_map(|f| {
        let (dimension_from, power_from) = unit_factor(f)?;
        tos.iter().find_map(|t| {
            let (dimension_to, power_to) = unit_factor(t)?;
            (dimension_from == dimension_to)
                .then(|| value.mul_pow10(power_from - power_to))
                .flatten()
        })
    })
}

/// Converts the numbers of a result into the limit's unit.
struct Units<'a> {
    /// None: the result is already in the limit's unit.
    from: Option<&'a str>,
    to: &'a str,
}

impl Units<'_> {
    fn value(&self, value: Dec) -> Result<Dec, ResultError> {
        if value.is_negative() {
            return Err(ResultError::Negative);
        }
        match self.from {
            None => Ok(value),
            Some(from) => convert(value, from, self.to).ok_or_else(|| ResultError::Unit {
                from: from.to_string(),
                to: self.to.to_string(),
            }),
        }
    }

    fn reading(&self, reading: &Reading) -> Result<Reading, ResultError> {
        Ok(match reading {
            Reading::Number(v) => Reading::Number(self.value(*v)?),
            Reading::LessThan(v) => Reading::LessThan(self.value(*v)?),
            Reading::Counts(units) => Reading::Counts(
                units
                    .iter()
                    .map(|u| self.reading(u))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }
}

// ---------------------------------------------------------------------------
// Judgment
// ---------------------------------------------------------------------------

/// Pass or fail of one test against its copied limit (单项判定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Judgment {
    Pass,
    Fail,
}

impl Judgment {
    /// The word used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgment::Pass => "pass",
            Judgment::Fail => "fail",
        }
    }
}

impl fmt::Display for Judgment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the true value lies, as far as a reading tells.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// Exactly this value.
    Exactly(Dec),
    /// Somewhere in [0, bound), bound > 0.
    Below(Dec),
}

impl Span {
    fn below(bound: Dec) -> Span {
        if bound.is_zero() {
            Span::Exactly(Dec::ZERO)
        } else {
            Span::Below(bound)
        }
    }

    /// None for words and counts, which carry no value.
    fn of(reading: &Reading, lod: Option<Dec>) -> Option<Span> {
        match reading {
            Reading::Number(v) => Some(Span::Exactly(*v)),
            Reading::LessThan(bound) => Some(Span::below(*bound)),
            // Not detected with no LOD known at all is taken as zero.
            Reading::NotDetected | Reading::BelowLod => {
                Some(lod.map_or(Span::Exactly(Dec::ZERO), Span::below))
            }
            _ => None,
        }
    }

    /// Whether the span lies inside [lo, hi], outside it, or across one end.
    fn against(self, lo: Dec, hi: Option<Dec>) -> Verdict {
        match self {
            Span::Exactly(v) => {
                if v >= lo && hi.is_none_or(|h| v <= h) {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                }
            }
            Span::Below(bound) => {
                if lo.is_zero() && hi.is_none_or(|h| bound <= h) {
                    Verdict::Pass
                } else if bound <= lo {
                    Verdict::Fail
                } else {
                    // The end that lies inside [0, bound).
                    let end = if !lo.is_zero() && lo < bound {
                        lo
                    } else {
                        hi.unwrap_or(lo)
                    };
                    Verdict::Unknown { bound, end }
                }
            }
        }
    }
}

/// The judgment of one value or one unit.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Pass,
    Fail,
    /// The reading's bound lies above a limit end: it could be either side.
    Unknown {
        bound: Dec,
        end: Dec,
    },
}

impl Verdict {
    fn into_judgment(self, unit: &str) -> Result<Judgment, ResultError> {
        match self {
            Verdict::Pass => Ok(Judgment::Pass),
            Verdict::Fail => Ok(Judgment::Fail),
            Verdict::Unknown { bound, end } => Err(cannot_judge(bound, end, unit)),
        }
    }
}

fn cannot_judge(bound: Dec, end: Dec, unit: &str) -> ResultError {
    let with_unit = |v: Dec| {
        if unit.trim().is_empty() {
            v.to_string()
        } else {
            format!("{v} {unit}")
        }
    };
    ResultError::LodAboveLimit {
        lod: with_unit(bound),
        limit: with_unit(end),
    }
}

/// One reading against 不得检出: None if the reading is counts.
fn not_detected_verdict(reading: &Reading, lod: Option<Dec>) -> Option<Verdict> {
    Some(match reading {
        Reading::NotDetected | Reading::BelowLod | Reading::Negative => Verdict::Pass,
        Reading::Positive => Verdict::Fail,
        Reading::LessThan(bound) => match lod {
            Some(lod) if *bound > lod => Verdict::Unknown {
                bound: *bound,
                end: lod,
            },
            _ => Verdict::Pass,
        },
        // Below the LOD counts as not detected; with no LOD only zero does.
        Reading::Number(v) if v.is_zero() || lod.is_some_and(|lod| *v < lod) => Verdict::Pass,
        Reading::Number(_) => Verdict::Fail,
        Reading::Counts(_) => return None,
    })
}

/// Judges a parsed result against the limit. `result_unit` is the unit the technician gave
/// (None = the limit's unit). `lod` is the LOD given with the result (None = the limit's LOD).
pub fn judge(
    limit: &Limit,
    result: &ParsedResult,
    result_unit: Option<&str>,
    lod: Option<Dec>,
) -> Result<Judgment, ResultError> {
    let (lo, hi) = checked_region(limit)?;
    let units = Units {
        from: result_unit.filter(|u| !u.trim().is_empty()),
        to: &limit.unit,
    };
    let lod = match lod {
        _ if limit.kind == LimitKind::Qualitative => None,
        Some(given) => Some(units.value(given)?),
        None => limit.lod,
    };
    let reading = units.reading(&result.reading)?;
    let mismatch = |r: &Reading| ResultError::Mismatch {
        kind: limit.kind.as_str(),
        reading: r.name(),
    };
    if let Some(plan) = limit.micro {
        return judge_plan(limit, plan, &reading, lod, (lo, hi));
    }
    match limit.kind {
        LimitKind::Max | LimitKind::Min | LimitKind::Range => Span::of(&reading, lod)
            .ok_or_else(|| mismatch(&reading))?
            .against(lo, hi)
            .into_judgment(&limit.unit),
        LimitKind::NotDetected => not_detected_verdict(&reading, lod)
            .ok_or_else(|| mismatch(&reading))?
            .into_judgment(&limit.unit),
        LimitKind::Qualitative => match reading {
            Reading::Negative | Reading::NotDetected | Reading::BelowLod => Ok(Judgment::Pass),
            Reading::Positive => Ok(Judgment::Fail),
            _ => Err(mismatch(&reading)),
        },
    }
}

/// What one unit of a sampling plan contributes.
#[derive(Debug, Clone, Copy)]
enum UnitClass {
    /// At most m (or not detected).
    Within,
    /// Above m, at most M (or detected): counts against c.
    Over,
    /// Above M: the plan fails.
    Reject,
    /// Could be within or over, never a reject.
    MaybeOver { bound: Dec, end: Dec },
    /// Could be a reject.
    Unknown { bound: Dec, end: Dec },
}

fn judge_plan(
    limit: &Limit,
    plan: MicroPlan,
    reading: &Reading,
    lod: Option<Dec>,
    (m, big_m): (Dec, Option<Dec>),
) -> Result<Judgment, ResultError> {
    let mismatch = |r: &Reading| ResultError::Mismatch {
        kind: limit.kind.as_str(),
        reading: r.name(),
    };
    // Each distinct reading with how many units it speaks for.
    let units: Vec<(&Reading, u64)> = match reading {
        Reading::Counts(units) if units.len() == plan.n as usize => {
            units.iter().map(|u| (u, 1)).collect()
        }
        Reading::Counts(units) => {
            return Err(ResultError::WrongCount {
                expected: plan.n,
                got: units.len(),
            })
        }
        Reading::Number(_) | Reading::LessThan(_) if plan.n == 1 => vec![(reading, 1)],
        Reading::Number(_) | Reading::LessThan(_) => {
            return Err(ResultError::WrongCount {
                expected: plan.n,
                got: 1,
            })
        }
        // A word speaks for every unit.
        _ => vec![(reading, u64::from(plan.n))],
    };
    let classify = |unit: &Reading| -> Result<UnitClass, ResultError> {
        if limit.kind == LimitKind::NotDetected {
            return Ok(
                match not_detected_verdict(unit, lod).ok_or_else(|| mismatch(unit))? {
                    Verdict::Pass => UnitClass::Within,
                    Verdict::Fail => UnitClass::Over,
                    Verdict::Unknown { bound, end } => UnitClass::MaybeOver { bound, end },
                },
            );
        }
        let big_m = big_m.ok_or_else(|| LimitProblem::NoPlanBounds.error())?;
        Ok(match Span::of(unit, lod).ok_or_else(|| mismatch(unit))? {
            Span::Exactly(v) if v <= m => UnitClass::Within,
            Span::Exactly(v) if v <= big_m => UnitClass::Over,
            Span::Exactly(_) => UnitClass::Reject,
            Span::Below(bound) if bound <= m => UnitClass::Within,
            Span::Below(bound) if bound <= big_m => UnitClass::MaybeOver { bound, end: m },
            Span::Below(bound) => UnitClass::Unknown { bound, end: big_m },
        })
    };
    let (mut over, mut maybe, mut rejected) = (0u64, 0u64, false);
    let mut undecided: Option<(Dec, Dec)> = None;
    let mut unknown = false;
    for (unit, times) in units {
        match classify(unit)? {
            UnitClass::Within => {}
            UnitClass::Over => over += times,
            UnitClass::Reject => rejected = true,
            UnitClass::MaybeOver { bound, end } => {
                maybe += times;
                undecided.get_or_insert((bound, end));
            }
            UnitClass::Unknown { bound, end } => {
                unknown = true;
                undecided = Some((bound, end));
            }
        }
    }
    let c = u64::from(plan.c);
    if rejected || over > c {
        return Ok(Judgment::Fail);
    }
    if !unknown && over + maybe <= c {
        return Ok(Judgment::Pass);
    }
    let (bound, end) = undecided.unwrap_or((Dec::ZERO, m));
    Err(cannot_judge(bound, end, &limit.unit))
}

/// Both at once: parse, then judge. Returns the parsed result and the judgment.
pub fn read_and_judge(
    text: &str,
    unit: Option<&str>,
    lod: Option<Dec>,
    limit: &Limit,
) -> Result<(ParsedResult, Judgment), ResultError> {
    let parsed = parse_result(text, limit)?;
    let judgment = judge(limit, &parsed, unit, lod)?;
    Ok((parsed, judgment))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    /// Builds a limit from a short description:
    /// "max 0.2 mg/kg", "min 2.9 g/100g", "range 12 18 °T", "nd μg/kg",
    /// "qual", "plan 5 2 5000 50000 CFU/mL", "ndplan 5 0 CFU/250mL";
    /// any of them may end in "lod 0.5".
    fn limit(description: &str) -> Limit {
        let mut words: Vec<&str> = description.split(' ').collect();
        let mut lod = None;
        if let Some(i) = words.iter().position(|w| *w == "lod") {
            lod = Some(d(words[i + 1]));
            words.truncate(i);
        }
        let unit = |i: usize| words.get(i).map_or(String::new(), |u| (*u).to_string());
        let base = Limit {
            kind: LimitKind::Max,
            min: None,
            max: None,
            unit: String::new(),
            lod,
            micro: None,
        };
        match words[0] {
            "max" => Limit {
                max: Some(d(words[1])),
                unit: unit(2),
                ..base
            },
            "min" => Limit {
                kind: LimitKind::Min,
                min: Some(d(words[1])),
                unit: unit(2),
                ..base
            },
            "range" => Limit {
                kind: LimitKind::Range,
                min: Some(d(words[1])),
                max: Some(d(words[2])),
                unit: unit(3),
                ..base
            },
            "nd" => Limit {
                kind: LimitKind::NotDetected,
                unit: unit(1),
                ..base
            },
            "qual" => Limit {
                kind: LimitKind::Qualitative,
                ..base
            },
            "plan" => Limit {
                min: Some(d(words[3])),
                max: Some(d(words[4])),
                unit: unit(5),
                micro: Some(MicroPlan {
                    n: words[1].parse().unwrap(),
                    c: words[2].parse().unwrap(),
                }),
                ..base
            },
            "ndplan" => Limit {
                kind: LimitKind::NotDetected,
                unit: unit(3),
                micro: Some(MicroPlan {
                    n: words[1].parse().unwrap(),
                    c: words[2].parse().unwrap(),
                }),
                ..base
            },
            "nomax" => base,
            "badrange" => Limit {
                kind: LimitKind::Range,
                min: Some(d("18")),
                max: Some(d("12")),
                ..base
            },
            other => panic!("unknown limit description {other}"),
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Pass,
        Fail,
        Err(&'static str),
    }
    use Want::{Err as E, Fail as F, Pass as P};

    struct Case {
        limit: &'static str,
        text: String,
        unit: Option<&'static str>,
        lod: Option<&'static str>,
        want: Want,
    }

    fn c(
        limit: &'static str,
        text: impl Into<String>,
        unit: Option<&'static str>,
        lod: Option<&'static str>,
        want: Want,
    ) -> Case {
        Case {
            limit,
            text: text.into(),
            unit,
            lod,
            want,
        }
    }

    fn error_kind(e: &ResultError) -> &'static str {
        match e {
            ResultError::Empty => "Empty",
            ResultError::TooLong(_) => "TooLong",
            ResultError::Unreadable(_) => "Unreadable",
            ResultError::Negative => "Negative",
            ResultError::WrongCount { .. } => "WrongCount",
            ResultError::Unit { .. } => "Unit",
            ResultError::LodAboveLimit { .. } => "LodAboveLimit",
            ResultError::BadLimit(_) => "BadLimit",
            ResultError::Mismatch { .. } => "Mismatch",
        }
    }

    const MAX_PB: &str = "max 0.2 mg/kg";
    const MIN_PROTEIN: &str = "min 2.9 g/100g";
    const RANGE_ACIDITY: &str = "range 12 18 °T";
    const ND_DRUG: &str = "nd μg/kg lod 0.5";
    const ND_NO_LOD: &str = "nd μg/kg";
    const QUAL: &str = "qual";
    const PLAN: &str = "plan 5 2 5000 50000 CFU/mL";
    const WATER: &str = "ndplan 5 0 CFU/250mL";

    fn cases() -> Vec<Case> {
        let u = Some;
        vec![
            // Max: at, under, over the limit; exact decimals.
            c(MAX_PB, "0.2", None, None, P),
            c(MAX_PB, "0.200", None, None, P),
            c(MAX_PB, "0.19", None, None, P),
            c(MAX_PB, "0.2000001", None, None, F),
            c(MAX_PB, "0.21", None, None, F),
            c(MAX_PB, "0", None, None, P),
            c(MAX_PB, " 0.2 ", None, None, P),
            // Max with unit conversion (μ, µ, u spellings).
            c(MAX_PB, "200", u("μg/kg"), None, P),
            c(MAX_PB, "201", u("μg/kg"), None, F),
            c(MAX_PB, "200", u("µg/kg"), None, P),
            c(MAX_PB, "200.0001", u("ug/kg"), None, F),
            c(MAX_PB, "0.2", u("MG / KG"), None, P),
            c(MAX_PB, "0.2", u(""), None, P),
            c("max 10 μg/kg", "0.01", u("mg/kg"), None, P),
            c("max 10 μg/kg", "0.0101", u("mg/kg"), None, F),
            c("max 10 µg/kg", "10", u("ug/kg"), None, P),
            c("max 0.25 g/100g", "2.5", u("g/kg"), None, P),
            c("max 0.25 g/100g", "2.6", u("g/kg"), None, F),
            c("max 2.5 g/kg", "0.25", u("g/100g"), None, P),
            c("max 2.5 g/kg", "0.26", u("%"), None, F),
            c("max 2500 mg/kg", "0.25", u("%"), None, P),
            c("max 0.25 %", "2500", u("mg/kg"), None, P),
            c("max 0.25 %", "2501", u("mg/kg"), None, F),
            c("max 1.0 g/kg", "1000", u("mg/kg"), None, P),
            c("max 15 mg/100g", "150", u("mg/kg"), None, P),
            c("max 0.6 g/L", "600", u("mg/L"), None, P),
            c("max 0.6 g/L", "0.601", u("mg/mL"), None, F),
            c("max 0.05 mg/L", "50", u("μg/L"), None, P),
            c(MAX_PB, "0.2", u("mg/L"), None, E("Unit")),
            c(MAX_PB, "0.2", u("CFU/g"), None, E("Unit")),
            // Max against "<", "<LOD", "ND".
            c(MAX_PB, "<0.01", None, None, P),
            c(MAX_PB, "< 0.01", None, None, P),
            c(MAX_PB, "＜0.01", None, None, P),
            c(MAX_PB, "<0.2", None, None, P),
            c(MAX_PB, "<0.3", None, None, E("LodAboveLimit")),
            c(MAX_PB, "<LOD", None, u("0.01"), P),
            c(MAX_PB, "<lod", None, None, P),
            c("max 0.2 mg/kg lod 0.01", "<检出限", None, None, P),
            c(MAX_PB, "低于检出限", None, u("0.5"), E("LodAboveLimit")),
            c(MAX_PB, "<LOD", u("μg/kg"), u("10"), P),
            c(MAX_PB, "ND", None, None, P),
            c(MAX_PB, "未检出", None, u("-0.1"), E("Negative")),
            c(MAX_PB, "阴性", None, None, E("Mismatch")),
            // Comma decimals, scientific notation, full-width digits.
            c(MAX_PB, "0,05", None, None, P),
            c(MAX_PB, "0,25", None, None, F),
            c(MAX_PB, "1,000", None, None, E("Unreadable")),
            c(MAX_PB, "2E-1", None, None, P),
            c(MAX_PB, "2.1e-1", None, None, F),
            c(MAX_PB, "1.5×10^-1", None, None, P),
            c(MAX_PB, "2 x 10⁻¹", None, None, P),
            c(MAX_PB, "2.01*10^-1", None, None, F),
            c(MAX_PB, "０.２", None, None, P),
            c(MAX_PB, "０．２１", None, None, F),
            // Unreadable and hostile texts.
            c(MAX_PB, "abc", None, None, E("Unreadable")),
            c(MAX_PB, "--", None, None, E("Unreadable")),
            c(MAX_PB, "-", None, None, E("Unreadable")),
            c(MAX_PB, "1..2", None, None, E("Unreadable")),
            c(MAX_PB, "1 2", None, None, E("Unreadable")),
            c(MAX_PB, "", None, None, E("Empty")),
            c(MAX_PB, " \u{3000} ", None, None, E("Empty")),
            c(MAX_PB, "1".repeat(1 << 20), None, None, E("TooLong")),
            c(MAX_PB, "NaN", None, None, E("Unreadable")),
            c(MAX_PB, "inf", None, None, E("Unreadable")),
            c(MAX_PB, "1e309", None, None, E("Unreadable")),
            c(MAX_PB, "1×10^31", None, None, E("Unreadable")),
            c(MAX_PB, "<0", None, None, E("Unreadable")),
            c(MAX_PB, "-0.5", None, None, E("Negative")),
            c(MAX_PB, "−0.5", None, None, E("Negative")),
            c(MAX_PB, "<-1", None, None, E("Negative")),
            c(MAX_PB, "0.2mg/kg", None, None, E("Unreadable")),
            // Min.
            c(MIN_PROTEIN, "2.9", None, None, P),
            c(MIN_PROTEIN, "2.89", None, None, F),
            c(MIN_PROTEIN, "3.0", None, None, P),
            c(MIN_PROTEIN, "29", u("g/kg"), None, P),
            c(MIN_PROTEIN, "28.99", u("g/kg"), None, F),
            c(MIN_PROTEIN, "<0.5", None, None, F),
            c(MIN_PROTEIN, "未检出", None, None, F),
            c(MIN_PROTEIN, "<5", None, None, E("LodAboveLimit")),
            c(MIN_PROTEIN, "合格", None, None, E("Mismatch")),
            c("min 0.4 g/100mL", "4", u("g/L"), None, P),
            // Range, both ends inclusive.
            c(RANGE_ACIDITY, "12", None, None, P),
            c(RANGE_ACIDITY, "18", None, None, P),
            c(RANGE_ACIDITY, "15", u("°t"), None, P),
            c(RANGE_ACIDITY, "11.99", None, None, F),
            c(RANGE_ACIDITY, "18.01", None, None, F),
            c(RANGE_ACIDITY, "ND", None, None, F),
            c(RANGE_ACIDITY, "<5", None, None, F),
            c(RANGE_ACIDITY, "<13", None, None, E("LodAboveLimit")),
            c("range 0 18 °T", "<13", None, None, P),
            c("range 0 18 °T", "<19", None, None, E("LodAboveLimit")),
            c("badrange", "15", None, None, E("BadLimit")),
            c("nomax", "0.1", None, None, E("BadLimit")),
            // Not detected (不得检出).
            c(ND_DRUG, "未检出", None, None, P),
            c(ND_DRUG, "ND", None, None, P),
            c(ND_DRUG, "N.D.", None, None, P),
            c(ND_DRUG, "n.d", None, None, P),
            c(ND_DRUG, "not detected", None, None, P),
            c(ND_DRUG, "Not  Detected", None, None, P),
            c(ND_DRUG, "<LOD", None, None, P),
            c(ND_DRUG, "<0.5", None, None, P),
            c(ND_DRUG, "<0.3", None, None, P),
            c(ND_DRUG, "<1", None, None, E("LodAboveLimit")),
            c(ND_DRUG, "未检出(<0.5)", None, None, P),
            c(ND_DRUG, "未检出（<1）", None, None, E("LodAboveLimit")),
            c(ND_DRUG, "ND (检出限: 0.2)", None, None, P),
            c(ND_DRUG, "0.49", None, None, P),
            c(ND_DRUG, "0.5", None, None, F),
            c(ND_DRUG, "1.2", None, None, F),
            c(ND_DRUG, "0", None, None, P),
            c(ND_DRUG, "0.4", None, u("0.3"), F),
            c(ND_DRUG, "0.0004", u("mg/kg"), u("0.0005"), P),
            c(ND_DRUG, "0.0005", u("mg/kg"), None, F),
            c(ND_DRUG, "阴性", None, None, P),
            c(ND_DRUG, "阳性", None, None, F),
            c(ND_DRUG, "检出", None, None, F),
            c(ND_NO_LOD, "0", None, None, P),
            c(ND_NO_LOD, "0.001", None, None, F),
            c(ND_NO_LOD, "<0.1", None, None, P),
            c(ND_NO_LOD, "未检出", None, None, P),
            c(ND_NO_LOD, "10;20", None, None, E("Unreadable")),
            // Qualitative, both languages, both ways.
            c(QUAL, "阴性", None, None, P),
            c(QUAL, "negative", None, None, P),
            c(QUAL, "Negative", None, None, P),
            c(QUAL, "符合", None, None, P),
            c(QUAL, "符合要求", None, None, P),
            c(QUAL, "合格", None, None, P),
            c(QUAL, "符合规定", None, None, P),
            c(QUAL, "未检出", None, None, P),
            c(QUAL, "阳性", None, None, F),
            c(QUAL, "POSITIVE", None, None, F),
            c(QUAL, "不符合", None, None, F),
            c(QUAL, "不合格", None, None, F),
            c(QUAL, "不符合规定", None, None, F),
            c(QUAL, "检出", None, None, F),
            c(QUAL, "0.5", None, None, E("Mismatch")),
            c(QUAL, "<0.5", None, None, E("Mismatch")),
            c(QUAL, "阴性", u("mg/kg"), u("0.1"), P),
            // Sampling plan n=5, c=2, m=5000, M=50000.
            c(PLAN, "100;200;300;400;500", None, None, P),
            c(PLAN, "6000;7000;100;200;300", None, None, P),
            c(PLAN, "6000;7000;8000;200;300", None, None, F),
            c(PLAN, "60000;100;100;100;100", None, None, F),
            c(PLAN, "50000;50000;100;100;100", None, None, P),
            c(PLAN, "5000;5000;5000;5000;5000", None, None, P),
            c(PLAN, "100;200;300;400", None, None, E("WrongCount")),
            c(PLAN, "100;200;300;400;500;600", None, None, E("WrongCount")),
            c(PLAN, "100", None, None, E("WrongCount")),
            c(PLAN, "<10", None, None, E("WrongCount")),
            c(PLAN, "<10;<10;<10;<10;<10", None, None, P),
            c(PLAN, "<10、20、30、40、50", None, None, P),
            c(PLAN, "10 20 30 40 50", None, None, P),
            c(PLAN, "10,20,30,40,50", None, None, P),
            c(PLAN, "10，20；30 ;40/50;", None, None, P),
            c(PLAN, "1.2×10^4;5.5×10³;100;<10;未检出", None, None, P),
            c(
                PLAN,
                "1.2 × 10^4 ; 5.5×10³; 6x10^3; <10; 未检出",
                None,
                None,
                F,
            ),
            c(PLAN, "5.1E4;1;1;1;1", None, None, F),
            c(PLAN, "未检出", None, None, P),
            c(PLAN, "阴性", None, None, E("Mismatch")),
            c(PLAN, "10;20;abc;40;50", None, None, E("Unreadable")),
            c(PLAN, "10;20;-3;40;50", None, None, E("Negative")),
            c(PLAN, "<6000;100;100;100;100", None, None, P),
            c(
                PLAN,
                "<6000;<6000;<6000;100;100",
                None,
                None,
                E("LodAboveLimit"),
            ),
            c(
                PLAN,
                "<6000;6000;6000;100;100",
                None,
                None,
                E("LodAboveLimit"),
            ),
            c(PLAN, "<6000;6000;6000;6000;100", None, None, F),
            c(
                PLAN,
                "<60000;100;100;100;100",
                None,
                None,
                E("LodAboveLimit"),
            ),
            c("plan 5 2 5 50 CFU/g", "<10;1;1;1;1", None, None, P),
            c(
                "plan 5 0 5 50 CFU/g",
                "<10;1;1;1;1",
                None,
                None,
                E("LodAboveLimit"),
            ),
            c(PLAN, "10;20;30;40;50", u("CFU/g"), None, E("Unit")),
            c(
                "plan 5 2 50000 100000 CFU/g(mL)",
                "1;2;3;4;5",
                u("CFU/g"),
                None,
                P,
            ),
            c(
                "plan 5 2 50000 100000 CFU/g(mL)",
                "1;2;3;4;5",
                u("CFU/mL"),
                None,
                P,
            ),
            c("plan 1 0 100 1000 CFU/g", "150", None, None, F),
            // Not-detected plan: drinking-water coliforms, n=5, c=0.
            c(WATER, "未检出;未检出;未检出;未检出;未检出", None, None, P),
            c(WATER, "未检出", None, None, P),
            c(WATER, "ND ND ND ND ND", None, None, P),
            c(WATER, "0;0;0;0;0", None, None, P),
            c(WATER, "未检出;未检出;1;未检出;未检出", None, None, F),
            c(WATER, "阳性", None, None, F),
            c(WATER, "未检出;未检出", None, None, E("WrongCount")),
            c(WATER, "0", None, None, E("WrongCount")),
        ]
    }

    #[test]
    fn every_case_in_the_table_is_judged_as_expected() {
        let cases = cases();
        assert!(cases.len() >= 60, "only {} cases", cases.len());
        let mut wrong = Vec::new();
        for case in &cases {
            let lim = limit(case.limit);
            let lod = case.lod.map(d);
            let got = match read_and_judge(&case.text, case.unit, lod, &lim) {
                Ok((_, Judgment::Pass)) => P,
                Ok((_, Judgment::Fail)) => F,
                Err(e) => E(error_kind(&e)),
            };
            if got != case.want {
                let shown: String = case.text.chars().take(40).collect();
                wrong.push(format!(
                    "{} | {shown:?} | unit {:?} | lod {:?}: want {:?}, got {got:?}",
                    case.limit, case.unit, case.lod, case.want
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} cases wrong:\n{}",
            wrong.len(),
            cases.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn the_text_is_kept_exactly_as_entered() {
        let lim = limit(MAX_PB);
        for text in [
            "0.050",
            " 0.050 ",
            "0,050",
            "＜0.01",
            "N.D.",
            "1.2×10³",
            "未检出(<0.01)",
        ] {
            let parsed = parse_result(text, &lim).unwrap();
            assert_eq!(parsed.text, text);
        }
        let parsed = parse_result("0.050", &lim).unwrap();
        assert_eq!(parsed.reading, Reading::Number(d("0.05")));
        assert_eq!(parsed.number, Some(d("0.05")));
        assert_eq!(parsed.number.unwrap().to_string(), "0.05");
    }

    #[test]
    fn readings_have_the_expected_shape() {
        let lim = limit(MAX_PB);
        let read = |t: &str| parse_result(t, &lim).unwrap();
        assert_eq!(read("<LOD").reading, Reading::BelowLod);
        assert_eq!(read("<LOD").number, None);
        assert_eq!(read("＜0.01").reading, Reading::LessThan(d("0.01")));
        assert_eq!(read("＜0.01").number, Some(d("0.01")));
        assert_eq!(read("未检出(<0.01)").reading, Reading::LessThan(d("0.01")));
        assert_eq!(read("未检出(<LOD)").reading, Reading::BelowLod);
        assert_eq!(read("n.d.").reading, Reading::NotDetected);
        assert_eq!(read("1.2×10³").reading, Reading::Number(d("1200")));
        assert_eq!(read("1.2X10^-3").reading, Reading::Number(d("0.0012")));
        assert_eq!(read("10^3").reading, Reading::Number(d("1000")));
        assert_eq!(read("符合规定").reading, Reading::Negative);
        assert_eq!(read("不符合规定").reading, Reading::Positive);
        let plan = limit(PLAN);
        let counts = parse_result("<10; 2.5×10^3; 未检出; 40; 7", &plan).unwrap();
        assert_eq!(
            counts.reading,
            Reading::Counts(vec![
                Reading::LessThan(d("10")),
                Reading::Number(d("2500")),
                Reading::NotDetected,
                Reading::Number(d("40")),
                Reading::Number(d("7")),
            ])
        );
        assert_eq!(counts.number, Some(d("2500")));
        // With a plan, a comma separates counts; without, it is a decimal mark.
        assert_eq!(
            parse_result("0,5", &plan).unwrap().reading,
            Reading::Counts(vec![Reading::Number(Dec::ZERO), Reading::Number(d("5"))])
        );
        assert_eq!(read("0,5").reading, Reading::Number(d("0.5")));
    }

    #[test]
    fn decimals_are_parsed_and_compared_exactly() {
        assert_eq!(d("0.3"), d("0.30"));
        assert_eq!(d("1e-3"), d("0.001"));
        assert_eq!(d("2E4"), d("20000"));
        assert_eq!(d("1.5e-3"), d("0.0015"));
        assert_eq!(d("-0"), Dec::ZERO);
        assert_eq!(d("000.000"), Dec::ZERO);
        assert_eq!(d(".5"), d("0.5"));
        assert_eq!(d("+7"), d("7"));
        // The float pitfall does not arise: 0.1 + 0.2 as floats is not 0.3.
        assert_ne!(d("0.30000000000000004"), d("0.3"));
        assert_eq!(
            d("0.30000000000000004").cmp_exact(&d("0.3")),
            Ordering::Greater
        );
        assert_eq!(d("0.2").cmp_exact(&d("0.2000001")), Ordering::Less);
        assert_eq!(d("-1").cmp_exact(&d("-0.5")), Ordering::Less);
        assert_eq!(d("-1").cmp_exact(&d("0")), Ordering::Less);
        assert!(d("1e30") > d("1e-30"));
        assert!(d("170141183460469231731687303715884105727") > d("1e-30"));
        assert!(
            d("0.000000000000000000000000000001") < d("99999999999999999999999999999999999999")
        );
        assert!(d("12") == d("12.000"));
        // Canonical text.
        assert_eq!(d("0.050").to_string(), "0.05");
        assert_eq!(d("2E4").to_string(), "20000");
        assert_eq!(d("1.5e-3").to_string(), "0.0015");
        assert_eq!(d("-12.340").to_string(), "-12.34");
        assert_eq!(d("0").to_string(), "0");
        assert_eq!(d("0.050").to_f64(), 0.05);
        // Exact scaling.
        assert_eq!(d("0.2").mul_pow10(3), Some(d("200")));
        assert_eq!(d("200").mul_pow10(-3), Some(d("0.2")));
        assert_eq!(d("20000").mul_pow10(-2), Some(d("200")));
        assert_eq!(d("1e30").mul_pow10(30), None);
        assert_eq!(Dec::ZERO.mul_pow10(i32::MIN), Some(Dec::ZERO));
        assert_eq!(d("1").mul_pow10(i32::MIN), None);
        assert!(d("-0.5").is_negative());
        assert!(!d("0.5").is_negative());
        // Refused.
        for bad in [
            "",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e31",
            "1e-31",
            "1e309",
            ".",
            "e3",
            "1e",
            "1.2.3",
            "1 ",
            " 1",
            "+-1",
            "0x10",
            "1,5",
            "999999999999999999999999999999999999999999",
        ] {
            assert_eq!(Dec::parse(bad), None, "{bad:?}");
        }
        // Long but small is fine: trailing zeros do not overflow.
        assert_eq!(d(&format!("1.{}", "0".repeat(100))), Dec::ONE);
    }

    #[test]
    fn units_convert_exactly_both_ways() {
        let conv = |v: &str, from: &str, to: &str| convert(d(v), from, to);
        assert_eq!(conv("0.2", "mg/kg", "μg/kg"), Some(d("200")));
        assert_eq!(conv("200", "μg/kg", "mg/kg"), Some(d("0.2")));
        assert_eq!(conv("200", "µg/kg", "mg/kg"), Some(d("0.2")));
        assert_eq!(conv("200", "ug/kg", "mg/kg"), Some(d("0.2")));
        assert_eq!(conv("5", "µg/kg", "μg/kg"), Some(d("5")));
        assert_eq!(conv("0.25", "g/100g", "g/kg"), Some(d("2.5")));
        assert_eq!(conv("2.5", "g/kg", "g/100g"), Some(d("0.25")));
        assert_eq!(conv("1", "%", "mg/kg"), Some(d("10000")));
        assert_eq!(conv("10000", "mg/kg", "%"), Some(d("1")));
        assert_eq!(conv("1", "%", "g/100g"), Some(d("1")));
        assert_eq!(conv("15", "mg/100g", "mg/kg"), Some(d("150")));
        assert_eq!(conv("1", "ng/kg", "g/kg"), Some(d("1e-9")));
        assert_eq!(conv("1", "mg/mL", "g/L"), Some(d("1")));
        assert_eq!(conv("0.05", "mg/L", "μg/L"), Some(d("50")));
        assert_eq!(conv("3", "CFU/g", "cfu/g"), Some(d("3")));
        assert_eq!(conv("3", "MPN/100mL", "MPN/100 mL"), Some(d("3")));
        assert_eq!(conv("3", "CFU/g", "CFU/g(mL)"), Some(d("3")));
        assert_eq!(conv("3", "°T", "°T"), Some(d("3")));
        assert_eq!(conv("3", "ｍｇ／ｋｇ", "mg/kg"), Some(d("3")));
        assert_eq!(conv("3", "CFU/g", "CFU/mL"), None);
        assert_eq!(conv("3", "MPN/g", "CFU/g"), None);
        assert_eq!(conv("3", "mg/kg", "mg/L"), None);
        assert_eq!(conv("3", "%", "g/100mL"), None);
        assert_eq!(conv("3", "mg/kg", ""), None);
        assert_eq!(conv("3", "furlong", "mg/kg"), None);
    }

    #[test]
    fn limit_kinds_and_plans_read_their_words() {
        for kind in [
            LimitKind::Max,
            LimitKind::Min,
            LimitKind::Range,
            LimitKind::NotDetected,
            LimitKind::Qualitative,
        ] {
            assert_eq!(LimitKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            LimitKind::parse("not_permitted"),
            Some(LimitKind::NotDetected)
        );
        assert_eq!(LimitKind::parse("n5_c2_m_M"), Some(LimitKind::Max));
        assert_eq!(LimitKind::parse("maximum"), None);
        assert_eq!(
            MicroPlan::from_comparison("n5_c2_m_M"),
            Some(MicroPlan { n: 5, c: 2 })
        );
        assert_eq!(MicroPlan::from_comparison("n_c2_m_M"), None);
        assert_eq!(Judgment::Pass.as_str(), "pass");
        assert_eq!(Judgment::Fail.as_str(), "fail");
    }

    #[test]
    fn every_error_has_a_chinese_message() {
        let errors = [
            ResultError::Empty,
            ResultError::TooLong(300),
            ResultError::Unreadable("abc".into()),
            ResultError::Negative,
            ResultError::WrongCount {
                expected: 5,
                got: 4,
            },
            ResultError::Unit {
                from: "mg/L".into(),
                to: "mg/kg".into(),
            },
            ResultError::LodAboveLimit {
                lod: "0.5 mg/kg".into(),
                limit: "0.2 mg/kg".into(),
            },
            ResultError::BadLimit(LimitProblem::NoMax.en().into()),
            ResultError::Mismatch {
                kind: "max",
                reading: "a qualitative word",
            },
        ];
        for e in &errors {
            let zh = e.message_zh();
            assert!(
                zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
                "{e}: {zh}"
            );
            assert!(!e.to_string().is_empty());
        }
        for problem in LimitProblem::ALL {
            let zh = problem.error().message_zh();
            assert!(zh.contains(problem.zh()), "{zh}");
        }
    }

    #[test]
    fn odd_texts_never_panic() {
        let pieces = [
            "",
            " ",
            "<",
            "＜",
            "0",
            "1",
            ".",
            ",",
            ";",
            "、",
            "/",
            "-",
            "+",
            "e",
            "E",
            "×",
            "x",
            "*",
            "^",
            "10",
            "³",
            "⁻",
            "(",
            ")",
            "未检出",
            "ND",
            "lod",
            "检出限",
            "阴性",
            "9",
            "\u{0}",
            "é",
            "1e30",
            "99999999999999999999999999999999999999",
        ];
        let limits = [
            MAX_PB,
            MIN_PROTEIN,
            RANGE_ACIDITY,
            ND_DRUG,
            ND_NO_LOD,
            QUAL,
            PLAN,
            WATER,
        ]
        .map(limit);
        let mut seen = 0usize;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}{c}");
                    for lim in &limits {
                        let _ = read_and_judge(&text, None, None, lim);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 0);
    }
}
