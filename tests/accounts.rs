//! Accounts and security over HTTP: login, tokens, throttling, deactivation, roles,
//! versions, and the audit rows that every change leaves.

use chrono::Duration;
use lims::clock::Clock;
use serde_json::json;

use crate::support::fixtures::{form_logout, login_form};
use crate::support::process::ServerProcess;
use crate::support::{csrf_of, make_user, Backend, TestApp, TestDb, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    login_gives_a_token_that_logout_revokes,
    five_failed_logins_a_minute_are_throttled,
    a_deactivated_user_cannot_log_in_and_loses_its_tokens,
    an_admin_creates_a_user_and_the_audit_log_records_it,
    a_stale_version_is_a_conflict_not_a_lost_update,
    roles_and_tokens_guard_the_user_endpoints,
    an_unknown_role_is_refused_with_the_field_named,
    a_duplicate_username_is_a_conflict,
    messages_follow_accept_language,
    the_password_hash_never_leaves_the_server,
    an_expired_token_is_refused,
    a_scoped_admin_manages_only_users_inside_its_scope,
    changing_a_password_or_roles_needs_the_admins_own_password_after_five_minutes,
    a_scoped_admin_reads_only_the_audit_rows_of_its_scope,
    logout_ends_the_cookie_session_on_the_server,
    a_password_change_revokes_the_callers_other_sessions_and_tokens,
    a_reset_role_scope_change_or_deactivation_revokes_every_session_of_the_user,
    sessions_are_listed_and_revoked_only_by_their_owner,
    the_account_page_lists_sessions_revokes_one_and_changes_the_password,
    form_logins_logouts_and_revocations_are_audited,
    weak_passwords_are_refused_with_the_field_named,
    a_logout_on_one_server_process_holds_on_another,
    logins_do_not_pile_up_sessions_without_bound,
];

fn login_gives_a_token_that_logout_revokes(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("li.na", &["sampler", "custodian"]);
    let (s, v) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "li.na", "password": PASSWORD}),
    );
    assert_eq!(s, 200);
    assert_eq!(v["user"]["username"], "li.na");
    assert_eq!(v["user"]["roles"], json!(["sampler", "custodian"]));
    let token = v["token"].as_str().unwrap().to_string();
    let (s, me) = app.get("/api/v1/me", &token);
    assert_eq!(s, 200);
    assert_eq!(me["username"], "li.na");
    let (s, _) = app.send("POST", "/api/v1/auth/logout", Some(&token), json!({}));
    assert_eq!(s, 204);
    let (s, e) = app.get("/api/v1/me", &token);
    assert_eq!(s, 401);
    assert_eq!(e["error"]["code"], "unauthenticated");
    // The token is stored hashed: the raw token appears nowhere in the database.
    use diesel::prelude::*;
    let hashes: Vec<String> = lims::db::schema::api_tokens::table
        .select(lims::db::schema::api_tokens::token_hash)
        .load(&mut *app.db.conn())
        .unwrap();
    assert!(!hashes.is_empty());
    assert!(hashes.iter().all(|h| h != &token && h.len() == 64));
}

fn five_failed_logins_a_minute_are_throttled(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("zhao", &["technician"]);
    for _ in 0..5 {
        let (s, _) = app.send(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "zhao", "password": "wrong password!"}),
        );
        assert_eq!(s, 401);
    }
    let (s, e) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "zhao", "password": PASSWORD}),
    );
    assert_eq!(s, 429, "{e}");
    assert_eq!(e["error"]["code"], "rate_limited");
    // Another username is not affected.
    app.user("qian", &["technician"]);
    app.token("qian");
    // A minute later the right password works again.
    app.clock.advance(Duration::seconds(61));
    app.token("zhao");
}

fn a_deactivated_user_cannot_log_in_and_loses_its_tokens(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("boss", &["admin"]);
    let id = app.user("leaver", &["sampler"]);
    let token = app.token("leaver");
    let (s, u) = app.send(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"active": false, "version": 1}),
    );
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["active"], false);
    assert_eq!(u["version"], 2);
    let (s, _) = app.get("/api/v1/me", &token);
    assert_eq!(s, 401);
    let (s, e) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "leaver", "password": PASSWORD}),
    );
    assert_eq!(s, 401);
    assert_eq!(e["error"]["code"], "unauthenticated");
}

fn an_admin_creates_a_user_and_the_audit_log_records_it(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let before = app.audit_count();
    let (s, u) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        json!({"username": "Wang.Fang", "display_name": "王芳", "password": "a long enough password",
               "roles": ["sampler", "sampler", "custodian"], "region_code": "630100"}),
    );
    assert_eq!(s, 201, "{u}");
    assert_eq!(u["username"], "wang.fang");
    assert_eq!(u["roles"], json!(["sampler", "custodian"]));
    assert_eq!(u["region_code"], "630100");
    assert_eq!(u["version"], 1);
    assert_eq!(app.audit_count(), before + 1);
    let mut conn = app.db.conn();
    let row = &lims::workflow::audit::history(&mut conn, "user", &u["id"].to_string()).unwrap()[0];
    assert_eq!(row.action, "user.create");
    assert_eq!(row.actor, "root");
    assert!(row.after_json.as_deref().unwrap().contains("王芳"));
    // The new user logs in with its password.
    let (s, _) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "wang.fang", "password": "a long enough password"}),
    );
    assert_eq!(s, 200);
    // An update is audited with before and after.
    let (s, _) = app.send(
        "PATCH",
        &format!("/api/v1/users/{}", u["id"]),
        Some(&admin),
        json!({"display_name": "王芳芳", "version": 1}),
    );
    assert_eq!(s, 200);
    let row = &lims::workflow::audit::history(&mut conn, "user", &u["id"].to_string()).unwrap()[0];
    assert_eq!(row.action, "user.update");
    assert!(row.before_json.as_deref().unwrap().contains("\"王芳\""));
    assert!(row.after_json.as_deref().unwrap().contains("王芳芳"));
}

fn a_stale_version_is_a_conflict_not_a_lost_update(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let id = app.user("target", &["sampler"]);
    let path = format!("/api/v1/users/{id}");
    let (s, _) = app.send(
        "PATCH",
        &path,
        Some(&admin),
        json!({"display_name": "first", "version": 1}),
    );
    assert_eq!(s, 200);
    let (s, e) = app.send(
        "PATCH",
        &path,
        Some(&admin),
        json!({"display_name": "second", "version": 1}),
    );
    assert_eq!(s, 409);
    assert_eq!(e["error"]["code"], "conflict");
    let (_, u) = app.get(&path, &admin);
    assert_eq!(u["display_name"], "first");
}

fn roles_and_tokens_guard_the_user_endpoints(b: Backend) {
    let app = TestApp::spawn(b);
    let sampler = app.user_token("field", &["sampler"]);
    let (s, e) = app.send("GET", "/api/v1/users", None, json!(null));
    assert_eq!(s, 401);
    assert_eq!(e["error"]["code"], "unauthenticated");
    let (s, e) = app.get("/api/v1/users", &sampler);
    assert_eq!(s, 403);
    assert_eq!(e["error"]["code"], "forbidden");
    let (s, _) = app.send(
        "POST",
        "/api/v1/users",
        Some(&sampler),
        json!({"username": "sneaky", "display_name": "x", "password": "long enough password", "roles": ["admin"]}),
    );
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/users", "not-a-token");
    assert_eq!(s, 401);
    let (s, _) = app.get("/api/v1/me", &sampler);
    assert_eq!(s, 200);
}

fn an_unknown_role_is_refused_with_the_field_named(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let before = app.audit_count();
    let (s, e) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        json!({"username": "newbie", "display_name": "x", "password": "long enough password", "roles": ["wizard"]}),
    );
    assert_eq!(s, 422);
    assert_eq!(e["error"]["code"], "validation");
    assert!(e["error"]["fields"]["roles"]
        .as_str()
        .unwrap()
        .contains("wizard"));
    let (s, e) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        json!({"username": "newbie", "display_name": "x", "password": "long enough password", "roles": ["sampler"], "region_code": "999999"}),
    );
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["region_code"].is_string());
    assert_eq!(app.audit_count(), before);
}

fn a_duplicate_username_is_a_conflict(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let body = json!({"username": "twin", "display_name": "x", "password": "long enough password", "roles": ["sampler"]});
    assert_eq!(
        app.send("POST", "/api/v1/users", Some(&admin), body.clone())
            .0,
        201
    );
    let (s, e) = app.send("POST", "/api/v1/users", Some(&admin), body);
    assert_eq!(s, 409);
    assert_eq!(e["error"]["code"], "conflict");
}

fn messages_follow_accept_language(b: Backend) {
    let app = TestApp::spawn(b);
    let zh = app.client.get(app.url("/api/v1/me")).send().unwrap();
    let zh: serde_json::Value = zh.json().unwrap();
    assert_eq!(zh["error"]["message"], "请先登录");
    let en = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .unwrap();
    let en: serde_json::Value = en.json().unwrap();
    assert_eq!(en["error"]["message"], "Please log in");
}

fn the_password_hash_never_leaves_the_server(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let (_, list) = app.get("/api/v1/users", &admin);
    let text = list.to_string();
    assert!(!text.contains("argon2") && !text.contains("password"));
    let mut conn = app.db.conn();
    let rows = lims::workflow::audit::recent(&mut conn, 100).unwrap();
    assert!(rows
        .iter()
        .all(|r| !r.after_json.as_deref().unwrap_or("").contains("argon2")));
    assert!(rows
        .iter()
        .all(|r| !r.after_json.as_deref().unwrap_or("").contains(PASSWORD)));
}

fn an_expired_token_is_refused(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("old", &["sampler"]);
    app.clock.advance(
        Duration::days(lims::workflow::accounts::TOKEN_LIFETIME_DAYS) + Duration::seconds(1),
    );
    assert_eq!(app.get("/api/v1/me", &t).0, 401);
}

/// The value of the cookie `name` that a response sets.
fn set_cookie(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// Logs in with the form on `app.client` and returns the session cookie's value.
fn form_session(app: &TestApp, username: &str) -> String {
    let r = login_form(app, username, PASSWORD);
    assert_eq!(r.status(), 303, "form login of {username}");
    set_cookie(&r, lims::web::session::SESSION_COOKIE).expect("a session cookie")
}

/// A client without a cookie store that follows no redirects.
fn bare_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The status of `GET /api/v1/me` on `base` with a copied session cookie.
fn me_with_cookie(base: &str, cookie: &str) -> u16 {
    bare_client()
        .get(format!("{base}/api/v1/me"))
        .header(
            "cookie",
            format!("{}={cookie}", lims::web::session::SESSION_COOKIE),
        )
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn usernames(list: &serde_json::Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

fn a_scoped_admin_manages_only_users_inside_its_scope(b: Backend) {
    let app = TestApp::spawn(b);
    let root = app.user_token("root", &["admin"]);
    let root_id = app.user("root2", &["admin"]);
    let ledu_id = make_user(&app.db, &app.clock, "ledu", &["admin"], Some("630202"));
    let ledu = app.token("ledu");
    let inside = make_user(
        &app.db,
        &app.clock,
        "ledu.one",
        &["sampler"],
        Some("630202"),
    );
    let outside = make_user(
        &app.db,
        &app.clock,
        "xining.one",
        &["sampler"],
        Some("630100"),
    );
    let new_user = |name: &str, roles: serde_json::Value, region: serde_json::Value| {
        json!({"username": name, "display_name": "新用户", "password": "a long enough password",
               "roles": roles, "region_code": region})
    };
    let before = app.audit_count();
    // No province-wide account, no wider or other region.
    for region in [
        json!(null),
        json!("630200"),
        json!("630000"),
        json!("630100"),
    ] {
        let (s, e) = app.send(
            "POST",
            "/api/v1/users",
            Some(&ledu),
            new_user("grab", json!(["admin"]), region.clone()),
        );
        assert_eq!(s, 403, "region {region}: {e}");
        assert_eq!(e["error"]["code"], "forbidden");
    }
    assert_eq!(app.audit_count(), before);
    let (s, u) = app.send(
        "POST",
        "/api/v1/users",
        Some(&ledu),
        new_user("ledu.two", json!(["sampler"]), json!("630202")),
    );
    assert_eq!(s, 201, "{u}");
    // The list holds only the users of its scope.
    let (s, list) = app.get("/api/v1/users?per_page=500", &ledu);
    assert_eq!(s, 200);
    let mut names = usernames(&list);
    names.sort();
    assert_eq!(names, ["ledu", "ledu.one", "ledu.two"]);
    assert_eq!(list["total"], 3);
    // Users outside the scope are not there for it: 404 on GET and PATCH.
    for id in [root_id, outside] {
        let (s, _) = app.get(&format!("/api/v1/users/{id}"), &ledu);
        assert_eq!(s, 404);
        let (s, e) = app.send(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&ledu),
            json!({"password": "taken over at last", "current_password": PASSWORD, "version": 1}),
        );
        assert_eq!(s, 404, "{e}");
    }
    // It never widens its own scope or roles.
    for patch in [
        json!({"region_code": null, "version": 1}),
        json!({"region_code": "630200", "version": 1}),
        json!({"roles": ["admin", "supervisor"], "current_password": PASSWORD, "version": 1}),
    ] {
        let (s, e) = app.send(
            "PATCH",
            &format!("/api/v1/users/{ledu_id}"),
            Some(&ledu),
            patch.clone(),
        );
        assert_eq!(s, 403, "{patch}: {e}");
    }
    // Nor moves a user of its scope out of it.
    let (s, _) = app.send(
        "PATCH",
        &format!("/api/v1/users/{inside}"),
        Some(&ledu),
        json!({"region_code": "630100", "version": 1}),
    );
    assert_eq!(s, 403);
    assert_eq!(app.audit_count(), before + 1);
    // Inside its scope it works.
    let (s, u) = app.send(
        "PATCH",
        &format!("/api/v1/users/{inside}"),
        Some(&ledu),
        json!({"display_name": "乐都采样员", "roles": ["sampler", "custodian"], "version": 1}),
    );
    assert_eq!(s, 200, "{u}");
    // A province-wide admin makes another province-wide admin, and sees everyone.
    let (s, _) = app.send(
        "POST",
        "/api/v1/users",
        Some(&root),
        new_user("province.two", json!(["admin"]), json!(null)),
    );
    assert_eq!(s, 201);
    let (_, list) = app.get("/api/v1/users?per_page=500", &root);
    assert_eq!(list["total"], 7);
}

fn changing_a_password_or_roles_needs_the_admins_own_password_after_five_minutes(b: Backend) {
    let app = TestApp::spawn(b);
    let root = app.user_token("root", &["admin"]);
    let id = app.user("target", &["sampler"]);
    let path = format!("/api/v1/users/{id}");
    // Just logged in: no password needed.
    let (s, u) = app.send(
        "PATCH",
        &path,
        Some(&root),
        json!({"password": "another long password", "version": 1}),
    );
    assert_eq!(s, 200, "{u}");
    app.clock.advance(Duration::minutes(6));
    for patch in [
        json!({"password": "yet another password", "version": 2}),
        json!({"roles": ["sampler", "custodian"], "version": 2}),
        json!({"roles": ["sampler", "custodian"], "current_password": "not my password", "version": 2}),
    ] {
        let (s, e) = app.send("PATCH", &path, Some(&root), patch.clone());
        assert_eq!(s, 403, "{patch}: {e}");
        assert_eq!(e["error"]["code"], "forbidden");
        assert!(e["error"]["message"].as_str().unwrap().contains("密码"));
    }
    // Other fields need none.
    let (s, _) = app.send(
        "PATCH",
        &path,
        Some(&root),
        json!({"display_name": "目标", "version": 2}),
    );
    assert_eq!(s, 200);
    let (s, u) = app.send(
        "PATCH",
        &path,
        Some(&root),
        json!({"password": "yet another password", "current_password": PASSWORD, "version": 3}),
    );
    assert_eq!(s, 200, "{u}");
    // A fresh login counts again for five minutes.
    let fresh = app.token("root");
    let (s, u) = app.send(
        "PATCH",
        &path,
        Some(&fresh),
        json!({"roles": ["custodian"], "version": 4}),
    );
    assert_eq!(s, 200, "{u}");
}

fn a_scoped_admin_reads_only_the_audit_rows_of_its_scope(b: Backend) {
    let app = TestApp::spawn(b);
    let root = app.user_token("root", &["admin"]);
    make_user(&app.db, &app.clock, "ledu", &["admin"], Some("630202"));
    let ledu = app.token("ledu");
    let (s, _) = app.send(
        "POST",
        "/api/v1/users",
        Some(&root),
        json!({"username": "province.made", "display_name": "x", "password": "a long enough password", "roles": ["supervisor"]}),
    );
    assert_eq!(s, 201);
    let (s, _) = app.send(
        "POST",
        "/api/v1/users",
        Some(&ledu),
        json!({"username": "ledu.made", "display_name": "x", "password": "a long enough password",
               "roles": ["sampler"], "region_code": "630202"}),
    );
    assert_eq!(s, 201);
    assert_eq!(login_form(&app, "ledu", PASSWORD).status(), 303);
    let (s, html) = app.page("/admin/audit");
    assert_eq!(s, 200);
    assert!(html.contains("<td>ledu</td>"), "{html}");
    assert!(!html.contains("<td>root</td>"), "{html}");
    assert!(!html.contains("<td>system</td>"));
    // Actions and records in words, never their keys.
    assert!(
        html.contains("新增用户") && !html.contains("user.create"),
        "{html}"
    );
    form_logout(&app);
    assert_eq!(login_form(&app, "root", PASSWORD).status(), 303);
    let (_, html) = app.page("/admin/audit");
    assert!(html.contains("<td>root</td>") && html.contains("<td>ledu</td>"));
}

fn logout_ends_the_cookie_session_on_the_server(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let cookie = form_session(&app, "wang");
    assert_eq!(me_with_cookie(&app.base, &cookie), 200);
    form_logout(&app);
    // A copy of the cookie taken before the logout is refused.
    assert_eq!(me_with_cookie(&app.base, &cookie), 401);
    let r = bare_client()
        .get(app.url("/"))
        .header(
            "cookie",
            format!("{}={cookie}", lims::web::session::SESSION_COOKIE),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

fn a_password_change_revokes_the_callers_other_sessions_and_tokens(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let t1 = app.token("wang");
    let t2 = app.token("wang");
    let cookie = form_session(&app, "wang");
    let (s, e) = app.send(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        json!({"old_password": "not my password", "new_password": "a brand new password"}),
    );
    assert_eq!(s, 422, "{e}");
    assert!(e["error"]["fields"]["old_password"].is_string(), "{e}");
    let (s, e) = app.send(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        json!({"old_password": PASSWORD, "new_password": "password123"}),
    );
    assert_eq!(s, 422, "{e}");
    assert!(e["error"]["fields"]["new_password"].is_string(), "{e}");
    assert_eq!(app.get("/api/v1/me", &t2).0, 200);
    let (s, e) = app.send(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        json!({"old_password": PASSWORD, "new_password": "a brand new password"}),
    );
    assert_eq!(s, 204, "{e}");
    assert_eq!(
        app.get("/api/v1/me", &t1).0,
        200,
        "the caller's own token stays"
    );
    assert_eq!(app.get("/api/v1/me", &t2).0, 401);
    assert_eq!(me_with_cookie(&app.base, &cookie), 401);
    let (s, _) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "wang", "password": PASSWORD}),
    );
    assert_eq!(s, 401);
    let (s, _) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "wang", "password": "a brand new password"}),
    );
    assert_eq!(s, 200);
    let mut conn = app.db.conn();
    let rows = lims::workflow::audit::recent(&mut conn, 10).unwrap();
    assert!(rows.iter().any(|r| r.action == "auth.password_changed"));
}

fn a_reset_role_scope_change_or_deactivation_revokes_every_session_of_the_user(b: Backend) {
    let app = TestApp::spawn(b);
    let root = app.user_token("root", &["admin"]);
    for (name, patch) in [
        ("by.reset", json!({"password": "a reset password!"})),
        ("by.roles", json!({"roles": ["sampler", "custodian"]})),
        ("by.scope", json!({"region_code": "630100"})),
        ("by.leave", json!({"active": false})),
    ] {
        let id = app.user(name, &["sampler"]);
        let token = app.token(name);
        let cookie = form_session(&app, name);
        form_logout(&app);
        let cookie2 = form_session(&app, name);
        let mut patch = patch;
        patch["version"] = json!(1);
        let (s, u) = app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&root), patch);
        assert_eq!(s, 200, "{name}: {u}");
        assert_eq!(app.get("/api/v1/me", &token).0, 401, "{name}");
        assert_eq!(me_with_cookie(&app.base, &cookie2), 401, "{name}");
        assert_eq!(me_with_cookie(&app.base, &cookie), 401, "{name}");
    }
    // A new display name ends nothing.
    let id = app.user("by.name", &["sampler"]);
    let token = app.token("by.name");
    let (s, _) = app.send(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(&root),
        json!({"display_name": "新名字", "version": 1}),
    );
    assert_eq!(s, 200);
    assert_eq!(app.get("/api/v1/me", &token).0, 200);
}

fn sessions_are_listed_and_revoked_only_by_their_owner(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    app.user("li.na", &["sampler"]);
    let t1 = app.token("wang");
    let t2 = app.token("wang");
    let li = app.token("li.na");
    form_session(&app, "wang");
    app.clock.advance(Duration::minutes(2));
    let (s, list) = app.get("/api/v1/auth/sessions", &t1);
    assert_eq!(s, 200, "{list}");
    let items = list.as_array().expect("a list");
    assert_eq!(items.len(), 3, "{list}");
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "token").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "session").count(), 1);
    let current: Vec<_> = items.iter().filter(|i| i["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["kind"], "token");
    for i in items {
        assert!(i["id"].is_i64() && i["created_at"].is_string(), "{i}");
        assert!(
            i.get("last_used_at").is_some() && i.get("client").is_some(),
            "{i}"
        );
        assert!(i["created_at"].as_str().unwrap().ends_with("+08:00"));
    }
    // The caller's use just now is recorded.
    assert!(current[0]["last_used_at"].is_string(), "{list}");
    let id_of = |token: &str| {
        let (_, l) = app.get("/api/v1/auth/sessions", token);
        l.as_array()
            .unwrap()
            .iter()
            .find(|i| i["current"] == true)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let t2_id = id_of(&t2);
    let li_id = id_of(&li);
    let session_id = items.iter().find(|i| i["kind"] == "session").unwrap()["id"]
        .as_i64()
        .unwrap();
    // Another user's session is not there for it.
    let (s, _) = app.send(
        "DELETE",
        &format!("/api/v1/auth/sessions/{li_id}"),
        Some(&t1),
        json!(null),
    );
    assert_eq!(s, 404);
    assert_eq!(app.get("/api/v1/me", &li).0, 200);
    let (s, _) = app.send(
        "DELETE",
        &format!("/api/v1/auth/sessions/{t2_id}"),
        Some(&t1),
        json!(null),
    );
    assert_eq!(s, 204);
    assert_eq!(app.get("/api/v1/me", &t2).0, 401);
    let (s, _) = app.send(
        "DELETE",
        &format!("/api/v1/auth/sessions/{t2_id}"),
        Some(&t1),
        json!(null),
    );
    assert_eq!(s, 404, "a revoked session is gone");
    let (s, _) = app.send(
        "DELETE",
        &format!("/api/v1/auth/sessions/{session_id}"),
        Some(&t1),
        json!(null),
    );
    assert_eq!(s, 204);
    let (s, _) = app.page("/");
    assert_eq!(s, 303, "the cookie session ended");
    let (_, list) = app.get("/api/v1/auth/sessions", &t1);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

fn the_account_page_lists_sessions_revokes_one_and_changes_the_password(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let token = app.token("wang");
    let token_id = {
        let (_, l) = app.get("/api/v1/auth/sessions", &token);
        l[0]["id"].as_i64().unwrap()
    };
    form_session(&app, "wang");
    let (s, home) = app.page("/");
    assert_eq!(s, 200);
    assert!(
        home.contains("href=\"/account\""),
        "the nav links the account page"
    );
    let (s, html) = app.page("/account");
    assert_eq!(s, 200);
    assert!(
        html.contains("修改密码") && html.contains("登录会话"),
        "{html}"
    );
    assert!(html.contains(&format!("/account/sessions/{token_id}/revoke")));
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(app.url(&format!("/account/sessions/{token_id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get("/api/v1/me", &token).0, 401);
    // A wrong old password comes back with the message.
    let r = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", "not my password"),
            ("new_password", "a brand new password"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("原密码"));
    let r = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", PASSWORD),
            ("new_password", "a brand new password"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    // Still logged in here; the new password is the one that works.
    let (s, _) = app.page("/account");
    assert_eq!(s, 200);
    let (s, _) = app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "wang", "password": "a brand new password"}),
    );
    assert_eq!(s, 200);
    // In English too.
    let (_, _) = app.page("/lang/en?next=/account");
    let (_, html) = app.page("/account");
    assert!(
        html.contains("Change password") && html.contains("Sessions"),
        "{html}"
    );
}

fn form_logins_logouts_and_revocations_are_audited(b: Backend) {
    let app = TestApp::spawn(b);
    let id = app.user("wang", &["sampler"]);
    let actions = |app: &TestApp| -> Vec<String> {
        let mut conn = app.db.conn();
        lims::workflow::audit::history(&mut conn, "user", &id.to_string())
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    };
    form_session(&app, "wang");
    assert_eq!(actions(&app)[0], "auth.login");
    form_logout(&app);
    assert_eq!(actions(&app)[0], "auth.logout");
    let t1 = app.token("wang");
    let t2 = app.token("wang");
    let (_, l) = app.get("/api/v1/auth/sessions", &t2);
    let t2_id = l
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["current"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = app.send(
        "DELETE",
        &format!("/api/v1/auth/sessions/{t2_id}"),
        Some(&t1),
        json!(null),
    );
    assert_eq!(s, 204);
    assert_eq!(actions(&app)[0], "auth.session_revoked");
    let (s, _) = app.send("POST", "/api/v1/auth/logout", Some(&t1), json!({}));
    assert_eq!(s, 204);
    assert_eq!(actions(&app)[0], "auth.logout");
    let mut conn = app.db.conn();
    let rows = lims::workflow::audit::history(&mut conn, "user", &id.to_string()).unwrap();
    assert!(rows
        .iter()
        .filter(|r| r.action.starts_with("auth."))
        .all(|r| r.actor == "wang"));
}

fn weak_passwords_are_refused_with_the_field_named(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    for pw in [
        "            ",
        "\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}",
        " \t\u{3000}\u{feff}\u{00a0}\u{2060}\u{200d} \u{3000}\u{200c}\n",
        "password123",
        "12345678910",
        "qwertyuiop",
        "admin123456",
        "  Password123 ",
        "Newbie.User",
    ] {
        let (s, e) = app.send(
            "POST",
            "/api/v1/users",
            Some(&admin),
            json!({"username": "newbie.user", "display_name": "x", "password": pw, "roles": ["sampler"]}),
        );
        assert_eq!(s, 422, "{pw:?}: {e}");
        assert!(e["error"]["fields"]["password"].is_string(), "{pw:?}: {e}");
    }
    let (s, e) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        json!({"username": "newbie.user", "display_name": "x", "password": PASSWORD, "roles": ["sampler"]}),
    );
    assert_eq!(s, 201, "{e}");
    // The same rules on a reset.
    let id = e["id"].as_i64().unwrap();
    let (s, e) = app.send(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"password": "qwertyuiop", "version": 1}),
    );
    assert_eq!(s, 422, "{e}");
    assert!(e["error"]["fields"]["password"].is_string());
    // The demo users' generated password passes.
    let created =
        lims::seed::load_demo_users(&mut app.db.conn(), app.clock.now_naive()).expect("demo");
    assert!(created.is_some());
}

fn a_logout_on_one_server_process_holds_on_another(b: Backend) {
    let clock = lims::clock::FixedClock::new(crate::support::test_start());
    let db = TestDb::new(b, &clock);
    make_user(&db, &clock, "wang", &["sampler"], None);
    let url = match &db.url {
        lims::config::DatabaseUrl::Sqlite(p) => p.to_string_lossy().to_string(),
        lims::config::DatabaseUrl::Postgres(u) => u.clone(),
    };
    let a = ServerProcess::start(&url, &[]);
    let b2 = ServerProcess::start(&url, &[]);
    let client = bare_client();
    // A bearer token from A, logged out on B.
    let r = client
        .post(format!("{}/api/v1/auth/login", a.base_url))
        .json(&json!({"username": "wang", "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = |base: &str| {
        client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(me(&a.base_url), 200);
    assert_eq!(me(&b2.base_url), 200);
    let r = client
        .post(format!("{}/api/v1/auth/logout", b2.base_url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(me(&a.base_url), 401);
    // A cookie session from A's login form, logged out with B's form.
    let jar = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let html = jar
        .get(format!("{}/login", a.base_url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = csrf_of(&html);
    let r = jar
        .post(format!("{}/login", a.base_url))
        .form(&[
            ("username", "wang"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = set_cookie(&r, lims::web::session::SESSION_COOKIE).expect("session cookie");
    assert_eq!(me_with_cookie(&a.base_url, &cookie), 200);
    // Cookies do not depend on the port, so the jar sends A's cookies to B.
    let html = jar
        .get(format!("{}/", b2.base_url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = csrf_of(&html);
    let r = jar
        .post(format!("{}/logout", b2.base_url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(me_with_cookie(&a.base_url, &cookie), 401);
}

/// Item 10: a login removes the user's ended sessions and tokens and keeps at most
/// `MAX_LIVE_CREDENTIALS` live ones (the oldest end), so repeated logins from one
/// account cannot grow `api_tokens` without bound.
fn logins_do_not_pile_up_sessions_without_bound(b: Backend) {
    use diesel::prelude::*;
    use lims::db::schema::api_tokens;
    use lims::workflow::accounts::MAX_LIVE_CREDENTIALS;
    let app = TestApp::spawn(b);
    app.user("li.na", &["sampler"]);
    let login = |app: &TestApp| {
        let (s, v) = app.send(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "li.na", "password": PASSWORD}),
        );
        assert_eq!(s, 200, "{v}");
        v["token"].as_str().unwrap().to_string()
    };
    let rows = |app: &TestApp| -> (i64, i64) {
        let all: i64 = api_tokens::table
            .count()
            .get_result(&mut *app.db.conn())
            .unwrap();
        let live: i64 = api_tokens::table
            .filter(api_tokens::revoked_at.is_null())
            .count()
            .get_result(&mut *app.db.conn())
            .unwrap();
        (all, live)
    };
    let first = login(&app);
    let (s, _) = app.send("POST", "/api/v1/auth/logout", Some(&first), json!({}));
    assert_eq!(s, 204);
    assert_eq!(
        rows(&app),
        (1, 0),
        "the ended token is kept until the next login"
    );
    let second = login(&app);
    assert_eq!(rows(&app), (1, 1), "the next login removes the ended one");
    // Many live sessions (as if from many logins): the next login ends the oldest.
    let user_id: i64 = lims::db::schema::users::table
        .filter(lims::db::schema::users::username.eq("li.na"))
        .select(lims::db::schema::users::id)
        .first(&mut *app.db.conn())
        .unwrap();
    let now = app.clock.now_naive();
    for i in 0..MAX_LIVE_CREDENTIALS + 5 {
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user_id),
                api_tokens::token_hash.eq(format!("{i:064}")),
                api_tokens::created_at.eq(now - chrono::Duration::minutes(100 - i)),
                api_tokens::expires_at.eq(now + chrono::Duration::days(1)),
                api_tokens::kind.eq("session"),
            ))
            .execute(&mut *app.db.conn())
            .unwrap();
    }
    let third = login(&app);
    let (all, live) = rows(&app);
    assert_eq!(live, MAX_LIVE_CREDENTIALS, "at most this many live at once");
    assert_eq!(
        all,
        MAX_LIVE_CREDENTIALS + 7,
        "the ended ones go at the next login"
    );
    let (s, _) = app.get("/api/v1/me", &third);
    assert_eq!(s, 200, "the new login is live");
    let (s, _) = app.get("/api/v1/me", &second);
    assert_eq!(s, 200, "the newest ones stay live");
    let _ = login(&app);
    assert_eq!(rows(&app), (MAX_LIVE_CREDENTIALS + 1, MAX_LIVE_CREDENTIALS));
}
