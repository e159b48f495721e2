//! Provisional deadlines made exact once the calendar of their year is loaded.

use chrono::NaiveDateTime;

use super::local_date;
use crate::db::samples::Deadlines;
use crate::db::{self, DbConnection};
use crate::domain::rules::{Domain, PlanKind};
use crate::error::{AppError, AppResult};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// Recomputes every provisional deadline of samples with the calendar as it now
/// stands (after an admin loaded a year), inside the caller's write transaction.
/// Returns how many samples changed; each change is audited.
pub fn recompute_provisional_deadlines(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
) -> AppResult<usize> {
    let cal = db::reference::work_calendar(conn)?;
    let rows = db::samples::with_provisional_deadlines(conn)?;
    let mut changed = 0;
    for row in rows {
        let domain: Domain = row.domain.parse().map_err(AppError::internal)?;
        let kind: PlanKind = db::plans::kind_of(conn, row.plan_id)?
            .parse()
            .map_err(AppError::internal)?;
        let Some(profile) = db::reference::get_profile(conn, domain, kind)?.map(|p| p.profile())
        else {
            continue;
        };
        let delivery = if row.delivery_due_provisional {
            profile.deadline("delivery_to_lab", local_date(row.sampled_at), &cal)
        } else {
            None
        };
        let report = match (row.due_provisional, row.received_at) {
            (true, Some(r)) => profile.deadline("report_after_receipt", local_date(r), &cal),
            _ => None,
        };
        let new_delivery = delivery
            .as_ref()
            .map_or(row.delivery_due_on, |d| Some(d.date));
        let new_delivery_prov = delivery
            .as_ref()
            .map_or(row.delivery_due_provisional, |d| d.provisional);
        let new_due = report.as_ref().map_or(row.due_on, |d| Some(d.date));
        let new_due_prov = report
            .as_ref()
            .map_or(row.due_provisional, |d| d.provisional);
        if (new_delivery, new_delivery_prov, new_due, new_due_prov)
            == (
                row.delivery_due_on,
                row.delivery_due_provisional,
                row.due_on,
                row.due_provisional,
            )
        {
            continue;
        }
        let deadlines = Deadlines {
            delivery_due_on: new_delivery,
            delivery_due_provisional: new_delivery_prov,
            due_on: new_due,
            due_provisional: new_due_prov,
        };
        db::samples::set_deadlines(conn, row.id, &deadlines, now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.deadlines_recomputed",
                entity_kind: "sample",
                entity_id: row.sample_no.clone(),
                before: Some(serde_json::json!({
                    "delivery_due_on": row.delivery_due_on, "delivery_due_provisional": row.delivery_due_provisional,
                    "due_on": row.due_on, "due_provisional": row.due_provisional,
                })),
                after: Some(serde_json::json!({
                    "delivery_due_on": new_delivery, "delivery_due_provisional": new_delivery_prov,
                    "due_on": new_due, "due_provisional": new_due_prov,
                })),
                reason: Some("calendar year loaded"),
            },
        )?;
        changed += 1;
    }
    Ok(changed)
}
