//! Disposal cases (核查处置): opened by the report that concludes non-compliant, followed
//! step by step by supervisors against the deadlines of the rule profile, closed when every
//! required step is recorded. The rules and the case's states live in `domain::disposal`,
//! the rows and queries in `db::cases`; this module loads a case, asks the rules, and
//! writes one audited event per transaction. A step that also acts on a report (an
//! overturning re-examination) is driven by `workflow::case_reports`.

mod attachments;
mod extension;
mod public;
mod rates;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::cases::{self as rows, AttachmentRow, CaseRow, EventRow};
use crate::db::reference::{get_profile, work_calendar};
use crate::db::samples::SampleRow;
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::WorkCalendar;
use crate::domain::disposal::{
    check_event, completion_deadline, deadlines, missing_steps, standing, started_on, Case,
    CaseStatus, Event, EventError, Outcome, StepKind,
};
use crate::domain::local_time::{local_date, to_local, year_range};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind, RuleProfile};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor, Ctx};

pub use crate::forms::EventInput;
pub use attachments::{
    add_attachment, attachment, attachment_too_large, sniff_attachment, AttachmentUpload,
    MAX_ATTACHMENT_BYTES,
};
pub use extension::{approve_extension, reopen, request_extension, ExtensionInput, ReopenInput};
pub use public::{
    publish_info, published_info, reminders, unpublish_info, PublicDisposal, PublicInfoInput,
    Reminder, REMINDER_HORIZON,
};
pub use rates::{stats, DisposalStats, LaggingCase, RateRow, StatsFilter, LAGGING_LIST_LIMIT};

/// One step of a case as the API shows it: a deadline line (with or without the event
/// that met it) or an event recorded without a deadline of its own.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub kind: String,
    pub label: String,
    pub due_on: Option<NaiveDate>,
    /// Days left (working days for working-day rules); negative when overdue.
    pub days_left: Option<i64>,
    pub rule: Option<String>,
    pub citation: Option<String>,
    #[schema(value_type = Option<String>)]
    pub done_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub by: Option<String>,
    pub note: Option<String>,
    pub upheld: Option<bool>,
    /// A right of the entity (re-examination, objection) that lapses, never overdue.
    pub window: bool,
    pub overdue: bool,
    /// Done, but after its deadline (a late service, a recall finished late).
    pub late: bool,
    /// The recorded event behind the step, for filing evidence against it.
    pub event_id: Option<i64>,
    /// Evidence filed with the step (served notice, penalty decision, recall records).
    pub attachments: Vec<Attachment>,
}

/// A file filed with a step, without its bytes (`GET …/attachments/{id}` serves them).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub event_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes as received, hex.
    pub sha256: String,
    pub uploaded_by: Option<String>,
    #[schema(value_type = String)]
    pub uploaded_at: chrono::DateTime<chrono::FixedOffset>,
}

/// A disposal case (API.md `disposal`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Disposal {
    pub id: i64,
    pub sample_no: String,
    pub report_no: String,
    /// disposal | follow_up
    pub kind: String,
    pub region_code: String,
    pub product_name: String,
    pub entity_name: String,
    /// open | closed
    pub status: String,
    /// null | completed | overturned
    pub outcome: Option<String>,
    #[schema(value_type = String)]
    pub opened_at: chrono::DateTime<chrono::FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The completion deadline (extended when an extension was approved).
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    pub steps: Vec<Step>,
    /// Required steps not yet recorded: closing is refused until they are.
    pub missing: Vec<String>,
    /// The disposal information as published (rules.md §e.2), if it is.
    pub public_info: Option<PublicDisposal>,
    pub version: i32,
}

impl Disposal {
    /// Whether the case is still being worked on (the pages' forms show only then).
    pub fn is_open(&self) -> bool {
        self.status == CaseStatus::Open.as_str()
    }

    /// Whether the case was closed as completed (its information may be published).
    pub fn is_completed(&self) -> bool {
        self.outcome.as_deref() == Some(Outcome::Completed.as_str())
    }

    /// Whether a re-examination overturned the result.
    pub fn is_overturned(&self) -> bool {
        self.outcome.as_deref() == Some(Outcome::Overturned.as_str())
    }
}

fn profile_of(conn: &mut DbConnection, row: &CaseRow) -> AppResult<RuleProfile> {
    let domain: Domain = row.domain.parse().map_err(AppError::internal)?;
    let kind: PlanKind = row.plan_kind.parse().map_err(AppError::internal)?;
    get_profile(conn, domain, kind)?
        .map(|p| p.profile())
        .ok_or_else(|| AppError::internal(format!("no rule profile for {domain} {kind}")))
}

/// Rule profiles read once per (domain, plan kind) while going through many cases.
#[derive(Default)]
struct Profiles(std::collections::HashMap<(String, String), std::rc::Rc<RuleProfile>>);

impl Profiles {
    fn of(
        &mut self,
        conn: &mut DbConnection,
        row: &CaseRow,
    ) -> AppResult<std::rc::Rc<RuleProfile>> {
        let key = (row.domain.clone(), row.plan_kind.clone());
        if let Some(p) = self.0.get(&key) {
            return Ok(p.clone());
        }
        let p = std::rc::Rc::new(profile_of(conn, row)?);
        self.0.insert(key, p.clone());
        Ok(p)
    }
}

fn domain_case(row: &CaseRow, events: &[EventRow]) -> AppResult<Case> {
    let mut case = Case::new(row.opened_at);
    case.extended_until = row.extended_until;
    for e in events {
        case.events.push(Event {
            kind: e.kind.parse().map_err(AppError::internal)?,
            at: e.at,
            upheld: e.upheld,
            recall_level: e.recall_level.and_then(|l| u8::try_from(l).ok()),
            accepted: e.accepted,
        });
    }
    Ok(case)
}

/// Opens the case of a newly issued non-compliant report, inside the issuing
/// transaction, when the rule profile says the sample's plan kind opens one
/// (`opens_disposal`, or `opens_follow_up` for a lighter follow-up case).
pub(crate) fn open_for(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    s: &SampleRow,
    report_no: &str,
) -> AppResult<Option<i64>> {
    let (plan_kind, plan_level) = rows::plan_kind_level(conn, s.plan_id)?;
    let domain: Domain = s.domain.parse().map_err(AppError::internal)?;
    let kind: PlanKind = plan_kind.parse().map_err(AppError::internal)?;
    let Some(profile) = get_profile(conn, domain, kind)?.map(|p| p.profile()) else {
        return Ok(None);
    };
    let case_kind = if profile.flag("opens_disposal") == Some(true) {
        "disposal"
    } else if profile.flag("opens_follow_up") == Some(true) {
        "follow_up"
    } else {
        return Ok(None);
    };
    let region_code = rows::entity_region(conn, s.entity_id)?;
    let cal = work_calendar(conn)?;
    let due_on = completion_deadline(&profile, &cal, &Case::new(now)).map(|d| d.date);
    let id = rows::insert(
        conn,
        &rows::NewCase {
            sample_id: s.id,
            report_no,
            kind: case_kind,
            region_code: &region_code,
            domain: &s.domain,
            plan_kind: &plan_kind,
            plan_level: &plan_level,
            due_on,
            now,
        },
    )?;
    audit::append(
        conn,
        now,
        actor,
        Change {
            action: "disposal.open",
            entity_kind: "disposal",
            entity_id: id.to_string(),
            after: Some(serde_json::json!({
                "sample_no": s.sample_no, "report_no": report_no, "kind": case_kind,
                "region_code": region_code, "due_on": due_on,
            })),
            ..Change::default()
        },
    )?;
    Ok(Some(id))
}

/// A case the actor may see: a supervisor (or admin) whose scope covers the case's
/// region. Anyone else, or another region, gets 404.
/// A supervisor's step on a case that needs a reason (extension request, reopening,
/// withdrawal of the published information): the case as visible to the actor and
/// the reason, cleaned, which may not be empty.
fn supervisor_step(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> AppResult<(CaseRow, String)> {
    actor.require(&[Role::Supervisor])?;
    let row = visible_case(conn, actor, id)?;
    let reason = clean_text(reason, 500, true).map_err(|m| AppError::field("reason", m))?;
    Ok((row, reason))
}

fn visible_case(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<CaseRow> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let not_found = || AppError::not_found("核查处置案件", "Disposal case");
    let row = rows::find(conn, id)?.ok_or_else(not_found)?;
    let inside = actor.covers(&row.region_code);
    if inside {
        Ok(row)
    } else {
        Err(not_found())
    }
}

/// The case as it stands now, after a write.
fn reload(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> AppResult<Disposal> {
    let row = rows::get(conn, id)?;
    let cal = work_calendar(conn)?;
    show(conn, &row, &cal, now)
}

fn show(
    conn: &mut DbConnection,
    row: &CaseRow,
    cal: &WorkCalendar,
    now: NaiveDateTime,
) -> AppResult<Disposal> {
    let profile = profile_of(conn, row)?;
    show_with(conn, row, &profile, cal, now)
}

/// [`show`] with the case's rule profile already at hand (lists read each profile once).
fn show_with(
    conn: &mut DbConnection,
    row: &CaseRow,
    profile: &RuleProfile,
    cal: &WorkCalendar,
    now: NaiveDateTime,
) -> AppResult<Disposal> {
    let events = rows::events_of(conn, row.id)?;
    let case = domain_case(row, &events)?;
    let today = local_date(now);
    let files = rows::attachments_of(conn, row.id)?;
    // Everyone named on the page, recorders and uploaders, in one query.
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e.recorded_by)
        .chain(files.iter().map(|f| f.uploaded_by))
        .collect();
    let names = crate::db::users::display_names(conn, &ids)?;
    let name = |id: i64| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone());
    let event_of = |kind: StepKind| events.iter().find(|e| e.kind == kind.as_str());
    let (status, _) = row.state()?;
    let open = status.is_open();
    let mut steps: Vec<Step> = Vec::new();
    for d in deadlines(profile, cal, &case) {
        let e = event_of(d.step);
        steps.push(Step {
            kind: d.step.as_str().to_string(),
            label: d.step.label_zh().to_string(),
            due_on: Some(d.due_on),
            days_left: (d.done_at.is_none() && open).then(|| d.days_left(cal, today)),
            rule: Some(d.rule_zh.clone()),
            citation: Some(d.basis.clone()),
            done_at: d.done_at.map(to_local),
            by: e.and_then(|e| name(e.recorded_by)),
            note: e.and_then(|e| e.note.clone()),
            upheld: e.and_then(|e| e.upheld),
            window: d.window,
            overdue: open && d.overdue(now),
            late: d.done_late(),
            event_id: e.map(|e| e.id),
            attachments: Vec::new(),
        });
    }
    for e in &events {
        if steps
            .iter()
            .any(|s| s.kind == e.kind && s.done_at == Some(to_local(e.at)))
        {
            continue;
        }
        let kind: StepKind = e.kind.parse().map_err(AppError::internal)?;
        steps.push(Step {
            kind: e.kind.clone(),
            label: kind.label_zh().to_string(),
            due_on: None,
            days_left: None,
            rule: None,
            citation: None,
            done_at: Some(to_local(e.at)),
            by: name(e.recorded_by),
            note: e.note.clone(),
            upheld: e.upheld,
            window: false,
            overdue: false,
            late: false,
            event_id: Some(e.id),
            attachments: Vec::new(),
        });
    }
    for f in files {
        let by = name(f.uploaded_by);
        if let Some(step) = steps.iter_mut().find(|s| s.event_id == Some(f.event_id)) {
            step.attachments.push(attachment_view(f, by));
        }
    }
    let (sample_no, product_name, entity_name) = rows::sample_names(conn, row.sample_id)?;
    let due_on = completion_deadline(profile, cal, &case).map(|d| d.date);
    Ok(Disposal {
        id: row.id,
        sample_no,
        report_no: row.report_no.clone(),
        kind: row.kind.clone(),
        region_code: row.region_code.clone(),
        product_name,
        entity_name,
        status: row.status.clone(),
        outcome: row.outcome.clone(),
        opened_at: to_local(row.opened_at),
        closed_at: row.closed_at.map(to_local),
        due_on,
        overdue: open && due_on.is_some_and(|d| d < today),
        missing: if open {
            missing_steps(profile, &case)
                .iter()
                .map(|k| k.as_str().to_string())
                .collect()
        } else {
            Vec::new()
        },
        steps,
        public_info: row
            .public_info
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        version: row.version,
    })
}

/// A stored file as the API shows it, with its uploader's name.
fn attachment_view(f: AttachmentRow, by: Option<String>) -> Attachment {
    Attachment {
        id: f.id,
        event_id: f.event_id,
        file_name: f.file_name,
        content_type: f.content_type,
        size_bytes: f.size_bytes,
        sha256: f.sha256,
        uploaded_by: by,
        uploaded_at: to_local(f.uploaded_at),
    }
}

pub fn get_case(cx: &mut Ctx, id: i64) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let row = visible_case(conn, actor, id)?;
    let cal = work_calendar(conn)?;
    show(conn, &row, &cal, now)
}

/// `GET /api/v1/disposals` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct DisposalFilter {
    /// open | closed
    pub status: Option<String>,
    /// Only cases past their completion deadline (open ones).
    pub overdue: Option<bool>,
    /// A region code: that region and everything below it.
    pub region: Option<String>,
    /// The year the case opened (Asia/Shanghai).
    pub year: Option<i32>,
}

/// Cases the actor may see, most urgent first.
pub fn list_cases(
    cx: &mut Ctx,
    f: &DisposalFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Disposal>, i64)> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let mut errors = FieldErrors::new();
    let mut status = None;
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        match s.parse::<CaseStatus>() {
            Ok(s) => status = Some(s),
            Err(_) => {
                errors.insert(
                    "status".into(),
                    Msg::new("状态无效", "must be open or closed"),
                );
            }
        }
    }
    let region = crate::workflow::region_filter(f.region.as_deref(), "region", &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let filter = rows::ListFilter {
        status,
        due_before: (f.overdue == Some(true)).then(|| local_date(now)),
        scope_like: actor
            .region
            .as_ref()
            .map(|r| format!("{}%", r.like_prefix())),
        region_like: region.as_ref().map(|r| format!("{}%", r.like_prefix())),
        opened: f.year.map(year_range),
    };
    let (found, total) = rows::list(conn, &filter, page, per_page)?;
    let cal = work_calendar(conn)?;
    let mut profiles = Profiles::default();
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        let p = profiles.of(conn, r)?;
        out.push(show_with(conn, r, &p, &cal, now)?);
    }
    Ok((out, total))
}

fn event_error(e: EventError) -> AppError {
    let msg = Msg::new(e.message_zh(), e.message_en());
    if e.is_conflict() {
        AppError::Conflict(msg)
    } else {
        let field = match e {
            EventError::Future { .. } | EventError::BeforeOpen { .. } | EventError::Late { .. } => {
                "at"
            }
            _ => "kind",
        };
        AppError::field(field, msg)
    }
}

/// The case's report, when a re-examination has just overturned its result: the report
/// stage retires it inside the same transaction (see `workflow::case_reports`).
pub struct OverturnedReport<'a> {
    pub report_no: &'a str,
    pub sample_id: i64,
}

/// A supervisor records a step. The rules decide whether it may be recorded now; a
/// re-examination that does not uphold the result closes the case as overturned and
/// calls `replace_report` in the same transaction, which returns the number of the
/// report that now stands for the sample. Called by `workflow::case_reports::record_event`,
/// which replaces the report.
pub fn record_event_with(
    cx: &mut Ctx,
    id: i64,
    input: &EventInput,
    replace_report: impl FnOnce(&mut DbConnection, &OverturnedReport) -> AppResult<String>,
) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    actor.require(&[Role::Supervisor])?;
    visible_case(cx.conn, actor, id)?;
    let kind: StepKind = input.kind.trim().parse().map_err(|_| {
        AppError::field(
            "kind",
            Msg::new("步骤类型无效", "is not a disposal step kind"),
        )
    })?;
    if kind == StepKind::Reopened {
        return Err(AppError::field(
            "kind",
            Msg::new(
                "重新开启请使用专门的操作",
                "reopen a case with its own action",
            ),
        ));
    }
    let note = clean_text(input.note.as_deref().unwrap_or(""), 1000, false)
        .map_err(|m| AppError::field("note", m))?;
    let at = input.at.naive_utc();
    let event = Event {
        kind,
        at,
        upheld: input.upheld,
        recall_level: input.recall_level,
        // API.md's `recheck_accepted` carries no flag: the step says it was accepted.
        accepted: match kind {
            StepKind::RecheckAccepted => Some(input.accepted.unwrap_or(true)),
            _ => input.accepted,
        },
    };
    let recorder = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(cx.conn, |conn| {
        let fresh = rows::get(conn, id)?;
        let profile = profile_of(conn, &fresh)?;
        let cal = work_calendar(conn)?;
        let events = rows::events_of(conn, id)?;
        let mut case = domain_case(&fresh, &events)?;
        check_event(&profile, &cal, &case, &event, now).map_err(event_error)?;
        rows::insert_event(
            conn,
            &rows::NewEvent {
                case_id: id,
                kind,
                at,
                upheld: input.upheld,
                accepted: event.accepted,
                recall_level: input.recall_level,
                note: (!note.is_empty()).then_some(note.as_str()),
                recorded_by: recorder,
                now,
            },
        )?;
        case.events.push(event.clone());
        let (status, result) = standing(&case);
        let closing = status == CaseStatus::Closed;
        let mut new_report = fresh.report_no.clone();
        if result == Some(Outcome::Overturned) {
            new_report = replace_report(
                conn,
                &OverturnedReport {
                    report_no: &fresh.report_no,
                    sample_id: fresh.sample_id,
                },
            )?;
        }
        let n = rows::update_after_event(
            conn,
            id,
            fresh.version,
            &rows::AfterEvent {
                status,
                outcome: result,
                closed_at: closing.then_some(at),
                closed_on: closing.then(|| local_date(at)),
                started_on: started_on(&profile, &case),
                report_no: &new_report,
            },
            now,
        )?;
        AppError::stale_unless(n)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.event",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                before: Some(serde_json::json!({ "status": fresh.status })),
                after: Some(serde_json::json!({
                    "kind": kind.as_str(), "at": to_local(at), "note": note,
                    "upheld": input.upheld, "accepted": input.accepted,
                    "recall_level": input.recall_level,
                    "status": status.as_str(),
                    "outcome": result.map(Outcome::as_str),
                })),
                reason: None,
            },
        )?;
        let row = rows::get(conn, id)?;
        show(conn, &row, &cal, now)
    })
}
