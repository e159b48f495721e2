//! Rapid screenings (你送我检): the `screenings` table and their results
//! (`screening_results`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{screening_results, screenings};
use super::DbConnection;
use crate::domain::region::RegionCode;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = screenings)]
pub struct ScreeningRecord {
    pub id: i64,
    pub screening_no: String,
    pub item_name: String,
    pub item_source: String,
    pub region_code: String,
    pub received_by: i64,
    pub received_at: NaiveDateTime,
}

/// One stored result: `(test_name, method, result_text, verdict, recorded_by,
/// recorded_at)`.
pub type ResultRecord = (String, String, String, String, i64, NaiveDateTime);

pub fn by_no(conn: &mut DbConnection, no: &str) -> AppResult<Option<ScreeningRecord>> {
    Ok(screenings::table
        .filter(screenings::screening_no.eq(no))
        .select(ScreeningRecord::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> AppResult<ScreeningRecord> {
    Ok(screenings::table
        .find(id)
        .select(ScreeningRecord::as_select())
        .first(conn)?)
}

/// The results of a screening in the order they were recorded.
pub fn results_of(conn: &mut DbConnection, screening_id: i64) -> AppResult<Vec<ResultRecord>> {
    Ok(screening_results::table
        .filter(screening_results::screening_id.eq(screening_id))
        .order(screening_results::id.asc())
        .select((
            screening_results::test_name,
            screening_results::method,
            screening_results::result_text,
            screening_results::verdict,
            screening_results::recorded_by,
            screening_results::recorded_at,
        ))
        .load(conn)?)
}

/// Inserts a screening under a unique placeholder number and returns its id; the
/// caller then gives it its number ([`set_number`]), which is made from the id.
pub fn insert(
    conn: &mut DbConnection,
    item_name: &str,
    item_source: &str,
    region_code: &str,
    received_by: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(diesel::insert_into(screenings::table)
        .values((
            screenings::screening_no.eq(format!("pending-{:016x}", rand::random::<u64>())),
            screenings::item_name.eq(item_name),
            screenings::item_source.eq(item_source),
            screenings::region_code.eq(region_code),
            screenings::received_by.eq(received_by),
            screenings::received_at.eq(now),
            screenings::updated_at.eq(now),
        ))
        .returning(screenings::id)
        .get_result(conn)?)
}

pub fn set_number(conn: &mut DbConnection, id: i64, no: &str) -> AppResult<()> {
    diesel::update(screenings::table.find(id))
        .set(screenings::screening_no.eq(no))
        .execute(conn)?;
    Ok(())
}

/// What one rapid test gave.
pub struct NewResult<'a> {
    pub test_name: &'a str,
    pub method: &'a str,
    pub result_text: &'a str,
    pub verdict: &'a str,
}

pub fn insert_result(
    conn: &mut DbConnection,
    screening_id: i64,
    r: &NewResult,
    recorded_by: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(screening_results::table)
        .values((
            screening_results::screening_id.eq(screening_id),
            screening_results::test_name.eq(r.test_name),
            screening_results::method.eq(r.method),
            screening_results::result_text.eq(r.result_text),
            screening_results::verdict.eq(r.verdict),
            screening_results::recorded_by.eq(recorded_by),
            screening_results::recorded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest screenings within `scope`, newest first, at most `limit`.
pub fn latest(
    conn: &mut DbConnection,
    scope: Option<&RegionCode>,
    limit: i64,
) -> AppResult<Vec<ScreeningRecord>> {
    let mut q = screenings::table.into_boxed();
    if let Some(r) = scope {
        q = q.filter(screenings::region_code.like(format!("{}%", r.like_prefix())));
    }
    Ok(q.order(screenings::id.desc())
        .limit(limit)
        .select(ScreeningRecord::as_select())
        .load(conn)?)
}
