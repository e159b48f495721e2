//! Security properties that SECURITY.md names and no other test file proves: SQL
//! metacharacters stay text, the login form is throttled and never sends anyone off
//! site, secrets are stored only as hashes, deactivation ends a session at once,
//! cookies are Secure behind an https address, and the server secret is long and private.

use std::sync::Arc;

use actix_web::{test, web, App};
use diesel::prelude::*;
use lims::clock::FixedClock;
use lims::config::Config;
use lims::web::session::{CSRF_COOKIE, SESSION_COOKIE};
use lims::web::AppState;
use serde_json::json;
use sha2::Digest;

use crate::intake::setup;
use crate::pages::login_form;
use crate::support::{make_user, test_start, url_encode, Backend, TestApp, TestDb, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    sql_metacharacters_in_searches_and_filters_are_only_text,
    the_login_form_is_throttled_and_never_redirects_off_site,
    passwords_of_ten_characters_or_more_are_stored_as_argon2id_and_tokens_as_their_sha256,
    a_deactivated_users_session_ends_at_once,
    cookies_are_secure_when_the_public_address_is_https,
    a_short_server_secret_is_refused_and_a_created_one_is_private,
    an_unknown_user_and_a_wrong_password_get_the_same_answer,
    a_body_over_one_megabyte_is_refused_and_writes_nothing,
];

fn sql_metacharacters_in_searches_and_filters_are_only_text(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let name = "某超市'); DROP TABLE samples; --";
    let first17 = "91630104MA752K8R3";
    let uscc = format!(
        "{first17}{}",
        lims::domain::uscc::check_character(first17).expect("check character")
    );
    let (st, e) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&i.token),
        json!({"name": name, "uscc": uscc, "kind": "market", "address": "西宁市城西区",
               "region_code": "630104"}),
    );
    assert_eq!(st, 201, "{e}");
    assert_eq!(e["name"], name, "stored as written");
    crate::intake::register(&app, &i);
    for q in [
        "' OR '1'='1",
        "x' OR 1=1 --",
        "\") OR (\"1\"=\"1",
        "1; DELETE FROM samples",
    ] {
        for list in ["/api/v1/entities", "/api/v1/samples"] {
            let (st, v) = app.get(&format!("{list}?q={}", url_encode(q)), &i.token);
            assert_eq!(st, 200, "{list} {q}: {v}");
            assert_eq!(v["total"], 0, "{list} {q} matched as SQL: {v}");
        }
    }
    // The name with its quotes finds exactly its entity, and the tables are all there.
    let (st, v) = app.get(
        &format!("/api/v1/entities?q={}", url_encode(name)),
        &i.token,
    );
    assert_eq!((st, v["total"].clone()), (200, json!(1)), "{v}");
    let (st, v) = app.get("/api/v1/samples", &i.token);
    assert_eq!((st, v["total"].clone()), (200, json!(1)), "{v}");
    // Filters that reach raw SQL are checked first.
    let (st, v) = app.get(
        &format!(
            "/api/v1/stats/summary?year=2026&region={}",
            url_encode("630104' OR '1'='1")
        ),
        &i.supervisor,
    );
    assert_eq!(st, 422, "{v}");
    let (st, v) = app.get(
        &format!(
            "/api/v1/stats/disposal?year=2026&region={}",
            url_encode("630104'; --")
        ),
        &i.supervisor,
    );
    assert_eq!(st, 422, "{v}");
}

fn the_login_form_is_throttled_and_never_redirects_off_site(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    // `next` pointing off site falls back to the home page.
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let (_, html) = app.page("/login");
        let csrf = crate::support::csrf_of(&html);
        let r = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("username", "wang"),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", next),
            ])
            .send()
            .expect("login");
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/", "next = {next}");
        crate::pages::form_logout(&app);
    }
    // Five wrong passwords a minute on the form, then even the right one waits.
    for _ in 0..5 {
        assert_eq!(login_form(&app, "wang", "guess").status(), 401);
    }
    let r = login_form(&app, "wang", PASSWORD);
    assert_eq!(r.status(), 429);
    assert!(!r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap_or("").starts_with(SESSION_COOKIE)));
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(login_form(&app, "wang", PASSWORD).status(), 303);
}

fn passwords_of_ten_characters_or_more_are_stored_as_argon2id_and_tokens_as_their_sha256(
    b: Backend,
) {
    use lims::db::schema::{api_tokens, users};
    let app = TestApp::spawn(b);
    let token = app.user_token("wang", &["sampler"]);
    // Nine characters are too few.
    let admin = app.user_token("root", &["admin"]);
    let (st, e) = app.send(
        "POST",
        "/api/v1/users",
        Some(&admin),
        json!({"username": "li", "display_name": "李", "password": "123456789", "roles": ["sampler"]}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["password"].is_string(), "{e}");
    let mut conn = app.db.conn();
    let hash: String = users::table
        .filter(users::username.eq("wang"))
        .select(users::password_hash)
        .first(&mut *conn)
        .expect("user");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    let stored: Vec<String> = api_tokens::table
        .inner_join(users::table)
        .filter(users::username.eq("wang"))
        .select(api_tokens::token_hash)
        .load(&mut *conn)
        .expect("tokens");
    assert_eq!(
        stored,
        vec![hex::encode(sha2::Sha256::digest(token.as_bytes()))]
    );
}

fn a_deactivated_users_session_ends_at_once(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let id = make_user(&app.db, &app.clock, "leaver", &["sampler"], None);
    assert_eq!(login_form(&app, "leaver", PASSWORD).status(), 303);
    assert_eq!(app.page("/samples").0, 200);
    let (st, u) = app.send(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"active": false, "version": 1}),
    );
    assert_eq!(st, 200, "{u}");
    // The same signed cookie, still within its 12 hours: the user row says no.
    let r = app.client.get(app.url("/samples")).send().expect("page");
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap_or("")
        .starts_with("/login?next="));
}

fn cookies_are_secure_when_the_public_address_is_https(b: Backend) {
    let clock = FixedClock::new(test_start());
    let db = TestDb::new(b, &clock);
    make_user(&db, &clock, "wang", &["sampler"], None);
    let data_dir = tempfile::tempdir().expect("data dir");
    let config = Config {
        database_url: db.url.clone(),
        bind: "127.0.0.1:0".into(),
        base_url: "https://lims.example.cn".into(),
        data_dir: data_dir.path().to_path_buf(),
        secret: b"another test secret, long enough for hmac".to_vec(),
        verify_per_minute: lims::config::DEFAULT_VERIFY_PER_MINUTE,
        nominate_per_minute: lims::config::DEFAULT_NOMINATE_PER_MINUTE,
        quotas: Default::default(),
    };
    let state = AppState::new(db.db.clone(), Arc::new(clock), config);
    actix_web::rt::System::new().block_on(async move {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(state))
                .wrap(actix_web::middleware::from_fn(
                    lims::web::errors::render_errors,
                ))
                .configure(lims::web::configure),
        )
        .await;
        let resp =
            test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
        let csrf = resp
            .response()
            .cookies()
            .find(|c| c.name() == CSRF_COOKIE)
            .expect("a CSRF cookie")
            .into_owned();
        assert_eq!(csrf.secure(), Some(true));
        assert_eq!(csrf.http_only(), Some(true));
        let body = test::read_body(resp).await;
        let token = crate::support::csrf_of(&String::from_utf8_lossy(&body));
        let req = test::TestRequest::post()
            .uri("/login")
            .cookie(csrf)
            .set_form([
                ("username", "wang"),
                ("password", PASSWORD),
                ("csrf", token.as_str()),
            ])
            .to_request();
        let resp = test::call_service(&app, req).await;
        assert_eq!(resp.status(), 303);
        let session = resp
            .response()
            .cookies()
            .find(|c| c.name() == SESSION_COOKIE)
            .expect("a session cookie");
        assert_eq!(session.secure(), Some(true));
        assert_eq!(session.http_only(), Some(true));
        assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Lax));
    });
}

fn a_short_server_secret_is_refused_and_a_created_one_is_private(_b: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_string_lossy().to_string();
    let short = d.clone();
    let env = move |k: &str| match k {
        "LIMS_DATA_DIR" => Some(short.clone()),
        "LIMS_SECRET" => Some("only sixteen chr".to_string()),
        _ => None,
    };
    let Err(e) = Config::from_sources(&env, None) else {
        panic!("a short secret is refused");
    };
    assert!(e.0.contains("32"), "{}", e.0);
    let env = move |k: &str| (k == "LIMS_DATA_DIR").then(|| d.clone());
    let c = Config::from_sources(&env, None).expect("config");
    assert_eq!(c.secret.len(), 32, "32 random bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret"))
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }
    // A second start reads the same secret: cookies and printed codes stay valid.
    assert_eq!(
        Config::from_sources(&env, None).expect("config").secret,
        c.secret
    );
}

fn an_unknown_user_and_a_wrong_password_get_the_same_answer(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let login = |username: &str| {
        app.send(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": "not the password"}),
        )
    };
    let (st_known, known) = login("wang");
    let (st_unknown, unknown) = login("nobody");
    assert_eq!((st_known, st_unknown), (401, 401));
    assert_eq!(
        known, unknown,
        "the answer does not tell whether the user exists"
    );
}

fn a_body_over_one_megabyte_is_refused_and_writes_nothing(b: Backend) {
    let app = TestApp::spawn(b);
    let before = app.audit_count();
    let reason = "很".repeat(400_000);
    let (st, e) = app.send(
        "POST",
        "/api/v1/public/nominations",
        None,
        json!({"product": "散装白酒", "place": "市场", "reason": reason, "region_code": "630104"}),
    );
    assert_eq!(st, 400, "{e}");
    assert_eq!(e["error"]["code"], "bad_request");
    assert_eq!(app.audit_count(), before);
}
