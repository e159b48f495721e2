//! The hash chain of the audit log. Each row's hash covers the previous row's hash and
//! every field of the row, so editing, deleting or reordering any row breaks the chain
//! from that row on.
//!
//! Rows written since the chain was keyed carry an HMAC-SHA256 under the audit key
//! ([`AuditKey`], derived from the server secret and never stored in the database), so
//! someone who can write the database but does not hold the secret cannot recompute
//! them. Rows written before carry the unkeyed SHA-256 ([`row_hash`]); the first keyed
//! row is the [`KEYED_START`] row, whose keyed hash covers the last unkeyed hash and the
//! number of unkeyed rows, so the boundary cannot be moved without the key.

use hmac::{Hmac, Mac};
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
    put_fields(|b| h.update(b), prev_hash, f);
    hex::encode(h.finalize())
}

/// The action of the first keyed row: from it on, every row's hash is keyed.
pub const KEYED_START: &str = "audit.chain_keyed";

/// The key of the audit chain: an HMAC-SHA256 of a purpose label under the server
/// secret, so it differs from every other use of the secret (cookies, report codes).
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// The audit key of a server secret.
    pub fn derive(secret: &[u8]) -> AuditKey {
        let mut m = new_mac(secret);
        m.update(b"lims audit chain key v1\0");
        AuditKey(m.finalize().into_bytes().into())
    }

    fn mac(&self, label: &[u8]) -> Hmac<Sha256> {
        let mut m = new_mac(&self.0);
        m.update(label);
        m
    }
}

fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Feeds each field with its length in front (`None` as a length no text can have), so
/// no two different rows encode alike.
fn put_fields(mut update: impl FnMut(&[u8]), prev_hash: &str, f: &AuditFields<'_>) {
    let mut put = |s: Option<&str>| match s {
        Some(s) => {
            update(&(s.len() as u64).to_be_bytes());
            update(s.as_bytes());
        }
        None => update(&u64::MAX.to_be_bytes()),
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
}

/// The keyed hash of a row: HMAC-SHA256 under the audit key, hex, over the same
/// length-prefixed fields as [`row_hash`] behind a label of its own.
pub fn keyed_row_hash(key: &AuditKey, prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut m = key.mac(b"lims audit row v2\0");
    put_fields(|b| m.update(b), prev_hash, f);
    hex::encode(m.finalize().into_bytes())
}

/// Whether `hash` is the keyed hash of the row, compared in constant time.
pub fn keyed_hash_matches(
    key: &AuditKey,
    prev_hash: &str,
    f: &AuditFields<'_>,
    hash: &str,
) -> bool {
    let Ok(given) = hex::decode(hash) else {
        return false;
    };
    let mut m = key.mac(b"lims audit row v2\0");
    put_fields(|b| m.update(b), prev_hash, f);
    m.verify_slice(&given).is_ok()
}

/// The head of the chain at one moment, as a checkpoint kept outside the database holds
/// it: how many rows there were, the id and hash of the last one, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub rows: u64,
    pub last_id: i64,
    pub head_hash: String,
    /// UTC, formatted by [`format_at`].
    pub at: String,
}

/// The signature of a checkpoint: HMAC-SHA256 under the audit key, hex.
pub fn checkpoint_mac(key: &AuditKey, head: &Head) -> String {
    hex::encode(checkpoint_hmac(key, head).finalize().into_bytes())
}

/// Whether `mac` signs `head` under `key`, compared in constant time.
pub fn checkpoint_mac_matches(key: &AuditKey, head: &Head, mac: &str) -> bool {
    match hex::decode(mac) {
        Ok(given) => checkpoint_hmac(key, head).verify_slice(&given).is_ok(),
        Err(_) => false,
    }
}

fn checkpoint_hmac(key: &AuditKey, head: &Head) -> Hmac<Sha256> {
    let mut m = key.mac(b"lims audit checkpoint v1\0");
    for field in [
        head.rows.to_string(),
        head.last_id.to_string(),
        head.head_hash.clone(),
        head.at.clone(),
    ] {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field.as_bytes());
    }
    m
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

    #[test]
    fn the_keyed_hash_needs_the_key_and_differs_from_the_unkeyed_one() {
        let key = AuditKey::derive(b"a server secret of enough length!");
        let other = AuditKey::derive(b"another server secret of enough length");
        let f = fields(None);
        let h = keyed_row_hash(&key, GENESIS_HASH, &f);
        assert_eq!(h.len(), 64);
        assert!(keyed_hash_matches(&key, GENESIS_HASH, &f, &h));
        assert!(!keyed_hash_matches(&other, GENESIS_HASH, &f, &h));
        assert!(!keyed_hash_matches(&key, &h, &f, &h));
        assert!(!keyed_hash_matches(
            &key,
            GENESIS_HASH,
            &fields(Some("")),
            &h
        ));
        assert!(!keyed_hash_matches(&key, GENESIS_HASH, &f, "not hex"));
        assert_ne!(h, row_hash(GENESIS_HASH, &f));
        // The audit key is not the secret itself.
        assert_ne!(&key.0[..], &b"a server secret of enough length!"[..32]);
    }

    #[test]
    fn a_checkpoint_signature_covers_every_field() {
        let key = AuditKey::derive(b"a server secret of enough length!");
        let head = Head {
            rows: 12,
            last_id: 40,
            head_hash: "ab".repeat(32),
            at: "2026-03-02T01:30:00.000000Z".into(),
        };
        let mac = checkpoint_mac(&key, &head);
        assert!(checkpoint_mac_matches(&key, &head, &mac));
        let other = AuditKey::derive(b"another server secret of enough length");
        assert!(!checkpoint_mac_matches(&other, &head, &mac));
        for changed in [
            Head {
                rows: 11,
                ..head.clone()
            },
            Head {
                last_id: 39,
                ..head.clone()
            },
            Head {
                head_hash: "cd".repeat(32),
                ..head.clone()
            },
            Head {
                at: "2026-03-02T01:30:00.000001Z".into(),
                ..head.clone()
            },
        ] {
            assert!(!checkpoint_mac_matches(&key, &changed, &mac), "{changed:?}");
        }
    }
}
