//! Batch downloads of reports (`report_batches`): the request, its progress and the file.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::report_batches;
use crate::db::DbConnection;
use crate::domain::states::BatchStatus;
use crate::error::{AppError, AppResult};

/// A stored batch, without its file.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = report_batches)]
pub struct BatchRow {
    pub id: i64,
    pub requested_by: i64,
    pub format: String,
    pub total: i32,
    pub done: i32,
    pub status: String,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl BatchRow {
    /// The stored state; a value outside the vocabulary is a fault of the database.
    pub fn state(&self) -> AppResult<BatchStatus> {
        self.status.parse().map_err(AppError::internal)
    }
}

fn names(states: &[BatchStatus]) -> Vec<&'static str> {
    states.iter().map(|s| s.as_str()).collect()
}

pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Option<BatchRow>> {
    Ok(report_batches::table
        .find(id)
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many batches of `user` are queued or running.
pub fn open_count(conn: &mut DbConnection, user: i64) -> AppResult<i64> {
    Ok(report_batches::table
        .filter(report_batches::requested_by.eq(user))
        .filter(report_batches::status.eq_any(names(BatchStatus::OPEN)))
        .count()
        .get_result(conn)?)
}

/// Queues a batch; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    user: i64,
    format: &str,
    report_nos_json: &str,
    total: i32,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(diesel::insert_into(report_batches::table)
        .values((
            report_batches::requested_by.eq(user),
            report_batches::format.eq(format),
            report_batches::report_nos.eq(report_nos_json),
            report_batches::total.eq(total),
            report_batches::done.eq(0),
            report_batches::status.eq(BatchStatus::Queued.as_str()),
            report_batches::created_at.eq(now),
        ))
        .returning(report_batches::id)
        .get_result(conn)?)
}

/// The finished batches that ended before `before`, oldest first.
pub fn finished_before(conn: &mut DbConnection, before: NaiveDateTime) -> AppResult<Vec<i64>> {
    Ok(report_batches::table
        .filter(report_batches::status.eq_any(names(BatchStatus::FINISHED)))
        .filter(report_batches::finished_at.lt(before))
        .select(report_batches::id)
        .order(report_batches::id.asc())
        .load(conn)?)
}

pub fn delete(conn: &mut DbConnection, ids: &[i64]) -> AppResult<()> {
    diesel::delete(report_batches::table.filter(report_batches::id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// The built file, once there is one.
pub fn result(conn: &mut DbConnection, id: i64) -> AppResult<Option<Vec<u8>>> {
    Ok(report_batches::table
        .find(id)
        .select(report_batches::result)
        .first(conn)?)
}

/// Batches queued or running, oldest first.
pub fn unfinished(conn: &mut DbConnection) -> AppResult<Vec<i64>> {
    Ok(report_batches::table
        .filter(report_batches::status.eq_any(names(BatchStatus::OPEN)))
        .order(report_batches::id.asc())
        .select(report_batches::id)
        .load(conn)?)
}

/// Claims a batch in one of `from` for a worker: it becomes running with no progress.
/// Rows changed (0: another worker has it, or it is finished).
pub fn claim(conn: &mut DbConnection, id: i64, from: &[BatchStatus]) -> AppResult<usize> {
    Ok(diesel::update(
        report_batches::table
            .find(id)
            .filter(report_batches::status.eq_any(names(from))),
    )
    .set((
        report_batches::status.eq(BatchStatus::Running.as_str()),
        report_batches::done.eq(0),
    ))
    .execute(conn)?)
}

/// Records the end of a batch: its state, the error or the file.
pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    status: BatchStatus,
    error: Option<&str>,
    result: Option<&[u8]>,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(report_batches::table.find(id))
        .set((
            report_batches::status.eq(status.as_str()),
            report_batches::error.eq(error),
            report_batches::result.eq(result),
            report_batches::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The report numbers (a JSON list) and format of a batch.
pub fn request(conn: &mut DbConnection, id: i64) -> AppResult<(String, String)> {
    Ok(report_batches::table
        .find(id)
        .select((report_batches::report_nos, report_batches::format))
        .first(conn)?)
}

pub fn set_done(conn: &mut DbConnection, id: i64, done: i32) -> AppResult<()> {
    diesel::update(report_batches::table.find(id))
        .set(report_batches::done.eq(done))
        .execute(conn)?;
    Ok(())
}
