//! Gap-free number sequences: one counter row per key, bumped inside the caller's write
//! transaction. A rolled-back write rolls its number back too, and concurrent writers
//! queue on the counter row, so numbers are never skipped nor issued twice.

use diesel::sql_types::{Integer, Text};
use diesel::RunQueryDsl;

use super::{placeholders, DbConnection};
use crate::error::AppResult;

/// One key column's value of a counter row.
enum Key<'a> {
    Int(i32),
    Text(&'a str),
}

/// The row a counter read returns.
#[derive(diesel::QueryableByName)]
struct Counter {
    #[diesel(sql_type = Integer)]
    last_value: i32,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// `sql` with the key values bound in order.
fn bound<'a>(
    sql: String,
    keys: &'a [(&'static str, Key<'a>)],
) -> diesel::query_builder::BoxedSqlQuery<'a, Backend, diesel::query_builder::SqlQuery> {
    let mut q = diesel::sql_query(sql).into_boxed::<Backend>();
    for (_, key) in keys {
        q = match key {
            Key::Int(v) => q.bind::<Integer, _>(*v),
            Key::Text(v) => q.bind::<Text, _>(*v),
        };
    }
    q
}

/// Creates the counter row of `keys` in `table` at 0 when missing, adds one and returns
/// the new value (two statements: the bump answers its value with RETURNING). `table` and the key column names are this module's constants, never
/// input.
fn bump(
    conn: &mut DbConnection,
    table: &'static str,
    keys: &[(&'static str, Key<'_>)],
) -> AppResult<i32> {
    let columns: Vec<&str> = keys.iter().map(|(c, _)| *c).collect();
    let marks = vec!["?"; keys.len()].join(", ");
    let matches = columns
        .iter()
        .map(|c| format!("{c} = ?"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let insert = placeholders(
        conn,
        &format!(
            "INSERT INTO {table} ({}, last_value) VALUES ({marks}, 0) ON CONFLICT DO NOTHING",
            columns.join(", ")
        ),
    );
    let update = placeholders(
        conn,
        &format!(
            "UPDATE {table} SET last_value = last_value + 1 WHERE {matches} RETURNING last_value"
        ),
    );
    bound(insert, keys).execute(conn)?;
    let row: Counter = bound(update, keys).get_result(conn)?;
    Ok(row.last_value)
}

/// The next sample number of `county` in `year` (`sample_sequences`).
pub fn next_sample_seq(conn: &mut DbConnection, year: i32, county: &str) -> AppResult<i32> {
    bump(
        conn,
        "sample_sequences",
        &[("year", Key::Int(year)), ("county_code", Key::Text(county))],
    )
}

/// The next report number of `year` (`report_sequences`).
pub fn next_report_seq(conn: &mut DbConnection, year: i32) -> AppResult<i32> {
    bump(conn, "report_sequences", &[("year", Key::Int(year))])
}
