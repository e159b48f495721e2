//! The hash chain of the audit log. Each row's hash covers the previous row's hash and
//! every field of the row, so editing, deleting or reordering any row breaks the chain
//! from that row on.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one audit row, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    /// UTC time, formatted by [`format_at`].
    pub at: &'a str,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// The canonical text of a stored time in the chain (microseconds, UTC).
pub fn format_at(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash of a row given the previous row's hash: SHA-256, hex, over each field
/// with its length in front (so no two different rows can encode alike).
pub fn row_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |s: Option<&str>| match s {
        Some(s) => {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
        None => h.update(u64::MAX.to_be_bytes()),
    };
    let actor_id = f.actor_id.map(|i| i.to_string());
    put(Some(prev_hash));
    put(Some(f.at));
    put(actor_id.as_deref());
    put(Some(f.actor));
    put(Some(f.action));
    put(Some(f.entity_kind));
    put(Some(f.entity_id));
    put(f.before_json);
    put(f.after_json);
    put(f.reason);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(reason: Option<&'a str>) -> AuditFields<'a> {
        AuditFields {
            at: "2026-03-02T01:30:00.000000Z",
            actor_id: Some(1),
            actor: "admin",
            action: "user.create",
            entity_kind: "user",
            entity_id: "2",
            before_json: None,
            after_json: Some("{\"username\":\"li\"}"),
            reason,
        }
    }

    #[test]
    fn any_changed_field_changes_the_hash() {
        let a = row_hash(GENESIS_HASH, &fields(None));
        assert_eq!(a.len(), 64);
        assert_eq!(a, row_hash(GENESIS_HASH, &fields(None)));
        assert_ne!(a, row_hash(GENESIS_HASH, &fields(Some(""))));
        assert_ne!(a, row_hash(&a, &fields(None)));
        let mut f = fields(None);
        f.actor_id = None;
        assert_ne!(a, row_hash(GENESIS_HASH, &f));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut f1 = fields(None);
        f1.entity_kind = "user1";
        f1.entity_id = "";
        let mut f2 = fields(None);
        f2.entity_kind = "user";
        f2.entity_id = "1";
        assert_ne!(row_hash(GENESIS_HASH, &f1), row_hash(GENESIS_HASH, &f2));
    }
}
