//! The audit log's rows: append one, read the newest, page through the chain in id
//! order, and the reads of history views. The chain's hashing and its checks live in
//! `workflow::audit`; this module only stores and reads.
//!
//! Invariant: appends are serialised so the chain follows commit order. On SQLite the
//! IMMEDIATE write transaction every write runs in does it; on PostgreSQL
//! [`lock_appends`] takes a transaction-scoped advisory lock.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{audit_log, users};
use crate::db::DbConnection;
use crate::domain::audit_chain::AuditFields;
use crate::error::AppResult;

/// An arbitrary but fixed key for PostgreSQL's transaction-scoped advisory lock that
/// serialises appends, so each row links to the one committed before it.
const AUDIT_LOCK_KEY: i64 = 0x4c49_4d53_4155_4454;

/// A stored audit row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The hashed fields of the row, with its time already written as `at`.
    pub fn fields<'a>(&'a self, at: &'a str) -> AuditFields<'a> {
        AuditFields {
            at,
            actor_id: self.actor_id,
            actor: &self.actor,
            action: &self.action,
            entity_kind: &self.entity_kind,
            entity_id: &self.entity_id,
            before_json: self.before_json.as_deref(),
            after_json: self.after_json.as_deref(),
            reason: self.reason.as_deref(),
        }
    }
}

/// A row to append, its hashes computed by the caller.
#[derive(Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow<'a> {
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Serialises appends until the end of the transaction (see the module's invariant).
pub fn lock_appends(conn: &mut DbConnection) -> AppResult<()> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))
            .execute(conn)?;
    }
    Ok(())
}

/// Appends one row. Call it holding [`lock_appends`], inside the change's transaction.
pub fn insert(conn: &mut DbConnection, row: &NewAuditRow<'_>) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The newest row, if any.
pub fn newest(conn: &mut DbConnection) -> AppResult<Option<AuditRow>> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .select(AuditRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many rows the log holds.
pub fn count(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(audit_log::table.count().get_result(conn)?)
}

/// Up to `limit` rows after `last_id`, in id order (one page of a walk of the chain).
pub fn page_after(conn: &mut DbConnection, last_id: i64, limit: i64) -> AppResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .filter(audit_log::id.gt(last_id))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// The rows of one entity, newest first.
pub fn of_entity(
    conn: &mut DbConnection,
    entity_kind: &str,
    entity_id: &str,
) -> AppResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .filter(audit_log::entity_kind.eq(entity_kind))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.desc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// The newest `limit` rows; with `actors_like` (a `LIKE` pattern on users' region
/// codes), only the rows whose actor is a user of such a region.
pub fn newest_rows(
    conn: &mut DbConnection,
    actors_like: Option<String>,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(pattern) = actors_like {
        let inside = users::table
            .filter(users::region_code.like(pattern))
            .select(users::id.nullable());
        q = q.filter(audit_log::actor_id.eq_any(inside));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}
