//! The three disposal rates of SPEC §6 (`GET /api/v1/stats/disposal`): the filters
//! checked here, the counts from one aggregate query in `db::cases`, rolled up in Rust
//! to the level below the region asked for, and the cases that keep each rate below 100 %.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::cases::{self as rows, Lag, RateFilter, RateGroup};
use crate::db::DbConnection;
use crate::domain::local_time::local_date;
use crate::domain::region::RegionCode;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::Actor;
use crate::workflow::Ctx;

/// The figures of one group of cases (a region, a plan level, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    /// A region code, a plan level, or "all".
    pub key: String,
    /// The region's or the level's name (Chinese).
    pub name: String,
    /// Non-compliant samples that need disposal (overturned ones excluded).
    pub non_compliant: u64,
    /// Cases whose disposal has started (a risk-control, recall or investigation step).
    pub started: u64,
    /// Cases closed as completed (not overturned).
    pub closed: u64,
    pub closed_on_time: u64,
    /// Cases closed, or open past their completion deadline: the on-time rate's base.
    pub due_or_closed: u64,
    /// Fractions from 0 to 1; null when nothing is counted below the line.
    pub disposal_rate: Option<f64>,
    pub completion_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub open: u64,
    pub overdue: u64,
    pub overturned: u64,
}

impl RateRow {
    fn add(&mut self, g: &RateGroup) {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        self.non_compliant += n(g.cases - g.overturned);
        self.started += n(g.started);
        self.closed += n(g.completed);
        self.closed_on_time += n(g.on_time);
        self.due_or_closed += n(g.due_or_done);
        self.open += n(g.open);
        self.overdue += n(g.overdue);
        self.overturned += n(g.overturned);
    }

    /// The three rates from the counts, through the one definition in `domain`.
    fn finish(mut self) -> Self {
        let r = crate::domain::disposal::rates_from_counts(
            self.non_compliant,
            self.started,
            self.closed,
            self.closed_on_time,
            self.due_or_closed,
        );
        self.disposal_rate = r.disposal.value;
        self.completion_rate = r.completion.value;
        self.on_time_rate = r.on_time.value;
        self
    }
}

/// A case that keeps a rate below 100 %, linked from the figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LaggingCase {
    pub id: i64,
    pub sample_no: String,
    pub report_no: String,
    pub region_code: String,
    pub due_on: Option<NaiveDate>,
}

/// How many lagging cases each list names; the counts behind the rates are always whole.
pub const LAGGING_LIST_LIMIT: i64 = 200;

/// `GET /api/v1/stats/disposal` (API.md), with the definitions behind each figure, the
/// figures by region and by plan level, and the cases that keep each rate below 100 %.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisposalStats {
    /// The period counted (cases opened from `from` to `to`, both included), if limited.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The region counted ("all" within the actor's scope when none was asked for).
    pub region: Option<String>,
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
    /// One row per region one level below the region asked for (per prefecture for the
    /// province, per county for a prefecture), rolled up from the counties.
    pub by_region: Vec<RateRow>,
    /// One row per plan level (national, provincial, prefectural, county).
    pub by_level: Vec<RateRow>,
    /// The cases keeping each rate below 100 % (at most `LAGGING_LIST_LIMIT` each; the
    /// full count is the difference of the figures above).
    pub not_started: Vec<LaggingCase>,
    pub not_completed: Vec<LaggingCase>,
    pub not_on_time: Vec<LaggingCase>,
}

/// `GET /api/v1/stats/disposal` filters. All are text so that a bad value becomes a
/// 422 naming its field, as for the other statistics.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct StatsFilter {
    /// The year the cases opened (Asia/Shanghai); default: all years.
    pub year: Option<String>,
    /// The first day of the period (YYYY-MM-DD, Asia/Shanghai), included; instead of
    /// `year`.
    pub from: Option<String>,
    /// The last day of the period (YYYY-MM-DD), included.
    pub to: Option<String>,
    /// A region code: that region and everything below it (county → prefecture → province).
    pub region: Option<String>,
    /// national | provincial | prefectural | county
    pub level: Option<String>,
}

/// The plan levels, in order, with their Chinese names.
const PLAN_LEVELS: [(&str, &str); 4] = [
    ("national", "国家级"),
    ("provincial", "省级"),
    ("prefectural", "市级"),
    ("county", "县级"),
];

/// The checked filters of a stats request.
struct RateScope {
    filter: RateFilter,
    region: Option<RegionCode>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

fn rate_scope(conn: &mut DbConnection, actor: &Actor, f: &StatsFilter) -> AppResult<RateScope> {
    let region = match f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(RegionCode::parse(r).map_err(|_| {
            AppError::field(
                "region",
                Msg::new("行政区划代码无效", "is not a region code"),
            )
        })?),
        None => None,
    };
    // A well-formed code of no region is a mistake to name, not an empty figure.
    if let Some(code) = &region {
        if !rows::region_known(conn, code.as_str())? {
            return Err(AppError::field(
                "region",
                Msg::new("没有这个行政区划", "is not a known region"),
            ));
        }
    }
    let level = f.level.as_deref().map(str::trim).unwrap_or("").to_string();
    if !level.is_empty() && !PLAN_LEVELS.iter().any(|(k, _)| *k == level) {
        return Err(AppError::field(
            "level",
            Msg::new(
                "计划层级应为 national、provincial、prefectural 或 county",
                "must be national, provincial, prefectural or county",
            ),
        ));
    }
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let date = |field: &str, v: &Option<String>| -> AppResult<Option<NaiveDate>> {
        given(v)
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                    AppError::field(
                        field,
                        Msg::new("日期应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
                    )
                })
            })
            .transpose()
    };
    let (mut from, mut to) = (date("from", &f.from)?, date("to", &f.to)?);
    let year = given(&f.year)
        .map(|y| {
            y.parse::<i32>().map_err(|_| {
                AppError::field(
                    "year",
                    Msg::new("年份应为四位数字，如 2026", "must be a year such as 2026"),
                )
            })
        })
        .transpose()?;
    if let Some(y) = year {
        if !(2000..=2100).contains(&y) {
            return Err(AppError::field(
                "year",
                Msg::new("年份应在 2000 至 2100 之间", "must be from 2000 to 2100"),
            ));
        }
        if from.is_some() || to.is_some() {
            return Err(AppError::field(
                "year",
                Msg::new(
                    "年份与起止日期只能选一种",
                    "give a year or from/to, not both",
                ),
            ));
        }
        from = NaiveDate::from_ymd_opt(y, 1, 1);
        to = NaiveDate::from_ymd_opt(y, 12, 31);
    }
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            return Err(AppError::field(
                "from",
                Msg::new("开始日期晚于结束日期", "is after to"),
            ));
        }
    }
    let utc_midnight = crate::domain::local_time::utc_of_local_midnight;
    // Open ends are bounds both databases store and compare as timestamps (chrono's own
    // extremes are out of PostgreSQL's range and do not sort as SQLite text).
    let bound = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
    let opened_from: NaiveDateTime = utc_midnight(from.unwrap_or(bound(1970)));
    let opened_to = utc_midnight(to.and_then(|d| d.succ_opt()).unwrap_or(bound(3000)));
    Ok(RateScope {
        filter: RateFilter {
            scope_like: actor
                .region
                .as_ref()
                .map_or("%".to_string(), |r| format!("{}%", r.like_prefix())),
            region_like: region
                .as_ref()
                .map_or("%".to_string(), |r| format!("{}%", r.like_prefix())),
            level,
            opened_from,
            opened_to,
        },
        region,
        from,
        to,
    })
}

/// The cases keeping one rate below 100 %, oldest deadline first (at most
/// `LAGGING_LIST_LIMIT`).
fn lagging(
    conn: &mut DbConnection,
    s: &RateScope,
    which: Lag,
    today: NaiveDate,
) -> AppResult<Vec<LaggingCase>> {
    Ok(
        rows::lagging(conn, &s.filter, which, today, LAGGING_LIST_LIMIT)?
            .into_iter()
            .map(|(id, sample_no, report_no, region_code, due)| LaggingCase {
                id,
                sample_no,
                report_no,
                region_code,
                due_on: due,
            })
            .collect(),
    )
}

/// The three rates of SPEC §6 over the disposal cases (not follow-up cases) the actor may
/// see, by period, region (rolled up from the counties below it) and plan level. One
/// aggregate query gives the counts; three short queries name the lagging cases.
pub fn stats(cx: &mut Ctx, f: &StatsFilter) -> AppResult<DisposalStats> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    use crate::domain::disposal::rates_from_counts;
    use crate::domain::region::RegionLevel;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let s = rate_scope(conn, actor, f)?;
    let today = local_date(now);
    let groups = rows::rate_groups(conn, &s.filter, today)?;
    // Rows by region, one level below the region asked for (or the actor's scope).
    let base = s.region.clone().or_else(|| actor.region.clone());
    let child_level = base
        .as_ref()
        .map_or(Some(RegionLevel::Prefecture), RegionCode::child_level);
    let mut total = RateRow {
        key: "all".into(),
        ..Default::default()
    };
    let mut by_region: std::collections::BTreeMap<String, RateRow> = Default::default();
    let mut by_level: std::collections::BTreeMap<String, RateRow> = Default::default();
    for g in &groups {
        total.add(g);
        let region_key = match (RegionCode::parse(&g.region_code), child_level) {
            (Ok(code), Some(level)) => code.ancestor(level).as_str().to_string(),
            (Ok(code), None) => code.as_str().to_string(),
            (Err(_), _) => g.region_code.clone(),
        };
        by_region
            .entry(region_key.clone())
            .or_insert_with(|| RateRow {
                key: region_key,
                ..Default::default()
            })
            .add(g);
        by_level
            .entry(g.plan_level.clone())
            .or_insert_with(|| RateRow {
                key: g.plan_level.clone(),
                ..Default::default()
            })
            .add(g);
    }
    let codes: Vec<String> = by_region.keys().cloned().collect();
    let names = rows::region_names(conn, &codes)?;
    let by_region: Vec<RateRow> = by_region
        .into_values()
        .map(|mut r| {
            r.name = names.get(&r.key).cloned().unwrap_or_default();
            r.finish()
        })
        .collect();
    let mut levels: Vec<RateRow> = PLAN_LEVELS
        .iter()
        .filter_map(|(key, name)| {
            by_level.remove(*key).map(|mut r| {
                r.name = (*name).to_string();
                r.finish()
            })
        })
        .collect();
    levels.extend(by_level.into_values().map(RateRow::finish));
    let by_level = levels;
    let total = total.finish();
    let r = rates_from_counts(
        total.non_compliant,
        total.started,
        total.closed,
        total.closed_on_time,
        total.due_or_closed,
    );
    let def = |x: &crate::domain::disposal::Ratio| {
        serde_json::json!({
            "numerator": x.numerator, "denominator": x.denominator,
            "zh": x.definition_zh, "en": x.definition_en,
        })
    };
    Ok(DisposalStats {
        from: s.from,
        to: s.to,
        region: s.region.as_ref().map(|r| r.as_str().to_string()),
        non_compliant: total.non_compliant,
        closed: total.closed,
        closed_on_time: total.closed_on_time,
        disposal_rate: total.disposal_rate,
        completion_rate: total.completion_rate,
        on_time_rate: total.on_time_rate,
        open: total.open,
        overdue: total.overdue,
        overturned: total.overturned,
        definitions: serde_json::json!({
            "disposal_rate": def(&r.disposal),
            "completion_rate": def(&r.completion),
            "on_time_rate": def(&r.on_time),
        }),
        by_region,
        by_level,
        not_started: lagging(conn, &s, Lag::Start, today)?,
        not_completed: lagging(conn, &s, Lag::Completion, today)?,
        not_on_time: lagging(conn, &s, Lag::OnTime, today)?,
    })
}
