//! Bad input gets a clear 4xx with the error shape of API.md, never a 500, and nothing
//! is written.

use serde_json::{json, Value};

use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    malformed_bodies_get_4xx_and_write_nothing,
    bad_paths_and_queries_are_client_errors,
    every_api_error_carries_fields_whatever_its_status,
    a_bad_query_value_is_422_naming_its_field,
];

fn assert_error_shape(s: u16, v: &Value, expect: &[u16], what: &str) {
    assert!(expect.contains(&s), "{what}: status {s}, body {v}");
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no error code in {v}"));
    let want = match s {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "validation",
        429 => "rate_limited",
        _ => "?",
    };
    assert_eq!(code, want, "{what}");
    assert!(
        v["error"]["fields"].is_object(),
        "{what}: `fields` must be an object on every status: {v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}"
    );
}

fn malformed_bodies_get_4xx_and_write_nothing(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let uid = app.user("someone", &["sampler"]);
    let audit_before = app.audit_count();
    let user_path = format!("/api/v1/users/{uid}");
    let long = "x".repeat(10_000);
    // (method, path, raw body, allowed statuses)
    let cases: Vec<(&str, String, String, &[u16])> = vec![
        ("POST", "/api/v1/users".into(), "{".into(), &[400]),
        ("POST", "/api/v1/users".into(), "".into(), &[400]),
        ("POST", "/api/v1/users".into(), "null".into(), &[400]),
        ("POST", "/api/v1/users".into(), "[]".into(), &[400]),
        ("POST", "/api/v1/users".into(), "\"text\"".into(), &[400]),
        ("POST", "/api/v1/users".into(), r#"{"username": 5}"#.into(), &[400]),
        ("POST", "/api/v1/users".into(), r#"{"username":"a","display_name":"b","password":"c","roles":"admin"}"#.into(), &[400]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b","password":"long enough pw","roles":["sampler"],"extra":1}"#.into(), &[400]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b","password":"long enough pw","roles":[]}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), format!(r#"{{"username":"abc","display_name":"{long}","password":"long enough pw","roles":["sampler"]}}"#), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"a b","display_name":"b","password":"long enough pw","roles":["sampler"]}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b\u0000c","password":"long enough pw","roles":["sampler"]}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"   ","password":"long enough pw","roles":["sampler"]}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b","password":"short","roles":["sampler"]}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b","password":"long enough pw","roles":["sampler"],"region_code":"63"}"#.into(), &[422]),
        ("POST", "/api/v1/users".into(), r#"{"username":"abc","display_name":"b","password":"long enough pw","roles":[null]}"#.into(), &[400]),
        ("PATCH", user_path.clone(), r#"{"display_name":"x"}"#.into(), &[400]),
        ("PATCH", user_path.clone(), r#"{"version":"one"}"#.into(), &[400]),
        ("PATCH", user_path.clone(), r#"{"version":99,"display_name":"x"}"#.into(), &[409]),
        ("PATCH", user_path.clone(), r#"{"version":1,"roles":["root"]}"#.into(), &[422]),
        ("PATCH", user_path.clone(), r#"{"version":1,"active":"yes"}"#.into(), &[400]),
        ("PATCH", "/api/v1/users/999999".into(), r#"{"version":1,"display_name":"x"}"#.into(), &[404]),
        ("POST", "/api/v1/auth/login".into(), "{}".into(), &[400]),
        ("POST", "/api/v1/auth/login".into(), r#"{"username":["a"],"password":"b"}"#.into(), &[400]),
        ("POST", "/api/v1/auth/login".into(), format!(r#"{{"username":"{long}","password":"b"}}"#), &[401]),
        ("PUT", "/api/v1/regions/632222/population".into(), r#"{"population":"many","year":2024}"#.into(), &[400]),
        ("PUT", "/api/v1/regions/632222/population".into(), r#"{"population":-5,"year":2024}"#.into(), &[422]),
        ("PUT", "/api/v1/regions/632222/population".into(), r#"{"population":1e30,"year":2024}"#.into(), &[400]),
        ("PUT", "/api/v1/regions/632222/population".into(), r#"{"population":100,"year":1800}"#.into(), &[422]),
        ("POST", "/api/v1/test-items".into(), r#"{"name":"x"}"#.into(), &[400]),
        ("POST", "/api/v1/test-items".into(), r#"{"category_code":"01.01","name":"x","method_standard":"m","judgment_standard":"j","limit_kind":"max","limit_max":"abc","unit":"mg/kg"}"#.into(), &[422]),
        ("POST", "/api/v1/test-items".into(), r#"{"category_code":"01.01","name":"x","method_standard":"m","judgment_standard":"j","limit_kind":"max","limit_max":{"v":1},"unit":"mg/kg"}"#.into(), &[400]),
        ("POST", "/api/v1/test-items".into(), r#"{"category_code":"01.01","name":"<script>alert(1)</script>","method_standard":"m","judgment_standard":"j","limit_kind":"range","limit_min":"5","limit_max":"1","unit":"mg/kg"}"#.into(), &[422]),
        ("PATCH", "/api/v1/test-items/1".into(), r#"{"limit_max":"0.1"}"#.into(), &[400]),
        ("PATCH", "/api/v1/test-items/1".into(), r#"{"limit_kind":"between","version":1}"#.into(), &[422]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":"none","version":1}"#.into(), &[400]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":[{"key":"x"}],"version":1}"#.into(), &[400]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":[{"key":"Bad Key","value":1,"unit":"days","calendar":"calendar","citation":"c"}],"version":1}"#.into(), &[422]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":[{"key":"x","value":-3,"unit":"working_days","calendar":"official","citation":"c"}],"version":1}"#.into(), &[422]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":[{"key":"x","value":3,"unit":"fortnights","calendar":"official","citation":"c"}],"version":1}"#.into(), &[400]),
        ("PUT", "/api/v1/rule-profiles/food/supervision".into(), r#"{"rules":[],"domain":"drug","version":1}"#.into(), &[422]),
        ("PUT", "/api/v1/calendar-years/2030".into(), r#"{"source":"s","csv":"date,kind\n2030-01-01,holiday"}"#.into(), &[422]),
        ("PUT", "/api/v1/calendar-years/2030".into(), r#"{"source":"s","csv":"date,kind,name\n2030-13-01,holiday,x"}"#.into(), &[422]),
        ("PUT", "/api/v1/calendar-years/2030".into(), r#"{"source":"s","csv":"date,kind,name\n2030-01-02,party,x"}"#.into(), &[422]),
    ];
    assert!(cases.len() >= 30);
    for (method, path, body, expect) in &cases {
        let (s, v) = app.send_raw(method, path, Some(&admin), body);
        assert_error_shape(
            s,
            &v,
            expect,
            &format!("{method} {path} {}", &body[..body.len().min(80)]),
        );
    }
    assert_eq!(
        app.audit_count(),
        audit_before,
        "a refused request wrote to the audit log"
    );
    let (_, users) = app.get("/api/v1/users", &admin);
    assert_eq!(users["total"], 2, "a refused request created a user");
    // A body with the wrong content type is a 400 too.
    let r = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("username=x")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
}

fn bad_paths_and_queries_are_client_errors(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    for (path, want) in [
        ("/api/v1/users/abc", 400),
        ("/api/v1/users?page=0", 422),
        ("/api/v1/users?per_page=501", 422),
        ("/api/v1/users?page=x", 422),
        ("/api/v1/holidays?year=twenty", 422),
        ("/api/v1/holidays?year=999999", 422),
        ("/api/v1/test-items/99999999", 404),
        ("/api/v1/no-such-thing", 404),
    ] {
        let (s, v) = app.get(path, &admin);
        assert_error_shape(s, &v, &[want], path);
    }
    let (_, me) = app.get("/api/v1/me", &admin);
    let (s, v) = app.send(
        "PATCH",
        &format!("/api/v1/users/{}", me["id"]),
        Some(&admin),
        json!({"version": 1, "active": false}),
    );
    assert_eq!(s, 409, "an admin cannot deactivate itself: {v}");
}

/// API.md: "Errors always have this shape ... `fields` included on every status".
/// Errors actix answers itself (unreadable bodies, bad paths, unknown paths, a method
/// the path does not take) have it too; the HTML pages keep their error page.
fn every_api_error_carries_fields_whatever_its_status(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let sampler = app.user_token("field", &["sampler"]);
    let uid = app.user("someone", &["sampler"]);
    let mut seen = Vec::new();
    let mut check = |what: &str, (s, v): (u16, Value), want: u16| {
        assert_error_shape(s, &v, &[want], what);
        if s != 422 {
            assert_eq!(v["error"]["fields"], json!({}), "{what}: {v}");
        }
        seen.push(s);
    };
    check(
        "unreadable JSON",
        app.send_raw("POST", "/api/v1/users", Some(&admin), "{"),
        400,
    );
    check(
        "a JSON body too large",
        app.send_raw(
            "POST",
            "/api/v1/users",
            Some(&admin),
            &format!(r#"{{"username":"{}"}}"#, "x".repeat(2 << 20)),
        ),
        400,
    );
    check(
        "a path that is not a number",
        app.get("/api/v1/users/abc", &admin),
        400,
    );
    check("a bad token", app.get("/api/v1/me", "not-a-token"), 401);
    check(
        "no token",
        app.send("GET", "/api/v1/me", None, Value::Null),
        401,
    );
    check(
        "a role that may not",
        app.get("/api/v1/users", &sampler),
        403,
    );
    check(
        "an unknown /api path",
        app.get("/api/v1/no-such-thing", &admin),
        404,
    );
    check(
        "an unknown path outside v1",
        app.get("/api/v2/users", &admin),
        404,
    );
    check(
        "no such test item",
        app.get("/api/v1/test-items/99999999", &admin),
        404,
    );
    check(
        "a stale version",
        app.send(
            "PATCH",
            &format!("/api/v1/users/{uid}"),
            Some(&admin),
            json!({"version": 99, "display_name": "x"}),
        ),
        409,
    );
    check(
        "an invalid value",
        app.get("/api/v1/users?page=0", &admin),
        422,
    );
    for method in ["DELETE", "PUT"] {
        let (s, v) = app.send(method, "/api/v1/me", Some(&admin), json!({}));
        assert!(s == 404 || s == 405, "{method} /api/v1/me: {s} {v}");
        check(&format!("{method} /api/v1/me"), (s, v), s);
    }
    let mut last = (0, Value::Null);
    for _ in 0..6 {
        last = app.send(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": "someone", "password": "wrong password"}),
        );
    }
    check("too many logins", last, 429);
    assert!(seen.contains(&429) && seen.contains(&401));
    // Pages keep their error page.
    let r = app.client.get(app.url("/no-such-page")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html")));
}

/// A query value that cannot be read is 422 `validation` naming the field, like any
/// other invalid value (API.md), not a 400.
fn a_bad_query_value_is_422_naming_its_field(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let sup = app.user_token("watcher", &["supervisor"]);
    for (path, token, field) in [
        ("/api/v1/users?page=x", &admin, "page"),
        ("/api/v1/users?page=1&per_page=ten", &admin, "per_page"),
        ("/api/v1/holidays?year=twenty", &admin, "year"),
        ("/api/v1/holidays?year=99999999999", &admin, "year"),
        ("/api/v1/stats/disposal?year=twenty", &sup, "year"),
        ("/api/v1/stats/disposal?year=1800", &sup, "year"),
        ("/api/v1/stats/disposal?from=yesterday", &sup, "from"),
        ("/api/v1/stats/disposal?to=2026-02-30", &sup, "to"),
        ("/api/v1/stats/disposal?region=639999", &sup, "region"),
        ("/api/v1/stats/disposal?region=63", &sup, "region"),
        (
            "/api/v1/stats/disposal?year=twenty&region=630100",
            &sup,
            "year",
        ),
        (
            "/api/v1/stats/disposal?level=county&from=yesterday",
            &sup,
            "from",
        ),
        ("/api/v1/stats/disposal?from=2026-01-01&to=soon", &sup, "to"),
    ] {
        let (s, v) = app.get(path, token);
        assert_error_shape(s, &v, &[422], path);
        assert!(
            v["error"]["fields"][field].is_string(),
            "{path}: the field `{field}` is named: {v}"
        );
    }
}
