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

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::calendar::{add_hours, Deadline, WorkCalendar};
use super::rules::{string_enum, RuleProfile, RuleUnit};

pub use super::local_time::local_date;
use super::local_time::OFFSET_HOURS;

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

/// One deadline that applies to a case now, with the rule that sets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueLine {
    /// The step that meets the deadline.
    pub step: StepKind,
    /// The profile rule, e.g. `serve_on_entity`.
    pub rule_key: String,
    /// The last local date on which the step is on time.
    pub due_on: NaiveDate,
    /// For an hours rule, the exact moment (naive UTC); `due_on` is its local date.
    pub due_at: Option<NaiveDateTime>,
    /// Counted through a year whose official calendar is not loaded.
    pub provisional: bool,
    /// The rule's number.
    pub value: u64,
    /// The rule's unit: working days, days or hours.
    pub unit: RuleUnit,
    /// The rule for people, e.g. "5 个工作日".
    pub rule_zh: String,
    /// The rule for people, e.g. "5 working days".
    pub rule_en: String,
    /// The article the rule comes from, as the profile cites it.
    pub citation: String,
    /// A right of the entity (re-examination or objection), not a duty: it lapses and
    /// is never overdue.
    pub window: bool,
    /// The date is an approved extension, not the profile's period.
    pub extended: bool,
    /// When the step that meets it happened (its event's `at`), if it is recorded.
    pub done_at: Option<NaiveDateTime>,
}

impl DueLine {
    /// Days left from `today` to the due date: working days on the official calendar
    /// for a working-day rule, plain days otherwise. 0 on the due date itself,
    /// negative once it has passed (-1 on the first working day after a working-day
    /// deadline). It ignores `done_at`; the caller shows a done step as done.
    pub fn days_left(&self, cal: &WorkCalendar, today: NaiveDate) -> i64 {
        match self.unit {
            RuleUnit::WorkingDays if !self.extended => {
                cal.working_days_between(today, self.due_on).0
            }
            _ => (self.due_on - today).num_days(),
        }
    }

    /// Whether `t` is after the deadline: after the moment for an hours rule, after
    /// the due date (local) otherwise.
    pub fn is_after(&self, t: NaiveDateTime) -> bool {
        match self.due_at {
            Some(due) => t > due,
            None => local_date(t) > self.due_on,
        }
    }

    /// A duty not yet done whose deadline has passed at `now`. Windows never are.
    pub fn overdue(&self, now: NaiveDateTime) -> bool {
        !self.window && self.done_at.is_none() && self.is_after(now)
    }

    /// The step was done, but after its deadline.
    pub fn done_late(&self) -> bool {
        self.done_at.is_some_and(|t| self.is_after(t))
    }
}

/// The deadline a profile rule sets from `start`: an hours rule counts from the
/// moment, every other rule from its local date. `None` if the rule is absent.
fn due_line(
    profile: &RuleProfile,
    cal: &WorkCalendar,
    step: StepKind,
    key: &str,
    start: NaiveDateTime,
    window: bool,
    done: Option<&Event>,
) -> Option<DueLine> {
    let rule = profile.get(key)?;
    let value = rule.value.as_u64()?;
    let (due_on, due_at, provisional) = if rule.unit == RuleUnit::Hours {
        let at = profile.deadline_at(key, start, cal)?;
        (local_date(at), Some(at), false)
    } else {
        let d = profile.deadline(key, local_date(start), cal)?;
        (d.date, None, d.provisional)
    };
    Some(DueLine {
        step,
        rule_key: rule.key.clone(),
        due_on,
        due_at,
        provisional,
        value,
        unit: rule.unit,
        rule_zh: rule_text_zh(value, rule.unit),
        rule_en: rule_text_en(value, rule.unit),
        citation: rule.citation.clone(),
        window,
        extended: false,
        done_at: done.map(|e| e.at),
    })
}

const COMPLETION_KEY: &str = "disposal_completion";

/// The rule key of the window in which the entity may take `kind`, if it is one.
fn window_key(kind: StepKind) -> Option<&'static str> {
    match kind {
        StepKind::RecheckRequested => Some("recheck_request_window"),
        StepKind::ObjectionFiled => Some("objection_window"),
        _ => None,
    }
}

/// The recall rule keys for `level`: `recall_level{n}_start`, `recall_level{n}_finish`.
fn recall_keys(level: u8) -> (String, String) {
    (
        format!("recall_level{level}_start"),
        format!("recall_level{level}_finish"),
    )
}

/// The date by which the whole case must be closed: the approved extension when one is
/// set, else the profile's `disposal_completion` counted from the opening's local date.
/// `None` when the profile has no completion rule (then there is no deadline at all).
pub fn completion_deadline(
    profile: &RuleProfile,
    cal: &WorkCalendar,
    case: &Case,
) -> Option<Deadline> {
    let from_rule = profile.deadline(COMPLETION_KEY, local_date(case.opened_at), cal)?;
    Some(match case.extended_until {
        Some(date) => Deadline {
            date,
            provisional: false,
        },
        None => from_rule,
    })
}

/// Every deadline that applies to the case now, in the order of the procedure:
///
/// | step | rule | counted from |
/// |---|---|---|
/// | authority_reported | `lab_reports_non_compliant` | the opening |
/// | entity_notified | `serve_on_entity` | the opening |
/// | recheck_requested (window) | `recheck_request_window` | service, once served |
/// | objection_filed (window) | `objection_window` | service, once served |
/// | recheck_accepted | `recheck_accept_decision` | the request |
/// | recheck_result | `recheck_conclusion` | the acceptance, if accepted |
/// | objection_decided | `objection_accept_decision` | the objection |
/// | recall_started | `recall_level{n}_start` (hours) | service, else the opening |
/// | recall_completed | `recall_level{n}_finish` | the recall's start |
/// | closed | `disposal_completion`, or the extension | the opening |
///
/// The recall lines appear once a recall is recorded, since its level is only known
/// then; the start line then tells whether the recall started in time. A rule missing
/// from the profile gives no line. Each step is met by its first recorded event.
pub fn deadlines(profile: &RuleProfile, cal: &WorkCalendar, case: &Case) -> Vec<DueLine> {
    use StepKind as K;
    let opened = case.opened_at;
    let mut out = Vec::new();
    let line = |step: StepKind, key: &str, start: NaiveDateTime, window: bool| {
        due_line(profile, cal, step, key, start, window, case.first(step))
    };

    out.extend(line(
        K::AuthorityReported,
        "lab_reports_non_compliant",
        opened,
        false,
    ));
    out.extend(line(K::EntityNotified, "serve_on_entity", opened, false));
    let served = case.first(K::EntityNotified);
    if let Some(served) = served {
        out.extend(line(
            K::RecheckRequested,
            "recheck_request_window",
            served.at,
            true,
        ));
        out.extend(line(K::ObjectionFiled, "objection_window", served.at, true));
    }
    if let Some(requested) = case.first(K::RecheckRequested) {
        out.extend(line(
            K::RecheckAccepted,
            "recheck_accept_decision",
            requested.at,
            false,
        ));
    }
    if let Some(accepted) = case.first(K::RecheckAccepted) {
        if accepted.accepted != Some(false) {
            out.extend(line(
                K::RecheckResult,
                "recheck_conclusion",
                accepted.at,
                false,
            ));
        }
    }
    if let Some(filed) = case.first(K::ObjectionFiled) {
        out.extend(line(
            K::ObjectionDecided,
            "objection_accept_decision",
            filed.at,
            false,
        ));
    }
    if let Some(recall) = case.first(K::RecallStarted) {
        if let Some(level) = recall.recall_level {
            let (start_key, finish_key) = recall_keys(level);
            let learned = served.map_or(opened, |e| e.at);
            out.extend(line(K::RecallStarted, &start_key, learned, false));
            out.extend(line(K::RecallCompleted, &finish_key, recall.at, false));
        }
    }
    if let Some(mut close) = due_line(profile, cal, K::Closed, COMPLETION_KEY, opened, false, None)
    {
        if let Some(date) = case.extended_until {
            close.due_on = date;
            close.provisional = false;
            close.extended = true;
        }
        close.done_at = case.closed_at();
        out.push(close);
    }
    out
}

/// The steps that must be recorded before the case may close:
/// - the profile's `disposal_required_steps` (names that are not steps are ignored);
/// - `recall_completed` once a recall has started;
/// - the decision on a pending re-examination request, the result of an accepted one,
///   and the decision on a filed objection, since either may still change the case.
///
/// `case_filed` is never added by the code: whether an investigation applies is the
/// supervisor's judgement (put it in the profile's list to require it always). A case
/// whose re-examination overturned the result needs nothing more: the list is empty.
pub fn required_steps(profile: &RuleProfile, case: &Case) -> Vec<StepKind> {
    use StepKind as K;
    if case.overturned() {
        return Vec::new();
    }
    let mut steps: Vec<StepKind> = profile
        .list("disposal_required_steps")
        .iter()
        .filter_map(|s| s.parse::<StepKind>().ok())
        .filter(|k| !matches!(k, K::Closed | K::Reopened))
        .collect();
    if case.has(K::RecallStarted) {
        steps.push(K::RecallCompleted);
    }
    if case.has(K::RecheckRequested) {
        steps.push(K::RecheckAccepted);
    }
    if case
        .first(K::RecheckAccepted)
        .is_some_and(|e| e.accepted != Some(false))
    {
        steps.push(K::RecheckResult);
    }
    if case.has(K::ObjectionFiled) {
        steps.push(K::ObjectionDecided);
    }
    let mut seen = Vec::new();
    steps.retain(|k| {
        let new = !seen.contains(k);
        seen.push(*k);
        new
    });
    steps
}

/// The required steps (see [`required_steps`]) not yet recorded, in the same order.
pub fn missing_steps(profile: &RuleProfile, case: &Case) -> Vec<StepKind> {
    required_steps(profile, case)
        .into_iter()
        .filter(|k| !case.has(*k))
        .collect()
}

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

/// What the rates need to know of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CaseSummary {
    /// False when a re-examination overturned the result.
    pub needs_disposal: bool,
    /// A risk-control step (risk_controlled, recall_started, recall_completed) or an
    /// investigation (case_filed) is recorded.
    pub started: bool,
    /// Closed, and not overturned.
    pub closed_completed: bool,
    /// Closed as completed on or before its (possibly extended) completion date.
    pub closed_on_time: bool,
    /// The completion date lies before `today`.
    pub deadline_passed: bool,
}

/// One case as the rates see it on `today` (the end of the period counted). A closing
/// counts as on time when its local date is not after the completion deadline; with
/// no completion rule in the profile, every closing is on time and no deadline passes.
/// Working days ahead within which a duty counts as "due soon": the board's due-soon
/// section and the morning reminder list (SPEC §6 "due within 5 working days").
pub const DUE_SOON_WORKING_DAYS: i64 = 5;

/// The steps that start disposal by default (SPEC §6: "a risk-control or investigation
/// step recorded"): risk control, a recall, or an investigation filed.
pub const DEFAULT_STARTED_BY: [StepKind; 4] = [
    StepKind::RiskControlled,
    StepKind::RecallStarted,
    StepKind::RecallCompleted,
    StepKind::CaseFiled,
];

/// The steps that count as starting disposal: the profile's `disposal_started_by` list
/// when it names any step, else [`DEFAULT_STARTED_BY`].
pub fn started_by(profile: &RuleProfile) -> Vec<StepKind> {
    let listed: Vec<StepKind> = profile
        .list("disposal_started_by")
        .iter()
        .filter_map(|s| s.parse::<StepKind>().ok())
        .filter(|k| !matches!(k, StepKind::Closed | StepKind::Reopened))
        .collect();
    if listed.is_empty() {
        DEFAULT_STARTED_BY.to_vec()
    } else {
        listed
    }
}

/// The day (Asia/Shanghai) disposal started: the first step the profile counts as a start
/// (see [`started_by`]), if any. Counts towards the disposal rate.
pub fn started_on(profile: &RuleProfile, case: &Case) -> Option<NaiveDate> {
    let kinds = started_by(profile);
    case.events
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .map(|e| local_date(e.at))
        .min()
}

pub fn summarise(
    profile: &RuleProfile,
    cal: &WorkCalendar,
    case: &Case,
    today: NaiveDate,
) -> CaseSummary {
    let result = outcome(case);
    let closed_completed = result == Some(Outcome::Completed);
    let deadline = completion_deadline(profile, cal, case);
    let closed_on_time = closed_completed
        && case
            .closed_at()
            .is_some_and(|t| deadline.is_none_or(|d| local_date(t) <= d.date));
    CaseSummary {
        needs_disposal: result != Some(Outcome::Overturned),
        started: started_on(profile, case).is_some(),
        closed_completed,
        closed_on_time,
        deadline_passed: deadline.is_some_and(|d| d.date < today),
    }
}

/// 核查处置率 as defined by default in SPEC §6 (Chinese).
pub const DISPOSAL_RATE_ZH: &str = "核查处置率 = 已启动核查处置（已记录规则配置 disposal_started_by 所列步骤之一，默认为风险控制、召回或立案调查）的不合格样品数 ÷ 需核查处置的不合格样品数；经复检推翻的样品既不计入分子，也不计入分母";
/// The disposal rate as defined by default in SPEC §6 (English).
pub const DISPOSAL_RATE_EN: &str = "Disposal rate = non-compliant samples whose case has started (one of the steps in the rule profile's disposal_started_by recorded; by default risk control, a recall or an investigation) ÷ non-compliant samples that need disposal; samples overturned by re-examination leave both sides";
/// 完成率 as defined by default in SPEC §6 (Chinese).
pub const COMPLETION_RATE_ZH: &str =
    "完成率 = 已办结（完成）的核查处置案件数 ÷ 需核查处置的案件数；经复检推翻的不计";
/// The completion rate as defined by default in SPEC §6 (English).
pub const COMPLETION_RATE_EN: &str = "Completion rate = cases closed as completed ÷ cases that need disposal; cases overturned by re-examination are left out";
/// 按时完成率 as defined by default in SPEC §6 (Chinese).
pub const ON_TIME_RATE_ZH: &str = "按时完成率 = 在办结期限内（含经批准的延期）办结的案件数 ÷ 办结期限已届满或已办结的案件数；经复检推翻的不计";
/// The on-time completion rate as defined by default in SPEC §6 (English).
pub const ON_TIME_RATE_EN: &str = "On-time completion rate = cases closed within their deadline (or approved extension) ÷ cases whose deadline has passed or that are closed; cases overturned by re-examination are left out";

/// A fraction with the definition that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// A stable name, e.g. `disposal_rate`.
    pub key: &'static str,
    /// The cases counted above the line.
    pub numerator: u64,
    /// The cases counted below the line.
    pub denominator: u64,
    /// From 0 to 1; `None` when the denominator is 0.
    pub value: Option<f64>,
    /// The definition that produced this figure, in Chinese.
    pub definition_zh: &'static str,
    /// The definition that produced this figure, in English.
    pub definition_en: &'static str,
}

impl Ratio {
    fn new(
        key: &'static str,
        numerator: u64,
        denominator: u64,
        definition_zh: &'static str,
        definition_en: &'static str,
    ) -> Self {
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Ratio {
            key,
            numerator,
            denominator,
            value,
            definition_zh,
            definition_en,
        }
    }
}

/// The three disposal rates of SPEC §6.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// 核查处置率.
    pub disposal: Ratio,
    /// 完成率.
    pub completion: Ratio,
    /// 按时完成率.
    pub on_time: Ratio,
}

/// The three rates over `cases` (already filtered by period, region and plan level).
/// Overturned cases (`needs_disposal == false`) count nowhere.
pub fn rates(cases: &[CaseSummary]) -> Rates {
    let count = |f: &dyn Fn(&CaseSummary) -> bool| {
        cases.iter().filter(|c| c.needs_disposal && f(c)).count() as u64
    };
    rates_from_counts(
        count(&|_| true),
        count(&|c| c.started),
        count(&|c| c.closed_completed),
        count(&|c| c.closed_completed && c.closed_on_time),
        count(&|c| c.deadline_passed || c.closed_completed),
    )
}

/// The three rates from counts of the cases that need disposal: `needing` in all,
/// `started`, `completed` (closed as completed), `on_time` (of those, within the
/// deadline) and `due_or_closed` (deadline passed or closed: the on-time rate's base).
pub fn rates_from_counts(
    needing: u64,
    started: u64,
    completed: u64,
    on_time: u64,
    due_or_closed: u64,
) -> Rates {
    Rates {
        disposal: Ratio::new(
            "disposal_rate",
            started,
            needing,
            DISPOSAL_RATE_ZH,
            DISPOSAL_RATE_EN,
        ),
        completion: Ratio::new(
            "completion_rate",
            completed,
            needing,
            COMPLETION_RATE_ZH,
            COMPLETION_RATE_EN,
        ),
        on_time: Ratio::new(
            "on_time_completion_rate",
            on_time,
            due_or_closed,
            ON_TIME_RATE_ZH,
            ON_TIME_RATE_EN,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_holiday_csv;
    use crate::rules::{parse_profile_file, PlanKind};
    use StepKind as K;

    /// The official calendar as shipped (src/seed/holidays.csv), with the years that
    /// src/seed/calendar_years.csv declares loaded (2024 to 2026).
    fn cal() -> WorkCalendar {
        let rows = parse_holiday_csv(include_str!("../../../src/seed/holidays.csv")).unwrap();
        let years: Vec<i32> = include_str!("../../../src/seed/calendar_years.csv")
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next()?.trim().parse().ok())
            .collect();
        assert!(years.contains(&2025) && years.contains(&2026));
        WorkCalendar::new(rows.into_iter().map(|(d, k, _)| (d, k)), years)
    }

    fn shipped(file: &str, text: &str, kind: PlanKind) -> RuleProfile {
        parse_profile_file(file, text)
            .unwrap()
            .into_iter()
            .find(|p| p.plan_kind == kind)
            .unwrap()
    }

    fn food() -> RuleProfile {
        shipped(
            "food.toml",
            include_str!("../../../src/seed/rules/food.toml"),
            PlanKind::Supervision,
        )
    }

    fn food_risk() -> RuleProfile {
        shipped(
            "food.toml",
            include_str!("../../../src/seed/rules/food.toml"),
            PlanKind::RiskMonitoring,
        )
    }

    fn drug() -> RuleProfile {
        shipped(
            "drug.toml",
            include_str!("../../../src/seed/rules/drug.toml"),
            PlanKind::Supervision,
        )
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A Beijing local time ("2025-09-29 10:00") as the naive UTC time stored.
    fn bj(s: &str) -> NaiveDateTime {
        add_hours(
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
            -8,
        )
    }

    fn ev(kind: StepKind, at: &str) -> Event {
        Event::new(kind, bj(at))
    }

    #[test]
    fn the_profile_says_which_steps_start_disposal() {
        let mut p = food();
        let mut case = Case::new(bj("2026-03-02 09:30"));
        case.events
            .push(ev(K::AuthorityReported, "2026-03-02 16:00"));
        case.events.push(ev(K::PenaltyDecided, "2026-03-05 10:00"));
        case.events.push(ev(K::RiskControlled, "2026-03-06 10:00"));
        // As shipped: risk control (03-06) starts it; a penalty does not.
        assert_eq!(started_by(&p), DEFAULT_STARTED_BY.to_vec());
        assert_eq!(started_on(&p, &case), Some(d("2026-03-06")));
        // A profile that counts a penalty decision as the start.
        for r in p
            .rules
            .iter_mut()
            .filter(|r| r.key == "disposal_started_by")
        {
            r.value = serde_json::json!(["penalty_decided", "no_such_step"]);
        }
        assert_eq!(started_by(&p), vec![K::PenaltyDecided]);
        assert_eq!(started_on(&p, &case), Some(d("2026-03-05")));
        // Without the rule, the default.
        p.rules.retain(|r| r.key != "disposal_started_by");
        assert_eq!(started_on(&p, &case), Some(d("2026-03-06")));
    }

    /// A far-off "now" for checks that are not about the future.
    fn later() -> NaiveDateTime {
        bj("2027-06-30 12:00")
    }

    fn line(lines: &[DueLine], step: StepKind) -> &DueLine {
        lines
            .iter()
            .find(|l| l.step == step)
            .unwrap_or_else(|| panic!("no line for {step}"))
    }

    fn steps(lines: &[DueLine]) -> Vec<StepKind> {
        lines.iter().map(|l| l.step).collect()
    }

    /// Records each event through `check_event`, failing the test on a refusal.
    fn case_with(opened: &str, events: &[Event]) -> Case {
        let (p, c) = (food(), cal());
        let mut case = Case::new(bj(opened));
        for e in events {
            case.record(&p, &c, e.clone(), later())
                .unwrap_or_else(|err| panic!("{:?} refused: {err}", e.kind));
        }
        case
    }

    /// Opened 2025-09-29 10:00 (Mon) and served 2025-10-10 10:00 (Fri).
    fn served_national_day() -> Case {
        case_with(
            "2025-09-29 10:00",
            &[
                ev(K::AuthorityReported, "2025-09-30 09:00"),
                ev(K::EntityNotified, "2025-10-10 10:00"),
            ],
        )
    }

    #[test]
    fn the_local_date_is_utc_plus_eight_hours() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(local_date(t("2025-09-28 15:59")), d("2025-09-28"));
        assert_eq!(local_date(t("2025-09-28 16:00")), d("2025-09-29"));
        assert_eq!(local_date(bj("2025-09-29 00:30")), d("2025-09-29"));
    }

    #[test]
    fn step_kinds_round_trip_and_have_labels() {
        assert_eq!(StepKind::ALL.len(), 15);
        for k in StepKind::ALL {
            assert_eq!(k.as_str().parse::<StepKind>(), Ok(*k));
            assert!(!k.label_zh().is_empty() && !k.label_en().is_empty());
        }
        assert_eq!(K::RiskControlled.label_zh(), "风险控制（下架/封存）");
        assert_eq!(K::RecheckAccepted.as_str(), "recheck_accepted");
        assert!("recall".parse::<StepKind>().is_err());
    }

    #[test]
    fn rule_texts_read_as_people_write_them() {
        assert_eq!(rule_text_zh(5, RuleUnit::WorkingDays), "5 个工作日");
        assert_eq!(rule_text_zh(90, RuleUnit::Days), "90 日");
        assert_eq!(rule_text_zh(48, RuleUnit::Hours), "48 小时");
        assert_eq!(rule_text_en(5, RuleUnit::WorkingDays), "5 working days");
        assert_eq!(rule_text_en(1, RuleUnit::Days), "1 day");
    }

    /// Shipped calendar, National Day 2025: 09-28 (Sun) worked, 10-01..10-08 off,
    /// 10-11 (Sat) worked. Opened Monday 2025-09-29:
    /// - report to the bureau, 2 WD: 09-30, 10-09 → 2025-10-09;
    /// - service, 5 WD: 09-30, 10-09, 10-10, 10-11 (adjusted Saturday), 10-13
    ///   → 2025-10-13;
    /// - completion, 90 calendar days: 09-29 + 90 → 2025-12-28.
    #[test]
    fn deadlines_skip_the_2025_national_day_break_and_count_its_working_saturday() {
        let case = Case::new(bj("2025-09-29 10:00"));
        let lines = deadlines(&food(), &cal(), &case);
        assert_eq!(
            steps(&lines),
            vec![K::AuthorityReported, K::EntityNotified, K::Closed],
            "no window before service"
        );
        let report = line(&lines, K::AuthorityReported);
        assert_eq!(report.due_on, d("2025-10-09"));
        assert_eq!(report.rule_key, "lab_reports_non_compliant");
        assert_eq!(report.rule_zh, "2 个工作日");
        let serve = line(&lines, K::EntityNotified);
        assert_eq!(serve.due_on, d("2025-10-13"));
        assert!(!serve.provisional && !serve.window && serve.due_at.is_none());
        assert_eq!(serve.rule_zh, "5 个工作日");
        assert!(serve.citation.contains("Art 29"), "{}", serve.citation);
        let close = line(&lines, K::Closed);
        assert_eq!(close.due_on, d("2025-12-28"));
        assert_eq!(
            (close.rule_zh.as_str(), close.unit),
            ("90 日", RuleUnit::Days)
        );
        assert!(!close.extended);
    }

    /// A case opened at 2025-09-28 17:00 UTC is 09-29 01:00 in Beijing: counted from
    /// 09-29, not from the Sunday 09-28.
    #[test]
    fn deadlines_count_from_the_local_date_of_the_opening() {
        let opened = NaiveDateTime::parse_from_str("2025-09-28 17:00", "%Y-%m-%d %H:%M").unwrap();
        let lines = deadlines(&food(), &cal(), &Case::new(opened));
        assert_eq!(line(&lines, K::EntityNotified).due_on, d("2025-10-13"));
    }

    #[test]
    fn days_left_counts_working_days_for_working_day_rules_and_days_otherwise() {
        let (c, case) = (cal(), Case::new(bj("2025-09-29 10:00")));
        let lines = deadlines(&food(), &c, &case);
        let serve = line(&lines, K::EntityNotified);
        // From a holiday (10-01): 10-09, 10-10, 10-11 (adjusted Saturday), 10-13 are
        // left; from 10-09 only 10-10, 10-11 and 10-13.
        let table = [
            ("2025-09-29", 5),
            ("2025-10-01", 4),
            ("2025-10-09", 3),
            ("2025-10-13", 0),
            ("2025-10-14", -1),
            ("2025-10-20", -5),
        ];
        for (today, left) in table {
            assert_eq!(serve.days_left(&c, d(today)), left, "today {today}");
        }
        let close = line(&lines, K::Closed);
        assert_eq!(close.days_left(&c, d("2025-12-01")), 27);
        assert_eq!(close.days_left(&c, d("2025-12-30")), -2);
    }

    #[test]
    fn a_duty_is_overdue_after_its_day_until_it_is_done() {
        let c = cal();
        let mut case = Case::new(bj("2025-09-29 10:00"));
        let serve = line(&deadlines(&food(), &c, &case), K::EntityNotified).clone();
        assert!(!serve.overdue(bj("2025-10-13 23:59")));
        assert!(serve.overdue(bj("2025-10-14 00:00")));
        case.events.push(ev(K::EntityNotified, "2025-10-14 09:00"));
        let serve = line(&deadlines(&food(), &c, &case), K::EntityNotified).clone();
        assert_eq!(serve.done_at, Some(bj("2025-10-14 09:00")));
        assert!(!serve.overdue(bj("2025-10-20 00:00")));
        assert!(serve.done_late());
    }

    /// Served Friday 2025-10-10: 7 WD are 10-11 (adjusted Saturday), 10-13, 10-14,
    /// 10-15, 10-16, 10-17, 10-20 → both windows close on 2025-10-20.
    #[test]
    fn windows_open_at_service_and_never_become_overdue() {
        let c = cal();
        let case = served_national_day();
        let lines = deadlines(&food(), &c, &case);
        for step in [K::RecheckRequested, K::ObjectionFiled] {
            let w = line(&lines, step);
            assert_eq!(w.due_on, d("2025-10-20"), "{step}");
            assert!(w.window);
            assert_eq!(w.days_left(&c, d("2025-10-10")), 7);
            assert!(!w.overdue(bj("2025-11-01 12:00")));
        }
        assert_eq!(
            line(&lines, K::RecheckRequested).rule_key,
            "recheck_request_window"
        );
        assert_eq!(line(&lines, K::ObjectionFiled).rule_key, "objection_window");
    }

    /// Spring Festival 2026: 02-14 (Sat) worked, 02-15..02-23 off, 02-28 (Sat) worked.
    /// Opened Thursday 2026-02-12:
    /// - report, 2 WD: 02-13, 02-14 (adjusted Saturday) → 2026-02-14;
    /// - service, 5 WD: 02-13, 02-14, 02-24, 02-25, 02-26 → 2026-02-26;
    /// - completion, 90 days → 2026-05-13.
    ///
    /// Served 2026-02-13: the 7 WD window is 02-14, 02-24, 02-25, 02-26, 02-27, 02-28
    /// (adjusted Saturday), 03-02 → 2026-03-02.
    #[test]
    fn deadlines_skip_the_2026_spring_festival() {
        let c = cal();
        let mut case = Case::new(bj("2026-02-12 15:00"));
        let lines = deadlines(&food(), &c, &case);
        assert_eq!(line(&lines, K::AuthorityReported).due_on, d("2026-02-14"));
        assert_eq!(line(&lines, K::EntityNotified).due_on, d("2026-02-26"));
        assert_eq!(line(&lines, K::Closed).due_on, d("2026-05-13"));
        case.events.push(ev(K::EntityNotified, "2026-02-13 11:00"));
        let lines = deadlines(&food(), &c, &case);
        assert_eq!(line(&lines, K::RecheckRequested).due_on, d("2026-03-02"));
        assert_eq!(
            line(&lines, K::EntityNotified).done_at,
            Some(bj("2026-02-13 11:00"))
        );
    }

    #[test]
    fn a_request_on_the_last_day_of_its_window_is_in_time_and_the_next_day_is_late() {
        let (p, c) = (food(), cal());
        let case = served_national_day();
        let table = [
            (K::RecheckRequested, "2025-10-20 23:59", None),
            (
                K::RecheckRequested,
                "2025-10-21 00:00",
                Some(d("2025-10-20")),
            ),
            (
                K::RecheckRequested,
                "2025-10-21 09:00",
                Some(d("2025-10-20")),
            ),
            (K::ObjectionFiled, "2025-10-20 16:00", None),
            (K::ObjectionFiled, "2025-10-22 10:00", Some(d("2025-10-20"))),
            (K::RecheckRequested, "2025-10-10 10:00", None),
        ];
        for (kind, at, late) in table {
            let got = check_event(&p, &c, &case, &ev(kind, at), later());
            let want = match late {
                None => Ok(()),
                Some(deadline) => Err(EventError::Late { kind, deadline }),
            };
            assert_eq!(got, want, "{kind} at {at}");
        }
    }

    #[test]
    fn the_late_message_names_the_deadline_in_both_languages() {
        let err = EventError::Late {
            kind: K::RecheckRequested,
            deadline: d("2025-10-20"),
        };
        assert!(
            err.message_zh().contains("2025-10-20"),
            "{}",
            err.message_zh()
        );
        assert!(err.message_zh().contains("申请复检"));
        assert!(
            err.message_en().contains("2025-10-20"),
            "{}",
            err.message_en()
        );
        assert!(!err.is_conflict());
    }

    #[test]
    fn a_window_counted_through_an_unloaded_year_never_refuses() {
        let (p, c) = (food(), cal());
        assert!(!c.is_known_year(2027));
        let case = case_with(
            "2026-12-24 10:00",
            &[ev(K::EntityNotified, "2026-12-28 10:00")],
        );
        let w = line(&deadlines(&p, &c, &case), K::RecheckRequested).clone();
        assert!(w.provisional);
        let late_looking = ev(K::RecheckRequested, "2027-01-20 10:00");
        assert_eq!(check_event(&p, &c, &case, &late_looking, later()), Ok(()));
    }

    #[test]
    fn events_in_the_future_or_before_the_opening_are_refused() {
        let (p, c) = (food(), cal());
        let case = Case::new(bj("2025-09-29 10:00"));
        let now = bj("2025-10-09 12:00");
        let future = ev(K::AuthorityReported, "2025-10-09 12:01");
        assert_eq!(
            check_event(&p, &c, &case, &future, now),
            Err(EventError::Future {
                kind: K::AuthorityReported,
                at: bj("2025-10-09 12:01")
            })
        );
        let early = ev(K::AuthorityReported, "2025-09-29 09:59");
        let err = check_event(&p, &c, &case, &early, now).unwrap_err();
        assert_eq!(
            err,
            EventError::BeforeOpen {
                kind: K::AuthorityReported,
                opened_at: bj("2025-09-29 10:00")
            }
        );
        assert!(
            err.message_zh().contains("2025-09-29 10:00"),
            "{}",
            err.message_zh()
        );
        assert!(!err.is_conflict());
        for at in ["2025-09-29 10:00", "2025-10-09 12:00"] {
            let ok = ev(K::AuthorityReported, at);
            assert_eq!(check_event(&p, &c, &case, &ok, now), Ok(()), "{at}");
        }
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let (p, c) = (food(), cal());
        let served = served_national_day();
        let requested = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
            ],
        );
        let refused = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
                ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(false),
            ],
        );
        let concluded = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
                ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
                ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
            ],
        );
        let fresh = Case::new(bj("2025-09-29 10:00"));
        let order = |kind, needs| Err(EventError::Order { kind, needs });
        let table: Vec<(&str, &Case, Event, Result<(), EventError>)> = vec![
            (
                "request before service",
                &fresh,
                ev(K::RecheckRequested, "2025-10-09 10:00"),
                order(K::RecheckRequested, K::EntityNotified),
            ),
            (
                "objection dated before service",
                &served,
                ev(K::ObjectionFiled, "2025-10-09 10:00"),
                order(K::ObjectionFiled, K::EntityNotified),
            ),
            (
                "acceptance without a request",
                &served,
                ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
                order(K::RecheckAccepted, K::RecheckRequested),
            ),
            (
                "acceptance dated before the request",
                &requested,
                ev(K::RecheckAccepted, "2025-10-12 10:00").with_accepted(true),
                order(K::RecheckAccepted, K::RecheckRequested),
            ),
            (
                "result without an accepted request",
                &requested,
                ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
                order(K::RecheckResult, K::RecheckAccepted),
            ),
            (
                "result after a refused request",
                &refused,
                ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(true),
                Err(EventError::RecheckRefused),
            ),
            (
                "a second result",
                &concluded,
                ev(K::RecheckResult, "2025-10-25 10:00").with_upheld(false),
                Err(EventError::Repeated {
                    kind: K::RecheckResult,
                }),
            ),
            (
                "a second request",
                &requested,
                ev(K::RecheckRequested, "2025-10-14 10:00"),
                Err(EventError::Repeated {
                    kind: K::RecheckRequested,
                }),
            ),
            (
                "objection decided without an objection",
                &served,
                ev(K::ObjectionDecided, "2025-10-14 10:00").with_upheld(true),
                order(K::ObjectionDecided, K::ObjectionFiled),
            ),
            (
                "recall completed without a start",
                &served,
                ev(K::RecallCompleted, "2025-10-14 10:00"),
                order(K::RecallCompleted, K::RecallStarted),
            ),
            (
                "reopening an open case",
                &served,
                ev(K::Reopened, "2025-10-14 10:00"),
                order(K::Reopened, K::Closed),
            ),
            (
                "acceptance after a request",
                &requested,
                ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
                Ok(()),
            ),
        ];
        for (what, case, event, want) in table {
            let got = check_event(&p, &c, case, &event, later());
            assert_eq!(got, want, "{what}");
            if let Err(e) = got {
                assert!(e.is_conflict(), "{what}");
                assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            }
        }
    }

    #[test]
    fn details_must_fit_the_step() {
        let (p, c) = (food(), cal());
        let case = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
            ],
        );
        let detail = |kind, field, problem| {
            Err(EventError::Detail {
                kind,
                field,
                problem,
            })
        };
        let table = [
            // API.md's body: the step alone means the request was accepted.
            (ev(K::RecheckAccepted, "2025-10-14 10:00"), Ok(())),
            (
                ev(K::RiskControlled, "2025-10-14 10:00").with_upheld(true),
                detail(K::RiskControlled, "upheld", DetailProblem::NotAllowed),
            ),
            (
                ev(K::RecallStarted, "2025-10-14 10:00"),
                detail(K::RecallStarted, "recall_level", DetailProblem::Missing),
            ),
            (
                ev(K::RecallStarted, "2025-10-14 10:00").with_recall_level(4),
                detail(K::RecallStarted, "recall_level", DetailProblem::Missing),
            ),
            (
                ev(K::RecallStarted, "2025-10-14 10:00").with_recall_level(3),
                Ok(()),
            ),
        ];
        for (event, want) in table {
            let got = check_event(&p, &c, &case, &event, later());
            assert_eq!(got, want, "{:?}", event);
            if let Err(e) = got {
                assert!(!e.is_conflict());
            }
        }
    }

    fn complete_steps() -> Vec<Event> {
        vec![
            ev(K::AuthorityReported, "2025-09-30 09:00"),
            ev(K::EntityNotified, "2025-10-10 10:00"),
            ev(K::RiskControlled, "2025-10-11 10:00"),
            ev(K::PenaltyDecided, "2025-11-20 10:00"),
            ev(K::Rectified, "2025-12-01 10:00"),
        ]
    }

    #[test]
    fn closing_is_refused_while_required_steps_are_missing_and_names_them() {
        let (p, c) = (food(), cal());
        let case = served_national_day();
        let close = ev(K::Closed, "2025-12-01 10:00");
        let err = check_event(&p, &c, &case, &close, later()).unwrap_err();
        assert_eq!(
            err,
            EventError::Missing(vec![K::RiskControlled, K::PenaltyDecided, K::Rectified])
        );
        assert!(err.is_conflict());
        assert!(
            err.message_zh().contains("处罚决定"),
            "{}",
            err.message_zh()
        );
        assert!(
            err.message_en().contains("Penalty decided"),
            "{}",
            err.message_en()
        );

        // A recall, once started, must be completed; a pending re-examination and a
        // pending objection must be decided; case_filed is never added.
        let mut events = complete_steps();
        events.push(ev(K::RecallStarted, "2025-10-12 10:00").with_recall_level(2));
        events.push(ev(K::RecheckRequested, "2025-10-13 10:00"));
        events.push(ev(K::ObjectionFiled, "2025-10-13 11:00"));
        let mut case = case_with("2025-09-29 10:00", &events);
        assert_eq!(
            check_event(&p, &c, &case, &close, later()),
            Err(EventError::Missing(vec![
                K::RecallCompleted,
                K::RecheckAccepted,
                K::ObjectionDecided
            ]))
        );
        case.events
            .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true));
        assert_eq!(
            missing_steps(&p, &case),
            vec![K::RecallCompleted, K::RecheckResult, K::ObjectionDecided]
        );
        assert!(!required_steps(&p, &case).contains(&K::CaseFiled));
    }

    #[test]
    fn a_complete_case_closes_as_completed_and_refuses_further_steps_until_reopened() {
        let (p, c) = (food(), cal());
        let mut case = case_with("2025-09-29 10:00", &complete_steps());
        assert_eq!(missing_steps(&p, &case), vec![]);
        assert_eq!((case.status(), outcome(&case)), (CaseStatus::Open, None));
        case.record(&p, &c, ev(K::Closed, "2025-12-02 10:00"), later())
            .unwrap();
        assert_eq!(case.status(), CaseStatus::Closed);
        assert_eq!(outcome(&case), Some(Outcome::Completed));
        assert_eq!(case.closed_at(), Some(bj("2025-12-02 10:00")));
        for kind in [K::Rectified, K::Closed] {
            let got = check_event(&p, &c, &case, &ev(kind, "2025-12-03 10:00"), later());
            assert_eq!(got, Err(EventError::Closed { kind }));
        }
        let before_close = ev(K::Reopened, "2025-12-01 10:00");
        assert_eq!(
            check_event(&p, &c, &case, &before_close, later()),
            Err(EventError::Order {
                kind: K::Reopened,
                needs: K::Closed
            })
        );
        case.record(&p, &c, ev(K::Reopened, "2025-12-03 10:00"), later())
            .unwrap();
        assert_eq!((case.status(), outcome(&case)), (CaseStatus::Open, None));
        assert_eq!(case.closed_at(), None);
        case.record(&p, &c, ev(K::CaseFiled, "2025-12-04 10:00"), later())
            .unwrap();
        case.record(&p, &c, ev(K::Closed, "2025-12-05 10:00"), later())
            .unwrap();
        assert_eq!(outcome(&case), Some(Outcome::Completed));
    }

    #[test]
    fn an_overturned_case_needs_nothing_more_and_may_close_at_once() {
        let (p, c) = (food(), cal());
        let mut case = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
                ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true),
                ev(K::RecheckResult, "2025-10-24 10:00").with_upheld(false),
            ],
        );
        assert_eq!(outcome(&case), Some(Outcome::Overturned));
        assert_eq!(required_steps(&p, &case), vec![]);
        assert_eq!(missing_steps(&p, &case), vec![]);
        case.record(&p, &c, ev(K::Closed, "2025-10-24 10:05"), later())
            .unwrap();
        assert_eq!(case.status(), CaseStatus::Closed);
        assert_eq!(outcome(&case), Some(Outcome::Overturned));
        let s = summarise(&p, &c, &case, d("2026-06-30"));
        assert!(!s.needs_disposal && !s.closed_completed);
    }

    /// Re-examination deadlines: requested Monday 2025-10-13, decided within 5 WD
    /// (10-14..10-17, 10-20 → 2025-10-20); accepted 10-14, concluded within 10 WD
    /// (10-15..10-17, 10-20..10-24, 10-27, 10-28 → 2025-10-28). An objection filed
    /// 10-13 is decided within 5 WD → 2025-10-20. A refused request has no result line.
    #[test]
    fn re_examination_and_objection_deadlines_follow_their_steps() {
        let (p, c) = (food(), cal());
        let mut case = case_with(
            "2025-09-29 10:00",
            &[
                ev(K::EntityNotified, "2025-10-10 10:00"),
                ev(K::RecheckRequested, "2025-10-13 10:00"),
                ev(K::ObjectionFiled, "2025-10-13 11:00"),
            ],
        );
        let lines = deadlines(&p, &c, &case);
        assert_eq!(line(&lines, K::RecheckAccepted).due_on, d("2025-10-20"));
        assert_eq!(line(&lines, K::ObjectionDecided).due_on, d("2025-10-20"));
        assert_eq!(
            line(&lines, K::RecheckRequested).done_at,
            Some(bj("2025-10-13 10:00"))
        );
        assert!(!steps(&lines).contains(&K::RecheckResult));

        let mut refused = case.clone();
        refused
            .events
            .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(false));
        assert!(!steps(&deadlines(&p, &c, &refused)).contains(&K::RecheckResult));

        case.events
            .push(ev(K::RecheckAccepted, "2025-10-14 10:00").with_accepted(true));
        let lines = deadlines(&p, &c, &case);
        let result = line(&lines, K::RecheckResult);
        assert_eq!(result.due_on, d("2025-10-28"));
        assert_eq!(result.rule_key, "recheck_conclusion");
        assert_eq!(
            line(&lines, K::RecheckAccepted).done_at,
            Some(bj("2025-10-14 10:00"))
        );
    }

    /// Level-2 recall started Tuesday 2025-10-14 09:00: the start was due 48 hours after
    /// service (2025-10-10 10:00 → 2025-10-12 10:00, so it started late); it must finish
    /// within 20 WD of 10-14: 10-15..10-17 (3), 10-20..10-24 (8), 10-27..10-31 (13),
    /// 11-03..11-07 (18), 11-10, 11-11 (20) → 2025-11-11.
    #[test]
    fn a_level_two_recall_has_a_start_and_a_finish_deadline() {
        let (p, c) = (food(), cal());
        let mut case = served_national_day();
        assert!(!steps(&deadlines(&p, &c, &case)).contains(&K::RecallCompleted));
        case.record(
            &p,
            &c,
            ev(K::RecallStarted, "2025-10-14 09:00").with_recall_level(2),
            later(),
        )
        .unwrap();
        let lines = deadlines(&p, &c, &case);
        let start = line(&lines, K::RecallStarted);
        assert_eq!(start.rule_key, "recall_level2_start");
        assert_eq!(start.due_at, Some(bj("2025-10-12 10:00")));
        assert_eq!(start.due_on, d("2025-10-12"));
        assert_eq!(start.rule_zh, "48 小时");
        assert!(start.done_late());
        let finish = line(&lines, K::RecallCompleted);
        assert_eq!(finish.rule_key, "recall_level2_finish");
        assert_eq!(finish.due_on, d("2025-11-11"));
        assert_eq!(finish.rule_zh, "20 个工作日");
        assert!(!finish.overdue(bj("2025-11-11 23:00")));
        assert!(finish.overdue(bj("2025-11-12 00:00")));
        case.record(&p, &c, ev(K::RecallCompleted, "2025-11-10 10:00"), later())
            .unwrap();
        let finish = line(&deadlines(&p, &c, &case), K::RecallCompleted).clone();
        assert!(!finish.overdue(bj("2025-12-01 00:00")) && !finish.done_late());
    }

    #[test]
    fn an_hours_deadline_is_overdue_after_its_moment() {
        let (p, c) = (food(), cal());
        let mut case = served_national_day();
        case.events
            .push(ev(K::RecallStarted, "2025-10-11 09:00").with_recall_level(1));
        let start = line(&deadlines(&p, &c, &case), K::RecallStarted).clone();
        assert_eq!(start.due_at, Some(bj("2025-10-11 10:00")));
        assert!(!start.done_late());
        let mut undone = start.clone();
        undone.done_at = None;
        assert!(!undone.overdue(bj("2025-10-11 10:00")));
        assert!(undone.overdue(bj("2025-10-11 10:01")));
    }

    #[test]
    fn an_extension_moves_the_completion_deadline() {
        let (p, c) = (food(), cal());
        let mut case = case_with("2025-09-29 10:00", &complete_steps());
        case.events.push(ev(K::Closed, "2026-01-20 10:00"));
        let s = summarise(&p, &c, &case, d("2026-02-28"));
        assert!(s.closed_completed && !s.closed_on_time && s.deadline_passed);

        case.extended_until = Some(d("2026-01-31"));
        let close = line(&deadlines(&p, &c, &case), K::Closed).clone();
        assert_eq!(close.due_on, d("2026-01-31"));
        assert!(close.extended && !close.provisional);
        assert_eq!(close.rule_key, "disposal_completion");
        assert_eq!(close.done_at, Some(bj("2026-01-20 10:00")));
        assert!(!close.done_late());
        assert_eq!(
            completion_deadline(&p, &c, &case).map(|d| d.date),
            Some(d("2026-01-31"))
        );
        let s = summarise(&p, &c, &case, d("2026-01-25"));
        assert!(s.closed_completed && s.closed_on_time && !s.deadline_passed);
    }

    #[test]
    fn risk_monitoring_gives_no_re_examination_or_objection() {
        let (p, c) = (food_risk(), cal());
        let mut case = Case::new(bj("2025-09-29 10:00"));
        case.record(&p, &c, ev(K::EntityNotified, "2025-10-10 10:00"), later())
            .unwrap();
        for kind in [K::RecheckRequested, K::ObjectionFiled] {
            let got = check_event(&p, &c, &case, &ev(kind, "2025-10-13 10:00"), later());
            assert_eq!(got, Err(EventError::NoRight { kind }));
        }
        let lines = deadlines(&p, &c, &case);
        assert_eq!(
            steps(&lines),
            vec![K::AuthorityReported, K::EntityNotified, K::Closed]
        );
        assert_eq!(
            required_steps(&p, &case),
            vec![K::AuthorityReported, K::EntityNotified, K::RiskControlled]
        );
    }

    /// Drugs: 复验 within 7 calendar days of service (served 2025-09-29 → 2025-10-06,
    /// inside the holiday), and no objection at all.
    #[test]
    fn the_drug_re_test_window_is_counted_in_calendar_days() {
        let (p, c) = (drug(), cal());
        let case = Case {
            events: vec![ev(K::EntityNotified, "2025-09-29 15:00")],
            ..Case::new(bj("2025-09-29 10:00"))
        };
        let lines = deadlines(&p, &c, &case);
        let w = line(&lines, K::RecheckRequested);
        assert_eq!((w.due_on, w.unit), (d("2025-10-06"), RuleUnit::Days));
        assert_eq!(w.rule_zh, "7 日");
        assert_eq!(w.days_left(&c, d("2025-10-01")), 5);
        assert!(!steps(&lines).contains(&K::ObjectionFiled));
        let late = ev(K::RecheckRequested, "2025-10-07 09:00");
        assert_eq!(
            check_event(&p, &c, &case, &late, later()),
            Err(EventError::Late {
                kind: K::RecheckRequested,
                deadline: d("2025-10-06")
            })
        );
        let objection = ev(K::ObjectionFiled, "2025-10-01 09:00");
        assert_eq!(
            check_event(&p, &c, &case, &objection, later()),
            Err(EventError::NoRight {
                kind: K::ObjectionFiled
            })
        );
    }

    #[test]
    fn a_summary_tells_started_closed_on_time_and_passed() {
        let (p, c) = (food(), cal());
        // Opened 2025-09-29: due 2025-12-28.
        let open = served_national_day();
        let s = summarise(&p, &c, &open, d("2025-12-28"));
        assert_eq!(
            s,
            CaseSummary {
                needs_disposal: true,
                ..CaseSummary::default()
            }
        );
        assert!(summarise(&p, &c, &open, d("2025-12-29")).deadline_passed);

        let mut recall = open.clone();
        recall
            .events
            .push(ev(K::RecallStarted, "2025-10-12 10:00").with_recall_level(3));
        assert!(summarise(&p, &c, &recall, d("2025-11-01")).started);

        let mut closed = case_with("2025-09-29 10:00", &complete_steps());
        closed.events.push(ev(K::Closed, "2025-12-28 23:59"));
        let s = summarise(&p, &c, &closed, d("2026-03-01"));
        assert_eq!(
            s,
            CaseSummary {
                needs_disposal: true,
                started: true,
                closed_completed: true,
                closed_on_time: true,
                deadline_passed: true,
            }
        );
    }

    /// Ten cases, two of them overturned (8 need disposal):
    /// - disposal = started among those needing it: #1 #2 #3 #4 #5 #10 = 6/8 = 0.75;
    /// - completion = closed as completed: #1 #2 #3 #10 = 4/8 = 0.5;
    /// - on time = closed on time (#1 #2 #10 = 3) ÷ closed or deadline passed
    ///   (#1 #2 #3 #4 #6 #10 = 6) = 3/6 = 0.5.
    #[test]
    fn the_three_rates_on_ten_cases() {
        let s = |needs, started, closed, on_time, passed| CaseSummary {
            needs_disposal: needs,
            started,
            closed_completed: closed,
            closed_on_time: on_time,
            deadline_passed: passed,
        };
        let cases = [
            s(true, true, true, true, true),  // 1 closed on time, deadline passed
            s(true, true, true, true, false), // 2 closed early
            s(true, true, true, false, true), // 3 closed late
            s(true, true, false, false, true), // 4 open, overdue
            s(true, true, false, false, false), // 5 open, in time
            s(true, false, false, false, true), // 6 not started, overdue
            s(true, false, false, false, false), // 7 not started, in time
            s(false, true, false, false, true), // 8 overturned
            s(false, false, false, false, false), // 9 overturned
            s(true, true, true, true, false), // 10 closed early
        ];
        let r = rates(&cases);
        let got = |x: Ratio| (x.numerator, x.denominator, x.value);
        assert_eq!(got(r.disposal), (6, 8, Some(0.75)));
        assert_eq!(got(r.completion), (4, 8, Some(0.5)));
        assert_eq!(got(r.on_time), (3, 6, Some(0.5)));
        assert_eq!(r.disposal.definition_zh, DISPOSAL_RATE_ZH);
        assert_eq!(r.on_time.definition_en, ON_TIME_RATE_EN);
        assert_eq!(r.completion.key, "completion_rate");

        let none = rates(&[]);
        assert_eq!(got(none.disposal), (0, 0, None));
        assert_eq!(got(rates(&cases[7..9]).on_time), (0, 0, None));
    }

    #[test]
    fn every_error_has_both_messages_and_a_class() {
        let at = bj("2025-10-01 10:00");
        let all = [
            (
                EventError::Future {
                    kind: K::Rectified,
                    at,
                },
                false,
            ),
            (
                EventError::BeforeOpen {
                    kind: K::Rectified,
                    opened_at: at,
                },
                false,
            ),
            (
                EventError::Late {
                    kind: K::ObjectionFiled,
                    deadline: d("2025-10-20"),
                },
                false,
            ),
            (
                EventError::NoRight {
                    kind: K::ObjectionFiled,
                },
                false,
            ),
            (
                EventError::Detail {
                    kind: K::RecheckResult,
                    field: "upheld",
                    problem: DetailProblem::Missing,
                },
                false,
            ),
            (
                EventError::Order {
                    kind: K::RecheckResult,
                    needs: K::RecheckAccepted,
                },
                true,
            ),
            (EventError::RecheckRefused, true),
            (
                EventError::Repeated {
                    kind: K::RecallStarted,
                },
                true,
            ),
            (EventError::Closed { kind: K::Rectified }, true),
            (EventError::Missing(vec![K::Rectified]), true),
        ];
        for (e, conflict) in all {
            assert_eq!(e.is_conflict(), conflict, "{e:?}");
            assert!(!e.message_zh().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
        let future = EventError::Future {
            kind: K::Rectified,
            at,
        };
        assert!(future.message_zh().contains("2025-10-01 10:00"));
    }
}
