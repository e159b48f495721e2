//! Samples: the `samples` table with its samplers (`sample_samplers`), and the
//! loaders other stages share (`SampleRow`, [`by_no`], [`sampler_ids`]).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{sample_samplers, samples};
use super::DbConnection;
use crate::domain::local_time::utc_of_local_midnight as start_of_local_day;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::sample::SampleStatus;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = samples)]
pub struct SampleRow {
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
    pub sampled_at: NaiveDateTime,
    pub place: Option<String>,
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
    pub registered_at: NaiveDateTime,
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    pub received_at: Option<NaiveDateTime>,
    pub received_by: Option<i64>,
    pub seal_intact: Option<bool>,
    pub condition_ok: Option<bool>,
    pub receipt_note: Option<String>,
    pub reject_reason: Option<String>,
    pub delivered_late: Option<bool>,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    pub reported_at: Option<NaiveDateTime>,
    pub report_no: Option<String>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    /// The national sampling form's fields, as [`SampleValues`] stores them.
    pub base_quantity: Option<String>,
    pub standard: Option<String>,
    pub manufacturer_licence_no: Option<String>,
    pub packaging: Option<String>,
    pub sample_form: Option<String>,
    pub sample_attribute: Option<String>,
    pub sample_source: Option<String>,
    pub sampling_method: Option<String>,
    pub unit_price: Option<String>,
    pub area_type: Option<String>,
    pub approval_no: Option<String>,
    pub expiry_date: Option<NaiveDate>,
    pub mah: Option<String>,
    pub dosage_form: Option<String>,
}

/// The sample numbered `sample_no`.
pub fn by_no(conn: &mut DbConnection, sample_no: &str) -> AppResult<Option<SampleRow>> {
    Ok(samples::table
        .filter(samples::sample_no.eq(sample_no))
        .select(SampleRow::as_select())
        .first(conn)
        .optional()?)
}

/// The sample numbered `sample_no` if its region lies within `scope` (`None`: the whole
/// province); a sample outside it is as missing as one that does not exist (404), so a
/// scoped user cannot learn which numbers exist elsewhere.
pub fn visible_by_no(
    conn: &mut DbConnection,
    scope: Option<&RegionCode>,
    sample_no: &str,
) -> AppResult<SampleRow> {
    by_no(conn, sample_no.trim())?
        .filter(|s| s.in_scope(scope))
        .ok_or_else(|| AppError::not_found("样品", "Sample"))
}

/// The samplers of a sample, in the order they were named.
pub fn sampler_ids(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<i64>> {
    Ok(sample_samplers::table
        .filter(sample_samplers::sample_id.eq(sample_id))
        .order(sample_samplers::position.asc())
        .select(sample_samplers::user_id)
        .load(conn)?)
}

/// The samplers of several samples: `(sample_id, user_id, position)`.
pub fn samplers_of(conn: &mut DbConnection, sample_ids: &[i64]) -> AppResult<Vec<(i64, i64, i32)>> {
    Ok(sample_samplers::table
        .filter(sample_samplers::sample_id.eq_any(sample_ids))
        .select((
            sample_samplers::sample_id,
            sample_samplers::user_id,
            sample_samplers::position,
        ))
        .load(conn)?)
}

/// Replaces the samplers of a sample with `user_ids`, in that order.
pub fn set_samplers(conn: &mut DbConnection, sample_id: i64, user_ids: &[i64]) -> AppResult<()> {
    diesel::delete(sample_samplers::table.filter(sample_samplers::sample_id.eq(sample_id)))
        .execute(conn)?;
    for (pos, uid) in user_ids.iter().enumerate() {
        diesel::insert_into(sample_samplers::table)
            .values((
                sample_samplers::sample_id.eq(sample_id),
                sample_samplers::user_id.eq(uid),
                sample_samplers::position.eq(i32::try_from(pos).unwrap_or(0)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The fields a sampler sets, at registration and in an edit, checked by the caller.
/// Registration inserts them and an edit writes them, each one (an empty one as NULL).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = samples, treat_none_as_null = true)]
pub struct SampleValues<'a> {
    pub plan_id: i64,
    pub entity_id: i64,
    pub category_code: &'a str,
    pub product_name: &'a str,
    pub brand: Option<&'a str>,
    pub specification: Option<&'a str>,
    pub batch_no: Option<&'a str>,
    pub production_date: Option<NaiveDate>,
    pub shelf_life: Option<&'a str>,
    pub manufacturer: Option<&'a str>,
    pub manufacturer_address: Option<&'a str>,
    pub stage: &'a str,
    pub sampled_at: NaiveDateTime,
    pub place: Option<&'a str>,
    pub quantity: &'a str,
    pub unit: &'a str,
    pub backup_quantity: Option<&'a str>,
    pub storage: &'a str,
    pub price: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    /// The national sampling form's fields; the vocabularies as their keys.
    pub base_quantity: Option<&'a str>,
    pub standard: Option<&'a str>,
    pub manufacturer_licence_no: Option<&'a str>,
    pub packaging: Option<&'a str>,
    pub sample_form: Option<&'a str>,
    pub sample_attribute: Option<&'a str>,
    pub sample_source: Option<&'a str>,
    pub sampling_method: Option<&'a str>,
    pub unit_price: Option<&'a str>,
    pub area_type: Option<&'a str>,
    pub approval_no: Option<&'a str>,
    pub expiry_date: Option<NaiveDate>,
    pub mah: Option<&'a str>,
    pub dosage_form: Option<&'a str>,
}

/// A new sample: its number and what registration fixes, then the sampler's fields.
pub struct NewSample<'a> {
    pub sample_no: &'a str,
    pub domain: &'a str,
    pub status: &'a str,
    pub conclusion: &'a str,
    pub region_code: &'a str,
    pub registered_by: i64,
    pub values: SampleValues<'a>,
}

/// Inserts a sample at version 1 and returns it.
pub fn insert(conn: &mut DbConnection, s: &NewSample, now: NaiveDateTime) -> AppResult<SampleRow> {
    diesel::insert_into(samples::table)
        .values((
            &s.values,
            (
                samples::sample_no.eq(s.sample_no),
                samples::domain.eq(s.domain),
                samples::status.eq(s.status),
                samples::conclusion.eq(s.conclusion),
                samples::region_code.eq(s.region_code),
                samples::registered_by.eq(s.registered_by),
                samples::registered_at.eq(now),
                samples::due_provisional.eq(false),
                samples::version.eq(1),
                samples::updated_at.eq(now),
            ),
        ))
        .execute(conn)?;
    Ok(samples::table
        .filter(samples::sample_no.eq(s.sample_no))
        .select(SampleRow::as_select())
        .first(conn)?)
}

/// Stores the sampler's fields over sample `id` if it is still at `version` and in
/// `status`; the rows changed.
pub fn update_values(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    status: SampleStatus,
    v: &SampleValues,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        samples::table
            .find(id)
            .filter(samples::version.eq(version))
            .filter(samples::status.eq(status.as_str())),
    )
    .set((
        v,
        samples::version.eq(version + 1),
        samples::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// What the custodian records at receipt (or rejection).
pub struct Receipt<'a> {
    pub status: SampleStatus,
    pub received_by: i64,
    pub seal_intact: bool,
    pub condition_ok: bool,
    pub note: Option<&'a str>,
    pub reject_reason: Option<&'a str>,
    pub delivered_late: Option<bool>,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
}

/// Records a receipt on sample `id` if it is still at `version`; the rows changed.
pub fn record_receipt(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    r: &Receipt,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(
        diesel::update(samples::table.find(id).filter(samples::version.eq(version)))
            .set((
                samples::status.eq(r.status.as_str()),
                samples::received_at.eq(Some(now)),
                samples::received_by.eq(Some(r.received_by)),
                samples::seal_intact.eq(Some(r.seal_intact)),
                samples::condition_ok.eq(Some(r.condition_ok)),
                samples::receipt_note.eq(r.note),
                samples::reject_reason.eq(r.reject_reason),
                samples::delivered_late.eq(r.delivered_late),
                samples::due_on.eq(r.due_on),
                samples::due_provisional.eq(r.due_provisional),
                samples::version.eq(version + 1),
                samples::updated_at.eq(now),
            ))
            .execute(conn)?,
    )
}

/// Samples with a provisional delivery or report deadline.
pub fn with_provisional_deadlines(conn: &mut DbConnection) -> AppResult<Vec<SampleRow>> {
    Ok(samples::table
        .filter(
            samples::delivery_due_provisional
                .eq(true)
                .or(samples::due_provisional.eq(true)),
        )
        .select(SampleRow::as_select())
        .load(conn)?)
}

/// A sample's two deadlines and whether each is provisional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
}

pub fn set_deadlines(
    conn: &mut DbConnection,
    id: i64,
    d: &Deadlines,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(samples::table.find(id))
        .set((
            samples::delivery_due_on.eq(d.delivery_due_on),
            samples::delivery_due_provisional.eq(d.delivery_due_provisional),
            samples::due_on.eq(d.due_on),
            samples::due_provisional.eq(d.due_provisional),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a sample list is filtered by (all checked by the caller).
pub struct SampleQuery<'a> {
    /// The actor's scope.
    pub scope: Option<&'a RegionCode>,
    /// A region asked for: it and everything below it.
    pub region: Option<&'a RegionCode>,
    pub status: Option<&'a str>,
    pub conclusion: Option<&'a str>,
    pub plan_id: Option<i64>,
    /// Sampled on or after this local date.
    pub from: Option<NaiveDate>,
    /// Sampled on or before this local date.
    pub to: Option<NaiveDate>,
    /// Sample number, product name or brand contains this, or the entity is among
    /// `entity_ids`.
    pub text: Option<&'a str>,
    pub entity_ids: &'a [i64],
    /// Only samples past a deadline on this local date.
    pub overdue_on: Option<NaiveDate>,
}

/// One page of samples, newest first, and the count of all that match.
pub fn list(
    conn: &mut DbConnection,
    f: &SampleQuery,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<SampleRow>, i64)> {
    let build = || {
        let mut q = samples::table.into_boxed();
        if let Some(scope) = f.scope {
            q = q.filter(samples::region_code.like(format!("{}%", scope.like_prefix())));
        }
        if let Some(r) = f.region {
            q = q.filter(samples::region_code.like(format!("{}%", r.like_prefix())));
        }
        if let Some(s) = f.status {
            q = q.filter(samples::status.eq(s.to_string()));
        }
        if let Some(c) = f.conclusion {
            q = q.filter(samples::conclusion.eq(c.to_string()));
        }
        if let Some(p) = f.plan_id {
            q = q.filter(samples::plan_id.eq(p));
        }
        if let Some(d) = f.from {
            q = q.filter(samples::sampled_at.ge(start_of_local_day(d)));
        }
        if let Some(d) = f.to {
            q = q.filter(samples::sampled_at.lt(start_of_local_day(d + chrono::Duration::days(1))));
        }
        if let Some(text) = f.text {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            q = q.filter(
                samples::sample_no
                    .like(pat.to_uppercase())
                    .or(samples::product_name.like(pat.clone()))
                    .or(samples::brand.like(pat))
                    .or(samples::entity_id.eq_any(f.entity_ids.to_vec())),
            );
        }
        if let Some(today) = f.overdue_on {
            let testing = [
                SampleStatus::Received.as_str(),
                SampleStatus::Testing.as_str(),
                SampleStatus::Review.as_str(),
            ];
            q = q.filter(
                samples::status
                    .eq(SampleStatus::Registered.as_str())
                    .and(samples::delivery_due_on.lt(today))
                    .or(samples::status
                        .eq_any(testing)
                        .and(samples::due_on.lt(today))),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order((samples::registered_at.desc(), samples::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(SampleRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The sample with id `id`.
pub fn by_id(conn: &mut DbConnection, id: i64) -> AppResult<SampleRow> {
    Ok(samples::table
        .find(id)
        .select(SampleRow::as_select())
        .first(conn)?)
}

impl SampleRow {
    /// Whether the sample's region lies within `scope` (`None`: the whole province).
    pub fn in_scope(&self, scope: Option<&RegionCode>) -> bool {
        RegionCode::parse(&self.region_code).is_ok_and(|r| scope_covers(scope, &r))
    }
}
