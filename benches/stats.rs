//! Statistics benchmarks (issue #7): the sampling rate by county for a year, the quality
//! figure and the summary, through the use cases the API and the dashboard call, on
//! demo data. `LIMS_BENCH_DB` names a database already seeded with
//! `lims seed --demo --samples N` (SQLite file URL or PostgreSQL URL); without it a
//! temporary SQLite database with `LIMS_BENCH_SAMPLES` (default 100,000) samples is
//! generated first. Run: `cargo bench --bench stats`.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use lims::clock::{Clock, FixedClock};
use lims::config::DatabaseUrl;
use lims::db::Db;
use lims::workflow::stats::{self, StatsFilter};
use lims::workflow::Actor;

fn bench(c: &mut Criterion) {
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 4, 0, 0)
            .single()
            .expect("time"),
    );
    let now = clock.now_naive();
    let dir = tempfile::tempdir().expect("temp dir");
    lims::workflow::audit::use_secret(b"bench secret, long enough for hmac use").expect("key");
    let db = match std::env::var("LIMS_BENCH_DB") {
        Ok(url) => Db::connect(&DatabaseUrl::parse(&url).expect("url")).expect("db"),
        Err(_) => {
            let n: usize = std::env::var("LIMS_BENCH_SAMPLES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(100_000);
            let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("bench.db"))).expect("db");
            let mut conn = db.get().expect("conn");
            lims::seed::load_reference(&mut conn, now).expect("seed");
            lims::seed::load_demo_users(&mut conn, now).expect("users");
            lims::seed::demo_scale::generate(&mut conn, now, 2026, n, 7, &mut |_, _, _| {})
                .expect("demo");
            db
        }
    };
    let actor = Actor::system();
    let year = StatsFilter {
        year: Some("2026".into()),
        level: Some("county".into()),
        ..Default::default()
    };
    let to_date = StatsFilter {
        from: Some("2026-01-01".into()),
        to: Some("2026-11-28".into()),
        level: Some("county".into()),
        ..Default::default()
    };
    let mut g = c.benchmark_group("stats");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("sampling rate by county, one year", |b| {
        b.iter(|| {
            let mut conn = db.get().expect("conn");
            black_box(
                stats::sampling_rate(&mut lims::workflow::Ctx::new(&mut conn, now, &actor), &year)
                    .expect("rate"),
            )
        })
    });
    g.bench_function("sampling rate by county, 1 Jan to 28 Nov", |b| {
        b.iter(|| {
            let mut conn = db.get().expect("conn");
            black_box(
                stats::sampling_rate(
                    &mut lims::workflow::Ctx::new(&mut conn, now, &actor),
                    &to_date,
                )
                .expect("rate"),
            )
        })
    });
    g.bench_function("lab, one year", |b| {
        b.iter(|| {
            let mut conn = db.get().expect("conn");
            black_box(
                stats::lab(&mut lims::workflow::Ctx::new(&mut conn, now, &actor), &year)
                    .expect("lab"),
            )
        })
    });
    g.bench_function("quality, one year", |b| {
        b.iter(|| {
            let mut conn = db.get().expect("conn");
            black_box(
                stats::quality(&mut lims::workflow::Ctx::new(&mut conn, now, &actor), &year)
                    .expect("quality"),
            )
        })
    });
    g.bench_function("summary, one year", |b| {
        b.iter(|| {
            let mut conn = db.get().expect("conn");
            black_box(
                stats::summary(&mut lims::workflow::Ctx::new(&mut conn, now, &actor), &year)
                    .expect("summary"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
