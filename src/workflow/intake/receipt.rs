//! Receipt at the lab: the custodian scans a sample's label and receives it (seal and
//! condition recorded, the report deadline started) or rejects it with a reason.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::samples::load_row;
use super::{get_sample, local_date, opt_text, Sample};
use crate::db::samples::Receipt;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{parse_scan, transition, SampleAction};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// `POST /api/v1/receipts`: what the scanner read and what the custodian saw.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    pub scan: String,
    pub seal_intact: bool,
    pub condition_ok: bool,
    #[serde(default)]
    pub note: Option<String>,
    /// Rejects the sample (拒收) with this reason.
    #[serde(default)]
    pub reject_reason: Option<String>,
}

/// Finds the sample a scan names (full label URL, with or without `#B`, or the bare
/// number). 404 when no such sample is visible; 422 when the scan is not a label.
pub fn find_by_scan(conn: &mut DbConnection, actor: &Actor, scan: &str) -> AppResult<Sample> {
    let Some((no, _portion)) = parse_scan(scan) else {
        return Err(AppError::field(
            "scan",
            Msg::new("无法识别的扫码内容", "is not a sample label or number"),
        ));
    };
    get_sample(conn, actor, &no)
}

/// The custodian receives a scanned sample, recording seal and condition; or rejects
/// it with a reason. A broken seal or a bad condition needs a reason. Receipt starts
/// the lab's report deadline; a delivery after its deadline is flagged.
pub fn receive(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: ReceiptInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Custodian])?;
    let receiver = actor.id.ok_or_else(AppError::forbidden)?;
    let mut f = FieldErrors::new();
    let note = opt_text(&mut f, "note", &input.note, 1000);
    let reason = opt_text(&mut f, "reject_reason", &input.reject_reason, 1000);
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    let found = find_by_scan(conn, actor, &input.scan)?;
    let reject = reason.is_some();
    if !reject && (!input.seal_intact || !input.condition_ok) {
        return Err(AppError::field(
            "reject_reason",
            Msg::new(
                "封条破损或样品状态异常时，须填写拒收原因",
                "is required when the seal is broken or the condition is not fit",
            ),
        ));
    }
    let action = if reject {
        SampleAction::RejectAtReceipt
    } else {
        SampleAction::Receive
    };
    let cal = db::reference::work_calendar(conn)?;
    let domain: Domain = found.domain.parse().map_err(AppError::internal)?;
    let plan_kind: PlanKind = db::plans::kind_of(conn, found.plan_id)?
        .parse()
        .map_err(AppError::internal)?;
    let profile = db::reference::get_profile(conn, domain, plan_kind)?.map(|p| p.profile());
    write_tx(conn, |conn| {
        let row = load_row(conn, &found.sample_no)?;
        let from = row.status()?;
        let to = transition(from, action).map_err(|_| {
            AppError::Conflict(Msg::new(
                format!("样品状态为“{}”，不能接收", from.label_zh()),
                format!(
                    "The sample is {}, not registered: it cannot be received again",
                    from.as_str()
                ),
            ))
        })?;
        let today = local_date(now);
        let late = row.delivery_due_on.map(|d| today > d);
        let due = if reject {
            None
        } else {
            profile
                .as_ref()
                .and_then(|p| p.deadline("report_after_receipt", today, &cal))
        };
        let before = row.to_sample(db::samples::sampler_ids(conn, row.id)?);
        let receipt = Receipt {
            status: to,
            received_by: receiver,
            seal_intact: input.seal_intact,
            condition_ok: input.condition_ok,
            note: note.as_deref(),
            reject_reason: reason.as_deref(),
            delivered_late: late,
            due_on: due.as_ref().map(|d| d.date),
            due_provisional: due.as_ref().is_some_and(|d| d.provisional),
        };
        let n = db::samples::record_receipt(conn, row.id, row.version, &receipt, now)?;
        AppError::stale_unless(n)?;
        let after = load_row(conn, &row.sample_no)?.to_sample(before.sampler_ids.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if reject {
                    "sample.reject"
                } else {
                    "sample.receive"
                },
                entity_kind: "sample",
                entity_id: row.sample_no.clone(),
                before: Some(
                    serde_json::json!({ "status": before.status, "version": before.version }),
                ),
                after: Some(serde_json::json!({
                    "status": after.status, "seal_intact": input.seal_intact, "condition_ok": input.condition_ok,
                    "note": note, "delivered_late": late, "due_on": after.due_on, "version": after.version,
                })),
                reason: reason.as_deref(),
            },
        )?;
        Ok(after)
    })
}
