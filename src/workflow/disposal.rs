//! Disposal cases (核查处置): opened by the report that concludes non-compliant, followed
//! step by step by supervisors against the deadlines of the rule profile, closed when every
//! required step is recorded. The rules live in `domain::disposal`; this module loads a
//! case, asks the rules, and writes one audited event per transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::placeholders;
use crate::db::schema::{
    disposal_attachments, disposal_cases, disposal_events, entities, plans, regions, samples, users,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::WorkCalendar;
use crate::domain::disposal::{
    check_event, completion_deadline, deadlines, missing_steps, outcome, started_on, Case, Event,
    EventError, Outcome, StepKind,
};
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind, RuleProfile};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::intake::{local_date, to_local, SampleRow};
use crate::workflow::reference::{get_profile, work_calendar};
use crate::workflow::reports::{self, Issuer, Reissue};
use crate::workflow::{clean_text, Actor};

pub use crate::forms::EventInput;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_cases)]
struct CaseRow {
    id: i64,
    sample_id: i64,
    report_no: String,
    kind: String,
    region_code: String,
    domain: String,
    plan_kind: String,
    status: String,
    outcome: Option<String>,
    opened_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    extended_until: Option<NaiveDate>,
    public_info: Option<String>,
    version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_events)]
struct EventRow {
    id: i64,
    kind: String,
    at: NaiveDateTime,
    upheld: Option<bool>,
    accepted: Option<bool>,
    recall_level: Option<i32>,
    note: Option<String>,
    recorded_by: i64,
}

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

fn events_of(conn: &mut DbConnection, case_id: i64) -> AppResult<Vec<EventRow>> {
    Ok(disposal_events::table
        .filter(disposal_events::case_id.eq(case_id))
        .order(disposal_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?)
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
    let (plan_kind, plan_level): (String, String) = plans::table
        .find(s.plan_id)
        .select((plans::kind, plans::level))
        .first(conn)?;
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
    let region_code: String = entities::table
        .find(s.entity_id)
        .select(entities::region_code)
        .first(conn)?;
    let cal = work_calendar(conn)?;
    let due_on = completion_deadline(&profile, &cal, &Case::new(now)).map(|d| d.date);
    let id: i64 = diesel::insert_into(disposal_cases::table)
        .values((
            disposal_cases::sample_id.eq(s.id),
            disposal_cases::report_no.eq(report_no),
            disposal_cases::kind.eq(case_kind),
            disposal_cases::region_code.eq(&region_code),
            disposal_cases::domain.eq(&s.domain),
            disposal_cases::plan_kind.eq(&plan_kind),
            disposal_cases::plan_level.eq(&plan_level),
            disposal_cases::status.eq("open"),
            disposal_cases::opened_at.eq(now),
            disposal_cases::due_on.eq(due_on),
            disposal_cases::version.eq(1),
            disposal_cases::updated_at.eq(now),
        ))
        .returning(disposal_cases::id)
        .get_result(conn)?;
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
fn visible_case(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<CaseRow> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let row: Option<CaseRow> = disposal_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?;
    let not_found = || AppError::not_found("核查处置案件", "Disposal case");
    let row = row.ok_or_else(not_found)?;
    let inside =
        RegionCode::parse(&row.region_code).is_ok_and(|r| scope_covers(actor.region.as_ref(), &r));
    if inside {
        Ok(row)
    } else {
        Err(not_found())
    }
}

/// The case as it stands now, after a write.
fn reload(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> AppResult<Disposal> {
    let row = disposal_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)?;
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
    let events = events_of(conn, row.id)?;
    let case = domain_case(row, &events)?;
    let today = local_date(now);
    let files: Vec<AttachmentRow> = disposal_attachments::table
        .filter(disposal_attachments::case_id.eq(row.id))
        .order(disposal_attachments::id.asc())
        .select(AttachmentRow::as_select())
        .load(conn)?;
    // Everyone named on the page, recorders and uploaders, in one query.
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e.recorded_by)
        .chain(files.iter().map(|f| f.uploaded_by))
        .collect();
    let names: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    let name = |id: i64| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone());
    let event_of = |kind: StepKind| events.iter().find(|e| e.kind == kind.as_str());
    let open = row.status == "open";
    let mut steps: Vec<Step> = Vec::new();
    for d in deadlines(profile, cal, &case) {
        let e = event_of(d.step);
        steps.push(Step {
            kind: d.step.as_str().to_string(),
            label: d.step.label_zh().to_string(),
            due_on: Some(d.due_on),
            days_left: (d.done_at.is_none() && open).then(|| d.days_left(cal, today)),
            rule: Some(d.rule_zh.clone()),
            citation: Some(d.citation.clone()),
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
            step.attachments.push(f.view(by));
        }
    }
    let (sample_no, product_name, entity_name): (String, String, String) = samples::table
        .inner_join(entities::table)
        .filter(samples::id.eq(row.sample_id))
        .select((samples::sample_no, samples::product_name, entities::name))
        .first(conn)?;
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

pub fn get_case(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
) -> AppResult<Disposal> {
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
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &DisposalFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Disposal>, i64)> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let mut errors = FieldErrors::new();
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        if !["open", "closed"].contains(&s) {
            errors.insert(
                "status".into(),
                Msg::new("状态无效", "must be open or closed"),
            );
        }
    }
    let region = crate::workflow::region_filter(f.region.as_deref(), "region", &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let today = local_date(now);
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let region_like = region.as_ref().map(|r| format!("{}%", r.like_prefix()));
    let range = f.year.map(reports::year_range);
    let build = || {
        let mut q = disposal_cases::table.into_boxed();
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(disposal_cases::status.eq(s.to_string()));
        }
        if f.overdue == Some(true) {
            q = q
                .filter(disposal_cases::status.eq("open"))
                .filter(disposal_cases::due_on.lt(today));
        }
        if let Some(p) = &scope {
            q = q.filter(disposal_cases::region_code.like(p.clone()));
        }
        if let Some(p) = &region_like {
            q = q.filter(disposal_cases::region_code.like(p.clone()));
        }
        if let Some((from, to)) = range {
            q = q.filter(
                disposal_cases::opened_at
                    .ge(from)
                    .and(disposal_cases::opened_at.lt(to)),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<CaseRow> = build()
        .order((
            disposal_cases::status.desc(),
            disposal_cases::due_on.asc(),
            disposal_cases::id.asc(),
        ))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(CaseRow::as_select())
        .load(conn)?;
    let cal = work_calendar(conn)?;
    let mut profiles = Profiles::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
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

/// A supervisor records a step. The rules decide whether it may be recorded now; a
/// re-examination that does not uphold the result closes the case as overturned and
/// replaces the report with one that states the re-examination conclusion.
pub fn record_event(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    id: i64,
    input: &EventInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
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
    write_tx(conn, |conn| {
        let fresh: CaseRow = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        let profile = profile_of(conn, &fresh)?;
        let cal = work_calendar(conn)?;
        let events = events_of(conn, id)?;
        let mut case = domain_case(&fresh, &events)?;
        check_event(&profile, &cal, &case, &event, now).map_err(event_error)?;
        diesel::insert_into(disposal_events::table)
            .values((
                disposal_events::case_id.eq(id),
                disposal_events::kind.eq(kind.as_str()),
                disposal_events::at.eq(at),
                disposal_events::upheld.eq(input.upheld),
                disposal_events::accepted.eq(event.accepted),
                disposal_events::recall_level.eq(input.recall_level.map(i32::from)),
                disposal_events::note.eq((!note.is_empty()).then_some(&note)),
                disposal_events::recorded_by.eq(recorder),
                disposal_events::recorded_at.eq(now),
            ))
            .execute(conn)?;
        case.events.push(event.clone());
        let overturned = outcome(&case) == Some(Outcome::Overturned);
        let closing = kind == StepKind::Closed || overturned;
        let mut new_report = fresh.report_no.clone();
        if overturned {
            let signatory: i64 = crate::db::schema::reports::table
                .filter(crate::db::schema::reports::report_no.eq(&fresh.report_no))
                .select(crate::db::schema::reports::signatory_id)
                .first(conn)?;
            let out = reports::retire(
                &mut crate::workflow::Ctx::new(conn, now, actor),
                issuer,
                &fresh.report_no,
                fresh.sample_id,
                "复检结论未维持原检验结论",
                Some(Reissue {
                    remarks: format!("本报告依据复检结论更正原报告 {}。", fresh.report_no),
                    signatory: Some(signatory),
                    overturned: true,
                }),
            )?;
            if let Some(r) = out.reissued {
                new_report = r.report_no;
            }
        }
        let n = diesel::update(
            disposal_cases::table
                .find(id)
                .filter(disposal_cases::version.eq(fresh.version)),
        )
        .set((
            disposal_cases::status.eq(if closing { "closed" } else { "open" }),
            disposal_cases::outcome.eq(if overturned {
                Some("overturned")
            } else if closing {
                Some("completed")
            } else {
                None
            }),
            disposal_cases::closed_at.eq(if closing { Some(at) } else { None }),
            disposal_cases::closed_on.eq(closing.then(|| local_date(at))),
            disposal_cases::started_on.eq(started_on(&profile, &case)),
            disposal_cases::report_no.eq(&new_report),
            disposal_cases::version.eq(fresh.version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
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
                    "status": if closing { "closed" } else { "open" },
                    "outcome": if overturned { Some("overturned") } else if closing { Some("completed") } else { None },
                })),
                reason: None,
            },
        )?;
        let row = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        show(conn, &row, &cal, now)
    })
}

// ---------------------------------------------------------------- rates

/// The figures of one group of cases (a region, a plan level, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    /// A region code, a plan level, or "all".
    pub key: String,
    /// The region's or the level's name (Chinese).
    pub name: String,
    /// Non-compliant samples that need disposal (overturned ones excluded).
    pub non_compliant: u64,
    /// Cases whose disposal has started (a risk-control, recall or investigation step).
    pub started: u64,
    /// Cases closed as completed (not overturned).
    pub closed: u64,
    pub closed_on_time: u64,
    /// Cases closed, or open past their completion deadline: the on-time rate's base.
    pub due_or_closed: u64,
    /// Fractions from 0 to 1; null when nothing is counted below the line.
    pub disposal_rate: Option<f64>,
    pub completion_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub open: u64,
    pub overdue: u64,
    pub overturned: u64,
}

impl RateRow {
    fn add(&mut self, g: &RateGroup) {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        self.non_compliant += n(g.cases - g.overturned);
        self.started += n(g.started);
        self.closed += n(g.completed);
        self.closed_on_time += n(g.on_time);
        self.due_or_closed += n(g.due_or_done);
        self.open += n(g.open);
        self.overdue += n(g.overdue);
        self.overturned += n(g.overturned);
    }

    /// The three rates from the counts, through the one definition in `domain`.
    fn finish(mut self) -> Self {
        let r = crate::domain::disposal::rates_from_counts(
            self.non_compliant,
            self.started,
            self.closed,
            self.closed_on_time,
            self.due_or_closed,
        );
        self.disposal_rate = r.disposal.value;
        self.completion_rate = r.completion.value;
        self.on_time_rate = r.on_time.value;
        self
    }
}

/// A case that keeps a rate below 100 %, linked from the figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LaggingCase {
    pub id: i64,
    pub sample_no: String,
    pub report_no: String,
    pub region_code: String,
    pub due_on: Option<NaiveDate>,
}

/// How many lagging cases each list names; the counts behind the rates are always whole.
pub const LAGGING_LIST_LIMIT: i64 = 200;

/// `GET /api/v1/stats/disposal` (API.md), with the definitions behind each figure, the
/// figures by region and by plan level, and the cases that keep each rate below 100 %.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisposalStats {
    /// The period counted (cases opened from `from` to `to`, both included), if limited.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The region counted ("all" within the actor's scope when none was asked for).
    pub region: Option<String>,
    /// Non-compliant samples that need disposal (overturned ones excluded).
    pub non_compliant: u64,
    /// Cases closed as completed (not overturned).
    pub closed: u64,
    pub closed_on_time: u64,
    /// Fractions from 0 to 1; null when nothing is counted below the line.
    pub disposal_rate: Option<f64>,
    pub completion_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub open: u64,
    pub overdue: u64,
    pub overturned: u64,
    #[schema(value_type = Object)]
    pub definitions: serde_json::Value,
    /// One row per region one level below the region asked for (per prefecture for the
    /// province, per county for a prefecture), rolled up from the counties.
    pub by_region: Vec<RateRow>,
    /// One row per plan level (national, provincial, prefectural, county).
    pub by_level: Vec<RateRow>,
    /// The cases keeping each rate below 100 % (at most `LAGGING_LIST_LIMIT` each; the
    /// full count is the difference of the figures above).
    pub not_started: Vec<LaggingCase>,
    pub not_completed: Vec<LaggingCase>,
    pub not_on_time: Vec<LaggingCase>,
}

/// `GET /api/v1/stats/disposal` filters. All are text so that a bad value becomes a
/// 422 naming its field, as for the other statistics.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct StatsFilter {
    /// The year the cases opened (Asia/Shanghai); default: all years.
    pub year: Option<String>,
    /// The first day of the period (YYYY-MM-DD, Asia/Shanghai), included; instead of
    /// `year`.
    pub from: Option<String>,
    /// The last day of the period (YYYY-MM-DD), included.
    pub to: Option<String>,
    /// A region code: that region and everything below it (county → prefecture → province).
    pub region: Option<String>,
    /// national | provincial | prefectural | county
    pub level: Option<String>,
}

/// The plan levels, in order, with their Chinese names.
const PLAN_LEVELS: [(&str, &str); 4] = [
    ("national", "国家级"),
    ("provincial", "省级"),
    ("prefectural", "市级"),
    ("county", "县级"),
];

/// One aggregate row: the counts of one (region, plan level) pair.
#[derive(Debug, QueryableByName)]
struct RateGroup {
    #[diesel(sql_type = diesel::sql_types::Text)]
    region_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    plan_level: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    cases: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    overturned: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    started: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    completed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    on_time: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    due_or_done: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    open: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    overdue: i64,
}

/// The counts behind the three rates in one pass over the cases, grouped by region and
/// plan level. Each column restates a clause of `domain::disposal::summarise` over the
/// columns every write keeps (`started_on`, `closed_on`, `due_on`): a case needs disposal
/// unless overturned; it started once `started_on` is set; it closed on time when
/// `closed_on <= due_on`; its deadline has passed when `due_on < today`.
/// `ten_cases_walked_to_their_ends_give_the_rates_computed_by_hand` (tests/disposal.rs)
/// checks the figures against a hand count of the same rules. `{where}` is filled by
/// [`rates_where`]; `disposal_cases_rates_idx` covers every column read.
const RATES_SQL: &str = "SELECT region_code, plan_level, COUNT(*) AS cases,
 SUM(CASE WHEN outcome = 'overturned' THEN 1 ELSE 0 END) AS overturned,
 SUM(CASE WHEN (outcome IS NULL OR outcome = 'completed') AND started_on IS NOT NULL THEN 1 ELSE 0 END) AS started,
 SUM(CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END) AS completed,
 SUM(CASE WHEN outcome = 'completed' AND (due_on IS NULL OR closed_on <= due_on) THEN 1 ELSE 0 END) AS on_time,
 SUM(CASE WHEN outcome = 'completed' OR (outcome IS NULL AND due_on < ?) THEN 1 ELSE 0 END) AS due_or_done,
 SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open,
 SUM(CASE WHEN status = 'open' AND due_on < ? THEN 1 ELSE 0 END) AS overdue
 FROM disposal_cases WHERE {where}
 GROUP BY region_code, plan_level";

/// The WHERE clause of [`RATES_SQL`] and its text binds after the two dates: only the
/// filters asked for, so an unfiltered province-wide figure does no per-row `LIKE`.
fn rates_where(s: &RateScope) -> (String, Vec<String>) {
    let mut clause = String::from("kind = 'disposal' AND opened_at >= ? AND opened_at < ?");
    let mut binds = Vec::new();
    for like in [&s.scope_like, &s.region_like] {
        if like != "%" {
            clause.push_str(" AND region_code LIKE ?");
            binds.push(like.clone());
        }
    }
    if !s.level.is_empty() {
        clause.push_str(" AND plan_level = ?");
        binds.push(s.level.clone());
    }
    (clause, binds)
}

/// The checked filters of a stats request.
struct RateScope {
    scope_like: String,
    region_like: String,
    region: Option<RegionCode>,
    level: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    opened_from: NaiveDateTime,
    opened_to: NaiveDateTime,
}

fn rate_scope(conn: &mut DbConnection, actor: &Actor, f: &StatsFilter) -> AppResult<RateScope> {
    let region = match f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(RegionCode::parse(r).map_err(|_| {
            AppError::field(
                "region",
                Msg::new("行政区划代码无效", "is not a region code"),
            )
        })?),
        None => None,
    };
    // A well-formed code of no region is a mistake to name, not an empty figure.
    if let Some(code) = &region {
        let known: i64 = regions::table
            .filter(regions::code.eq(code.as_str()))
            .count()
            .get_result(conn)?;
        if known == 0 {
            return Err(AppError::field(
                "region",
                Msg::new("没有这个行政区划", "is not a known region"),
            ));
        }
    }
    let level = f.level.as_deref().map(str::trim).unwrap_or("").to_string();
    if !level.is_empty() && !PLAN_LEVELS.iter().any(|(k, _)| *k == level) {
        return Err(AppError::field(
            "level",
            Msg::new(
                "计划层级应为 national、provincial、prefectural 或 county",
                "must be national, provincial, prefectural or county",
            ),
        ));
    }
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let date = |field: &str, v: &Option<String>| -> AppResult<Option<NaiveDate>> {
        given(v)
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                    AppError::field(
                        field,
                        Msg::new("日期应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
                    )
                })
            })
            .transpose()
    };
    let (mut from, mut to) = (date("from", &f.from)?, date("to", &f.to)?);
    let year = given(&f.year)
        .map(|y| {
            y.parse::<i32>().map_err(|_| {
                AppError::field(
                    "year",
                    Msg::new("年份应为四位数字，如 2026", "must be a year such as 2026"),
                )
            })
        })
        .transpose()?;
    if let Some(y) = year {
        if !(2000..=2100).contains(&y) {
            return Err(AppError::field(
                "year",
                Msg::new("年份应在 2000 至 2100 之间", "must be from 2000 to 2100"),
            ));
        }
        if from.is_some() || to.is_some() {
            return Err(AppError::field(
                "year",
                Msg::new(
                    "年份与起止日期只能选一种",
                    "give a year or from/to, not both",
                ),
            ));
        }
        from = NaiveDate::from_ymd_opt(y, 1, 1);
        to = NaiveDate::from_ymd_opt(y, 12, 31);
    }
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            return Err(AppError::field(
                "from",
                Msg::new("开始日期晚于结束日期", "is after to"),
            ));
        }
    }
    let utc_midnight = crate::domain::local_time::utc_of_local_midnight;
    // Open ends are bounds both databases store and compare as timestamps (chrono's own
    // extremes are out of PostgreSQL's range and do not sort as SQLite text).
    let bound = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
    let opened_from = utc_midnight(from.unwrap_or(bound(1970)));
    let opened_to = utc_midnight(to.and_then(|d| d.succ_opt()).unwrap_or(bound(3000)));
    Ok(RateScope {
        scope_like: actor
            .region
            .as_ref()
            .map_or("%".to_string(), |r| format!("{}%", r.like_prefix())),
        region_like: region
            .as_ref()
            .map_or("%".to_string(), |r| format!("{}%", r.like_prefix())),
        region,
        level,
        from,
        to,
        opened_from,
        opened_to,
    })
}

/// The cases keeping one rate below 100 %, oldest deadline first: their ids from the
/// covering index alone, then the details of at most `LAGGING_LIST_LIMIT` of them.
fn lagging(
    conn: &mut DbConnection,
    s: &RateScope,
    which: Lag,
    today: NaiveDate,
) -> AppResult<Vec<LaggingCase>> {
    let mut q = disposal_cases::table
        .filter(disposal_cases::kind.eq("disposal"))
        .filter(disposal_cases::opened_at.ge(s.opened_from))
        .filter(disposal_cases::opened_at.lt(s.opened_to))
        .into_boxed();
    for like in [&s.scope_like, &s.region_like] {
        if like != "%" {
            q = q.filter(disposal_cases::region_code.like(like.clone()));
        }
    }
    if !s.level.is_empty() {
        q = q.filter(disposal_cases::plan_level.eq(s.level.clone()));
    }
    use disposal_cases::{closed_on, due_on, outcome, started_on};
    q = match which {
        Lag::Start => q
            .filter(outcome.is_null().or(outcome.eq("completed")))
            .filter(started_on.is_null()),
        Lag::Completion => q.filter(outcome.is_null()),
        Lag::OnTime => q.filter(
            outcome
                .eq("completed")
                .and(closed_on.gt(due_on))
                .or(outcome.is_null().and(due_on.lt(today))),
        ),
    };
    let ids: Vec<i64> = q
        .order((disposal_cases::due_on.asc(), disposal_cases::id.asc()))
        .limit(LAGGING_LIST_LIMIT)
        .select(disposal_cases::id)
        .load(conn)?;
    let rows: Vec<(i64, String, String, String, Option<NaiveDate>)> = disposal_cases::table
        .inner_join(samples::table)
        .filter(disposal_cases::id.eq_any(&ids))
        .order((disposal_cases::due_on.asc(), disposal_cases::id.asc()))
        .select((
            disposal_cases::id,
            samples::sample_no,
            disposal_cases::report_no,
            disposal_cases::region_code,
            disposal_cases::due_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, sample_no, report_no, region_code, due)| LaggingCase {
            id,
            sample_no,
            report_no,
            region_code,
            due_on: due,
        })
        .collect())
}

/// Which rate a lagging list is below 100 % for.
#[derive(Clone, Copy)]
enum Lag {
    Start,
    Completion,
    OnTime,
}

/// The three rates of SPEC §6 over the disposal cases (not follow-up cases) the actor may
/// see, by period, region (rolled up from the counties below it) and plan level. One
/// aggregate query gives the counts; three short queries name the lagging cases.
pub fn stats(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &StatsFilter,
) -> AppResult<DisposalStats> {
    use crate::domain::disposal::rates_from_counts;
    use crate::domain::region::RegionLevel;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let s = rate_scope(conn, actor, f)?;
    let today = local_date(now);
    let (clause, texts) = rates_where(&s);
    let sql = placeholders(conn, &RATES_SQL.replace("{where}", &clause));
    let mut q = diesel::sql_query(sql)
        .into_boxed::<<DbConnection as diesel::Connection>::Backend>()
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::Timestamp, _>(s.opened_from)
        .bind::<diesel::sql_types::Timestamp, _>(s.opened_to);
    for t in texts {
        q = q.bind::<diesel::sql_types::Text, _>(t);
    }
    let groups: Vec<RateGroup> = q.load(conn)?;
    // Rows by region, one level below the region asked for (or the actor's scope).
    let base = s.region.clone().or_else(|| actor.region.clone());
    let child_level = base
        .as_ref()
        .map_or(Some(RegionLevel::Prefecture), RegionCode::child_level);
    let mut total = RateRow {
        key: "all".into(),
        ..Default::default()
    };
    let mut by_region: std::collections::BTreeMap<String, RateRow> = Default::default();
    let mut by_level: std::collections::BTreeMap<String, RateRow> = Default::default();
    for g in &groups {
        total.add(g);
        let region_key = match (RegionCode::parse(&g.region_code), child_level) {
            (Ok(code), Some(level)) => code.ancestor(level).as_str().to_string(),
            (Ok(code), None) => code.as_str().to_string(),
            (Err(_), _) => g.region_code.clone(),
        };
        by_region
            .entry(region_key.clone())
            .or_insert_with(|| RateRow {
                key: region_key,
                ..Default::default()
            })
            .add(g);
        by_level
            .entry(g.plan_level.clone())
            .or_insert_with(|| RateRow {
                key: g.plan_level.clone(),
                ..Default::default()
            })
            .add(g);
    }
    let codes: Vec<String> = by_region.keys().cloned().collect();
    let names: std::collections::HashMap<String, String> = regions::table
        .filter(regions::code.eq_any(&codes))
        .select((regions::code, regions::name_zh))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let by_region: Vec<RateRow> = by_region
        .into_values()
        .map(|mut r| {
            r.name = names.get(&r.key).cloned().unwrap_or_default();
            r.finish()
        })
        .collect();
    let mut levels: Vec<RateRow> = PLAN_LEVELS
        .iter()
        .filter_map(|(key, name)| {
            by_level.remove(*key).map(|mut r| {
                r.name = (*name).to_string();
                r.finish()
            })
        })
        .collect();
    levels.extend(by_level.into_values().map(RateRow::finish));
    let by_level = levels;
    let total = total.finish();
    let r = rates_from_counts(
        total.non_compliant,
        total.started,
        total.closed,
        total.closed_on_time,
        total.due_or_closed,
    );
    let def = |x: &crate::domain::disposal::Ratio| {
        serde_json::json!({
            "numerator": x.numerator, "denominator": x.denominator,
            "zh": x.definition_zh, "en": x.definition_en,
        })
    };
    Ok(DisposalStats {
        from: s.from,
        to: s.to,
        region: s.region.as_ref().map(|r| r.as_str().to_string()),
        non_compliant: total.non_compliant,
        closed: total.closed,
        closed_on_time: total.closed_on_time,
        disposal_rate: total.disposal_rate,
        completion_rate: total.completion_rate,
        on_time_rate: total.on_time_rate,
        open: total.open,
        overdue: total.overdue,
        overturned: total.overturned,
        definitions: serde_json::json!({
            "disposal_rate": def(&r.disposal),
            "completion_rate": def(&r.completion),
            "on_time_rate": def(&r.on_time),
        }),
        by_region,
        by_level,
        not_started: lagging(conn, &s, Lag::Start, today)?,
        not_completed: lagging(conn, &s, Lag::Completion, today)?,
        not_on_time: lagging(conn, &s, Lag::OnTime, today)?,
    })
}

// ---------------------------------------------------------------- extension and reopening

/// `POST /api/v1/disposals/{id}/extension`: a supervisor asks for a later completion date
/// with a reason; `POST …/extension/approve` by a second supervisor makes it count.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    pub until: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

/// Records a requested extension (not yet in force).
pub fn request_extension(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: &ExtensionInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    let row = visible_case(conn, actor, id)?;
    let reason = clean_text(&input.reason, 500, true).map_err(|m| AppError::field("reason", m))?;
    if row.status != "open" {
        return Err(AppError::Conflict(Msg::new(
            "案件已结案",
            "The case is closed",
        )));
    }
    let profile = profile_of(conn, &row)?;
    let cal = work_calendar(conn)?;
    let events = events_of(conn, id)?;
    let mut case = domain_case(&row, &events)?;
    case.extended_until = None;
    let normal = completion_deadline(&profile, &cal, &case).map(|d| d.date);
    if normal.is_some_and(|d| input.until <= d) {
        return Err(AppError::field(
            "until",
            Msg::new(
                format!(
                    "延期后的日期应晚于原期限 {}",
                    normal.map(|d| d.to_string()).unwrap_or_default()
                ),
                format!(
                    "must be after the deadline {}",
                    normal.map(|d| d.to_string()).unwrap_or_default()
                ),
            ),
        ));
    }
    write_tx(conn, |conn| {
        let n = diesel::update(
            disposal_cases::table
                .find(id)
                .filter(disposal_cases::version.eq(row.version)),
        )
        .set((
            disposal_cases::extension_requested_until.eq(Some(input.until)),
            disposal_cases::extension_reason.eq(Some(&reason)),
            disposal_cases::extension_requested_by.eq(actor.id),
            disposal_cases::extension_approved_by.eq(None::<i64>),
            disposal_cases::version.eq(row.version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.extension_request",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                after: Some(serde_json::json!({ "until": input.until })),
                reason: Some(&reason),
                ..Change::default()
            },
        )?;
        let row = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        show(conn, &row, &cal, now)
    })
}

/// A second supervisor (not the one who asked) approves the pending extension.
pub fn approve_extension(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: &ExtensionInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
    write_tx(conn, |conn| {
        let (requested_by, reason, version, status): (Option<i64>, Option<String>, i32, String) =
            disposal_cases::table
                .find(id)
                .select((
                    disposal_cases::extension_requested_by,
                    disposal_cases::extension_reason,
                    disposal_cases::version,
                    disposal_cases::status,
                ))
                .first(conn)?;
        let Some(requested_by) = requested_by else {
            return Err(AppError::Conflict(Msg::new(
                "没有待批准的延期申请",
                "There is no extension request to approve",
            )));
        };
        if status != "open" {
            return Err(AppError::Conflict(Msg::new(
                "案件已结案",
                "The case is closed",
            )));
        }
        if actor.id == Some(requested_by) {
            return Err(AppError::Forbidden(Msg::new(
                "延期须由另一名监管人员批准",
                "A second supervisor must approve the extension",
            )));
        }
        // The date approved must be the one requested.
        let requested_until: Option<NaiveDate> = disposal_cases::table
            .find(id)
            .select(disposal_cases::extension_requested_until)
            .first(conn)?;
        if requested_until != Some(input.until) {
            return Err(AppError::field(
                "until",
                Msg::new(
                    "批准的日期与申请的日期不一致",
                    "differs from the date requested",
                ),
            ));
        }
        diesel::update(
            disposal_cases::table
                .find(id)
                .filter(disposal_cases::version.eq(version)),
        )
        .set((
            disposal_cases::extended_until.eq(Some(input.until)),
            disposal_cases::due_on.eq(Some(input.until)),
            disposal_cases::extension_approved_by.eq(actor.id),
            disposal_cases::version.eq(version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.extension_approve",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                after: Some(
                    serde_json::json!({ "until": input.until, "requested_by": requested_by }),
                ),
                reason: reason.as_deref(),
                ..Change::default()
            },
        )?;
        reload(conn, id, now)
    })
}

/// `POST /api/v1/disposals/{id}/reopen` `{reason}`: a closed case is opened again.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    #[serde(default)]
    pub reason: String,
}

pub fn reopen(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: &ReopenInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
    let reason = clean_text(&input.reason, 500, true).map_err(|m| AppError::field("reason", m))?;
    let recorder = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let fresh: CaseRow = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        if fresh.status != "closed" {
            return Err(AppError::Conflict(Msg::new(
                "案件未结案",
                "The case is not closed",
            )));
        }
        if fresh.outcome.as_deref() == Some("overturned") {
            return Err(AppError::Conflict(Msg::new(
                "复检推翻原结论的案件不能重新开启",
                "A case closed by an overturning re-examination cannot be reopened",
            )));
        }
        diesel::insert_into(disposal_events::table)
            .values((
                disposal_events::case_id.eq(id),
                disposal_events::kind.eq(StepKind::Reopened.as_str()),
                disposal_events::at.eq(now),
                disposal_events::note.eq(Some(&reason)),
                disposal_events::recorded_by.eq(recorder),
                disposal_events::recorded_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(
            disposal_cases::table
                .find(id)
                .filter(disposal_cases::version.eq(fresh.version)),
        )
        .set((
            disposal_cases::status.eq("open"),
            disposal_cases::outcome.eq(None::<String>),
            disposal_cases::closed_at.eq(None::<NaiveDateTime>),
            disposal_cases::closed_on.eq(None::<NaiveDate>),
            disposal_cases::version.eq(fresh.version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.reopen",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                before: Some(serde_json::json!({ "status": "closed", "outcome": fresh.outcome })),
                after: Some(serde_json::json!({ "status": "open" })),
                reason: Some(&reason),
            },
        )?;
        reload(conn, id, now)
    })
}

// ---------------------------------------------------------------- attachments

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_attachments)]
struct AttachmentRow {
    id: i64,
    event_id: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_by: i64,
    uploaded_at: NaiveDateTime,
}

impl AttachmentRow {
    fn view(self, by: Option<String>) -> Attachment {
        Attachment {
            id: self.id,
            event_id: self.event_id,
            file_name: self.file_name,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            uploaded_by: by,
            uploaded_at: to_local(self.uploaded_at),
        }
    }
}

/// The largest file a step accepts: a scanned decision of a few pages fits; a video does not.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The file types a step accepts, told by their first bytes (never by the name or the
/// declared type alone): PDF, PNG and JPEG.
pub fn sniff_attachment(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The error for a file over [`MAX_ATTACHMENT_BYTES`] (also used while the upload streams).
pub fn attachment_too_large() -> AppError {
    AppError::field(
        "file",
        Msg::new(
            format!("附件不能超过 {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
            format!("must not exceed {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        ),
    )
}

/// A file name as stored: the last path segment, control characters dropped, at most
/// 200 characters; an empty name becomes `attachment`.
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The `lock_user_quota` purpose of evidence uploads.
const UPLOAD_QUOTA_LOCK: i32 = 0x4556_4944;

/// A user uploads at most `upload_bytes_per_day` bytes of evidence per local day
/// (Beijing time); a file that would pass it is refused (429) naming the limit.
fn check_upload_quota(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    uploader: i64,
    size: i64,
    quotas: &crate::config::Quotas,
) -> AppResult<()> {
    use diesel::sql_types::{BigInt, Timestamp};
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    crate::db::lock_user_quota(conn, UPLOAD_QUOTA_LOCK, uploader)?;
    let day_start = crate::domain::local_time::utc_of_local_midnight(
        crate::domain::local_time::local_date(now),
    );
    let sql = match conn {
        DbConnection::Pg(_) => {
            "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS n FROM disposal_attachments \
             WHERE uploaded_by = $1 AND uploaded_at >= $2"
        }
        DbConnection::Sqlite(_) => {
            "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS n FROM disposal_attachments \
             WHERE uploaded_by = ? AND uploaded_at >= ?"
        }
    };
    let used: Used = diesel::sql_query(sql)
        .bind::<BigInt, _>(uploader)
        .bind::<Timestamp, _>(day_start)
        .get_result(conn)?;
    let limit = quotas.upload_bytes_per_day;
    let after = u64::try_from(used.n.saturating_add(size)).unwrap_or(u64::MAX);
    if after > limit {
        let mb = |b: u64| format!("{:.1} MB", b as f64 / (1024.0 * 1024.0));
        let left = limit.saturating_sub(u64::try_from(used.n).unwrap_or(u64::MAX));
        return Err(AppError::RateLimited(Msg::new(
            format!(
                "每位用户每天最多上传 {} 的证据文件（upload_bytes_per_day），今天还可上传 {}",
                mb(limit),
                mb(left)
            ),
            format!(
                "Each user may upload at most {} of evidence per day (upload_bytes_per_day); {} left today",
                mb(limit),
                mb(left)
            ),
        )));
    }
    Ok(())
}

/// `POST /api/v1/disposals/{id}/events/{event_id}/attachments`: a supervisor files
/// evidence with a recorded step. The bytes must be a PDF, PNG or JPEG (told by their
/// content, and matching the declared type when one is given) of at most
/// [`MAX_ATTACHMENT_BYTES`]; their SHA-256 is stored and audited.
#[allow(clippy::too_many_arguments)]
pub fn add_attachment(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    case_id: i64,
    event_id: i64,
    file_name: &str,
    declared_type: Option<&str>,
    bytes: &[u8],
    quotas: &crate::config::Quotas,
) -> AppResult<Attachment> {
    use sha2::{Digest, Sha256};
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, case_id)?;
    if bytes.is_empty() {
        return Err(AppError::field("file", Msg::new("附件为空", "is empty")));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(attachment_too_large());
    }
    let Some(content_type) = sniff_attachment(bytes) else {
        return Err(AppError::field(
            "file",
            Msg::new(
                "附件应为 PDF、PNG 或 JPEG 文件",
                "must be a PDF, PNG or JPEG file",
            ),
        ));
    };
    if let Some(declared) = declared_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty() && t != "application/octet-stream")
    {
        let same =
            declared == content_type || (declared == "image/jpg" && content_type == "image/jpeg");
        if !same {
            return Err(AppError::field(
                "file",
                Msg::new(
                    format!("声明的类型 {declared} 与文件内容（{content_type}）不符"),
                    format!("is declared as {declared} but holds {content_type}"),
                ),
            ));
        }
    }
    let name = clean_file_name(file_name);
    let sha = hex::encode(Sha256::digest(bytes));
    let uploader = actor.id.ok_or_else(AppError::forbidden)?;
    let size = i64::try_from(bytes.len()).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        check_upload_quota(conn, now, uploader, size, quotas)?;
        let owner: Option<i64> = disposal_events::table
            .find(event_id)
            .select(disposal_events::case_id)
            .first(conn)
            .optional()?;
        if owner != Some(case_id) {
            return Err(AppError::NotFound(Msg::new(
                "该案件没有这个步骤",
                "The case has no such step",
            )));
        }
        let id: i64 = diesel::insert_into(disposal_attachments::table)
            .values((
                disposal_attachments::case_id.eq(case_id),
                disposal_attachments::event_id.eq(event_id),
                disposal_attachments::file_name.eq(&name),
                disposal_attachments::content_type.eq(content_type),
                disposal_attachments::size_bytes.eq(size),
                disposal_attachments::sha256.eq(&sha),
                disposal_attachments::content.eq(bytes),
                disposal_attachments::uploaded_by.eq(uploader),
                disposal_attachments::uploaded_at.eq(now),
            ))
            .returning(disposal_attachments::id)
            .get_result(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.attachment",
                entity_kind: "disposal",
                entity_id: case_id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "attachment_id": id, "event_id": event_id, "file_name": name,
                    "content_type": content_type, "size_bytes": size, "sha256": sha,
                })),
                reason: None,
            },
        )?;
        let by: Option<String> = users::table
            .find(uploader)
            .select(users::display_name)
            .first(conn)
            .optional()?;
        Ok(AttachmentRow {
            id,
            event_id,
            file_name: name.clone(),
            content_type: content_type.to_string(),
            size_bytes: size,
            sha256: sha.clone(),
            uploaded_by: uploader,
            uploaded_at: now,
        }
        .view(by))
    })
}

/// One filed file with its bytes, for a supervisor who may see the case.
pub fn attachment(
    conn: &mut DbConnection,
    actor: &Actor,
    case_id: i64,
    id: i64,
) -> AppResult<(Attachment, Vec<u8>)> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    visible_case(conn, actor, case_id)?;
    let found: Option<(AttachmentRow, Vec<u8>)> = disposal_attachments::table
        .filter(disposal_attachments::id.eq(id))
        .filter(disposal_attachments::case_id.eq(case_id))
        .select((AttachmentRow::as_select(), disposal_attachments::content))
        .first(conn)
        .optional()?;
    let (row, bytes) =
        found.ok_or_else(|| AppError::NotFound(Msg::new("附件不存在", "No such attachment")))?;
    Ok((row.view(None), bytes))
}

// ---------------------------------------------------------------- public information

/// What a supervisor writes for the public disposal notice (rules.md §e.2); each field
/// at most 500 characters. The served date, the re-examination and objection requests and
/// the closing date come from the case's steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicInfoInput {
    /// 进货来源: where the entity bought the product.
    #[serde(default)]
    pub supply_source: String,
    /// 购进、销售、库存数量.
    #[serde(default)]
    pub quantity_bought: String,
    #[serde(default)]
    pub quantity_sold: String,
    #[serde(default)]
    pub quantity_remaining: String,
    /// 风险控制措施 (stop sale, seal, recall …).
    #[serde(default)]
    pub measures: String,
    /// 违法行为定性, e.g. 违反《食品安全法》第三十四条.
    #[serde(default)]
    pub legal_basis: String,
    /// 行政处罚 (or the decision not to penalise).
    #[serde(default)]
    pub penalty: String,
    /// 免予处罚的理由, e.g. a seller's proven lawful source (FSL Art 136).
    #[serde(default)]
    pub exemption: String,
}

/// The published disposal information, frozen when published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicDisposal {
    #[serde(flatten)]
    pub info: PublicInfoInput,
    /// The date the notice of the result was served on the entity.
    pub served_on: Option<NaiveDate>,
    pub recheck_requested: bool,
    pub objection_filed: bool,
    pub closed_on: Option<NaiveDate>,
    pub published_on: NaiveDate,
}

/// `POST /api/v1/disposals/{id}/publish`: a supervisor publishes the disposal information
/// of a case closed as completed, once its report's result is published. Publishing again
/// replaces the text; both are audited.
pub fn publish_info(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: &PublicInfoInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
    let mut errors = FieldErrors::new();
    let mut field = |name: &'static str, v: &str| -> String {
        match clean_text(v, 500, false) {
            Ok(t) => t,
            Err(m) => {
                errors.insert(name.to_string(), m);
                String::new()
            }
        }
    };
    let info = PublicInfoInput {
        supply_source: field("supply_source", &input.supply_source),
        quantity_bought: field("quantity_bought", &input.quantity_bought),
        quantity_sold: field("quantity_sold", &input.quantity_sold),
        quantity_remaining: field("quantity_remaining", &input.quantity_remaining),
        measures: field("measures", &input.measures),
        legal_basis: field("legal_basis", &input.legal_basis),
        penalty: field("penalty", &input.penalty),
        exemption: field("exemption", &input.exemption),
    };
    if info.penalty.is_empty() && info.exemption.is_empty() {
        errors.insert(
            "penalty".to_string(),
            Msg::new(
                "请填写行政处罚或免予处罚的理由",
                "give the penalty or the reason for none",
            ),
        );
    }
    if info.measures.is_empty() {
        errors.insert(
            "measures".to_string(),
            Msg::new("请填写风险控制措施", "is required"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let publisher = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let fresh: CaseRow = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        if fresh.outcome.as_deref() != Some("completed") {
            return Err(AppError::Conflict(Msg::new(
                "案件办结后才能公开核查处置信息",
                "Disposal information is published once the case is closed as completed",
            )));
        }
        let report_published: bool = crate::db::schema::reports::table
            .filter(crate::db::schema::reports::report_no.eq(&fresh.report_no))
            .select(crate::db::schema::reports::published_at.is_not_null())
            .first(conn)?;
        if !report_published {
            return Err(AppError::Conflict(Msg::new(
                "请先公布检验结果",
                "Publish the inspection result first",
            )));
        }
        let events = events_of(conn, id)?;
        let first = |k: StepKind| {
            events
                .iter()
                .filter(|e| e.kind == k.as_str())
                .map(|e| local_date(e.at))
                .min()
        };
        let public = PublicDisposal {
            info: info.clone(),
            served_on: first(StepKind::EntityNotified),
            recheck_requested: first(StepKind::RecheckRequested).is_some(),
            objection_filed: first(StepKind::ObjectionFiled).is_some(),
            closed_on: fresh.closed_at.map(local_date),
            published_on: local_date(now),
        };
        let json = serde_json::to_string(&public).map_err(AppError::internal)?;
        let before = fresh.public_info.clone();
        let n = diesel::update(
            disposal_cases::table
                .find(id)
                .filter(disposal_cases::version.eq(fresh.version)),
        )
        .set((
            disposal_cases::public_info.eq(Some(&json)),
            disposal_cases::published_at.eq(Some(now)),
            disposal_cases::published_by.eq(Some(publisher)),
            disposal_cases::version.eq(fresh.version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.publish",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                before: before.and_then(|b| serde_json::from_str(&b).ok()),
                after: Some(serde_json::to_value(&public).map_err(AppError::internal)?),
                reason: None,
            },
        )?;
        reload(conn, id, now)
    })
}

/// `POST /api/v1/disposals/{id}/unpublish`: withdraws the published information, with a
/// reason, audited.
pub fn unpublish_info(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: &ReopenInput,
) -> AppResult<Disposal> {
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
    let reason = clean_text(&input.reason, 500, true).map_err(|m| AppError::field("reason", m))?;
    write_tx(conn, |conn| {
        let fresh: CaseRow = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        let before = fresh.public_info.clone();
        if before.is_none() {
            return Err(AppError::Conflict(Msg::new(
                "核查处置信息尚未公开",
                "The disposal information is not published",
            )));
        }
        diesel::update(disposal_cases::table.find(id))
            .set((
                disposal_cases::public_info.eq(None::<String>),
                disposal_cases::published_at.eq(None::<NaiveDateTime>),
                disposal_cases::published_by.eq(None::<i64>),
                disposal_cases::version.eq(fresh.version + 1),
                disposal_cases::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.unpublish",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                before: before.and_then(|b| serde_json::from_str(&b).ok()),
                after: None,
                reason: Some(&reason),
            },
        )?;
        reload(conn, id, now)
    })
}

/// The published disposal information of these samples, by sample id.
pub fn published_info(
    conn: &mut DbConnection,
    sample_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, PublicDisposal>> {
    let rows: Vec<(i64, Option<String>)> = disposal_cases::table
        .filter(disposal_cases::sample_id.eq_any(sample_ids))
        .filter(disposal_cases::published_at.is_not_null())
        .select((disposal_cases::sample_id, disposal_cases::public_info))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for (sample, json) in rows {
        if let Some(p) = json.and_then(|j| serde_json::from_str(&j).ok()) {
            out.insert(sample, p);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- reminders

/// One reminder: a step of an open case that is overdue or due within the horizon.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reminder {
    pub case_id: i64,
    pub sample_no: String,
    pub region_code: String,
    pub step: String,
    pub label: String,
    pub due_on: NaiveDate,
    /// Working days left (negative when overdue).
    pub days_left: i64,
    pub overdue: bool,
    pub rule: Option<String>,
    pub citation: Option<String>,
    /// The case page.
    pub url: String,
}

/// Working days of notice the morning reminder list gives.
pub const REMINDER_HORIZON: i64 = crate::domain::disposal::DUE_SOON_WORKING_DAYS;

/// The morning list (a page, and an API a mail or SMS gateway can poll): every duty of
/// the open cases in the actor's scope that is overdue or due within
/// [`REMINDER_HORIZON`] working days, most urgent first. The entity's re-examination and
/// objection windows are rights, not duties, and are left out.
pub fn reminders(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
) -> AppResult<Vec<Reminder>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let (cases, total) = list_cases(
            conn,
            now,
            actor,
            &DisposalFilter {
                status: Some("open".into()),
                ..Default::default()
            },
            page,
            500,
        )?;
        for c in &cases {
            for s in &c.steps {
                let (Some(due_on), Some(days_left)) = (s.due_on, s.days_left) else {
                    continue;
                };
                if s.window || s.done_at.is_some() || (days_left > REMINDER_HORIZON && !s.overdue) {
                    continue;
                }
                out.push(Reminder {
                    case_id: c.id,
                    sample_no: c.sample_no.clone(),
                    region_code: c.region_code.clone(),
                    step: s.kind.clone(),
                    label: s.label.clone(),
                    due_on,
                    days_left,
                    overdue: s.overdue,
                    rule: s.rule.clone(),
                    citation: s.citation.clone(),
                    url: format!("/disposals/{}", c.id),
                });
            }
        }
        if page * 500 >= total {
            break;
        }
        page += 1;
    }
    out.sort_by_key(|r| (r.days_left, r.due_on, r.case_id));
    Ok(out)
}
