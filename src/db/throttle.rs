//! The rows of throttling: login attempts (`login_attempts`) and fixed-window request
//! counts (`rate_counts`). The limits themselves are `workflow::throttle`'s.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::schema::{login_attempts, rate_counts};
use crate::db::{placeholders, DbConnection};
use crate::error::AppResult;

/// Namespace of the PostgreSQL advisory locks that serialise one client's attempts
/// (the two-key form, which does not overlap the audit log's one-key lock).
const CLIENT_LOCK_CLASS: i32 = 0x4c4f_4749; // "LOGI"

/// Serialises the login transactions of one client: on SQLite every write transaction
/// is (`BEGIN IMMEDIATE`); on PostgreSQL an advisory lock on the client key does it.
pub fn lock_client(conn: &mut DbConnection, client: &str) -> AppResult<()> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<Integer, _>(CLIENT_LOCK_CLASS)
            .bind::<Text, _>(client)
            .execute(conn)?;
    }
    Ok(())
}

/// Failed (or still pending) attempts from `client` since `since`, for `username` when
/// given; with `settled_only` pending ones are left out.
pub fn failures(
    conn: &mut DbConnection,
    client: &str,
    username: Option<&str>,
    since: NaiveDateTime,
    settled_only: bool,
) -> AppResult<i64> {
    let mut q = failed_since(client, username, since);
    if settled_only {
        q = q.filter(login_attempts::pending.eq(false));
    }
    Ok(q.count().get_result(conn)?)
}

/// The time of the oldest failure from `client` (for `username` when given) since
/// `since`.
pub fn oldest_failure(
    conn: &mut DbConnection,
    client: &str,
    username: Option<&str>,
    since: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    Ok(failed_since(client, username, since)
        .select(diesel::dsl::min(login_attempts::at))
        .first(conn)?)
}

/// The failed (or pending) attempts from `client` after `since`, of `username` when
/// given: what `failures` counts and `oldest_failure` dates.
fn failed_since<'a>(
    client: &'a str,
    username: Option<&'a str>,
    since: NaiveDateTime,
) -> login_attempts::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let mut q = login_attempts::table
        .filter(login_attempts::client.eq(client))
        .filter(login_attempts::at.gt(since))
        .filter(login_attempts::success.eq(false))
        .into_boxed();
    if let Some(u) = username {
        q = q.filter(login_attempts::username.eq(u));
    }
    q
}

/// Writes a pending failure of `username` from `client` at `now`; answers its id.
pub fn insert_pending(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    username: &str,
    client: &str,
) -> AppResult<i64> {
    Ok(diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::at.eq(now),
            login_attempts::success.eq(false),
            login_attempts::client.eq(client),
            login_attempts::pending.eq(true),
        ))
        .returning(login_attempts::id)
        .get_result(conn)?)
}

/// Deletes the attempt `id` if it is still pending.
pub fn delete_pending(conn: &mut DbConnection, id: i64) -> AppResult<()> {
    diesel::delete(
        login_attempts::table
            .filter(login_attempts::id.eq(id))
            .filter(login_attempts::pending.eq(true)),
    )
    .execute(conn)?;
    Ok(())
}

/// Settles the attempt `id` as a success or a failure.
pub fn settle(conn: &mut DbConnection, id: i64, success: bool) -> AppResult<()> {
    diesel::update(login_attempts::table.filter(login_attempts::id.eq(id)))
        .set((
            login_attempts::success.eq(success),
            login_attempts::pending.eq(false),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Hits {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    hits: i32,
}

/// Counts one request under `bucket` in the window starting at `window_start`; false
/// (and nothing counted) when `limit` requests were counted there already. One
/// statement, atomic on both backends.
pub fn count_hit(
    conn: &mut DbConnection,
    bucket: &str,
    window_start: i64,
    limit: i32,
) -> AppResult<bool> {
    let sql = placeholders(
        conn,
        "INSERT INTO rate_counts (bucket, window_start, hits) VALUES (?, ?, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counts.hits + 1 \
         WHERE rate_counts.hits < ? RETURNING hits",
    );
    let rows: Vec<Hits> = diesel::sql_query(sql)
        .bind::<Text, _>(bucket)
        .bind::<BigInt, _>(window_start)
        .bind::<Integer, _>(limit)
        .load(conn)?;
    Ok(!rows.is_empty())
}

/// Deletes the login attempts made at or before `attempts_until` and the counts of
/// windows starting before `windows_before`; answers how many of each.
pub fn prune(
    conn: &mut DbConnection,
    attempts_until: NaiveDateTime,
    windows_before: i64,
) -> AppResult<(usize, usize)> {
    let attempts =
        diesel::delete(login_attempts::table.filter(login_attempts::at.le(attempts_until)))
            .execute(conn)?;
    let counts =
        diesel::delete(rate_counts::table.filter(rate_counts::window_start.lt(windows_before)))
            .execute(conn)?;
    Ok((attempts, counts))
}
