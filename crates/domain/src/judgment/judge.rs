//! Judging a reading against a limit: pass or fail, or why it cannot be judged.

use super::*;

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
pub(super) enum Span {
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
pub(super) enum Verdict {
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

pub(super) fn cannot_judge(bound: Dec, end: Dec, unit: &str) -> ResultError {
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
pub(super) fn not_detected_verdict(reading: &Reading, lod: Option<Dec>) -> Option<Verdict> {
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
pub(super) enum UnitClass {
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

pub(super) fn judge_plan(
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
