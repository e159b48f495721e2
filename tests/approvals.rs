//! Preview, then approve: the approvals page shows what is signed (results, limits,
//! judgments, the coming conclusion in words), the draft report takes no number and
//! leaves no row behind, approving asks for confirmation, and the flash after it names
//! the report as a link with the conclusion in words. A sample waiting for approval
//! reads 待签发.

use diesel::prelude::*;
use serde_json::json;

use lims::db::schema::{report_sequences, reports};

use crate::support::fixtures::{
    accept_results, approve, assign, issue, lab_users, login_form, max_items, ready_for_approval,
    receive, received_with_tests, register_as, sample_body, sample_no,
};
use crate::support::webdriver::{Device, Driver};
use crate::support::{csrf_of, make_user, pdftotext_flow, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    the_draft_report_has_the_results_and_takes_no_number,
    the_draft_is_hidden_outside_the_region_and_refused_before_review,
    the_approvals_page_shows_what_is_signed_and_asks_to_confirm,
    a_risk_monitoring_sample_is_concluded_in_problems_found,
];

/// Tests that need Chromium and chromedriver (run beside `browser::TESTS`).
pub const BROWSER_TESTS: &[Test] =
    crate::tests![on_a_phone_each_waiting_sample_is_a_card_that_fits_the_screen];

/// (reports, the report counter's values summed, audit rows): what a draft must not change.
fn footprint(app: &TestApp) -> (i64, i64, i64) {
    let mut conn = app.db.conn();
    let n: i64 = reports::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    let seq: Vec<i32> = report_sequences::table
        .select(report_sequences::last_value)
        .load(&mut *conn)
        .expect("sequences");
    drop(conn);
    (
        n,
        seq.iter().map(|v| i64::from(*v)).sum(),
        app.audit_count(),
    )
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

fn the_draft_report_has_the_results_and_takes_no_number(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    // One report issued before, so the next number is known: QHJ…000002.
    let (_, first, _) = issue(&app, &lab, 1, false);
    let first_no = first["report_no"].as_str().unwrap().to_string();
    let next_no = format!("{}000002", &first_no[..first_no.len() - 6]);
    assert!(first_no.ends_with("000001"), "{first_no}");
    let (no, tests) = ready_for_approval(&app, &lab, 3, true);
    // Logged in for the page route (the login is audited, so before counting).
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let before = footprint(&app);
    // The page route (cookie) and the API twin (token) give the same draft.
    let (st, ct, pdf) = app.bytes(
        &format!("/api/v1/samples/{no}/report-draft.pdf"),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = flat(&pdftotext_flow(&pdf, 1));
    assert!(text.contains("草稿"), "the draft says so: {text}");
    assert!(text.contains(&no), "{text}");
    for t in &tests {
        let name = flat(t["name"].as_str().unwrap());
        assert!(text.contains(&name), "{name} in the draft: {text}");
    }
    let (_, entered) = app.get(&format!("/api/v1/samples/{no}/tests"), &lab.signatory);
    for t in entered.as_array().unwrap() {
        let result = t["result_text"].as_str().unwrap();
        assert!(text.contains(result), "result {result} in the draft");
    }
    assert!(text.contains("不合格"), "the conclusion: {text}");
    assert!(!text.contains("QHJ"), "no report number in a draft: {text}");
    // Twice is the same bytes; a technician who entered the results may read it too.
    let (st, _, again) = app.bytes(
        &format!("/api/v1/samples/{no}/report-draft.pdf"),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200);
    assert!(again == pdf, "a draft is a pure function of the records");
    let (st, _, _) = app.bytes(
        &format!("/api/v1/samples/{no}/report-draft.pdf"),
        Some(&lab.tech),
    );
    assert_eq!(st, 200);
    let r = app
        .client
        .get(app.url(&format!("/samples/{no}/report-draft.pdf")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // Nothing was taken or stored: no report, no step of the counter, no audit row.
    assert_eq!(footprint(&app), before, "a draft is a read");
    // The real approval takes the number it would have taken anyway.
    let report = approve(&app, &lab.signatory, &no);
    assert_eq!(report["report_no"], next_no.as_str());
    // Once approved, there is nothing to preview.
    let (st, e) = app.get(
        &format!("/api/v1/samples/{no}/report-draft.pdf"),
        &lab.signatory,
    );
    assert_eq!(st, 409, "{e}");
}

fn the_draft_is_hidden_outside_the_region_and_refused_before_review(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, tests) = ready_for_approval(&app, &lab, 2, false);
    // A signatory of 海西州 does not see a sample of 西宁市.
    make_user(&app.db, &app.clock, "far", &["signatory"], Some("632800"));
    let far = app.token("far");
    let (st, e) = app.get(&format!("/api/v1/samples/{no}/report-draft.pdf"), &far);
    assert_eq!(st, 404, "{e}");
    assert_eq!(e["error"]["code"], "not_found");
    // A sampler has no business with it.
    let (st, e) = app.get(
        &format!("/api/v1/samples/{no}/report-draft.pdf"),
        &lab.intake.token,
    );
    assert_eq!(st, 403, "{e}");
    // A sample still in the lab does not wait for approval: 409, in words.
    let item = tests[0]["test_item_id"].as_i64().unwrap();
    let (no, _) = received_with_tests(&app, &lab, &[item]);
    let r = app
        .client
        .get(app.url(&format!("/api/v1/samples/{no}/report-draft.pdf")))
        .bearer_auth(&lab.signatory)
        .header("accept-language", "zh-CN")
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: serde_json::Value = r.json().unwrap();
    assert_eq!(e["error"]["code"], "conflict");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains(&no) && m.contains("未审核通过"), "{m}");
}

fn the_approvals_page_shows_what_is_signed_and_asks_to_confirm(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, tests) = ready_for_approval(&app, &lab, 2, true);
    let (_, entered) = app.get(&format!("/api/v1/samples/{no}/tests"), &lab.signatory);
    let entered = entered.as_array().unwrap().clone();
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    // The sample page and the list say 待签发.
    let (_, html) = app.page(&format!("/samples/{no}"));
    assert!(html.contains("待签发"), "the sample page says 待签发");
    let (_, html) = app.page("/samples");
    assert!(html.contains("待签发"), "the list says 待签发");
    // What is signed: entity, kind of plan, every result with limit, method, judgment,
    // who entered and reviewed it, and the coming conclusion.
    let (st, html) = app.page("/approvals");
    assert_eq!(st, 200);
    for needle in [
        no.as_str(),
        "西宁市城西区某某超市",
        "监督抽检",
        "拟出具结论",
        "不合格",
        "合格",
        "Test tech1",
        "Test checker",
        "预览报告（草稿）",
    ] {
        assert!(html.contains(needle), "{needle} on the approvals page");
    }
    assert!(html.contains(&format!("/samples/{no}/report-draft.pdf")));
    for t in &entered {
        for field in ["name", "result_text", "method_standard", "limit_max_text"] {
            let v = t[field].as_str().unwrap();
            assert!(html.contains(v), "{field} {v} on the approvals page");
        }
    }
    assert_eq!(tests.len(), 2);
    // The approve button is a first step: the confirmation names the conclusion and
    // warns; nothing is issued yet.
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url(&format!("/approvals/{no}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("签发后报告编号不可更改，更正须撤销重发"));
    assert!(html.contains("确认签发"));
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.signatory);
    assert_eq!(
        s["status"], "review",
        "not approved before the confirmation"
    );
    let (st, html) = app.page(&format!("/approvals?confirm={no}"));
    assert_eq!(st, 200);
    assert!(html.contains("签发后报告编号不可更改"));
    // In English the page reads in English.
    let r = app.client.get(app.url("/lang/en?next=/approvals")).send();
    assert!(r.is_ok());
    let (_, html) = app.page("/approvals");
    for needle in [
        "Conclusion to be issued",
        "Non-compliant",
        "Preview the report (draft)",
    ] {
        assert!(html.contains(needle), "{needle} on the English page");
    }
    let (_, html) = app.page(&format!("/samples/{no}"));
    assert!(html.contains("Awaiting approval"));
    let _ = app
        .client
        .get(app.url("/lang/zh-CN?next=/approvals"))
        .send();
    // A post without CSRF is refused and issues nothing.
    let r = app
        .client
        .post(app.url(&format!("/approvals/{no}")))
        .form(&[("confirm", "yes")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // Confirmed: the flash names the report as a link, the conclusion and the case.
    let r = app
        .client
        .post(app.url(&format!("/approvals/{no}")))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.signatory);
    let report_no = s["report_no"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            "已签发报告 <a href=\"/reports/{report_no}\"><code>{report_no}</code></a>（不合格），已开启核查处置"
        )),
        "the flash: {html}"
    );
    assert!(
        !html.contains(&format!("id=\"s-{no}\"")),
        "no longer waiting"
    );
}

fn on_a_phone_each_waiting_sample_is_a_card_that_fits_the_screen(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, _) = ready_for_approval(&app, &lab, 3, true);
    let (other, _) = ready_for_approval(&app, &lab, 2, false);
    let driver = Driver::start(&format!("approvals-{b:?}").to_lowercase());
    for (device, name) in [
        (Device::phone("phone"), "phone-zh"),
        (Device::phone("phone").english(), "phone-en"),
        (Device::desk("desk"), "desk-zh"),
        (Device::desk("desk").english(), "desk-en"),
    ] {
        let phone = device.size.0 < 500;
        let br = driver.browser(device);
        br.log_in(&app.base, "boss", PASSWORD);
        br.goto(&format!("{}/approvals", app.base));
        assert_eq!(
            br.find_all("section.card.approval").len(),
            2,
            "one card a sample"
        );
        let fits = br.script(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            json!([]),
        );
        assert_eq!(fits, json!(true), "{name}: nothing wider than the screen");
        // On a phone the results are stacked, each value under its label; on a desk, a table.
        let head = br.script(
            "return getComputedStyle(document.querySelector('table.results thead')).display",
            json!([]),
        );
        assert_eq!(head == json!("none"), phone, "{name}: table head {head}");
        br.screenshot(&format!("approvals-{name}"));
        // The confirmation step, without a script: a GET, then the confirming form.
        br.navigates(|| {
            br.find(&format!("section[id='s-{no}'] form[method=get] button"))
                .click()
        });
        assert!(br
            .try_find(&format!("form[action='/approvals/{no}']"))
            .is_some());
        assert!(br
            .try_find(&format!("form[action='/approvals/{other}']"))
            .is_none());
        br.screenshot(&format!("approvals-confirm-{name}"));
        br.assert_no_console_errors();
        br.log_out();
    }
}

fn a_risk_monitoring_sample_is_concluded_in_problems_found(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (st, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&lab.intake.supervisor),
        json!({"code": "QH-2026-RM", "name": "2026年西宁市食品安全风险监测", "year": 2026,
               "level": "prefectural", "kind": "risk_monitoring", "domain": "food",
               "region_code": "630100", "target_batches": 100}),
    );
    assert_eq!(st, 201, "{plan}");
    let mut body = sample_body(&lab.intake);
    body["plan_id"] = plan["id"].clone();
    body["backup_quantity"] = serde_json::Value::Null;
    let no = sample_no(&register_as(&app, &lab.intake.token, body));
    receive(&app, &lab.custodian, &no);
    let ids: Vec<i64> = max_items(&app, &lab.tech, 3)
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    let tests = assign(&app, &lab.custodian, &no, &ids, lab.tech_id);
    accept_results(&app, &lab, &tests, true);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (st, html) = app.page("/approvals");
    assert_eq!(st, 200);
    let card = html
        .split(&format!("id=\"s-{no}\""))
        .nth(1)
        .and_then(|c| c.split("</section>").next())
        .unwrap_or_else(|| panic!("a card for {no}: {html}"));
    for needle in [
        "风险监测",
        "所检项目中 1 项存在问题",
        "存在问题",
        "未发现问题",
    ] {
        assert!(card.contains(needle), "{needle} in the card: {card}");
    }
    assert!(
        !card.contains("合格"),
        "no 合格/不合格 in risk monitoring: {card}"
    );
}
