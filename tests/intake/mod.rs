//! Intake: plans, entities, sample registration and its numbers, edits, receipt by
//! scan, region scope, and bad input that writes nothing.

use chrono::Duration;
use serde_json::{json, Value};

use crate::support::fixtures::{login_form, register, sample_body, sample_no, setup, Intake};
use crate::support::{Backend, TestApp};
use crate::Test;

mod form_fields;
mod labels;
mod numbers;
use form_fields::{
    a_bad_form_field_is_a_422_naming_the_field_and_writes_nothing,
    a_client_sending_none_of_the_new_fields_registers_as_before,
    a_patch_sets_and_clears_a_form_field,
    the_entity_fields_round_trip_through_the_api_and_the_pages,
    the_national_form_fields_round_trip_through_the_api,
    the_pages_ask_for_the_form_fields_and_show_them_in_words,
};
use labels::{
    a_batch_of_50_samples_prints_200_labels_in_order, labels_come_four_per_sample_in_every_format,
};
use numbers::sequence_counters_count_from_one_per_key_and_a_rollback_gives_the_number_back;

pub const TESTS: &[Test] = crate::tests![
    a_supervisor_creates_plans_and_a_sampler_cannot,
    an_entity_needs_a_valid_uscc_and_a_duplicate_links_the_first,
    a_registered_sample_gets_its_number_and_delivery_deadline,
    sample_numbers_are_unique_and_gap_free_under_16_concurrent_registrations,
    bad_sample_input_gets_its_4xx_and_writes_nothing,
    a_risk_monitoring_sample_has_no_backup_portion,
    a_sample_is_edited_only_while_registered_and_with_its_version,
    a_sample_patch_changes_only_the_fields_sent,
    receipt_accepts_every_scan_form_once,
    a_broken_seal_needs_a_reason_and_then_rejects,
    a_late_delivery_is_flagged_and_the_report_deadline_starts_at_receipt,
    lists_filter_and_respect_region_scope,
    a_deadline_into_an_unloaded_year_is_provisional_until_the_year_is_loaded,
    labels_come_four_per_sample_in_every_format,
    a_batch_of_50_samples_prints_200_labels_in_order,
    sequence_counters_count_from_one_per_key_and_a_rollback_gives_the_number_back,
    the_national_form_fields_round_trip_through_the_api,
    a_client_sending_none_of_the_new_fields_registers_as_before,
    a_bad_form_field_is_a_422_naming_the_field_and_writes_nothing,
    a_patch_sets_and_clears_a_form_field,
    the_pages_ask_for_the_form_fields_and_show_them_in_words,
    the_entity_fields_round_trip_through_the_api_and_the_pages,
];

fn count_samples(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    lims::db::schema::samples::table
        .count()
        .get_result(&mut *app.db.conn())
        .unwrap()
}

fn a_supervisor_creates_plans_and_a_sampler_cannot(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let body = json!({"code": "X-1", "name": "n", "year": 2026, "level": "county", "kind": "supervision", "domain": "food", "region_code": "630104", "target_batches": 10});
    assert_eq!(
        app.send("POST", "/api/v1/plans", Some(&i.token), body.clone())
            .0,
        403
    );
    let (s, e) = app.send("POST", "/api/v1/plans", Some(&i.supervisor), json!({"code": "X-2", "name": "", "year": 1999, "level": "town", "kind": "secret", "domain": "tea", "region_code": "999999", "target_batches": -1}));
    assert_eq!(s, 422);
    for f in [
        "name",
        "year",
        "level",
        "kind",
        "domain",
        "region_code",
        "target_batches",
    ] {
        assert!(e["error"]["fields"][f].is_string(), "{f}: {e}");
    }
    let (s, e) = app.send("POST", "/api/v1/plans", Some(&i.supervisor), json!({"code": "QH-2026-supervision", "name": "dup", "year": 2026, "level": "county", "kind": "supervision", "domain": "food", "region_code": "630104", "target_batches": 1}));
    assert_eq!(s, 409);
    assert_eq!(e["error"]["existing"]["id"], i.plan_id);
    let (s, list) = app.get("/api/v1/plans", &i.token);
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1);
    let (s, p) = app.send("PATCH", &format!("/api/v1/plans/{}", i.plan_id), Some(&i.supervisor),
        json!({"code": "QH-2026-supervision", "name": "改名", "year": 2026, "level": "prefectural", "kind": "supervision", "domain": "food", "region_code": "630100", "target_batches": 1300, "version": 1}));
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["target_batches"], 1300);
    assert_eq!(p["version"], 2);
}

fn an_entity_needs_a_valid_uscc_and_a_duplicate_links_the_first(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("field", &["sampler"]);
    let body = |uscc: &str| json!({"name": "某某餐厅", "uscc": uscc, "kind": "catering", "address": "西宁", "region_code": "630104"});
    let (s, e) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&t),
        body("91630104MA752K8R2X"),
    );
    assert_eq!(s, 422);
    assert!(
        e["error"]["fields"]["uscc"].as_str().unwrap().contains("Q"),
        "{e}"
    );
    let (s, e) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&t),
        body("91630104MA752K8R2O"),
    );
    assert_eq!(s, 422, "{e}");
    let (s, e) = app.send("POST", "/api/v1/entities", Some(&t), json!({"name": "x", "uscc": "91630104MA752K8R2Q", "kind": "catering", "address": "西宁", "region_code": "630100"}));
    assert_eq!(s, 422, "an entity sits in a county: {e}");
    let (s, first) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&t),
        body("91630104ma752k8r2q"),
    );
    assert_eq!(s, 201, "lower case is accepted: {first}");
    assert_eq!(first["uscc"], "91630104MA752K8R2Q");
    let (s, e) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&t),
        body("91630104MA752K8R2Q"),
    );
    assert_eq!(s, 409);
    assert_eq!(e["error"]["existing"]["id"], first["id"]);
    let (s, e) = app.send("POST", "/api/v1/entities", Some(&t), json!({"name": "x", "uscc": "91512081MA62K0260E", "license_no": "SC123", "kind": "producer", "address": "a", "region_code": "630104"}));
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["license_no"].is_string());
    let (s, found) = app.get("/api/v1/entities?q=2K8R2Q", &t);
    assert_eq!(s, 200);
    assert_eq!(found["total"], 1);
    let (_, found) = app.get(&format!("/api/v1/entities?q={}", "%E9%A4%90%E5%8E%85"), &t);
    assert_eq!(found["total"], 1, "search by name");
}

fn a_registered_sample_gets_its_number_and_delivery_deadline(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let audit_before = app.audit_count();
    let s = register(&app, &i);
    assert_eq!(s["sample_no"], "F202663010400001");
    assert_eq!(s["status"], "registered");
    assert_eq!(s["conclusion"], "pending");
    assert_eq!(s["region_code"], "630104");
    assert_eq!(s["sampler_ids"], json!(i.samplers));
    assert_eq!(s["sampled_at"], "2026-03-02T09:30:00+08:00");
    assert_eq!(s["quantity"], "4");
    assert_eq!(s["price"], "128.00");
    // 5 working days after Monday 2026-03-02.
    assert_eq!(s["delivery_due_on"], "2026-03-09");
    assert_eq!(s["delivery_due_provisional"], false);
    assert_eq!(s["version"], 1);
    assert_eq!(app.audit_count(), audit_before + 1);
    let s2 = register(&app, &i);
    assert_eq!(s2["sample_no"], "F202663010400002");
    let (st, got) = app.get("/api/v1/samples/F202663010400001", &i.token);
    assert_eq!(st, 200);
    assert_eq!(got["product_name"], "青海牦牛肉干（五香味）");
    let rows =
        lims::workflow::audit::history(&mut app.db.conn(), "sample", "F202663010400001").unwrap();
    assert_eq!(rows[0].action, "sample.register");
    assert_eq!(rows[0].actor, "wangfang");
}

fn sample_numbers_are_unique_and_gap_free_under_16_concurrent_registrations(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let body = sample_body(&i);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let client = reqwest::blocking::Client::new();
            let url = app.url("/api/v1/samples");
            let token = i.token.clone();
            let body = body.clone();
            std::thread::spawn(move || {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().unwrap();
                assert_eq!(status, 201, "{v}");
                v["sample_no"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut nos: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().expect("a registration failed"))
        .collect();
    nos.sort();
    let want: Vec<String> = (1..=16).map(|n| format!("F2026630104{n:05}")).collect();
    assert_eq!(nos, want);
    assert_eq!(count_samples(&app), 16);
    assert_eq!(
        lims::workflow::audit::verify(&mut app.db.conn())
            .unwrap()
            .first_broken,
        None
    );
}

fn bad_sample_input_gets_its_4xx_and_writes_nothing(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let inactive = app.user("retired", &["sampler"]);
    let admin = app.user_token("root", &["admin"]);
    let (s, _) = app.send(
        "PATCH",
        &format!("/api/v1/users/{inactive}"),
        Some(&admin),
        json!({"active": false, "version": 1}),
    );
    assert_eq!(s, 200);
    let not_sampler = app.user("clerk", &["custodian"]);
    // A sampler scoped to Haidong, and a plan of Haidong.
    lims::workflow::accounts::create_user_unchecked(
        &mut lims::workflow::Ctx::new(
            &mut app.db.conn(),
            lims::clock::Clock::now_naive(&app.clock),
            &lims::workflow::Actor::system(),
        ),
        lims::workflow::accounts::NewUser {
            username: "haidong".into(),
            display_name: "海东抽样员".into(),
            password: crate::support::PASSWORD.into(),
            roles: vec!["sampler".into()],
            region_code: Some("630200".into()),
        },
    )
    .unwrap();
    let haidong = app.token("haidong");
    let clerk = app.token("clerk");
    let before_samples = count_samples(&app);
    let before_audit = app.audit_count();
    let base = sample_body(&i);
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let long = "长".repeat(10_000);
    let script = "<script>alert(1)</script>";
    let cases: Vec<(Value, u16, &str)> = vec![
        (with("product_name", json!(long)), 422, "product_name"),
        (
            with("product_name", json!("牛肉\u{0007}干")),
            422,
            "product_name",
        ),
        (with("brand", json!("a\u{0000}b")), 422, "brand"),
        (
            with("sampled_at", json!("2099-01-01T10:00:00+08:00")),
            422,
            "sampled_at",
        ),
        (with("quantity", json!("0")), 422, "quantity"),
        (with("quantity", json!(-2)), 422, "quantity"),
        (with("backup_quantity", json!("-1")), 422, "backup_quantity"),
        (
            with("sampler_ids", json!([i.samplers[0]])),
            422,
            "sampler_ids",
        ),
        (
            with("sampler_ids", json!([i.samplers[0], i.samplers[0]])),
            422,
            "sampler_ids",
        ),
        (
            with("sampler_ids", json!([i.samplers[0], inactive])),
            422,
            "sampler_ids",
        ),
        (
            with("sampler_ids", json!([i.samplers[0], not_sampler])),
            422,
            "sampler_ids",
        ),
        (with("stage", json!("warehouse")), 422, "stage"),
        (with("storage", json!("hot")), 422, "storage"),
        (with("category_code", json!("99")), 422, "category_code"),
        (with("category_code", json!("D01")), 422, "category_code"),
        (with("plan_id", json!(999999)), 422, "plan_id"),
        (
            with("production_date", json!("2026-05-01")),
            422,
            "production_date",
        ),
        (with("price", json!("free")), 422, "price"),
        (with("backup_quantity", Value::Null), 422, "backup_quantity"),
    ];
    for (body, want, field) in &cases {
        let (s, e) = app.send("POST", "/api/v1/samples", Some(&i.token), body.clone());
        assert_eq!(s, *want, "{field}: {e}");
        assert!(e["error"]["fields"][field].is_string(), "{field}: {e}");
    }
    // Wrong types are 400.
    let (s, _) = app.send(
        "POST",
        "/api/v1/samples",
        Some(&i.token),
        with("sampler_ids", json!("1,2")),
    );
    assert_eq!(s, 400);
    let (s, _) = app.send(
        "POST",
        "/api/v1/samples",
        Some(&i.token),
        with("sampled_at", json!("yesterday")),
    );
    assert_eq!(s, 400);
    // Another region's scoped sampler: the plan and entity are Xining's.
    let (s, e) = app.send(
        "POST",
        "/api/v1/samples",
        Some(&haidong),
        with("sampler_ids", json!([i.samplers[0], i.samplers[1]])),
    );
    assert_eq!(s, 403, "{e}");
    // A custodian cannot register.
    assert_eq!(
        app.send("POST", "/api/v1/samples", Some(&clerk), base.clone())
            .0,
        403
    );
    assert_eq!(count_samples(&app), before_samples);
    assert_eq!(app.audit_count(), before_audit);
    // <script> in every text field is stored as written and shown escaped.
    let mut body = base.clone();
    for k in [
        "product_name",
        "brand",
        "specification",
        "batch_no",
        "shelf_life",
        "manufacturer",
        "manufacturer_address",
        "place",
        "notes",
    ] {
        body[k] = json!(script);
    }
    let (s, v) = app.send("POST", "/api/v1/samples", Some(&i.token), body);
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["product_name"], script);
    let no = v["sample_no"].as_str().unwrap().to_string();
    assert_eq!(
        login_form(&app, "wangfang", crate::support::PASSWORD).status(),
        303
    );
    for page in [
        format!("/samples/{no}"),
        "/samples".to_string(),
        format!("/samples/{no}/edit"),
    ] {
        let (s, html) = app.page(&page);
        assert_eq!(s, 200, "{page}");
        assert!(!html.contains(script), "{page} shows raw script");
    }
}

fn a_risk_monitoring_sample_has_no_backup_portion(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "risk_monitoring");
    let (s, e) = app.send("POST", "/api/v1/samples", Some(&i.token), sample_body(&i));
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["backup_quantity"].is_string());
    let mut body = sample_body(&i);
    body["backup_quantity"] = Value::Null;
    let (s, v) = app.send("POST", "/api/v1/samples", Some(&i.token), body);
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["backup_quantity"], Value::Null);
}

fn a_sample_is_edited_only_while_registered_and_with_its_version(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let s = register(&app, &i);
    let no = s["sample_no"].as_str().unwrap();
    let path = format!("/api/v1/samples/{no}");
    let mut body = sample_body(&i);
    body["product_name"] = json!("青海牦牛肉干（麻辣味）");
    body["version"] = json!(1);
    let (st, v) = app.send("PATCH", &path, Some(&i.token), body.clone());
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["product_name"], "青海牦牛肉干（麻辣味）");
    assert_eq!(v["version"], 2);
    assert_eq!(v["sample_no"], no, "the number stays");
    let (st, _) = app.send("PATCH", &path, Some(&i.token), body.clone());
    assert_eq!(st, 409, "stale version");
    let custodian = app.user_token("keeper", &["custodian"]);
    let (st, _) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": no, "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(st, 200);
    body["version"] = json!(3);
    let (st, e) = app.send("PATCH", &path, Some(&i.token), body);
    assert_eq!(st, 409, "received samples are not edited: {e}");
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "sample", no).unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["sample.receive", "sample.update", "sample.register"]
    );
    assert!(rows[1].before_json.as_deref().unwrap().contains("五香味"));
}

fn receipt_accepts_every_scan_form_once(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let custodian = app.user_token("keeper", &["custodian"]);
    let nos: Vec<String> = (0..3).map(|_| sample_no(&register(&app, &i))).collect();
    let scans = [
        format!("{}/s/{}", app.base, nos[0]),
        format!("{}/s/{}#B", app.base, nos[1]),
        nos[2].to_lowercase(),
    ];
    for (scan, no) in scans.iter().zip(&nos) {
        let (s, v) = app.send(
            "POST",
            "/api/v1/receipts",
            Some(&custodian),
            json!({"scan": scan, "seal_intact": true, "condition_ok": true, "note": "冷链完好"}),
        );
        assert_eq!(s, 200, "{scan}: {v}");
        assert_eq!(v["sample_no"], no.as_str());
        assert_eq!(v["status"], "received");
        assert_eq!(v["delivered_late"], false);
    }
    let (s, e) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": nos[0], "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 409, "{e}");
    let (s, _) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": "F202663010499999", "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 404);
    let (s, _) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": "not a label", "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 422);
    // Only a custodian receives.
    let (s, _) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&i.token),
        json!({"scan": nos[1], "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 403);
}

fn a_broken_seal_needs_a_reason_and_then_rejects(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let custodian = app.user_token("keeper", &["custodian"]);
    let no = sample_no(&register(&app, &i));
    let before = app.audit_count();
    let (s, e) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": no, "seal_intact": false, "condition_ok": true}),
    );
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["reject_reason"].is_string());
    assert_eq!(app.audit_count(), before);
    let (s, v) = app.send("POST", "/api/v1/receipts", Some(&custodian), json!({"scan": no, "seal_intact": false, "condition_ok": true, "reject_reason": "封条破损"}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reject_reason"], "封条破损");
    assert_eq!(v["due_on"], Value::Null);
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "sample", &no).unwrap();
    assert_eq!(rows[0].action, "sample.reject");
    assert_eq!(rows[0].reason.as_deref(), Some("封条破损"));
}

fn a_late_delivery_is_flagged_and_the_report_deadline_starts_at_receipt(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let custodian = app.user_token("keeper", &["custodian"]);
    let no = sample_no(&register(&app, &i));
    // Due 2026-03-09; received Tuesday 2026-03-10.
    app.clock.advance(Duration::days(8));
    let (_, overdue) = app.get("/api/v1/samples?overdue=true", &i.token);
    assert_eq!(
        overdue["total"], 1,
        "not delivered by its deadline: overdue"
    );
    let (s, v) = app.send(
        "POST",
        "/api/v1/receipts",
        Some(&custodian),
        json!({"scan": no, "seal_intact": true, "condition_ok": true}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["delivered_late"], true);
    // 20 working days from 2026-03-10 (no holidays in between): 2026-04-07... minus 清明 2026-04-04..06.
    let cal = lims::workflow::reference::work_calendar(&mut app.db.conn()).unwrap();
    let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let want = cal.add_working_days(d, 20).date;
    assert_eq!(v["due_on"], want.to_string());
    assert_eq!(v["due_provisional"], false);
    let (_, overdue) = app.get("/api/v1/samples?overdue=true", &i.token);
    assert_eq!(overdue["total"], 0);
}

fn lists_filter_and_respect_region_scope(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    for _ in 0..3 {
        register(&app, &i);
    }
    lims::workflow::accounts::create_user_unchecked(
        &mut lims::workflow::Ctx::new(
            &mut app.db.conn(),
            lims::clock::Clock::now_naive(&app.clock),
            &lims::workflow::Actor::system(),
        ),
        lims::workflow::accounts::NewUser {
            username: "haidong".into(),
            display_name: "海东".into(),
            password: crate::support::PASSWORD.into(),
            roles: vec!["sampler".into()],
            region_code: Some("630200".into()),
        },
    )
    .unwrap();
    let haidong = app.token("haidong");
    let (_, mine) = app.get("/api/v1/samples", &haidong);
    assert_eq!(mine["total"], 0, "Haidong sees no Xining samples");
    assert_eq!(app.get("/api/v1/samples/F202663010400001", &haidong).0, 404);
    let (_, all) = app.get(
        "/api/v1/samples?region=630100&status=registered&per_page=2",
        &i.token,
    );
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (_, q) = app.get("/api/v1/samples?q=%E7%89%A6%E7%89%9B", &i.token);
    assert_eq!(q["total"], 3, "text search on the product name");
    let (_, q) = app.get("/api/v1/samples?q=%E8%B6%85%E5%B8%82", &i.token);
    assert_eq!(q["total"], 3, "text search on the entity name");
    let (_, d) = app.get("/api/v1/samples?from=2026-03-03", &i.token);
    assert_eq!(d["total"], 0);
    let (_, d) = app.get("/api/v1/samples?from=2026-03-02&to=2026-03-02", &i.token);
    assert_eq!(d["total"], 3);
    let (s, _) = app.get("/api/v1/samples?status=lost", &i.token);
    assert_eq!(s, 422);
    let (_, p) = app.get(
        &format!("/api/v1/samples?plan_id={}", i.plan_id + 1000),
        &i.token,
    );
    assert_eq!(p["total"], 0);
}
fn a_deadline_into_an_unloaded_year_is_provisional_until_the_year_is_loaded(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    app.user("root", &["admin"]);
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 28, 4, 0, 0).unwrap());
    // Tokens from March have expired by December.
    let admin = app.token("root");
    let i = Intake {
        token: app.token("wangfang"),
        ..i
    };
    let mut body = sample_body(&i);
    body["sampled_at"] = json!("2026-12-28T10:00:00+08:00");
    body["production_date"] = json!("2026-12-01");
    let (s, v) = app.send("POST", "/api/v1/samples", Some(&i.token), body);
    assert_eq!(s, 201, "{v}");
    // 2027 is not loaded: counted Monday to Friday, marked provisional.
    assert_eq!(v["delivery_due_on"], "2027-01-04");
    assert_eq!(v["delivery_due_provisional"], true);
    let no = v["sample_no"].as_str().unwrap().to_string();
    login_form(&app, "wangfang", crate::support::PASSWORD);
    let (_, html) = app.page(&format!("/samples/{no}"));
    assert!(
        html.contains("暂定"),
        "a provisional deadline says so where it is shown"
    );
    let csv = "date,kind,name\n2027-01-01,holiday,元旦\n";
    let (s, r) = app.send(
        "PUT",
        "/api/v1/calendar-years/2027",
        Some(&admin),
        json!({"source": "国务院办公厅通知", "csv": csv}),
    );
    assert_eq!(s, 200, "{r}");
    let (_, v) = app.get(&format!("/api/v1/samples/{no}"), &i.token);
    assert_eq!(
        v["delivery_due_on"], "2027-01-05",
        "recomputed with 元旦 off"
    );
    assert_eq!(v["delivery_due_provisional"], false);
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "sample", &no).unwrap();
    assert_eq!(rows[0].action, "sample.deadlines_recomputed");
}

/// API.md: `PATCH /api/v1/samples/{no}` takes only the fields to change and `version`,
/// as the PATCH of users and test items does; a field sent as null is cleared.
fn a_sample_patch_changes_only_the_fields_sent(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let s = register(&app, &i);
    let no = s["sample_no"].as_str().unwrap();
    let path = format!("/api/v1/samples/{no}");
    let (st, v) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"product_name": "青海牦牛肉干（麻辣味）", "brand": null, "version": 1}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["product_name"], "青海牦牛肉干（麻辣味）");
    assert_eq!(v["brand"], Value::Null, "null clears a field");
    assert_eq!(v["version"], 2);
    for key in [
        "plan_id",
        "entity_id",
        "category_code",
        "specification",
        "batch_no",
        "production_date",
        "shelf_life",
        "manufacturer",
        "stage",
        "sampled_at",
        "place",
        "sampler_ids",
        "quantity",
        "unit",
        "backup_quantity",
        "storage",
        "price",
        "notes",
        "delivery_due_on",
    ] {
        assert_eq!(v[key], s[key], "{key} was not sent and stays");
    }
    // Only the version: nothing changes but the version.
    let (st, v2) = app.send("PATCH", &path, Some(&i.token), json!({"version": 2}));
    assert_eq!(st, 200, "{v2}");
    assert_eq!(v2["product_name"], "青海牦牛肉干（麻辣味）");
    // A partial body is still checked, and still needs the version.
    let (st, e) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"stage": "orbit", "version": 3}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["stage"].is_string(), "{e}");
    let (st, e) = app.send("PATCH", &path, Some(&i.token), json!({"notes": "x"}));
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["version"].is_string(), "{e}");
    let (st, e) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"notes": "x", "version": 1}),
    );
    assert_eq!(st, 409, "{e}");
    let (st, e) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"colour": "red", "version": 3}),
    );
    assert_eq!(st, 400, "an unknown field is refused: {e}");
    // The whole body, as before, still works.
    let mut body = sample_body(&i);
    body["version"] = json!(3);
    let (st, v3) = app.send("PATCH", &path, Some(&i.token), body);
    assert_eq!(st, 200, "{v3}");
    assert_eq!(v3["brand"], "高原红");
    assert_eq!(v3["version"], 4);
}
