//! Loading a year's official calendar: an orchestrating use case over three stages.
//! The calendar is reference data, but loading it moves deadlines (intake) and the
//! working-day turnaround of issued reports (stats); all of it is one transaction, so
//! no deadline or turnaround is ever counted on a calendar other than the stored one.

use crate::db::write_tx;
use crate::error::{AppError, AppResult};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;
use crate::workflow::{intake, reference, stats};

/// An admin loads (or reloads) one year's official calendar from CSV text
/// (`date,kind,name`), replacing that year's rows. Every provisional deadline is
/// recomputed in the same transaction, so those reaching into this year become exact.
pub fn load_year(cx: &mut Ctx, year: i32, source: &str, csv_text: &str) -> AppResult<usize> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let load = reference::check_calendar_year(actor, year, source, csv_text)?;
    write_tx(conn, |conn| {
        let (before, after) = reference::store_calendar_year(conn, now, &load)?;
        intake::recompute_provisional_deadlines(conn, now, actor)?;
        stats::recount_turnaround(conn, load.year)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "calendar.year_loaded",
                entity_kind: "calendar_year",
                entity_id: load.year.to_string(),
                before: Some(serde_json::to_value(&before).map_err(AppError::internal)?),
                after: Some(serde_json::json!({ "source": load.source, "days": after })),
                reason: None,
            },
        )?;
        Ok(load.days.len())
    })
}
