//! The summary: one region's pass rate, turnaround, counts and own sampling rate.

use chrono::NaiveDate;
use serde::Serialize;

use super::lab::lab_of;
use super::quality::quality_of;
use super::rate::{rate_rows, RateRow};
use super::{check_filter, rate_definition, Scope, StatsFilter};
use crate::db::stats as q;
use crate::domain::region::RegionCode;
use crate::domain::rules::Domain;
use crate::error::{AppError, AppResult};
use crate::workflow::Ctx;

/// `GET /api/v1/stats/summary`: pass rate, turnaround and counts for one region and
/// period, with the region's own sampling rate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region_code: String,
    pub region_name: String,
    pub batches: i64,
    pub concluded: i64,
    pub compliant: i64,
    pub non_compliant: i64,
    pub pass_rate: Option<f64>,
    pub failure_rate: Option<f64>,
    pub risk_monitoring_batches: i64,
    pub risk_problem_rate: Option<f64>,
    pub reports: i64,
    pub median_working_days: Option<f64>,
    pub p90_working_days: Option<i64>,
    pub reports_on_time_rate: Option<f64>,
    pub overdue: i64,
    pub delivery_on_time_rate: Option<f64>,
    /// The food sampling rate of the region itself.
    pub sampling_rate: Option<RateRow>,
    /// Which plan kinds the sampling rate counts and where that comes from
    /// (`rule_profile` or `spec_default`).
    pub sampling_rate_plan_kinds: Vec<String>,
    pub sampling_rate_definition: String,
}

pub fn summary(cx: &mut Ctx, input: &StatsFilter) -> AppResult<Summary> {
    let s = check_filter(cx, input, None)?;
    let conn = &mut *cx.conn;
    let q = quality_of(conn, &s)?;
    let l = lab_of(conn, &s)?;
    let base = match s.region.clone() {
        Some(r) => r,
        None => {
            let province = q::first_province(conn)?;
            RegionCode::parse(&province).map_err(AppError::internal)?
        }
    };
    let rate_scope = Scope {
        level: base.level(),
        domain: Some(Domain::Food),
        ..s.clone()
    };
    let rate = rate_rows(conn, &rate_scope)?
        .into_iter()
        .find(|r| r.region_code == base.as_str());
    let (kinds, _, source) = rate_definition(conn, Domain::Food)?;
    let region_name =
        q::region_name(conn, base.as_str())?.unwrap_or_else(|| base.as_str().to_string());
    Ok(Summary {
        from: s.from,
        to: s.to,
        region_code: base.as_str().to_string(),
        region_name,
        batches: q.sampling.batches,
        concluded: q.sampling.concluded,
        compliant: q.sampling.compliant,
        non_compliant: q.sampling.non_compliant,
        pass_rate: q.pass_rate,
        failure_rate: q.failure_rate,
        risk_monitoring_batches: q.risk_monitoring.batches,
        risk_problem_rate: q.risk_problem_rate,
        reports: l.reports,
        median_working_days: l.median_working_days,
        p90_working_days: l.p90_working_days,
        reports_on_time_rate: l.on_time_rate,
        overdue: l.overdue_count,
        delivery_on_time_rate: l.delivery_on_time_rate,
        sampling_rate: rate,
        sampling_rate_plan_kinds: kinds.iter().map(|k| k.as_str().to_string()).collect(),
        sampling_rate_definition: source.to_string(),
    })
}
