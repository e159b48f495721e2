//! The public disposal information of a case (rules.md §e.2), frozen when a supervisor
//! publishes it, and the morning list of duties due.

use chrono::NaiveDate;
use serde::Serialize;

use super::{
    list_cases, reload, supervisor_step, visible_case, Disposal, DisposalFilter, ReopenInput,
};
use crate::db::cases as rows;
use crate::db::write_tx;
use crate::domain::disposal::{CaseStatus, Outcome, StepKind};
use crate::domain::local_time::local_date;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::clean_text;
use crate::workflow::Ctx;

pub use crate::db::cases::{published_info, PublicDisposal, PublicInfoInput};

/// `POST /api/v1/disposals/{id}/publish`: a supervisor publishes the disposal information
/// of a case closed as completed, once its report's result is published. Publishing again
/// replaces the text; both are audited.
pub fn publish_info(cx: &mut Ctx, id: i64, input: &PublicInfoInput) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
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
        let fresh = rows::get(conn, id)?;
        if fresh.state()?.1 != Some(Outcome::Completed) {
            return Err(AppError::Conflict(Msg::new(
                "案件办结后才能公开核查处置信息",
                "Disposal information is published once the case is closed as completed",
            )));
        }
        if !rows::report_published(conn, &fresh.report_no)? {
            return Err(AppError::Conflict(Msg::new(
                "请先公布检验结果",
                "Publish the inspection result first",
            )));
        }
        let events = rows::events_of(conn, id)?;
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
        AppError::stale_unless(rows::publish(
            conn,
            id,
            fresh.version,
            &json,
            publisher,
            now,
        )?)?;
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
pub fn unpublish_info(cx: &mut Ctx, id: i64, input: &ReopenInput) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let (_, reason) = supervisor_step(conn, actor, id, &input.reason)?;
    write_tx(conn, |conn| {
        let fresh = rows::get(conn, id)?;
        let before = fresh.public_info.clone();
        if before.is_none() {
            return Err(AppError::Conflict(Msg::new(
                "核查处置信息尚未公开",
                "The disposal information is not published",
            )));
        }
        rows::unpublish(conn, id, fresh.version, now)?;
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
pub fn reminders(cx: &mut Ctx) -> AppResult<Vec<Reminder>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let (cases, total) = list_cases(
            cx,
            &DisposalFilter {
                status: Some(CaseStatus::Open.as_str().into()),
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
