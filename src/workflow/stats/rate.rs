//! The sampling rate: batches per thousand residents per region, rolled up over regions
//! of unknown population.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{check_filter, rate_definition, Scope, StatsFilter};
use crate::db::stats::{self as q, PlanInfo, RegionInfo};
use crate::db::DbConnection;
use crate::domain::region::RegionCode;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::stats::{self as f, Basis, LeftOut, Part};
use crate::error::AppResult;
use crate::workflow::Ctx;

/// One region's row of the sampling rate (API.md: Statistics).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    pub region_code: String,
    pub region_name: String,
    pub region_name_en: String,
    pub level: String,
    /// The resident population the rate uses; `null` when unknown.
    pub population: Option<i64>,
    /// The year of that figure (for a roll-up, the newest year among its parts).
    pub population_year: Option<i32>,
    /// Whether the population is the sum of the parts of known population.
    pub population_rolled_up: bool,
    /// Every counted batch sampled in the region.
    pub batches: i64,
    /// The batches over the population (fewer than `batches` after a roll-up).
    pub batches_counted: i64,
    /// Full value; `null` when the population is unknown.
    pub per_thousand: Option<f64>,
    pub target_per_thousand: Option<f64>,
    /// The annual target pro-rated to today (or to the end of the period).
    pub target_to_date_per_thousand: Option<f64>,
    /// Parts of unknown population left out of a roll-up.
    #[schema(value_type = Vec<Object>)]
    pub left_out: Vec<LeftOutRow>,
    /// The plan kinds counted.
    pub plan_kinds: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeftOutRow {
    pub region_code: String,
    pub region_name: String,
    pub batches: i64,
}

/// Batches per county (the entity's region) of the plans that pass `keep`.
fn county_batches(
    conn: &mut DbConnection,
    s: &Scope,
    plans: &HashMap<i64, PlanInfo>,
    keep: impl Fn(&PlanInfo) -> bool,
) -> AppResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for r in q::county_plan_batches(conn, &s.slice())? {
        if plans
            .get(&r.plan_id)
            .is_some_and(|p| s.plan_passes(p) && keep(p))
        {
            *out.entry(r.region_code).or_insert(0) += r.batches;
        }
    }
    Ok(out)
}

/// The population basis of region `code` over the batches per county.
fn region_basis(
    regions: &BTreeMap<String, RegionInfo>,
    batches: &BTreeMap<String, i64>,
    code: &str,
    year: i32,
) -> (Basis, Option<i32>) {
    let Some(info) = regions.get(code) else {
        return (f::basis(None, 0, &[]), None);
    };
    let own = f::figure_for_year(&info.figures, year);
    let prefix = RegionCode::parse(code)
        .map(|c| c.like_prefix())
        .unwrap_or_default();
    let total: i64 = batches
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
        .sum();
    if let Some(fig) = own {
        return (f::basis(Some(fig.population), total, &[]), Some(fig.year));
    }
    let mut parts = Vec::new();
    let mut newest: Option<i32> = None;
    let mut in_children = 0;
    for child in regions
        .values()
        .filter(|r| r.parent.as_deref() == Some(code))
    {
        let (b, y) = region_basis(regions, batches, &child.code, year);
        in_children += regions_total(batches, &child.code);
        if b.population.is_some() {
            newest = newest.max(y);
        }
        parts.push(Part {
            code: child.code.clone(),
            population: b.population,
            batches: b.batches,
            left_out: b.left_out,
        });
    }
    // Batches recorded at this region's own code (an entity registered above county
    // level) lie in no part: a roll-up leaves them out.
    let direct = total - in_children;
    if direct > 0 && !parts.is_empty() {
        parts.push(Part {
            code: code.to_string(),
            population: None,
            batches: direct,
            left_out: Vec::new(),
        });
    }
    (f::basis(None, total, &parts), newest)
}

fn regions_total(batches: &BTreeMap<String, i64>, code: &str) -> i64 {
    let prefix = RegionCode::parse(code)
        .map(|c| c.like_prefix())
        .unwrap_or_default();
    batches
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
        .sum()
}

/// `GET /api/v1/stats/sampling-rate`: batches per thousand residents for every region
/// at the level asked for, inside the region asked for (or the user's scope).
pub fn sampling_rate(cx: &mut Ctx, input: &StatsFilter) -> AppResult<Vec<RateRow>> {
    let s = check_filter(cx, input, Some(Domain::Food))?;
    rate_rows(cx.conn, &s)
}

pub(super) fn rate_rows(conn: &mut DbConnection, s: &Scope) -> AppResult<Vec<RateRow>> {
    let domain = s.domain.unwrap_or(Domain::Food);
    let (kinds, target, _) = rate_definition(conn, domain)?;
    let kinds: Vec<PlanKind> = match s.plan_kind {
        Some(k) => vec![k],
        None => kinds,
    };
    let kind_names: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
    let regions = q::regions(conn)?;
    let plans = q::plans(conn)?;
    let batches = county_batches(conn, s, &plans, |p| kind_names.contains(&p.kind))?;
    let year = f::population_year(s.to);
    let to_date = target.map(|t| f::prorated_target(t, s.from, s.to, s.today));
    let name = |code: &str| {
        regions
            .get(code)
            .map(|r| r.name_zh.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let mut out = Vec::new();
    for r in regions.values() {
        let Ok(code) = RegionCode::parse(&r.code) else {
            continue;
        };
        if code.level() != s.level || r.level != s.level.as_str() {
            continue;
        }
        if s.region.as_ref().is_some_and(|base| !base.contains(&code)) {
            continue;
        }
        let (b, y) = region_basis(&regions, &batches, &r.code, year);
        out.push(RateRow {
            region_code: r.code.clone(),
            region_name: r.name_zh.clone(),
            region_name_en: r.name_en.clone(),
            level: r.level.clone(),
            population: b.population,
            population_year: b.population.and(y),
            population_rolled_up: b.rolled_up,
            batches: regions_total(&batches, &r.code),
            batches_counted: b.batches,
            per_thousand: b.per_thousand(),
            target_per_thousand: target,
            target_to_date_per_thousand: to_date,
            left_out: b
                .left_out
                .iter()
                .map(|LeftOut { code, batches }| LeftOutRow {
                    region_code: code.clone(),
                    region_name: name(code),
                    batches: *batches,
                })
                .collect(),
            plan_kinds: kind_names.clone(),
        });
    }
    Ok(out)
}
