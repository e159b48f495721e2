//! Public participation (你点我检): a resident nominates without an account and follows it
//! by tracking code; supervisors accept, merge or decline and link the samples; the
//! published results come back to the public. Floods are cut off; a device supports
//! once; nothing private reaches a public page.

use serde_json::{json, Value};

use crate::support::fixtures::{form_logout, issue, lab_users, login_form};
use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_nomination_goes_from_submission_to_a_published_result,
    floods_are_cut_off_and_a_device_supports_once,
    public_pages_show_no_resident_contact_and_no_staff_name_but_signatories,
    bad_nominations_are_refused_and_nothing_is_stored,
    supports_count_only_devices_our_pages_issued_and_an_address_is_limited_per_nomination,
    a_thousand_spam_nominations_do_not_hide_a_genuine_one,
    a_scoped_supervisor_accepts_a_nomination_only_into_a_plan_of_its_scope,
    only_supervisors_see_residents_contacts,
    a_screening_records_rapid_tests_and_prints_a_slip_that_is_no_statutory_report,
];

const CONTACT: &str = "13912345678";

fn nominate(app: &TestApp, body: Value) -> (u16, Value) {
    app.send("POST", "/api/v1/public/nominations", None, body)
}

fn public(app: &TestApp, path: &str) -> (u16, Value) {
    app.send("GET", path, None, Value::Null)
}

/// A fresh device cookie as a browser gets it: the `lims_device` cookie that the public
/// nomination list sets (`name=value`).
fn device_cookie(app: &TestApp) -> String {
    let r = reqwest::blocking::Client::new()
        .get(app.url("/public/nominations"))
        .send()
        .expect("page");
    assert_eq!(r.status(), 200);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lims_device="))
        .and_then(|v| v.split(';').next())
        .expect("the page sets the device cookie")
        .to_string()
}

/// A support through the API with `cookie` (`name=value`) as the device.
fn support(app: &TestApp, code: &str, cookie: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(app.url(&format!("/api/v1/public/nominations/{code}/support")))
        .header("Cookie", cookie)
        .send()
        .expect("support");
    let st = r.status().as_u16();
    (st, r.json().unwrap_or(Value::Null))
}

fn baijiu() -> Value {
    json!({"product": "散装白酒", "place": "城东区某农贸市场", "region_code": "630102",
           "reason": "散装酒来源不清，担心甲醇超标", "contact": CONTACT})
}

/// A public_request plan for accepted nominations.
fn public_plan(app: &TestApp, sup: &str) -> i64 {
    let (st, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(sup),
        json!({"code": "QH-2026-DJ", "name": "2026年你点我检", "year": 2026, "level": "prefectural",
               "kind": "public_request", "domain": "food", "region_code": "630100", "target_batches": 50}),
    );
    assert_eq!(st, 201, "{plan}");
    plan["id"].as_i64().unwrap()
}

fn a_nomination_goes_from_submission_to_a_published_result(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    let (st, n) = nominate(&app, baijiu());
    assert_eq!(st, 201, "{n}");
    assert_eq!(n["status"], "received");
    let code = n["tracking_code"].as_str().unwrap().to_string();
    assert!(code.starts_with("DJ") && code.len() == 12, "{code}");
    // The tracking page: received, the region named, no contact.
    let (st, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["status"], "received");
    assert_eq!(t["region_name"], "城东区");
    assert!(!t.to_string().contains(CONTACT), "{t}");
    assert!(t["results"].as_array().unwrap().is_empty());
    // Typed in lower case with a dash, the code still finds it.
    let typed = format!("{}-{}", &code[..6].to_lowercase(), &code[6..]);
    let (st, _) = public(&app, &format!("/api/v1/public/nominations/{typed}"));
    assert_eq!(st, 200);
    let (st, _) = public(&app, "/api/v1/public/nominations/DJ2222222222");
    assert_eq!(st, 404);
    // Supervisors see it with the contact.
    let (st, list) = app.get("/api/v1/nominations?status=received", &sup);
    assert_eq!(st, 200, "{list}");
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["tracking_code"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["contact"], CONTACT);
    let id = mine["id"].as_i64().unwrap();
    // Accepting needs a public_request plan.
    let supervision_plan = lab.intake.plan_id;
    let accept = format!("/api/v1/nominations/{id}/accept");
    let (st, e) = app.send(
        "POST",
        &accept,
        Some(&sup),
        json!({"plan_id": supervision_plan}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["plan_id"].is_string());
    let plan = public_plan(&app, &sup);
    let before = app.audit_count();
    let (st, a) = app.send(
        "POST",
        &accept,
        Some(&sup),
        json!({"plan_id": plan, "note": "已列入本月抽检"}),
    );
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["status"], "accepted");
    assert_eq!(app.audit_count(), before + 1);
    let (st, e) = app.send("POST", &accept, Some(&sup), json!({"plan_id": plan}));
    assert_eq!(st, 409, "decided once: {e}");
    let (_, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["decision_note"], "已列入本月抽检");
    // A sample is taken and tested; linked, it shows once its result is published.
    let (sample_no, report, _) = issue(&app, &lab, 1, true);
    let (st, l) = app.send(
        "POST",
        &format!("/api/v1/nominations/{id}/samples"),
        Some(&sup),
        json!({"sample_no": sample_no}),
    );
    assert_eq!(st, 200, "{l}");
    assert_eq!(l["status"], "sampled");
    assert_eq!(l["sample_nos"][0], sample_no.as_str());
    let (_, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(t["status"], "sampled");
    assert!(
        t["results"].as_array().unwrap().is_empty(),
        "not published yet: {t}"
    );
    let report_no = report["report_no"].as_str().unwrap();
    let (st, r) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/publish"),
        Some(&sup),
        json!({}),
    );
    assert_eq!(st, 200, "{r}");
    let (_, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(t["results"][0]["report_no"], report_no, "{t}");
    assert_eq!(t["results"][0]["conclusion"], "non_compliant");
    let (st, html) = app.stranger_get(&app.url(&format!("/public/nominations/{code}")));
    assert_eq!(st, 200);
    assert!(
        html.contains(report_no) && html.contains("已抽样检验"),
        "{html}"
    );
    // A duplicate is merged (its voice carried over); another is declined with a reason.
    let (_, dup) = nominate(&app, baijiu());
    let (_, other) = nominate(
        &app,
        json!({"product": "月饼", "place": "网上", "reason": "", "contact": ""}),
    );
    let id_of = |code: &Value| -> i64 {
        let (_, list) = app.get("/api/v1/nominations", &sup);
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["tracking_code"] == *code)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (dup_id, other_id) = (id_of(&dup["tracking_code"]), id_of(&other["tracking_code"]));
    let (st, m) = app.send(
        "POST",
        &format!("/api/v1/nominations/{dup_id}/merge"),
        Some(&sup),
        json!({"into_id": id}),
    );
    assert_eq!(st, 200, "{m}");
    let (_, t) = public(
        &app,
        &format!(
            "/api/v1/public/nominations/{}",
            dup["tracking_code"].as_str().unwrap()
        ),
    );
    assert_eq!(t["status"], "merged");
    assert_eq!(t["merged_into"], code.as_str());
    let (_, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(t["supports"], 1, "the duplicate counts as one voice: {t}");
    let decline = format!("/api/v1/nominations/{other_id}/decline");
    let (st, e) = app.send("POST", &decline, Some(&sup), json!({}));
    assert_eq!(st, 422, "a reason is needed: {e}");
    let (st, d) = app.send(
        "POST",
        &decline,
        Some(&sup),
        json!({"note": "网络销售不在本地抽检范围，已转交属地"}),
    );
    assert_eq!(st, 200, "{d}");
    let (_, t) = public(
        &app,
        &format!(
            "/api/v1/public/nominations/{}",
            other["tracking_code"].as_str().unwrap()
        ),
    );
    assert_eq!(t["status"], "declined");
    assert_eq!(t["decision_note"], "网络销售不在本地抽检范围，已转交属地");
    // The figures: three received in March 2026, two in 城东区 (one accepted, sampled and
    // published; one merged) and one without a region (declined).
    let (st, f) = app.get("/api/v1/stats/nominations?year=2026", &sup);
    assert_eq!(st, 200, "{f}");
    let rows = f.as_array().unwrap();
    let row = |region: &str| {
        rows.iter()
            .find(|r| r["region_code"] == region)
            .unwrap()
            .clone()
    };
    let east = row("630102");
    assert_eq!(east["month"], "2026-03", "{f}");
    assert_eq!(
        (
            &east["received"],
            &east["accepted"],
            &east["sampled"],
            &east["published"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1)),
        "{f}"
    );
    assert_eq!(row("")["declined"], 1);
    let (st, _, csv) = app.bytes("/api/v1/stats/nominations?year=2026&format=csv", Some(&sup));
    assert_eq!(st, 200);
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains("2026-03,630102,2,1,1,0,1"));
    let (st, e) = app.get("/api/v1/stats/nominations?year=abc", &sup);
    assert!(st == 400 || st == 422, "{st} {e}");
    assert!(e["error"]["message"].is_string(), "{e}");
    // Not for technicians; a supervisor of another prefecture does not see Xining's.
    let (st, _) = app.get("/api/v1/nominations", &lab.tech);
    assert_eq!(st, 403);
    crate::support::make_user(
        &app.db,
        &app.clock,
        "huangnan",
        &["supervisor"],
        Some("632300"),
    );
    let other_sup = app.token("huangnan");
    let (_, list) = app.get("/api/v1/nominations", &other_sup);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["region_code"] != "630102"),
        "{list}"
    );
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/nominations/{id}/samples"),
        Some(&other_sup),
        json!({"sample_no": sample_no}),
    );
    assert_eq!(st, 404);
}

fn floods_are_cut_off_and_a_device_supports_once(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("watcher", &["supervisor"]);
    let limit = lims::config::DEFAULT_NOMINATE_PER_MINUTE as usize;
    let mut accepted = Vec::new();
    let mut refused = 0;
    for i in 0..100 {
        let (st, n) = nominate(
            &app,
            json!({"product": format!("产品{i}"), "place": "城西区", "region_code": "630104"}),
        );
        match st {
            201 => accepted.push(n["tracking_code"].as_str().unwrap().to_string()),
            429 => {
                refused += 1;
                assert!(n["error"]["message"].is_string(), "{n}");
            }
            other => panic!("unexpected {other}: {n}"),
        }
    }
    assert_eq!(accepted.len(), limit);
    assert_eq!(refused, 100 - limit);
    // Every accepted one is stored and tracks; nothing else was.
    let (_, list) = app.get("/api/v1/nominations", &sup);
    assert_eq!(list["items"].as_array().unwrap().len(), limit, "{list}");
    assert_eq!(list["total"], limit, "{list}");
    for code in &accepted {
        let (st, _) = public(&app, &format!("/api/v1/public/nominations/{code}"));
        assert_eq!(st, 200);
    }
    // A minute later the address may submit again.
    app.clock.advance(chrono::Duration::seconds(61));
    let (st, _) = nominate(&app, json!({"product": "酸奶", "place": "城北区"}));
    assert_eq!(st, 201);
    // One device supports once; another device counts; no device is refused.
    let code = &accepted[0];
    let (a, b_) = (device_cookie(&app), device_cookie(&app));
    assert_ne!(a, b_, "each browser gets its own device");
    let (st, t) = support(&app, code, &a);
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["supports"], 1);
    let (st, t) = support(&app, code, &a);
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["supports"], 1, "the same device counts once");
    let (_, t) = support(&app, code, &b_);
    assert_eq!(t["supports"], 2);
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/public/nominations/{code}/support"),
        None,
        Value::Null,
    );
    assert_eq!(st, 422, "{e}");
    let (st, _) = support(&app, code, "lims_device=short");
    assert_eq!(st, 422);
    // In a browser the device is a cookie set on the first support.
    let (_, html) = app.page("/public/nominations");
    let csrf = crate::support::csrf_of(&html);
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url(&format!("/public/nominations/{code}/support")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .expect("support form");
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{}",
            r.status()
        );
    }
    let (_, t) = public(&app, &format!("/api/v1/public/nominations/{code}"));
    assert_eq!(t["supports"], 3, "the browser counted once: {t}");
}

fn public_pages_show_no_resident_contact_and_no_staff_name_but_signatories(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    let (_, n) = nominate(&app, baijiu());
    let code = n["tracking_code"].as_str().unwrap().to_string();
    let (_, list) = app.get("/api/v1/nominations", &sup);
    let id = list["items"][0]["id"].as_i64().unwrap();
    let plan = public_plan(&app, &sup);
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/nominations/{id}/accept"),
        Some(&sup),
        json!({"plan_id": plan}),
    );
    assert_eq!(st, 200);
    let (sample_no, report, _) = issue(&app, &lab, 1, true);
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/nominations/{id}/samples"),
        Some(&sup),
        json!({"sample_no": sample_no}),
    );
    assert_eq!(st, 200);
    let report_no = report["report_no"].as_str().unwrap().to_string();
    let (st, _) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/publish"),
        Some(&sup),
        json!({}),
    );
    assert_eq!(st, 200);
    let verify = report["verify_url"].as_str().unwrap().to_string();
    let k = verify.split("?k=").nth(1).unwrap().to_string();
    let pages = [
        app.url("/public"),
        app.url("/public/nominate"),
        app.url("/public/nominations"),
        app.url(&format!("/public/nominations/{code}")),
        app.url("/public/results"),
        verify.clone(),
        app.url("/api/v1/public/nominations"),
        app.url(&format!("/api/v1/public/nominations/{code}")),
        app.url("/api/v1/public/results"),
        app.url(&format!("/api/v1/verify/{report_no}?k={k}")),
    ];
    // Staff are "Test <username>"; the signatory ("Test boss") may be named on reports.
    let staff = [
        "Test watcher",
        "Test sup",
        "Test keeper",
        "Test tech1",
        "Test tech2",
        "Test checker",
        "Test wangfang",
        "Test liqiang",
    ];
    for url in pages {
        let (st, body) = app.stranger_get(&url);
        assert_eq!(st, 200, "{url}: {body}");
        assert!(
            !body.contains(CONTACT),
            "{url} shows the resident's contact"
        );
        for name in staff {
            assert!(!body.contains(name), "{url} names staff member {name}");
        }
    }
    // The report itself is there to be found.
    let (_, body) = app.stranger_get(&app.url(&format!("/public/nominations/{code}")));
    assert!(body.contains(&report_no));
}

fn bad_nominations_are_refused_and_nothing_is_stored(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("watcher", &["supervisor"]);
    let count = |app: &TestApp| -> usize {
        let (_, list) = app.get("/api/v1/nominations", &sup);
        list["total"].as_u64().unwrap() as usize
    };
    let huge = "很".repeat(350_000); // over 1 MB of UTF-8
    let cases = [
        (json!({"product": huge, "place": "x"}), "product"),
        (json!({"product": "", "place": "城东区"}), "product"),
        (json!({"product": "   ", "place": "城东区"}), "product"),
        (json!({"product": "白酒", "place": ""}), "place"),
        (
            json!({"product": "白酒", "place": "x", "region_code": "999999"}),
            "region_code",
        ),
        (
            json!({"product": "白酒", "place": "x", "region_code": "abc"}),
            "region_code",
        ),
        (
            json!({"product": "白酒", "place": "x", "contact": "call me"}),
            "contact",
        ),
        (json!({"product": "x".repeat(101), "place": "x"}), "product"),
        (
            json!({"product": "白酒", "place": "x", "reason": "y".repeat(1001)}),
            "reason",
        ),
        (json!({"product": "白酒", "place": "x", "secret": 1}), ""),
    ];
    for (body, field) in cases {
        app.clock.advance(chrono::Duration::seconds(61)); // not the rate limit
        let (st, e) = nominate(&app, body);
        assert!((400..500).contains(&st) && st != 429, "{field}: {st} {e}");
        if !field.is_empty() && st == 422 {
            assert!(e["error"]["fields"][field].is_string(), "{field}: {e}");
        }
    }
    assert_eq!(count(&app), 0, "nothing stored");
    // HTML and script are kept as text and escaped on every page.
    let script = "<script>alert(1)</script>";
    let (st, n) = nominate(
        &app,
        json!({"product": script, "place": format!("<b>{script}</b>"), "reason": script}),
    );
    assert_eq!(st, 201, "{n}");
    let code = n["tracking_code"].as_str().unwrap();
    for path in [
        format!("/public/nominations/{code}"),
        "/public/nominations".to_string(),
    ] {
        let (_, html) = app.stranger_get(&app.url(&path));
        assert!(!html.contains(script), "{path} runs the script");
        assert!(html.contains("alert(1)"), "{path} shows it as text");
    }
    login_form(&app, "watcher", crate::support::PASSWORD);
    let (st, html) = app.page("/nominations");
    assert_eq!(st, 200, "{html}");
    assert!(!html.contains(script) && html.contains("alert(1)"));
    form_logout(&app);
    // The public form says what is wrong, in the page.
    let (_, form) = app.page("/public/nominate");
    let csrf = crate::support::csrf_of(&form);
    let r = app
        .client
        .post(app.url("/public/nominate"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("product", ""),
            ("place", "城东区"),
        ])
        .send()
        .expect("form");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap_or_default().contains("必填"));
    assert_eq!(count(&app), 1);
}

fn a_screening_records_rapid_tests_and_prints_a_slip_that_is_no_statutory_report(b: Backend) {
    let app = TestApp::spawn(b);
    let keeper = app.user_token("keeper", &["custodian"]);
    let sampler = app.user_token("walker", &["sampler"]);
    let sup = app.user_token("watcher", &["supervisor"]);
    let body = json!({"item_name": "自家买的散装白酒", "item_source": "城东区某农贸市场", "region_code": "630102"});
    let (st, _) = app.send("POST", "/api/v1/screenings", Some(&sampler), body.clone());
    assert_eq!(st, 403, "only the counter registers screenings");
    for (bad, field) in [
        (
            json!({"item_name": "", "region_code": "630102"}),
            "item_name",
        ),
        (
            json!({"item_name": "白酒", "region_code": "999999"}),
            "region_code",
        ),
    ] {
        let (st, e) = app.send("POST", "/api/v1/screenings", Some(&keeper), bad);
        assert_eq!(st, 422, "{e}");
        assert!(e["error"]["fields"][field].is_string(), "{e}");
    }
    let before = app.audit_count();
    let (st, s) = app.send("POST", "/api/v1/screenings", Some(&keeper), body);
    assert_eq!(st, 201, "{s}");
    assert_eq!(app.audit_count(), before + 1);
    let no = s["screening_no"].as_str().unwrap().to_string();
    assert!(no.starts_with("SJ2026"), "{no}");
    assert_eq!(s["not_a_statutory_report"], true);
    // No slip before a result.
    let (st, _, _) = app.bytes(&format!("/api/v1/screenings/{no}/slip.pdf"), Some(&keeper));
    assert_eq!(st, 409);
    let result = |verdict: &str| json!({"test_name": "甲醇", "method": "甲醇快速检测试剂盒", "result_text": "0.3 g/L", "verdict": verdict});
    let (st, e) = app.send(
        "POST",
        &format!("/api/v1/screenings/{no}/results"),
        Some(&keeper),
        result("合格"),
    );
    assert_eq!(
        st, 422,
        "no legal conclusion, only a rapid-test verdict: {e}"
    );
    assert!(e["error"]["fields"]["verdict"].is_string());
    let (st, s) = app.send(
        "POST",
        &format!("/api/v1/screenings/{no}/results"),
        Some(&keeper),
        result("suspicious"),
    );
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["results"][0]["verdict_text"], "可疑");
    // The slip says plainly what it is not.
    let (st, ct, pdf) = app.bytes(&format!("/api/v1/screenings/{no}/slip.pdf"), Some(&keeper));
    assert_eq!(st, 200);
    assert_eq!(ct, "application/pdf");
    let text = crate::support::pdftotext_flow(&pdf, 1);
    assert!(text.contains("快速检测结果告知单"), "{text}");
    assert!(text.contains("非法定检验报告"), "{text}");
    assert!(text.contains("不具有法律效力"), "{text}");
    assert!(text.contains("甲醇") && text.contains("可疑"), "{text}");
    // It is not a sample: no sample, no report, no disposal case, nothing in the statistics.
    let (_, samples) = app.get("/api/v1/samples", &sup);
    assert_eq!(samples["total"], 0, "{samples}");
    let (_, cases) = app.get("/api/v1/disposals", &sup);
    assert_eq!(cases["total"], 0, "{cases}");
    // A supervisor of another prefecture does not see it.
    crate::support::make_user(
        &app.db,
        &app.clock,
        "huangnan",
        &["supervisor"],
        Some("632300"),
    );
    let (st, _) = app.get(&format!("/api/v1/screenings/{no}"), &app.token("huangnan"));
    assert_eq!(st, 404);
    let (st, list) = app.get("/api/v1/screenings", &sup);
    assert_eq!(st, 200);
    assert_eq!(list[0]["screening_no"], no.as_str());
}

fn supports_count_only_devices_our_pages_issued_and_an_address_is_limited_per_nomination(
    b: Backend,
) {
    let app = TestApp::spawn(b);
    let (_, n1) = nominate(&app, baijiu());
    let (_, n2) = nominate(&app, json!({"product": "酸奶", "place": "城北区"}));
    let (c1, c2) = (
        n1["tracking_code"].as_str().unwrap().to_string(),
        n2["tracking_code"].as_str().unwrap().to_string(),
    );
    let supports = |code: &str| {
        public(&app, &format!("/api/v1/public/nominations/{code}")).1["supports"].clone()
    };
    // A client-chosen identifier, in a header or in a cookie we did not sign, is no device.
    let r = reqwest::blocking::Client::new()
        .post(app.url(&format!("/api/v1/public/nominations/{c1}/support")))
        .header("X-Device-Id", "device-aaaaaaaaaaaaaaaa")
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let forged = format!("lims_device={}.{}", "ab".repeat(24), "0".repeat(64));
    let (st, e) = support(&app, &c1, &forged);
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["device"].is_string(), "{e}");
    let real = device_cookie(&app);
    let (id, _) = real
        .trim_start_matches("lims_device=")
        .split_once('.')
        .unwrap();
    let (st, _) = support(&app, &c1, &format!("lims_device={id}.{}", "0".repeat(64)));
    assert_eq!(st, 422, "a real identifier with a forged signature");
    assert_eq!(supports(&c1), 0);
    // One address: five supports a day for one nomination, from five devices; the sixth
    // is refused, another nomination still takes it.
    let limit = lims::workflow::nominations::SUPPORTS_PER_ADDRESS_PER_DAY as usize;
    // (A minute apart, so the per-minute flood limit stays out of the way.)
    app.clock.advance(chrono::Duration::seconds(61));
    for _ in 0..limit {
        let (st, t) = support(&app, &c1, &device_cookie(&app));
        assert_eq!(st, 200, "{t}");
    }
    assert_eq!(supports(&c1), limit);
    app.clock.advance(chrono::Duration::seconds(61));
    let extra = device_cookie(&app);
    let (st, e) = support(&app, &c1, &extra);
    assert_eq!(st, 429, "{e}");
    assert_eq!(e["error"]["code"], "rate_limited");
    assert!(e["error"]["message"].as_str().unwrap().contains('5'), "{e}");
    assert_eq!(supports(&c1), limit, "the refused one is not counted");
    let (st, t) = support(&app, &c2, &extra);
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["supports"], 1);
    // The count is in the database, one row per address, nomination and day.
    {
        use diesel::prelude::*;
        use lims::db::schema::nomination_support_counts as counts;
        let rows: Vec<i32> = counts::table
            .order(counts::supports.desc())
            .select(counts::supports)
            .load(&mut *app.db.conn())
            .unwrap();
        assert_eq!(rows, vec![limit as i32, 1]);
    }
    // The next day the address may support again.
    app.clock.advance(chrono::Duration::days(1));
    let (st, t) = support(&app, &c1, &extra);
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["supports"], limit + 1);
}

/// The ids of the triage list's first page, whatever the list's shape.
fn nomination_ids(app: &TestApp, token: &str) -> Vec<i64> {
    let (st, l) = app.get("/api/v1/nominations", token);
    assert_eq!(st, 200, "{l}");
    l.get("items")
        .and_then(Value::as_array)
        .or_else(|| l.as_array())
        .expect("a list")
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}

/// Inserts `n` nominations straight into the database, in one transaction (fast).
fn seed_spam(app: &TestApp, n: usize, region: &str) {
    use diesel::prelude::*;
    use lims::db::schema::nominations;
    let now = lims::clock::Clock::now_naive(&app.clock);
    let mut c = app.db.conn();
    c.transaction::<_, diesel::result::Error, _>(|c| {
        for i in 0..n {
            diesel::insert_into(nominations::table)
                .values((
                    nominations::tracking_code.eq(format!("DJ9{i:09}")),
                    nominations::product.eq(format!("广告{i}")),
                    nominations::place.eq("http://spam.example"),
                    nominations::region_code.eq(Some(region)),
                    nominations::reason.eq("买买买"),
                    nominations::contact.eq(None::<String>),
                    nominations::status.eq("received"),
                    nominations::supports.eq(0),
                    nominations::submitted_at.eq(now),
                    nominations::updated_at.eq(now),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .unwrap();
}

fn a_thousand_spam_nominations_do_not_hide_a_genuine_one(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("watcher", &["supervisor"]);
    let (st, n) = nominate(&app, baijiu());
    assert_eq!(st, 201);
    let genuine = n["tracking_code"].as_str().unwrap().to_string();
    seed_spam(&app, 1_200, "630104");
    // Every nomination is reachable page by page, the genuine one last.
    let (st, first) = app.get("/api/v1/nominations", &sup);
    assert_eq!(st, 200, "{first}");
    assert_eq!(first["total"], 1_201);
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    let mut codes = Vec::new();
    let mut spam_ids = Vec::new();
    for page in 1..=3 {
        let (st, l) = app.get(
            &format!("/api/v1/nominations?per_page=500&page={page}"),
            &sup,
        );
        assert_eq!(st, 200, "{l}");
        assert_eq!(
            (l["page"].as_i64(), l["per_page"].as_i64()),
            (Some(page), Some(500))
        );
        for x in l["items"].as_array().unwrap() {
            codes.push(x["tracking_code"].as_str().unwrap().to_string());
            if x["tracking_code"] != genuine.as_str() {
                spam_ids.push(x["id"].as_i64().unwrap());
            }
        }
    }
    assert_eq!(codes.len(), 1_201);
    assert_eq!(codes.last(), Some(&genuine), "the oldest comes last");
    for (q, field) in [
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        ("region=63010", "region"),
        ("status=lost", "status"),
    ] {
        let (st, e) = app.get(&format!("/api/v1/nominations?{q}"), &sup);
        assert_eq!(st, 422, "{q}: {e}");
        assert!(e["error"]["fields"][field].is_string(), "{q}: {e}");
    }
    // Filters by region and status find it at once.
    let (_, l) = app.get("/api/v1/nominations?region=630102", &sup);
    assert_eq!(l["total"], 1);
    assert_eq!(l["items"][0]["tracking_code"], genuine.as_str());
    let (_, l) = app.get("/api/v1/nominations?region=630104&status=received", &sup);
    assert_eq!(l["total"], 1_200);
    // Supervisors mark the spam in bulk, at most 500 at a time, each audited.
    let tech = app.user_token("tech1", &["technician"]);
    let (st, _) = app.send(
        "POST",
        "/api/v1/nominations/spam",
        Some(&tech),
        json!({"ids": [spam_ids[0]]}),
    );
    assert_eq!(st, 403);
    let (st, e) = app.send(
        "POST",
        "/api/v1/nominations/spam",
        Some(&sup),
        json!({"ids": &spam_ids[..501]}),
    );
    assert_eq!(st, 422, "{e}");
    let (st, e) = app.send(
        "POST",
        "/api/v1/nominations/spam",
        Some(&sup),
        json!({"ids": []}),
    );
    assert_eq!(st, 422, "{e}");
    crate::support::make_user(
        &app.db,
        &app.clock,
        "huangnan",
        &["supervisor"],
        Some("632300"),
    );
    let other = app.token("huangnan");
    let (st, e) = app.send(
        "POST",
        "/api/v1/nominations/spam",
        Some(&other),
        json!({"ids": [spam_ids[0]]}),
    );
    assert_eq!(st, 404, "not in its scope: {e}");
    let before = app.audit_count();
    for chunk in spam_ids.chunks(500) {
        let (st, r) = app.send(
            "POST",
            "/api/v1/nominations/spam",
            Some(&sup),
            json!({"ids": chunk}),
        );
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["marked"], chunk.len());
    }
    assert_eq!(app.audit_count(), before + 1_200);
    // Marked once: a second marking is refused and marks nothing.
    let (_, g) = app.get("/api/v1/nominations?region=630102", &sup);
    let genuine_id = g["items"][0]["id"].as_i64().unwrap();
    let (st, e) = app.send(
        "POST",
        "/api/v1/nominations/spam",
        Some(&sup),
        json!({"ids": [genuine_id, spam_ids[0]]}),
    );
    assert_eq!(st, 409, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("#{}", spam_ids[0])),
        "{e}"
    );
    let (_, l) = app.get("/api/v1/nominations", &sup);
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["items"][0]["tracking_code"], genuine.as_str());
    assert_eq!(l["items"][0]["status"], "received");
    let (_, l) = app.get("/api/v1/nominations?spam=true&per_page=1", &sup);
    assert_eq!(l["total"], 1_200);
    {
        use diesel::prelude::*;
        use lims::db::schema::nominations;
        let declined: i64 = nominations::table
            .filter(nominations::status.eq("declined"))
            .count()
            .get_result(&mut *app.db.conn())
            .unwrap();
        assert_eq!(declined, 1_200, "spam is declined for the public");
    }
    let (_, open) = public(&app, "/api/v1/public/nominations");
    assert_eq!(
        open.as_array().unwrap().len(),
        1,
        "spam leaves the public list"
    );
    // On the triage page: tick two and mark them; the filter finds the genuine one.
    seed_spam_more(&app);
    let r = login_form(&app, "watcher", crate::support::PASSWORD);
    assert_eq!(r.status(), 303);
    let (st, html) = app.page("/nominations?region=630102");
    assert_eq!(st, 200);
    assert!(html.contains(&genuine), "{html}");
    let (_, html) = app.page("/nominations?status=received");
    assert!(html.contains("form=\"spam-form\""), "{html}");
    let csrf = crate::support::csrf_of(&html);
    let (_, l) = app.get("/api/v1/nominations?region=630105", &sup);
    let ids: Vec<String> = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    let r = app
        .client
        .post(app.url("/nominations/spam"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", ids[0].as_str()),
            ("id", ids[1].as_str()),
        ])
        .send()
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let (_, l) = app.get("/api/v1/nominations?region=630105", &sup);
    assert_eq!(l["total"], 0, "{l}");
    let (_, l) = app.get("/api/v1/nominations", &sup);
    assert_eq!(l["total"], 1);
}

/// Two more spam nominations in 城北区 (630105), for the page.
fn seed_spam_more(app: &TestApp) {
    use diesel::prelude::*;
    use lims::db::schema::nominations;
    let now = lims::clock::Clock::now_naive(&app.clock);
    for i in 0..2 {
        diesel::insert_into(nominations::table)
            .values((
                nominations::tracking_code.eq(format!("DJ8{i:09}")),
                nominations::product.eq("广告"),
                nominations::place.eq("x"),
                nominations::region_code.eq(Some("630105")),
                nominations::reason.eq(""),
                nominations::status.eq("received"),
                nominations::supports.eq(0),
                nominations::submitted_at.eq(now),
                nominations::updated_at.eq(now),
            ))
            .execute(&mut *app.db.conn())
            .unwrap();
    }
}

fn a_scoped_supervisor_accepts_a_nomination_only_into_a_plan_of_its_scope(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("watcher", &["supervisor"]);
    // A public_request plan of 西宁市 (630100) and one of 城东区 (630102).
    let city = public_plan(&app, &sup);
    let (st, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&sup),
        json!({"code": "QH-2026-DJ-CD", "name": "城东区你点我检", "year": 2026, "level": "county",
               "kind": "public_request", "domain": "food", "region_code": "630102", "target_batches": 10}),
    );
    assert_eq!(st, 201, "{plan}");
    let county = plan["id"].as_i64().unwrap();
    crate::support::make_user(
        &app.db,
        &app.clock,
        "chengdong",
        &["supervisor"],
        Some("630102"),
    );
    let scoped = app.token("chengdong");
    nominate(&app, baijiu());
    let id = nomination_ids(&app, &scoped)[0];
    let accept = format!("/api/v1/nominations/{id}/accept");
    let before = app.audit_count();
    let (st, e) = app.send("POST", &accept, Some(&scoped), json!({"plan_id": city}));
    assert_eq!(
        st, 403,
        "the city's plan is outside a county supervisor's scope: {e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("630100"),
        "{e}"
    );
    assert_eq!(app.audit_count(), before);
    let (st, a) = app.send("POST", &accept, Some(&scoped), json!({"plan_id": county}));
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["plan_id"], county);
    // The triage page offers only the plans of its scope.
    let r = login_form(&app, "chengdong", crate::support::PASSWORD);
    assert_eq!(r.status(), 303);
    let (st, html) = app.page("/nominations");
    assert_eq!(st, 200);
    assert!(!html.contains("2026年你点我检"), "{html}");
}

fn only_supervisors_see_residents_contacts(b: Backend) {
    let app = TestApp::spawn(b);
    let sup = app.user_token("watcher", &["supervisor"]);
    let admin = app.user_token("root", &["admin"]);
    nominate(&app, baijiu());
    let (st, l) = app.get("/api/v1/nominations?per_page=10", &sup);
    assert_eq!(st, 200);
    assert!(l.to_string().contains(CONTACT), "{l}");
    let (st, l) = app.get("/api/v1/nominations?per_page=10", &admin);
    assert_eq!(st, 200, "{l}");
    assert!(l.to_string().contains("散装白酒"), "{l}");
    assert!(
        !l.to_string().contains(CONTACT),
        "an admin sees no contact: {l}"
    );
    assert!(l["items"][0]["contact"].is_null(), "{l}");
    let r = login_form(&app, "root", crate::support::PASSWORD);
    assert_eq!(r.status(), 303);
    let (st, html) = app.page("/nominations");
    assert_eq!(st, 200);
    assert!(
        html.contains("散装白酒") && !html.contains(CONTACT),
        "{html}"
    );
    form_logout(&app);
    let r = login_form(&app, "watcher", crate::support::PASSWORD);
    assert_eq!(r.status(), 303);
    let (_, html) = app.page("/nominations");
    assert!(html.contains(CONTACT), "{html}");
}
