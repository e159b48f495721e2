//! Disposal cases (核查处置): opened by the report that concludes non-compliant, followed
//! step by step by supervisors against the deadlines of the rule profile, closed when every
//! required step is recorded. The rules live in `domain::disposal`; this module loads a
//! case, asks the rules, and writes one audited event per transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{disposal_cases, disposal_events, entities, plans, samples, users};
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::WorkCalendar;
use crate::domain::disposal::{
    check_event, completion_deadline, deadlines, missing_steps, outcome, Case, Event, EventError,
    Outcome, StepKind,
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
    version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_events)]
struct EventRow {
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
    let ids: Vec<i64> = events.iter().map(|e| e.recorded_by).collect();
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
        });
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
    let region = match f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => match RegionCode::parse(r) {
            Ok(code) => Some(code),
            Err(_) => {
                errors.insert(
                    "region".into(),
                    Msg::new("行政区划代码无效", "is not a region code"),
                );
                None
            }
        },
        None => None,
    };
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

/// `POST /api/v1/disposals/{id}/events`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: String,
    /// When it happened, RFC 3339 with offset.
    #[schema(value_type = String)]
    pub at: chrono::DateTime<chrono::FixedOffset>,
    #[serde(default)]
    pub note: Option<String>,
    /// For recheck_result and objection_decided: true means the original result stands.
    #[serde(default)]
    pub upheld: Option<bool>,
    /// For recheck_accepted: false when the request was refused.
    #[serde(default)]
    pub accepted: Option<bool>,
    /// For recall_started: 1, 2 or 3.
    #[serde(default)]
    pub recall_level: Option<u8>,
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
        accepted: input.accepted,
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
                disposal_events::accepted.eq(input.accepted),
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
                conn,
                now,
                actor,
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

/// A case that keeps a rate below 100 %, linked from the figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LaggingCase {
    pub id: i64,
    pub sample_no: String,
    pub report_no: String,
    pub region_code: String,
    pub due_on: Option<NaiveDate>,
}

/// `GET /api/v1/stats/disposal` (API.md), with the definitions behind each figure and the
/// cases that keep each rate below 100 %.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisposalStats {
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
    pub not_started: Vec<LaggingCase>,
    pub not_completed: Vec<LaggingCase>,
    pub not_on_time: Vec<LaggingCase>,
}

/// `GET /api/v1/stats/disposal` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct StatsFilter {
    /// The year the cases opened (Asia/Shanghai); default: all years.
    pub year: Option<i32>,
    /// A region code: that region and everything below it (county → prefecture → province).
    pub region: Option<String>,
    /// national | provincial | prefectural | county
    pub level: Option<String>,
}

/// The three rates of SPEC §6 over the disposal cases (not follow-up cases) the actor may
/// see, by year, region (rolled up from the counties below it) and plan level.
pub fn stats(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &StatsFilter,
) -> AppResult<DisposalStats> {
    use crate::domain::disposal::{rates, summarise};
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let region = match f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(RegionCode::parse(r).map_err(|_| {
            AppError::field(
                "region",
                Msg::new("行政区划代码无效", "is not a region code"),
            )
        })?),
        None => None,
    };
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let region_like = region.as_ref().map(|r| format!("{}%", r.like_prefix()));
    let mut q = disposal_cases::table
        .filter(disposal_cases::kind.eq("disposal"))
        .into_boxed();
    if let Some(p) = scope {
        q = q.filter(disposal_cases::region_code.like(p));
    }
    if let Some(p) = region_like {
        q = q.filter(disposal_cases::region_code.like(p));
    }
    if let Some(level) = f.level.as_deref().filter(|l| !l.is_empty()) {
        q = q.filter(disposal_cases::plan_level.eq(level.to_string()));
    }
    if let Some((from, to)) = f.year.map(reports::year_range) {
        q = q.filter(
            disposal_cases::opened_at
                .ge(from)
                .and(disposal_cases::opened_at.lt(to)),
        );
    }
    let rows: Vec<(CaseRow, String)> = q
        .inner_join(samples::table)
        .order(disposal_cases::id.asc())
        .select((CaseRow::as_select(), samples::sample_no))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut events: std::collections::HashMap<i64, Vec<EventRow>> = Default::default();
    for chunk in ids.chunks(10_000) {
        let found: Vec<(i64, EventRow)> = disposal_events::table
            .filter(disposal_events::case_id.eq_any(chunk))
            .order(disposal_events::id.asc())
            .select((disposal_events::case_id, EventRow::as_select()))
            .load(conn)?;
        for (id, e) in found {
            events.entry(id).or_default().push(e);
        }
    }
    let cal = work_calendar(conn)?;
    let today = local_date(now);
    let mut profiles = Profiles::default();
    let mut summaries = Vec::with_capacity(rows.len());
    let (mut open, mut overdue, mut overturned) = (0, 0, 0);
    let (mut not_started, mut not_completed, mut not_on_time) =
        (Vec::new(), Vec::new(), Vec::new());
    for (row, sample_no) in &rows {
        let profile = &profiles.of(conn, row)?;
        let case = domain_case(row, events.get(&row.id).map_or(&[][..], Vec::as_slice))?;
        let s = summarise(profile, &cal, &case, today);
        let due_on = completion_deadline(profile, &cal, &case).map(|d| d.date);
        let lag = || LaggingCase {
            id: row.id,
            sample_no: sample_no.clone(),
            report_no: row.report_no.clone(),
            region_code: row.region_code.clone(),
            due_on,
        };
        if row.status == "open" {
            open += 1;
            if s.deadline_passed {
                overdue += 1;
            }
        }
        if !s.needs_disposal {
            overturned += 1;
        } else {
            if !s.started {
                not_started.push(lag());
            }
            if !s.closed_completed {
                not_completed.push(lag());
            }
            if (s.deadline_passed || s.closed_completed) && !s.closed_on_time {
                not_on_time.push(lag());
            }
        }
        summaries.push(s);
    }
    let r = rates(&summaries);
    let def = |x: &crate::domain::disposal::Ratio| {
        serde_json::json!({
            "numerator": x.numerator, "denominator": x.denominator,
            "zh": x.definition_zh, "en": x.definition_en,
        })
    };
    Ok(DisposalStats {
        non_compliant: r.disposal.denominator,
        closed: r.completion.numerator,
        closed_on_time: r.on_time.numerator,
        disposal_rate: r.disposal.value,
        completion_rate: r.completion.value,
        on_time_rate: r.on_time.value,
        open,
        overdue,
        overturned,
        definitions: serde_json::json!({
            "disposal_rate": def(&r.disposal),
            "completion_rate": def(&r.completion),
            "on_time_rate": def(&r.on_time),
        }),
        not_started,
        not_completed,
        not_on_time,
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
        let row = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        let cal = work_calendar(conn)?;
        show(conn, &row, &cal, now)
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
        let row = disposal_cases::table
            .find(id)
            .select(CaseRow::as_select())
            .first(conn)?;
        let cal = work_calendar(conn)?;
        show(conn, &row, &cal, now)
    })
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
pub const REMINDER_HORIZON: i64 = 5;

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
