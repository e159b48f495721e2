//! Reference data shipped with lims (see SOURCES.md beside this file) and its loader.
//! Invariant: loading is idempotent. It inserts only what is missing and never
//! overwrites what an admin has edited, so a second start changes nothing.

pub mod demo_scale;

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Deserialize;

use crate::db::schema::{
    calendar_years, categories, holidays, region_populations, regions, rule_profiles, test_items,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::parse_holiday_csv;
use crate::domain::role::Role;
use crate::domain::rules::parse_profile_file;
use crate::error::{AppError, AppResult};
use crate::workflow::accounts::{self, NewUser};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

pub const REGIONS_CSV: &str = include_str!("regions.csv");
pub const POPULATION_RECENT_CSV: &str = include_str!("population_recent.csv");
pub const HOLIDAYS_CSV: &str = include_str!("holidays.csv");
pub const CALENDAR_YEARS_CSV: &str = include_str!("calendar_years.csv");
pub const CATEGORIES_CSV: &str = include_str!("food_categories.csv");
pub const TEST_ITEMS_CSV: &str = include_str!("test_items.csv");
pub const RULE_FILES: [(&str, &str); 2] = [
    ("rules/food.toml", include_str!("rules/food.toml")),
    ("rules/drug.toml", include_str!("rules/drug.toml")),
];

#[derive(Debug, Deserialize)]
struct RegionRec {
    code: String,
    name_zh: String,
    name_en: String,
    level: String,
    parent_code: Option<String>,
    population: Option<i64>,
    population_year: Option<i32>,
    population_source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PopulationRec {
    code: String,
    population: i64,
    year: i32,
    source: String,
}

#[derive(Debug, Deserialize)]
struct YearRec {
    year: i32,
    source: String,
}

#[derive(Debug, Deserialize)]
struct CategoryRec {
    code: String,
    name_zh: String,
    name_en: String,
    parent_code: Option<String>,
    domain: String,
    level: String,
    verification: String,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TestItemRec {
    category_code: String,
    name: String,
    method_standard: String,
    judgment_standard: String,
    limit_kind: String,
    limit_min: Option<String>,
    limit_max: Option<String>,
    unit: String,
    lod: Option<String>,
    micro_n: Option<i32>,
    micro_c: Option<i32>,
    verification: String,
    note: Option<String>,
}

/// Parses one shipped CSV file; the error names the file and the line.
fn read_csv<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> AppResult<Vec<T>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.deserialize::<T>().enumerate() {
        out.push(rec.map_err(|e| AppError::internal(format!("seed {name} line {}: {e}", i + 2)))?);
    }
    Ok(out)
}

fn empty_to_none(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// What a load inserted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub regions: usize,
    pub populations: usize,
    pub holidays: usize,
    pub calendar_years: usize,
    pub categories: usize,
    pub test_items: usize,
    pub rule_profiles: usize,
    /// Reports whose turnaround was stored or recounted (calendar years added, or
    /// reports issued before the turnaround was stored).
    pub turnarounds: usize,
}

impl SeedReport {
    pub fn total(&self) -> usize {
        self.regions
            + self.populations
            + self.holidays
            + self.calendar_years
            + self.categories
            + self.test_items
            + self.rule_profiles
            + self.turnarounds
    }
}

/// Loads the shipped reference data, inserting only what is missing, in one
/// transaction with one audit row (none when nothing was missing).
pub fn load_reference(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<SeedReport> {
    let region_recs: Vec<RegionRec> = read_csv("regions.csv", REGIONS_CSV)?;
    let pop_recs: Vec<PopulationRec> = read_csv("population_recent.csv", POPULATION_RECENT_CSV)?;
    let year_recs: Vec<YearRec> = read_csv("calendar_years.csv", CALENDAR_YEARS_CSV)?;
    let holiday_rows = parse_holiday_csv(HOLIDAYS_CSV)
        .map_err(|e| AppError::internal(format!("seed holidays.csv: {e}")))?;
    let cat_recs: Vec<CategoryRec> = read_csv("food_categories.csv", CATEGORIES_CSV)?;
    let item_recs: Vec<TestItemRec> = read_csv("test_items.csv", TEST_ITEMS_CSV)?;
    let mut profiles = Vec::new();
    for (name, text) in RULE_FILES {
        profiles.extend(parse_profile_file(name, text).map_err(AppError::internal)?);
    }
    write_tx(conn, |conn| {
        let mut rep = SeedReport::default();
        let have: BTreeSet<String> = regions::table
            .select(regions::code)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        // Parents come before children in the file; insert in file order.
        for r in region_recs.iter().filter(|r| !have.contains(&r.code)) {
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
            rep.regions += 1;
        }
        let have_pop: BTreeSet<(String, i32)> = region_populations::table
            .select((region_populations::region_code, region_populations::year))
            .load::<(String, i32)>(conn)?
            .into_iter()
            .collect();
        let census = region_recs.iter().filter_map(|r| {
            Some((
                r.code.clone(),
                r.population?,
                r.population_year?,
                r.population_source.clone().unwrap_or_default(),
            ))
        });
        let recent = pop_recs
            .iter()
            .map(|p| (p.code.clone(), p.population, p.year, p.source.clone()));
        for (code, population, year, source) in census.chain(recent) {
            if have_pop.contains(&(code.clone(), year)) {
                continue;
            }
            diesel::insert_into(region_populations::table)
                .values((
                    region_populations::region_code.eq(&code),
                    region_populations::year.eq(year),
                    region_populations::population.eq(population),
                    region_populations::source.eq(&source),
                ))
                .execute(conn)?;
            rep.populations += 1;
            // A newer figure than the one shown becomes the one shown, but only when
            // the region row is as shipped (version 1): an admin's figure stays.
            diesel::update(
                regions::table
                    .find(&code)
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
                regions::population_source.eq(Some(&source)),
            ))
            .execute(conn)?;
        }
        let have_days: BTreeSet<chrono::NaiveDate> = holidays::table
            .select(holidays::day)
            .load(conn)?
            .into_iter()
            .collect();
        let have_years: BTreeSet<i32> = calendar_years::table
            .select(calendar_years::year)
            .load(conn)?
            .into_iter()
            .collect();
        // Only years not yet loaded: an admin's reload of a year is kept.
        for (day, kind, name) in &holiday_rows {
            use chrono::Datelike;
            if have_days.contains(day) || have_years.contains(&day.year()) {
                continue;
            }
            diesel::insert_into(holidays::table)
                .values((
                    holidays::day.eq(day),
                    holidays::kind.eq(kind.as_str()),
                    holidays::name.eq(name),
                ))
                .execute(conn)?;
            rep.holidays += 1;
        }
        for y in year_recs.iter().filter(|y| !have_years.contains(&y.year)) {
            diesel::insert_into(calendar_years::table)
                .values((
                    calendar_years::year.eq(y.year),
                    calendar_years::source.eq(&y.source),
                    calendar_years::loaded_at.eq(now),
                ))
                .execute(conn)?;
            rep.calendar_years += 1;
            rep.turnarounds += crate::workflow::stats::recount_turnaround(conn, y.year)?;
        }
        let have_cats: BTreeSet<String> = categories::table
            .select(categories::code)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        for c in cat_recs.iter().filter(|c| !have_cats.contains(&c.code)) {
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
            rep.categories += 1;
        }
        let have_items: BTreeSet<(String, String)> = test_items::table
            .select((test_items::category_code, test_items::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        for t in &item_recs {
            if have_items.contains(&(t.category_code.clone(), t.name.clone())) {
                continue;
            }
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
            rep.test_items += 1;
        }
        let have_profiles: BTreeSet<(String, String)> = rule_profiles::table
            .select((rule_profiles::domain, rule_profiles::plan_kind))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        for p in &profiles {
            let key = (
                p.domain.as_str().to_string(),
                p.plan_kind.as_str().to_string(),
            );
            if have_profiles.contains(&key) {
                continue;
            }
            diesel::insert_into(rule_profiles::table)
                .values((
                    rule_profiles::domain.eq(&key.0),
                    rule_profiles::plan_kind.eq(&key.1),
                    rule_profiles::rules
                        .eq(serde_json::to_string(&p.rules).map_err(AppError::internal)?),
                    rule_profiles::version.eq(1),
                    rule_profiles::updated_at.eq(now),
                ))
                .execute(conn)?;
            rep.rule_profiles += 1;
        }
        rep.turnarounds += crate::workflow::stats::fill_missing_turnaround(conn)?;
        if rep.total() > 0 {
            audit::append(
                conn,
                now,
                &Actor::system(),
                Change {
                    action: "seed.reference_loaded",
                    entity_kind: "reference_data",
                    entity_id: "shipped".to_string(),
                    after: Some(serde_json::json!({
                        "regions": rep.regions, "populations": rep.populations,
                        "holidays": rep.holidays, "calendar_years": rep.calendar_years,
                        "categories": rep.categories, "test_items": rep.test_items,
                        "rule_profiles": rep.rule_profiles, "turnarounds": rep.turnarounds,
                    })),
                    ..Change::default()
                },
            )?;
        }
        Ok(rep)
    })
}

/// The demo accounts: one per role, two samplers (a sample needs two), and a sampler
/// scoped to Xining.
pub const DEMO_USERS: [(&str, &str, &str, Option<&str>); 9] = [
    ("admin", "系统管理员 Admin", "admin", None),
    ("sampler", "抽样员 王芳", "sampler", None),
    ("sampler2", "抽样员 李强", "sampler", None),
    (
        "sampler_xn",
        "抽样员 马琳（西宁）",
        "sampler",
        Some("630100"),
    ),
    ("custodian", "样品管理员 张敏", "custodian", None),
    ("technician", "检验员 赵磊", "technician", None),
    ("reviewer", "审核员 陈静", "reviewer", None),
    ("signatory", "授权签字人 刘洋", "signatory", None),
    ("supervisor", "监管人员 孙涛", "supervisor", None),
];

/// Creates the demo users that are missing, with one random password shared by all
/// of them (returned so the caller can print it once). Returns `None` when every
/// demo user exists already.
pub fn load_demo_users(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> AppResult<Option<(String, Vec<String>)>> {
    use crate::db::schema::users;
    let existing: BTreeSet<String> = users::table
        .select(users::username)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let missing: Vec<_> = DEMO_USERS
        .iter()
        .filter(|u| !existing.contains(u.0))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let mut raw = [0u8; 9];
    rand::rng().fill_bytes(&mut raw);
    let password = format!("demo-{}", hex::encode(raw));
    let mut created = Vec::new();
    for (username, display, role, region) in missing {
        debug_assert!(role.parse::<Role>().is_ok());
        accounts::create_user_unchecked(
            conn,
            now,
            &Actor::system(),
            NewUser {
                username: username.to_string(),
                display_name: display.to_string(),
                password: password.clone(),
                roles: vec![role.to_string()],
                region_code: region.map(str::to_string),
            },
        )?;
        created.push(username.to_string());
    }
    Ok(Some((password, created)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_parses() {
        assert!(
            read_csv::<RegionRec>("regions.csv", REGIONS_CSV)
                .unwrap()
                .len()
                >= 54
        );
        assert!(!read_csv::<PopulationRec>("p", POPULATION_RECENT_CSV)
            .unwrap()
            .is_empty());
        assert!(read_csv::<YearRec>("y", CALENDAR_YEARS_CSV).unwrap().len() >= 3);
        assert!(read_csv::<CategoryRec>("c", CATEGORIES_CSV).unwrap().len() >= 34);
        assert!(read_csv::<TestItemRec>("t", TEST_ITEMS_CSV).unwrap().len() >= 80);
        assert!(parse_holiday_csv(HOLIDAYS_CSV).unwrap().len() >= 100);
        for (name, text) in RULE_FILES {
            assert!(
                !parse_profile_file(name, text).unwrap().is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_missing_population_stays_missing_never_zero() {
        let regions: Vec<RegionRec> = read_csv("regions.csv", REGIONS_CSV).unwrap();
        assert!(regions.iter().all(|r| r.population != Some(0)));
        assert!(regions.iter().any(|r| r.population.is_none()));
        assert!(regions
            .iter()
            .all(|r| r.population.is_some() == r.population_year.is_some()));
    }
}
