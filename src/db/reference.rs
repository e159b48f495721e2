//! Reference data: regions and their population, the holiday calendar, categories,
//! test items and rule profiles. Read by every stage through the loaders here
//! ([`get_profile`], [`work_calendar`], [`TestItemRow`]).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::{
    calendar_years, categories, holidays, region_populations, regions, rule_profiles, test_items,
};
use super::DbConnection;
use crate::domain::calendar::{DayKind, WorkCalendar};
use crate::domain::rules::{Domain, PlanKind, Rule, RuleProfile};
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------- regions

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = regions)]
pub struct Region {
    pub code: String,
    #[serde(rename = "name")]
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    pub parent_code: Option<String>,
    /// Resident population; `null` when unknown (never 0).
    pub population: Option<i64>,
    pub population_year: Option<i32>,
    pub population_source: Option<String>,
    pub version: i32,
}

pub fn list_regions(conn: &mut DbConnection) -> AppResult<Vec<Region>> {
    Ok(regions::table
        .order(regions::code.asc())
        .select(Region::as_select())
        .load(conn)?)
}

pub fn find_region(conn: &mut DbConnection, code: &str) -> AppResult<Option<Region>> {
    Ok(regions::table
        .find(code)
        .select(Region::as_select())
        .first(conn)
        .optional()?)
}

/// Whether region `code` is known (the one check every stage asks).
pub fn region_exists(conn: &mut DbConnection, code: &str) -> AppResult<bool> {
    let n: i64 = regions::table
        .filter(regions::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The Chinese name of region `code`, if there is one.
pub fn find_region_name(conn: &mut DbConnection, code: &str) -> AppResult<Option<String>> {
    Ok(regions::table
        .find(code)
        .select(regions::name_zh)
        .first(conn)
        .optional()?)
}

/// The Chinese name of region `code` (a missing one is a 404).
pub fn region_name(conn: &mut DbConnection, code: &str) -> AppResult<String> {
    Ok(regions::table
        .find(code)
        .select(regions::name_zh)
        .first(conn)?)
}

/// Stores the population of a region for a year (replacing that year's figure).
pub fn put_population(
    conn: &mut DbConnection,
    code: &str,
    year: i32,
    population: i64,
    source: &str,
) -> AppResult<()> {
    diesel::delete(
        region_populations::table
            .filter(region_populations::region_code.eq(code))
            .filter(region_populations::year.eq(year)),
    )
    .execute(conn)?;
    diesel::insert_into(region_populations::table)
        .values((
            region_populations::region_code.eq(code),
            region_populations::year.eq(year),
            region_populations::population.eq(population),
            region_populations::source.eq(source),
        ))
        .execute(conn)?;
    Ok(())
}

/// Makes a figure the one a region shows, at the region's next version.
pub fn show_population(
    conn: &mut DbConnection,
    code: &str,
    year: i32,
    population: i64,
    source: &str,
    version: i32,
) -> AppResult<()> {
    diesel::update(regions::table.find(code))
        .set((
            regions::population.eq(Some(population)),
            regions::population_year.eq(Some(year)),
            regions::population_source.eq(Some(source)),
            regions::version.eq(version),
        ))
        .execute(conn)?;
    Ok(())
}

/// `(code, name)` of the regions without a population, by code.
pub fn regions_without_population(conn: &mut DbConnection) -> AppResult<Vec<(String, String)>> {
    Ok(regions::table
        .filter(regions::population.is_null())
        .order(regions::code.asc())
        .select((regions::code, regions::name_zh))
        .load(conn)?)
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = calendar_years)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    pub loaded_at: NaiveDateTime,
}

/// `(day, kind, name)` of the special days, by day, within `range` (inclusive) if given.
pub fn holidays(
    conn: &mut DbConnection,
    range: Option<(NaiveDate, NaiveDate)>,
) -> AppResult<Vec<(NaiveDate, String, String)>> {
    let mut q = holidays::table.into_boxed();
    if let Some((from, to)) = range {
        q = q
            .filter(holidays::day.ge(from))
            .filter(holidays::day.le(to));
    }
    Ok(q.order(holidays::day.asc())
        .select((holidays::day, holidays::kind, holidays::name))
        .load(conn)?)
}

pub fn list_calendar_years(conn: &mut DbConnection) -> AppResult<Vec<CalendarYear>> {
    Ok(calendar_years::table
        .order(calendar_years::year.asc())
        .select(CalendarYear::as_select())
        .load(conn)?)
}

/// The years whose official calendar is loaded, ascending.
pub fn loaded_years(conn: &mut DbConnection) -> AppResult<Vec<i32>> {
    Ok(calendar_years::table
        .select(calendar_years::year)
        .order(calendar_years::year.asc())
        .load(conn)?)
}

/// The working-day calendar as loaded in the database.
pub fn work_calendar(conn: &mut DbConnection) -> AppResult<WorkCalendar> {
    let rows: Vec<(NaiveDate, String)> = holidays::table
        .select((holidays::day, holidays::kind))
        .load(conn)?;
    let years: Vec<i32> = calendar_years::table
        .select(calendar_years::year)
        .load(conn)?;
    let entries = rows
        .into_iter()
        .filter_map(|(d, k)| k.parse::<DayKind>().ok().map(|k| (d, k)));
    Ok(WorkCalendar::new(entries, years))
}

/// Replaces the special days from `from` to `to` with `days` and marks `year` loaded
/// from `source` at `now`.
pub fn replace_calendar_year(
    conn: &mut DbConnection,
    year: i32,
    (from, to): (NaiveDate, NaiveDate),
    days: &[(NaiveDate, DayKind, String)],
    source: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    replace_days(
        conn,
        (from, to),
        days.iter()
            .map(|(day, kind, name)| (*day, kind.as_str(), name.as_str())),
    )?;
    diesel::delete(calendar_years::table.find(year)).execute(conn)?;
    super::seed::insert_calendar_year(conn, year, source, now)
}

/// Replaces the special days from `from` to `to` (both included) with `days` (day,
/// kind, name): a year's calendar is loaded whole, never merged with what was there.
pub fn replace_days<'a>(
    conn: &mut DbConnection,
    (from, to): (NaiveDate, NaiveDate),
    days: impl IntoIterator<Item = (NaiveDate, &'a str, &'a str)>,
) -> AppResult<()> {
    diesel::delete(
        holidays::table
            .filter(holidays::day.ge(from))
            .filter(holidays::day.le(to)),
    )
    .execute(conn)?;
    for (day, kind, name) in days {
        super::seed::insert_holiday(conn, day, kind, name)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- catalogue

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = categories)]
pub struct Category {
    pub code: String,
    #[serde(rename = "name")]
    pub name_zh: String,
    pub name_en: String,
    pub parent_code: Option<String>,
    pub domain: String,
    pub level: String,
    pub verification: String,
    pub note: Option<String>,
}

pub fn list_categories(conn: &mut DbConnection, domain: Option<&str>) -> AppResult<Vec<Category>> {
    let mut q = categories::table.into_boxed();
    if let Some(d) = domain {
        q = q.filter(categories::domain.eq(d.to_string()));
    }
    Ok(q.order(categories::code.asc())
        .select(Category::as_select())
        .load(conn)?)
}

/// The domain of category `code`, if there is one.
pub fn category_domain(conn: &mut DbConnection, code: &str) -> AppResult<Option<String>> {
    Ok(categories::table
        .find(code)
        .select(categories::domain)
        .first(conn)
        .optional()?)
}

/// The Chinese name of category `code`.
pub fn category_name(conn: &mut DbConnection, code: &str) -> AppResult<String> {
    Ok(categories::table
        .find(code)
        .select(categories::name_zh)
        .first(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = test_items)]
pub struct TestItemRow {
    pub id: i64,
    pub category_code: String,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<String>,
    pub limit_max: Option<String>,
    pub unit: String,
    pub lod: Option<String>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub verification: String,
    pub note: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The test items of `category` (all if none), by category and id.
pub fn test_items(conn: &mut DbConnection, category: Option<&str>) -> AppResult<Vec<TestItemRow>> {
    let mut q = test_items::table.into_boxed();
    if let Some(c) = category {
        q = q.filter(test_items::category_code.eq(c.to_string()));
    }
    Ok(
        q.order((test_items::category_code.asc(), test_items::id.asc()))
            .select(TestItemRow::as_select())
            .load(conn)?,
    )
}

pub fn find_test_item(conn: &mut DbConnection, id: i64) -> AppResult<Option<TestItemRow>> {
    Ok(test_items::table
        .find(id)
        .select(TestItemRow::as_select())
        .first(conn)
        .optional()?)
}

/// The test item of `category` named `name`.
pub fn test_item_named(
    conn: &mut DbConnection,
    category: &str,
    name: &str,
) -> AppResult<Option<TestItemRow>> {
    Ok(test_items::table
        .filter(test_items::category_code.eq(category))
        .filter(test_items::name.eq(name))
        .select(TestItemRow::as_select())
        .first(conn)
        .optional()?)
}

/// The stored fields of a test item, checked by the caller.
pub struct TestItemValues<'a> {
    pub category_code: &'a str,
    pub name: &'a str,
    pub method_standard: &'a str,
    pub judgment_standard: &'a str,
    pub limit_kind: &'a str,
    pub limit_min: Option<&'a str>,
    pub limit_max: Option<&'a str>,
    pub unit: &'a str,
    pub lod: Option<&'a str>,
    pub verification: &'a str,
    pub note: Option<&'a str>,
}

/// Inserts an active test item at version 1.
pub fn insert_test_item(
    conn: &mut DbConnection,
    v: &TestItemValues,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(test_items::table)
        .values((
            test_items::category_code.eq(v.category_code),
            test_items::name.eq(v.name),
            test_items::method_standard.eq(v.method_standard),
            test_items::judgment_standard.eq(v.judgment_standard),
            test_items::limit_kind.eq(v.limit_kind),
            test_items::limit_min.eq(v.limit_min),
            test_items::limit_max.eq(v.limit_max),
            test_items::unit.eq(v.unit),
            test_items::lod.eq(v.lod),
            test_items::verification.eq(v.verification),
            test_items::note.eq(v.note),
            test_items::active.eq(true),
            test_items::version.eq(1),
            test_items::created_at.eq(now),
            test_items::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores `v` (its category aside) over test item `id` if it is still at `version`;
/// the rows changed.
pub fn update_test_item(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    v: &TestItemValues,
    active: bool,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        test_items::table
            .find(id)
            .filter(test_items::version.eq(version)),
    )
    .set((
        test_items::name.eq(v.name),
        test_items::method_standard.eq(v.method_standard),
        test_items::judgment_standard.eq(v.judgment_standard),
        test_items::limit_kind.eq(v.limit_kind),
        test_items::limit_min.eq(v.limit_min),
        test_items::limit_max.eq(v.limit_max),
        test_items::unit.eq(v.unit),
        test_items::lod.eq(v.lod),
        test_items::verification.eq(v.verification),
        test_items::note.eq(v.note),
        test_items::active.eq(active),
        test_items::version.eq(version + 1),
        test_items::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// `(all, not verified)` counts of test items.
pub fn test_item_counts(conn: &mut DbConnection) -> AppResult<(i64, i64)> {
    let total: i64 = test_items::table.count().get_result(conn)?;
    let unverified: i64 = test_items::table
        .filter(test_items::verification.ne("verified"))
        .count()
        .get_result(conn)?;
    Ok((total, unverified))
}

// ---------------------------------------------------------------- rule profiles

/// A stored rule profile as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredProfile {
    #[schema(value_type = String)]
    pub domain: Domain,
    #[schema(value_type = String)]
    pub plan_kind: PlanKind,
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Rule>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

impl StoredProfile {
    pub fn profile(&self) -> RuleProfile {
        RuleProfile {
            domain: self.domain,
            plan_kind: self.plan_kind,
            rules: self.rules.clone(),
        }
    }
}

type ProfileRow = (String, String, String, i32, NaiveDateTime);

fn to_stored(row: ProfileRow) -> AppResult<StoredProfile> {
    let (domain, plan_kind, rules, version, updated_at) = row;
    Ok(StoredProfile {
        domain: domain.parse().map_err(AppError::internal)?,
        plan_kind: plan_kind.parse().map_err(AppError::internal)?,
        rules: serde_json::from_str(&rules)
            .map_err(|e| AppError::internal(format!("stored rules unreadable: {e}")))?,
        version,
        updated_at,
    })
}

fn profile_columns() -> (
    rule_profiles::domain,
    rule_profiles::plan_kind,
    rule_profiles::rules,
    rule_profiles::version,
    rule_profiles::updated_at,
) {
    (
        rule_profiles::domain,
        rule_profiles::plan_kind,
        rule_profiles::rules,
        rule_profiles::version,
        rule_profiles::updated_at,
    )
}

pub fn list_profiles(conn: &mut DbConnection) -> AppResult<Vec<StoredProfile>> {
    let rows: Vec<ProfileRow> = rule_profiles::table
        .order((rule_profiles::domain.asc(), rule_profiles::plan_kind.asc()))
        .select(profile_columns())
        .load(conn)?;
    rows.into_iter().map(to_stored).collect()
}

/// The profile stored for exactly this domain and plan kind.
pub fn stored_profile(
    conn: &mut DbConnection,
    domain: Domain,
    plan_kind: PlanKind,
) -> AppResult<Option<StoredProfile>> {
    let row: Option<ProfileRow> = rule_profiles::table
        .filter(rule_profiles::domain.eq(domain.as_str()))
        .filter(rule_profiles::plan_kind.eq(plan_kind.as_str()))
        .select(profile_columns())
        .first(conn)
        .optional()?;
    row.map(to_stored).transpose()
}

/// The profile of a domain and plan kind. Domains without a profile of their own for
/// that kind fall back to their supervision profile.
pub fn get_profile(
    conn: &mut DbConnection,
    domain: Domain,
    plan_kind: PlanKind,
) -> AppResult<Option<StoredProfile>> {
    for kind in [plan_kind, PlanKind::Supervision] {
        if let Some(p) = stored_profile(conn, domain, kind)? {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// Stores `rules_json` as the profile's rules if it is still at `version`; the rows
/// changed.
pub fn update_profile(
    conn: &mut DbConnection,
    domain: Domain,
    plan_kind: PlanKind,
    version: i32,
    rules_json: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        rule_profiles::table
            .filter(rule_profiles::domain.eq(domain.as_str()))
            .filter(rule_profiles::plan_kind.eq(plan_kind.as_str()))
            .filter(rule_profiles::version.eq(version)),
    )
    .set((
        rule_profiles::rules.eq(rules_json),
        rule_profiles::version.eq(version + 1),
        rule_profiles::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Inserts a new profile at version 1.
pub fn insert_profile(
    conn: &mut DbConnection,
    domain: Domain,
    plan_kind: PlanKind,
    rules_json: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    super::seed::insert_profile(conn, domain.as_str(), plan_kind.as_str(), rules_json, now)
}

/// Counts rows per reference table (seed summaries).
pub fn counts(conn: &mut DbConnection) -> AppResult<BTreeMap<&'static str, i64>> {
    let mut m = BTreeMap::new();
    m.insert("regions", regions::table.count().get_result(conn)?);
    m.insert("holidays", holidays::table.count().get_result(conn)?);
    m.insert(
        "calendar_years",
        calendar_years::table.count().get_result(conn)?,
    );
    m.insert("categories", categories::table.count().get_result(conn)?);
    m.insert("test_items", test_items::table.count().get_result(conn)?);
    m.insert(
        "rule_profiles",
        rule_profiles::table.count().get_result(conn)?,
    );
    m.insert(
        "region_populations",
        region_populations::table.count().get_result(conn)?,
    );
    Ok(m)
}
