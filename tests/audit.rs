//! The keyed audit chain and its checkpoints: each tampering an attacker with write
//! access to the database (but not the server secret) could plant, and where it is
//! caught; and what is not caught (SECURITY.md, "Tampering with the audit log").

use diesel::prelude::*;
use lims::db::schema::audit_log;
use lims::db::DbConnection;
use lims::domain::audit_chain::{
    format_at, keyed_row_hash, row_hash, AuditFields, AuditKey, GENESIS_HASH, KEYED_START,
};
use lims::workflow::audit::{self, AuditRow, Checkpoint};

use crate::support::fixtures::drop_append_only_guard;
use crate::support::{lims_command, Backend, TestApp, TEST_SECRET};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_middle_row_edited_with_its_hash_recomputed_is_named,
    a_deleted_tail_passes_alone_and_is_caught_by_an_earlier_checkpoint,
    a_chain_recomputed_without_the_key_is_caught_where_it_starts,
    a_keyed_part_rewritten_as_unkeyed_is_caught_for_its_missing_start,
    rows_written_before_the_upgrade_keep_their_unkeyed_hashes,
    a_checkpoint_is_refused_when_edited_or_signed_with_another_secret,
];

fn key() -> AuditKey {
    AuditKey::derive(TEST_SECRET.as_bytes())
}

fn rows(conn: &mut DbConnection) -> Vec<AuditRow> {
    audit_log::table
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)
        .unwrap()
}

/// An app whose log holds the seeding rows and a few user creations.
fn app_with_rows(b: Backend, n: usize) -> TestApp {
    let app = TestApp::spawn(b);
    for i in 0..n {
        app.user(&format!("au_{i}"), &["sampler"]);
    }
    app
}

fn fields<'a>(r: &'a AuditRow, at: &'a str) -> AuditFields<'a> {
    AuditFields {
        at,
        actor_id: r.actor_id,
        actor: &r.actor,
        action: &r.action,
        entity_kind: &r.entity_kind,
        entity_id: &r.entity_id,
        before_json: r.before_json.as_deref(),
        after_json: r.after_json.as_deref(),
        reason: r.reason.as_deref(),
    }
}

/// Rewrites the rows from `from_id` on, each linked to the one before and hashed by
/// `hash` (what an attacker without the audit key can compute), after `edit`.
fn rewrite_from(
    conn: &mut DbConnection,
    from_id: i64,
    edit: impl Fn(&mut AuditRow),
    hash: impl Fn(&str, &AuditFields<'_>) -> String,
) {
    let all = rows(conn);
    let mut prev = all
        .iter()
        .rev()
        .find(|r| r.id < from_id)
        .map_or(GENESIS_HASH.to_string(), |r| r.hash.clone());
    for mut r in all.into_iter().filter(|r| r.id >= from_id) {
        edit(&mut r);
        let at = format_at(r.at);
        let h = hash(&prev, &fields(&r, &at));
        diesel::update(audit_log::table.find(r.id))
            .set((
                audit_log::action.eq(&r.action),
                audit_log::after_json.eq(&r.after_json),
                audit_log::prev_hash.eq(&prev),
                audit_log::hash.eq(&h),
            ))
            .execute(conn)
            .unwrap();
        prev = h;
    }
}

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    lims_command(&app.db.url, app.data_dir.path())
        .args(args)
        .output()
        .unwrap()
}

fn a_middle_row_edited_with_its_hash_recomputed_is_named(b: Backend) {
    let app = app_with_rows(b, 4);
    let mut conn = app.db.conn();
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken, None);
    assert!(rep.keyed_from.is_some());
    let victim = rows(&mut conn)
        .into_iter()
        .find(|r| r.after_json.as_deref().unwrap_or("").contains("au_1"))
        .unwrap()
        .id;
    drop_append_only_guard(&mut conn);
    // The row alone, its unkeyed hash recomputed so its own hash "matches".
    rewrite_from(
        &mut conn,
        victim,
        |r| {
            if r.id == victim {
                r.after_json = r.after_json.as_ref().map(|j| j.replace("sampler", "admin"));
            }
        },
        row_hash,
    );
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(victim),
        "{rep:?}"
    );
    let out = cli(&app, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("row {victim}")), "{err}");
}

fn a_deleted_tail_passes_alone_and_is_caught_by_an_earlier_checkpoint(b: Backend) {
    let app = app_with_rows(b, 5);
    let file = app.data_dir.path().join("head.checkpoint");
    let out = cli(
        &app,
        &["audit", "checkpoint", "--out", &file.to_string_lossy()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the checkpoint file is private");
    }
    let checkpoint = Checkpoint::read(&file, &key()).unwrap();
    let mut conn = app.db.conn();
    let all = rows(&mut conn);
    assert_eq!(checkpoint.rows, all.len() as u64);
    assert_eq!(checkpoint.last_id, all.last().unwrap().id);
    // The checkpoint holds, also with rows written after it.
    app.user("au_later", &["sampler"]);
    let rep = audit::verify_with(&mut conn, &key(), Some(&checkpoint.head())).unwrap();
    assert_eq!(rep.first_broken, None);
    let out = cli(
        &app,
        &["audit", "verify", "--checkpoint", &file.to_string_lossy()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Around the trigger, the last three rows go: two the checkpoint covers, one after.
    drop_append_only_guard(&mut conn);
    let tail: Vec<i64> = rows(&mut conn).iter().rev().take(3).map(|r| r.id).collect();
    diesel::delete(audit_log::table.filter(audit_log::id.eq_any(&tail)))
        .execute(&mut conn)
        .unwrap();
    // Alone, the shortened chain still links: a tail delete is not visible in it.
    assert_eq!(audit::verify(&mut conn).unwrap().first_broken, None);
    // Against the checkpoint it is.
    let rep = audit::verify_with(&mut conn, &key(), Some(&checkpoint.head())).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(checkpoint.last_id),
        "{rep:?}"
    );
    let out = cli(
        &app,
        &["audit", "verify", "--checkpoint", &file.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing"), "{err}");
}

fn a_chain_recomputed_without_the_key_is_caught_where_it_starts(b: Backend) {
    let app = app_with_rows(b, 4);
    let mut conn = app.db.conn();
    let all = rows(&mut conn);
    let from = all[all.len() - 3].id;
    drop_append_only_guard(&mut conn);
    // Unkeyed: every link and every SHA-256 holds from `from` to the end.
    rewrite_from(&mut conn, from, |_| {}, row_hash);
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(from),
        "{rep:?}"
    );
    // Keyed, but with a key derived from another secret.
    let wrong = AuditKey::derive(b"a guessed secret, long enough for hmac");
    rewrite_from(&mut conn, from, |_| {}, |p, f| keyed_row_hash(&wrong, p, f));
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(from),
        "{rep:?}"
    );
    // With the right key the same rewrite would hold: the key is what protects it.
    rewrite_from(&mut conn, from, |_| {}, |p, f| keyed_row_hash(&key(), p, f));
    assert_eq!(audit::verify(&mut conn).unwrap().first_broken, None);
}

fn a_keyed_part_rewritten_as_unkeyed_is_caught_for_its_missing_start(b: Backend) {
    let app = app_with_rows(b, 3);
    let mut conn = app.db.conn();
    let start = audit::verify(&mut conn).unwrap().keyed_from.unwrap();
    drop_append_only_guard(&mut conn);
    // Disguise the start row and everything after it as rows from before the upgrade.
    rewrite_from(
        &mut conn,
        start,
        |r| {
            if r.action == KEYED_START {
                r.action = "audit.note".into();
            }
        },
        row_hash,
    );
    let rep = audit::verify(&mut conn).unwrap();
    let (_, why) = rep.first_broken.clone().expect("caught");
    assert!(why.contains("no keyed start"), "{rep:?}");
    // A forged start row (unkeyed) is refused where it stands.
    rewrite_from(
        &mut conn,
        start,
        |r| {
            if r.id == start {
                r.action = KEYED_START.into();
            }
        },
        row_hash,
    );
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(start),
        "{rep:?}"
    );
}

fn rows_written_before_the_upgrade_keep_their_unkeyed_hashes(b: Backend) {
    let app = TestApp::spawn(b);
    let mut conn = app.db.conn();
    drop_append_only_guard(&mut conn);
    diesel::delete(audit_log::table).execute(&mut conn).unwrap();
    // Three rows as the previous version wrote them: unkeyed SHA-256.
    let mut prev = GENESIS_HASH.to_string();
    for i in 0..3 {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(2, 0, i)
            .unwrap();
        let at_text = format_at(at);
        let entity_id = i.to_string();
        let f = AuditFields {
            at: &at_text,
            actor_id: None,
            actor: "system",
            action: "old.action",
            entity_kind: "thing",
            entity_id: &entity_id,
            before_json: None,
            after_json: None,
            reason: None,
        };
        let h = row_hash(&prev, &f);
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(at),
                audit_log::actor.eq("system"),
                audit_log::action.eq("old.action"),
                audit_log::entity_kind.eq("thing"),
                audit_log::entity_id.eq(&entity_id),
                audit_log::prev_hash.eq(&prev),
                audit_log::hash.eq(&h),
            ))
            .execute(&mut conn)
            .unwrap();
        prev = h;
    }
    // This version not started yet: nothing says where keyed rows begin.
    let rep = audit::verify(&mut conn).unwrap();
    assert!(rep.first_broken.unwrap().1.contains("no keyed start"));
    // `lims migrate` (like the server at start) marks the start of the keyed part.
    let out = cli(&app, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.user("after_upgrade", &["sampler"]);
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken, None, "{rep:?}");
    assert_eq!(rep.rows_checked, 5);
    let all = rows(&mut conn);
    assert_eq!(rep.keyed_from, Some(all[3].id));
    assert_eq!(all[3].action, KEYED_START);
    assert_eq!(all[3].prev_hash, prev);
    // Starting again adds no second start row.
    let out = cli(&app, &["migrate"]);
    assert!(out.status.success());
    assert_eq!(rows(&mut conn).len(), 5);
    // An old row edited (and its hash recomputed) breaks the link of the start row.
    rewrite_from(
        &mut conn,
        all[1].id,
        |r| {
            if r.id == all[1].id {
                r.after_json = Some("{}".into());
            }
        },
        row_hash,
    );
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(
        rep.first_broken.as_ref().map(|b| b.0),
        Some(all[3].id),
        "{rep:?}"
    );
}

fn a_checkpoint_is_refused_when_edited_or_signed_with_another_secret(b: Backend) {
    let app = app_with_rows(b, 2);
    let out = cli(&app, &["audit", "checkpoint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let c = Checkpoint::parse(&text, &key()).unwrap();
    let other = AuditKey::derive(b"a guessed secret, long enough for hmac");
    assert!(Checkpoint::parse(&text, &other).is_err());
    // Fewer rows, so that a deleted tail would pass: the signature no longer holds.
    let edited = text.replace(
        &format!("\"rows\": {}", c.rows),
        &format!("\"rows\": {}", c.rows - 1),
    );
    assert_ne!(edited, text);
    let e = Checkpoint::parse(&edited, &key()).unwrap_err();
    assert!(e.contains("signature"), "{e}");
    let file = app.data_dir.path().join("edited.checkpoint");
    std::fs::write(&file, edited).unwrap();
    let out = cli(
        &app,
        &["audit", "verify", "--checkpoint", &file.to_string_lossy()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature"));
}
