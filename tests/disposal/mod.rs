//! Disposal cases over HTTP (first slice): a non-compliant report opens a case in the
//! entity's region; steps are recorded against the rule profile's deadlines and windows;
//! closing needs the required steps; a re-examination that does not uphold the result
//! closes the case as overturned and replaces the report.

use serde_json::{json, Value};

use crate::support::fixtures::{issue, lab_users, login_form};
use crate::support::{make_user, Backend, TestApp};
use crate::Test;

mod walk;

use walk::{
    steps_carry_checked_attachments_and_the_disposal_information_is_published_with_the_result,
    ten_cases_walked_to_their_ends_give_the_rates_computed_by_hand,
};

pub const TESTS: &[Test] = crate::tests![
    a_non_compliant_report_opens_a_case_that_closes_when_every_step_is_done,
    a_re_examination_that_does_not_uphold_the_result_overturns_the_case,
    events_take_the_bodies_of_api_md,
    rates_follow_the_cases_and_an_extension_needs_a_second_supervisor,
    the_board_and_the_case_page_record_steps,
    the_morning_reminders_list_duties_due_soon_and_overdue,
    ten_cases_walked_to_their_ends_give_the_rates_computed_by_hand,
    steps_carry_checked_attachments_and_the_disposal_information_is_published_with_the_result,
];

fn at(local: &str) -> String {
    format!("{local}+08:00")
}

fn event(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/disposals/{id}/events"),
        Some(token),
        body,
    )
}

fn a_non_compliant_report_opens_a_case_that_closes_when_every_step_is_done(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    // Opened at approval: Monday 2026-03-02 09:30 in Xining.
    let (sample_no, report, _) = issue(&app, &lab, 2, true);
    let (_, good, _) = issue(&app, &lab, 1, false);
    let (st, list) = app.get("/api/v1/disposals", &sup);
    assert_eq!(st, 200, "{list}");
    assert_eq!(
        list["total"], 1,
        "only the non-compliant sample opens a case: {list}"
    );
    let case = &list["items"][0];
    assert_eq!(case["sample_no"], sample_no.as_str());
    assert_eq!(case["report_no"], report["report_no"]);
    assert_eq!(case["status"], "open");
    assert_eq!(case["region_code"], "630104");
    // 90 calendar days from 2026-03-02.
    assert_eq!(case["due_on"], "2026-05-31");
    let id = case["id"].as_i64().unwrap();
    let steps = case["steps"].as_array().unwrap();
    let serve = steps
        .iter()
        .find(|s| s["kind"] == "entity_notified")
        .unwrap();
    assert_eq!(serve["due_on"], "2026-03-09", "5 working days: {serve}");
    assert!(serve["citation"]
        .as_str()
        .unwrap()
        .contains("《食品安全抽样检验管理办法》第二十九条"));
    assert!(good["conclusion"] == "compliant");
    // Who may see it: not a technician, not a supervisor of another prefecture.
    let (st, _) = app.get(&format!("/api/v1/disposals/{id}"), &lab.tech);
    assert_eq!(st, 403);
    make_user(
        &app.db,
        &app.clock,
        "huangnan",
        &["supervisor"],
        Some("632300"),
    );
    let other = app.token("huangnan");
    let (st, _) = app.get(&format!("/api/v1/disposals/{id}"), &other);
    assert_eq!(st, 404);
    let (st, _) = event(
        &app,
        &other,
        id,
        json!({"kind": "authority_reported", "at": at("2026-03-02T10:00:00")}),
    );
    assert_eq!(st, 404);
    // Bad times are 422; an unknown kind too.
    app.clock.advance(chrono::Duration::days(1));
    let (st, e) = event(
        &app,
        &sup,
        id,
        json!({"kind": "authority_reported", "at": at("2026-03-20T10:00:00")}),
    );
    assert_eq!(st, 422, "future: {e}");
    let (st, e) = event(
        &app,
        &sup,
        id,
        json!({"kind": "authority_reported", "at": at("2026-03-01T10:00:00")}),
    );
    assert_eq!(st, 422, "before the case opened: {e}");
    let (st, _) = event(
        &app,
        &sup,
        id,
        json!({"kind": "tea_break", "at": at("2026-03-02T10:00:00")}),
    );
    assert_eq!(st, 422);
    let before = app.audit_count();
    let (st, d) = event(
        &app,
        &sup,
        id,
        json!({"kind": "authority_reported", "at": at("2026-03-02T16:00:00"), "note": "已报告组织抽检的市局"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(app.audit_count(), before + 1);
    let (st, d) = event(
        &app,
        &sup,
        id,
        json!({"kind": "entity_notified", "at": at("2026-03-03T09:00:00")}),
    );
    assert_eq!(st, 200, "{d}");
    // Served Tuesday 2026-03-03: the re-examination window closes 7 working days later.
    let window = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "recheck_requested")
        .unwrap()
        .clone();
    assert_eq!(window["due_on"], "2026-03-12", "{window}");
    app.clock.advance(chrono::Duration::days(12));
    let (st, e) = event(
        &app,
        &sup,
        id,
        json!({"kind": "recheck_requested", "at": at("2026-03-13T09:00:00")}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(
        e["error"]["fields"]["at"]
            .as_str()
            .unwrap()
            .contains("2026-03-12"),
        "{e}"
    );
    // Closing with required steps missing is 409 and names them.
    let (st, e) = event(
        &app,
        &sup,
        id,
        json!({"kind": "closed", "at": at("2026-03-13T10:00:00")}),
    );
    assert_eq!(st, 409, "{e}");
    let (_, d) = app.get(&format!("/api/v1/disposals/{id}"), &sup);
    let missing: Vec<&str> = d["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["risk_controlled", "penalty_decided", "rectified"],
        "{d}"
    );
    for (kind, day) in [
        ("risk_controlled", "03-04"),
        ("penalty_decided", "03-10"),
        ("rectified", "03-12"),
    ] {
        let (st, d) = event(
            &app,
            &sup,
            id,
            json!({"kind": kind, "at": at(&format!("2026-{day}T10:00:00"))}),
        );
        assert_eq!(st, 200, "{kind}: {d}");
    }
    let (st, d) = event(
        &app,
        &sup,
        id,
        json!({"kind": "closed", "at": at("2026-03-13T10:00:00")}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "closed");
    assert_eq!(d["outcome"], "completed");
    let (st, _) = event(
        &app,
        &sup,
        id,
        json!({"kind": "rectified", "at": at("2026-03-13T11:00:00")}),
    );
    assert_eq!(st, 409, "a closed case takes no more steps");
    let (_, list) = app.get("/api/v1/disposals?status=open", &sup);
    assert_eq!(list["total"], 0);
}

fn a_re_examination_that_does_not_uphold_the_result_overturns_the_case(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    let (sample_no, report, _) = issue(&app, &lab, 2, true);
    let old_no = report["report_no"].as_str().unwrap().to_string();
    let (_, list) = app.get("/api/v1/disposals", &sup);
    let id = list["items"][0]["id"].as_i64().unwrap();
    app.clock.advance(chrono::Duration::days(10));
    for body in [
        json!({"kind": "authority_reported", "at": at("2026-03-02T16:00:00")}),
        json!({"kind": "entity_notified", "at": at("2026-03-03T09:00:00")}),
        // Risk control goes on while the re-examination is pending.
        json!({"kind": "risk_controlled", "at": at("2026-03-03T15:00:00")}),
        json!({"kind": "recheck_requested", "at": at("2026-03-05T09:00:00")}),
        json!({"kind": "recheck_accepted", "at": at("2026-03-06T09:00:00"), "accepted": true}),
    ] {
        let (st, d) = event(&app, &sup, id, body.clone());
        assert_eq!(st, 200, "{body}: {d}");
    }
    let (st, d) = event(
        &app,
        &sup,
        id,
        json!({"kind": "recheck_result", "at": at("2026-03-11T09:00:00"), "upheld": false, "note": "复检机构：某复检机构，复检合格"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "closed");
    assert_eq!(d["outcome"], "overturned");
    let new_no = d["report_no"].as_str().unwrap().to_string();
    assert_ne!(new_no, old_no);
    let (_, old) = app.get(&format!("/api/v1/reports/{old_no}"), &lab.signatory);
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], new_no.as_str());
    let (_, new) = app.get(&format!("/api/v1/reports/{new_no}"), &lab.signatory);
    assert_eq!(new["conclusion"], "compliant");
    assert_eq!(new["supersedes"], old_no.as_str());
    let (_, s) = app.get(&format!("/api/v1/samples/{sample_no}"), &lab.tech);
    assert_eq!(s["conclusion"], "compliant");
    assert_eq!(s["report_no"], new_no.as_str());
}

fn rates_follow_the_cases_and_an_extension_needs_a_second_supervisor(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    app.user("chief", &["supervisor"]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (no, _, _) = issue(&app, &lab, 1, true);
        let (_, list) = app.get("/api/v1/disposals", &sup);
        let case = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["sample_no"] == no.as_str())
            .unwrap()
            .clone();
        ids.push(case["id"].as_i64().unwrap());
    }
    let (a, b_, c) = (ids[0], ids[1], ids[2]);
    // 100 days later (2026-06-10): every case opened 2026-03-02 is past its 90 days
    // (due 2026-05-31).
    app.clock.advance(chrono::Duration::days(100));
    let sup = app.token("watcher");
    let sup2 = app.token("chief");
    let steps = |id: i64, list: &[(&str, &str)]| {
        for (kind, when) in list {
            let (st, d) = event(&app, &sup, id, json!({"kind": kind, "at": at(when)}));
            assert_eq!(st, 200, "{kind}: {d}");
        }
    };
    // A: every step, closed 2026-03-13, on time.
    steps(
        a,
        &[
            ("authority_reported", "2026-03-02T16:00:00"),
            ("entity_notified", "2026-03-03T09:00:00"),
            ("risk_controlled", "2026-03-04T10:00:00"),
            ("penalty_decided", "2026-03-10T10:00:00"),
            ("rectified", "2026-03-12T10:00:00"),
            ("closed", "2026-03-13T10:00:00"),
        ],
    );
    // B: started (risk controlled) but left open past its deadline.
    steps(
        b_,
        &[
            ("authority_reported", "2026-03-02T16:00:00"),
            ("risk_controlled", "2026-03-04T10:00:00"),
        ],
    );
    // C: overturned by the re-examination: leaves both sides of every rate.
    steps(
        c,
        &[
            ("authority_reported", "2026-03-02T16:00:00"),
            ("entity_notified", "2026-03-03T09:00:00"),
            ("recheck_requested", "2026-03-05T09:00:00"),
        ],
    );
    let (st, d) = event(
        &app,
        &sup,
        c,
        json!({"kind": "recheck_accepted", "at": at("2026-03-06T09:00:00"), "accepted": true}),
    );
    assert_eq!(st, 200, "{d}");
    let (st, d) = event(
        &app,
        &sup,
        c,
        json!({"kind": "recheck_result", "at": at("2026-03-11T09:00:00"), "upheld": false}),
    );
    assert_eq!(st, 200, "{d}");
    // By hand: need disposal A, B (2); started A, B (2) → 2/2 = 1.0; closed as completed
    // A (1) → 1/2 = 0.5; on time: A closed on time, B's deadline passed → 1/2 = 0.5.
    let (st, s) = app.get("/api/v1/stats/disposal?year=2026", &sup);
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["non_compliant"], 2, "{s}");
    assert_eq!(s["closed"], 1);
    assert_eq!(s["closed_on_time"], 1);
    assert_eq!(s["disposal_rate"], 1.0);
    assert_eq!(s["completion_rate"], 0.5);
    assert_eq!(s["on_time_rate"], 0.5);
    assert_eq!(s["open"], 1);
    assert_eq!(s["overdue"], 1);
    assert_eq!(s["overturned"], 1);
    assert_eq!(s["not_completed"][0]["id"], b_);
    assert_eq!(s["not_on_time"][0]["id"], b_);
    assert!(s["not_started"].as_array().unwrap().is_empty());
    assert!(s["definitions"]["completion_rate"]["zh"].is_string());
    // The case list exports as CSV, one row per case, Chinese intact.
    let (st, ct, csv) = app.bytes("/api/v1/disposals?format=csv", Some(&sup));
    assert_eq!(st, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(
        csv.trim_start_matches('\u{feff}').lines().count(),
        4,
        "{csv}"
    );
    assert!(csv.contains("overturned") && csv.contains("西宁"), "{csv}");
    let (st, _) = app.get("/api/v1/disposals?format=pdf", &sup);
    assert_eq!(st, 422);
    let (_, other_year) = app.get("/api/v1/stats/disposal?year=2025", &sup);
    assert_eq!(other_year["non_compliant"], 0);
    assert!(
        other_year["completion_rate"].is_null(),
        "nothing counted: {other_year}"
    );
    let (st, _) = app.get("/api/v1/stats/disposal", &app.token("tech1"));
    assert_eq!(st, 403);
    // An extension needs a reason, and a second supervisor to approve the same date.
    let path = format!("/api/v1/disposals/{b_}/extension");
    let (st, e) = app.send("POST", &path, Some(&sup), json!({"until": "2026-07-31"}));
    assert_eq!(st, 422, "{e}");
    let (st, e) = app.send(
        "POST",
        &path,
        Some(&sup),
        json!({"until": "2026-05-01", "reason": "涉案产品跨省流通，需协查"}),
    );
    assert_eq!(st, 422, "an earlier date is no extension: {e}");
    let (st, d) = app.send(
        "POST",
        &path,
        Some(&sup),
        json!({"until": "2026-07-31", "reason": "涉案产品跨省流通，需协查"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["due_on"], "2026-05-31", "not in force before approval");
    let approve = format!("{path}/approve");
    let (st, _) = app.send("POST", &approve, Some(&sup), json!({"until": "2026-07-31"}));
    assert_eq!(st, 403, "the one who asked cannot approve");
    let (st, _) = app.send(
        "POST",
        &approve,
        Some(&sup2),
        json!({"until": "2026-08-31"}),
    );
    assert_eq!(st, 422, "another date than the one asked");
    let (st, d) = app.send(
        "POST",
        &approve,
        Some(&sup2),
        json!({"until": "2026-07-31"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["due_on"], "2026-07-31");
    assert_eq!(d["overdue"], false);
    // With B's deadline now ahead, only A counts for on time: 1/1.
    let (_, s) = app.get("/api/v1/stats/disposal?year=2026", &sup);
    assert_eq!(s["on_time_rate"], 1.0, "{s}");
    assert_eq!(s["overdue"], 0);
    // A closed case reopens only with a reason.
    let reopen = format!("/api/v1/disposals/{a}/reopen");
    let (st, _) = app.send("POST", &reopen, Some(&sup), json!({}));
    assert_eq!(st, 422);
    let (st, d) = app.send(
        "POST",
        &reopen,
        Some(&sup),
        json!({"reason": "发现新的流通批次"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "open");
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/disposals/{c}/reopen"),
        Some(&sup),
        json!({"reason": "x"}),
    );
    assert_eq!(st, 409, "an overturned case stays closed");
}

fn the_board_and_the_case_page_record_steps(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    app.user("watcher", &["supervisor"]);
    let (sample_no, _, _) = issue(&app, &lab, 1, true);
    app.clock.advance(chrono::Duration::hours(2));
    login_form(&app, "watcher", crate::support::PASSWORD);
    let (st, html) = app.page("/disposals");
    assert_eq!(st, 200);
    assert!(
        html.contains(&sample_no) && html.contains("核查处置率"),
        "{html}"
    );
    let id = html
        .split("href=\"/disposals/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|s| s.parse::<i64>().is_ok())
        .unwrap()
        .to_string();
    let (st, html) = app.page(&format!("/disposals/{id}"));
    assert_eq!(st, 200);
    assert!(
        html.contains("送达被抽样单位")
            && html.contains("《食品安全抽样检验管理办法》")
            && !html.contains("FSSM"),
        "{html}"
    );
    let csrf = crate::support::csrf_of(&html);
    let post = |fields: &[(&str, &str)]| {
        let mut f = fields.to_vec();
        f.push(("csrf", csrf.as_str()));
        let r = app
            .client
            .post(app.url(&format!("/disposals/{id}/events")))
            .form(&f)
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap_or_default())
    };
    let (st, body) = post(&[("kind", "authority_reported"), ("at", "2026-03-09T10:00")]);
    assert_eq!(st, 422, "a future time is refused on the page");
    assert!(body.contains("晚于当前时间"), "{body}");
    let (st, _) = post(&[
        ("kind", "authority_reported"),
        ("at", "2026-03-02T10:30"),
        ("note", "电话报告"),
    ]);
    assert_eq!(st, 303);
    let (_, html) = app.page(&format!("/disposals/{id}"));
    assert!(html.contains("电话报告"), "{html}");
    let (st, body) = post(&[("kind", "closed"), ("at", "2026-03-02T10:40")]);
    assert_eq!(st, 409, "{body}");
}

fn the_morning_reminders_list_duties_due_soon_and_overdue(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    let (sample_no, _, _) = issue(&app, &lab, 1, true);
    // Opened Monday 2026-03-02: reporting to the bureau is due 2026-03-04 (2 WD) and
    // service 2026-03-09 (5 WD); both are within the 5-working-day horizon.
    let (st, r) = app.get("/api/v1/disposals/reminders", &sup);
    assert_eq!(st, 200, "{r}");
    let steps: Vec<(&str, &str, bool)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert_eq!(x["sample_no"], sample_no.as_str());
            (
                x["step"].as_str().unwrap(),
                x["due_on"].as_str().unwrap(),
                x["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("authority_reported", "2026-03-04", false),
            ("entity_notified", "2026-03-09", false)
        ],
        "{r}"
    );
    // A week later, reported but not served: service is overdue and first.
    app.clock.advance(chrono::Duration::days(8));
    let sup = app.token("watcher");
    let (_, list) = app.get("/api/v1/disposals", &sup);
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (st, _) = event(
        &app,
        &sup,
        id,
        json!({"kind": "authority_reported", "at": at("2026-03-03T10:00:00")}),
    );
    assert_eq!(st, 200);
    let (_, r) = app.get("/api/v1/disposals/reminders", &sup);
    assert_eq!(r[0]["step"], "entity_notified", "{r}");
    assert_eq!(r[0]["overdue"], true);
    assert!(r[0]["days_left"].as_i64().unwrap() < 0);
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .all(|x| x["step"] != "authority_reported"),
        "a done step is not reminded: {r}"
    );
    let (st, _) = app.get("/api/v1/disposals/reminders", &app.token("tech1"));
    assert_eq!(st, 403);
    login_form(&app, "watcher", crate::support::PASSWORD);
    let (st, html) = app.page("/disposals/reminders");
    assert_eq!(st, 200);
    assert!(
        html.contains(&sample_no) && html.contains("已超期"),
        "{html}"
    );
}

/// The case id of a sample, from the list.
fn case_of(app: &TestApp, token: &str, sample_no: &str) -> i64 {
    let (st, list) = app.get("/api/v1/disposals?per_page=100", token);
    assert_eq!(st, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sample_no"] == sample_no)
        .unwrap_or_else(|| panic!("no case for {sample_no}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

/// Records the steps in order, each expected to be accepted.
fn walk(app: &TestApp, token: &str, id: i64, steps: &[Value]) -> Value {
    let mut last = Value::Null;
    for body in steps {
        let (st, d) = event(app, token, id, body.clone());
        assert_eq!(st, 200, "case {id}, {body}: {d}");
        last = d;
    }
    last
}

fn step(kind: &str, when: &str) -> Value {
    json!({"kind": kind, "at": at(when)})
}

fn step_line<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} step: {case}"))
}

/// API.md's bodies: `recheck_accepted` is `{kind, at, note?}` with no extra field;
/// `recheck_result` takes `{upheld}`: `true` (the result stands) keeps the case open
/// for its disposal, which then closes as completed; `false` closes it as overturned.
/// The older body with `accepted` keeps working.
fn events_take_the_bodies_of_api_md(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    issue(&app, &lab, 1, true);
    issue(&app, &lab, 1, true);
    let (_, list) = app.get("/api/v1/disposals", &sup);
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    app.clock.advance(chrono::Duration::days(12));
    for &id in &ids {
        for body in [
            json!({"kind": "authority_reported", "at": at("2026-03-02T16:00:00")}),
            json!({"kind": "entity_notified", "at": at("2026-03-03T09:00:00")}),
            json!({"kind": "recheck_requested", "at": at("2026-03-05T09:00:00")}),
            json!({"kind": "recheck_accepted", "at": at("2026-03-06T09:00:00"), "note": "已受理"}),
        ] {
            let (st, d) = event(&app, &sup, id, body.clone());
            assert_eq!(st, 200, "{body}: {d}");
        }
    }
    // The result stands: the case stays open and its disposal goes on to completion.
    let (st, d) = event(
        &app,
        &sup,
        ids[0],
        json!({"kind": "recheck_result", "at": at("2026-03-11T09:00:00"), "upheld": true}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "open", "{d}");
    assert_eq!(d["outcome"], Value::Null, "{d}");
    for (kind, day) in [
        ("risk_controlled", "03-11"),
        ("penalty_decided", "03-12"),
        ("rectified", "03-12"),
        ("closed", "03-13"),
    ] {
        let (st, d) = event(
            &app,
            &sup,
            ids[0],
            json!({"kind": kind, "at": at(&format!("2026-{day}T10:00:00"))}),
        );
        assert_eq!(st, 200, "{kind}: {d}");
    }
    let (_, d) = app.get(&format!("/api/v1/disposals/{}", ids[0]), &sup);
    assert_eq!(d["status"], "closed", "{d}");
    assert_eq!(d["outcome"], "completed", "{d}");
    // Not upheld: closed at once as overturned, the report replaced.
    let (st, d) = event(
        &app,
        &sup,
        ids[1],
        json!({"kind": "recheck_result", "at": at("2026-03-11T09:00:00"), "upheld": false}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "closed", "{d}");
    assert_eq!(d["outcome"], "overturned", "{d}");
}
