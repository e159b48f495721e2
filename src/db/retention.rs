//! Retained backup portions (留样): the `retentions` table, one row per sample.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{not, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::schema::{disposal_cases, retentions, samples};
use super::DbConnection;
use crate::domain::region::RegionCode;
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = retentions)]
pub struct RetentionRow {
    pub sample_id: i64,
    pub place: String,
    pub keep_until: Option<NaiveDate>,
    pub recorded_by: i64,
    pub recorded_at: NaiveDateTime,
    pub discarded_at: Option<NaiveDateTime>,
    pub discarded_by: Option<i64>,
    pub discard_reason: Option<String>,
    pub version: i32,
}

/// A disposal case (row of `disposal_cases`) that needs the sample's backup portion: it
/// is open, or a re-examination was requested and has neither a result nor a refusal
/// (requested, or accepted and not yet tested). The backup portion is what the
/// re-examination tests, so it is kept until the case is closed and no re-examination
/// is pending, whatever its keep-until date says. Each re-examination step is recorded
/// at most once per case (`domain::disposal::check_event`). One SQL predicate, so the
/// discard and the list cannot disagree.
pub const HELD_BY_CASE: &str = "(disposal_cases.status = 'open' OR (\
EXISTS (SELECT 1 FROM disposal_events r WHERE r.case_id = disposal_cases.id \
AND r.kind = 'recheck_requested') \
AND NOT EXISTS (SELECT 1 FROM disposal_events d WHERE d.case_id = disposal_cases.id \
AND (d.kind = 'recheck_result' OR (d.kind = 'recheck_accepted' AND d.accepted = false)))))";

/// The retention of sample `sample_id`, if one was recorded.
pub fn find(conn: &mut DbConnection, sample_id: i64) -> AppResult<Option<RetentionRow>> {
    Ok(retentions::table
        .find(sample_id)
        .select(RetentionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The first disposal case of the sample that still needs its backup portion
/// ([`HELD_BY_CASE`]): its number, report number and status.
pub fn holding_case(
    conn: &mut DbConnection,
    sample_id: i64,
) -> AppResult<Option<(i64, String, String)>> {
    Ok(disposal_cases::table
        .filter(disposal_cases::sample_id.eq(sample_id))
        .filter(sql::<Bool>(HELD_BY_CASE))
        .order(disposal_cases::id.asc())
        .select((
            disposal_cases::id,
            disposal_cases::report_no,
            disposal_cases::status,
        ))
        .first(conn)
        .optional()?)
}

/// Records where the backup portion of `sample_id` is kept, at version 1.
pub fn insert(
    conn: &mut DbConnection,
    sample_id: i64,
    place: &str,
    keep_until: Option<NaiveDate>,
    recorded_by: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(retentions::table)
        .values((
            retentions::sample_id.eq(sample_id),
            retentions::place.eq(place),
            retentions::keep_until.eq(keep_until),
            retentions::recorded_by.eq(recorded_by),
            retentions::recorded_at.eq(now),
            retentions::version.eq(1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a kept (not discarded) backup portion still at `version`; the rows changed.
pub fn move_place(
    conn: &mut DbConnection,
    sample_id: i64,
    version: i32,
    place: &str,
    keep_until: Option<NaiveDate>,
    recorded_by: i64,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        retentions::table
            .find(sample_id)
            .filter(retentions::version.eq(version))
            .filter(retentions::discarded_at.is_null()),
    )
    .set((
        retentions::place.eq(place),
        retentions::keep_until.eq(keep_until),
        retentions::recorded_by.eq(recorded_by),
        retentions::recorded_at.eq(now),
        retentions::version.eq(version + 1),
    ))
    .execute(conn)?)
}

/// Sets the keep-until date of a retention still at `version`; the rows changed.
pub fn set_keep_until(
    conn: &mut DbConnection,
    sample_id: i64,
    version: i32,
    keep_until: NaiveDate,
) -> AppResult<usize> {
    Ok(diesel::update(
        retentions::table
            .find(sample_id)
            .filter(retentions::version.eq(version)),
    )
    .set((
        retentions::keep_until.eq(Some(keep_until)),
        retentions::version.eq(version + 1),
    ))
    .execute(conn)?)
}

/// Marks a kept backup portion still at `version` discarded; the rows changed.
pub fn discard(
    conn: &mut DbConnection,
    sample_id: i64,
    version: i32,
    keep_until: NaiveDate,
    by: i64,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        retentions::table
            .find(sample_id)
            .filter(retentions::version.eq(version))
            .filter(retentions::discarded_at.is_null()),
    )
    .set((
        retentions::keep_until.eq(Some(keep_until)),
        retentions::discarded_at.eq(Some(now)),
        retentions::discarded_by.eq(Some(by)),
        retentions::discard_reason.eq(Some(reason)),
        retentions::version.eq(version + 1),
    ))
    .execute(conn)?)
}

/// Kept backup portions whose keep-until date is on or before `until`, of samples within
/// `scope` whose disposal cases no longer hold them, soonest first: each with the
/// sample's number, product name and conclusion.
pub fn discardable(
    conn: &mut DbConnection,
    until: NaiveDate,
    scope: Option<&RegionCode>,
) -> AppResult<Vec<(RetentionRow, String, String, String)>> {
    let mut q = retentions::table
        .inner_join(samples::table)
        .filter(retentions::discarded_at.is_null())
        .filter(retentions::keep_until.le(until))
        .filter(not(sql::<Bool>(&format!(
            "EXISTS (SELECT 1 FROM disposal_cases WHERE disposal_cases.sample_id = samples.id AND {HELD_BY_CASE})"
        ))))
        .into_boxed();
    if let Some(scope) = scope {
        q = q.filter(samples::region_code.like(format!("{}%", scope.like_prefix())));
    }
    Ok(
        q.order((retentions::keep_until.asc(), samples::sample_no.asc()))
            .select((
                RetentionRow::as_select(),
                samples::sample_no,
                samples::product_name,
                samples::conclusion,
            ))
            .load(conn)?,
    )
}
