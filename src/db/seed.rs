//! The rows of the shipped reference data (`src/seed/`): what is stored already, the
//! inserts of what is missing and the updates that bring older shipped values up to
//! date, and the audit rows of admins' edits to reference data. Which value wins is
//! `seed`'s decision; this module only reads and writes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{
    audit_log, calendar_years, categories, holidays, region_populations, regions, rule_profiles,
    test_items,
};
use crate::db::DbConnection;
use crate::error::AppResult;

/// An empty cell of a shipped CSV file is stored as NULL.
pub fn empty_to_none(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// A line of `regions.csv`.
#[derive(Debug, Deserialize)]
pub struct RegionRec {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub population: Option<i64>,
    pub population_year: Option<i32>,
    pub population_source: Option<String>,
}

/// A line of `food_categories.csv`.
#[derive(Debug, Deserialize)]
pub struct CategoryRec {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub parent_code: Option<String>,
    pub domain: String,
    pub level: String,
    pub verification: String,
    pub note: Option<String>,
}

/// A line of `test_items.csv`.
#[derive(Debug, Deserialize)]
pub struct TestItemRec {
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
}

/// The codes of the stored regions.
pub fn region_codes(conn: &mut DbConnection) -> AppResult<BTreeSet<String>> {
    Ok(regions::table
        .select(regions::code)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Inserts a shipped region at version 1 (as shipped).
pub fn insert_region(conn: &mut DbConnection, r: &RegionRec) -> AppResult<()> {
    diesel::insert_into(regions::table)
        .values((
            regions::code.eq(&r.code),
            regions::name_zh.eq(&r.name_zh),
            regions::name_en.eq(&r.name_en),
            regions::level.eq(&r.level),
            regions::parent_code.eq(empty_to_none(r.parent_code.clone())),
            regions::population.eq(r.population),
            regions::population_year.eq(r.population_year),
            regions::population_source.eq(empty_to_none(r.population_source.clone())),
            regions::version.eq(1),
        ))
        .execute(conn)?;
    Ok(())
}

/// The (region, year) of the stored population figures.
pub fn population_keys(conn: &mut DbConnection) -> AppResult<BTreeSet<(String, i32)>> {
    Ok(region_populations::table
        .select((region_populations::region_code, region_populations::year))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect())
}

/// Stores a population figure, and shows it on the region when it is newer than the
/// one shown and the region row is as shipped (version 1): an admin's figure stays.
pub fn insert_population(
    conn: &mut DbConnection,
    code: &str,
    year: i32,
    population: i64,
    source: &str,
) -> AppResult<()> {
    diesel::insert_into(region_populations::table)
        .values((
            region_populations::region_code.eq(code),
            region_populations::year.eq(year),
            region_populations::population.eq(population),
            region_populations::source.eq(source),
        ))
        .execute(conn)?;
    diesel::update(
        regions::table
            .find(code)
            .filter(regions::version.eq(1))
            .filter(
                regions::population_year
                    .is_null()
                    .or(regions::population_year.lt(year)),
            ),
    )
    .set((
        regions::population.eq(Some(population)),
        regions::population_year.eq(Some(year)),
        regions::population_source.eq(Some(source)),
    ))
    .execute(conn)?;
    Ok(())
}

/// The stored calendar days.
pub fn holiday_days(conn: &mut DbConnection) -> AppResult<BTreeSet<NaiveDate>> {
    Ok(holidays::table
        .select(holidays::day)
        .load(conn)?
        .into_iter()
        .collect())
}

/// The loaded calendar years.
pub fn calendar_years(conn: &mut DbConnection) -> AppResult<BTreeSet<i32>> {
    Ok(calendar_years::table
        .select(calendar_years::year)
        .load(conn)?
        .into_iter()
        .collect())
}

/// Stores one calendar day (a holiday or a working weekend day).
pub fn insert_holiday(
    conn: &mut DbConnection,
    day: NaiveDate,
    kind: &str,
    name: &str,
) -> AppResult<()> {
    diesel::insert_into(holidays::table)
        .values((
            holidays::day.eq(day),
            holidays::kind.eq(kind),
            holidays::name.eq(name),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a calendar year as loaded from `source` at `now`.
pub fn insert_calendar_year(
    conn: &mut DbConnection,
    year: i32,
    source: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(calendar_years::table)
        .values((
            calendar_years::year.eq(year),
            calendar_years::source.eq(source),
            calendar_years::loaded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The stored days (day, kind, name) from `from` to `to`, both included.
pub fn holidays_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<BTreeSet<(NaiveDate, String, String)>> {
    Ok(holidays::table
        .filter(holidays::day.ge(from))
        .filter(holidays::day.le(to))
        .select((holidays::day, holidays::kind, holidays::name))
        .load(conn)?
        .into_iter()
        .collect())
}

/// The source a loaded calendar year came from.
pub fn calendar_source(conn: &mut DbConnection, year: i32) -> AppResult<String> {
    Ok(calendar_years::table
        .find(year)
        .select(calendar_years::source)
        .first(conn)?)
}

/// Replaces the days from `from` to `to` (both included) by `days`, and the year's
/// source by `source`.
pub fn replace_calendar_year(
    conn: &mut DbConnection,
    year: i32,
    source: &str,
    (from, to): (NaiveDate, NaiveDate),
    days: &BTreeSet<(NaiveDate, String, String)>,
) -> AppResult<()> {
    super::reference::replace_days(
        conn,
        (from, to),
        days.iter()
            .map(|(day, kind, name)| (*day, kind.as_str(), name.as_str())),
    )?;
    diesel::update(calendar_years::table.find(year))
        .set(calendar_years::source.eq(source))
        .execute(conn)?;
    Ok(())
}

/// A category as stored: code, names (zh, en), parent, domain, level, verification, note.
pub type CategoryRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
);

/// The stored categories by code.
pub fn categories(conn: &mut DbConnection) -> AppResult<BTreeMap<String, CategoryRow>> {
    Ok(categories::table
        .select((
            categories::code,
            categories::name_zh,
            categories::name_en,
            categories::parent_code,
            categories::domain,
            categories::level,
            categories::verification,
            categories::note,
        ))
        .load::<CategoryRow>(conn)?
        .into_iter()
        .map(|r| (r.0.clone(), r))
        .collect())
}

/// Inserts a shipped category.
pub fn insert_category(conn: &mut DbConnection, c: &CategoryRec) -> AppResult<()> {
    diesel::insert_into(categories::table)
        .values((
            categories::code.eq(&c.code),
            categories::name_zh.eq(&c.name_zh),
            categories::name_en.eq(&c.name_en),
            categories::parent_code.eq(empty_to_none(c.parent_code.clone())),
            categories::domain.eq(&c.domain),
            categories::level.eq(&c.level),
            categories::verification.eq(&c.verification),
            categories::note.eq(empty_to_none(c.note.clone())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes every field of the category `c.0` as in `c`.
pub fn update_category(conn: &mut DbConnection, c: &CategoryRow) -> AppResult<()> {
    diesel::update(categories::table.find(&c.0))
        .set((
            categories::name_zh.eq(&c.1),
            categories::name_en.eq(&c.2),
            categories::parent_code.eq(&c.3),
            categories::domain.eq(&c.4),
            categories::level.eq(&c.5),
            categories::verification.eq(&c.6),
            categories::note.eq(&c.7),
        ))
        .execute(conn)?;
    Ok(())
}

/// The (category, name) of the stored test items.
pub fn test_item_keys(conn: &mut DbConnection) -> AppResult<BTreeSet<(String, String)>> {
    Ok(test_items::table
        .select((test_items::category_code, test_items::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Inserts a shipped test item, active, at version 1.
pub fn insert_test_item(
    conn: &mut DbConnection,
    t: &TestItemRec,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(test_items::table)
        .values((
            test_items::category_code.eq(&t.category_code),
            test_items::name.eq(&t.name),
            test_items::method_standard.eq(&t.method_standard),
            test_items::judgment_standard.eq(&t.judgment_standard),
            test_items::limit_kind.eq(&t.limit_kind),
            test_items::limit_min.eq(empty_to_none(t.limit_min.clone())),
            test_items::limit_max.eq(empty_to_none(t.limit_max.clone())),
            test_items::unit.eq(&t.unit),
            test_items::lod.eq(empty_to_none(t.lod.clone())),
            test_items::micro_n.eq(t.micro_n),
            test_items::micro_c.eq(t.micro_c),
            test_items::verification.eq(&t.verification),
            test_items::note.eq(empty_to_none(t.note.clone())),
            test_items::active.eq(true),
            test_items::version.eq(1),
            test_items::created_at.eq(now),
            test_items::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The fields of a test item the shipped file sets, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
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
}

/// A stored test item: id, its shipped fields, version.
pub struct StoredItem {
    pub id: i64,
    pub fields: ItemFields,
    pub version: i32,
}

type ItemRow = (
    i64,
    String,
    String,
    (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    ),
    (
        Option<String>,
        Option<i32>,
        Option<i32>,
        String,
        Option<String>,
        i32,
    ),
);

/// The stored test items by (category, name).
pub fn test_items(conn: &mut DbConnection) -> AppResult<BTreeMap<(String, String), StoredItem>> {
    let rows: Vec<ItemRow> = test_items::table
        .select((
            test_items::id,
            test_items::category_code,
            test_items::name,
            (
                test_items::method_standard,
                test_items::judgment_standard,
                test_items::limit_kind,
                test_items::limit_min,
                test_items::limit_max,
                test_items::unit,
            ),
            (
                test_items::lod,
                test_items::micro_n,
                test_items::micro_c,
                test_items::verification,
                test_items::note,
                test_items::version,
            ),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, category, name, a, b)| {
            let item = StoredItem {
                id,
                fields: ItemFields {
                    method_standard: a.0,
                    judgment_standard: a.1,
                    limit_kind: a.2,
                    limit_min: a.3,
                    limit_max: a.4,
                    unit: a.5,
                    lod: b.0,
                    micro_n: b.1,
                    micro_c: b.2,
                    verification: b.3,
                    note: b.4,
                },
                version: b.5,
            };
            ((category, name), item)
        })
        .collect())
}

/// Writes the shipped fields of the test item `id` still at `version`, and moves its
/// version on.
pub fn update_test_item(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    id: i64,
    version: i32,
    f: &ItemFields,
) -> AppResult<()> {
    diesel::update(
        test_items::table
            .find(id)
            .filter(test_items::version.eq(version)),
    )
    .set((
        test_items::method_standard.eq(&f.method_standard),
        test_items::judgment_standard.eq(&f.judgment_standard),
        test_items::limit_kind.eq(&f.limit_kind),
        test_items::limit_min.eq(&f.limit_min),
        test_items::limit_max.eq(&f.limit_max),
        test_items::unit.eq(&f.unit),
        test_items::lod.eq(&f.lod),
        test_items::micro_n.eq(f.micro_n),
        test_items::micro_c.eq(f.micro_c),
        test_items::verification.eq(&f.verification),
        test_items::note.eq(&f.note),
        test_items::version.eq(version + 1),
        test_items::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// The (domain, plan kind) of the stored rule profiles.
pub fn profile_keys(conn: &mut DbConnection) -> AppResult<BTreeSet<(String, String)>> {
    Ok(rule_profiles::table
        .select((rule_profiles::domain, rule_profiles::plan_kind))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Inserts a rule profile (its rules as JSON) at version 1.
pub fn insert_profile(
    conn: &mut DbConnection,
    domain: &str,
    kind: &str,
    rules_json: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(rule_profiles::table)
        .values((
            rule_profiles::domain.eq(domain),
            rule_profiles::plan_kind.eq(kind),
            rule_profiles::rules.eq(rules_json),
            rule_profiles::version.eq(1),
            rule_profiles::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored profile's rules (JSON) and version.
pub fn profile_rules(
    conn: &mut DbConnection,
    domain: &str,
    kind: &str,
) -> AppResult<(String, i32)> {
    Ok(rule_profiles::table
        .filter(rule_profiles::domain.eq(domain))
        .filter(rule_profiles::plan_kind.eq(kind))
        .select((rule_profiles::rules, rule_profiles::version))
        .first(conn)?)
}

/// Writes a profile's rules over the one still at `version`, and moves its version on.
pub fn update_profile_rules(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    (domain, kind): (&str, &str),
    version: i32,
    rules_json: &str,
) -> AppResult<()> {
    diesel::update(
        rule_profiles::table
            .filter(rule_profiles::domain.eq(domain))
            .filter(rule_profiles::plan_kind.eq(kind))
            .filter(rule_profiles::version.eq(version)),
    )
    .set((
        rule_profiles::rules.eq(rules_json),
        rule_profiles::version.eq(version + 1),
        rule_profiles::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// An audit row of an admin's edit to reference data: entity kind, entity id, action,
/// before and after (JSON).
pub type EditRow = (String, String, String, Option<String>, Option<String>);

/// The audit rows of `actions` on entities of `kinds`, oldest first (through the
/// entity index; such edits are few).
pub fn audited_edits(
    conn: &mut DbConnection,
    kinds: &[&str],
    actions: &[&str],
) -> AppResult<Vec<EditRow>> {
    Ok(audit_log::table
        .filter(audit_log::entity_kind.eq_any(kinds))
        .filter(audit_log::action.eq_any(actions))
        .order(audit_log::id.asc())
        .select((
            audit_log::entity_kind,
            audit_log::entity_id,
            audit_log::action,
            audit_log::before_json,
            audit_log::after_json,
        ))
        .load(conn)?)
}
