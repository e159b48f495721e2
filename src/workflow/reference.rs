//! Reference data: regions and their population, the holiday calendar, food and drug
//! categories, test items and rule profiles. Read by every stage; changed by admins,
//! each change audited.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    calendar_years, categories, holidays, region_populations, regions, rule_profiles, test_items,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::calendar::{parse_holiday_csv, DayKind, WorkCalendar};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind, Rule, RuleProfile};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor};

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

/// `PUT /api/v1/regions/{code}/population`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationInput {
    pub population: i64,
    pub year: i32,
    #[serde(default)]
    pub source: Option<String>,
}

/// An admin records a resident population figure for a region and year. The region
/// shows its newest figure; older figures are kept for earlier years' statistics.
pub fn set_population(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    code: &str,
    input: PopulationInput,
) -> AppResult<Region> {
    actor.require(&[Role::Admin])?;
    let mut fields = FieldErrors::new();
    if !(1..=100_000_000).contains(&input.population) {
        fields.insert(
            "population".into(),
            Msg::new(
                "人口应为1至1亿之间的整数",
                "must be a whole number from 1 to 100,000,000",
            ),
        );
    }
    let this_year = now.year();
    if !(1950..=this_year).contains(&input.year) {
        fields.insert(
            "year".into(),
            Msg::new(
                format!("年份应在1950至{this_year}之间"),
                format!("must be from 1950 to {this_year}"),
            ),
        );
    }
    let source = clean_text(input.source.as_deref().unwrap_or(""), 200, false)
        .map_err(|m| fields.insert("source".into(), m))
        .ok();
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }
    let source = source
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("entered by {}", actor.username));
    write_tx(conn, |conn| {
        let before: Region = regions::table
            .find(code)
            .select(Region::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("行政区划", "Region"))?;
        diesel::delete(
            region_populations::table
                .filter(region_populations::region_code.eq(code))
                .filter(region_populations::year.eq(input.year)),
        )
        .execute(conn)?;
        diesel::insert_into(region_populations::table)
            .values((
                region_populations::region_code.eq(code),
                region_populations::year.eq(input.year),
                region_populations::population.eq(input.population),
                region_populations::source.eq(&source),
            ))
            .execute(conn)?;
        let newest = before.population_year.is_none_or(|y| input.year >= y);
        if newest {
            diesel::update(regions::table.find(code))
                .set((
                    regions::population.eq(Some(input.population)),
                    regions::population_year.eq(Some(input.year)),
                    regions::population_source.eq(Some(&source)),
                    regions::version.eq(before.version + 1),
                ))
                .execute(conn)?;
        }
        let after: Region = regions::table
            .find(code)
            .select(Region::as_select())
            .first(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "region.population_set",
                entity_kind: "region",
                entity_id: code.to_string(),
                before: Some(serde_json::to_value(&before).map_err(AppError::internal)?),
                after: Some(serde_json::json!({
                    "population": input.population, "year": input.year, "source": source,
                    "shown": { "population": after.population, "year": after.population_year }
                })),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Holiday {
    pub date: NaiveDate,
    /// holiday | workday (an adjusted working weekend day, 调休)
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = calendar_years)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    pub loaded_at: NaiveDateTime,
}

pub fn list_holidays(conn: &mut DbConnection, year: Option<i32>) -> AppResult<Vec<Holiday>> {
    let mut q = holidays::table.into_boxed();
    if let Some(y) = year {
        let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
        ) else {
            return Err(AppError::field(
                "year",
                Msg::new("年份无效", "is not a valid year"),
            ));
        };
        q = q
            .filter(holidays::day.ge(from))
            .filter(holidays::day.le(to));
    }
    let rows: Vec<(NaiveDate, String, String)> = q
        .order(holidays::day.asc())
        .select((holidays::day, holidays::kind, holidays::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(date, kind, name)| Holiday { date, kind, name })
        .collect())
}

pub fn list_calendar_years(conn: &mut DbConnection) -> AppResult<Vec<CalendarYear>> {
    Ok(calendar_years::table
        .order(calendar_years::year.asc())
        .select(CalendarYear::as_select())
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

/// An admin loads (or reloads) one year's official calendar from CSV text
/// (`date,kind,name`), replacing that year's rows. Every provisional deadline is
/// recomputed in the same transaction, so those reaching into this year become exact.
pub fn load_calendar_year(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    year: i32,
    source: &str,
    csv_text: &str,
) -> AppResult<usize> {
    actor.require(&[Role::Admin])?;
    let mut fields = FieldErrors::new();
    if !(2000..=2100).contains(&year) {
        fields.insert(
            "year".into(),
            Msg::new("年份应在2000至2100之间", "must be from 2000 to 2100"),
        );
    }
    let source = clean_text(source, 200, true)
        .map_err(|m| fields.insert("source".into(), m))
        .ok();
    let rows = match parse_holiday_csv(csv_text) {
        Ok(rows) => rows,
        Err(e) => {
            fields.insert(
                "csv".into(),
                Msg::new(format!("日历数据有误：{e}"), e.to_string()),
            );
            Vec::new()
        }
    };
    if let Some((d, _, _)) = rows.iter().find(|(d, _, _)| d.year() != year) {
        fields.insert(
            "csv".into(),
            Msg::new(
                format!("{d} 不属于 {year} 年"),
                format!("{d} is not in {year}"),
            ),
        );
    }
    let (Some(source), true) = (source, fields.is_empty()) else {
        return Err(AppError::invalid(fields));
    };
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(AppError::field(
            "year",
            Msg::new("年份无效", "is not a valid year"),
        ));
    };
    write_tx(conn, |conn| {
        let before = list_holidays(conn, Some(year))?;
        diesel::delete(
            holidays::table
                .filter(holidays::day.ge(from))
                .filter(holidays::day.le(to)),
        )
        .execute(conn)?;
        for (day, kind, name) in &rows {
            diesel::insert_into(holidays::table)
                .values((
                    holidays::day.eq(day),
                    holidays::kind.eq(kind.as_str()),
                    holidays::name.eq(name),
                ))
                .execute(conn)?;
        }
        diesel::delete(calendar_years::table.find(year)).execute(conn)?;
        diesel::insert_into(calendar_years::table)
            .values((
                calendar_years::year.eq(year),
                calendar_years::source.eq(&source),
                calendar_years::loaded_at.eq(now),
            ))
            .execute(conn)?;
        let after = list_holidays(conn, Some(year))?;
        crate::workflow::intake::recompute_provisional_deadlines(conn, now, actor)?;
        crate::workflow::stats::recount_turnaround(conn, year)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "calendar.year_loaded",
                entity_kind: "calendar_year",
                entity_id: year.to_string(),
                before: Some(serde_json::to_value(&before).map_err(AppError::internal)?),
                after: Some(serde_json::json!({ "source": source, "days": after })),
                reason: None,
            },
        )?;
        Ok(rows.len())
    })
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

/// A test item as the API shows it. Limits keep the digits they were written with
/// (`limit_min_text`), and are also given as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TestItem {
    pub id: i64,
    pub category_code: String,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    /// max | min | range | not_detected | qualitative
    pub limit_kind: String,
    pub limit_min: Option<f64>,
    pub limit_max: Option<f64>,
    pub limit_min_text: Option<String>,
    pub limit_max_text: Option<String>,
    pub unit: String,
    pub lod: Option<f64>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    /// verified | unverified_limit | unverified | admin_entered: whether the limit was
    /// checked against the standard's text.
    pub verification: String,
    pub note: Option<String>,
    pub active: bool,
    pub version: i32,
}

impl TestItemRow {
    pub fn to_item(&self) -> TestItem {
        let num = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<f64>().ok());
        TestItem {
            id: self.id,
            category_code: self.category_code.clone(),
            name: self.name.clone(),
            method_standard: self.method_standard.clone(),
            judgment_standard: self.judgment_standard.clone(),
            limit_kind: self.limit_kind.clone(),
            limit_min: num(&self.limit_min),
            limit_max: num(&self.limit_max),
            limit_min_text: self.limit_min.clone(),
            limit_max_text: self.limit_max.clone(),
            unit: self.unit.clone(),
            lod: num(&self.lod),
            micro_n: self.micro_n,
            micro_c: self.micro_c,
            verification: self.verification.clone(),
            note: self.note.clone(),
            active: self.active,
            version: self.version,
        }
    }
}

pub fn list_test_items(
    conn: &mut DbConnection,
    category: Option<&str>,
) -> AppResult<Vec<TestItem>> {
    let mut q = test_items::table.into_boxed();
    if let Some(c) = category {
        q = q.filter(test_items::category_code.eq(c.to_string()));
    }
    let rows: Vec<TestItemRow> = q
        .order((test_items::category_code.asc(), test_items::id.asc()))
        .select(TestItemRow::as_select())
        .load(conn)?;
    Ok(rows.iter().map(TestItemRow::to_item).collect())
}

pub fn get_test_item(conn: &mut DbConnection, id: i64) -> AppResult<TestItem> {
    let row: TestItemRow = test_items::table
        .find(id)
        .select(TestItemRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("检验项目", "Test item"))?;
    Ok(row.to_item())
}

/// A limit as given by a client: a JSON number or a decimal string (to keep digits).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LimitValue {
    Number(f64),
    Text(String),
}

impl LimitValue {
    /// The limit as decimal text, or a message if it is not a finite number ≥ 0.
    fn to_text(&self) -> Result<String, Msg> {
        let bad = || Msg::new("应为非负数", "must be a number ≥ 0");
        match self {
            LimitValue::Number(n) if n.is_finite() && *n >= 0.0 => Ok(n.to_string()),
            LimitValue::Number(_) => Err(bad()),
            LimitValue::Text(t) => {
                let t = t.trim();
                let plain = !t.is_empty()
                    && t.len() <= 24
                    && t.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && t.chars().filter(|c| *c == '.').count() <= 1
                    && !t.starts_with('.')
                    && !t.ends_with('.');
                if plain {
                    Ok(t.to_string())
                } else {
                    Err(bad())
                }
            }
        }
    }
}

/// `POST /api/v1/test-items` and the full form of an edit.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestItemInput {
    pub category_code: String,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    #[serde(default)]
    pub limit_min: Option<LimitValue>,
    #[serde(default)]
    pub limit_max: Option<LimitValue>,
    /// The unit of the limit; null or left out for an item without one (qualitative).
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(value_type = Option<String>)]
    pub unit: String,
    #[serde(default)]
    pub lod: Option<LimitValue>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub verification: Option<String>,
}

/// `PATCH /api/v1/test-items/{id}`: the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestItemPatch {
    pub name: Option<String>,
    pub method_standard: Option<String>,
    pub judgment_standard: Option<String>,
    pub limit_kind: Option<String>,
    #[serde(default, deserialize_with = "double_limit")]
    #[schema(value_type = Option<f64>)]
    pub limit_min: Option<Option<LimitValue>>,
    #[serde(default, deserialize_with = "double_limit")]
    #[schema(value_type = Option<f64>)]
    pub limit_max: Option<Option<LimitValue>>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "double_limit")]
    #[schema(value_type = Option<f64>)]
    pub lod: Option<Option<LimitValue>>,
    pub note: Option<String>,
    pub verification: Option<String>,
    pub active: Option<bool>,
    pub version: i32,
}

/// A text that may be sent as null, which means empty (as left out does).
fn null_as_empty<'de, D>(d: D) -> Result<String, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

fn double_limit<'de, D>(d: D) -> Result<Option<Option<LimitValue>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<LimitValue>::deserialize(d).map(Some)
}

const LIMIT_KINDS: [&str; 5] = ["max", "min", "range", "not_detected", "qualitative"];
const VERIFICATIONS: [&str; 4] = [
    "verified",
    "unverified_limit",
    "unverified",
    "admin_entered",
];

/// The checked values of a test item, ready to store.
struct CheckedItem {
    category_code: String,
    name: String,
    method_standard: String,
    judgment_standard: String,
    limit_kind: String,
    limit_min: Option<String>,
    limit_max: Option<String>,
    unit: String,
    lod: Option<String>,
    note: Option<String>,
    verification: String,
}

fn check_item(conn: &mut DbConnection, i: &TestItemInput) -> AppResult<CheckedItem> {
    let mut f = FieldErrors::new();
    let text = |name: &str, v: &str, max: usize, req: bool, f: &mut FieldErrors| {
        clean_text(v, max, req)
            .map_err(|m| f.insert(name.to_string(), m))
            .unwrap_or_default()
    };
    let name = text("name", &i.name, 100, true, &mut f);
    let method_standard = text("method_standard", &i.method_standard, 100, true, &mut f);
    let judgment_standard = text("judgment_standard", &i.judgment_standard, 100, true, &mut f);
    let unit = text("unit", &i.unit, 20, false, &mut f);
    let note = text("note", i.note.as_deref().unwrap_or(""), 500, false, &mut f);
    let limit = |name: &str, v: &Option<LimitValue>, f: &mut FieldErrors| match v {
        Some(v) => v.to_text().map(Some).unwrap_or_else(|m| {
            f.insert(name.to_string(), m);
            None
        }),
        None => None,
    };
    let limit_min = limit("limit_min", &i.limit_min, &mut f);
    let limit_max = limit("limit_max", &i.limit_max, &mut f);
    let lod = limit("lod", &i.lod, &mut f);
    let kind = i.limit_kind.trim();
    if !LIMIT_KINDS.contains(&kind) {
        f.insert(
            "limit_kind".into(),
            Msg::new(
                format!("判定方式应为 {}", LIMIT_KINDS.join("、")),
                format!("must be one of {}", LIMIT_KINDS.join(", ")),
            ),
        );
    } else {
        let need = |f: &mut FieldErrors, field: &str, v: &Option<String>| {
            if v.is_none() {
                f.entry(field.to_string()).or_insert_with(|| {
                    Msg::new("此判定方式需要限量值", "is required for this limit kind")
                });
            }
        };
        match kind {
            "max" => need(&mut f, "limit_max", &limit_max),
            "min" => need(&mut f, "limit_min", &limit_min),
            "range" => {
                need(&mut f, "limit_min", &limit_min);
                need(&mut f, "limit_max", &limit_max);
                if let (Some(a), Some(b)) = (&limit_min, &limit_max) {
                    if a.parse::<f64>().ok() > b.parse::<f64>().ok() {
                        f.insert(
                            "limit_max".into(),
                            Msg::new("上限不能小于下限", "must not be below limit_min"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let verification = i
        .verification
        .clone()
        .unwrap_or_else(|| "admin_entered".to_string());
    if !VERIFICATIONS.contains(&verification.as_str()) {
        f.insert(
            "verification".into(),
            Msg::new(
                "核实状态无效",
                format!("must be one of {}", VERIFICATIONS.join(", ")),
            ),
        );
    }
    let exists: i64 = categories::table
        .filter(categories::code.eq(i.category_code.trim()))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        f.insert(
            "category_code".into(),
            Msg::new("没有这个食品类别", "no such category"),
        );
    }
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    Ok(CheckedItem {
        category_code: i.category_code.trim().to_string(),
        name,
        method_standard,
        judgment_standard,
        limit_kind: kind.to_string(),
        limit_min,
        limit_max,
        unit,
        lod,
        note: Some(note).filter(|n| !n.is_empty()),
        verification,
    })
}

/// An admin adds a test item to the catalogue.
pub fn create_test_item(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: TestItemInput,
) -> AppResult<TestItem> {
    actor.require(&[Role::Admin])?;
    let c = check_item(conn, &input)?;
    write_tx(conn, |conn| {
        let dup: i64 = test_items::table
            .filter(test_items::category_code.eq(&c.category_code))
            .filter(test_items::name.eq(&c.name))
            .count()
            .get_result(conn)?;
        if dup > 0 {
            return Err(AppError::Conflict(Msg::new(
                "该类别下已有同名检验项目",
                "This category already has a test item of that name",
            )));
        }
        diesel::insert_into(test_items::table)
            .values((
                test_items::category_code.eq(&c.category_code),
                test_items::name.eq(&c.name),
                test_items::method_standard.eq(&c.method_standard),
                test_items::judgment_standard.eq(&c.judgment_standard),
                test_items::limit_kind.eq(&c.limit_kind),
                test_items::limit_min.eq(&c.limit_min),
                test_items::limit_max.eq(&c.limit_max),
                test_items::unit.eq(&c.unit),
                test_items::lod.eq(&c.lod),
                test_items::verification.eq(&c.verification),
                test_items::note.eq(&c.note),
                test_items::active.eq(true),
                test_items::version.eq(1),
                test_items::created_at.eq(now),
                test_items::updated_at.eq(now),
            ))
            .execute(conn)?;
        let row: TestItemRow = test_items::table
            .filter(test_items::category_code.eq(&c.category_code))
            .filter(test_items::name.eq(&c.name))
            .select(TestItemRow::as_select())
            .first(conn)?;
        let item = row.to_item();
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "test_item.create",
                entity_kind: "test_item",
                entity_id: item.id.to_string(),
                after: Some(serde_json::to_value(&item).map_err(AppError::internal)?),
                ..Change::default()
            },
        )?;
        Ok(item)
    })
}

/// An admin changes a test item. Later assignments use the new values; tests already
/// assigned keep the copy they took.
pub fn update_test_item(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    patch: TestItemPatch,
) -> AppResult<TestItem> {
    actor.require(&[Role::Admin])?;
    let current: TestItemRow = test_items::table
        .find(id)
        .select(TestItemRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("检验项目", "Test item"))?;
    let keep = |s: &Option<String>| s.clone().map(LimitValue::Text);
    let merged = TestItemInput {
        category_code: current.category_code.clone(),
        name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
        method_standard: patch
            .method_standard
            .clone()
            .unwrap_or_else(|| current.method_standard.clone()),
        judgment_standard: patch
            .judgment_standard
            .clone()
            .unwrap_or_else(|| current.judgment_standard.clone()),
        limit_kind: patch
            .limit_kind
            .clone()
            .unwrap_or_else(|| current.limit_kind.clone()),
        limit_min: patch
            .limit_min
            .clone()
            .unwrap_or_else(|| keep(&current.limit_min)),
        limit_max: patch
            .limit_max
            .clone()
            .unwrap_or_else(|| keep(&current.limit_max)),
        unit: patch.unit.clone().unwrap_or_else(|| current.unit.clone()),
        lod: patch.lod.clone().unwrap_or_else(|| keep(&current.lod)),
        note: patch.note.clone().or_else(|| current.note.clone()),
        verification: Some(
            patch
                .verification
                .clone()
                .unwrap_or_else(|| current.verification.clone()),
        ),
    };
    let c = check_item(conn, &merged)?;
    let active = patch.active.unwrap_or(current.active);
    write_tx(conn, |conn| {
        let before: TestItemRow = test_items::table
            .find(id)
            .select(TestItemRow::as_select())
            .first(conn)?;
        if before.version != patch.version {
            return Err(AppError::stale());
        }
        let n = diesel::update(
            test_items::table
                .find(id)
                .filter(test_items::version.eq(patch.version)),
        )
        .set((
            test_items::name.eq(&c.name),
            test_items::method_standard.eq(&c.method_standard),
            test_items::judgment_standard.eq(&c.judgment_standard),
            test_items::limit_kind.eq(&c.limit_kind),
            test_items::limit_min.eq(&c.limit_min),
            test_items::limit_max.eq(&c.limit_max),
            test_items::unit.eq(&c.unit),
            test_items::lod.eq(&c.lod),
            test_items::verification.eq(&c.verification),
            test_items::note.eq(&c.note),
            test_items::active.eq(active),
            test_items::version.eq(before.version + 1),
            test_items::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        let after: TestItemRow = test_items::table
            .find(id)
            .select(TestItemRow::as_select())
            .first(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "test_item.update",
                entity_kind: "test_item",
                entity_id: id.to_string(),
                before: Some(serde_json::to_value(before.to_item()).map_err(AppError::internal)?),
                after: Some(serde_json::to_value(after.to_item()).map_err(AppError::internal)?),
                reason: None,
            },
        )?;
        Ok(after.to_item())
    })
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

/// The profile of a domain and plan kind. Domains without a profile of their own for
/// that kind fall back to their supervision profile.
pub fn get_profile(
    conn: &mut DbConnection,
    domain: Domain,
    plan_kind: PlanKind,
) -> AppResult<Option<StoredProfile>> {
    for kind in [plan_kind, PlanKind::Supervision] {
        let row: Option<ProfileRow> = rule_profiles::table
            .filter(rule_profiles::domain.eq(domain.as_str()))
            .filter(rule_profiles::plan_kind.eq(kind.as_str()))
            .select(profile_columns())
            .first(conn)
            .optional()?;
        if let Some(r) = row {
            return Ok(Some(to_stored(r)?));
        }
    }
    Ok(None)
}

/// `PUT /api/v1/rule-profiles/{domain}/{plan_kind}`: one profile as GET returns it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ProfileInput {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub plan_kind: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Rule>,
    pub version: Option<i32>,
}

/// An admin replaces a rule profile (or creates one for a new domain and plan kind,
/// with no version). Every rule is checked; the change is audited with before and
/// after.
pub fn put_profile(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    domain: &str,
    plan_kind: &str,
    input: ProfileInput,
    reason: Option<&str>,
) -> AppResult<StoredProfile> {
    actor.require(&[Role::Admin])?;
    let domain: Domain = domain
        .parse()
        .map_err(|e: String| AppError::NotFound(Msg::new(format!("没有这个领域：{e}"), e)))?;
    let plan_kind: PlanKind = plan_kind
        .parse()
        .map_err(|e: String| AppError::NotFound(Msg::new(format!("没有这个计划类型：{e}"), e)))?;
    let mut f = FieldErrors::new();
    if input
        .domain
        .as_deref()
        .is_some_and(|d| d != domain.as_str())
    {
        f.insert(
            "domain".into(),
            Msg::new("与路径不一致", "does not match the path"),
        );
    }
    if input
        .plan_kind
        .as_deref()
        .is_some_and(|k| k != plan_kind.as_str())
    {
        f.insert(
            "plan_kind".into(),
            Msg::new("与路径不一致", "does not match the path"),
        );
    }
    let profile = RuleProfile {
        domain,
        plan_kind,
        rules: input.rules,
    };
    for e in profile.validate() {
        f.insert(
            e.field.clone(),
            Msg::new(format!("规则有误：{}", e.message), e.message.clone()),
        );
    }
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    let rules_json = serde_json::to_string(&profile.rules).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        let row: Option<ProfileRow> = rule_profiles::table
            .filter(rule_profiles::domain.eq(domain.as_str()))
            .filter(rule_profiles::plan_kind.eq(plan_kind.as_str()))
            .select(profile_columns())
            .first(conn)
            .optional()?;
        let before = row.map(to_stored).transpose()?;
        match (&before, input.version) {
            (Some(b), Some(v)) if b.version == v => {
                let n = diesel::update(
                    rule_profiles::table
                        .filter(rule_profiles::domain.eq(domain.as_str()))
                        .filter(rule_profiles::plan_kind.eq(plan_kind.as_str()))
                        .filter(rule_profiles::version.eq(v)),
                )
                .set((
                    rule_profiles::rules.eq(&rules_json),
                    rule_profiles::version.eq(v + 1),
                    rule_profiles::updated_at.eq(now),
                ))
                .execute(conn)?;
                if n != 1 {
                    return Err(AppError::stale());
                }
            }
            (Some(_), Some(_)) => return Err(AppError::stale()),
            (Some(_), None) => {
                return Err(AppError::field(
                    "version",
                    Msg::new("修改时须提供版本号", "is required to change a profile"),
                ))
            }
            (None, _) => {
                diesel::insert_into(rule_profiles::table)
                    .values((
                        rule_profiles::domain.eq(domain.as_str()),
                        rule_profiles::plan_kind.eq(plan_kind.as_str()),
                        rule_profiles::rules.eq(&rules_json),
                        rule_profiles::version.eq(1),
                        rule_profiles::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        let after = get_profile(conn, domain, plan_kind)?
            .ok_or_else(|| AppError::internal("profile vanished"))?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "rule_profile.put",
                entity_kind: "rule_profile",
                entity_id: format!("{domain}/{plan_kind}"),
                before: before
                    .map(|b| serde_json::to_value(b.rules))
                    .transpose()
                    .map_err(AppError::internal)?,
                after: Some(serde_json::to_value(&after.rules).map_err(AppError::internal)?),
                reason,
            },
        )?;
        Ok(after)
    })
}

/// Setup health for the admin home page: which calendar years are loaded, which
/// regions lack a population, how many test items are unverified.
#[derive(Debug, Clone, Serialize)]
pub struct SetupHealth {
    pub calendar_years: Vec<i32>,
    pub current_year_loaded: bool,
    pub next_year_loaded: bool,
    pub regions_without_population: Vec<(String, String)>,
    pub unverified_test_items: i64,
    pub test_items: i64,
}

pub fn setup_health(conn: &mut DbConnection, today: NaiveDate) -> AppResult<SetupHealth> {
    let years: Vec<i32> = calendar_years::table
        .select(calendar_years::year)
        .order(calendar_years::year.asc())
        .load(conn)?;
    let missing: Vec<(String, String)> = regions::table
        .filter(regions::population.is_null())
        .order(regions::code.asc())
        .select((regions::code, regions::name_zh))
        .load(conn)?;
    let total: i64 = test_items::table.count().get_result(conn)?;
    let unverified: i64 = test_items::table
        .filter(test_items::verification.ne("verified"))
        .count()
        .get_result(conn)?;
    Ok(SetupHealth {
        current_year_loaded: years.contains(&today.year()),
        next_year_loaded: years.contains(&(today.year() + 1)),
        calendar_years: years,
        regions_without_population: missing,
        unverified_test_items: unverified,
        test_items: total,
    })
}

/// Counts rows per table for reports (seed summaries).
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
