//! The request bodies the server accepts for its main writes, and the checks it runs on
//! them before it reads the database. Pure (serde, chrono, utoipa's schema derive), so the
//! `bodies` fuzz target compiles this file alone (fuzz/src/lib.rs); the use cases
//! re-export each type where it is used (`workflow::intake::SampleInput`, ...).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::msg::Msg;

/// Checks a free-text field: trimmed, within `max` characters, no control characters.
/// Returns the trimmed text, or the message for the field.
pub fn clean_text(value: &str, max: usize, required: bool) -> Result<String, Msg> {
    let v = value.trim();
    if v.is_empty() && required {
        return Err(Msg::new("必填", "is required"));
    }
    if v.chars().count() > max {
        return Err(Msg::new(
            format!("不能超过{max}个字符"),
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Msg::new(
            "不能包含控制字符",
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

// ---------------------------------------------------------------- intake

/// `POST /api/v1/samples` and `PATCH` (with `version`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleInput {
    pub plan_id: i64,
    pub entity_id: i64,
    pub domain: String,
    pub category_code: String,
    pub product_name: String,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub specification: Option<String>,
    #[serde(default)]
    pub batch_no: Option<String>,
    #[serde(default)]
    pub production_date: Option<NaiveDate>,
    #[serde(default)]
    pub shelf_life: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub manufacturer_address: Option<String>,
    pub stage: String,
    /// RFC 3339 with offset, e.g. 2026-03-02T09:30:00+08:00.
    #[schema(value_type = String)]
    pub sampled_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub place: Option<String>,
    pub sampler_ids: Vec<i64>,
    /// Quantity of the inspection portion, as written ("2", "0.5").
    #[schema(value_type = String)]
    pub quantity: QuantityValue,
    pub unit: String,
    /// Quantity of the backup portion; none for risk monitoring.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub backup_quantity: Option<QuantityValue>,
    pub storage: String,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub price: Option<QuantityValue>,
    #[serde(default)]
    pub notes: Option<String>,
    // The fields of the national sampling form (docs/domain/rules.md §c.3), all
    // optional; the vocabularies' keys are those of `domain::sample_fields`.
    /// 抽样基数/批量 (text, e.g. "200袋").
    #[serde(default)]
    pub base_quantity: Option<String>,
    /// 执行标准/技术文件.
    #[serde(default)]
    pub standard: Option<String>,
    /// The labelled producer's licence number (生产许可证号), as written.
    #[serde(default)]
    pub manufacturer_licence_no: Option<String>,
    /// 包装分类: bulk | prepackaged.
    #[serde(default)]
    pub packaging: Option<String>,
    /// 样品形态: solid | semi_solid | liquid | gas.
    #[serde(default)]
    pub sample_form: Option<String>,
    /// 样品属性 (text).
    #[serde(default)]
    pub sample_attribute: Option<String>,
    /// 样品来源: produced | commissioned | purchased | other.
    #[serde(default)]
    pub sample_source: Option<String>,
    /// 抽样方式: aseptic | non_aseptic.
    #[serde(default)]
    pub sampling_method: Option<String>,
    /// 单价, a decimal as written, like `price`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub unit_price: Option<QuantityValue>,
    /// 区域类型: urban | rural | scenic.
    #[serde(default)]
    pub area_type: Option<String>,
    /// Drug: 批准文号; cosmetic: 注册证编号或备案编号.
    #[serde(default)]
    pub approval_no: Option<String>,
    /// 有效期 (drug, cosmetic): a date.
    #[serde(default)]
    pub expiry_date: Option<NaiveDate>,
    /// Drug: 上市许可持有人; cosmetic: 注册人/备案人.
    #[serde(default)]
    pub mah: Option<String>,
    /// 剂型 (text).
    #[serde(default)]
    pub dosage_form: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// `PATCH /api/v1/samples/{sample_no}`: only the fields to change, and `version`. A
/// field left out keeps its value; an optional field sent as null is cleared.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplePatch {
    pub plan_id: Option<i64>,
    pub entity_id: Option<i64>,
    pub domain: Option<String>,
    pub category_code: Option<String>,
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub brand: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub specification: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub batch_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub production_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub shelf_life: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub manufacturer: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub manufacturer_address: Option<Option<String>>,
    pub stage: Option<String>,
    #[schema(value_type = Option<String>)]
    pub sampled_at: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub place: Option<Option<String>>,
    pub sampler_ids: Option<Vec<i64>>,
    #[schema(value_type = Option<String>)]
    pub quantity: Option<QuantityValue>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub backup_quantity: Option<Option<QuantityValue>>,
    pub storage: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub price: Option<Option<QuantityValue>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub base_quantity: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub standard: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub manufacturer_licence_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub packaging: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sample_form: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sample_attribute: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sample_source: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sampling_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub unit_price: Option<Option<QuantityValue>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub area_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub approval_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub expiry_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub mah: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub dosage_form: Option<Option<String>>,
    /// The version read; required (422 without it, 409 when stale).
    pub version: Option<i32>,
}

/// A field that was sent (`Some`), possibly as null (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl SamplePatch {
    /// The full body of the sample as it stands with this patch applied; every field
    /// is then checked as on registration.
    pub fn apply(self, current: SampleInput) -> SampleInput {
        SampleInput {
            plan_id: self.plan_id.unwrap_or(current.plan_id),
            entity_id: self.entity_id.unwrap_or(current.entity_id),
            domain: self.domain.unwrap_or(current.domain),
            category_code: self.category_code.unwrap_or(current.category_code),
            product_name: self.product_name.unwrap_or(current.product_name),
            brand: self.brand.unwrap_or(current.brand),
            specification: self.specification.unwrap_or(current.specification),
            batch_no: self.batch_no.unwrap_or(current.batch_no),
            production_date: self.production_date.unwrap_or(current.production_date),
            shelf_life: self.shelf_life.unwrap_or(current.shelf_life),
            manufacturer: self.manufacturer.unwrap_or(current.manufacturer),
            manufacturer_address: self
                .manufacturer_address
                .unwrap_or(current.manufacturer_address),
            stage: self.stage.unwrap_or(current.stage),
            sampled_at: self.sampled_at.unwrap_or(current.sampled_at),
            place: self.place.unwrap_or(current.place),
            sampler_ids: self.sampler_ids.unwrap_or(current.sampler_ids),
            quantity: self.quantity.unwrap_or(current.quantity),
            unit: self.unit.unwrap_or(current.unit),
            backup_quantity: self.backup_quantity.unwrap_or(current.backup_quantity),
            storage: self.storage.unwrap_or(current.storage),
            price: self.price.unwrap_or(current.price),
            notes: self.notes.unwrap_or(current.notes),
            base_quantity: self.base_quantity.unwrap_or(current.base_quantity),
            standard: self.standard.unwrap_or(current.standard),
            manufacturer_licence_no: self
                .manufacturer_licence_no
                .unwrap_or(current.manufacturer_licence_no),
            packaging: self.packaging.unwrap_or(current.packaging),
            sample_form: self.sample_form.unwrap_or(current.sample_form),
            sample_attribute: self.sample_attribute.unwrap_or(current.sample_attribute),
            sample_source: self.sample_source.unwrap_or(current.sample_source),
            sampling_method: self.sampling_method.unwrap_or(current.sampling_method),
            unit_price: self.unit_price.unwrap_or(current.unit_price),
            area_type: self.area_type.unwrap_or(current.area_type),
            approval_no: self.approval_no.unwrap_or(current.approval_no),
            expiry_date: self.expiry_date.unwrap_or(current.expiry_date),
            mah: self.mah.unwrap_or(current.mah),
            dosage_form: self.dosage_form.unwrap_or(current.dosage_form),
            version: self.version,
        }
    }
}

/// A quantity sent as a JSON number or as text (to keep its digits).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum QuantityValue {
    Number(f64),
    Text(String),
}

impl Default for QuantityValue {
    fn default() -> Self {
        QuantityValue::Text(String::new())
    }
}

impl QuantityValue {
    /// The value as written (a number sent as JSON is printed back as Rust prints it).
    pub fn text(&self) -> String {
        match self {
            QuantityValue::Number(n) => n.to_string(),
            QuantityValue::Text(t) => t.clone(),
        }
    }
}

// ---------------------------------------------------------------- lab

/// `PUT /api/v1/tests/{id}/result`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    pub result_text: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub lod: Option<QuantityValue>,
    pub version: i32,
}

/// One row of a many-results save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkResultRow {
    pub test_id: i64,
    pub result_text: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub lod: Option<QuantityValue>,
    pub version: i32,
}

/// `POST /api/v1/tests/results`: many results in one save.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    pub results: Vec<BulkResultRow>,
}

/// `POST /api/v1/tests/{id}/review`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// accept | retest
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The version the reviewer saw; a concurrent review makes it stale (409).
    #[serde(default)]
    pub version: Option<i32>,
}

// ---------------------------------------------------------------- disposal

/// `POST /api/v1/disposals/{id}/events`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: String,
    /// When it happened, RFC 3339 with offset.
    #[schema(value_type = String)]
    pub at: DateTime<FixedOffset>,
    #[serde(default)]
    pub note: Option<String>,
    /// For recheck_result and objection_decided: true means the original result stands.
    #[serde(default)]
    pub upheld: Option<bool>,
    /// For recheck_accepted: false when the request was refused.
    #[serde(default)]
    pub accepted: Option<bool>,
    /// For recall_started: 1, 2 or 3.
    #[serde(default)]
    pub recall_level: Option<u8>,
}

// ---------------------------------------------------------------- nominations

/// Field limits: enough for a product name, an address and a few sentences.
pub const PRODUCT_MAX: usize = 100;
pub const PLACE_MAX: usize = 200;
pub const REASON_MAX: usize = 1000;
pub const CONTACT_MAX: usize = 100;

/// `POST /api/v1/public/nominations` (API.md: Public).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NominationInput {
    /// The product or category to test, e.g. 散装白酒.
    #[serde(default)]
    pub product: String,
    /// Where it is sold: a market, a shop, a street.
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub reason: String,
    /// The county (or prefecture) of the place, if known.
    #[serde(default)]
    pub region_code: Option<String>,
    /// A mobile number or e-mail address for a reply; never shown publicly.
    #[serde(default)]
    pub contact: Option<String>,
}
