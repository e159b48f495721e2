//! Demo seeding at scale (`lims seed --demo --samples N`): loading in bulk (indexes and
//! rollup triggers of `samples` set aside, then rebuilt and refilled) leaves the same
//! rows, schema and counts as loading row by row, and the refill SQL
//! (`db::rollups::ROLLUPS`) counts exactly what the triggers count.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use lims::clock::FixedClock;
use lims::db::rollups::ROLLUPS;
use lims::db::schema::{sample_counts, sample_sequences, sample_tests, samples};
use lims::db::DbConnection;
use lims::seed::demo_scale::{generate_with, Load};

use crate::foundation::schema_snapshot;
use crate::support::{make_user, test_start, Backend, TestDb};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    demo_seeding_in_bulk_leaves_the_rows_schema_and_counts_of_seeding_row_by_row,
    the_counts_refilled_after_a_bulk_seed_equal_those_the_triggers_keep,
];

/// Mid-June, so that the samples are in every state from registered to reported.
fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 15)
        .and_then(|d| d.and_hms_opt(4, 0, 0))
        .expect("time")
}

fn seeded_db(b: Backend) -> TestDb {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    make_user(&db, &clock, "sampler", &["sampler"], None);
    db
}

fn seed(c: &mut DbConnection, n: usize, seed: u64, load: Load) -> bool {
    generate_with(c, now(), 2026, n, seed, load, &mut |_, _, _| {})
        .expect("demo samples")
        .bulk
}

type SampleRow = (
    i64,
    String,
    i64,
    i64,
    NaiveDateTime,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDate>,
    Option<bool>,
);
type CountRow = (String, String, i64, String, String, String, i64);

/// The rows a seeding writes, the counts kept for them, and the schema.
#[derive(Debug, PartialEq)]
struct Snapshot {
    samples: Vec<SampleRow>,
    tests: Vec<(i64, i64, i64, Option<String>)>,
    counts: Vec<CountRow>,
    rollups: Vec<(String, Vec<String>)>,
    sequences: Vec<(i32, String, i32)>,
    schema: Vec<String>,
}

fn counts(c: &mut DbConnection) -> Vec<CountRow> {
    sample_counts::table
        .filter(sample_counts::batches.ne(0))
        .select((
            sample_counts::month,
            sample_counts::region_code,
            sample_counts::plan_id,
            sample_counts::domain,
            sample_counts::stage,
            sample_counts::conclusion,
            sample_counts::batches,
        ))
        .order((
            sample_counts::month,
            sample_counts::region_code,
            sample_counts::plan_id,
            sample_counts::domain,
            sample_counts::stage,
            sample_counts::conclusion,
        ))
        .load(c)
        .expect("counts")
}

/// Every trigger-kept rollup of `samples` and the count that is zero in a row the
/// triggers emptied. A rollup added to `db::rollups::ROLLUPS` must be named here too.
const ROLLUP_TABLES: [(&str, &str); 4] = [
    ("sample_counts", "batches"),
    ("category_counts", "batches"),
    ("report_counts", "reports"),
    ("receipt_counts", "received"),
];

/// The non-empty rows of every rollup, as text.
fn rollups(c: &mut DbConnection) -> Vec<(String, Vec<String>)> {
    for r in ROLLUPS {
        assert!(
            ROLLUP_TABLES.iter().any(|(t, _)| *t == r.table),
            "{} is not compared",
            r.table
        );
    }
    let mut out = Vec::new();
    for (table, count) in ROLLUP_TABLES {
        let row = match c {
            DbConnection::Pg(_) => format!("{table}::text"),
            DbConnection::Sqlite(_) => {
                let columns: Vec<Line> = diesel::sql_query(format!(
                    "SELECT name AS line FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .load(c)
                .expect("columns");
                columns
                    .iter()
                    .map(|l| format!("COALESCE(CAST({} AS TEXT), 'NULL')", l.line))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ")
            }
        };
        let rows: Vec<Line> = diesel::sql_query(format!(
            "SELECT {row} AS line FROM {table} WHERE {count} <> 0 ORDER BY 1"
        ))
        .load(c)
        .expect("rollup rows");
        out.push((
            table.to_string(),
            rows.into_iter().map(|l| l.line).collect(),
        ));
    }
    out
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// Every table, column, index and trigger, and on PostgreSQL whether each trigger fires
/// (a bulk load disables rather than drops them there) and every constraint (SQLite
/// keeps them in the CREATE TABLE text).
fn schema(c: &mut DbConnection) -> Vec<String> {
    let mut schema = schema_snapshot(c);
    if let DbConnection::Pg(_) = c {
        let lines: Vec<Line> = diesel::sql_query(
            "SELECT tgname || ' ' || tgenabled::text || ' ' || pg_get_triggerdef(oid) AS line \
             FROM pg_trigger WHERE NOT tgisinternal \
             UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' \
               || pg_get_constraintdef(oid) || ' ' || convalidated::text \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
        )
        .load(c)
        .expect("triggers");
        schema.extend(lines.into_iter().map(|l| l.line));
    }
    schema
}

/// The lines of `a` missing from `b` and those of `b` missing from `a`.
fn differences(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let only = |x: &[String], y: &[String]| x.iter().filter(|l| !y.contains(l)).cloned().collect();
    (only(a, b), only(b, a))
}

fn snapshot(c: &mut DbConnection) -> Snapshot {
    let schema = schema(c);
    Snapshot {
        samples: samples::table
            .select((
                samples::id,
                samples::sample_no,
                samples::plan_id,
                samples::entity_id,
                samples::sampled_at,
                samples::status,
                samples::conclusion,
                samples::stage,
                samples::received_at,
                samples::reported_at,
                samples::due_on,
                samples::delivered_late,
            ))
            .order(samples::id)
            .load(c)
            .expect("samples"),
        tests: sample_tests::table
            .select((
                sample_tests::id,
                sample_tests::sample_id,
                sample_tests::test_item_id,
                sample_tests::judgment,
            ))
            .order(sample_tests::id)
            .load(c)
            .expect("tests"),
        counts: counts(c),
        rollups: rollups(c),
        sequences: sample_sequences::table
            .select((
                sample_sequences::year,
                sample_sequences::county_code,
                sample_sequences::last_value,
            ))
            .order((sample_sequences::year, sample_sequences::county_code))
            .load(c)
            .expect("sequences"),
        schema,
    }
}

fn demo_seeding_in_bulk_leaves_the_rows_schema_and_counts_of_seeding_row_by_row(b: Backend) {
    let by_row = seeded_db(b);
    let in_bulk = seeded_db(b);
    let mut r = by_row.conn();
    let mut k = in_bulk.conn();
    let migrated = schema(&mut k);

    // Into an empty table the seeder loads in bulk by itself; into one holding more
    // samples than it adds, row by row. The second seeding adds to months and counties
    // the first one counted already.
    assert!(!seed(&mut r, 800, 7, Load::RowByRow));
    assert!(seed(&mut k, 800, 7, Load::Auto));
    assert!(!seed(&mut r, 2_500, 8, Load::RowByRow));
    assert!(seed(&mut k, 2_500, 8, Load::Bulk));
    assert!(!seed(&mut r, 300, 9, Load::RowByRow));
    assert!(!seed(&mut k, 300, 9, Load::Auto));

    let expected = snapshot(&mut r);
    let got = snapshot(&mut k);
    assert_eq!(expected.samples.len(), 3_600);
    let failing = expected
        .samples
        .iter()
        .filter(|s| s.6 == "non_compliant")
        .count();
    assert!(failing > 20, "{failing} non-compliant");
    assert_eq!(expected.tests.len(), failing);
    assert_eq!(
        expected.counts.iter().map(|c| c.6).sum::<i64>(),
        3_600,
        "no demo sample is rejected, so every one is counted"
    );
    assert_eq!(
        differences(&migrated, &got.schema),
        (vec![], vec![]),
        "the schema is the migrations' again"
    );
    assert_eq!(differences(&migrated, &expected.schema), (vec![], vec![]));
    assert_eq!(got.samples, expected.samples);
    assert_eq!(got.tests, expected.tests);
    assert_eq!(got.counts, expected.counts);
    for ((table, rows), (_, expected_rows)) in got.rollups.iter().zip(&expected.rollups) {
        assert!(!rows.is_empty(), "{table} is empty");
        assert_eq!(rows, expected_rows, "{table}");
    }
    assert_eq!(got.sequences, expected.sequences);
}

fn the_counts_refilled_after_a_bulk_seed_equal_those_the_triggers_keep(b: Backend) {
    let db = seeded_db(b);
    let mut c = db.conn();
    assert!(!seed(&mut c, 1_500, 11, Load::RowByRow));
    // Changes the triggers follow: rejections, a move to another month and county, a
    // late delivery, a recounted turnaround, a deletion (the triggers leave zero counts
    // behind; the comparison skips those).
    c.batch_execute(
        "UPDATE samples SET status = 'rejected' WHERE id IN (SELECT id FROM samples ORDER BY id LIMIT 40); \
         UPDATE samples SET sampled_at = '2026-02-10 03:00:00', region_code = '630102' \
           WHERE id IN (SELECT id FROM samples WHERE conclusion = 'compliant' ORDER BY id DESC LIMIT 25); \
         UPDATE samples SET delivered_late = NOT delivered_late \
           WHERE id IN (SELECT id FROM samples WHERE received_at IS NOT NULL ORDER BY id LIMIT 30); \
         UPDATE samples SET turnaround_days = turnaround_days + 1 \
           WHERE id IN (SELECT id FROM samples WHERE turnaround_days IS NOT NULL ORDER BY id DESC LIMIT 30); \
         DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE conclusion = 'pending' \
           AND id NOT IN (SELECT sample_id FROM sample_tests) ORDER BY id LIMIT 9);",
    )
    .expect("changes");
    let kept = rollups(&mut c);
    for (table, rows) in &kept {
        assert!(rows.len() > 20, "{table}: {}", rows.len());
    }

    for rollup in ROLLUPS {
        c.batch_execute(&format!("DELETE FROM {}", rollup.table))
            .expect("clear");
        rollup.refill(&mut c, 0).expect("refill");
    }
    assert_eq!(rollups(&mut c), kept);
}
