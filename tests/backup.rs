//! Backup and restore: `lims backup` taken while samples are being registered, then
//! `lims restore` into a fresh database, which holds the source exactly as it stood at
//! one moment (table by table) with an intact audit chain.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use lims::config::DatabaseUrl;
use lims::db::DbConnection;

use crate::support::fixtures::{issue, lab_users, register};
use crate::support::{lims_command, pg_client_tools, Backend, EmptyDb, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_backup_taken_while_samples_are_registered_restores_to_one_consistent_moment,
    a_backup_carries_a_checkpoint_that_catches_a_tail_deleted_after_restore,
    the_database_its_journal_backups_checkpoints_and_secret_are_private,
];

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn lines(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Line>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|l| l.line)
        .collect()
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The application's tables.
fn tables(conn: &mut DbConnection) -> Vec<String> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name AS line FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        DbConnection::Pg(_) => {
            "SELECT table_name::text AS line FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    lines(conn, sql)
}

/// Every row of `table` (restricted by `filter`, a WHERE clause) as one line of text
/// holding every column, sorted.
fn rows(conn: &mut DbConnection, table: &str, filter: &str) -> Vec<String> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            let cols = lines(
                conn,
                &format!("SELECT name AS line FROM pragma_table_info('{table}') ORDER BY cid"),
            );
            let expr: Vec<String> = cols.iter().map(|c| format!("quote(\"{c}\")")).collect();
            format!(
                "SELECT {} AS line FROM \"{table}\" t {filter}",
                expr.join(" || char(31) || ")
            )
        }
        DbConnection::Pg(_) => {
            format!("SELECT row_to_json(t)::text AS line FROM \"{table}\" t {filter}")
        }
    };
    let mut out = lines(conn, &sql);
    out.sort();
    out
}

fn run_ok(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("run lims");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}: {text}");
    text
}

fn run_refused(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("run lims");
    assert!(!out.status.success(), "{cmd:?} should have been refused");
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn restore(target: &EmptyDb, dir: &Path, file: &Path, force: bool) -> std::process::Command {
    let mut cmd = lims_command(&target.url, dir);
    cmd.arg("restore").arg("--from").arg(file);
    if force {
        cmd.arg("--force");
    }
    cmd
}

fn a_backup_taken_while_samples_are_registered_restores_to_one_consistent_moment(b: Backend) {
    if b == Backend::Postgres && !pg_client_tools() {
        return;
    }
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    // Results, reviews, reports, a disposal case and their audit rows.
    issue(&app, &lab, 3, true);
    issue(&app, &lab, 2, false);
    for _ in 0..3 {
        register(&app, &lab.intake);
    }
    let before = count(&mut app.db.conn(), "SELECT count(*) AS n FROM samples");
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("lims.backup");

    // A sampler keeps registering. The backup starts once five registrations are
    // answered (so they are in it); the sampler stops once five more have *started*
    // after the backup finished (so they are not): the one running while the backup
    // ends may fall on either side.
    let stop = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    let backup_out = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                register(&app, &lab.intake);
                done.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(());
            }
        });
        while done.load(Ordering::SeqCst) < 5 {
            rx.recv().expect("a registration");
        }
        let out = run_ok(
            lims_command(&app.db.url, work.path())
                .arg("backup")
                .arg("--to")
                .arg(&file),
        );
        let at_end = done.load(Ordering::SeqCst);
        while done.load(Ordering::SeqCst) < at_end + 6 {
            rx.recv().expect("a registration");
        }
        stop.store(true, Ordering::SeqCst);
        writer.join().expect("the writer");
        out
    });
    assert!(backup_out.contains("backup of"), "{backup_out}");
    assert!(
        backup_out.contains("audit checkpoint written"),
        "{backup_out}"
    );
    // A second backup to the same name is refused and leaves the first alone.
    let first = std::fs::read(&file).expect("backup file");
    let e = run_refused(
        lims_command(&app.db.url, work.path())
            .arg("backup")
            .arg("--to")
            .arg(&file),
    );
    assert!(e.contains("exists already"), "{e}");
    assert_eq!(std::fs::read(&file).expect("backup file"), first);

    // Restore into a fresh database; it then holds tables, so a second restore needs
    // --force, and a forced one gives the same database again.
    let fresh = EmptyDb::new(b);
    let junk = work.path().join("junk.backup");
    std::fs::write(&junk, "not a backup").expect("junk");
    run_refused(&mut restore(&fresh, work.path(), &junk, false));
    match &fresh.url {
        DatabaseUrl::Sqlite(p) => assert!(!p.exists(), "a refused restore writes no file"),
        DatabaseUrl::Postgres(_) => {
            assert!(tables(&mut fresh.connect_raw()).is_empty(), "nor any table")
        }
    }
    let out = run_ok(&mut restore(&fresh, work.path(), &file, false));
    assert!(out.contains("audit log intact"), "{out}");
    let e = run_refused(&mut restore(&fresh, work.path(), &file, false));
    assert!(e.contains("not empty"), "{e}");
    run_ok(&mut restore(&fresh, work.path(), &file, true));
    if b == Backend::Sqlite {
        // The source is open in the running server: not even --force replaces it.
        let source = lims_command(&app.db.url, work.path())
            .arg("restore")
            .arg("--from")
            .arg(&file)
            .arg("--force")
            .output()
            .expect("run lims");
        assert!(!source.status.success());
        let e = String::from_utf8_lossy(&source.stderr);
        assert!(e.contains("in use"), "{e}");
    }

    let mut src = app.db.conn();
    let mut dst = fresh.connect_raw();
    assert_eq!(tables(&mut dst), tables(&mut src));

    // The backup fell between the writer's fifth and its last registration.
    let restored = count(&mut dst, "SELECT count(*) AS n FROM samples");
    let total = count(&mut src, "SELECT count(*) AS n FROM samples");
    assert!(
        restored >= before + 5,
        "{restored} samples, {before} before"
    );
    assert!(
        total >= restored + 5,
        "{total} samples, {restored} restored"
    );

    // Table by table: what the writer appends is a prefix of the source; every other
    // table is equal.
    let max_sample = count(&mut dst, "SELECT max(id) AS n FROM samples");
    let max_audit = count(&mut dst, "SELECT max(id) AS n FROM audit_log");
    let mut compared = BTreeSet::new();
    for table in tables(&mut src) {
        let filter = match table.as_str() {
            "samples" => format!("WHERE id <= {max_sample}"),
            "sample_samplers" => format!("WHERE sample_id <= {max_sample}"),
            "audit_log" => format!("WHERE id <= {max_audit}"),
            // The writer's county counter: checked against the samples below.
            "sample_sequences" => continue,
            // The statistics' monthly counts follow the samples: checked below.
            "sample_counts" | "category_counts" | "report_counts" | "receipt_counts" => continue,
            _ => String::new(),
        };
        let want = rows(&mut src, &table, &filter);
        let got = rows(&mut dst, &table, "");
        assert_eq!(got.len(), want.len(), "rows of {table}");
        assert!(got == want, "{table} differs from the source");
        compared.insert(table);
    }
    for t in [
        "samples",
        "sample_tests",
        "reports",
        "report_files",
        "disposal_cases",
        "audit_log",
        "users",
    ] {
        assert!(compared.contains(t), "{t} was compared");
    }
    // The county counter of the copy is the copy's own last number: no gap, no reuse.
    let seq = count(
        &mut dst,
        "SELECT CAST(last_value AS BIGINT) AS n FROM sample_sequences WHERE county_code = '630104'",
    );
    assert_eq!(seq, restored);
    // The monthly counts of the copy count the copy's own samples.
    assert_eq!(
        count(
            &mut dst,
            "SELECT CAST(COALESCE(SUM(batches), 0) AS BIGINT) AS n FROM sample_counts"
        ),
        count(
            &mut dst,
            "SELECT count(*) AS n FROM samples WHERE status <> 'rejected'"
        )
    );
    // The writer registers samples of plans other than risk monitoring, none received.
    assert_eq!(
        count(
            &mut dst,
            "SELECT CAST(COALESCE(SUM(batches), 0) AS BIGINT) AS n FROM category_counts"
        ),
        count(
            &mut dst,
            "SELECT count(*) AS n FROM samples WHERE status <> 'rejected' AND plan_id NOT IN \
             (SELECT id FROM plans WHERE kind = 'risk_monitoring')"
        )
    );
    for (rollup, counted) in [("report_counts", "reports"), ("receipt_counts", "received")] {
        assert_eq!(
            count(
                &mut dst,
                &format!("SELECT CAST(COALESCE(SUM({counted}), 0) AS BIGINT) AS n FROM {rollup}")
            ),
            count(
                &mut dst,
                &format!(
                    "SELECT count(*) AS n FROM samples WHERE {}",
                    match rollup {
                        "report_counts" =>
                            "reported_at IS NOT NULL AND received_at IS NOT NULL \
                                            AND turnaround_days IS NOT NULL",
                        _ => "received_at IS NOT NULL",
                    }
                )
            ),
            "{rollup}"
        );
    }
    let max_no = lines(
        &mut dst,
        "SELECT max(sample_no) AS line FROM samples WHERE region_code = '630104'",
    );
    assert_eq!(max_no, vec![format!("F2026630104{restored:05}")]);
    // Every sample of the copy has its registration audited in the copy, and no
    // registration is audited without its sample.
    assert_eq!(
        count(
            &mut dst,
            "SELECT count(*) AS n FROM samples s WHERE NOT EXISTS (SELECT 1 FROM audit_log a \
             WHERE a.action = 'sample.register' AND a.entity_id = s.sample_no)"
        ),
        0
    );
    assert_eq!(
        count(
            &mut dst,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'sample.register'"
        ),
        restored
    );
    let audit_rows = count(&mut dst, "SELECT count(*) AS n FROM audit_log");
    let rep = lims::workflow::audit::verify(&mut dst).expect("verify");
    assert_eq!(rep.first_broken, None);
    assert_eq!(rep.rows_checked, u64::try_from(audit_rows).unwrap());
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn a_backup_carries_a_checkpoint_that_catches_a_tail_deleted_after_restore(b: Backend) {
    if b == Backend::Postgres && !pg_client_tools() {
        return;
    }
    let app = TestApp::spawn(b);
    for name in ["bk_one", "bk_two", "bk_three"] {
        app.user(name, &["sampler"]);
    }
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("lims.backup");
    let out = run_ok(
        lims_command(&app.db.url, work.path())
            .arg("backup")
            .arg("--to")
            .arg(&file),
    );
    let checkpoint = work.path().join("lims.backup.audit-checkpoint");
    assert!(out.contains(&checkpoint.display().to_string()), "{out}");
    let fresh = EmptyDb::new(b);
    let out = run_ok(&mut restore(&fresh, work.path(), &file, false));
    assert!(out.contains("audit log intact"), "{out}");
    assert!(out.contains("checkpoint"), "{out}");

    // Around the trigger, the newest rows of the restored copy go.
    let mut dst = fresh.connect_raw();
    let sql = match b {
        Backend::Sqlite => {
            "DROP TRIGGER audit_log_no_delete; \
             DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log);"
        }
        Backend::Postgres => {
            "DROP TRIGGER audit_log_no_update ON audit_log; \
             DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log);"
        }
    };
    diesel::connection::SimpleConnection::batch_execute(&mut dst, sql).expect("delete the tail");
    run_ok(lims_command(&fresh.url, work.path()).args(["audit", "verify"]));
    let e = run_refused(
        lims_command(&fresh.url, work.path())
            .args(["audit", "verify", "--checkpoint"])
            .arg(&checkpoint),
    );
    assert!(e.contains("BROKEN") && e.contains("missing"), "{e}");
}

fn the_database_its_journal_backups_checkpoints_and_secret_are_private(b: Backend) {
    if b == Backend::Postgres && !pg_client_tools() {
        return;
    }
    let app = TestApp::spawn(b);
    app.user("private_files", &["sampler"]);
    if let DatabaseUrl::Sqlite(db) = &app.db.url {
        // The server holds the database open: its WAL and shared memory are there.
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            assert_eq!(mode(Path::new(&p)), 0o600, "{}", Path::new(&p).display());
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let file = work.path().join("private.backup");
    run_ok(
        lims_command(&app.db.url, work.path())
            .arg("backup")
            .arg("--to")
            .arg(&file),
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        mode(&work.path().join("private.backup.audit-checkpoint")),
        0o600
    );
    let out = work.path().join("head.checkpoint");
    run_ok(
        lims_command(&app.db.url, work.path())
            .args(["audit", "checkpoint", "--out"])
            .arg(&out),
    );
    assert_eq!(mode(&out), 0o600);

    // A restore gives a private database even from a backup others could read.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let fresh = EmptyDb::new(b);
    run_ok(&mut restore(&fresh, work.path(), &file, false));
    if let DatabaseUrl::Sqlite(p) = &fresh.url {
        assert_eq!(mode(p), 0o600);
    }

    // First start in a data directory that does not exist yet: lims creates it, the
    // database in it and the secret, all private.
    if b == Backend::Sqlite {
        let data = work.path().join("new").join("data");
        run_ok(
            lims_command(&app.db.url, work.path())
                .env("LIMS_DATA_DIR", &data)
                .env_remove("DATABASE_URL")
                .env_remove("LIMS_SECRET")
                .arg("migrate"),
        );
        assert_eq!(mode(&work.path().join("new")), 0o700);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("lims.db")), 0o600);
        assert_eq!(mode(&data.join("secret")), 0o600);
    }
}
