//! Extending a case's completion deadline (asked by one supervisor, approved by a
//! second) and reopening a closed case.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{domain_case, profile_of, reload, show, supervisor_step, visible_case, Disposal};
use crate::db::cases as rows;
use crate::db::reference::work_calendar;
use crate::db::write_tx;
use crate::domain::disposal::{completion_deadline, CaseStatus, ReopenError, StepKind};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;

/// `POST /api/v1/disposals/{id}/extension`: a supervisor asks for a later completion date
/// with a reason; `POST …/extension/approve` by a second supervisor makes it count.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    pub until: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

fn closed_case() -> AppError {
    AppError::Conflict(Msg::new("案件已结案", "The case is closed"))
}

/// Records a requested extension (not yet in force).
pub fn request_extension(cx: &mut Ctx, id: i64, input: &ExtensionInput) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let (row, reason) = supervisor_step(conn, actor, id, &input.reason)?;
    if !row.state()?.0.is_open() {
        return Err(closed_case());
    }
    let profile = profile_of(conn, &row)?;
    let cal = work_calendar(conn)?;
    let events = rows::events_of(conn, id)?;
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
        let n =
            rows::request_extension(conn, id, row.version, input.until, &reason, actor.id, now)?;
        AppError::stale_unless(n)?;
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
        let row = rows::get(conn, id)?;
        show(conn, &row, &cal, now)
    })
}

/// A second supervisor (not the one who asked) approves the pending extension.
pub fn approve_extension(cx: &mut Ctx, id: i64, input: &ExtensionInput) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Supervisor])?;
    visible_case(conn, actor, id)?;
    write_tx(conn, |conn| {
        let ext = rows::extension(conn, id)?;
        let Some(requested_by) = ext.requested_by else {
            return Err(AppError::Conflict(Msg::new(
                "没有待批准的延期申请",
                "There is no extension request to approve",
            )));
        };
        if !ext.status.is_open() {
            return Err(closed_case());
        }
        if actor.id == Some(requested_by) {
            return Err(AppError::Forbidden(Msg::new(
                "延期须由另一名监管人员批准",
                "A second supervisor must approve the extension",
            )));
        }
        // The date approved must be the one requested.
        if ext.requested_until != Some(input.until) {
            return Err(AppError::field(
                "until",
                Msg::new(
                    "批准的日期与申请的日期不一致",
                    "differs from the date requested",
                ),
            ));
        }
        rows::approve_extension(conn, id, ext.version, input.until, actor.id, now)?;
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
                reason: ext.reason.as_deref(),
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

pub fn reopen(cx: &mut Ctx, id: i64, input: &ReopenInput) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let (_, reason) = supervisor_step(conn, actor, id, &input.reason)?;
    let recorder = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let fresh = rows::get(conn, id)?;
        let (status, outcome) = fresh.state()?;
        match status.reopen(outcome) {
            Ok(_) => {}
            Err(ReopenError::NotClosed) => {
                return Err(AppError::Conflict(Msg::new(
                    "案件未结案",
                    "The case is not closed",
                )))
            }
            Err(ReopenError::Overturned) => {
                return Err(AppError::Conflict(Msg::new(
                    "复检推翻原结论的案件不能重新开启",
                    "A case closed by an overturning re-examination cannot be reopened",
                )))
            }
        }
        rows::insert_event(
            conn,
            &rows::NewEvent {
                case_id: id,
                kind: StepKind::Reopened,
                at: now,
                upheld: None,
                accepted: None,
                recall_level: None,
                note: Some(&reason),
                recorded_by: recorder,
                now,
            },
        )?;
        rows::reopen(conn, id, fresh.version, now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.reopen",
                entity_kind: "disposal",
                entity_id: id.to_string(),
                before: Some(
                    serde_json::json!({ "status": CaseStatus::Closed.as_str(), "outcome": fresh.outcome }),
                ),
                after: Some(serde_json::json!({ "status": CaseStatus::Open.as_str() })),
                reason: Some(&reason),
            },
        )?;
        reload(conn, id, now)
    })
}
