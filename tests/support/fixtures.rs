//! Fixtures shared by the test files, so that no test file borrows another's helpers
//! or keeps its own copy: the intake set-up and a sample body, the lab users, the path
//! of a sample from registration through receipt to assigned tests, to approval and on
//! to an issued report, logging in and out with the form, the schema as text, and dropping the
//! audit log's append-only guard (to play the attacker who edits rows by hand).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use lims::db::DbConnection;
use serde_json::{json, Value};

use super::{csrf_of, TestApp};

/// A plan, an entity in 城西区 (630104), two samplers and the first one's token.
pub struct Intake {
    pub plan_id: i64,
    pub entity_id: i64,
    pub samplers: [i64; 2],
    pub token: String,
    pub supervisor: String,
}

pub fn setup(app: &TestApp, kind: &str) -> Intake {
    let supervisor = app.user_token("sup", &["supervisor"]);
    let s1 = app.user("wangfang", &["sampler"]);
    let s2 = app.user("liqiang", &["sampler"]);
    let token = app.token("wangfang");
    let (s, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&supervisor),
        json!({"code": format!("QH-2026-{kind}"), "name": "2026年西宁市食品安全监督抽检", "year": 2026, "level": "prefectural",
               "kind": kind, "domain": "food", "region_code": "630100", "target_batches": 1200}),
    );
    assert_eq!(s, 201, "{plan}");
    let (s, entity) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&token),
        json!({"name": "西宁市城西区某某超市", "uscc": "91630104MA752K8R2Q", "license_no": "JY16301040000123", "kind": "distributor",
               "address": "西宁市城西区五四大街1号", "region_code": "630104", "contact": "张三 0971-1234567"}),
    );
    assert!(s == 201 || s == 409, "{entity}");
    let entity_id = if s == 201 {
        entity["id"].as_i64().unwrap()
    } else {
        entity["error"]["existing"]["id"].as_i64().unwrap()
    };
    Intake {
        plan_id: plan["id"].as_i64().unwrap(),
        entity_id,
        samplers: [s1, s2],
        token,
        supervisor,
    }
}

pub fn sample_body(i: &Intake) -> Value {
    json!({
        "plan_id": i.plan_id, "entity_id": i.entity_id, "domain": "food", "category_code": "34.02",
        "product_name": "青海牦牛肉干（五香味）", "brand": "高原红", "specification": "200g/袋", "batch_no": "20260215",
        "production_date": "2026-02-15", "shelf_life": "9个月", "manufacturer": "青海某某食品有限公司",
        "manufacturer_address": "青海省西宁市城北区", "stage": "circulation", "sampled_at": "2026-03-02T09:30:00+08:00",
        "place": "货架", "sampler_ids": i.samplers, "quantity": "4", "unit": "袋", "backup_quantity": "4",
        "storage": "ambient", "price": "128.00", "notes": "无"
    })
}

/// Registers the standard sample of `i` with the first sampler's token.
pub fn register(app: &TestApp, i: &Intake) -> Value {
    register_as(app, &i.token, sample_body(i))
}

/// Registers a sample with `body` as the holder of `token`; returns the new sample.
pub fn register_as(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = app.send("POST", "/api/v1/samples", Some(token), body);
    assert_eq!(s, 201, "{v}");
    v
}

/// The number of a sample as the API returns it.
pub fn sample_no(sample: &Value) -> String {
    sample["sample_no"].as_str().unwrap().to_string()
}

/// Receives sample `no` with its seal and condition intact; returns the receipt.
pub fn receive(app: &TestApp, custodian: &str, no: &str) -> Value {
    let (s, v) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(custodian),
        json!({"scan": no, "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 200, "{v}");
    v
}

/// Assigns the test items `items` of sample `no` to `assignee`; returns the tests.
pub fn assign(
    app: &TestApp,
    custodian: &str,
    no: &str,
    items: &[i64],
    assignee: i64,
) -> Vec<Value> {
    let assignments: Vec<Value> = items
        .iter()
        .map(|id| json!({"test_item_id": id, "assignee_id": assignee}))
        .collect();
    let (s, tests) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/tests"),
        Some(custodian),
        json!({"assignments": assignments}),
    );
    assert_eq!(s, 201, "{tests}");
    tests.as_array().unwrap().clone()
}

/// Users of the lab: custodian, two technicians, reviewer, signatory, with tokens.
pub struct Lab {
    pub intake: Intake,
    pub custodian: String,
    pub tech: String,
    pub tech_id: i64,
    pub tech2: String,
    pub tech2_id: i64,
    pub reviewer: String,
    pub signatory: String,
}

pub fn lab_users(app: &TestApp) -> Lab {
    let intake = setup(app, "supervision");
    let custodian = app.user_token("keeper", &["custodian"]);
    let tech_id = app.user("tech1", &["technician"]);
    let tech2_id = app.user("tech2", &["technician"]);
    Lab {
        intake,
        custodian,
        tech: app.token("tech1"),
        tech_id,
        tech2: app.token("tech2"),
        tech2_id,
        reviewer: app.user_token("checker", &["reviewer"]),
        signatory: app.user_token("boss", &["signatory"]),
    }
}

/// A received sample with the given items assigned to tech1; returns its number and tests.
pub fn received_with_tests(app: &TestApp, lab: &Lab, items: &[i64]) -> (String, Vec<Value>) {
    let no = sample_no(&register(app, &lab.intake));
    receive(app, &lab.custodian, &no);
    let tests = assign(app, &lab.custodian, &no, items, lab.tech_id);
    (no, tests)
}

/// Catalogue items with a plain `max` limit, from the shipped data.
pub fn max_items(app: &TestApp, token: &str, n: usize) -> Vec<Value> {
    let (_, items) = app.get("/api/v1/test-items", token);
    let items: Vec<Value> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["limit_kind"] == "max" && t["micro_n"].is_null())
        .take(n)
        .cloned()
        .collect();
    assert_eq!(items.len(), n, "the catalogue has {n} max items");
    items
}

/// A result under (pass) or over (fail) the `max` limit of `test`.
pub fn result_for(test: &Value, pass: bool) -> String {
    let max = test["limit_max_text"].as_str().unwrap();
    let v: f64 = max.parse().unwrap();
    if pass {
        format!("{}", v / 2.0)
    } else {
        format!("{}", v * 3.0)
    }
}

/// A sample taken through the lab to an issued report: `n` items, the first failing
/// when `fail`. Returns (sample_no, report JSON, item names).
pub fn issue(app: &TestApp, lab: &Lab, n: usize, fail: bool) -> (String, Value, Vec<String>) {
    let (no, tests) = ready_for_approval(app, lab, n, fail);
    let report = approve(app, &lab.signatory, &no);
    let names = tests
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    (no, report, names)
}

/// A sample taken through the lab up to approval: `n` items entered by tech1 (the
/// first failing when `fail`) and accepted by the reviewer. Returns (sample_no, tests
/// as assigned).
pub fn ready_for_approval(app: &TestApp, lab: &Lab, n: usize, fail: bool) -> (String, Vec<Value>) {
    let items = max_items(app, &lab.tech, n);
    let ids: Vec<i64> = items.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let (no, tests) = received_with_tests(app, lab, &ids);
    accept_results(app, lab, &tests, fail);
    (no, tests)
}

/// tech1 enters a result for each of `tests` (the first failing when `fail`) and the
/// reviewer accepts them all.
pub fn accept_results(app: &TestApp, lab: &Lab, tests: &[Value], fail: bool) {
    let rows: Vec<Value> = tests
        .iter()
        .enumerate()
        .map(|(k, t)| {
            json!({"test_id": t["id"], "result_text": result_for(t, !(fail && k == 0)),
                   "version": t["version"]})
        })
        .collect();
    let (st, r) = app.send(
        "POST",
        "/api/v1/tests/results",
        Some(&lab.tech),
        json!({ "results": rows }),
    );
    assert_eq!(st, 200, "{r}");
    for t in tests {
        let (st, r) = app.send(
            "POST",
            &format!("/api/v1/tests/{}/review", t["id"]),
            Some(&lab.reviewer),
            json!({"decision": "accept"}),
        );
        assert_eq!(st, 200, "{r}");
    }
}

/// The signatory approves sample `no`; returns the issued report.
pub fn approve(app: &TestApp, signatory: &str, no: &str) -> Value {
    let (st, report) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/approve"),
        Some(signatory),
        json!({}),
    );
    assert_eq!(st, 201, "{report}");
    report
}

/// Logs in through the login form; the client keeps the cookies.
pub fn login_form(app: &TestApp, username: &str, password: &str) -> reqwest::blocking::Response {
    let (mut s, mut html) = app.page("/login");
    if s == 303 {
        // Someone is logged in on this client: log out first.
        form_logout(app);
        (s, html) = app.page("/login");
    }
    assert_eq!(s, 200);
    let csrf = csrf_of(&html);
    app.client
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .unwrap()
}

pub fn form_logout(app: &TestApp) {
    let (_, html) = app.page("/");
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaLine {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The schema as text: every table, column, index and trigger.
pub fn schema_snapshot(conn: &mut DbConnection) -> Vec<String> {
    let q = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'"
        }
        DbConnection::Pg(_) => {
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '') AS line \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'trigger ' || trigger_name || ' ' || event_object_table || ' ' || event_manipulation FROM information_schema.triggers \
             UNION ALL SELECT 'function ' || routine_name FROM information_schema.routines WHERE routine_schema = 'public'"
        }
    };
    let mut lines: Vec<String> = diesel::sql_query(q)
        .load::<SchemaLine>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    lines.sort();
    lines
}

/// Drops the triggers that keep the audit log append-only, as someone with direct
/// access to the database could, so a test can edit or delete rows by hand.
pub fn drop_append_only_guard(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(c) => c
            .batch_execute("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap(),
        DbConnection::Pg(c) => c
            .batch_execute("DROP TRIGGER audit_log_no_update ON audit_log")
            .unwrap(),
    }
}
