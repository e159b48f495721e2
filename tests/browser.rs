//! The pages in a real browser (headless Chromium through chromedriver): every step is
//! clicks and typing on the pages a person uses, on a phone or at a shared desk computer
//! where people log in and out in turn. Only the users, the plan and the entity are set
//! up beforehand (the same helpers as intake.rs). On failure each open
//! browser saves a screenshot under the target directory (`browser-screenshots`) and
//! prints its path. Without Chromium the tests are skipped with a notice (required
//! under `CI=true`, see main.rs).

use crate::support::fixtures::setup;
use crate::support::webdriver::{Browser, Device, Driver, ENTER};
use crate::support::{Backend, TestApp, PASSWORD};
use crate::Test;
use serde_json::{json, Value};

pub const TESTS: &[Test] = crate::tests![
    a_sample_goes_from_a_phone_to_a_verified_report_in_the_browser,
    an_english_browser_registers_a_sample_and_receives_it_by_its_bare_number,
];

fn label(b: Backend, test: &str) -> String {
    format!("{test}-{b:?}").to_lowercase()
}

/// The visible text of the page contains every one of `words`.
fn assert_shows(browser: &Browser, words: &[&str]) {
    let text = browser.text();
    for w in words {
        assert!(
            text.contains(w),
            "`{w}` on {}; the page says:\n{text}",
            browser.path()
        );
    }
}

/// The sampler fills in the phone form: plan, entity, category, the product, a second
/// sampler, the quantities.
fn fill_the_form(b: &Browser, product: &str, quantity: &str) {
    b.find("select[name=plan_id]").select("QH-2026-supervision");
    b.find("select[name=entity_id]").select("某某超市");
    b.find("select[name=category_code]").select("34.02");
    b.find("input[name=product_name]").typed(product);
    b.find("input[name=batch_no]").typed("20260215");
    for cb in b.find_all("input[name=sampler_ids]") {
        cb.check();
    }
    b.find("input[name=quantity]").typed(quantity);
    b.find("input[name=backup_quantity]").typed("4");
    // The form's script (templates/static/app.js, allowed by the Content-Security-Policy)
    // keeps a draft; a script the policy blocked would log an error here.
    assert!(
        b.script(
            "var f = document.getElementById('sample-form'); \
             return localStorage.getItem(f.getAttribute('data-draft'))",
            json!([])
        )
        .is_string(),
        "the form's draft is kept in the browser"
    );
    assert!(b.find("#draft-note").prop("hidden") == json!(false));
    b.assert_no_console_errors();
}

/// The sampler fills in the form, registers, and lands on the sample's page; returns
/// the sample number.
fn register_on_the_form(b: &Browser, product: &str) -> String {
    b.navigates(|| b.find("nav.main a[href='/samples/new']").click());
    fill_the_form(b, product, "4");
    b.navigates(|| b.find("#sample-form button.primary").click());
    sample_no_of_page(b, product)
}

fn sample_no_of_page(b: &Browser, product: &str) -> String {
    let path = b.path();
    let no = path
        .strip_prefix("/samples/")
        .and_then(|rest| rest.split(['?', '/']).next())
        .unwrap_or_else(|| {
            panic!(
                "the sample page after registering, not {path}: {}",
                b.text()
            )
        })
        .to_string();
    assert!(no.starts_with("F2026630104"), "{no}");
    assert_eq!(
        b.find("h1").text(),
        format!("{no} {product}"),
        "the sample page names the sample"
    );
    no
}

/// The labels' PDF link of the sample page answers a PDF to this browser's session.
fn labels_download_as_pdf(b: &Browser) {
    let href = b
        .find("a[href*='/labels.pdf']")
        .prop("href")
        .as_str()
        .expect("href")
        .to_string();
    let (status, ct, body) = b.fetch(&href);
    assert_eq!(status, 200, "{href}");
    assert_eq!(ct, "application/pdf");
    assert!(body.starts_with(b"%PDF-"), "a PDF file");
}

/// The custodian types a scan into the scan box, presses Enter, and receives.
fn receive_by_scan(b: &Browser, scan: &str, no: &str) {
    b.navigates(|| b.find("nav.main a[href='/receipts']").click());
    let active = b.script("return document.activeElement.name", json!([]));
    assert_eq!(active, "scan", "the scan box has the focus for a scanner");
    b.navigates(|| b.find("input[name=scan]").typed(&format!("{scan}{ENTER}")));
    assert_eq!(
        b.find("section.card h2 code").text(),
        no,
        "the scan found the sample"
    );
    b.navigates(|| {
        b.find("form[method=post][action='/receipts'] button")
            .click()
    });
    b.assert_no_console_errors();
}

fn a_sample_goes_from_a_phone_to_a_verified_report_in_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app, "supervision");
    app.user("keeper", &["custodian"]);
    app.user("tech1", &["technician"]);
    app.user("checker", &["reviewer"]);
    app.user("boss", &["signatory"]);
    let driver = Driver::start(&label(backend, "sample-walk"));
    // A phone in the field; the lab's shared desk computer, where people log in in turn.
    let phone = driver.browser(Device::phone("phone"));
    let desk = driver.browser(Device::desk("desk"));

    // 1. The sampler registers the sample on the phone and downloads its labels.
    let no = {
        let b = &phone;
        b.log_in(&app.base, "wangfang", PASSWORD);
        let no = register_on_the_form(b, "牦牛肉干（五香味）");
        assert_shows(b, &["样品已登记", "标签 PDF"]);
        assert_eq!(b.script("return window.innerWidth", json!([])), 390);
        assert_eq!(
            b.script("return localStorage.getItem('lims-draft-new')", json!([])),
            Value::Null,
            "the accepted form's draft is cleared"
        );
        labels_download_as_pdf(b);
        b.assert_no_console_errors();
        b.log_out();
        no
    };

    // 2. The custodian scans the label's QR code (its full URL) and receives; then assigns.
    {
        let b = &desk;
        b.log_in(&app.base, "keeper", PASSWORD);
        receive_by_scan(b, &format!("{}/s/{no}", app.base), &no);
        assert_shows(b, &[&format!("{no} · 已接收 · 已保存")]);
        b.navigates(|| b.find("nav.main a[href='/assign']").click());
        b.find(&format!("input[name=sample_nos][value='{no}']"))
            .check();
        b.find("select[name=assignee_id]").select("Test tech1");
        b.navigates(|| b.find("form[action='/assign'] button.primary").click());
        assert_shows(b, &[&format!("已保存 · {no} (4)")]);
        b.log_out();
    }

    // 3. The technician enters the four results on the worklist; one is over its limit.
    {
        let b = &desk;
        b.log_in(&app.base, "tech1", PASSWORD);
        b.navigates(|| b.find("nav.main a[href='/worklist']").click());
        let rows = b.find_all("tbody tr");
        assert_eq!(rows.len(), 4, "the four default items of 34.02");
        for row in &rows {
            let result = if row.text().contains("挥发性盐基氮") {
                "20" // the limit is 15 mg/100g
            } else {
                "未检出"
            };
            row.find("input[name^='result.']").typed(result);
        }
        b.navigates(|| b.find("form[action='/worklist'] button.primary").click());
        assert!(b.try_find("input[name^='result.']").is_none(), "all saved");
        assert_shows(b, &["暂无"]);
        b.assert_no_console_errors();
        b.log_out();
    }

    // 4. The reviewer accepts the four results; the signatory approves and issues.
    {
        let b = &desk;
        b.log_in(&app.base, "checker", PASSWORD);
        b.navigates(|| b.find("nav.main a[href='/review']").click());
        assert_eq!(b.find_all("section.card").len(), 4);
        assert_eq!(b.find_all("section.card .badge.bad").len(), 1, "one fails");
        for _ in 0..4 {
            b.navigates(|| b.find("button[value=accept]").click());
        }
        assert!(b.try_find("button[value=accept]").is_none());
        b.assert_no_console_errors();
        b.log_out();
    }
    let verify_url = {
        let b = &desk;
        b.log_in(&app.base, "boss", PASSWORD);
        b.navigates(|| b.find("nav.main a[href='/approvals']").click());
        // Approving asks for confirmation first, naming the conclusion.
        b.navigates(|| {
            b.find(&format!("section[id='s-{no}'] form[method=get] button"))
                .click()
        });
        assert_shows(b, &["签发后报告编号不可更改，更正须撤销重发"]);
        b.navigates(|| {
            b.find(&format!("form[action='/approvals/{no}'] button"))
                .click()
        });
        let notice = b.find("p.notice").text();
        let report_no = b.find("p.notice a[href^='/reports/']").text();
        assert!(
            notice.contains(&format!("已签发报告 {report_no}（不合格）")),
            "{notice}"
        );
        // The report list links the report; the report page its PDF and verification link.
        b.navigates(|| b.find("nav.main a[href='/reports']").click());
        b.navigates(|| b.find(&format!("a[href='/reports/{report_no}']")).click());
        assert_shows(b, &["检验报告", &report_no, &no, "不合格"]);
        let pdf = b
            .find(&format!("a[href='/reports/{report_no}/pdf']"))
            .prop("href")
            .as_str()
            .expect("href")
            .to_string();
        let (status, ct, body) = b.fetch(&pdf);
        assert_eq!((status, ct.as_str()), (200, "application/pdf"));
        assert!(body.starts_with(b"%PDF-"));
        // The link printed as the report's QR code (reports.rs checks the two agree).
        let verify_url = b
            .find("a[href*='/verify/']")
            .attr("href")
            .expect("verification link");
        b.assert_no_console_errors();
        b.log_out();
        verify_url
    };

    // 5. The supervisor opens the disposal board (the case is there), switches to English
    // and reads the sampling-rate dashboard for Xining.
    {
        let b = &desk;
        b.log_in(&app.base, "sup", PASSWORD);
        b.navigates(|| b.find("nav.main a[href='/disposals']").click());
        assert!(b.find("h1").text().starts_with("核查处置看板"));
        assert_eq!(b.find("a[href^='/disposals/'] code").text(), no);
        b.navigates(|| b.find("a.lang").click());
        assert_eq!(b.path(), "/disposals", "the switch comes back to the page");
        assert!(b.find("h1").text().starts_with("Disposal board"));
        assert_shows(b, &["Disposal rate", &no]);
        b.navigates(|| b.find("nav.main a[href='/stats']").click());
        assert!(b.find("h1").text().starts_with("Sampling statistics"));
        assert_shows(b, &["Batches per thousand residents"]);
        b.find("input[name=region]").typed("630100");
        b.navigates(|| b.find("form.filters button").click());
        assert!(b.path().contains("region=630100"), "{}", b.path());
        assert!(
            b.try_find("figure svg").is_some(),
            "the rate chart is drawn"
        );
        assert_shows(b, &["630104"]);
        b.assert_no_console_errors();
        b.log_out();
    }

    // 6. A resident scans the report's QR code with a phone: no account, Chinese, then
    // English; the language switch keeps the code.
    {
        let b = &phone;
        b.delete_cookies();
        b.goto(&verify_url);
        assert_eq!(b.find("h1").text(), "检验报告真伪核验");
        assert_shows(
            b,
            &["报告真实有效", "牦牛肉干（五香味）", "西宁市城西区某某超市"],
        );
        assert!(
            b.try_find("form[action='/logout']").is_none(),
            "nobody is logged in"
        );
        b.navigates(|| b.find("a.lang").click());
        assert_eq!(b.find("h1").text(), "Report verification");
        assert_shows(b, &["Genuine and valid"]);
        b.assert_no_console_errors();
    }
}

fn an_english_browser_registers_a_sample_and_receives_it_by_its_bare_number(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app, "supervision");
    app.user("keeper", &["custodian"]);
    let driver = Driver::start(&label(backend, "english-intake"));
    // One phone: the sampler's, then the custodian's handheld at the lab's door.
    let b = driver.browser(Device::phone("phone").english());
    b.log_in(&app.base, "wangfang", PASSWORD);
    b.navigates(|| b.find("nav.main a[href='/samples/new']").click());
    assert_eq!(b.find("h1").text(), "Register a sample");
    // A zero quantity comes back with the message and the form still filled.
    fill_the_form(&b, "Yak jerky", "0");
    b.navigates(|| b.find("#sample-form button.primary").click());
    assert!(
        b.find(".errors").text().contains("quantity"),
        "{}",
        b.text()
    );
    assert_eq!(
        b.find("input[name=product_name]").prop("value"),
        "Yak jerky"
    );
    b.find("input[name=quantity]").typed("4");
    b.navigates(|| b.find("#sample-form button.primary").click());
    let no = sample_no_of_page(&b, "Yak jerky");
    assert_shows(&b, &["Sample registered", "Labels PDF"]);
    labels_download_as_pdf(&b);
    b.log_out();

    b.log_in(&app.base, "keeper", PASSWORD);
    receive_by_scan(&b, &no, &no);
    assert_eq!(b.find("h1").text(), "Receive samples by scan");
    assert_shows(&b, &[&format!("{no} · Received · Saved")]);
    // A second scan of the same label finds it received: nothing left to receive.
    b.navigates(|| b.find("input[name=scan]").typed(&format!("{no}{ENTER}")));
    assert_shows(&b, &["Received"]);
    assert!(b
        .try_find("form[method=post][action='/receipts']")
        .is_none());
}
