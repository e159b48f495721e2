//! Disposal cases (核查处置) of a non-compliant sample: the steps a supervisor records,
//! the deadline each step must meet, which step may be recorded when, and the three
//! disposal rates of SPEC §6.
//!
//! Invariants:
//! - Pure: no database, no HTTP, no clock. "Now" and "today" are parameters.
//! - Every number of days or hours comes from the rule profile. A rule missing from
//!   the profile means no such deadline or right (risk monitoring has no
//!   re-examination and no objection). Nothing here says "5 working days".
//! - A case's status and outcome are derived from its events, never kept apart, so
//!   they cannot disagree with the record.
//! - Times are naive UTC. Deadline dates are Asia/Shanghai local dates (UTC+8, no
//!   daylight saving), read with [`local_date`].
//! - The rate definitions are project defaults (SPEC §6), not law. Each [`Ratio`]
//!   carries the text of the definition that produced it.

mod check;
mod deadlines;
mod rates;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::calendar::{add_hours, Deadline, WorkCalendar};
use super::rules::{string_enum, RuleProfile, RuleUnit};

pub use super::local_time::local_date;
use super::local_time::OFFSET_HOURS;
pub use check::{check_event, DetailProblem, EventError};
pub use deadlines::{completion_deadline, deadlines, missing_steps, required_steps, DueLine};
pub use rates::{
    rates, rates_from_counts, started_by, started_on, summarise, CaseSummary, Rates, Ratio,
    COMPLETION_RATE_EN, COMPLETION_RATE_ZH, DEFAULT_STARTED_BY, DISPOSAL_RATE_EN, DISPOSAL_RATE_ZH,
    DUE_SOON_WORKING_DAYS, ON_TIME_RATE_EN, ON_TIME_RATE_ZH,
};

fn local_text(t: NaiveDateTime) -> String {
    add_hours(t, OFFSET_HOURS)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

string_enum!(
    /// One step of a disposal case, as a supervisor records it (API.md, Disposal).
    /// `recall_started` and `reopened` are this module's own additions.
    StepKind {
        AuthorityReported = "authority_reported",
        EntityNotified = "entity_notified",
        ObjectionFiled = "objection_filed",
        ObjectionDecided = "objection_decided",
        RecheckRequested = "recheck_requested",
        RecheckAccepted = "recheck_accepted",
        RecheckResult = "recheck_result",
        RiskControlled = "risk_controlled",
        RecallStarted = "recall_started",
        RecallCompleted = "recall_completed",
        CaseFiled = "case_filed",
        PenaltyDecided = "penalty_decided",
        Rectified = "rectified",
        Closed = "closed",
        Reopened = "reopened",
    }
);

impl StepKind {
    /// The step's name in Chinese, as shown on the case page.
    pub fn label_zh(self) -> &'static str {
        match self {
            StepKind::AuthorityReported => "向组织抽检部门报告",
            StepKind::EntityNotified => "送达被抽样单位",
            StepKind::ObjectionFiled => "提出异议",
            StepKind::ObjectionDecided => "异议处理结论",
            StepKind::RecheckRequested => "申请复检",
            StepKind::RecheckAccepted => "受理复检申请",
            StepKind::RecheckResult => "复检结论",
            StepKind::RiskControlled => "风险控制（下架/封存）",
            StepKind::RecallStarted => "召回启动",
            StepKind::RecallCompleted => "召回完成",
            StepKind::CaseFiled => "立案调查",
            StepKind::PenaltyDecided => "处罚决定",
            StepKind::Rectified => "整改完成",
            StepKind::Closed => "结案",
            StepKind::Reopened => "重新开启",
        }
    }

    /// The step's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            StepKind::AuthorityReported => "Reported to the organising bureau",
            StepKind::EntityNotified => "Served on the sampled entity",
            StepKind::ObjectionFiled => "Objection filed",
            StepKind::ObjectionDecided => "Objection decided",
            StepKind::RecheckRequested => "Re-examination requested",
            StepKind::RecheckAccepted => "Re-examination request decided",
            StepKind::RecheckResult => "Re-examination result",
            StepKind::RiskControlled => "Risk controlled (removed from sale / sealed)",
            StepKind::RecallStarted => "Recall started",
            StepKind::RecallCompleted => "Recall completed",
            StepKind::CaseFiled => "Case filed for investigation",
            StepKind::PenaltyDecided => "Penalty decided",
            StepKind::Rectified => "Rectified",
            StepKind::Closed => "Closed",
            StepKind::Reopened => "Reopened",
        }
    }
}

string_enum!(
    /// Whether a case is still being worked on.
    CaseStatus { Open = "open", Closed = "closed" }
);

string_enum!(
    /// How a case ended: its disposal was completed, or a re-examination overturned the
    /// non-compliant result so that nothing was left to dispose of.
    Outcome { Completed = "completed", Overturned = "overturned" }
);

impl CaseStatus {
    /// The status's name in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseStatus::Open => "办理中",
            CaseStatus::Closed => "已结案",
        }
    }

    /// The status's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            CaseStatus::Open => "Open",
            CaseStatus::Closed => "Closed",
        }
    }

    /// Steps, extensions and their approval are recorded only while a case is open.
    pub fn is_open(self) -> bool {
        self == CaseStatus::Open
    }

    /// Reopening: only a closed case, and never one a re-examination overturned (its
    /// report has been replaced; there is nothing left to dispose of).
    pub fn reopen(self, outcome: Option<Outcome>) -> Result<CaseStatus, ReopenError> {
        if self != CaseStatus::Closed {
            Err(ReopenError::NotClosed)
        } else if outcome == Some(Outcome::Overturned) {
            Err(ReopenError::Overturned)
        } else {
            Ok(CaseStatus::Open)
        }
    }
}

impl Outcome {
    /// The outcome's name in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::Completed => "已办结",
            Outcome::Overturned => "复检推翻",
        }
    }

    /// The outcome's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Outcome::Completed => "Completed",
            Outcome::Overturned => "Overturned",
        }
    }
}

/// Why a case may not be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReopenError {
    /// The case is open.
    NotClosed,
    /// A re-examination overturned the result.
    Overturned,
}

/// Where a case stands after its recorded steps, as stored: its status and outcome. A
/// re-examination that does not uphold the result closes the case at once (as
/// overturned), without a `closed` step; otherwise the case follows [`Case::status`]
/// and [`outcome`].
pub fn standing(case: &Case) -> (CaseStatus, Option<Outcome>) {
    let result = outcome(case);
    let status = if result == Some(Outcome::Overturned) {
        CaseStatus::Closed
    } else {
        case.status()
    };
    (status, result)
}

/// One recorded step of a case.
///
/// `upheld` belongs to `recheck_result` and `objection_decided`, and `true` always
/// means the original result stands. `accepted` belongs to `recheck_accepted`
/// (`false`: the request was refused; left out, it was accepted). `recall_level` (1 to 3) belongs to
/// `recall_started`. [`check_event`] refuses a detail on a step it does not belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Which step this is.
    pub kind: StepKind,
    /// When it happened (naive UTC), not when it was typed in.
    pub at: NaiveDateTime,
    /// For `recheck_result` and `objection_decided`: `true` means the original result
    /// stands.
    #[serde(default)]
    pub upheld: Option<bool>,
    /// For `recall_started`: the recall level, 1 (most serious) to 3.
    #[serde(default)]
    pub recall_level: Option<u8>,
    /// For `recheck_accepted`: `false` means the request was refused.
    #[serde(default)]
    pub accepted: Option<bool>,
}

impl Event {
    /// A step with no details.
    pub fn new(kind: StepKind, at: NaiveDateTime) -> Self {
        Event {
            kind,
            at,
            upheld: None,
            recall_level: None,
            accepted: None,
        }
    }

    /// The same step saying whether the original result stands.
    pub fn with_upheld(mut self, upheld: bool) -> Self {
        self.upheld = Some(upheld);
        self
    }

    /// The same step saying whether the re-examination request was accepted.
    pub fn with_accepted(mut self, accepted: bool) -> Self {
        self.accepted = Some(accepted);
        self
    }

    /// The same step with the recall's level (1 is the most serious).
    pub fn with_recall_level(mut self, level: u8) -> Self {
        self.recall_level = Some(level);
        self
    }
}

/// A disposal case: when the bureau received the non-compliant conclusion, the steps
/// recorded since (in the order they were recorded) and an approved extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// When the bureau received the non-compliant conclusion (the report's issue time).
    pub opened_at: NaiveDateTime,
    /// The recorded steps, in the order they were recorded.
    pub events: Vec<Event>,
    /// The completion date approved in writing when the profile's period is not enough;
    /// it replaces the profile's completion deadline as it stands.
    pub extended_until: Option<NaiveDate>,
}

impl Case {
    /// A case with no step recorded yet.
    pub fn new(opened_at: NaiveDateTime) -> Self {
        Case {
            opened_at,
            events: Vec::new(),
            extended_until: None,
        }
    }

    /// The first recorded step of `kind`, if any.
    pub fn first(&self, kind: StepKind) -> Option<&Event> {
        self.events.iter().find(|e| e.kind == kind)
    }

    /// Whether a step of `kind` has been recorded.
    pub fn has(&self, kind: StepKind) -> bool {
        self.first(kind).is_some()
    }

    /// Closed when the last `closed` or `reopened` step recorded is `closed`.
    pub fn status(&self) -> CaseStatus {
        match self.last_close_or_reopen() {
            Some(e) if e.kind == StepKind::Closed => CaseStatus::Closed,
            _ => CaseStatus::Open,
        }
    }

    /// When the case was closed, while it is closed.
    pub fn closed_at(&self) -> Option<NaiveDateTime> {
        self.last_close_or_reopen()
            .filter(|e| e.kind == StepKind::Closed)
            .map(|e| e.at)
    }

    /// Checks `event` with [`check_event`] and, if it may be recorded, appends it.
    pub fn record(
        &mut self,
        profile: &RuleProfile,
        cal: &WorkCalendar,
        event: Event,
        now: NaiveDateTime,
    ) -> Result<(), EventError> {
        check_event(profile, cal, self, &event, now)?;
        self.events.push(event);
        Ok(())
    }

    fn last_close_or_reopen(&self) -> Option<&Event> {
        self.events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, StepKind::Closed | StepKind::Reopened))
    }

    fn overturned(&self) -> bool {
        self.events
            .iter()
            .any(|e| e.kind == StepKind::RecheckResult && e.upheld == Some(false))
    }
}

/// How the case ended or will end: `Overturned` as soon as a re-examination result
/// with `upheld = false` is recorded (the workflow then closes the case at once),
/// `Completed` once a case without one is closed, `None` while it is open.
///
/// An objection decided with `upheld = false` does not overturn the case here: the
/// API names only the re-examination as overturning.
pub fn outcome(case: &Case) -> Option<Outcome> {
    if case.overturned() {
        Some(Outcome::Overturned)
    } else if case.status() == CaseStatus::Closed {
        Some(Outcome::Completed)
    } else {
        None
    }
}

/// A rule's value and unit as people read them: "5 个工作日", "90 日", "48 小时".
pub fn rule_text_zh(value: u64, unit: RuleUnit) -> String {
    match unit {
        RuleUnit::WorkingDays => format!("{value} 个工作日"),
        RuleUnit::Days => format!("{value} 日"),
        RuleUnit::Hours => format!("{value} 小时"),
        RuleUnit::Months => format!("{value} 个月"),
        other => format!("{value} {other}"),
    }
}

/// A rule's value and unit in English: "5 working days", "90 days", "48 hours".
pub fn rule_text_en(value: u64, unit: RuleUnit) -> String {
    let (one, many) = match unit {
        RuleUnit::WorkingDays => ("working day", "working days"),
        RuleUnit::Days => ("day", "days"),
        RuleUnit::Hours => ("hour", "hours"),
        RuleUnit::Months => ("month", "months"),
        other => (other.as_str(), other.as_str()),
    };
    format!("{value} {}", if value == 1 { one } else { many })
}
