//! Retention (留样) over HTTP: the custodian records where a backup portion is kept; its
//! keep-until date follows from the conclusion, the rule profile and the shelf life; a
//! discard before that date is refused; the list shows what may be discarded soon.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::support::fixtures::{
    approve, assign, login_form, receive, register_as, sample_body, sample_no, setup, Intake,
};
use crate::support::{csrf_of, make_user, Backend, TestApp, PASSWORD};
use crate::Test;

mod held;
use held::evidence_of_an_open_disposal_case_or_a_pending_re_examination_is_never_discarded;

pub const TESTS: &[Test] = crate::tests![
    a_retention_place_is_recorded_moved_and_audited,
    retention_lasts_three_months_after_a_compliant_conclusion_and_six_after_a_non_compliant_one,
    retention_stops_at_expiry_when_the_shelf_life_ends_sooner,
    an_early_retention_discard_is_refused_naming_the_date,
    a_retention_discard_after_the_keep_until_date_needs_a_reason_and_is_audited,
    only_a_custodian_records_and_discards_a_retention,
    the_retention_discardable_list_shows_exactly_what_is_due_within_the_window,
    a_sample_without_a_backup_portion_has_no_retention,
    the_retention_page_records_a_place_by_scan_and_discards_with_a_reason,
    evidence_of_an_open_disposal_case_or_a_pending_re_examination_is_never_discarded,
];

/// Users of the lab (custodian "keeper", technician, reviewer, signatory) and one test
/// item with a `max` limit.
struct Lab {
    intake: Intake,
    custodian: String,
    tech: String,
    tech_id: i64,
    reviewer: String,
    signatory: String,
    item: Value,
}

fn lab(app: &TestApp) -> Lab {
    let intake = setup(app, "supervision");
    let custodian = app.user_token("keeper", &["custodian"]);
    let tech_id = app.user("tech1", &["technician"]);
    let tech = app.token("tech1");
    let (_, items) = app.get("/api/v1/test-items", &tech);
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["limit_kind"] == "max" && t["micro_n"].is_null())
        .expect("a max item")
        .clone();
    Lab {
        intake,
        custodian,
        tech,
        tech_id,
        reviewer: app.user_token("checker", &["reviewer"]),
        signatory: app.user_token("boss", &["signatory"]),
        item,
    }
}

/// Moves the clock to 09:00 Shanghai on `date` and logs the lab in again (tokens last
/// 30 days).
fn move_to(app: &TestApp, lab: &mut Lab, date: &str) {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let at = d.and_hms_opt(1, 0, 0).unwrap();
    app.clock.set(Utc.from_utc_datetime(&at));
    lab.custodian = app.token("keeper");
    lab.tech = app.token("tech1");
    lab.reviewer = app.token("checker");
    lab.signatory = app.token("boss");
    lab.intake.token = app.token("wangfang");
}

/// A sample registered with `body` and received; its one test assigned to tech1.
/// Returns the sample number and the test.
fn received(app: &TestApp, lab: &Lab, body: Value) -> (String, Value) {
    let no = sample_no(&register_as(app, &lab.intake.token, body));
    receive(app, &lab.custodian, &no);
    let item = lab.item["id"].as_i64().unwrap();
    let tests = assign(app, &lab.custodian, &no, &[item], lab.tech_id);
    (no, tests[0].clone())
}

/// Enters a passing (or failing) result, accepts it and approves the sample.
fn conclude(app: &TestApp, lab: &Lab, no: &str, test: &Value, pass: bool) {
    let max: f64 = test["limit_max_text"].as_str().unwrap().parse().unwrap();
    let text = if pass { max / 2.0 } else { max * 3.0 };
    let (s, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", test["id"]),
        Some(&lab.tech),
        json!({"result_text": format!("{text}"), "version": test["version"]}),
    );
    assert_eq!(s, 200, "{r}");
    let (s, r) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", test["id"]),
        Some(&lab.reviewer),
        json!({"decision": "accept", "version": r["version"]}),
    );
    assert_eq!(s, 200, "{r}");
    let r = approve(app, &lab.signatory, no);
    let want = if pass { "compliant" } else { "non_compliant" };
    assert_eq!(r["conclusion"], want);
}

/// A concluded sample registered with `body`.
fn concluded(app: &TestApp, lab: &Lab, body: Value, pass: bool) -> String {
    let (no, test) = received(app, lab, body);
    conclude(app, lab, &no, &test, pass);
    no
}

fn put_place(app: &TestApp, token: &str, no: &str, place: &str) -> (u16, Value) {
    app.send(
        "PUT",
        &format!("/api/v1/samples/{no}/retention"),
        Some(token),
        json!({ "place": place }),
    )
}

fn discard(app: &TestApp, token: &str, no: &str, body: Value) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/samples/{no}/retention/discard"),
        Some(token),
        body,
    )
}

fn keep_until(app: &TestApp, token: &str, no: &str) -> Value {
    let (s, r) = app.get(&format!("/api/v1/samples/{no}/retention"), token);
    assert_eq!(s, 200, "{r}");
    r["keep_until"].clone()
}

/// (entity_id, before_json, after_json, reason) of the audit rows with `action`.
type AuditLine = (String, Option<Value>, Option<Value>, Option<String>);
type StoredAuditLine = (String, Option<String>, Option<String>, Option<String>);

fn audit_rows(app: &TestApp, action: &str) -> Vec<AuditLine> {
    use diesel::prelude::*;
    use lims::db::schema::audit_log;
    let rows: Vec<StoredAuditLine> = audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.asc())
        .select((
            audit_log::entity_id,
            audit_log::before_json,
            audit_log::after_json,
            audit_log::reason,
        ))
        .load(&mut *app.db.conn())
        .unwrap();
    let parse = |j: Option<String>| j.map(|j| serde_json::from_str::<Value>(&j).unwrap());
    rows.into_iter()
        .map(|(id, b, a, r)| (id, parse(b), parse(a), r))
        .collect()
}

fn nos(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|l| l["sample_no"].as_str().unwrap().to_string())
        .collect()
}

fn a_retention_place_is_recorded_moved_and_audited(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab(&app);
    let (no, test) = received(&app, &lab, sample_body(&lab.intake));
    let (s, _) = app.get(&format!("/api/v1/samples/{no}/retention"), &lab.custodian);
    assert_eq!(s, 404, "nothing recorded yet");
    // Bad places write nothing.
    let before = app.audit_count();
    let long = "柜".repeat(201);
    for bad in ["", "   ", long.as_str(), "冰箱\u{7}2", "冰箱\n2"] {
        let (s, e) = put_place(&app, &lab.custodian, &no, bad);
        assert_eq!(s, 422, "{bad:?}: {e}");
        assert!(e["error"]["fields"]["place"].is_string(), "{e}");
    }
    assert_eq!(app.audit_count(), before);
    // Recorded before the conclusion: no keep-until date yet.
    let (s, r) = put_place(&app, &lab.custodian, &no, "留样室2号冰箱第3层");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["sample_no"], no.as_str());
    assert_eq!(r["place"], "留样室2号冰箱第3层");
    assert_eq!(r["keep_until"], Value::Null);
    assert_eq!(r["discarded_at"], Value::Null);
    assert_eq!(r["version"], 1);
    assert_eq!(app.audit_count(), before + 1);
    // Moved: the audit log keeps both places.
    let (s, r) = put_place(&app, &lab.custodian, &no, "留样室1号柜");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["place"], "留样室1号柜");
    assert_eq!(r["version"], 2);
    let rows = audit_rows(&app, "retention.place_set");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, no);
    assert_eq!(rows[0].1, None);
    assert_eq!(rows[0].2.as_ref().unwrap()["place"], "留样室2号冰箱第3层");
    assert_eq!(rows[1].1.as_ref().unwrap()["place"], "留样室2号冰箱第3层");
    assert_eq!(rows[1].2.as_ref().unwrap()["place"], "留样室1号柜");
    // A stale version is a conflict.
    let (s, _) = app.send(
        "PUT",
        &format!("/api/v1/samples/{no}/retention"),
        Some(&lab.custodian),
        json!({"place": "别处", "version": 1}),
    );
    assert_eq!(s, 409);
    // Approval sets the keep-until date, audited, and the timeline shows it all.
    conclude(&app, &lab, &no, &test, true);
    assert_eq!(keep_until(&app, &lab.custodian, &no), "2026-06-02");
    let set = audit_rows(&app, "retention.keep_until_set");
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].2.as_ref().unwrap()["keep_until"], "2026-06-02");
    let (_, tl) = app.get(&format!("/api/v1/samples/{no}/timeline"), &lab.tech);
    let actions: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "retention.place_set")
            .count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"retention.keep_until_set"), "{actions:?}");
    // A registered sample is not at the lab yet.
    let (s, v) = app.send(
        "POST",
        "/api/v1/samples",
        Some(&lab.intake.token),
        sample_body(&lab.intake),
    );
    assert_eq!(s, 201, "{v}");
    let (s, e) = put_place(&app, &lab.custodian, v["sample_no"].as_str().unwrap(), "x");
    assert_eq!(s, 409, "{e}");
    let (s, _) = put_place(&app, &lab.custodian, "F202663010499999", "x");
    assert_eq!(s, 404);
}

fn retention_lasts_three_months_after_a_compliant_conclusion_and_six_after_a_non_compliant_one(
    b: Backend,
) {
    let app = TestApp::spawn(b);
    let lab = lab(&app);
    // Compliant, the place recorded after approval (conclusion on 2026-03-02).
    let ok = concluded(&app, &lab, sample_body(&lab.intake), true);
    let (s, r) = put_place(&app, &lab.custodian, &ok, "A-1");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["keep_until"], "2026-06-02", "3 months");
    // Non-compliant, the place recorded before approval.
    let (bad, test) = received(&app, &lab, sample_body(&lab.intake));
    let (s, r) = put_place(&app, &lab.custodian, &bad, "A-2");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["keep_until"], Value::Null);
    conclude(&app, &lab, &bad, &test, false);
    assert_eq!(
        keep_until(&app, &lab.custodian, &bad),
        "2026-09-02",
        "6 months"
    );
    // The shelf life of the fixture (9 months from 2026-02-15) ends later: no cap.
}

fn retention_stops_at_expiry_when_the_shelf_life_ends_sooner(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab(&app);
    // Produced 2025-08-01 with 9 months' shelf life: expires 2026-05-01, before
    // 2026-06-02 (three months after the conclusion).
    let mut body = sample_body(&lab.intake);
    body["production_date"] = json!("2025-08-01");
    body["shelf_life"] = json!("9个月");
    let capped = concluded(&app, &lab, body.clone(), true);
    let (s, r) = put_place(&app, &lab.custodian, &capped, "B-1");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["keep_until"], "2026-05-01");
    // Non-compliant: the expiry caps six months too.
    let nc = concluded(&app, &lab, body.clone(), false);
    let (_, r) = put_place(&app, &lab.custodian, &nc, "B-2");
    assert_eq!(r["keep_until"], "2026-05-01");
    // A shelf life that cannot be read does not shorten retention.
    body["shelf_life"] = json!("见包装");
    let unread = concluded(&app, &lab, body, true);
    let (_, r) = put_place(&app, &lab.custodian, &unread, "B-3");
    assert_eq!(r["keep_until"], "2026-06-02");
}

fn an_early_retention_discard_is_refused_naming_the_date(b: Backend) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    // Not concluded yet: no date, so no discard.
    let (open, _) = received(&app, &lab, sample_body(&lab.intake));
    put_place(&app, &lab.custodian, &open, "C-1");
    let before = app.audit_count();
    let (s, e) = discard(&app, &lab.custodian, &open, json!({"reason": "到期"}));
    assert_eq!(s, 409, "{e}");
    assert_eq!(app.audit_count(), before);
    // Concluded: kept until 2026-06-02; the day before is refused with the date.
    let no = concluded(&app, &lab, sample_body(&lab.intake), true);
    put_place(&app, &lab.custodian, &no, "C-2");
    let before_discard = app.audit_count();
    let (s, e) = discard(&app, &lab.custodian, &no, json!({"reason": "到期"}));
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "conflict");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-06-02"),
        "{e}"
    );
    assert_eq!(app.audit_count(), before_discard, "refusals write nothing");
    move_to(&app, &mut lab, "2026-06-01");
    let before_discard = app.audit_count();
    let r = app
        .client
        .post(app.url(&format!("/api/v1/samples/{no}/retention/discard")))
        .bearer_auth(&lab.custodian)
        .header("Accept-Language", "en")
        .json(&json!({"reason": "due"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().unwrap();
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("2026-06-02") && msg.contains("kept until"),
        "{msg}"
    );
    assert_eq!(app.audit_count(), before_discard, "refusals write nothing");
    // No retention recorded: 404.
    let (other, _) = received(&app, &lab, sample_body(&lab.intake));
    let (s, _) = discard(&app, &lab.custodian, &other, json!({"reason": "x"}));
    assert_eq!(s, 404);
}

fn a_retention_discard_after_the_keep_until_date_needs_a_reason_and_is_audited(b: Backend) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    let no = concluded(&app, &lab, sample_body(&lab.intake), true);
    put_place(&app, &lab.custodian, &no, "D-1");
    move_to(&app, &mut lab, "2026-06-02");
    let before = app.audit_count();
    for body in [json!({}), json!({"reason": ""}), json!({"reason": "   "})] {
        let (s, e) = discard(&app, &lab.custodian, &no, body.clone());
        assert_eq!(s, 422, "{body}: {e}");
        assert!(e["error"]["fields"]["reason"].is_string(), "{e}");
    }
    assert_eq!(app.audit_count(), before);
    let (s, r) = discard(
        &app,
        &lab.custodian,
        &no,
        json!({"reason": "留样期满，按规定销毁"}),
    );
    assert_eq!(s, 200, "{r}");
    assert!(
        r["discarded_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-02T09:00:00"),
        "{r}"
    );
    assert_eq!(r["discard_reason"], "留样期满，按规定销毁");
    assert_eq!(r["keep_until"], "2026-06-02");
    assert_eq!(app.audit_count(), before + 1);
    let rows = audit_rows(&app, "retention.discard");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, no);
    assert_eq!(rows[0].3.as_deref(), Some("留样期满，按规定销毁"));
    assert_eq!(rows[0].1.as_ref().unwrap()["place"], "D-1");
    // A discard is final.
    let (s, _) = discard(&app, &lab.custodian, &no, json!({"reason": "again"}));
    assert_eq!(s, 409);
    let (s, _) = put_place(&app, &lab.custodian, &no, "D-2");
    assert_eq!(s, 409);
    let (s, r) = app.get(&format!("/api/v1/samples/{no}/retention"), &lab.tech);
    assert_eq!(s, 200);
    assert_eq!(r["place"], "D-1");
}

fn only_a_custodian_records_and_discards_a_retention(b: Backend) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    let no = concluded(&app, &lab, sample_body(&lab.intake), true);
    let before = app.audit_count();
    for token in [&lab.tech, &lab.reviewer, &lab.signatory, &lab.intake.token] {
        let (s, _) = put_place(&app, token, &no, "E-1");
        assert_eq!(s, 403);
    }
    assert_eq!(app.audit_count(), before);
    put_place(&app, &lab.custodian, &no, "E-1");
    move_to(&app, &mut lab, "2026-07-01");
    for token in [&lab.tech, &lab.signatory] {
        let (s, _) = discard(&app, token, &no, json!({"reason": "x"}));
        assert_eq!(s, 403);
    }
    let (s, _) = app.get("/api/v1/retention/discardable", &lab.tech);
    assert_eq!(s, 403);
    // A custodian of another region sees neither the sample nor its retention.
    make_user(
        &app.db,
        &app.clock,
        "keeper_hd",
        &["custodian"],
        Some("630200"),
    );
    let far = app.token("keeper_hd");
    let (s, _) = discard(&app, &far, &no, json!({"reason": "x"}));
    assert_eq!(s, 404);
    let (s, list) = app.get("/api/v1/retention/discardable", &far);
    assert_eq!(s, 200);
    assert_eq!(nos(&list), Vec::<String>::new());
    let (s, list) = app.get("/api/v1/retention/discardable", &lab.custodian);
    assert_eq!(s, 200);
    assert_eq!(nos(&list), vec![no.clone()]);
    let (s, _) = discard(&app, &lab.custodian, &no, json!({"reason": "期满"}));
    assert_eq!(s, 200);
}

fn the_retention_discardable_list_shows_exactly_what_is_due_within_the_window(b: Backend) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    let mut short = sample_body(&lab.intake);
    short["production_date"] = json!("2025-08-01");
    let capped = concluded(&app, &lab, short, true); // 2026-05-01
    let compliant = concluded(&app, &lab, sample_body(&lab.intake), true); // 2026-06-02
    let non_compliant = concluded(&app, &lab, sample_body(&lab.intake), false); // 2026-09-02
    let (open, _) = received(&app, &lab, sample_body(&lab.intake)); // no conclusion
    let unrecorded = concluded(&app, &lab, sample_body(&lab.intake), true); // no place
    for no in [&capped, &compliant, &non_compliant, &open] {
        let (s, r) = put_place(&app, &lab.custodian, no, "F-1");
        assert_eq!(s, 200, "{r}");
    }
    let _ = unrecorded;
    let list = |lab: &Lab, q: &str| {
        let (s, v) = app.get(&format!("/api/v1/retention/discardable{q}"), &lab.custodian);
        assert_eq!(s, 200, "{v}");
        v
    };
    // Today 2026-03-02: nothing this week.
    assert_eq!(nos(&list(&lab, "")), Vec::<String>::new());
    // 2026-04-25: the capped one falls due on 2026-05-01, within 7 days.
    move_to(&app, &mut lab, "2026-04-25");
    let v = list(&lab, "");
    assert_eq!(nos(&v), vec![capped.clone()]);
    assert_eq!(v[0]["keep_until"], "2026-05-01");
    assert_eq!(v[0]["conclusion"], "compliant");
    assert_eq!(v[0]["product_name"], "青海牦牛肉干（五香味）");
    assert_eq!(v[0]["place"], "F-1");
    // The window is the caller's: 5 days stops short, 38 reaches 2026-06-02.
    assert_eq!(nos(&list(&lab, "?within_days=5")), Vec::<String>::new());
    assert_eq!(
        nos(&list(&lab, "?within_days=38")),
        vec![capped.clone(), compliant.clone()]
    );
    // The non-compliant one (2026-09-02) is held by its open disposal case.
    assert_eq!(
        nos(&list(&lab, "?within_days=366")),
        vec![capped.clone(), compliant.clone()]
    );
    let _ = non_compliant;
    for bad in ["-1", "367", "x"] {
        let (s, _) = app.get(
            &format!("/api/v1/retention/discardable?within_days={bad}"),
            &lab.custodian,
        );
        assert!(s == 422 || s == 400, "{bad}: {s}");
    }
    // 2026-05-28: both due this week, soonest first; a discarded one leaves the list.
    move_to(&app, &mut lab, "2026-05-28");
    assert_eq!(
        nos(&list(&lab, "")),
        vec![capped.clone(), compliant.clone()]
    );
    let (s, r) = discard(&app, &lab.custodian, &capped, json!({"reason": "过期"}));
    assert_eq!(s, 200, "{r}");
    assert_eq!(nos(&list(&lab, "")), vec![compliant.clone()]);
    // A supervisor may look at the list too.
    let sup = app.token("sup");
    let (s, v) = app.get("/api/v1/retention/discardable", &sup);
    assert_eq!(s, 200);
    assert_eq!(nos(&v), vec![compliant]);
}

fn a_sample_without_a_backup_portion_has_no_retention(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab(&app);
    let (s, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&lab.intake.supervisor),
        json!({"code": "QH-2026-RM", "name": "2026年风险监测", "year": 2026, "level": "prefectural",
               "kind": "risk_monitoring", "domain": "food", "region_code": "630100", "target_batches": 100}),
    );
    assert_eq!(s, 201, "{plan}");
    let mut body = sample_body(&lab.intake);
    body["plan_id"] = plan["id"].clone();
    body["backup_quantity"] = Value::Null;
    let no = concluded(&app, &lab, body, true);
    let before = app.audit_count();
    let (s, e) = put_place(&app, &lab.custodian, &no, "G-1");
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "conflict");
    assert_eq!(app.audit_count(), before);
    let (s, _) = app.get(&format!("/api/v1/samples/{no}/retention"), &lab.custodian);
    assert_eq!(s, 404);
}

fn the_retention_page_records_a_place_by_scan_and_discards_with_a_reason(b: Backend) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    let no = concluded(&app, &lab, sample_body(&lab.intake), true);
    // Not for a technician.
    let r = login_form(&app, "tech1", PASSWORD);
    assert_eq!(r.status(), 303);
    let (s, _) = app.page("/retention");
    assert_eq!(s, 403);
    let (_, html) = app.page("/");
    let csrf = csrf_of(&html);
    app.client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    let r = login_form(&app, "keeper", PASSWORD);
    assert_eq!(r.status(), 303);
    let (s, html) = app.page("/retention");
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("留样管理"), "{html}");
    let csrf = csrf_of(&html);
    // A form without its CSRF token is refused.
    let r = app
        .client
        .post(app.url("/retention"))
        .form(&[("scan", no.as_str()), ("place", "H-1")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // The backup label's scan (full URL with #B) names the sample.
    let scan = format!("{}/s/{no}#B", app.base);
    let r = app
        .client
        .post(app.url("/retention"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scan", scan.as_str()),
            ("place", "留样室<3号>冰箱"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("2026-06-02"), "{html}");
    assert!(
        !html.contains("留样室<3号>冰箱") && html.contains("3号"),
        "escaped: {html}"
    );
    assert_eq!(keep_until(&app, &lab.custodian, &no), "2026-06-02");
    let r = app
        .client
        .post(app.url("/retention"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scan", "not a label"),
            ("place", "x"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    // On 2026-06-01 the row is listed; its discard is refused until 2026-06-02.
    move_to(&app, &mut lab, "2026-06-01");
    let r = login_form(&app, "keeper", PASSWORD);
    assert_eq!(r.status(), 303);
    let (s, html) = app.page("/retention");
    assert_eq!(s, 200);
    assert!(html.contains(&format!("/retention/{no}/discard")), "{html}");
    let csrf = csrf_of(&html);
    let path = format!("/retention/{no}/discard");
    let r = app
        .client
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str()), ("reason", "期满")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().unwrap().contains("2026-06-02"));
    move_to(&app, &mut lab, "2026-06-02");
    let r = login_form(&app, "keeper", PASSWORD);
    assert_eq!(r.status(), 303);
    let (_, html) = app.page("/retention");
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str()), ("reason", "  ")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 422, "a reason is required");
    let r = app
        .client
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str()), ("reason", "留样期满销毁")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("留样已处理"), "{html}");
    assert!(!html.contains(&path), "the row left the list: {html}");
    let rows = audit_rows(&app, "retention.discard");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].3.as_deref(), Some("留样期满销毁"));
}
