//! The catalogue: categories and the test items an admin adds and edits.

use serde::{Deserialize, Serialize};

use super::{Category, TestItemRow};
use crate::db::reference::TestItemValues;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::clean_text;
use crate::workflow::Ctx;

pub fn list_categories(conn: &mut DbConnection, domain: Option<&str>) -> AppResult<Vec<Category>> {
    db::reference::list_categories(conn, domain)
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

impl TestItem {
    /// Whether the limit was checked against the standard's text.
    pub fn is_verified(&self) -> bool {
        self.verification == VERIFIED
    }
}

pub fn list_test_items(
    conn: &mut DbConnection,
    category: Option<&str>,
) -> AppResult<Vec<TestItem>> {
    Ok(db::reference::test_items(conn, category)?
        .iter()
        .map(TestItemRow::to_item)
        .collect())
}

fn not_found() -> AppError {
    AppError::not_found("检验项目", "Test item")
}

pub fn get_test_item(conn: &mut DbConnection, id: i64) -> AppResult<TestItem> {
    let row = db::reference::find_test_item(conn, id)?.ok_or_else(not_found)?;
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
/// The verification of a limit checked against the standard's text.
const VERIFIED: &str = "verified";
const VERIFICATIONS: [&str; 4] = [VERIFIED, "unverified_limit", "unverified", "admin_entered"];

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
    if db::reference::category_domain(conn, i.category_code.trim())?.is_none() {
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

impl CheckedItem {
    fn values(&self) -> TestItemValues<'_> {
        TestItemValues {
            category_code: &self.category_code,
            name: &self.name,
            method_standard: &self.method_standard,
            judgment_standard: &self.judgment_standard,
            limit_kind: &self.limit_kind,
            limit_min: self.limit_min.as_deref(),
            limit_max: self.limit_max.as_deref(),
            unit: &self.unit,
            lod: self.lod.as_deref(),
            verification: &self.verification,
            note: self.note.as_deref(),
        }
    }
}

/// An admin adds a test item to the catalogue.
pub fn create_test_item(cx: &mut Ctx, input: TestItemInput) -> AppResult<TestItem> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Admin])?;
    let c = check_item(conn, &input)?;
    write_tx(conn, |conn| {
        if db::reference::test_item_named(conn, &c.category_code, &c.name)?.is_some() {
            return Err(AppError::Conflict(Msg::new(
                "该类别下已有同名检验项目",
                "This category already has a test item of that name",
            )));
        }
        db::reference::insert_test_item(conn, &c.values(), now)?;
        let row = db::reference::test_item_named(conn, &c.category_code, &c.name)?
            .ok_or_else(|| AppError::internal("test item vanished"))?;
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
pub fn update_test_item(cx: &mut Ctx, id: i64, patch: TestItemPatch) -> AppResult<TestItem> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Admin])?;
    let current = db::reference::find_test_item(conn, id)?.ok_or_else(not_found)?;
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
        let before = db::reference::find_test_item(conn, id)?.ok_or_else(not_found)?;
        if before.version != patch.version {
            return Err(AppError::stale());
        }
        let n = db::reference::update_test_item(conn, id, patch.version, &c.values(), active, now)?;
        AppError::stale_unless(n)?;
        let after = db::reference::find_test_item(conn, id)?.ok_or_else(not_found)?;
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
