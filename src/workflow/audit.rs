//! The audit log: append a row in the same transaction as the change it records, verify
//! the hash chain, and sign its head as a checkpoint to keep outside the database.
//! Rows are never updated or deleted (triggers refuse it).
//!
//! Invariant: every row appended by this version is keyed (HMAC under the audit key,
//! which the process holds and the database never does); the first keyed row is the
//! `audit.chain_keyed` row, and only rows before it may carry the older unkeyed hash.

use std::path::Path;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

use crate::db::audit::{lock_appends, NewAuditRow};
use crate::db::DbConnection;
use crate::domain::audit_chain::{
    checkpoint_mac, checkpoint_mac_matches, format_at, keyed_hash_matches, keyed_row_hash,
    row_hash, AuditFields, AuditKey, Head, GENESIS_HASH, KEYED_START,
};
use crate::error::{AppError, AppResult};
use crate::workflow::Actor;

/// The key this process appends and verifies with, derived from the server secret at
/// start ([`use_secret`]). One process serves one database with one secret, so it is
/// held once rather than threaded through every use case that appends a row.
static KEY: RwLock<Option<AuditKey>> = RwLock::new(None);

/// Derives the audit key from the server secret and keeps it for this process. The
/// server and every command call it once the configuration is read. A process keeps one
/// key: a second call with another secret is refused, so no row is ever appended under
/// a key other than the one the rest of the process verifies with.
pub fn use_secret(secret: &[u8]) -> AppResult<()> {
    let key = AuditKey::derive(secret);
    let mut k = KEY.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &*k {
        Some(held) if *held != key => Err(AppError::internal(
            "this process already holds an audit key from another secret",
        )),
        _ => {
            *k = Some(key);
            Ok(())
        }
    }
}

/// The key set by [`use_secret`]; without it nothing can be appended, rather than
/// appended unkeyed.
pub fn key() -> AppResult<AuditKey> {
    let k = KEY
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    k.ok_or_else(|| AppError::internal("the audit key is not set (audit::use_secret)"))
}

pub use crate::db::audit::AuditRow;

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

/// Appends one row. Call it inside the write transaction of the change.
pub fn append(
    conn: &mut DbConnection,
    at: chrono::NaiveDateTime,
    actor: &Actor,
    change: Change<'_>,
) -> AppResult<()> {
    lock_appends(conn)?;
    let key = key()?;
    let prev = keyed_head(conn, at, &key)?;
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
    let hash = keyed_row_hash(&key, &prev, &fields);
    crate::db::audit::insert(
        conn,
        &NewAuditRow {
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
        },
    )
}

/// The hash the next row links to. When the newest row is not keyed (an empty log, or
/// one written before the chain was keyed) it first appends the keyed start row, so
/// that every row after it is keyed. Call it holding the append lock.
fn keyed_head(
    conn: &mut DbConnection,
    at: chrono::NaiveDateTime,
    key: &AuditKey,
) -> AppResult<String> {
    let newest = crate::db::audit::newest(conn)?;
    if let Some(r) = &newest {
        let at_text = format_at(r.at);
        if keyed_hash_matches(key, &r.prev_hash, &r.fields(&at_text), &r.hash) {
            return Ok(r.hash.clone());
        }
    }
    let prev = newest.map_or_else(|| GENESIS_HASH.to_string(), |r| r.hash);
    let unkeyed = crate::db::audit::count(conn)?;
    let after = serde_json::json!({ "unkeyed_rows": unkeyed }).to_string();
    let at_text = format_at(at);
    let actor = Actor::system();
    let fields = AuditFields {
        at: &at_text,
        actor_id: None,
        actor: &actor.username,
        action: KEYED_START,
        entity_kind: "audit_log",
        entity_id: "",
        before_json: None,
        after_json: Some(&after),
        reason: None,
    };
    let hash = keyed_row_hash(key, &prev, &fields);
    crate::db::audit::insert(
        conn,
        &NewAuditRow {
            at,
            actor_id: None,
            actor: &actor.username,
            action: KEYED_START,
            entity_kind: "audit_log",
            entity_id: "",
            before_json: None,
            after_json: Some(&after),
            reason: None,
            prev_hash: &prev,
            hash: &hash,
        },
    )?;
    Ok(hash)
}

/// Makes sure the chain is keyed from here on: appends the keyed start row unless the
/// newest row is keyed already. The server and `lims migrate` call it at start, so an
/// upgraded database is marked before anything else is written.
pub fn start_keyed_chain(conn: &mut DbConnection, at: chrono::NaiveDateTime) -> AppResult<()> {
    let key = key()?;
    crate::db::write_tx(conn, |c| {
        lock_appends(c)?;
        keyed_head(c, at, &key).map(|_| ())
    })
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub rows_checked: u64,
    /// The first row whose link or hash does not hold, with the reason. For rows
    /// missing at or before a checkpoint, the checkpoint's last row.
    pub first_broken: Option<(i64, String)>,
    /// The keyed start row: rows before it carry the older unkeyed hash.
    pub keyed_from: Option<i64>,
    /// The newest row verified and its hash (the head a checkpoint signs).
    #[serde(skip)]
    pub head: Option<(i64, String)>,
}

impl VerifyReport {
    fn broken(&self, id: i64, why: &str) -> VerifyReport {
        VerifyReport {
            first_broken: Some((id, why.to_string())),
            ..self.clone()
        }
    }
}

/// Walks the whole chain with this process's key ([`use_secret`]).
pub fn verify(conn: &mut DbConnection) -> AppResult<VerifyReport> {
    verify_with(conn, &key()?, None)
}

/// Walks the whole chain in id order, a page at a time. Rows up to the keyed start row
/// must link by the unkeyed hash, the start row and every row after it by the keyed one;
/// a log that is not empty must have the start row. With a checkpoint, the row it names
/// must be there with the hash it signed, after exactly as many rows as it counted.
pub fn verify_with(
    conn: &mut DbConnection,
    key: &AuditKey,
    checkpoint: Option<&Head>,
) -> AppResult<VerifyReport> {
    const PAGE: i64 = 1000;
    let mut prev = GENESIS_HASH.to_string();
    let mut last_id = i64::MIN;
    let mut rep = VerifyReport {
        rows_checked: 0,
        first_broken: None,
        keyed_from: None,
        head: None,
    };
    let mut checkpoint_seen = checkpoint.is_none_or(|c| c.rows == 0);
    loop {
        let rows = crate::db::audit::page_after(conn, last_id, PAGE)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            if let Some(c) = checkpoint.filter(|_| !checkpoint_seen) {
                if r.id > c.last_id {
                    return Ok(rep.broken(
                        c.last_id,
                        "rows at or before the checkpoint are missing (the checkpoint's last row is gone)",
                    ));
                }
            }
            if r.prev_hash != prev {
                return Ok(rep.broken(
                    r.id,
                    "prev_hash does not match the row before it (a row was removed or changed)",
                ));
            }
            let at = format_at(r.at);
            let fields = r.fields(&at);
            if rep.keyed_from.is_some() {
                if !keyed_hash_matches(key, &r.prev_hash, &fields, &r.hash) {
                    return Ok(rep.broken(
                        r.id,
                        "its keyed hash does not hold (the row was edited, or written without the audit key)",
                    ));
                }
            } else if r.action == KEYED_START {
                if !keyed_hash_matches(key, &r.prev_hash, &fields, &r.hash) {
                    return Ok(rep.broken(
                        r.id,
                        "the keyed start row does not hold under the audit key (forged, or the server secret differs)",
                    ));
                }
                let unkeyed = r
                    .after_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    .and_then(|v| v["unkeyed_rows"].as_u64());
                if unkeyed != Some(rep.rows_checked) {
                    return Ok(rep.broken(
                        r.id,
                        "the number of unkeyed rows before the keyed start differs from what it records",
                    ));
                }
                rep.keyed_from = Some(r.id);
            } else if row_hash(&r.prev_hash, &fields) != r.hash {
                return Ok(rep.broken(
                    r.id,
                    "its content does not match its hash (the row was edited)",
                ));
            }
            prev = r.hash.clone();
            rep.rows_checked += 1;
            rep.head = Some((r.id, r.hash.clone()));
            if let Some(c) = checkpoint.filter(|c| c.last_id == r.id) {
                if c.head_hash != r.hash || c.rows != rep.rows_checked {
                    return Ok(rep.broken(
                        r.id,
                        "this row or those before it differ from the checkpoint",
                    ));
                }
                checkpoint_seen = true;
            }
        }
        last_id = rows
            .last()
            .map(|r| r.id)
            .ok_or_else(|| AppError::internal("empty page"))?;
    }
    if let Some(c) = checkpoint.filter(|_| !checkpoint_seen) {
        return Ok(rep.broken(
            c.last_id,
            "rows at or before the checkpoint are missing (the log ends before the checkpoint's last row)",
        ));
    }
    if rep.rows_checked > 0 && rep.keyed_from.is_none() {
        let last = rep.head.as_ref().map_or(0, |h| h.0);
        return Ok(rep.broken(
            last,
            "no keyed start row: the keyed rows were removed or rewritten without the key \
             (or this version never started on this database: run `lims migrate`)",
        ));
    }
    Ok(rep)
}

// ---------------------------------------------------------------- checkpoints

/// A signed head of the chain, as a file the bureau keeps outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Always [`CHECKPOINT_FORMAT`]: what this file is.
    pub format: String,
    pub rows: u64,
    pub last_id: i64,
    pub head_hash: String,
    pub at: String,
    /// HMAC-SHA256 under the audit key of the four fields above.
    pub mac: String,
}

/// The `format` of a checkpoint file.
pub const CHECKPOINT_FORMAT: &str = "lims audit checkpoint v1";

impl Checkpoint {
    pub fn head(&self) -> Head {
        Head {
            rows: self.rows,
            last_id: self.last_id,
            head_hash: self.head_hash.clone(),
            at: self.at.clone(),
        }
    }

    /// The file's text (one JSON object and a newline).
    pub fn to_text(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string_pretty(self).unwrap_or_default()
        )
    }

    /// Reads a checkpoint and checks its signature under `key`.
    pub fn parse(text: &str, key: &AuditKey) -> Result<Checkpoint, String> {
        let c: Checkpoint =
            serde_json::from_str(text).map_err(|e| format!("not an audit checkpoint: {e}"))?;
        if c.format != CHECKPOINT_FORMAT {
            return Err(format!("not an audit checkpoint (format `{}`)", c.format));
        }
        if !checkpoint_mac_matches(key, &c.head(), &c.mac) {
            return Err(
                "the checkpoint's signature does not hold under this server's audit key \
                 (edited, or made with another LIMS_SECRET)"
                    .into(),
            );
        }
        Ok(c)
    }

    /// Reads a checkpoint file and checks its signature.
    pub fn read(path: &Path, key: &AuditKey) -> Result<Checkpoint, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Checkpoint::parse(&text, key).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Walks the chain and, if it holds, signs its head as of `at`. A broken chain is not
/// signed: the report says where it breaks.
pub fn checkpoint(
    conn: &mut DbConnection,
    at: chrono::NaiveDateTime,
    key: &AuditKey,
) -> AppResult<Result<Checkpoint, VerifyReport>> {
    let rep = verify_with(conn, key, None)?;
    if rep.first_broken.is_some() {
        return Ok(Err(rep));
    }
    let (last_id, head_hash) = rep
        .head
        .clone()
        .unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let head = Head {
        rows: rep.rows_checked,
        last_id,
        head_hash,
        at: format_at(at),
    };
    Ok(Ok(Checkpoint {
        format: CHECKPOINT_FORMAT.to_string(),
        mac: checkpoint_mac(key, &head),
        rows: head.rows,
        last_id: head.last_id,
        head_hash: head.head_hash,
        at: head.at,
    }))
}

/// The audit rows of one entity, newest first (for history views).
pub fn history(
    conn: &mut DbConnection,
    entity_kind: &str,
    entity_id: &str,
) -> AppResult<Vec<AuditRow>> {
    crate::db::audit::of_entity(conn, entity_kind, entity_id)
}

/// The newest rows of the whole log.
pub fn recent(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<AuditRow>> {
    crate::db::audit::newest_rows(conn, None, limit)
}
