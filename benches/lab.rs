//! Lab benchmarks (issue: lab work): entering 50 results in one save (a worklist page)
//! and 20 results on each of 100 samples (100 saves), through the use case that the
//! page and the API call: parsing, judging, one transaction with its audit rows.
//! Server time on SQLite (a temp file, WAL); no HTTP. Run: `cargo bench --bench lab`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use lims::clock::{Clock, FixedClock};
use lims::config::DatabaseUrl;
use lims::db::Db;
use lims::workflow::accounts::{create_user_unchecked, NewUser};
use lims::workflow::intake::{
    self, EntityInput, PlanInput, QuantityValue, ReceiptInput, SampleInput,
};
use lims::workflow::lab::{self, AssignInput, AssignmentInput, BulkResultRow};
use lims::workflow::Actor;

struct Fixture {
    _dir: tempfile::TempDir,
    db: Db,
    clock: FixedClock,
    tech: Actor,
    /// Per sample, its tests (id) in order.
    tests: Vec<Vec<i64>>,
    versions: HashMap<i64, i32>,
}

fn user(db: &Db, clock: &FixedClock, name: &str, role: &str) -> Actor {
    let system = Actor::system();
    let mut c = db.get().expect("conn");
    let u = create_user_unchecked(
        &mut lims::workflow::Ctx::new(&mut c, clock.now_naive(), &system),
        NewUser {
            username: name.into(),
            display_name: name.into(),
            password: "benchmark password".into(),
            roles: vec![role.into()],
            region_code: None,
        },
    )
    .expect("user");
    let row = lims::workflow::accounts::active_user(&mut db.get().expect("conn"), u.id)
        .expect("load")
        .expect("active");
    row.to_actor()
}

/// 100 received samples with 20 tests each, all assigned to one technician.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    lims::workflow::audit::use_secret(b"bench secret, long enough for hmac use").expect("key");
    let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("bench.db"))).expect("db");
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 30, 0)
            .single()
            .expect("time"),
    );
    let now = clock.now_naive();
    let mut conn = db.get().expect("conn");
    lims::seed::load_reference(&mut conn, now).expect("seed");
    let s1 = user(&db, &clock, "sam1", "sampler");
    let s2 = user(&db, &clock, "sam2", "sampler");
    let keeper = user(&db, &clock, "keeper", "custodian");
    let sup = user(&db, &clock, "sup", "supervisor");
    let tech = user(&db, &clock, "tech", "technician");
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
        &s1,
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
    let items: Vec<i64> = lims::workflow::reference::list_test_items(&mut conn, None)
        .expect("items")
        .into_iter()
        .filter(|t| t.limit_kind == "max" && t.micro_n.is_none())
        .take(20)
        .map(|t| t.id)
        .collect();
    assert_eq!(items.len(), 20);
    let mut tests = Vec::new();
    let mut versions = HashMap::new();
    for _ in 0..100 {
        let s = intake::register_sample(
            &mut conn,
            now,
            &s1,
            SampleInput {
                plan_id: plan.id,
                entity_id: entity.id,
                domain: "food".into(),
                category_code: "34.02".into(),
                product_name: "牦牛肉干".into(),
                stage: "circulation".into(),
                sampled_at: Utc
                    .with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
                    .single()
                    .expect("t")
                    .fixed_offset(),
                sampler_ids: vec![s1.id.unwrap_or_default(), s2.id.unwrap_or_default()],
                quantity: QuantityValue::Text("2".into()),
                unit: "袋".into(),
                backup_quantity: Some(QuantityValue::Text("2".into())),
                storage: "ambient".into(),
                ..SampleInput::default()
            },
        )
        .expect("sample");
        intake::receive(
            &mut conn,
            now,
            &keeper,
            ReceiptInput {
                scan: s.sample_no.clone(),
                seal_intact: true,
                condition_ok: true,
                ..ReceiptInput::default()
            },
        )
        .expect("receive");
        let assigned = lab::assign(
            &mut conn,
            now,
            &keeper,
            &s.sample_no,
            AssignInput {
                assignments: Some(
                    items
                        .iter()
                        .map(|id| AssignmentInput {
                            test_item_id: *id,
                            assignee_id: tech.id,
                            due_on: None,
                        })
                        .collect(),
                ),
            },
        )
        .expect("assign");
        for t in &assigned {
            versions.insert(t.id, t.version);
        }
        tests.push(assigned.iter().map(|t| t.id).collect());
    }
    drop(conn);
    Fixture {
        _dir: dir,
        db,
        clock,
        tech,
        tests,
        versions,
    }
}

/// Saves results for `ids` in one call and remembers the new versions.
fn save(f: &mut Fixture, ids: &[i64], round: usize) {
    let rows: Vec<BulkResultRow> = ids
        .iter()
        .map(|id| BulkResultRow {
            test_id: *id,
            result_text: format!("0.0{}", 1 + round % 9),
            unit: None,
            lod: None,
            version: f.versions[id],
        })
        .collect();
    let mut conn = f.db.get().expect("conn");
    let saved = lab::enter_results(&mut conn, f.clock.now_naive(), &f.tech, rows).expect("results");
    for t in saved {
        f.versions.insert(t.id, t.version);
    }
}

fn bench(c: &mut Criterion) {
    let mut f = fixture();
    let mut group = c.benchmark_group("results");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(15));
    // 50 results in one save: two and a half samples' worth, as on a worklist page.
    let fifty: Vec<i64> = f.tests.iter().flatten().take(50).copied().collect();
    let mut round = 0;
    group.bench_function("50 results in one save", |b| {
        b.iter(|| {
            round += 1;
            save(&mut f, black_box(&fifty), round);
        })
    });
    // 20 results on each of 100 samples: 100 saves of 20.
    let per_sample = f.tests.clone();
    group.bench_function("20 results on each of 100 samples (100 saves)", |b| {
        b.iter(|| {
            round += 1;
            for ids in &per_sample {
                save(&mut f, black_box(ids), round);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
