//! The base: both backends, migrations that revert, the audit chain, seed data,
//! IMMEDIATE write transactions, health.

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use lims::clock::{Clock, FixedClock};
use lims::db::{self, DbConnection};
use lims::workflow::audit;

use crate::support::fixtures::{drop_append_only_guard, schema_snapshot};
use crate::support::{test_start, Backend, EmptyDb, TestApp, TestDb};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    healthz_names_the_backend,
    every_down_migration_reverts_its_up_migration,
    loading_reference_data_twice_changes_nothing,
    a_missing_population_is_stored_as_unknown_not_zero,
    editing_an_audit_row_by_hand_is_named_by_audit_verify,
    deleting_an_audit_row_breaks_the_chain_at_the_next_row,
    the_audit_log_refuses_updates_from_the_application,
    concurrent_writers_wait_instead_of_failing,
    a_failed_use_case_writes_nothing_and_audits_nothing,
];

fn healthz_names_the_backend(b: Backend) {
    let app = TestApp::spawn(b);
    let r = app.client.get(app.url("/healthz")).send().unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(
        v["database"],
        if b == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
}

fn every_down_migration_reverts_its_up_migration(b: Backend) {
    let empty = EmptyDb::new(b);
    let mut conn = empty.connect_raw();
    let migrations = || match b {
        Backend::Sqlite => db::SQLITE_MIGRATIONS,
        Backend::Postgres => db::POSTGRES_MIGRATIONS,
    };
    let count = {
        use diesel::migration::MigrationSource;
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&migrations())
            .unwrap()
            .len()
    };
    assert!(count >= 1);
    for _ in 0..count {
        let before = schema_snapshot(&mut conn);
        match &mut conn {
            DbConnection::Sqlite(c) => {
                c.run_next_migration(migrations()).unwrap();
                assert_ne!(before, schema_snapshot(&mut conn));
                let DbConnection::Sqlite(c) = &mut conn else {
                    unreachable!()
                };
                c.revert_last_migration(migrations()).unwrap();
            }
            DbConnection::Pg(c) => {
                c.run_next_migration(migrations()).unwrap();
                assert_ne!(before, schema_snapshot(&mut conn));
                let DbConnection::Pg(c) = &mut conn else {
                    unreachable!()
                };
                c.revert_last_migration(migrations()).unwrap();
            }
        }
        assert_eq!(
            before,
            schema_snapshot(&mut conn),
            "a down.sql does not undo its up.sql"
        );
        match &mut conn {
            DbConnection::Sqlite(c) => drop(c.run_next_migration(migrations()).unwrap()),
            DbConnection::Pg(c) => drop(c.run_next_migration(migrations()).unwrap()),
        }
    }
    // Both trees carry the same migration names.
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

fn loading_reference_data_twice_changes_nothing(b: Backend) {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    let mut conn = db.conn();
    let counts = lims::workflow::reference::counts(&mut conn).unwrap();
    assert_eq!(counts["regions"], 54);
    assert_eq!(counts["holidays"], 108);
    assert_eq!(counts["calendar_years"], 3);
    assert!(counts["test_items"] >= 80);
    assert_eq!(counts["rule_profiles"], 6);
    let audit_rows = audit::recent(&mut conn, 1000).unwrap().len();
    let again = lims::seed::load_reference(&mut conn, clock.now_naive()).unwrap();
    assert_eq!(again.total(), 0);
    assert_eq!(
        counts,
        lims::workflow::reference::counts(&mut conn).unwrap()
    );
    assert_eq!(audit_rows, audit::recent(&mut conn, 1000).unwrap().len());
}

fn a_missing_population_is_stored_as_unknown_not_zero(b: Backend) {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    let regions = lims::workflow::reference::list_regions(&mut db.conn()).unwrap();
    let qilian = regions.iter().find(|r| r.code == "632222").unwrap();
    assert_eq!(qilian.population, None);
    assert_eq!(qilian.population_year, None);
    assert!(regions.iter().all(|r| r.population != Some(0)));
    let xining = regions.iter().find(|r| r.code == "630100").unwrap();
    assert_eq!(
        (xining.population, xining.population_year),
        (Some(2_467_965), Some(2020))
    );
    // A later year-end figure is the one shown; the census figure is kept.
    let huangnan = regions.iter().find(|r| r.code == "632300").unwrap();
    assert_eq!(
        (huangnan.population, huangnan.population_year),
        (Some(282_000), Some(2023))
    );
}

fn audit_cli(db: &TestDb) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_lims"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", db.url.to_string())
        .env("LIMS_DATA_DIR", dir.path())
        .env("LIMS_SECRET", crate::support::TEST_SECRET)
        .env_remove("LIMS_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn editing_an_audit_row_by_hand_is_named_by_audit_verify(b: Backend) {
    let app = TestApp::spawn(b);
    for name in ["aa_one", "aa_two", "aa_three"] {
        app.user(name, &["sampler"]);
    }
    let mut conn = app.db.conn();
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken, None);
    assert!(rep.rows_checked >= 4);
    let out = audit_cli(&app.db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

    let rows = audit::recent(&mut conn, 10).unwrap();
    let victim = rows
        .iter()
        .find(|r| r.after_json.as_deref().unwrap_or("").contains("aa_two"))
        .unwrap()
        .id;
    drop_append_only_guard(&mut conn);
    diesel::sql_query(format!(
        "UPDATE audit_log SET after_json = REPLACE(after_json, 'sampler', 'admin') WHERE id = {victim}"
    ))
    .execute(&mut conn)
    .unwrap();
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken.as_ref().map(|b| b.0), Some(victim));
    let out = audit_cli(&app.db);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("row {victim}")), "{err}");
}

fn deleting_an_audit_row_breaks_the_chain_at_the_next_row(b: Backend) {
    let app = TestApp::spawn(b);
    for name in ["del_one", "del_two", "del_three"] {
        app.user(name, &["sampler"]);
    }
    let mut conn = app.db.conn();
    let rows = audit::recent(&mut conn, 3).unwrap();
    let (newest, middle) = (rows[0].id, rows[1].id);
    drop_append_only_guard(&mut conn);
    diesel::sql_query(format!("DELETE FROM audit_log WHERE id = {middle}"))
        .execute(&mut conn)
        .unwrap();
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken.map(|b| b.0), Some(newest));
}

fn the_audit_log_refuses_updates_from_the_application(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("guarded", &["sampler"]);
    let mut conn = app.db.conn();
    let err = diesel::sql_query("UPDATE audit_log SET actor = 'mallory'").execute(&mut conn);
    assert!(err.is_err());
    let err = diesel::sql_query("DELETE FROM audit_log").execute(&mut conn);
    assert!(err.is_err());
    assert_eq!(audit::verify(&mut conn).unwrap().first_broken, None);
}

fn concurrent_writers_wait_instead_of_failing(b: Backend) {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let pool = db.db.clone();
            let clock = clock.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    let mut conn = pool.get().unwrap();
                    // Read, then write, in one transaction: the pattern that fails with
                    // "database is locked" under deferred SQLite transactions.
                    db::write_tx(&mut conn, |c| {
                        use lims::clock::Clock;
                        lims::workflow::audit::append(
                            c,
                            clock.now_naive(),
                            &lims::workflow::Actor::system(),
                            lims::workflow::audit::Change {
                                action: "test.concurrent",
                                entity_kind: "thread",
                                entity_id: format!("{t}.{i}"),
                                ..Default::default()
                            },
                        )
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a writer failed");
    }
    let mut conn = db.conn();
    let rep = audit::verify(&mut conn).unwrap();
    assert_eq!(rep.first_broken, None);
    let n: i64 = lims::db::schema::audit_log::table
        .filter(lims::db::schema::audit_log::action.eq("test.concurrent"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 40);
}

fn a_failed_use_case_writes_nothing_and_audits_nothing(b: Backend) {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    let mut conn = db.conn();
    let before = audit::recent(&mut conn, 1000).unwrap().len();
    let r = db::write_tx(&mut conn, |c| {
        lims::workflow::audit::append(
            c,
            {
                use lims::clock::Clock;
                clock.now_naive()
            },
            &lims::workflow::Actor::system(),
            lims::workflow::audit::Change {
                action: "test.rolled_back",
                entity_kind: "x",
                entity_id: "1".into(),
                ..Default::default()
            },
        )?;
        Err::<(), _>(lims::error::AppError::stale())
    });
    assert!(r.is_err());
    assert_eq!(before, audit::recent(&mut conn, 1000).unwrap().len());
}
