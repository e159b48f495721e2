//! Accounts and security over HTTP: login, tokens, throttling, deactivation, roles,
//! versions, and the audit rows that every change leaves.

use chrono::Duration;
use serde_json::json;

use crate::support::{Backend, TestApp, PASSWORD};
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
