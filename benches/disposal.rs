//! Disposal rates on 100,000 cases (issue: disposal, "the rates on 100,000 demo cases
//! compute in under 300 ms"): `workflow::disposal::stats`, the use case behind
//! `GET /api/v1/stats/disposal` and the board, for a year over the whole province and
//! for one prefecture. SQLite (a temp file) always; PostgreSQL too when the server at
//! `LIMS_BENCH_PG_URL` (default the local test server) answers, in a database created
//! and dropped here. Run: `cargo bench --bench disposal`.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use lims::clock::{Clock, FixedClock};
use lims::config::DatabaseUrl;
use lims::db::{Db, DbConnection};
use lims::workflow::accounts::{create_user_unchecked, NewUser};
use lims::workflow::disposal::{self, StatsFilter};
use lims::workflow::intake::{self, EntityInput, PlanInput};
use lims::workflow::Actor;

const CASES: usize = 100_000;

fn pg_admin_url() -> String {
    std::env::var("LIMS_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

struct Fixture {
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
    db: Db,
    clock: FixedClock,
    sup: Actor,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            if let Ok(mut admin) = diesel::PgConnection::establish(&pg_admin_url()) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// A date or timestamp literal each database stores in its column type.
fn lit(pg: bool, ty: &str, v: &str) -> String {
    if pg {
        format!("{ty} '{v}'")
    } else {
        format!("'{v}'")
    }
}

/// 100,000 non-compliant samples spread over the Qinghai counties, each with its case,
/// opened 2026-03-02 (due 2026-05-31) and read on 2026-06-10, in twenty shares:
/// 11 closed on time, 1 closed late, 1 overturned, 2 open and started, 1 open and not
/// started, and 4 closed on time under other plan levels.
fn fixture(url: DatabaseUrl, dir: Option<tempfile::TempDir>, pg_name: Option<String>) -> Fixture {
    lims::workflow::audit::use_secret(b"bench secret, long enough for hmac use").expect("key");
    let db = Db::connect(&url).expect("db");
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 30, 0)
            .single()
            .expect("time"),
    );
    let now = clock.now_naive();
    let mut conn = db.get().expect("conn");
    lims::seed::load_reference(&mut conn, now).expect("seed");
    let user = |name: &str, role: &str| {
        let system = Actor::system();
        let mut c = db.get().expect("conn");
        let u = create_user_unchecked(
            &mut lims::workflow::Ctx::new(&mut c, now, &system),
            NewUser {
                username: name.into(),
                display_name: name.into(),
                password: "benchmark password".into(),
                roles: vec![role.into()],
                region_code: None,
            },
        )
        .expect("user");
        lims::workflow::accounts::active_user(&mut db.get().expect("conn"), u.id)
            .expect("load")
            .expect("active")
            .to_actor()
    };
    let sampler = user("sam", "sampler");
    let sup = user("sup", "supervisor");
    let plan = intake::create_plan(
        &mut conn,
        now,
        &sup,
        PlanInput {
            code: "B-1".into(),
            name: "bench".into(),
            year: 2026,
            level: "provincial".into(),
            kind: "supervision".into(),
            domain: "food".into(),
            region_code: "630000".into(),
            target_batches: 100,
            ..PlanInput::default()
        },
    )
    .expect("plan");
    let entity = intake::create_entity(
        &mut conn,
        now,
        &sampler,
        EntityInput {
            name: "某某超市".into(),
            uscc: "91630104MA752K8R2Q".into(),
            kind: "distributor".into(),
            address: "西宁".into(),
            region_code: "630104".into(),
            ..EntityInput::default()
        },
    )
    .expect("entity");
    let counties: Vec<String> = lims::db::schema::regions::table
        .filter(lims::db::schema::regions::level.eq("county"))
        .filter(lims::db::schema::regions::code.like("63%"))
        .select(lims::db::schema::regions::code)
        .order(lims::db::schema::regions::code.asc())
        .load(&mut *conn)
        .expect("counties");
    let pg = matches!(&*conn, DbConnection::Pg(_));
    let ts = |v: &str| lit(pg, "TIMESTAMP", v);
    let (sampled, registered) = (ts("2026-03-01 02:00:00"), ts("2026-03-01 03:00:00"));
    let registrar = sampler.id.unwrap_or_default();
    let mut sql = String::from("BEGIN;\n");
    for chunk in (0..CASES).collect::<Vec<_>>().chunks(1000) {
        sql.push_str(
            "INSERT INTO samples (sample_no, plan_id, entity_id, domain, category_code, \
             product_name, stage, sampled_at, quantity, unit, storage, status, conclusion, \
             region_code, registered_by, registered_at, updated_at) VALUES ",
        );
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let county = &counties[i % counties.len()];
                format!(
                    "('B{i:08}', {}, {}, 'food', '34.02', '牦牛肉干', 'circulation', {sampled}, \
                     '2', '袋', 'ambient', 'reported', 'non_compliant', '{county}', {registrar}, \
                     {registered}, {registered})",
                    plan.id, entity.id
                )
            })
            .collect();
        sql.push_str(&rows.join(","));
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;\n");
    conn.batch_execute(&sql).expect("samples");
    let d = |v: &str| lit(pg, "DATE", v);
    let opened = ts("2026-03-02 01:30:00");
    let due = d("2026-05-31");
    let started = d("2026-03-04");
    // (share of twenty, status, outcome, closed at, closed on, started on, plan level)
    let on_time = (
        "'closed'",
        "'completed'",
        ts("2026-04-15 02:00:00"),
        d("2026-04-15"),
        started.clone(),
        "provincial",
    );
    let kinds = [
        (0..11, on_time.clone()),
        (
            11..12,
            (
                "'closed'",
                "'completed'",
                ts("2026-06-05 02:00:00"),
                d("2026-06-05"),
                started.clone(),
                "provincial",
            ),
        ),
        (
            12..13,
            (
                "'closed'",
                "'overturned'",
                ts("2026-03-18 02:00:00"),
                "NULL".into(),
                started.clone(),
                "provincial",
            ),
        ),
        (
            13..15,
            (
                "'open'",
                "NULL",
                "NULL".into(),
                "NULL".into(),
                started.clone(),
                "provincial",
            ),
        ),
        (
            15..16,
            (
                "'open'",
                "NULL",
                "NULL".into(),
                "NULL".into(),
                "NULL".into(),
                "provincial",
            ),
        ),
        (
            16..18,
            (
                on_time.0,
                on_time.1,
                on_time.2.clone(),
                on_time.3.clone(),
                on_time.4.clone(),
                "prefectural",
            ),
        ),
        (
            18..20,
            (
                on_time.0,
                on_time.1,
                on_time.2.clone(),
                on_time.3.clone(),
                on_time.4.clone(),
                "county",
            ),
        ),
    ];
    let mut sql = String::from("BEGIN;\n");
    for (shares, (status, outcome, closed_at, closed_on, started_on, level)) in kinds {
        for share in shares {
            sql.push_str(&format!(
                "INSERT INTO disposal_cases (sample_id, report_no, kind, region_code, domain, \
                 plan_kind, plan_level, status, outcome, opened_at, closed_at, due_on, \
                 started_on, closed_on, version, updated_at) \
                 SELECT id, 'R' || sample_no, 'disposal', region_code, 'food', 'supervision', \
                 '{level}', {status}, {outcome}, {opened}, {closed_at}, {due}, {started_on}, \
                 {closed_on}, 1, {opened} FROM samples WHERE sample_no LIKE 'B%' AND id % 20 = {share};\n"
            ));
        }
    }
    sql.push_str("COMMIT;\n");
    conn.batch_execute(&sql).expect("cases");
    let n: i64 = lims::db::schema::disposal_cases::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    assert_eq!(n as usize, CASES);
    if let DbConnection::Pg(_) = &mut *conn {
        conn.batch_execute("ANALYZE").expect("analyze");
    }
    drop(conn);
    clock.advance(chrono::Duration::days(100));
    Fixture {
        _dir: dir,
        pg_name,
        db,
        clock,
        sup,
    }
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    fixture(url, Some(dir), None)
}

fn postgres() -> Option<Fixture> {
    let mut admin = diesel::PgConnection::establish(&pg_admin_url()).ok()?;
    let name = format!("lims_bench_disposal_{}", std::process::id());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create bench database");
    let mut url = url::Url::parse(&pg_admin_url()).expect("pg url");
    url.set_path(&format!("/{name}"));
    Some(fixture(
        DatabaseUrl::Postgres(url.to_string()),
        None,
        Some(name),
    ))
}

fn bench_rates(c: &mut Criterion, label: &str, f: &Fixture) {
    let now = f.clock.now_naive();
    let year = StatsFilter {
        year: Some("2026".into()),
        ..StatsFilter::default()
    };
    // The figures are what the shares above make them.
    let s = disposal::stats(
        &mut lims::workflow::Ctx::new(&mut f.db.get().expect("conn"), now, &f.sup),
        &year,
    )
    .expect("stats");
    assert_eq!(s.non_compliant, 95_000);
    assert_eq!(s.closed, 80_000);
    assert_eq!(s.closed_on_time, 75_000);
    assert_eq!(s.open, 15_000);
    assert_eq!(s.by_region.len(), 8, "the eight prefectures");
    let mut g = c.benchmark_group(format!("disposal_rates_{label}"));
    g.sample_size(20);
    g.bench_function("100k_cases_province_year", |b| {
        b.iter(|| {
            let mut conn = f.db.get().expect("conn");
            black_box(
                disposal::stats(&mut lims::workflow::Ctx::new(&mut conn, now, &f.sup), &year)
                    .expect("stats"),
            )
        })
    });
    let xining = StatsFilter {
        year: Some("2026".into()),
        region: Some("630100".into()),
        ..StatsFilter::default()
    };
    g.bench_function("100k_cases_one_prefecture", |b| {
        b.iter(|| {
            let mut conn = f.db.get().expect("conn");
            black_box(
                disposal::stats(
                    &mut lims::workflow::Ctx::new(&mut conn, now, &f.sup),
                    &xining,
                )
                .expect("stats"),
            )
        })
    });
    g.finish();
}

fn rates(c: &mut Criterion) {
    let f = sqlite();
    bench_rates(c, "sqlite", &f);
    drop(f);
    match postgres() {
        Some(f) => bench_rates(c, "postgres", &f),
        None => eprintln!(
            "PostgreSQL at {} unreachable: its benchmark is skipped",
            pg_admin_url()
        ),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = rates
}
criterion_main!(benches);
