//! Limits as copied onto a test (max, min, range, not detected, qualitative and
//! n/c/m/M sampling plans) and the checks that make one usable for judging.

use super::*;

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
pub(super) enum LimitProblem {
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
    pub(super) const ALL: [LimitProblem; 10] = [
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

    pub(super) fn en(self) -> &'static str {
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

    pub(super) fn zh(self) -> &'static str {
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

    pub(super) fn error(self) -> ResultError {
        ResultError::BadLimit(self.en().to_string())
    }
}

/// The acceptance region [lo, hi] (hi None = no upper end) of a max, min or
/// range limit, after checking the limit is complete.
pub(super) fn checked_region(limit: &Limit) -> Result<(Dec, Option<Dec>), ResultError> {
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
