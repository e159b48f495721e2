//! Demo data at scale (`lims seed --demo --samples N`): plans, entities and samples
//! across the Qinghai regions in proportion to their population, about 2.7 % of
//! supervision batches non-compliant, with the columns the real workflow stores
//! (region of the entity's county, plan kind and level, category, stage, conclusion,
//! delivery and report deadlines, receipt and report times). Invariant: the same seed
//! and `now` give the same rows, whichever way they are loaded ([`Load`]); everything
//! goes in as one write transaction, so a seeding that fails leaves nothing behind.
//! The generator is pure; its SQL is [`crate::db::demo`] and [`crate::db::bulk`].

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::db::bulk::{
    insert_entities, insert_plans, insert_samples, insert_tests, NewEntity, NewPlan, NewSample,
    NewTest,
};
use crate::db::reference::work_calendar;
use crate::db::{bulk, demo, write_tx, DbConnection};
use crate::domain::calendar::WorkCalendar;
use crate::domain::local_time::local_date;
use crate::error::{AppError, AppResult};
/// Samples generated at a time (then inserted `bulk::CHUNK` by `bulk::CHUNK`) between progress reports.
const BATCH: usize = 50_000;

/// How the samples go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// In bulk when the new samples are at least as many as those already there (the
    /// indexes are then cheaper to rebuild than to keep), otherwise row by row.
    Auto,
    /// Every row through the indexes and triggers of `samples`, as any other write.
    RowByRow,
    /// With the secondary indexes and rollup triggers of `samples` set aside, then the
    /// rollups refilled and the indexes rebuilt ([`crate::db::bulk`]).
    Bulk,
}

/// A small deterministic generator (xorshift64*), so demo data is reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// One of `items` by weight.
    pub fn pick<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            if r < u64::from(*w) {
                return item;
            }
            r -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }
}

/// What was created.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub plans: usize,
    pub entities: usize,
    pub samples: usize,
    pub non_compliant: usize,
    pub failing_tests: usize,
    /// Whether the samples went in with their indexes and triggers set aside.
    pub bulk: bool,
    pub timings: Timings,
}

/// Where the time went (the command prints it; BENCHMARKS.md quotes it).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Reading the reference data, plans and entities.
    pub setup: std::time::Duration,
    /// Generating the sample rows in memory.
    pub generate: std::time::Duration,
    /// Inserting the samples (with their indexes and triggers unless in bulk).
    pub samples: std::time::Duration,
    /// Finding the failing samples' ids and inserting their tests.
    pub tests: std::time::Duration,
    /// In bulk: refilling the rollups (`sample_counts`) from the new samples.
    pub counts: std::time::Duration,
    /// In bulk: rebuilding the secondary indexes of `samples`.
    pub indexes: std::time::Duration,
    /// Sequences, the audit row and the commit.
    pub commit: std::time::Duration,
}

/// A county and the share of samples it gets.
struct County {
    code: String,
    prefecture: String,
    weight: f64,
}

/// The counties with weights from the population: a county's own figure, or its
/// prefecture's remainder shared evenly among the counties without one.
fn counties(conn: &mut DbConnection) -> AppResult<Vec<County>> {
    let rows = demo::regions(conn)?;
    let pops: HashMap<String, Option<i64>> = rows.iter().map(|r| (r.0.clone(), r.3)).collect();
    let mut out = Vec::new();
    for (code, level, parent, _) in rows.iter().filter(|r| r.1 == "prefecture") {
        let _ = (level, parent);
        let kids: Vec<&demo::RegionRow> = rows
            .iter()
            .filter(|r| r.1 == "county" && r.2.as_deref() == Some(code.as_str()))
            .collect();
        let known: i64 = kids.iter().filter_map(|k| k.3).sum();
        let unknown = kids.iter().filter(|k| k.3.is_none()).count();
        let own = pops.get(code).copied().flatten().unwrap_or(known);
        let rest = (own - known).max(0) as f64 / unknown.max(1) as f64;
        for k in kids {
            out.push(County {
                code: k.0.clone(),
                prefecture: code.clone(),
                weight: k.3.map_or(rest, |p| p as f64),
            });
        }
    }
    Ok(out)
}

const STAGES: [(&str, u32); 4] = [
    ("production", 15),
    ("circulation", 55),
    ("catering", 25),
    ("online", 5),
];
const FOOD_KINDS: [(&str, u32); 4] = [
    ("supervision", 70),
    ("evaluation", 10),
    ("public_request", 5),
    ("risk_monitoring", 15),
];
const PLAN_LEVELS: [(&str, u32); 4] = [
    ("national", 10),
    ("provincial", 30),
    ("prefectural", 30),
    ("county", 30),
];
const ENTITY_KINDS: [(&str, u32); 5] = [
    ("producer", 10),
    ("distributor", 45),
    ("catering", 30),
    ("online", 5),
    ("market", 10),
];
/// Samples per entity, on average.
const SAMPLES_PER_ENTITY: usize = 40;
/// Non-compliance among supervision batches (SAMR 2025: 2.74 %) and risk monitoring
/// (4.36 %).
const FAIL_RATE: f64 = 0.0274;
const RISK_FAIL_RATE: f64 = 0.0436;

/// What the seeder is doing, for a progress display: `("samples", done, n)` after each
/// batch, then `("counts", n, n)` and `("indexes", n, n)` when loading in bulk.
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Generates `n` samples sampled in `year` (up to `now`), with their plans and
/// entities, in one write transaction, loading them as [`Load::Auto`] decides. Needs
/// the reference data and at least one user (the registering sampler).
pub fn generate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    year: i32,
    n: usize,
    seed: u64,
    progress: Progress,
) -> AppResult<DemoReport> {
    generate_with(conn, now, year, n, seed, Load::Auto, progress)
}

/// [`generate`], loading the samples as `load` says.
pub fn generate_with(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    year: i32,
    n: usize,
    seed: u64,
    load: Load,
    progress: Progress,
) -> AppResult<DemoReport> {
    // Each sample touches a dozen indexes at random places (unless in bulk), and
    // rebuilding them sorts in memory: a large page cache keeps that in memory.
    demo::large_page_cache(conn, true)?;
    let result = write_tx(conn, |c| {
        fill(c, now, year, n, seed, load, progress).map(|rep| (std::time::Instant::now(), rep))
    });
    demo::large_page_cache(conn, false)?;
    let (closing, mut rep) = result?;
    rep.timings.commit += closing.elapsed();
    Ok(rep)
}

/// The body of [`generate_with`], inside its transaction.
fn fill(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    year: i32,
    n: usize,
    seed: u64,
    load: Load,
    progress: Progress,
) -> AppResult<DemoReport> {
    let started = std::time::Instant::now();
    let mut rng = Rng::new(seed);
    let mut rep = DemoReport::default();
    let sampler: i64 = demo::first_user(conn)?.ok_or_else(|| {
        AppError::internal("demo samples need a user: run `lims seed --demo` first")
    })?;
    let counties = counties(conn)?;
    let total_weight: f64 = counties.iter().map(|c| c.weight).sum();
    let cal = work_calendar(conn)?;
    let cats = demo::sample_categories(conn)?;
    let food_cats: Vec<&(String, String, String)> = cats.iter().filter(|c| c.2 == "food").collect();
    let drug_cats: Vec<&(String, String, String)> = cats.iter().filter(|c| c.2 == "drug").collect();
    let items = demo::test_items(conn)?;
    if food_cats.is_empty() || items.is_empty() {
        return Err(AppError::internal(
            "demo samples need the reference data (categories, test items)",
        ));
    }
    let tag = format!("{:08x}", rng.next_u64() as u32);

    // Plans: each region has one of every kind for the food domain, and a drug
    // supervision plan per prefecture.
    let mut plan_rows = Vec::new();
    let mut plan_keys = Vec::new();
    let prefectures: Vec<String> = {
        let mut p: Vec<String> = counties.iter().map(|c| c.prefecture.clone()).collect();
        p.dedup();
        p
    };
    for pref in &prefectures {
        for (kind, _) in FOOD_KINDS {
            for (level, _) in PLAN_LEVELS {
                plan_keys.push((pref.clone(), "food", kind, level));
            }
        }
        plan_keys.push((pref.clone(), "drug", "supervision", "provincial"));
    }
    for (i, (pref, domain, kind, level)) in plan_keys.iter().enumerate() {
        plan_rows.push(NewPlan {
            code: format!("DEMO-{year}-{tag}-{i:04}"),
            name: format!("演示计划 {year} {pref} {domain} {kind} {level}"),
            year,
            level: level.to_string(),
            kind: kind.to_string(),
            domain: domain.to_string(),
            region_code: pref.clone(),
            target_batches: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        });
    }
    insert_plans(conn, &plan_rows)?;
    rep.plans = plan_rows.len();
    let plan_ids = demo::plan_ids_like(conn, &format!("DEMO-{year}-{tag}-%"))?;
    let mut plan_of: HashMap<(String, &str, &str, &str), i64> = HashMap::new();
    for (key, id) in plan_keys.iter().zip(&plan_ids) {
        plan_of.insert(key.clone(), *id);
    }

    // Entities, in proportion to the samples each county will get.
    let n_entities = (n / SAMPLES_PER_ENTITY).max(counties.len() * 2);
    let mut entity_rows = Vec::with_capacity(n_entities);
    let mut entity_county = Vec::with_capacity(n_entities);
    let mut cum = Vec::with_capacity(counties.len());
    let mut acc = 0.0;
    for c in &counties {
        acc += c.weight / total_weight;
        cum.push(acc);
    }
    let county_at = |x: f64| cum.iter().position(|c| x <= *c).unwrap_or(cum.len() - 1);
    let unit = |rng: &mut Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    for i in 0..n_entities {
        let ci = if i < counties.len() * 2 {
            i % counties.len()
        } else {
            county_at(unit(&mut rng))
        };
        let kind = *rng.pick(&ENTITY_KINDS);
        let drug = kind == "producer" && rng.chance(0.1);
        let county = &counties[ci];
        entity_rows.push(NewEntity {
            name: format!("演示{}单位{:06}", if drug { "药企" } else { "食品" }, i + 1),
            uscc: format!("DEMO{tag}{i:010}"),
            license_no: drug.then(|| format!("青Hz{:08}", 20_200_000 + i % 1_000_000)),
            kind: kind.to_string(),
            address: format!("青海省演示地址{}号", i + 1),
            region_code: county.code.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        });
        entity_county.push((ci, drug));
    }
    insert_entities(conn, &entity_rows)?;
    rep.entities = entity_rows.len();
    let entity_ids = demo::entity_ids_like(conn, &format!("DEMO{tag}%"))?;
    let mut by_county: Vec<Vec<usize>> = vec![Vec::new(); counties.len()];
    let mut drug_by_pref: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (ci, drug)) in entity_county.iter().enumerate() {
        // About one drug producer in seven is not sampled, so coverage has a gap.
        if *drug && i % 7 == 3 {
            continue;
        }
        if *drug {
            drug_by_pref
                .entry(counties[*ci].prefecture.clone())
                .or_default()
                .push(i);
        } else {
            by_county[*ci].push(i);
        }
    }

    // Samples over the year up to today.
    let first =
        NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| AppError::internal("bad year"))?;
    let today = local_date(now);
    let last = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or(first)
        .min(today);
    let span = (last - first).num_days().max(0) as u64 + 1;
    let mut deadline = Deadlines::new(&cal);
    let mut done = 0;
    // Sample numbers continue each county's sequence, as registration does.
    let mut seq = demo::sequences(conn, year)?;
    let existing: Vec<String> = seq.keys().cloned().collect();
    let bulk = match load {
        Load::Bulk => true,
        Load::RowByRow => false,
        Load::Auto => {
            let present = demo::sample_count(conn)?;
            i64::try_from(n).unwrap_or(i64::MAX) >= present
        }
    };
    let set_aside = if bulk {
        Some(bulk::begin_samples(conn)?)
    } else {
        None
    };
    rep.bulk = bulk;
    rep.timings.setup = started.elapsed();
    while done < n {
        let take = BATCH.min(n - done);
        let generating = std::time::Instant::now();
        let mut rows = Vec::with_capacity(take);
        let mut failing: Vec<(usize, usize)> = Vec::new();
        for k in 0..take {
            let ci = county_at(unit(&mut rng));
            let county = &counties[ci];
            let drug_pool = drug_by_pref.get(&county.prefecture);
            let is_drug = drug_pool.is_some_and(|p| !p.is_empty()) && rng.chance(0.03);
            let (entity, kind, level, domain, cat) = if is_drug {
                let pool = drug_pool.map(Vec::as_slice).unwrap_or(&[]);
                let e = pool[rng.below(pool.len() as u64) as usize];
                let cat = drug_cats
                    .get(rng.below(drug_cats.len().max(1) as u64) as usize)
                    .copied()
                    .unwrap_or(food_cats[0]);
                (e, "supervision", "provincial", "drug", cat)
            } else {
                let pool = &by_county[ci];
                let e = if pool.is_empty() {
                    0
                } else {
                    pool[rng.below(pool.len() as u64) as usize]
                };
                let cat = food_cats[rng.below(food_cats.len() as u64) as usize];
                (
                    e,
                    *rng.pick(&FOOD_KINDS),
                    *rng.pick(&PLAN_LEVELS),
                    "food",
                    cat,
                )
            };
            let entity_region = &counties[entity_county[entity].0].code;
            let plan_id = plan_of
                .get(&(county.prefecture.clone(), domain, kind, level))
                .copied()
                .unwrap_or(plan_ids[0]);
            // Samples come in date order, as they are registered: sample numbers rise
            // with the date, and the time-ordered indexes grow at their ends.
            let day = first + Duration::days(((done + k) as u64 * span / n.max(1) as u64) as i64);
            let sampled_at = day
                .and_hms_opt(1 + rng.below(8) as u32, rng.below(60) as u32, 0)
                .unwrap_or_default();
            // Most samples reach the lab within three days; about 2 % take one to two
            // weeks and arrive after the delivery deadline.
            let transit = if rng.chance(0.02) {
                120 + rng.below(216)
            } else {
                4 + rng.below(70)
            };
            let received_at = sampled_at + Duration::hours(transit as i64);
            let delivery = deadline.after(day, 5);
            let received_on = local_date(received_at);
            let due = deadline.after(received_on, 20);
            let reported_at = received_at
                + Duration::days(3 + rng.below(25) as i64)
                + Duration::hours(rng.below(6) as i64);
            let (status, conclusion, received, reported) = if received_at > now {
                ("registered", "pending", None, None)
            } else if reported_at > now {
                ("testing", "pending", Some(received_at), None)
            } else {
                let p = if kind == "risk_monitoring" {
                    RISK_FAIL_RATE
                } else {
                    FAIL_RATE
                };
                let fail = rng.chance(p);
                (
                    "reported",
                    if fail { "non_compliant" } else { "compliant" },
                    Some(received_at),
                    Some(reported_at),
                )
            };
            // The turnaround approval stores with the report.
            let turn = reported.map(|r| deadline.turnaround(received_on, local_date(r)));
            let y = day.year();
            let s = seq.entry(entity_region.clone()).or_insert(0);
            *s += 1;
            if conclusion == "non_compliant" {
                failing.push((rows.len(), rng.below(items.len() as u64) as usize));
            }
            rows.push(NewSample {
                sample_no: format!(
                    "{}{y:04}{entity_region}{:05}",
                    if domain == "drug" { "D" } else { "F" },
                    *s
                ),
                plan_id,
                entity_id: entity_ids.get(entity).copied().unwrap_or(entity_ids[0]),
                domain: domain.to_string(),
                category_code: cat.0.clone(),
                product_name: cat.1.clone(),
                stage: if domain == "drug" {
                    "production".into()
                } else {
                    rng.pick(&STAGES).to_string()
                },
                sampled_at,
                quantity: "2".into(),
                unit: "kg".into(),
                storage: "ambient".into(),
                status: status.into(),
                conclusion: conclusion.into(),
                region_code: entity_region.clone(),
                registered_by: sampler,
                registered_at: sampled_at,
                delivery_due_on: Some(delivery),
                delivery_due_provisional: false,
                received_at: received,
                received_by: received.map(|_| sampler),
                delivered_late: received.map(|_| received_on > delivery),
                due_on: received.map(|_| due),
                due_provisional: false,
                reported_at: reported,
                turnaround_days: turn.map(|t| t.0),
                turnaround_provisional: turn.is_some_and(|t| t.1),
                version: 1,
                updated_at: reported.or(received).unwrap_or(sampled_at),
            });
        }
        let nos: Vec<String> = failing
            .iter()
            .map(|(i, _)| rows[*i].sample_no.clone())
            .collect();
        rep.timings.generate += generating.elapsed();
        let inserting = std::time::Instant::now();
        insert_samples(conn, &rows)?;
        rep.timings.samples += inserting.elapsed();
        let testing = std::time::Instant::now();
        if !failing.is_empty() {
            let ids = demo::sample_ids(conn, &nos)?;
            let tests: Vec<NewTest> = failing
                .iter()
                .zip(&nos)
                .filter_map(|((_, item), no)| {
                    let it = &items[*item];
                    Some(NewTest {
                        sample_id: *ids.get(no)?,
                        test_item_id: it.0,
                        name: it.2.clone(),
                        method_standard: it.3.clone(),
                        judgment_standard: it.4.clone(),
                        limit_kind: it.5.clone(),
                        unit: it.6.clone(),
                        status: "accepted".into(),
                        attempt: 1,
                        judgment: Some("fail".into()),
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    })
                })
                .collect();
            insert_tests(conn, &tests)?;
        }
        rep.timings.tests += testing.elapsed();
        rep.non_compliant += failing.len();
        rep.failing_tests += failing.len();
        done += take;
        rep.samples = done;
        progress("samples", done, n);
    }
    if let Some(set_aside) = set_aside {
        (rep.timings.counts, rep.timings.indexes) =
            set_aside.finish(conn, &mut |what| progress(what, n, n))?;
    }
    let closing = std::time::Instant::now();
    let summary = serde_json::json!({
        "year": year, "plans": rep.plans, "entities": rep.entities,
        "samples": rep.samples, "non_compliant": rep.non_compliant, "tag": tag,
    });
    // One audit row records that demo data was generated, and how much.
    crate::workflow::audit::append(
        conn,
        now,
        &crate::workflow::Actor::system(),
        crate::workflow::audit::Change {
            action: "demo.samples",
            entity_kind: "demo",
            entity_id: tag.clone(),
            after: Some(summary),
            ..Default::default()
        },
    )?;
    for (county, last) in &seq {
        demo::set_sequence(conn, year, county, *last, existing.contains(county))?;
    }
    rep.timings.commit = closing.elapsed();
    Ok(rep)
}

/// Working-day deadlines, computed once per start date.
struct Deadlines<'a> {
    cal: &'a WorkCalendar,
    memo: HashMap<(NaiveDate, u32), NaiveDate>,
    turns: HashMap<(NaiveDate, NaiveDate), (i64, bool)>,
}

impl<'a> Deadlines<'a> {
    fn new(cal: &'a WorkCalendar) -> Self {
        Deadlines {
            cal,
            memo: HashMap::new(),
            turns: HashMap::new(),
        }
    }
    fn after(&mut self, start: NaiveDate, days: u32) -> NaiveDate {
        let cal = self.cal;
        *self
            .memo
            .entry((start, days))
            .or_insert_with(|| cal.add_working_days(start, days).date)
    }
    /// Working days from receipt to report (`domain::stats::turnaround_days`).
    fn turnaround(&mut self, received: NaiveDate, reported: NaiveDate) -> (i64, bool) {
        let cal = self.cal;
        *self
            .turns
            .entry((received, reported))
            .or_insert_with(|| crate::domain::stats::turnaround_days(cal, received, reported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_reproducible_and_picks_by_weight() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut r = Rng::new(42);
        let n = 100_000;
        let fails = (0..n).filter(|_| r.chance(FAIL_RATE)).count();
        let share = fails as f64 / n as f64;
        assert!((share - FAIL_RATE).abs() < 0.003, "{share}");
        let circ = (0..n).filter(|_| *r.pick(&STAGES) == "circulation").count();
        assert!((circ as f64 / n as f64 - 0.55).abs() < 0.01);
    }
}
