//! The lab figures' queries: reports by turnaround, those still without a stored
//! turnaround, receipts late or not, the overdue samples, and the reads and writes that
//! store a report's turnaround in working days (which SQL cannot count).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Timestamp};

use super::{sliced, Slice};
use crate::db::rollups::{RECEIPT_COUNTS, REPORT_COUNTS};
use crate::db::schema::samples;
use crate::db::sql::{indexed_by, local_day, placeholders};
use crate::db::DbConnection;
use crate::error::AppResult;

/// Reports of one turnaround (working days), provisional or not, on time or not.
#[derive(QueryableByName)]
pub struct TurnRow {
    #[diesel(sql_type = BigInt)]
    pub turnaround_days: i64,
    #[diesel(sql_type = Bool)]
    pub provisional: bool,
    #[diesel(sql_type = Bool)]
    pub on_time: bool,
    #[diesel(sql_type = BigInt)]
    pub reports: i64,
}

/// The reports issued in the period of `s` with a stored turnaround, by turnaround,
/// provisional and on time, from `report_counts` (migration 000009).
pub fn turnarounds(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<TurnRow>> {
    let by = ["turnaround_days", "provisional", "on_time"];
    super::rolled_up(conn, s, &REPORT_COUNTS, &by, true, "")
}

/// Samples received, late or not.
#[derive(QueryableByName)]
pub struct DeliveryRow {
    #[diesel(sql_type = Bool)]
    pub late: bool,
    #[diesel(sql_type = BigInt)]
    pub received: i64,
}

/// The samples received in the period of `s`, late or not, from `receipt_counts`
/// (migration 000009).
pub fn deliveries(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<DeliveryRow>> {
    super::rolled_up(conn, s, &RECEIPT_COUNTS, &["late"], true, "")
}

/// Reports still without a stored turnaround, by receipt day, report day and deadline.
#[derive(QueryableByName)]
pub struct UncountedRow {
    #[diesel(sql_type = Date)]
    pub received_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub reported_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_on: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The reports of the period in `s` that have no stored turnaround (issued before
/// migration 000009 and not yet filled), through their partial index.
pub fn uncounted_reports(conn: &mut DbConnection, s: &Slice) -> AppResult<Vec<UncountedRow>> {
    let b = conn.backend();
    let (recv, rep) = (local_day(b, "received_at"), local_day(b, "reported_at"));
    let indexed = indexed_by(b, "samples_turnaround_missing_idx");
    let sql = format!(
        "SELECT {recv} AS received_on, {rep} AS reported_on, due_on, COUNT(*) AS n \
         FROM samples{indexed} \
         WHERE reported_at >= ? AND reported_at < ? AND region_code LIKE ? \
         AND (? = '' OR domain = ?) AND (? = '' OR category_code = ? OR category_code LIKE ?) \
         AND reported_at IS NOT NULL AND turnaround_days IS NULL AND received_at IS NOT NULL \
         GROUP BY {recv}, {rep}, due_on"
    );
    Ok(sliced(conn, &sql, s).load(conn)?)
}

/// A sample past its report deadline without a report.
#[derive(Debug, Clone, serde::Serialize, Queryable, utoipa::ToSchema)]
pub struct OverdueSample {
    pub sample_no: String,
    pub product_name: String,
    pub region_code: String,
    pub status: String,
    pub due_on: Option<NaiveDate>,
}

/// How many samples in the region of `s` (and its domain) are still open past their
/// report deadline on `today`, and the first `limit` of them by deadline.
pub fn overdue(
    conn: &mut DbConnection,
    s: &Slice,
    today: NaiveDate,
    limit: i64,
) -> AppResult<(i64, Vec<OverdueSample>)> {
    let open = ["received", "testing", "review"];
    let query = || {
        let mut q = samples::table
            .filter(samples::status.eq_any(open))
            .filter(samples::due_on.lt(today))
            .filter(samples::region_code.like(s.like()))
            .into_boxed();
        if let Some(d) = s.domain {
            q = q.filter(samples::domain.eq(d.as_str()));
        }
        q
    };
    let count: i64 = query().count().get_result(conn)?;
    let list: Vec<OverdueSample> = query()
        .order((samples::due_on.asc(), samples::id.asc()))
        .limit(limit)
        .select((
            samples::sample_no,
            samples::product_name,
            samples::region_code,
            samples::status,
            samples::due_on,
        ))
        .load(conn)?;
    Ok((count, list))
}

/// A report's id, receipt and report times, and stored turnaround (days, provisional).
pub type StoredTurnaround = (
    i64,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<i64>,
    bool,
);

/// Up to `limit` received reports without a stored turnaround, through their partial
/// index: this runs at every start, and as an ordinary query SQLite scanned every sample
/// to find none. Each one returned gets stored, so the next call finds the rest.
pub fn missing_turnaround(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<StoredTurnaround>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Nullable<Timestamp>)]
        received_at: Option<NaiveDateTime>,
        #[diesel(sql_type = Nullable<Timestamp>)]
        reported_at: Option<NaiveDateTime>,
    }
    let indexed = indexed_by(conn.backend(), "samples_turnaround_missing_idx");
    let sql = format!(
        "SELECT id, received_at, reported_at FROM samples{indexed} \
         WHERE reported_at IS NOT NULL AND turnaround_days IS NULL \
         AND received_at IS NOT NULL LIMIT ?"
    );
    let rows: Vec<Row> = diesel::sql_query(placeholders(conn, &sql))
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.received_at, r.reported_at, None, false))
        .collect())
}

/// Up to `limit` reports with an id above `after`, reported from `reported_from` and
/// received before `received_before`, by id.
pub fn reports_touching(
    conn: &mut DbConnection,
    after: i64,
    reported_from: NaiveDateTime,
    received_before: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<StoredTurnaround>> {
    Ok(samples::table
        .filter(samples::id.gt(after))
        .filter(samples::reported_at.ge(reported_from))
        .filter(samples::received_at.lt(received_before))
        .order(samples::id.asc())
        .limit(limit)
        .select((
            samples::id,
            samples::received_at,
            samples::reported_at,
            samples::turnaround_days,
            samples::turnaround_provisional,
        ))
        .load(conn)?)
}

/// Stores sample `id`'s turnaround; the triggers of migration 000009 move the counts.
pub fn set_turnaround(
    conn: &mut DbConnection,
    id: i64,
    days: i64,
    provisional: bool,
) -> AppResult<()> {
    diesel::update(samples::table.find(id))
        .set((
            samples::turnaround_days.eq(Some(days)),
            samples::turnaround_provisional.eq(provisional),
        ))
        .execute(conn)?;
    Ok(())
}
