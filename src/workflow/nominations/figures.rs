//! The nominations' figures for the statistics dashboard (SPEC §7).

use serde::{Deserialize, Serialize};

use super::{status_of, visible};
use crate::db::nominations::NominationRow;
use crate::domain::local_time::{local_date, year_range};
use crate::domain::nomination::NominationStatus;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::Ctx;

/// Nominations by month and region (SPEC §7 dashboard): received, accepted (including
/// those since sampled), sampled, and with at least one published result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NominationFigure {
    /// `YYYY-MM` (Asia/Shanghai) of submission.
    pub month: String,
    /// The county named by the resident, or "" when none was.
    pub region_code: String,
    pub received: u64,
    pub accepted: u64,
    pub sampled: u64,
    pub declined: u64,
    pub published: u64,
}

/// `GET /api/v1/stats/nominations?year=` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct FigureFilter {
    pub year: Option<i32>,
}

/// The figures of the nominations the supervisor may see, submitted in `year` (default
/// the current one), one row per month and region, in order.
pub fn figures(cx: &mut Ctx, f: &FigureFilter) -> AppResult<Vec<NominationFigure>> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    use chrono::Datelike;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let year = f.year.unwrap_or_else(|| local_date(now).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field(
            "year",
            Msg::new("年份应在 2000 至 2100 之间", "must be from 2000 to 2100"),
        ));
    }
    let (from, to) = year_range(year);
    let rows: Vec<NominationRow> = crate::db::nominations::submitted_between(conn, from, to)?
        .into_iter()
        .filter(|r| visible(actor, r))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Nominations with a sample whose report is published and valid.
    let published: std::collections::HashSet<i64> =
        crate::db::nominations::with_published_report(conn, &ids)?
            .into_iter()
            .collect();
    let mut out: std::collections::BTreeMap<(String, String), NominationFigure> =
        Default::default();
    for r in &rows {
        let month = local_date(r.submitted_at).format("%Y-%m").to_string();
        let region = r.region_code.clone().unwrap_or_default();
        let e = out
            .entry((month.clone(), region.clone()))
            .or_insert_with(|| NominationFigure {
                month,
                region_code: region,
                ..Default::default()
            });
        e.received += 1;
        match status_of(r)? {
            NominationStatus::Accepted => e.accepted += 1,
            NominationStatus::Sampled => {
                e.accepted += 1;
                e.sampled += 1;
            }
            NominationStatus::Declined => e.declined += 1,
            NominationStatus::Received | NominationStatus::Merged => {}
        }
        if published.contains(&r.id) {
            e.published += 1;
        }
    }
    Ok(out.into_values().collect())
}
