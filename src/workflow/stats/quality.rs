//! Quality: pass and failure rates by category, stage, plan level and kind and region,
//! risk monitoring apart, the most frequent failing items, the monthly trend.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{check_filter, FailingItem, Scope, StatsFilter, TOP_ITEMS};
use crate::db::stats as q;
use crate::db::DbConnection;
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::rules::PlanKind;
use crate::domain::stats::Outcomes;
use crate::error::AppResult;
use crate::workflow::Ctx;

/// Pass and non-compliance counts under one key (a category, stage, plan level…).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeRow {
    pub key: String,
    pub name: String,
    pub batches: i64,
    pub concluded: i64,
    pub compliant: i64,
    pub non_compliant: i64,
    pub pass_rate: Option<f64>,
    pub failure_rate: Option<f64>,
}

fn outcome_row(key: &str, name: String, o: &Outcomes) -> OutcomeRow {
    OutcomeRow {
        key: key.to_string(),
        name,
        batches: o.batches,
        concluded: o.concluded,
        compliant: o.compliant,
        non_compliant: o.non_compliant,
        pass_rate: o.pass_rate(),
        failure_rate: o.failure_rate(),
    }
}

/// Batches and non-compliant batches per month (Asia/Shanghai).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthRow {
    pub month: String,
    pub batches: i64,
    pub non_compliant: i64,
}

/// `GET /api/v1/stats/quality`: pass and failure rates of supervision sampling (every
/// plan kind except risk monitoring) by category, stage, plan level and region, the
/// risk-monitoring problem rate apart, the most frequent failing items, the months.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quality {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region_code: Option<String>,
    /// Supervision, evaluation and public-request sampling together.
    #[schema(value_type = Object)]
    pub sampling: Outcomes,
    pub pass_rate: Option<f64>,
    pub failure_rate: Option<f64>,
    /// Risk monitoring, kept apart (问题样品检出率 = non_compliant ÷ concluded).
    #[schema(value_type = Object)]
    pub risk_monitoring: Outcomes,
    pub risk_problem_rate: Option<f64>,
    pub by_category: Vec<OutcomeRow>,
    pub by_stage: Vec<OutcomeRow>,
    pub by_plan_level: Vec<OutcomeRow>,
    pub by_plan_kind: Vec<OutcomeRow>,
    pub by_region: Vec<OutcomeRow>,
    pub failing_items: Vec<FailingItem>,
    pub monthly: Vec<MonthRow>,
}

pub fn quality(cx: &mut Ctx, input: &StatsFilter) -> AppResult<Quality> {
    let s = check_filter(cx, input, None)?;
    quality_of(cx.conn, &s)
}

pub(super) fn quality_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Quality> {
    let regions = q::regions(conn)?;
    let plans = q::plans(conn)?;
    let cat_names = q::category_names(conn)?;
    let slice = s.slice();
    let mut plan_ids: Vec<i64> = plans
        .iter()
        .filter(|(_, p)| s.plan_passes(p) && p.kind != PlanKind::RiskMonitoring.as_str())
        .map(|(id, _)| *id)
        .collect();
    plan_ids.sort_unstable();
    let plan_filtered = s.plan_level.is_some() || s.plan_kind.is_some();
    let by_cat = q::category_rows(conn, &slice, &plan_ids, plan_filtered)?;
    let mut sampling = Outcomes::default();
    let mut risk = Outcomes::default();
    let mut by: [BTreeMap<String, Outcomes>; 5] = Default::default();
    let mut months: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let passes = |id: i64| plans.get(&id).filter(|p| s.plan_passes(p));
    for r in q::cells(conn, &slice)? {
        let Some(p) = passes(r.plan_id) else {
            continue;
        };
        let o = Outcomes::of_conclusion(&r.conclusion, r.batches);
        let m = months.entry(r.month.clone()).or_default();
        m.0 += o.batches;
        m.1 += o.non_compliant;
        by[3].entry(p.kind.clone()).or_default().add(&o);
        if p.kind == PlanKind::RiskMonitoring.as_str() {
            risk.add(&o);
            continue;
        }
        sampling.add(&o);
        by[1].entry(r.stage.clone()).or_default().add(&o);
        by[2].entry(p.level.clone()).or_default().add(&o);
        let region_key = RegionCode::parse(&r.region_code)
            .map(|c| ancestor(&c, s.level).as_str().to_string())
            .unwrap_or_else(|_| r.region_code.clone());
        by[4].entry(region_key).or_default().add(&o);
    }
    for r in &by_cat {
        by[0].entry(r.category.clone()).or_default().add(&Outcomes {
            batches: r.batches,
            concluded: r.concluded,
            compliant: r.concluded - r.non_compliant,
            non_compliant: r.non_compliant,
        });
    }
    let monthly = months
        .into_iter()
        .map(|(month, (batches, non_compliant))| MonthRow {
            month,
            batches,
            non_compliant,
        })
        .collect();
    let rows_of = |m: &BTreeMap<String, Outcomes>, name: &dyn Fn(&str) -> String| {
        m.iter()
            .map(|(k, o)| outcome_row(k, name(k), o))
            .collect::<Vec<_>>()
    };
    let same = |k: &str| k.to_string();
    let failing_items = q::failing_items(conn, &slice, &plan_ids, TOP_ITEMS)?;
    Ok(Quality {
        from: s.from,
        to: s.to,
        region_code: s.region.as_ref().map(|r| r.as_str().to_string()),
        pass_rate: sampling.pass_rate(),
        failure_rate: sampling.failure_rate(),
        sampling,
        risk_problem_rate: risk.failure_rate(),
        risk_monitoring: risk,
        by_category: rows_of(&by[0], &|k| {
            cat_names.get(k).cloned().unwrap_or_else(|| k.to_string())
        }),
        by_stage: rows_of(&by[1], &|k| {
            k.parse::<crate::domain::sample::Stage>()
                .map(|s| s.label_zh().to_string())
                .unwrap_or_else(|_| k.to_string())
        }),
        by_plan_level: rows_of(&by[2], &same),
        by_plan_kind: rows_of(&by[3], &|k| {
            k.parse::<PlanKind>()
                .map(|p| p.label_zh().to_string())
                .unwrap_or_else(|_| k.to_string())
        }),
        by_region: rows_of(&by[4], &|k| {
            regions
                .get(k)
                .map(|r| r.name_zh.clone())
                .unwrap_or_else(|| k.to_string())
        }),
        failing_items,
        monthly,
    })
}

/// The region at `level` holding `code` (630102 → 630100 at prefecture level).
fn ancestor(code: &RegionCode, level: RegionLevel) -> RegionCode {
    let keep = match level {
        RegionLevel::Province => 2,
        RegionLevel::Prefecture => 4,
        RegionLevel::County => 6,
    };
    if level >= code.level() {
        return code.clone();
    }
    let head = code.as_str().get(..keep).unwrap_or(code.as_str());
    RegionCode::parse(&format!("{head:0<6}")).unwrap_or_else(|_| code.clone())
}
