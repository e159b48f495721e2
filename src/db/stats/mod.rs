//! The queries of the statistics (SPEC §7): reference data they name (regions with
//! their population figures, plans, categories), the counts of a period read from the
//! monthly rollups ([`crate::db::rollups`]) and from `samples` for the days a rollup
//! cannot answer, the failing test items and the drug producers. Invariant: every count
//! is a GROUP BY in the database, never every sample in memory; the local-time SQL comes
//! from [`crate::db::sql`] and each rollup's SQL from its one description.

mod lab;

pub use lab::*;

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use crate::db::rollups::{Rollup, CATEGORY_COUNTS, SAMPLE_COUNTS};
use crate::db::schema::{categories, plans, region_populations, regions};
use crate::db::sql::placeholders;
use crate::db::DbConnection;
use crate::domain::local_time::{utc_after_local_day, utc_of_local_midnight};
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::rules::Domain;
use crate::domain::stats::{month_span, Figure, MonthSpan};
use crate::error::AppResult;

/// What every figure's query is restricted to: a period of local days, a region (with
/// everything inside it), a domain and a category (with its subcategories).
#[derive(Debug, Clone)]
pub struct Slice {
    pub from: NaiveDate,
    /// The last day, inclusive.
    pub to: NaiveDate,
    pub region: Option<RegionCode>,
    pub domain: Option<Domain>,
    pub category: Option<String>,
}

impl Slice {
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
}

/// A raw query as the connection's backend boxes it, binds added one by one.
type Query = diesel::query_builder::BoxedSqlQuery<
    'static,
    <DbConnection as diesel::Connection>::Backend,
    diesel::query_builder::SqlQuery,
>;

/// The WHERE clause over `samples` (alias `{s}`) that [`sliced`] binds.
fn slice_where(s: &str) -> String {
    format!(
        "{s}sampled_at >= ? AND {s}sampled_at < ? AND {s}region_code LIKE ? \
         AND (? = '' OR {s}domain = ?) \
         AND (? = '' OR {s}category_code = ? OR {s}category_code LIKE ?)"
    )
}

/// `sql` with the slice bound to its first eight placeholders, in the order every
/// figure's WHERE clause takes them: the period (from, to), `region_code LIKE`, the
/// domain (twice: `? = '' OR domain = ?`) and the category (`? = '' OR category_code
/// = ? OR category_code LIKE ?`).
fn sliced(conn: &DbConnection, sql: &str, s: &Slice) -> Query {
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

// ---------------------------------------------------------------- reference data

/// Whether category `code` is known.
pub fn category_exists(conn: &mut DbConnection, code: &str) -> AppResult<bool> {
    let n: i64 = categories::table
        .filter(categories::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A region with its population figures.
#[derive(Debug, Clone)]
pub struct RegionInfo {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    pub parent: Option<String>,
    pub figures: Vec<Figure>,
}

/// Every region with its population figures (a few dozen rows), by code.
pub fn regions(conn: &mut DbConnection) -> AppResult<BTreeMap<String, RegionInfo>> {
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

/// The first province by code (the whole territory when a user has no scope).
pub fn first_province(conn: &mut DbConnection) -> AppResult<String> {
    Ok(regions::table
        .filter(regions::level.eq(RegionLevel::Province.as_str()))
        .order(regions::code.asc())
        .select(regions::code)
        .first(conn)?)
}

/// The Chinese name of region `code`, if known.
pub fn region_name(conn: &mut DbConnection, code: &str) -> AppResult<Option<String>> {
    Ok(regions::table
        .find(code)
        .select(regions::name_zh)
        .first::<String>(conn)
        .optional()?)
}

/// A plan's kind and level, which the plan filters and the breakdowns read.
#[derive(Debug, Clone)]
pub struct PlanInfo {
    pub kind: String,
    pub level: String,
}

/// Every plan's kind and level, by id.
pub fn plans(conn: &mut DbConnection) -> AppResult<HashMap<i64, PlanInfo>> {
    let rows: Vec<(i64, String, String)> = plans::table
        .select((plans::id, plans::kind, plans::level))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, level)| (id, PlanInfo { kind, level }))
        .collect())
}

/// Every category's Chinese name, by code.
pub fn category_names(conn: &mut DbConnection) -> AppResult<HashMap<String, String>> {
    Ok(categories::table
        .select((categories::code, categories::name_zh))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

// ---------------------------------------------------------------- rollups

/// The counts of the period in `s` from rollup `r`, grouped by its key columns `by`
/// (any of `month` and `r.keys`). Whole months come from the rollup (a few rows per
/// county and month); the days at the ends of the period come from `samples` through
/// its time-ordered covering indexes; so does the whole period when the rollup cannot
/// answer: `rollup_usable` is false (a filter it does not hold) or the category is finer
/// than it holds. `extra` restricts the samples further (` AND …`) and must also hold
/// for every sample the rollup's rows count when `rollup_usable`.
fn rolled_up<T>(
    conn: &mut DbConnection,
    s: &Slice,
    r: &Rollup,
    by: &[&str],
    rollup_usable: bool,
    extra: &str,
) -> AppResult<Vec<T>>
where
    T: QueryableByName<<DbConnection as diesel::Connection>::Backend> + 'static,
{
    let b = conn.backend();
    let category_key = r.category_key();
    let rollup_answers = rollup_usable
        && match &s.category {
            None => true,
            Some(c) => category_key.is_some() && !c.contains('.'),
        };
    let span = if rollup_answers {
        month_span(s.from, s.to)
    } else {
        MonthSpan {
            months: None,
            edges: vec![(s.from, s.to)],
        }
    };
    let mut of_samples = Vec::new();
    for k in by {
        let e = r.key_over_samples(b, k).ok_or_else(|| {
            crate::error::AppError::internal(format!("{} has no key {k}", r.table))
        })?;
        of_samples.push(format!("{e} AS {k}"));
    }
    let of_rollup: Vec<String> = by
        .iter()
        .map(|k| k.to_string())
        .chain(r.counts.iter().map(|c| c.column.to_string()))
        .collect();
    of_samples.extend(
        r.counts
            .iter()
            .map(|c| format!("{} AS {}", c.per_sample(), c.column)),
    );
    let sums: Vec<String> = r
        .counts
        .iter()
        .map(|c| format!("CAST(SUM({0}) AS BIGINT) AS {0}", c.column))
        .collect();
    let filter = "region_code LIKE ? AND (? = '' OR domain = ?)";
    let mut parts = Vec::new();
    if span.months.is_some() {
        parts.push(format!(
            "SELECT {} FROM {} WHERE month >= ? AND month <= ? AND {filter}{}",
            of_rollup.join(", "),
            r.table,
            category_key
                .map(|c| format!(" AND (? = '' OR {c} = ?)"))
                .unwrap_or_default(),
        ));
    }
    for _ in &span.edges {
        parts.push(format!(
            "SELECT {} FROM samples WHERE {time} >= ? AND {time} < ? AND {filter} \
             AND {counted}{extra} AND (? = '' OR category_code = ? OR category_code LIKE ?)",
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
        keys = by.join(", "),
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
        if category_key.is_some() {
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

/// Batches of one month, county, plan, stage and conclusion (rejected samples are not
/// counted).
#[derive(QueryableByName)]
pub struct Cell {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = Text)]
    pub region_code: String,
    #[diesel(sql_type = BigInt)]
    pub plan_id: i64,
    #[diesel(sql_type = Text)]
    pub stage: String,
    #[diesel(sql_type = Text)]
    pub conclusion: String,
    #[diesel(sql_type = BigInt)]
    pub batches: i64,
}

/// The counts of the period in `s`, by month, county, plan, stage and conclusion, from
/// `sample_counts` (migration 000008).
pub fn cells(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<Cell>> {
    let by = ["month", "region_code", "plan_id", "stage", "conclusion"];
    rolled_up(conn, s, &SAMPLE_COUNTS, &by, true, "")
}

/// Batches of one county and plan.
#[derive(QueryableByName)]
pub struct CountyPlan {
    #[diesel(sql_type = Text)]
    pub region_code: String,
    #[diesel(sql_type = BigInt)]
    pub plan_id: i64,
    #[diesel(sql_type = BigInt)]
    pub batches: i64,
}

/// The batches of the period in `s` by county and plan (the sampling rate).
pub fn county_plan_batches(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<CountyPlan>> {
    rolled_up(
        conn,
        s,
        &SAMPLE_COUNTS,
        &["region_code", "plan_id"],
        true,
        "",
    )
}

/// Batches, concluded and non-compliant batches of one top-level category.
#[derive(QueryableByName)]
pub struct CategoryRow {
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = BigInt)]
    pub batches: i64,
    #[diesel(sql_type = BigInt)]
    pub concluded: i64,
    #[diesel(sql_type = BigInt)]
    pub non_compliant: i64,
}

/// Outcomes by top-level category of the plans in `plan_ids` (none of them risk
/// monitoring), from `category_counts` (migration 000009), which counts every plan but
/// risk monitoring: when `plan_ids` is a selection (`plan_filtered`), from `samples`.
pub fn category_rows(
    conn: &mut DbConnection,
    s: &Slice,
    plan_ids: &[i64],
    plan_filtered: bool,
) -> AppResult<Vec<CategoryRow>> {
    let extra = format!(" AND plan_id IN ({})", id_list(plan_ids));
    rolled_up(
        conn,
        s,
        &CATEGORY_COUNTS,
        &["category"],
        !plan_filtered,
        &extra,
    )
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

// ---------------------------------------------------------------- failing items

/// A failing test item and how many times it failed.
#[derive(Debug, Clone, serde::Serialize, QueryableByName, utoipa::ToSchema)]
pub struct FailingItem {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub failures: i64,
}

/// The `limit` most frequent failing test items of the period's samples of the plans in
/// `plan_ids`. The sample of each failing test (a few per cent of tests) is looked up by
/// its key in a correlated subquery, and the plans are a list of numbers: as a join,
/// PostgreSQL hashed a scan of every sample instead (350 ms at 10^6 samples, against
/// 120–180 ms this way).
pub fn failing_items(
    conn: &mut DbConnection,
    s: &Slice,
    plan_ids: &[i64],
    limit: i64,
) -> AppResult<Vec<FailingItem>> {
    let sql = format!(
        "SELECT t.name AS name, COUNT(*) AS failures FROM sample_tests t \
         WHERE t.judgment = 'fail' AND t.sample_id = (SELECT s.id FROM samples s \
         WHERE s.id = t.sample_id AND {} AND s.plan_id IN ({})) \
         GROUP BY t.name ORDER BY failures DESC, name LIMIT ?",
        slice_where("s."),
        id_list(plan_ids)
    );
    Ok(sliced(conn, &sql, s).bind::<BigInt, _>(limit).load(conn)?)
}

// ---------------------------------------------------------------- coverage

/// An entity of kind producer in the region, with whether it was ever sampled in the
/// drug domain and whether in the period.
#[derive(QueryableByName)]
pub struct ProducerRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub region_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub license_no: Option<String>,
    #[diesel(sql_type = Bool)]
    pub drug_ever: bool,
    #[diesel(sql_type = Bool)]
    pub sampled: bool,
}

const COVERAGE_SQL: &str = "SELECT e.id AS id, e.name AS name, e.region_code AS region_code, \
 e.license_no AS license_no, \
 EXISTS (SELECT 1 FROM samples s WHERE s.entity_id = e.id AND s.domain = 'drug') AS drug_ever, \
 EXISTS (SELECT 1 FROM samples s WHERE s.entity_id = e.id AND s.domain = 'drug' \
 AND s.status <> 'rejected' AND s.sampled_at >= ? AND s.sampled_at < ?) AS sampled \
 FROM entities e WHERE e.kind = 'producer' AND e.region_code LIKE ? ORDER BY e.region_code, e.name";

/// The producers in the region of `s` (the rest of the slice does not apply), by region
/// and name.
pub fn producers(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<ProducerRow>> {
    Ok(diesel::sql_query(placeholders(conn, COVERAGE_SQL))
        .bind::<Timestamp, _>(s.start())
        .bind::<Timestamp, _>(s.end())
        .bind::<Text, _>(s.like())
        .load(conn)?)
}
