//! Bad input gets a clear 4xx with the error shape of API.md, never a 500, and nothing
//! is written.

use serde_json::{json, Value};

use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    malformed_bodies_get_4xx_and_write_nothing,
    bad_paths_and_queries_are_client_errors,
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
        _ => "?",
    };
    assert_eq!(code, want, "{what}");
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
        ("/api/v1/users?page=x", 400),
        ("/api/v1/holidays?year=twenty", 400),
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
