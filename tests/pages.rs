//! The HTML pages as a person uses them: log in with the form, see what the role can
//! do, switch language, and the admin pages; CSRF on every form; text escaped.

use crate::support::fixtures::{form_logout, login_form, register, sample_no, setup};
use crate::support::{csrf_of, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_user_logs_in_with_the_form_and_sees_its_roles,
    pages_are_chinese_by_default_and_switch_to_english,
    a_form_without_its_csrf_token_is_refused,
    admin_pages_are_for_admins_only,
    text_from_users_is_escaped_on_every_page,
    an_admin_creates_a_user_with_the_form_and_a_bad_form_comes_back_filled,
    a_wrong_password_on_the_form_says_so,
    an_admin_adds_a_test_item_on_the_catalogue_page,
    the_holiday_page_opens_on_the_local_year_after_new_year_in_beijing,
];

fn a_user_logs_in_with_the_form_and_sees_its_roles(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler", "custodian"]);
    let (s, _) = app.page("/");
    assert_eq!(s, 303, "the home page needs a login");
    let r = login_form(&app, "wang", PASSWORD);
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    let session = cookie
        .iter()
        .find(|c| c.starts_with("lims_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let (s, html) = app.page("/");
    assert_eq!(s, 200);
    assert!(html.contains("Test wang"));
    assert!(html.contains("抽样人员") && html.contains("样品管理员"));
    assert!(html.contains("全省"), "region scope shown");
    // Logging out ends the session.
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.page("/").0, 303);
}

fn pages_are_chinese_by_default_and_switch_to_english(b: Backend) {
    let app = TestApp::spawn(b);
    let (_, html) = app.page("/login");
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("用户名"));
    let r = app
        .client
        .get(app.url("/login"))
        .header("Accept-Language", "en")
        .send()
        .unwrap();
    assert!(r.text().unwrap().contains("Username"));
    let r = app
        .client
        .get(app.url("/lang/en?next=/login"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let (_, html) = app.page("/login");
    assert!(html.contains("lang=\"en\"") && html.contains("Password"));
    // The switch comes back with the page's query (a verification link keeps its code).
    let (_, html) = app.page("/login?next=%2Fstats");
    assert!(
        html.contains("/lang/zh-CN?next=%2Flogin%3Fnext%3D%252Fstats"),
        "{html}"
    );
    // An open redirect is refused: the target stays on this site.
    let r = app
        .client
        .get(app.url("/lang/zh-CN?next=//evil.example"))
        .send()
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
}

fn a_form_without_its_csrf_token_is_refused(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let (_, _) = app.page("/login");
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "wang"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // An API call riding on the session cookie needs the CSRF header.
    let r = login_form(&app, "wang", PASSWORD);
    assert_eq!(r.status(), 303);
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, html) = app.page("/");
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("X-CSRF-Token", csrf_of(&html))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
}

fn admin_pages_are_for_admins_only(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("boss", &["admin"]);
    app.user("field", &["sampler"]);
    let pages = [
        "/admin/users",
        "/admin/regions",
        "/admin/holidays",
        "/admin/rules",
        "/admin/rules/food/supervision",
        "/admin/test-items",
        "/admin/audit",
    ];
    assert_eq!(login_form(&app, "field", PASSWORD).status(), 303);
    for p in pages {
        assert_eq!(app.page(p).0, 403, "{p} for a sampler");
    }
    let app = TestApp::spawn(b);
    app.user("boss", &["admin"]);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    for p in pages {
        let (s, html) = app.page(p);
        assert_eq!(s, 200, "{p}");
        assert!(html.contains("</html>"));
    }
    let (_, home) = app.page("/");
    assert!(
        home.contains("2026"),
        "admin home lists loaded calendar years"
    );
    let (_, items) = app.page("/admin/test-items");
    assert!(
        items.contains("unverified"),
        "the verification flag is shown to admins"
    );
    let (_, regions) = app.page("/admin/regions");
    assert!(
        regions.contains("未知"),
        "a missing population shows as unknown"
    );
}

fn text_from_users_is_escaped_on_every_page(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("boss", &["admin"]);
    let (s, _) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        serde_json::json!({"username": "xss", "display_name": "<script>alert(1)</script>", "password": PASSWORD, "roles": ["sampler"]}),
    );
    assert_eq!(s, 201);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (_, html) = app.page("/admin/users");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    form_logout(&app);
    assert_eq!(login_form(&app, "xss", PASSWORD).status(), 303);
    let (_, html) = app.page("/");
    assert!(!html.contains("<script>alert(1)</script>"));
}

fn an_admin_creates_a_user_with_the_form_and_a_bad_form_comes_back_filled(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("boss", &["admin"]);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (_, html) = app.page("/admin/users");
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "new.one"),
            ("display_name", "新用户"),
            ("password", "short"),
            ("roles", "sampler"),
            ("roles", "reviewer"),
            ("region_code", "630100"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(
        html.contains("value=\"new.one\"") && html.contains("新用户"),
        "the form comes back filled"
    );
    assert!(html.contains("password"));
    let r = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "new.one"),
            ("display_name", "新用户"),
            ("password", "a long password"),
            ("roles", "sampler"),
            ("roles", "reviewer"),
            ("region_code", "630100"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let admin = app.token("boss");
    let (_, users) = app.get("/api/v1/users", &admin);
    let u = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "new.one")
        .unwrap()
        .clone();
    assert_eq!(u["roles"], serde_json::json!(["sampler", "reviewer"]));
    assert_eq!(u["region_code"], "630100");
}

fn a_wrong_password_on_the_form_says_so(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let r = login_form(&app, "wang", "not the password");
    assert_eq!(r.status(), 401);
    let html = r.text().unwrap();
    assert!(html.contains("用户名或密码错误"));
    assert!(html.contains("value=\"wang\""));
}

pub const INTAKE_PAGE_TESTS: &[Test] = crate::tests![
    a_sampler_registers_a_sample_with_the_phone_form,
    a_custodian_receives_a_sample_on_the_scan_page,
    a_label_link_opens_the_sample_page_after_login,
];

fn a_sampler_registers_a_sample_with_the_phone_form(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    assert_eq!(login_form(&app, "wangfang", PASSWORD).status(), 303);
    let (s, html) = app.page("/samples/new");
    assert_eq!(s, 200);
    assert!(
        html.contains("name=\"product_name\"")
            && html.contains("data-draft=")
            && html.contains("/static/app.js"),
        "the form keeps a draft in the browser (by the site's script; the browser test runs it)"
    );
    let (s, js) = app.page("/static/app.js");
    assert_eq!(s, 200);
    assert!(js.contains("localStorage") && js.contains("data-draft"));
    let csrf = csrf_of(&html);
    let plan = i.plan_id.to_string();
    let entity = i.entity_id.to_string();
    let (s1, s2) = (i.samplers[0].to_string(), i.samplers[1].to_string());
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("plan_id", &plan),
        ("entity_id", &entity),
        ("domain", "food"),
        ("category_code", "34.02"),
        ("product_name", "牦牛肉"),
        ("stage", "circulation"),
        ("sampled_at", "2026-03-02T09:00"),
        ("sampler_ids", &s1),
        ("quantity", "0"),
        ("unit", "袋"),
        ("backup_quantity", "2"),
        ("storage", "chilled"),
    ];
    // One sampler and a zero quantity: the form comes back filled, with the messages.
    let r = app
        .client
        .post(app.url("/samples/new"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(html.contains("value=\"牦牛肉\""), "the draft is not lost");
    assert!(html.contains("sampler_ids") && html.contains("quantity"));
    form.push(("sampler_ids", &s2));
    for f in form.iter_mut() {
        if f.0 == "quantity" {
            f.1 = "2";
        }
    }
    let r = app
        .client
        .post(app.url("/samples/new"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/samples/F202663010400001"), "{loc}");
    let (s, html) = app.page(&loc);
    assert_eq!(s, 200);
    assert!(
        html.contains("牦牛肉") && html.contains("<svg"),
        "the sample page shows the label previews"
    );
    assert!(
        html.contains("送达检验机构时限")
            && !html.contains("delivery_to_lab")
            && html.contains("2026-03-09"),
        "the deadline with its rule in words, never its key"
    );
    assert!(html.contains("labels.pdf") && html.contains("sampling-form.pdf"));
    let (_, home) = app.page("/");
    assert!(
        home.contains("F202663010400001"),
        "the sampler's home lists this week's samples"
    );
}

fn a_custodian_receives_a_sample_on_the_scan_page(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let no = sample_no(&register(&app, &i));
    app.user("keeper", &["custodian"]);
    assert_eq!(login_form(&app, "keeper", PASSWORD).status(), 303);
    let (s, html) = app.page("/receipts");
    assert_eq!(s, 200);
    assert!(
        html.contains("autofocus") && html.contains(&no),
        "the scan box and the samples due in"
    );
    let scanned = format!("{}/s/{no}#B", app.base);
    let (s, html) = app.page(&format!(
        "/receipts?scan={}",
        crate::support::url_encode(&scanned)
    ));
    assert_eq!(s, 200);
    assert!(html.contains("seal_intact"));
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url("/receipts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scan", no.as_str()),
            ("seal_intact", "on"),
            ("condition_ok", "on"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, v) = app.get(&format!("/api/v1/samples/{no}"), &app.token("keeper"));
    assert_eq!(v["status"], "received");
    let r = app
        .client
        .post(app.url("/receipts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scan", no.as_str()),
            ("seal_intact", "on"),
            ("condition_ok", "on"),
        ])
        .send()
        .unwrap();
    assert_eq!(
        r.status(),
        409,
        "a second receipt is refused on the page too"
    );
    let (s, _) = app.page("/receipts?scan=F202663010499999");
    assert_eq!(s, 404);
}

fn a_label_link_opens_the_sample_page_after_login(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let no = sample_no(&register(&app, &i));
    let r = app.client.get(app.url(&format!("/s/{no}"))).send().unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
    assert_eq!(login_form(&app, "wangfang", PASSWORD).status(), 303);
    let r = app.client.get(app.url(&format!("/s/{no}"))).send().unwrap();
    assert_eq!(r.headers()["location"], format!("/samples/{no}").as_str());
    let r = app
        .client
        .get(app.url(&format!("/search?q={no}")))
        .send()
        .unwrap();
    assert_eq!(r.headers()["location"], format!("/samples/{no}").as_str());
}

fn an_admin_adds_a_test_item_on_the_catalogue_page(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("boss", &["admin"]);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (_, html) = app.page("/admin/test-items?category=01.01");
    let csrf = csrf_of(&html);
    let form = |max: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("category_code", "01.01".to_string()),
            ("name", "汞(以Hg计)".to_string()),
            ("method_standard", "GB 5009.17".to_string()),
            ("judgment_standard", "GB 2762-2022".to_string()),
            ("limit_kind", "max".to_string()),
            ("limit_max", max.to_string()),
            ("unit", "mg/kg".to_string()),
        ]
    };
    let r = app
        .client
        .post(app.url("/admin/test-items"))
        .form(&form(""))
        .send()
        .unwrap();
    assert_eq!(r.status(), 422, "a max limit needs its value");
    let r = app
        .client
        .post(app.url("/admin/test-items"))
        .form(&form("0.020"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(
        html.contains("汞(以Hg计)") && html.contains("0.020") && html.contains("admin_entered")
    );
}

/// At 01:00 on 1 January in Beijing it is still 31 December in UTC: "this year" on the
/// pages is the bureaus' local year.
fn the_holiday_page_opens_on_the_local_year_after_new_year_in_beijing(b: Backend) {
    let app = TestApp::spawn(b);
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-31T17:00:00Z")
            .expect("a fixed time")
            .with_timezone(&chrono::Utc),
    );
    app.user("boss", &["admin"]);
    assert_eq!(login_form(&app, "boss", PASSWORD).status(), 303);
    let (s, html) = app.page("/admin/holidays");
    assert_eq!(s, 200);
    assert!(html.contains("· 2027</h1>"), "{html}");
}
