//! Demo seeding at scale (`lims seed --demo --samples N`): loading in bulk (indexes and
//! rollup triggers of `samples` set aside, then rebuilt and refilled) leaves the same
//! rows, schema and counts as loading row by row, and the refill SQL generated from each
//! rollup's one description (`db::rollups::ROLLUPS`) counts exactly what the triggers
//! count.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use lims::clock::FixedClock;
use lims::db::rollups::ROLLUPS;
use lims::db::schema::{sample_counts, sample_sequences, sample_tests, samples};
use lims::db::DbConnection;
use lims::seed::demo_scale::{generate_with, Load};

use crate::support::fixtures::schema_snapshot;
use crate::support::{make_user, test_start, Backend, TestDb};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    demo_seeding_in_bulk_leaves_the_rows_schema_and_counts_of_seeding_row_by_row,
    the_counts_refilled_after_a_bulk_seed_equal_those_the_triggers_keep,
    an_upgrade_brings_new_and_corrected_reference_data_and_keeps_admin_edits,
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

fn stored_rules(c: &mut DbConnection) -> Vec<serde_json::Value> {
    use lims::db::schema::rule_profiles;
    let text: String = rule_profiles::table
        .filter(rule_profiles::domain.eq("food"))
        .filter(rule_profiles::plan_kind.eq("supervision"))
        .select(rule_profiles::rules)
        .first(c)
        .expect("food supervision profile");
    serde_json::from_str::<Vec<serde_json::Value>>(&text).expect("rules")
}

fn set_rules(c: &mut DbConnection, rules: &[serde_json::Value]) {
    use lims::db::schema::rule_profiles;
    diesel::update(
        rule_profiles::table
            .filter(rule_profiles::domain.eq("food"))
            .filter(rule_profiles::plan_kind.eq("supervision")),
    )
    .set(rule_profiles::rules.eq(serde_json::to_string(rules).unwrap()))
    .execute(c)
    .unwrap();
}

fn rule<'a>(rules: &'a [serde_json::Value], key: &str) -> Option<&'a serde_json::Value> {
    rules.iter().find(|r| r["key"] == key)
}

fn item_id(c: &mut DbConnection, name: &str) -> i64 {
    use lims::db::schema::test_items;
    test_items::table
        .filter(test_items::category_code.eq("01.01"))
        .filter(test_items::name.eq(name))
        .select(test_items::id)
        .first(c)
        .expect("shipped test item")
}

/// A database seeded by an older release (simulated: a rule the older release did not
/// ship, older values of a rule, a test item, a category and a 2026 holiday, written
/// straight into the rows as that release would have left them) meets the current
/// shipped set: the new rule arrives, every unedited old value is updated, and the
/// values an admin changed (through the audited use cases) are kept; the summary that
/// `lims seed` prints says which. A second load changes nothing.
fn an_upgrade_brings_new_and_corrected_reference_data_and_keeps_admin_edits(b: Backend) {
    use lims::db::schema::{categories, holidays, test_items};
    use lims::workflow::reference::{self, ProfileInput, TestItemPatch};
    use lims::workflow::Actor;
    let db = seeded_db(b);
    let c = &mut *db.conn();
    let shipped = stored_rules(c);
    let new_key = shipped[0]["key"].as_str().unwrap().to_string();
    let numeric: Vec<String> = shipped
        .iter()
        .skip(1)
        .filter(|r| r["value"].is_u64())
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect();
    let (old_key, edit_key) = (numeric[0].clone(), numeric[1].clone());
    let shipped_old = rule(&shipped, &old_key).unwrap()["value"].as_u64().unwrap();
    let shipped_edit = rule(&shipped, &edit_key).unwrap()["value"]
        .as_u64()
        .unwrap();
    // The older release: no `new_key`, another value for `old_key`.
    let mut older: Vec<serde_json::Value> = shipped
        .iter()
        .filter(|r| r["key"] != new_key.as_str())
        .cloned()
        .collect();
    for r in older.iter_mut().filter(|r| r["key"] == old_key.as_str()) {
        r["value"] = serde_json::json!(shipped_old + 7);
    }
    set_rules(c, &older);
    let lead = item_id(c, "铅(以Pb计)");
    let cadmium = item_id(c, "镉(以Cd计)");
    diesel::update(test_items::table.find(lead))
        .set(test_items::method_standard.eq("GB 5009.12-2010"))
        .execute(c)
        .unwrap();
    diesel::update(test_items::table.find(cadmium))
        .set(test_items::judgment_standard.eq("GB 2762-2017"))
        .execute(c)
        .unwrap();
    let shipped_cat: String = categories::table
        .find("01.01")
        .select(categories::name_en)
        .first(c)
        .unwrap();
    diesel::update(categories::table.find("01.01"))
        .set(categories::name_en.eq("Rice (old name)"))
        .execute(c)
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let removed_holidays = diesel::delete(holidays::table.filter(holidays::day.eq(day)))
        .execute(c)
        .unwrap();
    assert_eq!(removed_holidays, 1, "2026-01-01 is a shipped holiday");
    // An admin, under the older release, edits a rule and the cadmium limit.
    let system = Actor::system();
    let mut edited = older.clone();
    for r in edited.iter_mut().filter(|r| r["key"] == edit_key.as_str()) {
        r["value"] = serde_json::json!(shipped_edit + 3);
    }
    let version = reference::list_profiles(c)
        .unwrap()
        .into_iter()
        .find(|p| p.domain.as_str() == "food" && p.plan_kind.as_str() == "supervision")
        .unwrap()
        .version;
    reference::put_profile(
        &mut lims::workflow::Ctx::new(c, now(), &system),
        "food",
        "supervision",
        ProfileInput {
            domain: None,
            plan_kind: None,
            rules: serde_json::from_value(serde_json::Value::Array(edited)).unwrap(),
            version: Some(version),
        },
        Some("local practice"),
    )
    .unwrap();
    let cd_version: i32 = test_items::table
        .find(cadmium)
        .select(test_items::version)
        .first(c)
        .unwrap();
    reference::update_test_item(
        &mut lims::workflow::Ctx::new(c, now(), &system),
        cadmium,
        TestItemPatch {
            limit_max: Some(Some(
                serde_json::from_value(serde_json::json!("0.1")).unwrap(),
            )),
            version: cd_version,
            ..Default::default()
        },
    )
    .unwrap();
    // The older release stored rules without a basis: their provenance was `citation`.
    let without_basis: Vec<serde_json::Value> = stored_rules(c)
        .into_iter()
        .map(|mut r| {
            let o = r.as_object_mut().unwrap();
            o.remove("basis");
            if let Some(n) = o.remove("notes") {
                o.insert("citation".into(), n);
            }
            r
        })
        .collect();
    set_rules(c, &without_basis);
    // The current release loads its set, as an operator does: `lims seed`.
    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::lims_command(&db.url, dir.path())
        .arg("seed")
        .output()
        .expect("lims seed runs");
    assert!(
        out.status.success(),
        "lims seed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let after = stored_rules(c);
    assert!(rule(&after, &new_key).is_some(), "the new rule arrived");
    assert_eq!(
        rule(&after, &old_key).unwrap()["value"],
        shipped_old,
        "updated"
    );
    assert_eq!(
        rule(&after, &edit_key).unwrap()["value"],
        shipped_edit + 3,
        "the admin's value is kept"
    );
    assert!(
        after
            .iter()
            .all(|r| r["basis"].as_str().is_some_and(|b| !b.trim().is_empty())),
        "every stored rule has its basis now: {after:?}"
    );
    assert_eq!(
        rule(&after, &edit_key).unwrap()["basis"],
        rule(&shipped, &edit_key).unwrap()["basis"],
        "an edited rule gets only its missing basis from the shipped rule"
    );
    let (lead_method, cd_judgment, cd_limit): (String, String, Option<String>) = (
        test_items::table
            .find(lead)
            .select(test_items::method_standard)
            .first(c)
            .unwrap(),
        test_items::table
            .find(cadmium)
            .select(test_items::judgment_standard)
            .first(c)
            .unwrap(),
        test_items::table
            .find(cadmium)
            .select(test_items::limit_max)
            .first(c)
            .unwrap(),
    );
    assert_eq!(
        lead_method, "GB 5009.12-2023",
        "an unedited item is updated"
    );
    assert_eq!(
        cd_judgment, "GB 2762-2022",
        "an unedited field of an edited item too"
    );
    assert_eq!(
        cd_limit.as_deref(),
        Some("0.1"),
        "the admin's limit is kept"
    );
    let cat: String = categories::table
        .find("01.01")
        .select(categories::name_en)
        .first(c)
        .unwrap();
    assert_eq!(cat, shipped_cat);
    let back: i64 = holidays::table
        .filter(holidays::day.eq(day))
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(back, 1, "the corrected calendar year is loaded");
    let lines = |what: &str, words: &[&str]| {
        printed
            .lines()
            .filter(|l| l.contains(what) && words.iter().all(|w| l.contains(w)))
            .count()
    };
    assert_eq!(lines("added: rule", &[]), 1, "one new rule:\n{printed}");
    for exact in [
        format!("reference data added: rule food/supervision {new_key}"),
        format!("reference data updated: rule food/supervision {old_key}"),
        format!("reference data kept (edited by an admin): rule food/supervision {edit_key}"),
    ] {
        assert!(printed.lines().any(|l| l == exact), "{exact}:\n{printed}");
    }
    for (what, words) in [
        ("updated: test item", vec!["铅(以Pb计)", "method_standard"]),
        (
            "updated: test item",
            vec!["镉(以Cd计)", "judgment_standard"],
        ),
        ("updated: category", vec!["01.01"]),
        ("updated: calendar", vec!["2026"]),
        ("kept", vec!["镉(以Cd计)", "limit_max"]),
    ] {
        assert_eq!(
            lines(what, &words),
            1,
            "{what} {words:?} printed once:\n{printed}"
        );
    }
    let edit_line = format!("rule food/supervision {edit_key}");
    assert_eq!(lines("updated", &[&edit_line]), 1, "{printed}");
    assert_eq!(
        lines("updated", &[&edit_line, "basis added"]),
        1,
        "only its basis: {printed}"
    );
    assert_eq!(lines("updated", &["limit_max"]), 0, "{printed}");
    let has =
        |list: &[String], words: &[&str]| list.iter().any(|l| words.iter().all(|w| l.contains(w)));
    // Loading again changes nothing, and still names what it keeps.
    let again = lims::seed::load_reference(c, now()).unwrap();
    assert_eq!(again.total(), 0, "{again:?}");
    assert!(again.updated.is_empty(), "{again:?}");
    assert!(has(&again.kept, &[&edit_key]), "{again:?}");
}
