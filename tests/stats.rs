//! Statistics over HTTP: the sampling rate per thousand residents computed by hand from
//! the shipped 2020 census, with a prefecture whose counties have no figure and one
//! rolled up from its counties; quality and lab figures; bad input; the CSV export.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;

use lims::db::bulk::{
    insert_entities, insert_plans, insert_samples, NewEntity, NewPlan, NewSample,
};
use lims::db::DbConnection;

mod oracle;

use oracle::{assert_rollups_match, kept_and_counted};

use crate::support::fixtures::login_form;
use crate::support::{make_user, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    sampling_rate_per_thousand_matches_the_hand_computed_figures,
    a_scoped_supervisor_sees_only_its_region,
    quality_and_lab_figures_follow_the_samples,
    bad_filters_are_422_naming_the_field,
    the_sampling_rate_exports_as_csv_with_a_byte_order_mark_and_as_xlsx,
    the_dashboard_shows_the_chart_and_tables_in_both_languages,
    the_monthly_counts_follow_every_change_to_a_sample,
];

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
}

/// Builds plans, entities and samples directly, as the workflow stores them.
struct Fixture {
    user: i64,
    plans: std::collections::HashMap<String, i64>,
    entities: std::collections::HashMap<String, i64>,
    seq: usize,
}

struct Batch<'a> {
    county: &'a str,
    kind: &'a str,
    n: usize,
    sampled_at: &'a str,
    status: &'a str,
    conclusion: &'a str,
    received_at: Option<&'a str>,
    reported_at: Option<&'a str>,
    due_on: Option<&'a str>,
    stage: &'a str,
    category: &'a str,
}

impl<'a> Batch<'a> {
    fn new(county: &'a str, kind: &'a str, n: usize) -> Self {
        Batch {
            county,
            kind,
            n,
            sampled_at: "2026-02-10 02:00:00",
            status: "registered",
            conclusion: "pending",
            received_at: None,
            reported_at: None,
            due_on: None,
            stage: "circulation",
            category: "01.01",
        }
    }
}

impl Fixture {
    fn new(app: &TestApp) -> Fixture {
        let user = make_user(&app.db, &app.clock, "fixture_sampler", &["sampler"], None);
        Fixture {
            user,
            plans: Default::default(),
            entities: Default::default(),
            seq: 0,
        }
    }

    fn plan(&mut self, c: &mut DbConnection, kind: &str) -> i64 {
        if let Some(id) = self.plans.get(kind) {
            return *id;
        }
        let now = t("2026-01-01 00:00:00");
        insert_plans(
            c,
            &[NewPlan {
                code: format!("T-{kind}"),
                name: format!("plan {kind}"),
                year: 2026,
                level: "provincial".into(),
                kind: kind.into(),
                domain: "food".into(),
                region_code: "630000".into(),
                target_batches: 0,
                version: 1,
                created_at: now,
                updated_at: now,
            }],
        )
        .expect("plan");
        let id: i64 = lims::db::schema::plans::table
            .filter(lims::db::schema::plans::code.eq(format!("T-{kind}")))
            .select(lims::db::schema::plans::id)
            .first(c)
            .expect("plan id");
        self.plans.insert(kind.into(), id);
        id
    }

    fn entity(&mut self, c: &mut DbConnection, county: &str) -> i64 {
        if let Some(id) = self.entities.get(county) {
            return *id;
        }
        let now = t("2026-01-01 00:00:00");
        let uscc = format!("TEST{county}");
        insert_entities(
            c,
            &[NewEntity {
                name: format!("单位{county}"),
                uscc: uscc.clone(),
                license_no: None,
                kind: "distributor".into(),
                address: "地址".into(),
                region_code: county.into(),
                version: 1,
                created_at: now,
                updated_at: now,
            }],
        )
        .expect("entity");
        let id: i64 = lims::db::schema::entities::table
            .filter(lims::db::schema::entities::uscc.eq(&uscc))
            .select(lims::db::schema::entities::id)
            .first(c)
            .expect("entity id");
        self.entities.insert(county.into(), id);
        id
    }

    fn add(&mut self, c: &mut DbConnection, b: Batch) {
        let plan = self.plan(c, b.kind);
        let entity = self.entity(c, b.county);
        let sampled_at = t(b.sampled_at);
        let rows: Vec<NewSample> = (0..b.n)
            .map(|_| {
                self.seq += 1;
                NewSample {
                    sample_no: format!("F2026{}{:05}", b.county, self.seq),
                    plan_id: plan,
                    entity_id: entity,
                    domain: "food".into(),
                    category_code: b.category.into(),
                    product_name: "大米".into(),
                    stage: b.stage.into(),
                    sampled_at,
                    quantity: "2".into(),
                    unit: "kg".into(),
                    storage: "ambient".into(),
                    status: b.status.into(),
                    conclusion: b.conclusion.into(),
                    region_code: b.county.into(),
                    registered_by: self.user,
                    registered_at: sampled_at,
                    delivery_due_on: None,
                    delivery_due_provisional: false,
                    received_at: b.received_at.map(t),
                    received_by: b.received_at.map(|_| self.user),
                    delivered_late: b.received_at.map(|_| false),
                    due_on: b
                        .due_on
                        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date")),
                    due_provisional: false,
                    reported_at: b.reported_at.map(t),
                    // Written as before migration 000009: the figures count these from
                    // their dates until `fill_missing_turnaround` stores them.
                    turnaround_days: None,
                    turnaround_provisional: false,
                    version: 1,
                    updated_at: sampled_at,
                }
            })
            .collect();
        insert_samples(c, &rows).expect("samples");
    }
}

/// The fixed set of the hand-computed test (all sampled on 2026-02-10 unless noted).
fn load_rate_fixture(app: &TestApp) -> Fixture {
    let mut c = app.db.conn();
    let mut f = Fixture::new(app);
    // 城东区 489,372: 2,000 supervision + 300 evaluation + 147 public request = 2,447
    // counted; risk monitoring, a rejected sample and one from 2025 are not.
    f.add(&mut c, Batch::new("630102", "supervision", 2000));
    f.add(&mut c, Batch::new("630102", "evaluation", 300));
    f.add(&mut c, Batch::new("630102", "public_request", 147));
    f.add(&mut c, Batch::new("630102", "risk_monitoring", 100));
    f.add(
        &mut c,
        Batch {
            status: "rejected",
            ..Batch::new("630102", "supervision", 3)
        },
    );
    f.add(
        &mut c,
        Batch {
            sampled_at: "2025-12-31 15:59:59",
            ..Batch::new("630102", "supervision", 5)
        },
    );
    // 2026-01-01 00:00 in Xining is 2025-12-31 16:00 UTC: counts in 2026.
    f.add(
        &mut c,
        Batch {
            sampled_at: "2025-12-31 16:00:00",
            ..Batch::new("630103", "supervision", 1)
        },
    );
    f.add(&mut c, Batch::new("630103", "supervision", 1199)); // 城中区 325,813
    f.add(&mut c, Batch::new("630123", "supervision", 600)); // 湟源县 109,802
    f.add(&mut c, Batch::new("632221", "supervision", 1000)); // 门源: no county figure
    f.add(&mut c, Batch::new("632322", "supervision", 300)); // 尖扎县 58,173
    f.add(&mut c, Batch::new("632324", "supervision", 200)); // 河南县 40,864
    f.add(&mut c, Batch::new("632301", "supervision", 40)); // 同仁市: no figure
                                                            // 黄南州 without a figure of its own: rolled up from 尖扎 and 河南.
    c.batch_execute(
        "UPDATE regions SET population = NULL, population_year = NULL, population_source = NULL \
         WHERE code = '632300'; DELETE FROM region_populations WHERE region_code = '632300';",
    )
    .expect("remove the figure");
    f
}

fn row<'a>(rows: &'a Value, code: &str) -> &'a Value {
    rows.as_array()
        .expect("array")
        .iter()
        .find(|r| r["region_code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {rows}"))
}

fn pt(r: &Value) -> f64 {
    let v = r["per_thousand"].as_f64().expect("per_thousand");
    (v * 10_000.0).round() / 10_000.0
}

fn sampling_rate_per_thousand_matches_the_hand_computed_figures(b: Backend) {
    let app = TestApp::spawn(b);
    load_rate_fixture(&app);
    let sup = app.user_token("leader", &["supervisor"]);

    let (s, county) = app.get("/api/v1/stats/sampling-rate?year=2026&level=county", &sup);
    assert_eq!(s, 200, "{county}");
    assert_eq!(county.as_array().map(Vec::len), Some(45));
    let cd = row(&county, "630102");
    assert_eq!(cd["region_name"], "城东区");
    assert_eq!(cd["population"], 489_372);
    assert_eq!(cd["population_year"], 2020);
    assert_eq!(cd["batches"], 2447);
    assert_eq!(pt(cd), 5.0003); // 2,447 ÷ 489,372 × 1000
    assert_eq!(cd["target_per_thousand"], 5.0);
    // 2026-03-02 is day 61 of 365: 5 × 61 ÷ 365.
    let to_date = cd["target_to_date_per_thousand"].as_f64().expect("to date");
    assert!((to_date - 0.835_616).abs() < 1e-6, "{to_date}");
    assert_eq!(
        cd["plan_kinds"],
        serde_json::json!(["supervision", "evaluation", "public_request"])
    );
    assert_eq!(pt(row(&county, "630103")), 3.6831); // 1,200 ÷ 325,813
    assert_eq!(pt(row(&county, "630123")), 5.4644); // 600 ÷ 109,802
    assert_eq!(pt(row(&county, "632322")), 5.157); // 300 ÷ 58,173
    assert_eq!(pt(row(&county, "632324")), 4.8943); // 200 ÷ 40,864
    let menyuan = row(&county, "632221");
    assert_eq!(menyuan["batches"], 1000);
    assert_eq!(menyuan["population"], Value::Null, "unknown, never zero");
    assert_eq!(menyuan["per_thousand"], Value::Null);

    let (s, pref) = app.get(
        "/api/v1/stats/sampling-rate?year=2026&level=prefecture",
        &sup,
    );
    assert_eq!(s, 200, "{pref}");
    assert_eq!(pref.as_array().map(Vec::len), Some(8));
    let xn = row(&pref, "630100");
    assert_eq!(xn["population"], 2_467_965);
    assert_eq!(xn["batches"], 4247);
    assert_eq!(pt(xn), 1.7209); // 4,247 ÷ 2,467,965
                                // 海北州 has its own figure (265,322) while its counties have none.
    let hb = row(&pref, "632200");
    assert_eq!(hb["population_rolled_up"], false);
    assert_eq!(pt(hb), 3.769); // 1,000 ÷ 265,322
                               // 黄南州 rolled up from 尖扎 and 河南 (99,037); 同仁's 40 batches and 泽库 left out.
    let hn = row(&pref, "632300");
    assert_eq!(hn["population_rolled_up"], true);
    assert_eq!(hn["population"], 99_037);
    assert_eq!(hn["population_year"], 2020);
    assert_eq!(hn["batches"], 540);
    assert_eq!(hn["batches_counted"], 500);
    assert_eq!(pt(hn), 5.0486); // 500 ÷ 99,037
    let left: Vec<(String, i64)> = hn["left_out"]
        .as_array()
        .expect("left out")
        .iter()
        .map(|l| {
            (
                l["region_code"].as_str().unwrap_or("").to_string(),
                l["batches"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        left,
        vec![("632301".to_string(), 40), ("632323".to_string(), 0)]
    );

    let (s, prov) = app.get("/api/v1/stats/sampling-rate?year=2026&level=province", &sup);
    assert_eq!(s, 200, "{prov}");
    let qh = row(&prov, "630000");
    // The newest figure up to 2026 is the 2024 year-end 5,930,000.
    assert_eq!(qh["population"], 5_930_000);
    assert_eq!(qh["population_year"], 2024);
    assert_eq!(qh["batches"], 5787);
    assert_eq!(pt(qh), 0.9759); // 5,787 ÷ 5,930,000

    // Risk monitoring alone, when asked for.
    let (_, risk) = app.get(
        "/api/v1/stats/sampling-rate?year=2026&level=county&region=630100&plan_kind=risk_monitoring",
        &sup,
    );
    assert_eq!(row(&risk, "630102")["batches"], 100);
    // A date range: only the sample of 2026-01-01 (local) falls on that day.
    let (_, day) = app.get(
        "/api/v1/stats/sampling-rate?from=2026-01-01&to=2026-01-01&level=county&region=630100",
        &sup,
    );
    assert_eq!(row(&day, "630103")["batches"], 1);
    assert_eq!(row(&day, "630102")["batches"], 0);
}

fn a_scoped_supervisor_sees_only_its_region(b: Backend) {
    let app = TestApp::spawn(b);
    load_rate_fixture(&app);
    make_user(
        &app.db,
        &app.clock,
        "xining",
        &["supervisor"],
        Some("630100"),
    );
    let tok = app.token("xining");
    let (s, rows) = app.get("/api/v1/stats/sampling-rate?year=2026", &tok);
    assert_eq!(s, 200, "{rows}");
    let codes: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["region_code"].as_str())
        .collect();
    assert_eq!(codes.len(), 7);
    assert!(codes.iter().all(|c| c.starts_with("6301")), "{codes:?}");
    let (s, _) = app.get("/api/v1/stats/sampling-rate?year=2026&region=632200", &tok);
    assert_eq!(s, 403);
    let sampler = app.user_token("someone", &["sampler"]);
    let (s, _) = app.get("/api/v1/stats/summary", &sampler);
    assert_eq!(s, 403);
}

fn quality_and_lab_figures_follow_the_samples(b: Backend) {
    let app = TestApp::spawn(b);
    {
        let mut c = app.db.conn();
        let mut f = Fixture::new(&app);
        // Received Monday 2026-02-02, reported after 3, 5, 5 and 20 working days
        // (2026-02-16..24 is the Spring Festival holiday of 2026).
        let reported = |at: &'static str, conclusion: &'static str, n: usize| Batch {
            status: "reported",
            conclusion,
            received_at: Some("2026-02-02 02:00:00"),
            reported_at: Some(at),
            due_on: Some("2026-03-04"),
            ..Batch::new("630102", "supervision", n)
        };
        f.add(&mut c, reported("2026-02-05 02:00:00", "compliant", 1));
        f.add(&mut c, reported("2026-02-09 02:00:00", "compliant", 1));
        f.add(&mut c, reported("2026-02-09 03:00:00", "non_compliant", 1));
        f.add(&mut c, reported("2026-03-05 02:00:00", "compliant", 1));
        f.add(
            &mut c,
            Batch {
                status: "reported",
                conclusion: "non_compliant",
                ..Batch::new("630102", "risk_monitoring", 2)
            },
        );
        f.add(
            &mut c,
            Batch {
                status: "reported",
                conclusion: "compliant",
                ..Batch::new("630102", "risk_monitoring", 2)
            },
        );
        // Received, not reported, past its deadline (today is 2026-03-02).
        f.add(
            &mut c,
            Batch {
                status: "testing",
                received_at: Some("2026-02-02 02:00:00"),
                due_on: Some("2026-02-27"),
                ..Batch::new("630103", "supervision", 1)
            },
        );
    }
    let sup = app.user_token("leader", &["supervisor"]);
    let (s, q) = app.get("/api/v1/stats/quality?year=2026", &sup);
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["sampling"]["batches"], 5);
    assert_eq!(q["sampling"]["concluded"], 4);
    assert_eq!(q["sampling"]["non_compliant"], 1);
    assert_eq!(q["failure_rate"], 0.25);
    assert_eq!(q["risk_monitoring"]["batches"], 4);
    assert_eq!(q["risk_problem_rate"], 0.5);
    assert_eq!(q["by_category"][0]["key"], "01");
    assert_eq!(q["by_stage"][0]["key"], "circulation");

    let (s, l) = app.get("/api/v1/stats/lab?year=2026", &sup);
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["reports"], 4);
    // 3, 5, 5 and (Feb 3–6, 9–13, 14 (workday), 25–27, Mar 2–5) working days.
    let p90 = l["p90_working_days"].as_i64().expect("p90");
    assert_eq!(l["median_working_days"], 5.0);
    assert!(p90 > 5, "{l}");
    assert_eq!(l["on_time"], 3);
    assert_eq!(l["overdue_count"], 1);
    assert_eq!(l["overdue"][0]["region_code"], "630103");

    // Those reports were written without a stored turnaround (as before migration 000009)
    // and were counted from their dates. Once stored, the counts kept by the triggers
    // give the same figures, over whole months and over days at a period's ends alike.
    let filled = lims::workflow::stats::fill_missing_turnaround(&mut app.db.conn()).expect("fill");
    assert_eq!(filled, 4);
    assert_eq!(
        lims::workflow::stats::fill_missing_turnaround(&mut app.db.conn()).expect("again"),
        0
    );
    for (query, received) in [
        ("year=2026", 5),
        ("from=2026-01-15&to=2026-03-05", 5),
        ("from=2026-02-05&to=2026-03-05", 0),
    ] {
        let (s, l) = app.get(&format!("/api/v1/stats/lab?{query}"), &sup);
        assert_eq!(s, 200, "{l}");
        assert_eq!(l["reports"], 4, "{query}");
        assert_eq!(l["median_working_days"], 5.0, "{query}");
        assert_eq!(l["p90_working_days"].as_i64(), Some(p90), "{query}");
        assert_eq!(l["on_time"], 3, "{query}");
        assert_eq!(l["received"], received, "{query}: received on 2 February");
    }
    // Reloading 2026's calendar with 4 February as a holiday recounts the stored
    // turnarounds: 3 → 2, 5 → 4, 5 → 4, p90 → p90 - 1.
    let admin = app.user_token("calendar_admin", &["admin"]);
    let csv: String = std::iter::once("date,kind,name".to_string())
        .chain(
            lims::seed::HOLIDAYS_CSV
                .lines()
                .filter(|l| l.starts_with("2026-"))
                .map(str::to_string),
        )
        .chain(std::iter::once("2026-02-04,holiday,test".to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    let (s, r) = app.send(
        "PUT",
        "/api/v1/calendar-years/2026",
        Some(&admin),
        serde_json::json!({"source": "test", "csv": csv}),
    );
    assert_eq!(s, 200, "{r}");
    let (s, l) = app.get("/api/v1/stats/lab?year=2026", &sup);
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["median_working_days"], 4.0, "{l}");
    assert_eq!(l["p90_working_days"].as_i64(), Some(p90 - 1), "{l}");
    assert_rollups_match(&mut app.db.conn(), b);

    let (s, l) = app.get("/api/v1/stats/lab?from=2026-02-06&to=2026-03-04", &sup);
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["reports"], 2, "reported on 9 February");
    assert_eq!(l["received"], 0);
    let (s, l) = app.get("/api/v1/stats/lab?year=2026&category=01", &sup);
    assert_eq!((s, l["reports"].as_i64()), (200, Some(4)), "{l}");
    let (s, l) = app.get("/api/v1/stats/lab?year=2026&category=02", &sup);
    assert_eq!((s, l["reports"].as_i64()), (200, Some(0)), "{l}");
    let (s, q) = app.get(
        "/api/v1/stats/quality?from=2026-01-15&to=2026-03-05&category=01",
        &sup,
    );
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["by_category"][0]["key"], "01");
    assert_eq!(q["by_category"][0]["batches"], 5);
    // With a plan filter the counts by category come from the samples themselves.
    for (query, batches, failed) in [
        ("year=2026&plan_kind=supervision", 5, 1),
        ("year=2026&plan_level=provincial", 5, 1),
        ("year=2026&plan_kind=evaluation", 0, 0),
        ("year=2026", 5, 1),
    ] {
        let (s, q) = app.get(&format!("/api/v1/stats/quality?{query}"), &sup);
        assert_eq!(s, 200, "{q}");
        let row = &q["by_category"][0];
        assert_eq!(
            row["batches"].as_i64().unwrap_or(0),
            batches,
            "{query}: {q}"
        );
        assert_eq!(
            row["non_compliant"].as_i64().unwrap_or(0),
            failed,
            "{query}: {q}"
        );
    }

    let (s, sum) = app.get("/api/v1/stats/summary?year=2026&region=630100", &sup);
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["region_name"], "西宁市");
    assert_eq!(sum["batches"], 5);
    assert_eq!(sum["pass_rate"], 0.75);
    assert_eq!(sum["reports"], 4);
    assert_eq!(sum["sampling_rate"]["batches"], 5);
    assert_eq!(sum["sampling_rate_definition"], "rule_profile");
}

fn bad_filters_are_422_naming_the_field(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("leader", &["supervisor"]);
    for (query, field) in [
        ("year=abc", "year"),
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("from=yesterday", "from"),
        ("region=999999", "region"),
        ("region=63", "region"),
        ("level=planet", "level"),
        ("domain=toys", "domain"),
        ("plan_kind=rumour", "plan_kind"),
        ("plan_level=galactic", "plan_level"),
        ("category=99.99", "category"),
        ("format=pdf", "format"),
        ("year=2026&from=2026-01-01", "year"),
    ] {
        for path in ["sampling-rate", "summary", "quality", "lab", "coverage"] {
            let (s, body) = app.get(&format!("/api/v1/stats/{path}?{query}"), &sup);
            assert_eq!(s, 422, "{path}?{query}: {body}");
            assert!(
                body["error"]["fields"][field].is_string(),
                "{path}?{query} names {field}: {body}"
            );
        }
    }
}

fn the_sampling_rate_exports_as_csv_with_a_byte_order_mark_and_as_xlsx(b: Backend) {
    let app = TestApp::spawn(b);
    load_rate_fixture(&app);
    let sup = app.user_token("leader", &["supervisor"]);
    let (s, ct, bytes) = app.bytes(
        "/api/v1/stats/sampling-rate?year=2026&level=county&format=csv",
        Some(&sup),
    );
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header = rd.headers().expect("header").clone();
    assert_eq!(&header[0], "region_code");
    let line = rd
        .records()
        .map(|r| r.expect("record"))
        .find(|r| &r[0] == "630102")
        .expect("城东区 row");
    assert_eq!(&line[1], "城东区");
    let v: f64 = line[7].parse().expect("per thousand");
    assert_eq!((v * 10_000.0).round() / 10_000.0, 5.0003);
    let menyuan = text
        .lines()
        .find(|l| l.starts_with("632221"))
        .expect("门源");
    assert!(menyuan.contains("unknown"), "{menyuan}");

    // The same rows as an XLSX workbook that a spreadsheet reader opens.
    use calamine::Reader;
    let (s, ct, xlsx) = app.bytes(
        "/api/v1/stats/sampling-rate?year=2026&level=county&format=xlsx",
        Some(&sup),
    );
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX workbook");
    assert_eq!(book.sheet_names(), vec!["sampling_rate"]);
    let sheet = book.worksheet_range("sampling_rate").expect("sheet");
    let cd: Vec<String> = sheet
        .rows()
        .find(|r| r[0] == "630102")
        .expect("城东区 row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(cd[1], "城东区");
    assert_eq!(cd[5], "2447");
    // Quality: a sheet per table.
    let (s, _, xlsx) = app.bytes("/api/v1/stats/quality?year=2026&format=xlsx", Some(&sup));
    assert_eq!(s, 200);
    let book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX workbook");
    assert_eq!(
        book.sheet_names(),
        vec![
            "by_category",
            "by_stage",
            "by_plan_level",
            "by_plan_kind",
            "by_region",
            "failing_items",
            "monthly"
        ]
    );
}

fn the_dashboard_shows_the_chart_and_tables_in_both_languages(b: Backend) {
    let app = TestApp::spawn(b);
    load_rate_fixture(&app);
    app.user("leader", &["supervisor"]);
    let r = login_form(&app, "leader", PASSWORD);
    assert_eq!(r.status(), 303);
    let (s, html) = app.page("/stats?year=2026&level=prefecture");
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("每千人抽检批次"));
    assert!(html.contains("<svg"), "inline chart");
    assert!(html.contains("黄南藏族自治州"));
    assert!(html.contains("5.05"), "黄南 rolled up: 5.0486");
    assert!(html.contains("同仁市 (40)"), "what the roll-up left out");
    let link = html
        .split("href=\"")
        .find(|p| p.starts_with("/api/v1/stats/sampling-rate?"))
        .and_then(|p| p.split('"').next())
        .expect("CSV link")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_eq!(
        link,
        "/api/v1/stats/sampling-rate?year=2026&level=prefecture&format=csv"
    );
    let (s, ct, _) = app.bytes(&link, None);
    assert_eq!(
        (s, ct.starts_with("text/csv")),
        (200, true),
        "the link works with the session"
    );
    let (s, _) = app.page("/lang/en?next=/stats");
    assert_eq!(s, 303);
    let (s, html) = app.page("/stats?year=2026&level=prefecture");
    assert_eq!(s, 200);
    assert!(html.contains("Batches per thousand residents"), "English");
    let (s, _) = app.page("/stats?level=planet");
    assert_eq!(s, 422);
}

fn the_monthly_counts_follow_every_change_to_a_sample(b: Backend) {
    let app = TestApp::spawn(b);
    let mut f = load_rate_fixture(&app);
    let mut c = app.db.conn();
    let first = kept_and_counted(&mut c, b);
    assert!(first[0].1.len() > 5, "{:?}", first[0].1);
    assert_rollups_match(&mut c, b);

    // Every kind of change any write path could make, straight in SQL: conclusions,
    // rejection and its reversal, a move to another month, county, stage and category,
    // receipt (late or not), a report with its turnaround and deadline, a recount of a
    // turnaround, a report withdrawn, an unrelated change, a delete.
    c.batch_execute(
        "UPDATE samples SET conclusion = 'non_compliant', status = 'reported' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 7); \
         UPDATE samples SET conclusion = 'compliant' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630103' ORDER BY id LIMIT 11); \
         UPDATE samples SET status = 'rejected' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630123' ORDER BY id LIMIT 13); \
         UPDATE samples SET status = 'registered' WHERE status = 'rejected' AND region_code = '630102'; \
         UPDATE samples SET sampled_at = '2026-03-01 01:00:00', region_code = '632322', stage = 'catering', \
           category_code = '02.01' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '632221' ORDER BY id LIMIT 17); \
         UPDATE samples SET received_at = '2026-02-11 01:00:00', due_on = '2026-03-04' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 40); \
         UPDATE samples SET delivered_late = (id % 2 = 0) \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 20); \
         UPDATE samples SET reported_at = '2026-02-27 16:30:00', turnaround_days = 8 \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 30); \
         UPDATE samples SET turnaround_days = 9, turnaround_provisional = (id % 3 = 0) \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 10); \
         UPDATE samples SET due_on = '2026-02-27' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 5); \
         UPDATE samples SET category_code = '03.02', region_code = '630103' \
           WHERE id IN (SELECT id FROM samples WHERE region_code = '630102' ORDER BY id LIMIT 3); \
         UPDATE samples SET reported_at = NULL \
           WHERE id IN (SELECT id FROM samples WHERE turnaround_days = 9 ORDER BY id LIMIT 2); \
         UPDATE samples SET product_name = 'renamed' WHERE region_code = '632324'; \
         DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE region_code = '632301' ORDER BY id LIMIT 3); \
         DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE turnaround_days = 8 ORDER BY id LIMIT 2);",
    )
    .expect("changes");
    let counted = kept_and_counted(&mut c, b);
    for (table, kept, _) in &counted {
        assert!(!kept.is_empty(), "{table} holds rows");
    }
    assert_rollups_match(&mut c, b);

    // A plan that becomes risk monitoring leaves the counts by category; back, it returns.
    for (evaluation, risk) in [
        ("risk_monitoring", "supervision"),
        ("evaluation", "risk_monitoring"),
    ] {
        c.batch_execute(&format!(
            "UPDATE plans SET kind = '{evaluation}' WHERE code = 'T-evaluation'; \
             UPDATE plans SET kind = '{risk}' WHERE code = 'T-risk_monitoring';"
        ))
        .expect("plan kinds");
        assert_rollups_match(&mut c, b);
    }

    // A period with partial months at both ends reads whole months from the counts and
    // the days at the ends from the samples: the figure is the one counted by hand.
    add_spread(&mut f, &mut c);
    let sup = app.user_token("leader", &["supervisor"]);
    let (s, rows) = app.get(
        "/api/v1/stats/sampling-rate?from=2026-01-20&to=2026-03-05&level=county&region=630100",
        &sup,
    );
    assert_eq!(s, 200, "{rows}");
    // 630121 大通: 2 on 19 Jan (out), 3 on 20 Jan, 4 in February, 5 on 5 Mar, 6 on 6 Mar
    // (out): 12 in the period.
    assert_eq!(row(&rows, "630121")["batches"], 12);
}

/// Samples of 大通县 (630121) spread across the ends of a period (times in UTC; Xining
/// is UTC+8).
fn add_spread(f: &mut Fixture, c: &mut DbConnection) {
    for (at, n) in [
        ("2026-01-19 15:59:59", 2), // 19 Jan 23:59:59 local
        ("2026-01-19 16:00:00", 3), // 20 Jan 00:00 local
        ("2026-02-14 04:00:00", 4),
        ("2026-03-05 15:59:59", 5), // 5 Mar 23:59:59 local
        ("2026-03-05 16:00:00", 6), // 6 Mar 00:00 local
    ] {
        f.add(
            c,
            Batch {
                sampled_at: at,
                ..Batch::new("630121", "supervision", n)
            },
        );
    }
}
