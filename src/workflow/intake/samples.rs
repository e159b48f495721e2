//! Samples: registration with a number from the county's sequence and a delivery
//! deadline from the rule profile, edits while registered, and the sample as the API
//! shows it.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::check::{check_sample, CheckedSample};
use super::{local_date, to_json, to_local, version_sent, SampleRow};
use crate::db::samples::{NewSample, SampleValues};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::calendar::Deadline;
use crate::domain::role::Role;
use crate::domain::sample::{sample_no, transition, Conclusion, SampleAction, SampleStatus};
use crate::error::{AppError, AppResult, Msg};
use crate::forms::{QuantityValue, SampleInput, SamplePatch};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// A sample as the API shows it (API.md `sample`), with its deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sample {
    pub id: i64,
    pub sample_no: String,
    pub plan_id: i64,
    pub entity_id: i64,
    pub domain: String,
    pub category_code: String,
    pub product_name: String,
    pub brand: Option<String>,
    pub specification: Option<String>,
    pub batch_no: Option<String>,
    pub production_date: Option<NaiveDate>,
    pub shelf_life: Option<String>,
    pub manufacturer: Option<String>,
    pub manufacturer_address: Option<String>,
    pub stage: String,
    #[schema(value_type = String)]
    pub sampled_at: DateTime<FixedOffset>,
    pub place: Option<String>,
    pub sampler_ids: Vec<i64>,
    pub quantity: String,
    pub unit: String,
    pub backup_quantity: Option<String>,
    pub storage: String,
    pub price: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub conclusion: String,
    pub region_code: String,
    pub registered_by: i64,
    #[schema(value_type = String)]
    pub registered_at: DateTime<FixedOffset>,
    /// Samples reach the lab by this date (rule `delivery_to_lab`).
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    #[schema(value_type = Option<String>)]
    pub received_at: Option<DateTime<FixedOffset>>,
    pub received_by: Option<i64>,
    pub seal_intact: Option<bool>,
    pub condition_ok: Option<bool>,
    pub receipt_note: Option<String>,
    pub reject_reason: Option<String>,
    pub delivered_late: Option<bool>,
    /// The report is due by this date (rule `report_after_receipt`), once received.
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    #[schema(value_type = Option<String>)]
    pub reported_at: Option<DateTime<FixedOffset>>,
    pub report_no: Option<String>,
    /// 抽样基数/批量.
    pub base_quantity: Option<String>,
    /// 执行标准/技术文件.
    pub standard: Option<String>,
    /// The labelled producer's licence number (生产许可证号), as written.
    pub manufacturer_licence_no: Option<String>,
    /// 包装分类: bulk | prepackaged.
    pub packaging: Option<String>,
    /// 样品形态: solid | semi_solid | liquid | gas.
    pub sample_form: Option<String>,
    /// 样品属性.
    pub sample_attribute: Option<String>,
    /// 样品来源: produced | commissioned | purchased | other.
    pub sample_source: Option<String>,
    /// 抽样方式: aseptic | non_aseptic.
    pub sampling_method: Option<String>,
    /// 单价, as written.
    pub unit_price: Option<String>,
    /// 区域类型: urban | rural | scenic.
    pub area_type: Option<String>,
    /// Drug: 批准文号; cosmetic: 注册证编号或备案编号.
    pub approval_no: Option<String>,
    /// 有效期 (drug, cosmetic).
    pub expiry_date: Option<NaiveDate>,
    /// Drug: 上市许可持有人; cosmetic: 注册人/备案人.
    pub mah: Option<String>,
    /// 剂型.
    pub dosage_form: Option<String>,
    pub version: i32,
}

impl SampleRow {
    pub fn to_sample(&self, sampler_ids: Vec<i64>) -> Sample {
        Sample {
            id: self.id,
            sample_no: self.sample_no.clone(),
            plan_id: self.plan_id,
            entity_id: self.entity_id,
            domain: self.domain.clone(),
            category_code: self.category_code.clone(),
            product_name: self.product_name.clone(),
            brand: self.brand.clone(),
            specification: self.specification.clone(),
            batch_no: self.batch_no.clone(),
            production_date: self.production_date,
            shelf_life: self.shelf_life.clone(),
            manufacturer: self.manufacturer.clone(),
            manufacturer_address: self.manufacturer_address.clone(),
            stage: self.stage.clone(),
            sampled_at: to_local(self.sampled_at),
            place: self.place.clone(),
            sampler_ids,
            quantity: self.quantity.clone(),
            unit: self.unit.clone(),
            backup_quantity: self.backup_quantity.clone(),
            storage: self.storage.clone(),
            price: self.price.clone(),
            notes: self.notes.clone(),
            status: self.status.clone(),
            conclusion: self.conclusion.clone(),
            region_code: self.region_code.clone(),
            registered_by: self.registered_by,
            registered_at: to_local(self.registered_at),
            delivery_due_on: self.delivery_due_on,
            delivery_due_provisional: self.delivery_due_provisional,
            received_at: self.received_at.map(to_local),
            received_by: self.received_by,
            seal_intact: self.seal_intact,
            condition_ok: self.condition_ok,
            receipt_note: self.receipt_note.clone(),
            reject_reason: self.reject_reason.clone(),
            delivered_late: self.delivered_late,
            due_on: self.due_on,
            due_provisional: self.due_provisional,
            reported_at: self.reported_at.map(to_local),
            report_no: self.report_no.clone(),
            base_quantity: self.base_quantity.clone(),
            standard: self.standard.clone(),
            manufacturer_licence_no: self.manufacturer_licence_no.clone(),
            packaging: self.packaging.clone(),
            sample_form: self.sample_form.clone(),
            sample_attribute: self.sample_attribute.clone(),
            sample_source: self.sample_source.clone(),
            sampling_method: self.sampling_method.clone(),
            unit_price: self.unit_price.clone(),
            area_type: self.area_type.clone(),
            approval_no: self.approval_no.clone(),
            expiry_date: self.expiry_date,
            mah: self.mah.clone(),
            dosage_form: self.dosage_form.clone(),
            version: self.version,
        }
    }

    pub fn status(&self) -> AppResult<SampleStatus> {
        self.status.parse().map_err(AppError::internal)
    }
}

impl CheckedSample {
    /// The fields to store, with the delivery deadline computed from them.
    fn values<'a>(
        &'a self,
        production_date: Option<NaiveDate>,
        delivery: Option<&Deadline>,
    ) -> SampleValues<'a> {
        SampleValues {
            plan_id: self.plan.id,
            entity_id: self.entity.id,
            category_code: &self.category_code,
            product_name: &self.product_name,
            brand: self.brand.as_deref(),
            specification: self.specification.as_deref(),
            batch_no: self.batch_no.as_deref(),
            production_date,
            shelf_life: self.shelf_life.as_deref(),
            manufacturer: self.manufacturer.as_deref(),
            manufacturer_address: self.manufacturer_address.as_deref(),
            stage: self.stage.as_str(),
            sampled_at: self.sampled_at,
            place: self.place.as_deref(),
            quantity: &self.quantity,
            unit: &self.unit,
            backup_quantity: self.backup_quantity.as_deref(),
            storage: self.storage.as_str(),
            price: self.price.as_deref(),
            notes: self.notes.as_deref(),
            delivery_due_on: delivery.map(|d| d.date),
            delivery_due_provisional: delivery.is_some_and(|d| d.provisional),
            base_quantity: self.form.base_quantity.as_deref(),
            standard: self.form.standard.as_deref(),
            manufacturer_licence_no: self.form.manufacturer_licence_no.as_deref(),
            packaging: self.form.packaging.map(|v| v.as_str()),
            sample_form: self.form.sample_form.map(|v| v.as_str()),
            sample_attribute: self.form.sample_attribute.as_deref(),
            sample_source: self.form.sample_source.map(|v| v.as_str()),
            sampling_method: self.form.sampling_method.map(|v| v.as_str()),
            unit_price: self.form.unit_price.as_deref(),
            area_type: self.form.area_type.map(|v| v.as_str()),
            approval_no: self.form.approval_no.as_deref(),
            expiry_date: self.form.expiry_date,
            mah: self.form.mah.as_deref(),
            dosage_form: self.form.dosage_form.as_deref(),
        }
    }

    /// The delivery deadline of the sample (rule `delivery_to_lab`).
    fn delivery(&self, conn: &mut DbConnection) -> AppResult<Option<Deadline>> {
        let cal = db::reference::work_calendar(conn)?;
        Ok(self
            .profile
            .as_ref()
            .and_then(|p| p.deadline("delivery_to_lab", local_date(self.sampled_at), &cal)))
    }
}

impl Sample {
    /// Whether the sample is still `registered` (not yet at the lab): the page shows its
    /// delivery deadline rather than its report deadline.
    pub fn is_registered(&self) -> bool {
        self.status.parse() == Ok(SampleStatus::Registered)
    }

    /// The sample's lifecycle state (an unknown stored value reads as none).
    pub fn state(&self) -> Option<SampleStatus> {
        self.status.parse().ok()
    }

    /// Whether the sample's conclusion is non-compliant.
    pub fn is_non_compliant(&self) -> bool {
        self.conclusion.parse() == Ok(Conclusion::NonCompliant)
    }
}

pub(super) fn load_row(conn: &mut DbConnection, sample_no: &str) -> AppResult<SampleRow> {
    db::samples::by_no(conn, sample_no)?.ok_or_else(|| AppError::not_found("样品", "Sample"))
}

/// A sample the actor may see (its region within the actor's scope), else 404.
pub fn visible_row(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<SampleRow> {
    db::samples::visible_by_no(conn, actor.region.as_ref(), sample_no)
}

pub fn get_sample(conn: &mut DbConnection, actor: &Actor, sample_no: &str) -> AppResult<Sample> {
    let row = visible_row(conn, actor, sample_no)?;
    let ids = db::samples::sampler_ids(conn, row.id)?;
    Ok(row.to_sample(ids))
}

/// A sampler registers a sample. The sample number comes from the county's sequence
/// for the sampling year; the delivery deadline from the rule profile.
pub fn register_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: SampleInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    let registered_by = actor.id.ok_or_else(AppError::forbidden)?;
    let c = check_sample(conn, now, actor, &input)?;
    let delivery = c.delivery(conn)?;
    write_tx(conn, |conn| {
        let year = local_date(c.sampled_at).year();
        let seq = db::sequences::next_sample_seq(conn, year, &c.entity.region_code)?;
        if seq > 99_999 {
            return Err(AppError::Conflict(Msg::new(
                "本县本年度样品编号已用尽",
                "This county's sample numbers for the year are used up",
            )));
        }
        let seq = u32::try_from(seq).map_err(AppError::internal)?;
        let no = sample_no(c.domain, year, &c.entity.region_code, seq);
        let new = NewSample {
            sample_no: &no,
            domain: c.domain.as_str(),
            status: SampleStatus::Registered.as_str(),
            conclusion: Conclusion::Pending.as_str(),
            region_code: &c.entity.region_code,
            registered_by,
            values: c.values(input.production_date, delivery.as_ref()),
        };
        let row = db::samples::insert(conn, &new, now)?;
        db::samples::set_samplers(conn, row.id, &c.samplers)?;
        let sample = row.to_sample(c.samplers.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.register",
                entity_kind: "sample",
                entity_id: no.clone(),
                after: Some(to_json(&sample)?),
                ..Change::default()
            },
        )?;
        Ok(sample)
    })
}

/// The body that registers `s` as it stands, for applying a partial edit to it.
fn input_of(s: &Sample) -> SampleInput {
    SampleInput {
        plan_id: s.plan_id,
        entity_id: s.entity_id,
        domain: s.domain.clone(),
        category_code: s.category_code.clone(),
        product_name: s.product_name.clone(),
        brand: s.brand.clone(),
        specification: s.specification.clone(),
        batch_no: s.batch_no.clone(),
        production_date: s.production_date,
        shelf_life: s.shelf_life.clone(),
        manufacturer: s.manufacturer.clone(),
        manufacturer_address: s.manufacturer_address.clone(),
        stage: s.stage.clone(),
        sampled_at: s.sampled_at,
        place: s.place.clone(),
        sampler_ids: s.sampler_ids.clone(),
        quantity: QuantityValue::Text(s.quantity.clone()),
        unit: s.unit.clone(),
        backup_quantity: s.backup_quantity.clone().map(QuantityValue::Text),
        storage: s.storage.clone(),
        price: s.price.clone().map(QuantityValue::Text),
        notes: s.notes.clone(),
        base_quantity: s.base_quantity.clone(),
        standard: s.standard.clone(),
        manufacturer_licence_no: s.manufacturer_licence_no.clone(),
        packaging: s.packaging.clone(),
        sample_form: s.sample_form.clone(),
        sample_attribute: s.sample_attribute.clone(),
        sample_source: s.sample_source.clone(),
        sampling_method: s.sampling_method.clone(),
        unit_price: s.unit_price.clone().map(QuantityValue::Text),
        area_type: s.area_type.clone(),
        approval_no: s.approval_no.clone(),
        expiry_date: s.expiry_date,
        mah: s.mah.clone(),
        dosage_form: s.dosage_form.clone(),
        version: Some(s.version),
    }
}

/// A sampler changes some fields of a sample (API.md's PATCH): the fields sent are
/// laid over the sample as it stands and the whole is checked and stored as by
/// [`update_sample`], which also compares the version sent inside its transaction.
pub fn patch_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_no: &str,
    patch: SamplePatch,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    version_sent(patch.version)?;
    let row = visible_row(conn, actor, sample_no)?;
    let current = row.to_sample(db::samples::sampler_ids(conn, row.id)?);
    update_sample(conn, now, actor, sample_no, patch.apply(input_of(&current)))
}

/// A sampler edits a sample while it is still `registered`, with the version it read.
/// The sample number, plan domain and county stay as registered.
pub fn update_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_no: &str,
    input: SampleInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    let version = version_sent(input.version)?;
    let current = visible_row(conn, actor, sample_no)?;
    transition(current.status()?, SampleAction::Edit).map_err(|_| {
        AppError::Conflict(Msg::new(
            "样品已接收，不能再修改",
            "The sample has left `registered` and can no longer be edited",
        ))
    })?;
    let c = check_sample(conn, now, actor, &input)?;
    if c.entity.region_code != current.region_code || c.domain.as_str() != current.domain {
        return Err(AppError::field(
            "entity_id",
            Msg::new(
                "不能改为其他县区的单位或其他领域（样品编号已按县区生成）",
                "cannot move to another county or domain: the sample number was issued for them",
            ),
        ));
    }
    let delivery = c.delivery(conn)?;
    write_tx(conn, |conn| {
        let before_row = load_row(conn, &current.sample_no)?;
        if before_row.version != version {
            return Err(AppError::stale());
        }
        let before = before_row.to_sample(db::samples::sampler_ids(conn, before_row.id)?);
        let n = db::samples::update_values(
            conn,
            before_row.id,
            version,
            SampleStatus::Registered,
            &c.values(input.production_date, delivery.as_ref()),
            now,
        )?;
        AppError::stale_unless(n)?;
        db::samples::set_samplers(conn, before_row.id, &c.samplers)?;
        let after = load_row(conn, &current.sample_no)?.to_sample(c.samplers.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.update",
                entity_kind: "sample",
                entity_id: current.sample_no.clone(),
                before: Some(to_json(&before)?),
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}
