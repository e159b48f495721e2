//! Inspection reports over HTTP: the PDF as issued (text, pages, bytes, hash), the QR code
//! read back by a real decoder and followed, revoke and reissue, the notice of a
//! non-compliant result, publication, batch downloads and the lab identity.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use lims::clock::Clock as _;

use crate::support::fixtures::{
    approve, issue, lab_users, login_form, max_items, received_with_tests, result_for,
};
use crate::support::{pdf_pages, pdf_qr_codes, pdftotext_flow, pdftotext_page, Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    an_issued_report_verifies_through_its_qr_code_until_it_is_superseded,
    a_forty_item_report_spans_pages_with_the_header_repeated,
    a_verification_flood_is_refused_until_the_next_minute,
    revoking_needs_a_reason_and_a_signatory,
    the_notice_names_the_failed_items_and_the_entitys_deadlines,
    published_results_list_what_the_supervisor_marked,
    many_reports_download_as_one_zip_or_one_pdf,
    the_lab_identity_is_printed_on_reports_issued_after_it_is_set,
    the_report_pages_revoke_publish_and_set_the_lab,
];

fn pdf_of(app: &TestApp, report_no: &str, token: &str) -> Vec<u8> {
    let (st, ct, bytes) = app.bytes(&format!("/api/v1/reports/{report_no}.pdf"), Some(token));
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ct, "application/pdf");
    bytes
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).expect("url");
    format!("{}?{}", u.path(), u.query().unwrap_or(""))
}

fn an_issued_report_verifies_through_its_qr_code_until_it_is_superseded(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, report, names) = issue(&app, &lab, 10, true);
    let report_no = report["report_no"].as_str().unwrap().to_string();
    assert_eq!(report["conclusion"], "non_compliant");
    // Two downloads are the same bytes, and the stored hash is theirs.
    let pdf = pdf_of(&app, &report_no, &lab.signatory);
    assert!(
        pdf == pdf_of(&app, &report_no, &lab.tech),
        "downloads differ"
    );
    let hash = hex::encode(Sha256::digest(&pdf));
    assert_eq!(report["pdf_sha256"], hash.as_str());
    // What a reader sees: number, product, every item, the conclusion, in Chinese.
    let text = flat(&pdftotext_flow(&pdf, 1));
    for needle in [
        report_no.as_str(),
        "青海牦牛肉干",
        "检验结论为不合格",
        "第1页共1页",
    ] {
        assert!(text.contains(needle), "{needle} not in page 1:\n{text}");
    }
    for name in &names {
        assert!(
            text.contains(&flat(name)),
            "{name} not in the report:\n{text}"
        );
    }
    assert_eq!(pdf_pages(&pdf), 1);
    // The QR code, read by a real decoder, is the verification link.
    let codes = pdf_qr_codes(&pdf, 1);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let url = codes[0].clone();
    assert_eq!(report["verify_url"], url.as_str());
    assert!(
        url.starts_with(&format!("{}/verify/{report_no}?k=", app.url(""))),
        "{url}"
    );
    let k = url.rsplit_once("k=").unwrap().1.to_string();
    assert!(k.len() * 5 >= 80, "the code has at least 80 bits: {k}");
    // A stranger follows it: the public page says valid, the JSON says genuine.
    let (st, html) = app.stranger_get(&url);
    assert_eq!(st, 200);
    assert!(html.contains(&report_no) && html.contains("有效"), "{html}");
    assert!(html.contains(&hash), "the page shows the PDF hash");
    let api = path_of(&url).replacen("/verify/", "/api/v1/verify/", 1);
    let (st, v) = app.send("GET", &api, None, Value::Null);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["genuine"], true);
    assert_eq!(v["status"], "valid");
    assert_eq!(v["conclusion"], "non_compliant");
    assert_eq!(v["pdf_sha256"], hash.as_str());
    assert_eq!(v["product_name"], "青海牦牛肉干（五香味）");
    // The original can be fetched through the link to compare with the copy in hand.
    let (st, _, original) = app.bytes(&path_of(v["pdf_url"].as_str().unwrap()), None);
    assert_eq!(st, 200);
    assert!(original == pdf, "the verified download is the issued PDF");
    // One character of the code changed: not genuine, and nothing else is told.
    let last = k.chars().last().unwrap();
    let forged = format!(
        "{}{}",
        &k[..k.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    let forged_api = format!("/api/v1/verify/{report_no}?k={forged}");
    let (st, v) = app.send("GET", &forged_api, None, Value::Null);
    assert_eq!(st, 200);
    assert_eq!(v["genuine"], false);
    for field in [
        "status",
        "conclusion",
        "product_name",
        "entity_name",
        "pdf_sha256",
    ] {
        assert!(v[field].is_null(), "{field} told to a forger: {v}");
    }
    let (_, html) = app.stranger_get(&app.url(&format!("/verify/{report_no}?k={forged}")));
    assert!(
        html.contains("不是真实") || html.contains("非真实"),
        "{html}"
    );
    assert!(
        !html.contains("青海牦牛肉干"),
        "the forged page tells nothing else"
    );
    // An unknown number is 404.
    let (st, e) = app.send(
        "GET",
        "/api/v1/verify/QHJ2026999999?k=abc",
        None,
        Value::Null,
    );
    assert_eq!(st, 404, "{e}");
    assert_eq!(e["error"]["code"], "not_found");
    let (st, _, _) = app.bytes("/api/v1/reports/QHJ2026999999", Some(&lab.signatory));
    assert_eq!(st, 404);
    // Revoke with a reissue: a new number naming the old; the old verifies as superseded.
    let signatory2 = app.user_token("boss2", &["signatory"]);
    let (st, out) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/revoke"),
        Some(&signatory2),
        json!({"reason": "被抽样单位名称有误", "reissue": true}),
    );
    assert_eq!(st, 200, "{out}");
    let new_no = out["reissued"]["report_no"].as_str().unwrap().to_string();
    assert_ne!(new_no, report_no);
    assert_eq!(out["reissued"]["supersedes"], report_no.as_str());
    assert_eq!(out["revoked"]["status"], "superseded");
    assert_eq!(out["revoked"]["superseded_by"], new_no.as_str());
    let (st, v) = app.send("GET", &api, None, Value::Null);
    assert_eq!(st, 200);
    assert_eq!(v["genuine"], true);
    assert_eq!(v["status"], "superseded");
    assert_eq!(v["superseded_by"], new_no.as_str());
    let link = v["superseded_by_url"].as_str().unwrap().to_string();
    assert_eq!(link, out["reissued"]["verify_url"].as_str().unwrap());
    let (_, html) = app.stranger_get(&url);
    assert!(
        html.contains("已被替代") && html.contains(&new_no),
        "{html}"
    );
    let (st, v) = app.send(
        "GET",
        &path_of(&link).replacen("/verify/", "/api/v1/verify/", 1),
        None,
        Value::Null,
    );
    assert_eq!(st, 200);
    assert_eq!(
        (v["genuine"].clone(), v["status"].clone()),
        (json!(true), json!("valid"))
    );
    // The new report says what it replaces; the old PDF is kept as it was.
    let new_pdf = pdf_of(&app, &new_no, &lab.signatory);
    let text = flat(&pdftotext_page(&new_pdf, 1));
    assert!(text.contains(&format!("替代报告{report_no}")), "{text}");
    assert!(pdf_of(&app, &report_no, &lab.signatory) == pdf);
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["report_no"], new_no.as_str());
    // A superseded report cannot be revoked again.
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/revoke"),
        Some(&signatory2),
        json!({"reason": "再次撤销", "reissue": false}),
    );
    assert_eq!(st, 409);
    // The timeline and the audit log carry the whole story.
    let (_, tl) = app.get(&format!("/api/v1/samples/{no}/timeline"), &lab.tech);
    let actions: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "report.issue").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"report.supersede"), "{actions:?}");
}

fn a_forty_item_report_spans_pages_with_the_header_repeated(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (_, report, names) = issue(&app, &lab, 40, false);
    assert_eq!(report["conclusion"], "compliant");
    let report_no = report["report_no"].as_str().unwrap();
    let pdf = pdf_of(&app, report_no, &lab.signatory);
    let pages = pdf_pages(&pdf);
    assert!(pages >= 2, "40 items on {pages} page(s)");
    let mut all = String::new();
    for p in 1..=pages {
        let text = flat(&pdftotext_flow(&pdf, p));
        assert!(text.contains(report_no), "page {p} lacks the report number");
        assert!(
            text.contains(&format!("第{p}页共{pages}页")),
            "page {p} lacks 第{p}页共{pages}页:\n{text}"
        );
        all.push_str(&text);
        if names.iter().any(|n| text.contains(&flat(n))) {
            assert!(
                text.contains("检验项目"),
                "page {p} has rows but no table header"
            );
        }
    }
    for n in &names {
        assert!(all.contains(&flat(n)), "{n} missing");
    }
    assert!(all.contains("检验结论为合格"), "{all}");
    // Only page 1 carries the QR code.
    assert_eq!(pdf_qr_codes(&pdf, 1).len(), 1);
    assert!(pdf_qr_codes(&pdf, pages).is_empty());
}

fn a_verification_flood_is_refused_until_the_next_minute(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (_, report, _) = issue(&app, &lab, 1, false);
    let url = report["verify_url"].as_str().unwrap();
    let api = path_of(url).replacen("/verify/", "/api/v1/verify/", 1);
    let limit = lims::config::DEFAULT_VERIFY_PER_MINUTE as usize;
    let start = app.clock.now();
    // Start at the top of a minute so the whole flood falls into one window.
    let secs = chrono::Timelike::second(&start);
    app.clock
        .advance(chrono::Duration::seconds(i64::from(60 - secs)));
    for i in 0..limit {
        let (st, v) = app.send("GET", &api, None, Value::Null);
        assert_eq!(st, 200, "request {i}: {v}");
    }
    let (st, e) = app.send("GET", &api, None, Value::Null);
    assert_eq!(st, 429, "{e}");
    assert_eq!(e["error"]["code"], "rate_limited");
    let (st, html) = app.stranger_get(url);
    assert_eq!(st, 429, "the page is limited too");
    assert!(html.contains("过于频繁"), "{html}");
    // A wrong code counts too: a flood of guesses is the thing to stop.
    let (st, _) = app.send("GET", "/api/v1/verify/QHJ2026000001?k=x", None, Value::Null);
    assert_eq!(st, 429);
    app.clock.advance(chrono::Duration::seconds(60));
    let (st, v) = app.send("GET", &api, None, Value::Null);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["genuine"], true);
}

fn revoking_needs_a_reason_and_a_signatory(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, report, _) = issue(&app, &lab, 2, false);
    let report_no = report["report_no"].as_str().unwrap();
    let path = format!("/api/v1/reports/{report_no}/revoke");
    let before = app.audit_count();
    for body in [
        json!({"reason": "", "reissue": true}),
        json!({"reissue": false}),
    ] {
        let (st, e) = app.send("POST", &path, Some(&lab.signatory), body);
        assert_eq!(st, 422, "{e}");
        assert!(e["error"]["fields"]["reason"].is_string(), "{e}");
    }
    for token in [&lab.reviewer, &lab.tech, &lab.custodian] {
        let (st, e) = app.send(
            "POST",
            &path,
            Some(token),
            json!({"reason": "错误", "reissue": false}),
        );
        assert_eq!(st, 403, "{e}");
        assert_eq!(e["error"]["code"], "forbidden");
    }
    let (st, _) = app.send_raw("POST", &path, Some(&lab.signatory), "{\"reason\": 1}");
    assert_eq!(st, 400);
    assert_eq!(app.audit_count(), before, "refusals write nothing");
    let (st, _) = app.send(
        "POST",
        "/api/v1/reports/QHJ2026999999/revoke",
        Some(&lab.signatory),
        json!({"reason": "x", "reissue": false}),
    );
    assert_eq!(st, 404);
    // The reviewer of the sample may not sign its reissue, even as a signatory.
    let both = app.user_token("both", &["signatory", "reviewer"]);
    let (no2, tests) = received_with_tests(
        &app,
        &lab,
        &[max_items(&app, &lab.tech, 1)[0]["id"].as_i64().unwrap()],
    );
    let t = &tests[0];
    let (st, _) = app.send(
        "PUT",
        &format!("/api/v1/tests/{}/result", t["id"]),
        Some(&lab.tech),
        json!({"result_text": result_for(t, true), "version": t["version"]}),
    );
    assert_eq!(st, 200);
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/tests/{}/review", t["id"]),
        Some(&both),
        json!({"decision": "accept"}),
    );
    assert_eq!(st, 200);
    let r2 = approve(&app, &lab.signatory, &no2);
    let (st, e) = app.send(
        "POST",
        &format!(
            "/api/v1/reports/{}/revoke",
            r2["report_no"].as_str().unwrap()
        ),
        Some(&both),
        json!({"reason": "更正", "reissue": true}),
    );
    assert_eq!(st, 403, "{e}");
    // Revoked without a reissue: it verifies as revoked, and the sample keeps its number.
    let (st, out) = app.send(
        "POST",
        &path,
        Some(&lab.signatory),
        json!({"reason": "委托方撤回检验", "reissue": false}),
    );
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["revoked"]["status"], "revoked");
    assert!(out["reissued"].is_null());
    assert_eq!(out["revoked"]["revoke_reason"], "委托方撤回检验");
    let url = report["verify_url"].as_str().unwrap();
    let (_, v) = app.send(
        "GET",
        &path_of(url).replacen("/verify/", "/api/v1/verify/", 1),
        None,
        Value::Null,
    );
    assert_eq!(v["status"], "revoked");
    let (_, html) = app.stranger_get(url);
    assert!(html.contains("已撤销"), "{html}");
    let (_, s) = app.get(&format!("/api/v1/samples/{no}"), &lab.tech);
    assert_eq!(s["report_no"], report_no);
}

fn the_notice_names_the_failed_items_and_the_entitys_deadlines(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (no, report, names) = issue(&app, &lab, 3, true);
    assert_eq!(report["conclusion"], "non_compliant");
    // Served on Wednesday 2026-03-04: 7 working days later is Friday 2026-03-13.
    let (st, ct, pdf) = app.bytes(
        &format!("/api/v1/samples/{no}/notice.pdf?served_on=2026-03-04"),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    let pages = pdf_pages(&pdf);
    let text: String = (1..=pages)
        .map(|p| flat(&pdftotext_page(&pdf, p)))
        .collect();
    for needle in [
        "不合格检验结论通知书",
        report["report_no"].as_str().unwrap(),
        &flat(&names[0]),
        "2026年3月13日",
        "送达回证",
        "申请复检",
    ] {
        assert!(text.contains(needle), "{needle} not in the notice:\n{text}");
    }
    // Only failed items are listed as failed: a passing item is not in the notice.
    assert!(
        !text.contains(&flat(&names[1])),
        "{} listed as failed",
        names[1]
    );
    let last = flat(&pdftotext_page(&pdf, pages));
    assert!(last.contains("送达回证"), "the receipt is the last page");
    // A compliant sample has no notice; a bad date is named.
    let (no2, _, _) = issue(&app, &lab, 1, false);
    let (st, e) = app.get(&format!("/api/v1/samples/{no2}/notice.pdf"), &lab.signatory);
    assert_eq!(st, 409, "{e}");
    let (st, e) = app.get(
        &format!("/api/v1/samples/{no}/notice.pdf?served_on=2026-13-01"),
        &lab.signatory,
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["served_on"].is_string());
}

fn published_results_list_what_the_supervisor_marked(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let supervisor = app.user_token("watcher", &["supervisor"]);
    let (_, bad, names) = issue(&app, &lab, 2, true);
    let (_, good, _) = issue(&app, &lab, 2, false);
    let (_, unpublished, _) = issue(&app, &lab, 1, false);
    let bad_no = bad["report_no"].as_str().unwrap();
    let good_no = good["report_no"].as_str().unwrap();
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/reports/{bad_no}/publish"),
        Some(&lab.signatory),
        json!({}),
    );
    assert_eq!(st, 403, "only a supervisor publishes: {e}");
    for no in [bad_no, good_no] {
        let (st, r) = app.send(
            "POST",
            &format!("/api/v1/reports/{no}/publish"),
            Some(&supervisor),
            json!({}),
        );
        assert_eq!(st, 200, "{r}");
        assert!(r["published_at"].is_string());
    }
    let list = |q: &str| {
        let (st, v) = app.send(
            "GET",
            &format!("/api/v1/public/results{q}"),
            None,
            Value::Null,
        );
        assert_eq!(st, 200, "{v}");
        v
    };
    let v = list("?year=2026");
    assert_eq!(v["total"], 2, "{v}");
    let items = v["items"].as_array().unwrap();
    let nos: Vec<&str> = items
        .iter()
        .map(|i| i["report_no"].as_str().unwrap())
        .collect();
    assert!(!nos.contains(&unpublished["report_no"].as_str().unwrap()));
    let bad_item = items.iter().find(|i| i["report_no"] == bad_no).unwrap();
    assert_eq!(bad_item["conclusion"], "non_compliant");
    assert_eq!(bad_item["conclusion_text"], "不合格");
    let failed = bad_item["failed_items"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{bad_item}");
    assert_eq!(failed[0]["item"], names[0].as_str());
    for field in ["product_name", "entity_name", "entity_address", "category"] {
        assert!(
            bad_item[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {bad_item}"
        );
    }
    let good_item = items.iter().find(|i| i["report_no"] == good_no).unwrap();
    assert!(good_item["failed_items"].as_array().unwrap().is_empty());
    assert_eq!(list("?year=2025")["total"], 0);
    let (st, _) = app.send(
        "GET",
        "/api/v1/public/results?per_page=501",
        None,
        Value::Null,
    );
    assert_eq!(st, 422);
    // The public page shows the same.
    let (st, html) = app.stranger_get(&app.url("/public/results?year=2026"));
    assert_eq!(st, 200);
    assert!(html.contains(bad_no) && html.contains(&names[0]), "{html}");
    // A reissue keeps the publication; the superseded one leaves the list.
    let (st, out) = app.send(
        "POST",
        &format!("/api/v1/reports/{good_no}/revoke"),
        Some(&lab.signatory),
        json!({"reason": "规格型号更正", "reissue": true}),
    );
    assert_eq!(st, 200, "{out}");
    let v = list("");
    let nos: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["report_no"].as_str().unwrap())
        .collect();
    assert!(!nos.contains(&good_no));
    assert!(nos.contains(&out["reissued"]["report_no"].as_str().unwrap()));
    // Unpublishing takes it off.
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/reports/{bad_no}/unpublish"),
        Some(&supervisor),
        json!({}),
    );
    assert_eq!(st, 200);
    assert_eq!(list("")["total"], 1);
}

fn many_reports_download_as_one_zip_or_one_pdf(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let mut nos = Vec::new();
    for _ in 0..12 {
        let (_, r, _) = issue(&app, &lab, 1, false);
        nos.push(r["report_no"].as_str().unwrap().to_string());
    }
    // A small batch is built in the request.
    let (st, batch) = app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(&lab.signatory),
        json!({"report_nos": &nos[..3], "format": "zip"}),
    );
    assert_eq!(st, 201, "{batch}");
    assert_eq!(batch["status"], "done");
    let (st, ct, zip) = app.bytes(
        batch["download_url"].as_str().unwrap(),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200);
    assert_eq!(ct, "application/zip");
    let entries = read_zip(&zip);
    assert_eq!(
        entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        nos[..3]
            .iter()
            .map(|n| format!("{n}.pdf"))
            .collect::<Vec<_>>()
    );
    for (name, bytes) in &entries {
        let no = name.trim_end_matches(".pdf");
        assert!(*bytes == pdf_of(&app, no, &lab.signatory), "{name} differs");
    }
    // A large one runs in the background; its progress can be followed.
    let (st, batch) = app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(&lab.signatory),
        json!({"report_nos": nos, "format": "pdf"}),
    );
    assert_eq!(st, 202, "{batch}");
    assert_eq!(batch["total"], 12);
    let id = batch["id"].as_i64().unwrap();
    // Long-poll: the server answers when the batch has finished.
    let (st, done) = app.get(
        &format!("/api/v1/report-batches/{id}?wait=30"),
        &lab.signatory,
    );
    assert_eq!(st, 200, "{done}");
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["done"], 12);
    let (st, ct, merged) = app.bytes(
        &format!("/api/v1/report-batches/{id}/download"),
        Some(&lab.signatory),
    );
    assert_eq!((st, ct.as_str()), (200, "application/pdf"));
    assert_eq!(pdf_pages(&merged), 12);
    assert!(flat(&pdftotext_page(&merged, 12)).contains(&nos[11]));
    // Someone else's batch is not found; unknown reports are named.
    let (st, _) = app.get(&format!("/api/v1/report-batches/{id}"), &lab.tech);
    assert_eq!(st, 404);
    let (st, e) = app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(&lab.signatory),
        json!({"report_nos": ["QHJ2026999999"], "format": "zip"}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["report_nos"]
        .as_str()
        .unwrap()
        .contains("QHJ2026999999"));
    let (st, _) = app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(&lab.signatory),
        json!({"report_nos": &nos[..1], "format": "rar"}),
    );
    assert_eq!(st, 422);
}

/// The entries of a stored ZIP archive: (name, bytes), checking each CRC-32.
fn read_zip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 30 <= zip.len() && u32_at(i) == 0x0403_4b50 {
        let crc = u32_at(i + 14);
        let size = u32_at(i + 18) as usize;
        let name_len = u16_at(i + 26);
        let extra = u16_at(i + 28);
        let name = String::from_utf8(zip[i + 30..i + 30 + name_len].to_vec()).unwrap();
        let start = i + 30 + name_len + extra;
        let data = zip[start..start + size].to_vec();
        let mut h = crc32fast::Hasher::new();
        h.update(&data);
        assert_eq!(h.finalize(), crc, "{name}: CRC");
        out.push((name, data));
        i = start + size;
    }
    out
}

fn the_lab_identity_is_printed_on_reports_issued_after_it_is_set(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let admin = app.user_token("root", &["admin"]);
    let (_, before, _) = issue(&app, &lab, 1, false);
    let (st, current) = app.get("/api/v1/settings/lab", &lab.signatory);
    assert_eq!(st, 200);
    assert_eq!(current["configured"], false);
    let body = json!({
        "name": "青海省食品检验检测院",
        "address": "青海省西宁市城西区五四西路1号",
        "cma_no": "CMA 资质认定证书编号：201963000123",
        "contact": "电话 0971-0000000",
        "disclaimer": ["本报告仅对所检样品负责。", "对本报告有异议的，请于收到报告之日起十五日内提出。"],
        "version": current["version"],
    });
    let (st, e) = app.send(
        "PUT",
        "/api/v1/settings/lab",
        Some(&lab.signatory),
        body.clone(),
    );
    assert_eq!(st, 403, "{e}");
    let mut bad = body.clone();
    bad["name"] = json!("");
    let (st, e) = app.send("PUT", "/api/v1/settings/lab", Some(&admin), bad);
    assert_eq!(st, 422, "{e}");
    let (st, set) = app.send("PUT", "/api/v1/settings/lab", Some(&admin), body.clone());
    assert_eq!(st, 200, "{set}");
    assert_eq!(set["configured"], true);
    let (st, _) = app.send("PUT", "/api/v1/settings/lab", Some(&admin), body);
    assert_eq!(st, 409, "a stale version");
    let (_, after, _) = issue(&app, &lab, 1, false);
    let text = flat(&pdftotext_page(
        &pdf_of(&app, after["report_no"].as_str().unwrap(), &lab.signatory),
        1,
    ));
    for needle in ["青海省食品检验检测院", "201963000123", "十五日内提出"] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    // A report issued before keeps the identity it was issued with.
    let old = flat(&pdftotext_page(
        &pdf_of(&app, before["report_no"].as_str().unwrap(), &lab.signatory),
        1,
    ));
    assert!(!old.contains("201963000123"));
}

/// Posts a form on the logged-in client; the status and the Location or body.
fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let (_, html) = app.page("/");
    let csrf = crate::support::csrf_of(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &csrf));
    let r = app
        .client
        .post(app.url(path))
        .form(&form)
        .send()
        .expect("post");
    let s = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (s, loc.unwrap_or_else(|| r.text().unwrap_or_default()))
}

fn the_report_pages_revoke_publish_and_set_the_lab(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    app.user("watcher", &["supervisor"]);
    app.user("root", &["admin"]);
    let (_, report, _) = issue(&app, &lab, 2, true);
    let no = report["report_no"].as_str().unwrap().to_string();
    // The signatory finds it in the list and on its page, and downloads the PDF there.
    login_form(&app, "boss", crate::support::PASSWORD);
    let (st, html) = app.page("/reports");
    assert_eq!(st, 200);
    assert!(html.contains(&no) && html.contains("不合格"), "{html}");
    let (st, html) = app.page(&format!("/reports/{no}"));
    assert_eq!(st, 200);
    assert!(
        html.contains("撤销报告") && html.contains("不合格检验结论通知书"),
        "{html}"
    );
    let (st, ct, pdf) = app.bytes(&format!("/reports/{no}/pdf"), None);
    assert_eq!((st, ct.as_str()), (200, "application/pdf"));
    assert!(pdf == pdf_of(&app, &no, &lab.signatory));
    let (st, ct, _) = app.bytes(
        &format!("/reports/{no}/notice.pdf?served_on=2026-03-04"),
        None,
    );
    assert_eq!((st, ct.as_str()), (200, "application/pdf"));
    // The search box takes a report number.
    let r = app
        .client
        .get(app.url(&format!("/search?q={}", no.to_lowercase())))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/reports/{no}")
    );
    // Revoking without a reason shows the form again with the message.
    let (st, body) = post_form(&app, &format!("/reports/{no}/revoke"), &[("reissue", "on")]);
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("必填"), "{body}");
    let (st, to) = post_form(
        &app,
        &format!("/reports/{no}/revoke"),
        &[("reason", "样品名称更正"), ("reissue", "on")],
    );
    assert_eq!(st, 303, "{to}");
    assert!(to.starts_with("/reports/QHJ") && !to.ends_with(&no), "{to}");
    let new_no = to.trim_start_matches("/reports/").to_string();
    let (_, html) = app.page(&to);
    assert!(html.contains(&no) && html.contains("有效"), "{html}");
    // The supervisor publishes it; it shows on the public page.
    login_form(&app, "watcher", crate::support::PASSWORD);
    let (st, to) = post_form(
        &app,
        &format!("/reports/{new_no}/publish"),
        &[("publish", "yes")],
    );
    assert_eq!(st, 303, "{to}");
    let (_, html) = app.stranger_get(&app.url("/public/results"));
    assert!(html.contains(&new_no), "{html}");
    // Batch download from the list page, followed to its progress page.
    let (st, to) = post_form(
        &app,
        "/reports/batch",
        &[("report_nos", new_no.as_str()), ("format", "zip")],
    );
    assert_eq!(st, 303, "{to}");
    let (st, html) = app.page(&to);
    assert_eq!(st, 200);
    assert!(html.contains("<progress"), "{html}");
    // The admin sets the lab identity on its page.
    login_form(&app, "root", crate::support::PASSWORD);
    let (st, html) = app.page("/admin/lab");
    assert_eq!(st, 200);
    assert!(html.contains("尚未设置"), "{html}");
    let (st, body) = post_form(
        &app,
        "/admin/lab",
        &[
            ("name", "青海省食品检验检测院"),
            ("address", "西宁市"),
            ("cma_no", "CMA 201963000123"),
            ("contact", ""),
            ("report_title", "检验报告"),
            (
                "disclaimer",
                "本报告仅对所检样品负责。\n未经批准不得部分复制。",
            ),
            ("version", "0"),
        ],
    );
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("已保存") && body.contains("未经批准不得部分复制。"),
        "{body}"
    );
    // A technician may not open the admin page.
    login_form(&app, "tech1", crate::support::PASSWORD);
    let (st, _) = app.page("/admin/lab");
    assert_eq!(st, 403);
    // English works too.
    let (st, html) = app.page(&format!("/lang/en?next=/reports/{new_no}"));
    assert!(st == 303 || st == 200);
    let (_, html2) = app.page(&format!("/reports/{new_no}"));
    assert!(
        html2.contains("Inspection report") || html.contains("Inspection report"),
        "{html2}"
    );
}
