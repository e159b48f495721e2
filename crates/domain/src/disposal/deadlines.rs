//! The deadlines of a case from its rule profile: each step's due line, the completion
//! date (or its approved extension) and the steps still required before closing.

use super::*;

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
    /// The rule's formal citation (its `basis`), as pages print it.
    pub basis: String,
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
pub(super) fn due_line(
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
        basis: rule.basis.clone(),
        window,
        extended: false,
        done_at: done.map(|e| e.at),
    })
}

pub(super) const COMPLETION_KEY: &str = "disposal_completion";

/// The rule key of the window in which the entity may take `kind`, if it is one.
pub(super) fn window_key(kind: StepKind) -> Option<&'static str> {
    match kind {
        StepKind::RecheckRequested => Some("recheck_request_window"),
        StepKind::ObjectionFiled => Some("objection_window"),
        _ => None,
    }
}

/// The recall rule keys for `level`: `recall_level{n}_start`, `recall_level{n}_finish`.
pub(super) fn recall_keys(level: u8) -> (String, String) {
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
