//! Whether a step may be recorded on a case now ([`check_event`]) and why not
//! ([`EventError`], with its messages in both languages).

use super::deadlines::window_key;
use super::*;

/// A detail of an event (`upheld`, `accepted`, `recall_level`) that is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailProblem {
    /// The step needs it and it is absent (or, for a recall level, not 1 to 3).
    Missing,
    /// The step does not take it.
    NotAllowed,
}

/// Why an event may not be recorded. Each variant names the broken rule and carries
/// what a message needs; [`EventError::is_conflict`] tells a state conflict from bad
/// input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// The event is dated after now.
    Future { kind: StepKind, at: NaiveDateTime },
    /// The event is dated before the case opened.
    BeforeOpen {
        kind: StepKind,
        opened_at: NaiveDateTime,
    },
    /// A request filed after its window; `deadline` is the window's last local date.
    Late { kind: StepKind, deadline: NaiveDate },
    /// The profile gives no such right (risk monitoring: no re-examination or objection).
    NoRight { kind: StepKind },
    /// A detail of the event is missing or does not belong to the step.
    Detail {
        kind: StepKind,
        field: &'static str,
        problem: DetailProblem,
    },
    /// `kind` needs `needs` recorded first, and not later than itself.
    Order { kind: StepKind, needs: StepKind },
    /// A re-examination result while the request was refused.
    RecheckRefused,
    /// A step that happens once is already recorded.
    Repeated { kind: StepKind },
    /// The case is closed; only `reopened` may be recorded.
    Closed { kind: StepKind },
    /// `closed` while required steps are missing; they are named.
    Missing(Vec<StepKind>),
}

fn names_zh(steps: &[StepKind]) -> String {
    steps
        .iter()
        .map(|k| format!("「{}」", k.label_zh()))
        .collect::<Vec<_>>()
        .join("、")
}

fn names_en(steps: &[StepKind]) -> String {
    steps
        .iter()
        .map(|k| format!("\"{}\"", k.label_en()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn detail_zh(field: &str) -> &'static str {
    match field {
        "upheld" => "是否维持原检验结论",
        "accepted" => "是否受理",
        _ => "召回级别（1–3）",
    }
}

impl EventError {
    /// True for a conflict with the case's state (HTTP 409: order, repetition, closed
    /// case, missing steps); false for input that is wrong in itself (HTTP 422: dates,
    /// late requests, rights the profile does not give, details).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            EventError::Order { .. }
                | EventError::RecheckRefused
                | EventError::Repeated { .. }
                | EventError::Closed { .. }
                | EventError::Missing(_)
        )
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            EventError::Future { kind, at } => format!(
                "「{}」的时间 {}（北京时间）晚于当前时间，不能记录未来发生的步骤",
                kind.label_zh(),
                local_text(*at)
            ),
            EventError::BeforeOpen { kind, opened_at } => format!(
                "「{}」的时间早于案件开启时间 {}（北京时间）",
                kind.label_zh(),
                local_text(*opened_at)
            ),
            EventError::Late { kind, deadline } => format!(
                "「{}」已超过期限：最迟应于 {} 提出",
                kind.label_zh(),
                deadline.format("%Y-%m-%d")
            ),
            EventError::NoRight { kind } => format!(
                "本类抽检的规则中没有「{}」这一权利（例如风险监测不设复检和异议）",
                kind.label_zh()
            ),
            EventError::Detail {
                kind,
                field,
                problem: DetailProblem::Missing,
            } => format!("「{}」须注明{}", kind.label_zh(), detail_zh(field)),
            EventError::Detail {
                kind,
                field,
                problem: DetailProblem::NotAllowed,
            } => format!("「{}」不适用{}", kind.label_zh(), detail_zh(field)),
            EventError::Order { kind, needs } => format!(
                "「{}」须在「{}」之后记录",
                kind.label_zh(),
                needs.label_zh()
            ),
            EventError::RecheckRefused => "复检申请未予受理，不能记录「复检结论」".to_string(),
            EventError::Repeated { kind } => {
                format!("「{}」已经记录过，不能重复记录", kind.label_zh())
            }
            EventError::Closed { kind } => format!(
                "案件已结案，不能记录「{}」；如需补充，请先重新开启",
                kind.label_zh()
            ),
            EventError::Missing(steps) => {
                format!("尚有必需步骤未完成，不能结案：{}", names_zh(steps))
            }
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            EventError::Future { kind, at } => format!(
                "\"{}\" is dated {} (UTC+8), which is in the future",
                kind.label_en(),
                local_text(*at)
            ),
            EventError::BeforeOpen { kind, opened_at } => format!(
                "\"{}\" is dated before the case opened at {} (UTC+8)",
                kind.label_en(),
                local_text(*opened_at)
            ),
            EventError::Late { kind, deadline } => format!(
                "\"{}\" is too late: the deadline was {}",
                kind.label_en(),
                deadline.format("%Y-%m-%d")
            ),
            EventError::NoRight { kind } => format!(
                "the rules of this plan kind give no \"{}\" (risk monitoring has no \
                 re-examination or objection)",
                kind.label_en()
            ),
            EventError::Detail {
                kind,
                field,
                problem: DetailProblem::Missing,
            } => format!("\"{}\" needs `{field}`", kind.label_en()),
            EventError::Detail {
                kind,
                field,
                problem: DetailProblem::NotAllowed,
            } => format!("\"{}\" does not take `{field}`", kind.label_en()),
            EventError::Order { kind, needs } => format!(
                "\"{}\" must come after \"{}\"",
                kind.label_en(),
                needs.label_en()
            ),
            EventError::RecheckRefused => {
                "the re-examination request was refused, so there is no result to record"
                    .to_string()
            }
            EventError::Repeated { kind } => {
                format!("\"{}\" is already recorded", kind.label_en())
            }
            EventError::Closed { kind } => format!(
                "the case is closed: reopen it before recording \"{}\"",
                kind.label_en()
            ),
            EventError::Missing(steps) => format!(
                "the case cannot close while required steps are missing: {}",
                names_en(steps)
            ),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for EventError {}

/// Refuses a detail the step does not take, and a missing one it needs.
fn check_details(event: &Event) -> Result<(), EventError> {
    use StepKind as K;
    let kind = event.kind;
    let wants_upheld = matches!(kind, K::RecheckResult | K::ObjectionDecided);
    let wants_accepted = kind == K::RecheckAccepted;
    let wants_level = kind == K::RecallStarted;
    // (field, taken by this step, required by it, present, valid). `accepted` may be
    // left out: API.md's `recheck_accepted` is `{kind, at, note?}`, and the step's
    // name says the request was accepted; `accepted: false` records a refusal.
    let checks = [
        ("upheld", wants_upheld, true, event.upheld.is_some(), true),
        (
            "accepted",
            wants_accepted,
            false,
            event.accepted.is_some(),
            true,
        ),
        (
            "recall_level",
            wants_level,
            true,
            event.recall_level.is_some(),
            event.recall_level.is_some_and(|l| (1..=3).contains(&l)),
        ),
    ];
    for (field, wanted, required, present, valid) in checks {
        let problem = match (wanted, present) {
            (true, false) if required => Some(DetailProblem::Missing),
            (true, true) if !valid => Some(DetailProblem::Missing),
            (false, true) => Some(DetailProblem::NotAllowed),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(EventError::Detail {
                kind,
                field,
                problem,
            });
        }
    }
    Ok(())
}

/// The first `needs` event, provided it is recorded and not later than `event`.
fn after<'a>(case: &'a Case, event: &Event, needs: StepKind) -> Result<&'a Event, EventError> {
    case.first(needs)
        .filter(|e| e.at <= event.at)
        .ok_or(EventError::Order {
            kind: event.kind,
            needs,
        })
}

/// Refuses a second step of a kind that happens once.
fn once(case: &Case, kind: StepKind) -> Result<(), EventError> {
    if case.has(kind) {
        Err(EventError::Repeated { kind })
    } else {
        Ok(())
    }
}

/// Whether `event` may be recorded on `case` at `now`. In this order it refuses:
/// any step but `reopened` on a closed case; a date in the future or before the
/// opening; wrong details; a re-examination or objection the profile does not give,
/// one before service, or one after its window (the window's last local date in the
/// error; a provisional window, counted through a year whose calendar is not loaded,
/// never refuses); a step out of order or repeated (the re-examination and objection
/// steps and the recall happen once); `closed` while required steps are missing
/// (none for an overturned case).
pub fn check_event(
    profile: &RuleProfile,
    cal: &WorkCalendar,
    case: &Case,
    event: &Event,
    now: NaiveDateTime,
) -> Result<(), EventError> {
    use StepKind as K;
    let kind = event.kind;
    if case.status() == CaseStatus::Closed && kind != K::Reopened {
        return Err(EventError::Closed { kind });
    }
    if event.at > now {
        return Err(EventError::Future { kind, at: event.at });
    }
    if event.at < case.opened_at {
        return Err(EventError::BeforeOpen {
            kind,
            opened_at: case.opened_at,
        });
    }
    check_details(event)?;
    match kind {
        K::RecheckRequested | K::ObjectionFiled => {
            let key = window_key(kind).ok_or(EventError::NoRight { kind })?;
            if profile.get(key).is_none() {
                return Err(EventError::NoRight { kind });
            }
            once(case, kind)?;
            let served = after(case, event, K::EntityNotified)?;
            if let Some(window) = profile.deadline(key, local_date(served.at), cal) {
                if !window.provisional && local_date(event.at) > window.date {
                    return Err(EventError::Late {
                        kind,
                        deadline: window.date,
                    });
                }
            }
        }
        K::RecheckAccepted => {
            once(case, kind)?;
            after(case, event, K::RecheckRequested)?;
        }
        K::RecheckResult => {
            once(case, kind)?;
            let decision = after(case, event, K::RecheckAccepted)?;
            if decision.accepted == Some(false) {
                return Err(EventError::RecheckRefused);
            }
        }
        K::ObjectionDecided => {
            once(case, kind)?;
            after(case, event, K::ObjectionFiled)?;
        }
        K::RecallStarted => once(case, kind)?,
        K::RecallCompleted => {
            once(case, kind)?;
            after(case, event, K::RecallStarted)?;
        }
        K::Closed => {
            let missing = missing_steps(profile, case);
            if !missing.is_empty() {
                return Err(EventError::Missing(missing));
            }
        }
        K::Reopened => {
            let closed_at = case.closed_at().ok_or(EventError::Order {
                kind,
                needs: K::Closed,
            })?;
            if event.at < closed_at {
                return Err(EventError::Order {
                    kind,
                    needs: K::Closed,
                });
            }
        }
        K::AuthorityReported
        | K::EntityNotified
        | K::RiskControlled
        | K::CaseFiled
        | K::PenaltyDecided
        | K::Rectified => {}
    }
    Ok(())
}
