//! Statistics use cases (SPEC §7): the sampling rate per thousand residents, quality
//! and lab figures, drug producer coverage. Invariant: every figure is aggregated by the
//! database (GROUP BY), never by loading every sample; the formulas are
//! `domain::stats`; supervisors and admins see their own region scope only.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};

use crate::db::placeholders;
use crate::db::schema::{categories, plans, region_populations, regions, samples};
use crate::db::DbConnection;
use crate::domain::calendar::WorkCalendar;
use crate::domain::licence::{check_licence, LicenceCheck};
use crate::domain::local_time::{utc_after_local_day, utc_of_local_midnight};
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::stats::{self as f, Basis, Figure, LeftOut, Outcomes, Part};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::intake::local_date;
use crate::workflow::reference::{get_profile, work_calendar};
use crate::workflow::Actor;

/// The rule that lists the plan kinds counted by the sampling rate.
pub const PLAN_KINDS_RULE: &str = "sampling_rate_plan_kinds";
/// The rule that holds the annual target per thousand residents.
pub const TARGET_RULE: &str = "sampling_rate_target";
/// SPEC §7's default when a profile has no `sampling_rate_plan_kinds` rule (profiles
/// stored before the rule was shipped).
pub const DEFAULT_PLAN_KINDS: [PlanKind; 3] = [
    PlanKind::Supervision,
    PlanKind::Evaluation,
    PlanKind::PublicRequest,
];
const PLAN_LEVELS: [&str; 4] = ["national", "provincial", "prefectural", "county"];
/// How many failing test items and overdue samples a figure lists.
const TOP_ITEMS: i64 = 10;
const OVERDUE_LIST: i64 = 200;

/// The filters every figure takes, as the query string or the CLI gives them. All are
/// text so that a bad value becomes a 422 naming its field, never a 400 or a 500.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct StatsFilter {
    /// A calendar year (Asia/Shanghai); default the current year. Not with from/to.
    pub year: Option<String>,
    /// First day (YYYY-MM-DD), default 1 January of `to`'s year.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, inclusive), default today.
    pub to: Option<String>,
    /// Rows per region at `province`, `prefecture` or `county` level.
    pub level: Option<String>,
    /// A region code: the figures of this region (within the user's scope).
    pub region: Option<String>,
    /// `food` (default for the sampling rate), `drug`, `cosmetic` or `device`.
    pub domain: Option<String>,
    /// A category code (e.g. `01` or `01.01`); a category includes its subcategories.
    pub category: Option<String>,
    /// Plan level: national, provincial, prefectural or county.
    pub plan_level: Option<String>,
    /// Plan kind: supervision, risk_monitoring, evaluation or public_request.
    pub plan_kind: Option<String>,
}

/// A checked filter.
#[derive(Debug, Clone)]
pub struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    /// The region the figures cover (the user's scope when none was asked for).
    pub region: Option<RegionCode>,
    pub level: RegionLevel,
    pub domain: Option<Domain>,
    pub category: Option<String>,
    pub plan_level: Option<String>,
    pub plan_kind: Option<PlanKind>,
}

impl Scope {
    fn start(&self) -> NaiveDateTime {
        utc_of_local_midnight(self.from)
    }
    fn end(&self) -> NaiveDateTime {
        utc_after_local_day(self.to)
    }
    fn like(&self) -> String {
        self.region
            .as_ref()
            .map_or_else(|| "%".to_string(), |r| format!("{}%", r.like_prefix()))
    }
    fn domain_text(&self) -> String {
        self.domain
            .map(|d| d.as_str().to_string())
            .unwrap_or_default()
    }
    fn category_text(&self) -> String {
        self.category.clone().unwrap_or_default()
    }
    fn category_like(&self) -> String {
        format!("{}.%", self.category_text())
    }
    /// Whether a plan passes the plan filters.
    fn plan_passes(&self, p: &PlanInfo) -> bool {
        self.plan_level.as_ref().is_none_or(|l| &p.level == l)
            && self.plan_kind.is_none_or(|k| p.kind == k.as_str())
    }
}

/// Local (Asia/Shanghai, UTC+8, no daylight saving) midnight of `d` in UTC.
/// A raw query as the connection's backend boxes it, binds added one by one.
type ScopedQuery = diesel::query_builder::BoxedSqlQuery<
    'static,
    <DbConnection as diesel::Connection>::Backend,
    diesel::query_builder::SqlQuery,
>;

/// `sql` with the scope bound to its first eight placeholders, in the order every
/// figure's WHERE clause takes them: the period (from, to), `region_code LIKE`, the
/// domain (twice: `? = '' OR domain = ?`) and the category (`? = '' OR category_code
/// = ? OR category_code LIKE ?`).
fn scoped_query(conn: &DbConnection, sql: &str, s: &Scope) -> ScopedQuery {
    diesel::sql_query(placeholders(conn, sql))
        .into_boxed()
        .bind::<Timestamp, _>(s.start())
        .bind::<Timestamp, _>(s.end())
        .bind::<Text, _>(s.like())
        .bind::<Text, _>(s.domain_text())
        .bind::<Text, _>(s.domain_text())
        .bind::<Text, _>(s.category_text())
        .bind::<Text, _>(s.category_text())
        .bind::<Text, _>(s.category_like())
}

fn invalid(field: &str, zh: &str, en: &str) -> AppError {
    AppError::field(field, Msg::new(zh, en))
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_date(field: &str, v: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            "日期格式应为 YYYY-MM-DD",
            "must be a date YYYY-MM-DD",
        )
    })
}

/// Checks a filter against the actor's scope. `default_domain` is the domain used when
/// none is given (`Some(Food)` for the sampling rate, `None` for all domains).
pub fn check_filter(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
    default_domain: Option<Domain>,
) -> AppResult<Scope> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let today = local_date(now);
    let mut errors = FieldErrors::new();
    let mut note = |field: &str, zh: &str, en: &str| {
        errors.insert(field.to_string(), Msg::new(zh, en));
    };
    let year = match nonempty(&input.year) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                note(
                    "year",
                    "年份应为 2000 至 2100 的整数",
                    "must be a year from 2000 to 2100",
                );
                None
            }
        },
    };
    let from = nonempty(&input.from).map(|v| parse_date("from", v));
    let to = nonempty(&input.to).map(|v| parse_date("to", v));
    let mut take = |r: Option<AppResult<NaiveDate>>, field: &str| match r {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            note(
                field,
                "日期格式应为 YYYY-MM-DD",
                "must be a date YYYY-MM-DD",
            );
            None
        }
        None => None,
    };
    let (from, to) = (take(from, "from"), take(to, "to"));
    let mut note = |field: &str, zh: &str, en: &str| {
        errors.insert(field.to_string(), Msg::new(zh, en));
    };
    if year.is_some() && (from.is_some() || to.is_some()) {
        note(
            "year",
            "年份与起止日期只能选一种",
            "give a year or from/to, not both",
        );
    }
    let (period_from, period_to) = match (year, from, to) {
        (Some(y), _, _) => f::year_bounds(y).unwrap_or((today, today)),
        (None, None, None) => f::year_bounds(today.year()).unwrap_or((today, today)),
        (None, from, to) => {
            let to = to.unwrap_or(today);
            let from =
                from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
            (from, to)
        }
    };
    if period_from > period_to {
        note("from", "开始日期不能晚于结束日期", "must not be after `to`");
    }
    if (period_to - period_from).num_days() > 366 * 10 {
        note(
            "to",
            "期间不能超过十年",
            "the period must not exceed ten years",
        );
    }
    let region = match nonempty(&input.region) {
        None => actor.region.clone(),
        Some(r) => match RegionCode::parse(r) {
            Err(_) => {
                note("region", "行政区划代码无效", "is not a region code");
                None
            }
            Ok(code) => {
                let exists: i64 = regions::table
                    .filter(regions::code.eq(code.as_str()))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    note("region", "没有这个行政区划", "is not a known region");
                    None
                } else {
                    if let Some(scope) = &actor.region {
                        if !scope.contains(&code) {
                            return Err(AppError::Forbidden(Msg::new(
                                "该地区不在您的管辖范围内",
                                "This region is outside your scope",
                            )));
                        }
                    }
                    Some(code)
                }
            }
        },
    };
    let base_level = region
        .as_ref()
        .map_or(RegionLevel::Province, RegionCode::level);
    let level = match nonempty(&input.level) {
        None => match base_level {
            RegionLevel::Province => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        },
        Some(l) => match l.parse::<RegionLevel>() {
            Ok(l) if l >= base_level => l,
            Ok(_) => {
                note(
                    "level",
                    "层级不能高于所选地区",
                    "must be at or below the region's level",
                );
                RegionLevel::County
            }
            Err(_) => {
                note(
                    "level",
                    "层级应为 province、prefecture 或 county",
                    "must be province, prefecture or county",
                );
                RegionLevel::County
            }
        },
    };
    let domain = match nonempty(&input.domain) {
        None => default_domain,
        Some(d) => match d.parse::<Domain>() {
            Ok(d) => Some(d),
            Err(_) => {
                note(
                    "domain",
                    "领域应为 food、drug、cosmetic 或 device",
                    "must be food, drug, cosmetic or device",
                );
                None
            }
        },
    };
    let category = match nonempty(&input.category) {
        None => None,
        Some(c) => {
            let exists: i64 = categories::table
                .filter(categories::code.eq(c))
                .count()
                .get_result(conn)?;
            if exists == 0 {
                note("category", "没有这个食品类别", "is not a known category");
            }
            Some(c.to_string())
        }
    };
    let plan_level = match nonempty(&input.plan_level) {
        None => None,
        Some(l) if PLAN_LEVELS.contains(&l) => Some(l.to_string()),
        Some(_) => {
            note(
                "plan_level",
                "计划层级应为 national、provincial、prefectural 或 county",
                "must be national, provincial, prefectural or county",
            );
            None
        }
    };
    let plan_kind = match nonempty(&input.plan_kind) {
        None => None,
        Some(k) => match k.parse::<PlanKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                note(
                    "plan_kind",
                    "计划类型应为 supervision、risk_monitoring、evaluation 或 public_request",
                    "must be supervision, risk_monitoring, evaluation or public_request",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(Scope {
        from: period_from,
        to: period_to,
        today,
        region,
        level,
        domain,
        category,
        plan_level,
        plan_kind,
    })
}

// ---------------------------------------------------------------- reference data

#[derive(Debug, Clone)]
struct RegionInfo {
    code: String,
    name_zh: String,
    name_en: String,
    level: String,
    parent: Option<String>,
    figures: Vec<Figure>,
}

/// Every region with its population figures (a few dozen rows).
fn load_regions(conn: &mut DbConnection) -> AppResult<BTreeMap<String, RegionInfo>> {
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<i32>,
    );
    let rows: Vec<Row> = regions::table
        .select((
            regions::code,
            regions::name_zh,
            regions::name_en,
            regions::level,
            regions::parent_code,
            regions::population,
            regions::population_year,
        ))
        .load(conn)?;
    let mut out = BTreeMap::new();
    for (code, name_zh, name_en, level, parent, population, year) in rows {
        let figures = match (population, year) {
            (Some(population), Some(year)) => vec![Figure { population, year }],
            _ => Vec::new(),
        };
        out.insert(
            code.clone(),
            RegionInfo {
                code,
                name_zh,
                name_en,
                level,
                parent,
                figures,
            },
        );
    }
    let pops: Vec<(String, i32, i64)> = region_populations::table
        .select((
            region_populations::region_code,
            region_populations::year,
            region_populations::population,
        ))
        .load(conn)?;
    for (code, year, population) in pops {
        if let Some(r) = out.get_mut(&code) {
            if !r.figures.iter().any(|f| f.year == year) {
                r.figures.push(Figure { population, year });
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct PlanInfo {
    kind: String,
    level: String,
}

fn load_plans(conn: &mut DbConnection) -> AppResult<HashMap<i64, PlanInfo>> {
    let rows: Vec<(i64, String, String)> = plans::table
        .select((plans::id, plans::kind, plans::level))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, level)| (id, PlanInfo { kind, level }))
        .collect())
}

/// The plan kinds the sampling rate counts for `domain` and the annual target, from
/// the domain's supervision profile (SPEC §7).
pub fn rate_definition(
    conn: &mut DbConnection,
    domain: Domain,
) -> AppResult<(Vec<PlanKind>, Option<f64>, &'static str)> {
    let profile = get_profile(conn, domain, PlanKind::Supervision)?.map(|p| p.profile());
    let listed: Vec<PlanKind> = profile
        .as_ref()
        .map(|p| p.list(PLAN_KINDS_RULE))
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect();
    let target = profile.as_ref().and_then(|p| p.number(TARGET_RULE));
    Ok(if listed.is_empty() {
        (DEFAULT_PLAN_KINDS.to_vec(), target, "spec_default")
    } else {
        (listed, target, "rule_profile")
    })
}

// ---------------------------------------------------------------- sampling rate

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

/// Batches of one month, county, plan, stage and conclusion (rejected samples are not
/// counted).
#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Text)]
    region_code: String,
    #[diesel(sql_type = BigInt)]
    plan_id: i64,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Text)]
    conclusion: String,
    #[diesel(sql_type = BigInt)]
    batches: i64,
}

/// How finely `cells` groups: by every column, or by county and plan only (the
/// sampling rate; month, stage and conclusion come back empty).
#[derive(Clone, Copy)]
enum CellsBy {
    All,
    RegionPlan,
}

/// SQL over `samples` for one backend: a column's local (UTC+8) month and day, and a
/// category code's top-level code (`01.02` → `01`), as the rollups of migrations 000008
/// and 000009 key them.
fn local_month(conn: &DbConnection, col: &str) -> String {
    match conn {
        DbConnection::Sqlite(_) => format!("strftime('%Y-%m', {col}, '+8 hours')"),
        DbConnection::Pg(_) => format!("to_char({col} + INTERVAL '8 hours', 'YYYY-MM')"),
    }
}

fn local_day(conn: &DbConnection, col: &str) -> String {
    match conn {
        DbConnection::Sqlite(_) => format!("date({col}, '+8 hours')"),
        DbConnection::Pg(_) => format!("CAST({col} + INTERVAL '8 hours' AS DATE)"),
    }
}

fn top_category(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Sqlite(_) => "substr(category_code, 1, instr(category_code || '.', '.') - 1)",
        DbConnection::Pg(_) => "split_part(category_code, '.', 1)",
    }
}

/// A monthly rollup kept by triggers on `samples`, and how `samples` gives the same
/// rows for the days a rollup cannot answer.
struct Rollup<'a> {
    table: &'a str,
    /// The time column of `samples` whose local month keys the rollup.
    time: &'a str,
    /// The rows' columns: name, its value in the rollup, its value over `samples`.
    keys: Vec<(&'a str, String, String)>,
    /// The rollup's count columns (the output's names), and what one sample adds to each.
    counts: Vec<(&'a str, &'a str)>,
    /// Which samples the rollup counts.
    counted: String,
    /// Whether the rollup holds the top-level category.
    by_category: bool,
    /// Whether the rollup can answer the scope's other filters (plan level and kind).
    usable: bool,
}

/// The counts of the period in scope from rollup `r`, grouped by its keys. Whole months
/// come from the rollup (a few rows per county and month); the days at the ends of the
/// period come from `samples` through its time-ordered covering indexes; so does the
/// whole period when the rollup cannot answer a filter (a category finer than it holds,
/// or a plan filter).
fn rolled_up<T>(conn: &mut DbConnection, s: &Scope, r: &Rollup) -> AppResult<Vec<T>>
where
    T: QueryableByName<<DbConnection as diesel::Connection>::Backend> + 'static,
{
    let rollup_answers = r.usable
        && match &s.category {
            None => true,
            Some(c) => r.by_category && !c.contains('.'),
        };
    let span = if rollup_answers {
        f::month_span(s.from, s.to)
    } else {
        f::MonthSpan {
            months: None,
            edges: vec![(s.from, s.to)],
        }
    };
    let names: Vec<&str> = r.keys.iter().map(|k| k.0).collect();
    let of_rollup: Vec<String> = r
        .keys
        .iter()
        .map(|k| format!("{} AS {}", k.1, k.0))
        .chain(r.counts.iter().map(|c| c.0.to_string()))
        .collect();
    let of_samples: Vec<String> = r
        .keys
        .iter()
        .map(|k| format!("{} AS {}", k.2, k.0))
        .chain(r.counts.iter().map(|c| format!("{} AS {}", c.1, c.0)))
        .collect();
    let sums: Vec<String> = r
        .counts
        .iter()
        .map(|c| format!("CAST(SUM({0}) AS BIGINT) AS {0}", c.0))
        .collect();
    let filter = "region_code LIKE ? AND (? = '' OR domain = ?)";
    let mut parts = Vec::new();
    if span.months.is_some() {
        parts.push(format!(
            "SELECT {} FROM {} WHERE month >= ? AND month <= ? AND {filter}{}",
            of_rollup.join(", "),
            r.table,
            if r.by_category {
                " AND (? = '' OR category = ?)"
            } else {
                ""
            },
        ));
    }
    for _ in &span.edges {
        parts.push(format!(
            "SELECT {} FROM samples WHERE {time} >= ? AND {time} < ? AND {filter} \
             AND {counted} AND (? = '' OR category_code = ? OR category_code LIKE ?)",
            of_samples.join(", "),
            time = r.time,
            counted = r.counted,
        ));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {keys}, {} FROM ({}) c GROUP BY {keys}",
        sums.join(", "),
        parts.join(" UNION ALL "),
        keys = names.join(", "),
    );
    let mut q = diesel::sql_query(placeholders(conn, &sql))
        .into_boxed::<<DbConnection as diesel::Connection>::Backend>();
    let scope = [s.like(), s.domain_text(), s.domain_text()];
    if let Some((first, last)) = &span.months {
        q = q
            .bind::<Text, _>(first.clone())
            .bind::<Text, _>(last.clone());
        for t in &scope {
            q = q.bind::<Text, _>(t.clone());
        }
        if r.by_category {
            q = q
                .bind::<Text, _>(s.category_text())
                .bind::<Text, _>(s.category_text());
        }
    }
    for (from, to) in &span.edges {
        q = q
            .bind::<Timestamp, _>(utc_of_local_midnight(*from))
            .bind::<Timestamp, _>(utc_after_local_day(*to));
        for t in &scope {
            q = q.bind::<Text, _>(t.clone());
        }
        q = q
            .bind::<Text, _>(s.category_text())
            .bind::<Text, _>(s.category_text())
            .bind::<Text, _>(s.category_like());
    }
    Ok(q.load(conn)?)
}

/// The counts of the period in scope, by month, county, plan, stage and conclusion,
/// from `sample_counts` (migration 000008).
fn cells(conn: &mut DbConnection, s: &Scope, by: CellsBy) -> AppResult<Vec<Cell>> {
    let key = |name: &'static str| (name, name.to_string(), name.to_string());
    let blank = |name: &'static str| (name, "''".to_string(), "''".to_string());
    let keys = match by {
        CellsBy::All => vec![
            (
                "month",
                "month".to_string(),
                local_month(conn, "sampled_at"),
            ),
            key("region_code"),
            key("plan_id"),
            key("stage"),
            key("conclusion"),
        ],
        CellsBy::RegionPlan => vec![
            blank("month"),
            key("region_code"),
            key("plan_id"),
            blank("stage"),
            blank("conclusion"),
        ],
    };
    rolled_up(
        conn,
        s,
        &Rollup {
            table: "sample_counts",
            time: "sampled_at",
            keys,
            counts: vec![("batches", "1")],
            counted: "status <> 'rejected'".into(),
            by_category: false,
            usable: true,
        },
    )
}

/// Batches per county (the entity's region) of the plans that pass `keep`.
fn county_batches(
    conn: &mut DbConnection,
    s: &Scope,
    plans: &HashMap<i64, PlanInfo>,
    keep: impl Fn(&PlanInfo) -> bool,
) -> AppResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for r in cells(conn, s, CellsBy::RegionPlan)? {
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
pub fn sampling_rate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
) -> AppResult<Vec<RateRow>> {
    let s = check_filter(conn, now, actor, input, Some(Domain::Food))?;
    rate_rows(conn, &s)
}

fn rate_rows(conn: &mut DbConnection, s: &Scope) -> AppResult<Vec<RateRow>> {
    let domain = s.domain.unwrap_or(Domain::Food);
    let (kinds, target, _) = rate_definition(conn, domain)?;
    let kinds: Vec<PlanKind> = match s.plan_kind {
        Some(k) => vec![k],
        None => kinds,
    };
    let kind_names: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
    let regions = load_regions(conn)?;
    let plans = load_plans(conn)?;
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

// ---------------------------------------------------------------- quality

/// Batches, concluded and non-compliant batches of one top-level category.
#[derive(QueryableByName)]
struct CategoryRow {
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = BigInt)]
    batches: i64,
    #[diesel(sql_type = BigInt)]
    concluded: i64,
    #[diesel(sql_type = BigInt)]
    non_compliant: i64,
}

/// Outcomes by top-level category of the plans in `plan_ids` (those passing the plan
/// filters, risk monitoring apart), from `category_counts` (migration 000009), which
/// counts every plan but risk monitoring: with a plan filter, from `samples`.
fn category_rows(
    conn: &mut DbConnection,
    s: &Scope,
    plan_ids: &[i64],
) -> AppResult<Vec<CategoryRow>> {
    let ids = id_list(plan_ids);
    let top = top_category(conn).to_string();
    rolled_up(
        conn,
        s,
        &Rollup {
            table: "category_counts",
            time: "sampled_at",
            keys: vec![("category", "category".into(), top)],
            counts: vec![
                ("batches", "1"),
                (
                    "concluded",
                    "CASE WHEN conclusion <> 'pending' THEN 1 ELSE 0 END",
                ),
                (
                    "non_compliant",
                    "CASE WHEN conclusion = 'non_compliant' THEN 1 ELSE 0 END",
                ),
            ],
            counted: format!("status <> 'rejected' AND plan_id IN ({ids})"),
            by_category: true,
            usable: s.plan_level.is_none() && s.plan_kind.is_none(),
        },
    )
}

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

/// A failing test item and how many times it failed.
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct FailingItem {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub failures: i64,
}

/// Batches and non-compliant batches per month (Asia/Shanghai).
#[derive(Debug, Clone, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct MonthRow {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub batches: i64,
    #[diesel(sql_type = BigInt)]
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

pub fn quality(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
) -> AppResult<Quality> {
    let s = check_filter(conn, now, actor, input, None)?;
    quality_of(conn, &s)
}

fn quality_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Quality> {
    let regions = load_regions(conn)?;
    let plans = load_plans(conn)?;
    let cat_names: HashMap<String, String> = categories::table
        .select((categories::code, categories::name_zh))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut plan_ids: Vec<i64> = plans
        .iter()
        .filter(|(_, p)| s.plan_passes(p) && p.kind != PlanKind::RiskMonitoring.as_str())
        .map(|(id, _)| *id)
        .collect();
    plan_ids.sort_unstable();
    let by_cat = category_rows(conn, s, &plan_ids)?;
    let mut sampling = Outcomes::default();
    let mut risk = Outcomes::default();
    let mut by: [BTreeMap<String, Outcomes>; 5] = Default::default();
    let mut months: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let passes = |id: i64| plans.get(&id).filter(|p| s.plan_passes(p));
    for r in cells(conn, s, CellsBy::All)? {
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
    let failing_items = failing_items(conn, s, &plan_ids)?;
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

/// The failing tests of the period's samples of the plans in `{plans}`, most frequent
/// first. The sample of each failing test (a few per cent of tests) is looked up by its
/// key in a correlated subquery, and the plans are a list of numbers: as a join,
/// PostgreSQL hashed a scan of every sample instead (350 ms at 10^6 samples, against
/// 120–180 ms this way).
const FAILING_SQL: &str = "SELECT t.name AS name, COUNT(*) AS failures FROM sample_tests t \
 WHERE t.judgment = 'fail' AND t.sample_id = (SELECT s.id FROM samples s WHERE s.id = t.sample_id \
 AND s.sampled_at >= ? AND s.sampled_at < ? AND s.region_code LIKE ? \
 AND (? = '' OR s.domain = ?) AND (? = '' OR s.category_code = ? OR s.category_code LIKE ?) \
 AND s.plan_id IN ({plans})) \
 GROUP BY t.name ORDER BY failures DESC, name LIMIT ?";

/// The most frequent failing items of the plans in `plan_ids`.
fn failing_items(
    conn: &mut DbConnection,
    s: &Scope,
    plan_ids: &[i64],
) -> AppResult<Vec<FailingItem>> {
    let sql = FAILING_SQL.replace("{plans}", &id_list(plan_ids));
    Ok(scoped_query(conn, &sql, s)
        .bind::<BigInt, _>(TOP_ITEMS)
        .load(conn)?)
}

/// Plan ids as an SQL list (`NULL` for none, which matches nothing). They are numbers
/// read from the database, never text from a request.
fn id_list(ids: &[i64]) -> String {
    match ids.is_empty() {
        true => "NULL".to_string(),
        false => ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

// ---------------------------------------------------------------- lab

/// Reports of one turnaround (working days), provisional or not, on time or not.
#[derive(QueryableByName)]
struct TurnRow {
    #[diesel(sql_type = BigInt)]
    turnaround_days: i64,
    #[diesel(sql_type = Bool)]
    provisional: bool,
    #[diesel(sql_type = Bool)]
    on_time: bool,
    #[diesel(sql_type = BigInt)]
    reports: i64,
}

/// Reports still without a stored turnaround, by receipt day, report day and deadline.
#[derive(QueryableByName)]
struct UncountedRow {
    #[diesel(sql_type = Date)]
    received_on: NaiveDate,
    #[diesel(sql_type = Date)]
    reported_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    due_on: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Samples received, late or not.
#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = Bool)]
    late: bool,
    #[diesel(sql_type = BigInt)]
    received: i64,
}

/// A sample past its report deadline without a report.
#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct OverdueSample {
    pub sample_no: String,
    pub product_name: String,
    pub region_code: String,
    pub status: String,
    pub due_on: Option<NaiveDate>,
}

/// `GET /api/v1/stats/lab`: turnaround of the reports issued in the period in working
/// days from receipt (median, 90th percentile), the share on time (reported on or
/// before the sample's deadline), delivery to the lab on time, and the overdue list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lab {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reports: i64,
    pub median_working_days: Option<f64>,
    pub p90_working_days: Option<i64>,
    /// Whether a count touched a year whose holiday calendar is not loaded.
    pub provisional: bool,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
    pub received: i64,
    pub delivered_on_time: i64,
    pub delivery_on_time_rate: Option<f64>,
    pub overdue_count: i64,
    pub overdue: Vec<OverdueSample>,
}

pub fn lab(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
) -> AppResult<Lab> {
    let s = check_filter(conn, now, actor, input, None)?;
    lab_of(conn, &s)
}

fn lab_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Lab> {
    let key = |name: &'static str| (name, name.to_string(), name.to_string());
    let on_time = match conn {
        DbConnection::Sqlite(_) => "COALESCE(date(reported_at, '+8 hours') <= due_on, 0)",
        DbConnection::Pg(_) => {
            "COALESCE(CAST(reported_at + INTERVAL '8 hours' AS DATE) <= due_on, FALSE)"
        }
    };
    let turns: Vec<TurnRow> = rolled_up(
        conn,
        s,
        &Rollup {
            table: "report_counts",
            time: "reported_at",
            keys: vec![
                key("turnaround_days"),
                (
                    "provisional",
                    "provisional".into(),
                    "turnaround_provisional".into(),
                ),
                ("on_time", "on_time".into(), on_time.into()),
            ],
            counts: vec![("reports", "1")],
            counted: "received_at IS NOT NULL AND turnaround_days IS NOT NULL".into(),
            by_category: false,
            usable: true,
        },
    )?;
    let mut dist: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut reports, mut on_time, mut provisional) = (0, 0, false);
    for r in &turns {
        provisional |= r.provisional;
        *dist.entry(r.turnaround_days).or_insert(0) += r.reports;
        reports += r.reports;
        if r.on_time {
            on_time += r.reports;
        }
    }
    // Reports written before their turnaround was stored are counted from their dates.
    let uncounted = uncounted_reports(conn, s)?;
    // The calendar is read only when some report needs it (hardly ever).
    let cal = match uncounted.is_empty() {
        true => WorkCalendar::new(std::iter::empty(), Vec::new()),
        false => work_calendar(conn)?,
    };
    for r in &uncounted {
        let (days, prov) = f::turnaround_days(&cal, r.received_on, r.reported_on);
        provisional |= prov;
        *dist.entry(days).or_insert(0) += r.n;
        reports += r.n;
        if r.due_on.is_some_and(|d| r.reported_on <= d) {
            on_time += r.n;
        }
    }
    let dist: Vec<(i64, i64)> = dist.into_iter().collect();
    let delivered: Vec<DeliveryRow> = rolled_up(
        conn,
        s,
        &Rollup {
            table: "receipt_counts",
            time: "received_at",
            keys: vec![(
                "late",
                "late".into(),
                match conn {
                    DbConnection::Sqlite(_) => "COALESCE(delivered_late, 0)",
                    DbConnection::Pg(_) => "COALESCE(delivered_late, FALSE)",
                }
                .into(),
            )],
            counts: vec![("received", "1")],
            counted: "received_at IS NOT NULL".into(),
            by_category: false,
            usable: true,
        },
    )?;
    let received: i64 = delivered.iter().map(|d| d.received).sum();
    let late: i64 = delivered
        .iter()
        .filter(|d| d.late)
        .map(|d| d.received)
        .sum();
    let open = ["received", "testing", "review"];
    let overdue_q = || {
        let mut q = samples::table
            .filter(samples::status.eq_any(open))
            .filter(samples::due_on.lt(s.today))
            .filter(samples::region_code.like(s.like()))
            .into_boxed();
        if let Some(d) = s.domain {
            q = q.filter(samples::domain.eq(d.as_str()));
        }
        q
    };
    let overdue_count: i64 = overdue_q().count().get_result(conn)?;
    let overdue: Vec<OverdueSample> = overdue_q()
        .order((samples::due_on.asc(), samples::id.asc()))
        .limit(OVERDUE_LIST)
        .select((
            samples::sample_no,
            samples::product_name,
            samples::region_code,
            samples::status,
            samples::due_on,
        ))
        .load(conn)?;
    let delivered_on_time = received - late;
    Ok(Lab {
        from: s.from,
        to: s.to,
        reports,
        median_working_days: f::median(&dist),
        p90_working_days: f::percentile(&dist, 90.0),
        provisional,
        on_time,
        on_time_rate: f::ratio(on_time, reports),
        received,
        delivered_on_time,
        delivery_on_time_rate: f::ratio(delivered_on_time, received),
        overdue_count,
        overdue,
    })
}

/// The reports of the period in scope that have no stored turnaround (issued before
/// migration 000009 and not yet filled), through their partial index.
fn uncounted_reports(conn: &mut DbConnection, s: &Scope) -> AppResult<Vec<UncountedRow>> {
    let (recv, rep) = (
        local_day(conn, "received_at"),
        local_day(conn, "reported_at"),
    );
    let indexed = match conn {
        DbConnection::Sqlite(_) => " INDEXED BY samples_turnaround_missing_idx",
        DbConnection::Pg(_) => "",
    };
    let sql = format!(
        "SELECT {recv} AS received_on, {rep} AS reported_on, due_on, COUNT(*) AS n \
         FROM samples{indexed} \
         WHERE reported_at >= ? AND reported_at < ? AND region_code LIKE ? \
         AND (? = '' OR domain = ?) AND (? = '' OR category_code = ? OR category_code LIKE ?) \
         AND reported_at IS NOT NULL AND turnaround_days IS NULL AND received_at IS NOT NULL \
         GROUP BY {recv}, {rep}, due_on"
    );
    Ok(scoped_query(conn, &sql, s).load(conn)?)
}

/// The turnaround the lab figures count for a report: working days from the local day
/// of receipt to the local day of the report, and whether a day in an unknown calendar
/// year made that count provisional.
pub fn turnaround_of(
    cal: &WorkCalendar,
    received_at: NaiveDateTime,
    reported_at: NaiveDateTime,
) -> (i64, bool) {
    f::turnaround_days(cal, local_date(received_at), local_date(reported_at))
}

/// Which reports `store_turnaround` looks at.
enum Reports {
    /// Those without a stored turnaround (issued before migration 000009).
    Missing,
    /// Those reported from `.0` and received before `.1`.
    Touching(NaiveDateTime, NaiveDateTime),
}

/// Stores the turnaround of `which` reports on today's calendar where it differs.
/// Returns how many changed. Writes through the caller's transaction; the triggers of
/// migration 000009 move the counts.
fn store_turnaround(conn: &mut DbConnection, which: Reports) -> AppResult<usize> {
    let mut cal: Option<WorkCalendar> = None;
    let mut changed = 0;
    let mut after = 0_i64;
    loop {
        let rows: Vec<StoredTurnaround> = match which {
            Reports::Missing => missing_turnaround(conn)?,
            Reports::Touching(reported_from, received_before) => samples::table
                .filter(samples::id.gt(after))
                .filter(samples::reported_at.ge(reported_from))
                .filter(samples::received_at.lt(received_before))
                .order(samples::id.asc())
                .limit(TURNAROUND_CHUNK)
                .select((
                    samples::id,
                    samples::received_at,
                    samples::reported_at,
                    samples::turnaround_days,
                    samples::turnaround_provisional,
                ))
                .load(conn)?,
        };
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.0;
        let cal = match &mut cal {
            Some(c) => c,
            slot @ None => slot.insert(work_calendar(conn)?),
        };
        for (id, received, reported, days, prov) in rows {
            let (Some(received), Some(reported)) = (received, reported) else {
                continue;
            };
            let (d, p) = turnaround_of(cal, received, reported);
            if days != Some(d) || prov != p {
                diesel::update(samples::table.find(id))
                    .set((
                        samples::turnaround_days.eq(Some(d)),
                        samples::turnaround_provisional.eq(p),
                    ))
                    .execute(conn)?;
                changed += 1;
            }
        }
    }
}

/// Up to `TURNAROUND_CHUNK` received reports without a stored turnaround, through their
/// partial index: this runs at every start, and as an ordinary query SQLite scanned every
/// sample to find none. Each one returned gets stored, so the next call finds the rest.
fn missing_turnaround(conn: &mut DbConnection) -> AppResult<Vec<StoredTurnaround>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Nullable<Timestamp>)]
        received_at: Option<NaiveDateTime>,
        #[diesel(sql_type = Nullable<Timestamp>)]
        reported_at: Option<NaiveDateTime>,
    }
    let indexed = match conn {
        DbConnection::Sqlite(_) => " INDEXED BY samples_turnaround_missing_idx",
        DbConnection::Pg(_) => "",
    };
    let sql = format!(
        "SELECT id, received_at, reported_at FROM samples{indexed} \
         WHERE reported_at IS NOT NULL AND turnaround_days IS NULL \
         AND received_at IS NOT NULL LIMIT ?"
    );
    let rows: Vec<Row> = diesel::sql_query(placeholders(conn, &sql))
        .bind::<BigInt, _>(TURNAROUND_CHUNK)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.received_at, r.reported_at, None, false))
        .collect())
}

/// A report's id, receipt and report times, and stored turnaround.
type StoredTurnaround = (
    i64,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<i64>,
    bool,
);

/// How many reports `store_turnaround` reads at a time.
const TURNAROUND_CHUNK: i64 = 10_000;

/// Stores the turnaround of every report that has none (those issued before migration
/// 000009); run when reference data is loaded at start. Returns how many were stored.
pub fn fill_missing_turnaround(conn: &mut DbConnection) -> AppResult<usize> {
    store_turnaround(conn, Reports::Missing)
}

/// Recounts the turnaround of the reports whose days from receipt to report touch
/// calendar `year`, after that year's holidays were loaded or reloaded.
pub fn recount_turnaround(conn: &mut DbConnection, year: i32) -> AppResult<usize> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(0);
    };
    store_turnaround(
        conn,
        Reports::Touching(utc_of_local_midnight(first), utc_after_local_day(last)),
    )
}

// ---------------------------------------------------------------- coverage

/// A drug producer in scope and whether it was sampled in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Producer {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub license_no: Option<String>,
}

/// `GET /api/v1/stats/coverage`: drug producers (entities of kind producer holding a
/// drug production licence, or sampled in the drug domain at any time) sampled at least
/// once in the period ÷ all of them, with those not yet sampled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub producers: i64,
    pub sampled: i64,
    pub coverage: Option<f64>,
    pub not_sampled: Vec<Producer>,
}

#[derive(QueryableByName)]
struct ProducerRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    region_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    license_no: Option<String>,
    #[diesel(sql_type = Bool)]
    drug_ever: bool,
    #[diesel(sql_type = Bool)]
    sampled: bool,
}

const COVERAGE_SQL: &str = "SELECT e.id AS id, e.name AS name, e.region_code AS region_code, \
 e.license_no AS license_no, \
 EXISTS (SELECT 1 FROM samples s WHERE s.entity_id = e.id AND s.domain = 'drug') AS drug_ever, \
 EXISTS (SELECT 1 FROM samples s WHERE s.entity_id = e.id AND s.domain = 'drug' \
 AND s.status <> 'rejected' AND s.sampled_at >= ? AND s.sampled_at < ?) AS sampled \
 FROM entities e WHERE e.kind = 'producer' AND e.region_code LIKE ? ORDER BY e.region_code, e.name";

pub fn coverage(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
) -> AppResult<Coverage> {
    let s = check_filter(conn, now, actor, input, Some(Domain::Drug))?;
    coverage_of(conn, &s)
}

fn coverage_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Coverage> {
    let rows: Vec<ProducerRow> = diesel::sql_query(placeholders(conn, COVERAGE_SQL))
        .bind::<Timestamp, _>(s.start())
        .bind::<Timestamp, _>(s.end())
        .bind::<Text, _>(s.like())
        .load(conn)?;
    let mut producers = 0;
    let mut sampled = 0;
    let mut not_sampled = Vec::new();
    for r in rows {
        let licensed = r
            .license_no
            .as_deref()
            .is_some_and(|l| check_licence(l) == LicenceCheck::DrugProduction);
        if !(licensed || r.drug_ever) {
            continue;
        }
        producers += 1;
        if r.sampled {
            sampled += 1;
        } else {
            not_sampled.push(Producer {
                id: r.id,
                name: r.name,
                region_code: r.region_code,
                license_no: r.license_no,
            });
        }
    }
    Ok(Coverage {
        from: s.from,
        to: s.to,
        producers,
        sampled,
        coverage: f::coverage(sampled, producers),
        not_sampled,
    })
}

// ---------------------------------------------------------------- summary

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

pub fn summary(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &StatsFilter,
) -> AppResult<Summary> {
    let s = check_filter(conn, now, actor, input, None)?;
    let q = quality_of(conn, &s)?;
    let l = lab_of(conn, &s)?;
    let base = match s.region.clone() {
        Some(r) => r,
        None => {
            let province: String = regions::table
                .filter(regions::level.eq(RegionLevel::Province.as_str()))
                .order(regions::code.asc())
                .select(regions::code)
                .first(conn)?;
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
    let region_name = regions::table
        .find(base.as_str())
        .select(regions::name_zh)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| base.as_str().to_string());
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
