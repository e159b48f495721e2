//! The audit log: append a row in the same transaction as the change it records, and
//! verify the hash chain. Rows are never updated or deleted (triggers refuse it).

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::db::DbConnection;
use crate::domain::audit_chain::{format_at, row_hash, AuditFields, GENESIS_HASH};
use crate::error::{AppError, AppResult};
use crate::workflow::Actor;

/// An arbitrary but fixed key for PostgreSQL's transaction-scoped advisory lock that
/// serialises appends, so each row links to the one committed before it.
const AUDIT_LOCK_KEY: i64 = 0x4c49_4d53_4155_4454;

/// What one change looked like, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    at: chrono::NaiveDateTime,
    actor_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    entity_kind: &'a str,
    entity_id: &'a str,
    before_json: Option<&'a str>,
    after_json: Option<&'a str>,
    reason: Option<&'a str>,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Appends one row. Call it inside the write transaction of the change.
pub fn append(
    conn: &mut DbConnection,
    at: chrono::NaiveDateTime,
    actor: &Actor,
    change: Change<'_>,
) -> AppResult<()> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))
            .execute(conn)?;
    }
    let prev: Option<String> = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc())
        .first(conn)
        .optional()?;
    let prev = prev.unwrap_or_else(|| GENESIS_HASH.to_string());
    let before = change.before.as_ref().map(|v| v.to_string());
    let after = change.after.as_ref().map(|v| v.to_string());
    let at_text = format_at(at);
    let fields = AuditFields {
        at: &at_text,
        actor_id: actor.id,
        actor: &actor.username,
        action: change.action,
        entity_kind: change.entity_kind,
        entity_id: &change.entity_id,
        before_json: before.as_deref(),
        after_json: after.as_deref(),
        reason: change.reason,
    };
    let hash = row_hash(&prev, &fields);
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            at,
            actor_id: actor.id,
            actor: &actor.username,
            action: change.action,
            entity_kind: change.entity_kind,
            entity_id: &change.entity_id,
            before_json: before.as_deref(),
            after_json: after.as_deref(),
            reason: change.reason,
            prev_hash: &prev,
            hash: &hash,
        })
        .execute(conn)?;
    Ok(())
}

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

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub rows_checked: u64,
    /// The first row whose link or hash does not hold, with the reason.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole chain in id order, a page at a time.
pub fn verify(conn: &mut DbConnection) -> AppResult<VerifyReport> {
    const PAGE: i64 = 1000;
    let mut prev = GENESIS_HASH.to_string();
    let mut last_id = i64::MIN;
    let mut checked = 0u64;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.gt(last_id))
            .order(audit_log::id.asc())
            .limit(PAGE)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            if r.prev_hash != prev {
                return Ok(VerifyReport {
                    rows_checked: checked,
                    first_broken: Some((
                        r.id,
                        "prev_hash does not match the row before it (a row was removed or changed)"
                            .into(),
                    )),
                });
            }
            let at = format_at(r.at);
            let fields = AuditFields {
                at: &at,
                actor_id: r.actor_id,
                actor: &r.actor,
                action: &r.action,
                entity_kind: &r.entity_kind,
                entity_id: &r.entity_id,
                before_json: r.before_json.as_deref(),
                after_json: r.after_json.as_deref(),
                reason: r.reason.as_deref(),
            };
            if row_hash(&r.prev_hash, &fields) != r.hash {
                return Ok(VerifyReport {
                    rows_checked: checked,
                    first_broken: Some((
                        r.id,
                        "its content does not match its hash (the row was edited)".into(),
                    )),
                });
            }
            prev = r.hash.clone();
            checked += 1;
        }
        last_id = rows
            .last()
            .map(|r| r.id)
            .ok_or_else(|| AppError::internal("empty page"))?;
    }
    Ok(VerifyReport {
        rows_checked: checked,
        first_broken: None,
    })
}

/// The audit rows of one entity, newest first (for history views).
pub fn history(
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

/// The newest rows of the whole log.
pub fn recent(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}
