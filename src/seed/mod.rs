//! Reference data shipped with lims (see SOURCES.md beside this file) and its loader.
//! Invariant: loading is idempotent and never overwrites what an admin has edited, so a
//! second start changes nothing. It inserts what is missing, and it brings a database
//! seeded by an older release up to the shipped set: a rule missing from a stored
//! profile is added, and a stored value that differs from the shipped one is updated
//! unless an admin edited it, in which case it is kept and reported.
//!
//! Whether a value is an admin's edit is read from the audit log, not from a copy of
//! the shipped values: every admin change of reference data goes through a use case
//! that appends an audit row with before and after (`rule_profile.put`,
//! `test_item.create`, `test_item.update`, `calendar.year_loaded`), in the same
//! transaction, and the log is append-only and chained. So a value no audit row ever
//! changed is the value some release shipped, and may follow the current one; this
//! holds for databases seeded before this rule existed too, where a stored copy of the
//! shipped values would be missing. Categories have no edit path: a differing category
//! is always an older shipped one.

pub mod demo_scale;

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use rand::RngCore;
use serde::Deserialize;

use crate::db::seed::{
    self as rows, empty_to_none, CategoryRec, ItemFields, RegionRec, TestItemRec,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::parse_holiday_csv;
use crate::domain::role::Role;
use crate::domain::rules::parse_profile_file;
use crate::error::{AppError, AppResult};
use crate::workflow::accounts::{self, NewUser};
use crate::workflow::audit::{self, Change};
use crate::workflow::{Actor, Ctx};

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
    /// Rules added to profiles already stored.
    pub rules_added: usize,
    /// Shipped values updated in place, one line each.
    pub updated: Vec<String>,
    /// Values that differ from the shipped ones and are kept as edited, one line each.
    pub kept: Vec<String>,
    /// What was added to records already stored (rules of a stored profile), one line
    /// each.
    pub added: Vec<String>,
}

impl SeedReport {
    /// What `lims seed` prints: what it added, updated and kept, a line each.
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        let inserted = self.regions
            + self.populations
            + self.holidays
            + self.calendar_years
            + self.categories
            + self.test_items
            + self.rule_profiles
            + self.turnarounds;
        if inserted > 0 {
            out.push(format!(
                "added: {} regions, {} population figures, {} calendar days ({} years), {} categories, {} test items, {} rule profiles, {} report turnarounds",
                self.regions, self.populations, self.holidays, self.calendar_years,
                self.categories, self.test_items, self.rule_profiles, self.turnarounds
            ));
        }
        out.extend(self.added.iter().map(|l| format!("added: {l}")));
        out.extend(self.updated.iter().map(|l| format!("updated: {l}")));
        out.extend(
            self.kept
                .iter()
                .map(|l| format!("kept (edited by an admin): {l}")),
        );
        out
    }

    pub fn total(&self) -> usize {
        self.regions
            + self.populations
            + self.holidays
            + self.calendar_years
            + self.categories
            + self.test_items
            + self.rule_profiles
            + self.turnarounds
            + self.rules_added
            + self.updated.len()
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
        let have = rows::region_codes(conn)?;
        // Parents come before children in the file; insert in file order.
        for r in region_recs.iter().filter(|r| !have.contains(&r.code)) {
            rows::insert_region(conn, r)?;
            rep.regions += 1;
        }
        let have_pop = rows::population_keys(conn)?;
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
            // A newer figure than the one shown becomes the one shown, but only when
            // the region row is as shipped: an admin's figure stays.
            rows::insert_population(conn, &code, year, population, &source)?;
            rep.populations += 1;
        }
        let have_days = rows::holiday_days(conn)?;
        let have_years = rows::calendar_years(conn)?;
        // Only years not yet loaded: an admin's reload of a year is kept.
        for (day, kind, name) in &holiday_rows {
            use chrono::Datelike;
            if have_days.contains(day) || have_years.contains(&day.year()) {
                continue;
            }
            rows::insert_holiday(conn, *day, kind.as_str(), name)?;
            rep.holidays += 1;
        }
        for y in year_recs.iter().filter(|y| !have_years.contains(&y.year)) {
            rows::insert_calendar_year(conn, y.year, &y.source, now)?;
            rep.calendar_years += 1;
            rep.turnarounds += crate::workflow::stats::recount_turnaround(conn, y.year)?;
        }
        let have_cats: BTreeSet<String> = rows::categories(conn)?.into_keys().collect();
        for c in cat_recs.iter().filter(|c| !have_cats.contains(&c.code)) {
            rows::insert_category(conn, c)?;
            rep.categories += 1;
        }
        let have_items = rows::test_item_keys(conn)?;
        let edits = AdminEdits::load(conn)?;
        for t in &item_recs {
            let key = (t.category_code.clone(), t.name.clone());
            if have_items.contains(&key) {
                continue;
            }
            if edits.renamed_items.contains(&key) {
                rep.kept.push(format!(
                    "test item {} {}: renamed by an admin",
                    t.category_code, t.name
                ));
                continue;
            }
            rows::insert_test_item(conn, t, now)?;
            rep.test_items += 1;
        }
        let have_profiles = rows::profile_keys(conn)?;
        for p in &profiles {
            let key = (
                p.domain.as_str().to_string(),
                p.plan_kind.as_str().to_string(),
            );
            if have_profiles.contains(&key) {
                continue;
            }
            let rules = serde_json::to_string(&p.rules).map_err(AppError::internal)?;
            rows::insert_profile(conn, &key.0, &key.1, &rules, now)?;
            rep.rule_profiles += 1;
        }
        upgrade_categories(conn, &cat_recs, &have_cats, &mut rep)?;
        upgrade_test_items(conn, now, &item_recs, &edits, &mut rep)?;
        upgrade_profiles(conn, now, &profiles, &have_profiles, &edits, &mut rep)?;
        upgrade_calendars(
            conn,
            &year_recs,
            &holiday_rows,
            &have_years,
            &edits,
            &mut rep,
        )?;
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
                        "added": rep.added, "updated": rep.updated, "kept": rep.kept,
                    })),
                    ..Change::default()
                },
            )?;
        }
        Ok(rep)
    })
}

/// What admins changed in reference data, as the audit log records it.
#[derive(Debug, Default)]
struct AdminEdits {
    /// (profile `domain/plan_kind`, rule key): a rule an admin changed, added or removed.
    rules: BTreeSet<(String, String)>,
    /// Test item id → the fields an admin changed (`*`: the admin created the item).
    item_fields: std::collections::BTreeMap<i64, BTreeSet<String>>,
    /// (category, name) of shipped items an admin renamed: not added again.
    renamed_items: BTreeSet<(String, String)>,
    /// Calendar years an admin loaded.
    years: BTreeSet<i32>,
}

/// The test item fields the loader ships, with their names in an audited `TestItem`.
const ITEM_FIELDS: [(&str, &str); 12] = [
    ("name", "name"),
    ("method_standard", "method_standard"),
    ("judgment_standard", "judgment_standard"),
    ("limit_kind", "limit_kind"),
    ("limit_min", "limit_min_text"),
    ("limit_max", "limit_max_text"),
    ("unit", "unit"),
    ("lod", "lod"),
    ("micro_n", "micro_n"),
    ("micro_c", "micro_c"),
    ("verification", "verification"),
    ("note", "note"),
];

impl AdminEdits {
    /// Reads the audit rows of admin edits to reference data (through the entity
    /// index; such edits are few).
    fn load(conn: &mut DbConnection) -> AppResult<AdminEdits> {
        let edits = rows::audited_edits(
            conn,
            &["rule_profile", "test_item", "calendar_year"],
            &[
                "rule_profile.put",
                "test_item.create",
                "test_item.update",
                "calendar.year_loaded",
            ],
        )?;
        let json = |t: &Option<String>| -> serde_json::Value {
            t.as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        let mut e = AdminEdits::default();
        for (kind, id, action, before, after) in edits {
            let (before, after) = (json(&before), json(&after));
            match (kind.as_str(), action.as_str()) {
                ("rule_profile", _) => {
                    let by_key = |v: &serde_json::Value| -> std::collections::BTreeMap<String, serde_json::Value> {
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|r| Some((r["key"].as_str()?.to_string(), r.clone())))
                            .collect()
                    };
                    let (b, a) = (by_key(&before), by_key(&after));
                    for key in b.keys().chain(a.keys()) {
                        if b.get(key) != a.get(key) {
                            e.rules.insert((id.clone(), key.clone()));
                        }
                    }
                }
                ("test_item", "test_item.create") => {
                    if let Ok(n) = id.parse() {
                        e.item_fields.entry(n).or_default().insert("*".into());
                    }
                }
                ("test_item", _) => {
                    let Ok(n) = id.parse::<i64>() else { continue };
                    let fields = e.item_fields.entry(n).or_default();
                    for (field, audited) in ITEM_FIELDS {
                        if before[audited] != after[audited] {
                            fields.insert(field.to_string());
                        }
                    }
                    if before["name"] != after["name"] {
                        if let (Some(c), Some(n)) =
                            (before["category_code"].as_str(), before["name"].as_str())
                        {
                            e.renamed_items.insert((c.to_string(), n.to_string()));
                        }
                    }
                }
                ("calendar_year", _) => {
                    if let Ok(y) = id.parse() {
                        e.years.insert(y);
                    }
                }
                _ => {}
            }
        }
        Ok(e)
    }

    fn item_field(&self, id: i64, field: &str) -> bool {
        self.item_fields
            .get(&id)
            .is_some_and(|f| f.contains("*") || f.contains(field))
    }
}

/// Categories stored before this load take the shipped values (no one edits them).
fn upgrade_categories(
    conn: &mut DbConnection,
    recs: &[CategoryRec],
    had: &BTreeSet<String>,
    rep: &mut SeedReport,
) -> AppResult<()> {
    let stored = rows::categories(conn)?;
    for c in recs.iter().filter(|c| had.contains(&c.code)) {
        let shipped: rows::CategoryRow = (
            c.code.clone(),
            c.name_zh.clone(),
            c.name_en.clone(),
            empty_to_none(c.parent_code.clone()),
            c.domain.clone(),
            c.level.clone(),
            c.verification.clone(),
            empty_to_none(c.note.clone()),
        );
        if stored.get(&c.code) == Some(&shipped) {
            continue;
        }
        rows::update_category(conn, &shipped)?;
        rep.updated
            .push(format!("category {} {}", c.code, c.name_zh));
    }
    Ok(())
}

/// Each field of a stored shipped test item takes its shipped value unless an admin
/// changed that field (then it is kept and reported).
fn upgrade_test_items(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    recs: &[TestItemRec],
    edits: &AdminEdits,
    rep: &mut SeedReport,
) -> AppResult<()> {
    let stored = rows::test_items(conn)?;
    let text = |s: &str| Some(s.to_string());
    let num = |n: Option<i32>| n.map(|v| v.to_string());
    for t in recs {
        let Some(item) = stored.get(&(t.category_code.clone(), t.name.clone())) else {
            continue;
        };
        let (id, a) = (item.id, &item.fields);
        // (field, stored, shipped) as optional text.
        let fields: [(&str, Option<String>, Option<String>); 11] = [
            (
                "method_standard",
                text(&a.method_standard),
                text(&t.method_standard),
            ),
            (
                "judgment_standard",
                text(&a.judgment_standard),
                text(&t.judgment_standard),
            ),
            ("limit_kind", text(&a.limit_kind), text(&t.limit_kind)),
            (
                "limit_min",
                a.limit_min.clone(),
                empty_to_none(t.limit_min.clone()),
            ),
            (
                "limit_max",
                a.limit_max.clone(),
                empty_to_none(t.limit_max.clone()),
            ),
            ("unit", text(&a.unit), text(&t.unit)),
            ("lod", a.lod.clone(), empty_to_none(t.lod.clone())),
            ("micro_n", num(a.micro_n), num(t.micro_n)),
            ("micro_c", num(a.micro_c), num(t.micro_c)),
            ("verification", text(&a.verification), text(&t.verification)),
            ("note", a.note.clone(), empty_to_none(t.note.clone())),
        ];
        let mut merged = Vec::new();
        let mut changed = false;
        for (field, stored_v, shipped_v) in fields {
            if stored_v == shipped_v {
                merged.push(stored_v);
            } else if edits.item_field(id, field) {
                rep.kept
                    .push(format!("test item {} {}: {field}", t.category_code, t.name));
                merged.push(stored_v);
            } else {
                rep.updated
                    .push(format!("test item {} {}: {field}", t.category_code, t.name));
                merged.push(shipped_v);
                changed = true;
            }
        }
        if !changed {
            continue;
        }
        let s = |i: usize| merged[i].clone().unwrap_or_default();
        let o = |i: usize| merged[i].clone();
        let n = |i: usize| merged[i].as_deref().and_then(|v| v.parse::<i32>().ok());
        let fields = ItemFields {
            method_standard: s(0),
            judgment_standard: s(1),
            limit_kind: s(2),
            limit_min: o(3),
            limit_max: o(4),
            unit: s(5),
            lod: o(6),
            micro_n: n(7),
            micro_c: n(8),
            verification: s(9),
            note: o(10),
        };
        rows::update_test_item(conn, now, id, item.version, &fields)?;
    }
    Ok(())
}

/// Each rule of a profile stored before this load: a shipped rule it lacks is added,
/// one that differs takes the shipped value, unless an admin changed, added or removed
/// that rule (then it is kept and reported, and only a missing `basis`, from a release
/// before rules had one, is filled from the shipped rule). The profile's version moves
/// on a change.
fn upgrade_profiles(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    profiles: &[crate::domain::rules::RuleProfile],
    had: &BTreeSet<(String, String)>,
    edits: &AdminEdits,
    rep: &mut SeedReport,
) -> AppResult<()> {
    for p in profiles {
        let (domain, kind) = (p.domain.as_str(), p.plan_kind.as_str());
        if !had.contains(&(domain.to_string(), kind.to_string())) {
            continue;
        }
        let id = format!("{domain}/{kind}");
        let (text, version) = rows::profile_rules(conn, domain, kind)?;
        let mut rules: Vec<crate::domain::rules::Rule> = serde_json::from_str(&text)
            .map_err(|e| AppError::internal(format!("stored rules of {id} unreadable: {e}")))?;
        let mut changed = false;
        for shipped in &p.rules {
            let edited = edits.rules.contains(&(id.clone(), shipped.key.clone()));
            match rules.iter_mut().find(|r| r.key == shipped.key) {
                Some(r) if r == shipped => {}
                Some(r) if edited => {
                    // Stored before rules had a basis: the admin's values stay, the
                    // missing basis comes from the shipped rule.
                    if r.basis.trim().is_empty() {
                        r.basis.clone_from(&shipped.basis);
                        rep.updated
                            .push(format!("rule {id} {}: basis added", shipped.key));
                        changed = true;
                    }
                    rep.kept.push(format!("rule {id} {}", shipped.key));
                }
                Some(r) => {
                    *r = shipped.clone();
                    rep.updated.push(format!("rule {id} {}", shipped.key));
                    changed = true;
                }
                None if edited => rep
                    .kept
                    .push(format!("rule {id} {}: removed by an admin", shipped.key)),
                None => {
                    rules.push(shipped.clone());
                    rep.added.push(format!("rule {id} {}", shipped.key));
                    rep.rules_added += 1;
                    changed = true;
                }
            }
        }
        if changed {
            let text = serde_json::to_string(&rules).map_err(AppError::internal)?;
            rows::update_profile_rules(conn, now, (domain, kind), version, &text)?;
        }
    }
    Ok(())
}

/// A calendar year stored before this load whose days or source differ from the
/// shipped ones is replaced by the shipped year, unless an admin loaded that year.
fn upgrade_calendars(
    conn: &mut DbConnection,
    years: &[YearRec],
    rows: &[(chrono::NaiveDate, crate::domain::calendar::DayKind, String)],
    had: &BTreeSet<i32>,
    edits: &AdminEdits,
    rep: &mut SeedReport,
) -> AppResult<()> {
    use chrono::Datelike;
    for y in years.iter().filter(|y| had.contains(&y.year)) {
        let (Some(from), Some(to)) = (
            chrono::NaiveDate::from_ymd_opt(y.year, 1, 1),
            chrono::NaiveDate::from_ymd_opt(y.year, 12, 31),
        ) else {
            continue;
        };
        let stored = rows::holidays_between(conn, from, to)?;
        let shipped: BTreeSet<(chrono::NaiveDate, String, String)> = rows
            .iter()
            .filter(|(d, _, _)| d.year() == y.year)
            .map(|(d, k, n)| (*d, k.as_str().to_string(), n.clone()))
            .collect();
        let source = rows::calendar_source(conn, y.year)?;
        if stored == shipped && source == y.source {
            continue;
        }
        if edits.years.contains(&y.year) {
            rep.kept.push(format!("calendar {}", y.year));
            continue;
        }
        rows::replace_calendar_year(conn, y.year, &y.source, (from, to), &shipped)?;
        rep.updated.push(format!("calendar {}", y.year));
        rep.turnarounds += crate::workflow::stats::recount_turnaround(conn, y.year)?;
    }
    Ok(())
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
    let existing = crate::db::users::usernames(conn)?;
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
            &mut Ctx::new(conn, now, &Actor::system()),
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
mod tests;
