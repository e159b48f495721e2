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

use crate::support::fixtures::{form_logout, login_form, register, setup};
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
    a_hundred_parallel_wrong_passwords_run_at_most_five_verifications,
    spraying_nine_usernames_three_times_from_one_address_is_cut_off_at_twenty,
    five_wrong_guesses_from_one_address_do_not_lock_the_user_out_from_another,
    a_lock_out_is_audited_once_however_many_attempts_it_refuses,
    login_attempts_and_limit_counts_older_than_any_limit_reads_are_pruned,
    x_forwarded_for_is_ignored_without_trusted_proxies_and_honoured_with_them,
    the_login_and_verification_limits_hold_across_two_server_processes,
    hostile_next_values_lead_to_the_home_page_and_never_to_a_500,
    every_kind_of_answer_carries_the_security_headers,
    hsts_is_sent_when_the_public_address_is_https,
    templates_have_no_inline_scripts_or_event_handlers,
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
    register(&app, &i);
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
        form_logout(&app);
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
        trusted_proxies: Default::default(),
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

// ------------------------------------------------------------------ login throttling

/// A client whose connections come from `ip` (any 127.x.y.z address is this machine on
/// Linux, so tests can be several clients without a proxy).
fn client_from(ip: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

fn api_login(
    client: &reqwest::blocking::Client,
    base: &str,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    let mut rb = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    if let Some(f) = forwarded_for {
        rb = rb.header("X-Forwarded-For", f);
    }
    rb.send().expect("login").status().as_u16()
}

fn attempts_of(db: &TestDb, username: &str) -> i64 {
    use lims::db::schema::login_attempts;
    login_attempts::table
        .filter(login_attempts::username.eq(username))
        .count()
        .get_result(&mut *db.conn())
        .expect("count")
}

fn a_hundred_parallel_wrong_passwords_run_at_most_five_verifications(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let url = app.url("/api/v1/auth/login");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let url = url.clone();
                s.spawn(move || {
                    reqwest::blocking::Client::new()
                        .post(url)
                        .json(&json!({"username": "wang", "password": format!("wrong guess {i}")}))
                        .send()
                        .expect("login")
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(wrong + refused, 100, "{statuses:?}");
    assert!(wrong <= 5, "{wrong} attempts were verified: {statuses:?}");
    // Every verification leaves an attempt row; refused attempts leave none.
    let verified = attempts_of(&app.db, "wang");
    assert!(
        (1..=5).contains(&verified),
        "{verified} verifications for 100 parallel attempts"
    );
}

fn spraying_nine_usernames_three_times_from_one_address_is_cut_off_at_twenty(b: Backend) {
    let app = TestApp::spawn(b);
    let names: Vec<String> = (1..=9).map(|i| format!("user{i}")).collect();
    for n in &names {
        app.user(n, &["sampler"]);
    }
    let client = client_from("127.0.0.1");
    let mut statuses = Vec::new();
    for round in 0..3 {
        for n in &names {
            statuses.push(api_login(
                &client,
                &app.base,
                n,
                &format!("spray {round}"),
                None,
            ));
        }
    }
    assert_eq!(statuses[..20], [401; 20], "{statuses:?}");
    assert_eq!(statuses[20..], [429; 7], "{statuses:?}");
    // The right password from that address waits too; from another address it works.
    assert_eq!(api_login(&client, &app.base, "user1", PASSWORD, None), 429);
    assert_eq!(
        api_login(
            &client_from("127.0.0.2"),
            &app.base,
            "user1",
            PASSWORD,
            None
        ),
        200
    );
    // A minute later the address may try again.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(api_login(&client, &app.base, "user1", PASSWORD, None), 200);
}

fn five_wrong_guesses_from_one_address_do_not_lock_the_user_out_from_another(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let attacker = client_from("127.0.0.3");
    for _ in 0..5 {
        assert_eq!(
            api_login(&attacker, &app.base, "wang", "guess guess", None),
            401
        );
    }
    assert_eq!(api_login(&attacker, &app.base, "wang", PASSWORD, None), 429);
    let owner = client_from("127.0.0.4");
    assert_eq!(api_login(&owner, &app.base, "wang", PASSWORD, None), 200);
    // The form too.
    let (_, html) = {
        let r = owner.get(app.url("/login")).send().expect("page");
        (r.status().as_u16(), r.text().expect("html"))
    };
    let csrf = crate::support::csrf_of(&html);
    let r = owner
        .post(app.url("/login"))
        .form(&[
            ("username", "wang"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .expect("login");
    assert_eq!(r.status(), 303);
}

fn a_lock_out_is_audited_once_however_many_attempts_it_refuses(b: Backend) {
    use lims::db::schema::audit_log;
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let client = client_from("127.0.0.5");
    for _ in 0..5 {
        assert_eq!(
            api_login(&client, &app.base, "wang", "guess guess", None),
            401
        );
    }
    for _ in 0..4 {
        assert_eq!(
            api_login(&client, &app.base, "wang", "guess guess", None),
            429
        );
    }
    let rows: Vec<(String, String, String)> = audit_log::table
        .filter(audit_log::action.eq("auth.locked_out"))
        .select((
            audit_log::entity_kind,
            audit_log::entity_id,
            audit_log::after_json.assume_not_null(),
        ))
        .load(&mut *app.db.conn())
        .expect("audit");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].1, "wang", "{rows:?}");
    assert!(rows[0].2.contains("127.0.0.5"), "{rows:?}");
    // The next minute's lock-out is a new one.
    app.clock.advance(chrono::Duration::seconds(61));
    for _ in 0..6 {
        api_login(&client, &app.base, "wang", "guess guess", None);
    }
    let n: i64 = audit_log::table
        .filter(audit_log::action.eq("auth.locked_out"))
        .count()
        .get_result(&mut *app.db.conn())
        .expect("count");
    assert_eq!(n, 2);
}

fn login_attempts_and_limit_counts_older_than_any_limit_reads_are_pruned(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    for i in 0..4 {
        assert_eq!(
            api_login(&app.client, &app.base, "wang", &format!("guess {i}"), None),
            401
        );
    }
    assert_eq!(attempts_of(&app.db, "wang"), 4);
    app.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(
        api_login(&app.client, &app.base, "wang", "guess again", None),
        401
    );
    assert_eq!(
        attempts_of(&app.db, "wang"),
        1,
        "older attempts were pruned"
    );
}

/// `lims serve` processes need users made before they start; the test database is
/// shared, the clock of the processes is the real one.
fn served_db(b: Backend) -> TestDb {
    let clock = FixedClock::new(chrono::Utc::now());
    let db = TestDb::new(b, &clock);
    make_user(&db, &clock, "wang", &["sampler"], None);
    db
}

fn x_forwarded_for_is_ignored_without_trusted_proxies_and_honoured_with_them(b: Backend) {
    use crate::support::process::ServerProcess;
    let db = served_db(b);
    let url = db.url.to_string();
    // Without LIMS_TRUSTED_PROXIES the header is the client's word: ignored.
    let plain = ServerProcess::start(&url, &[]);
    let c = client_from("127.0.0.6");
    for i in 0..5 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(
            api_login(&c, &plain.base_url, "wang", "guess guess", Some(&ip)),
            401
        );
    }
    assert_eq!(
        api_login(&c, &plain.base_url, "wang", PASSWORD, Some("203.0.113.99")),
        429
    );
    drop(plain);
    // Behind a trusted proxy the rightmost untrusted hop is the client.
    let proxied = ServerProcess::start(&url, &[("LIMS_TRUSTED_PROXIES", "127.0.0.7, 10.0.0.0/8")]);
    let proxy = client_from("127.0.0.7");
    for _ in 0..5 {
        // The client claims to be someone else on the left; only the hop the proxy saw counts.
        assert_eq!(
            api_login(
                &proxy,
                &proxied.base_url,
                "wang",
                "guess guess",
                Some("198.51.100.9, 192.0.2.1, 10.1.2.3")
            ),
            401
        );
    }
    assert_eq!(
        api_login(
            &proxy,
            &proxied.base_url,
            "wang",
            PASSWORD,
            Some("192.0.2.1")
        ),
        429
    );
    assert_eq!(
        api_login(
            &proxy,
            &proxied.base_url,
            "wang",
            PASSWORD,
            Some("192.0.2.2")
        ),
        200
    );
    // A peer that is not a trusted proxy cannot choose its address with the header.
    let direct = client_from("127.0.0.8");
    for i in 0..5 {
        let ip = format!("198.51.100.{i}");
        assert_eq!(
            api_login(&direct, &proxied.base_url, "wang", "guess guess", Some(&ip)),
            401
        );
    }
    assert_eq!(
        api_login(
            &direct,
            &proxied.base_url,
            "wang",
            PASSWORD,
            Some("198.51.100.200")
        ),
        429
    );
}

fn the_login_and_verification_limits_hold_across_two_server_processes(b: Backend) {
    use crate::support::process::ServerProcess;
    let db = served_db(b);
    let url = db.url.to_string();
    let env = [("LIMS_VERIFY_PER_MINUTE", "4")];
    let one = ServerProcess::start(&url, &env);
    let two = ServerProcess::start(&url, &env);
    // Login: five failures shared between the instances, then both refuse.
    let c = client_from("127.0.0.9");
    for i in 0..5 {
        let base = if i % 2 == 0 {
            &one.base_url
        } else {
            &two.base_url
        };
        assert_eq!(api_login(&c, base, "wang", "guess guess", None), 401);
    }
    assert_eq!(api_login(&c, &one.base_url, "wang", PASSWORD, None), 429);
    assert_eq!(api_login(&c, &two.base_url, "wang", PASSWORD, None), 429);
    // Verification: four a minute per client address in all, whichever instance
    // answers. The limit counts in minute windows of the real clock here; a run that
    // straddles a minute is repeated with a fresh address.
    let minute = || chrono::Utc::now().timestamp() / 60;
    for attempt in 10..13 {
        let c = client_from(&format!("127.0.0.{attempt}"));
        let started = minute();
        let statuses: Vec<u16> = (0..6)
            .map(|i| {
                let base = if i % 2 == 0 {
                    &one.base_url
                } else {
                    &two.base_url
                };
                c.get(format!("{base}/api/v1/verify/NO-SUCH-REPORT?k=x"))
                    .send()
                    .expect("verify")
                    .status()
                    .as_u16()
            })
            .collect();
        if minute() != started {
            continue;
        }
        assert_eq!(statuses, [404, 404, 404, 404, 429, 429]);
        return;
    }
    panic!("three runs each straddled a minute");
}

// ------------------------------------------------------------------ redirects

fn hostile_next_values_lead_to_the_home_page_and_never_to_a_500(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("wang", &["sampler"]);
    let hostile = [
        "/\t/evil.example",
        "/%09/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/%0d%0aSet-Cookie:%20x=1",
        "//evil.example",
        "/\\evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "",
        " /x",
    ];
    for next in hostile {
        // The login page keeps only a safe value for its form.
        let (s, html) = app.page(&format!("/login?next={}", url_encode(next)));
        assert_eq!(s, 200, "next = {next:?}");
        assert!(
            html.contains("name=\"next\" value=\"/\""),
            "next = {next:?} kept in the form"
        );
        // The language switch.
        let r = app
            .client
            .get(app.url(&format!("/lang/en?next={}", url_encode(next))))
            .send()
            .expect("lang");
        assert_eq!(r.status(), 303, "next = {next:?}");
        assert_eq!(r.headers()["location"], "/", "next = {next:?}");
        // The login form itself, sent with the hostile value.
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
        assert_eq!(r.status(), 303, "next = {next:?}");
        assert_eq!(r.headers()["location"], "/", "next = {next:?}");
        form_logout(&app);
    }
    // A safe value is kept.
    let (_, html) = app.page("/login?next=%2Fsamples%3Fpage%3D2");
    assert!(
        html.contains("name=\"next\" value=\"/samples?page=2\""),
        "{html}"
    );
}

// ------------------------------------------------------------------ headers

fn assert_security_headers(what: &str, r: &reqwest::blocking::Response) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .expect("csp");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        h.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"same-origin"[..]),
        "{what}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}"
    );
}

fn every_kind_of_answer_carries_the_security_headers(b: Backend) {
    let app = TestApp::spawn(b);
    let token = app.user_token("wang", &["sampler"]);
    let anonymous = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (what, path) in [
        ("login page", "/login"),
        ("redirect to login", "/samples"),
        ("404 page", "/no/such/page"),
        ("public page", "/public"),
        ("stylesheet", "/static/app.css"),
        ("script", "/static/app.js"),
        ("health", "/healthz"),
        ("API 401", "/api/v1/me"),
    ] {
        let r = anonymous.get(app.url(path)).send().expect("get");
        assert_ne!(r.status(), 500, "{what}");
        assert!(
            !(what == "script" && r.status() != 200),
            "the script is served"
        );
        assert_security_headers(what, &r);
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{what}: http"
        );
    }
    let r = anonymous
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .expect("me");
    assert_eq!(r.status(), 200);
    assert_security_headers("API 200", &r);
    // Logged-in pages: home, a form, a 403 page.
    let r = login_form(&app, "wang", PASSWORD);
    assert_eq!(r.status(), 303);
    for (what, path) in [
        ("home", "/"),
        ("form", "/samples/new"),
        ("403 page", "/admin/users"),
    ] {
        let r = app.client.get(app.url(path)).send().expect("page");
        assert_security_headers(what, &r);
    }
}

fn hsts_is_sent_when_the_public_address_is_https(b: Backend) {
    use crate::support::process::ServerProcess;
    let db = served_db(b);
    let s = ServerProcess::start(
        &db.url.to_string(),
        &[("LIMS_BASE_URL", "https://lims.example.org")],
    );
    for path in ["/login", "/healthz"] {
        let r = reqwest::blocking::get(s.url(path)).expect("get");
        let hsts = r
            .headers()
            .get("strict-transport-security")
            .unwrap_or_else(|| panic!("{path}: no HSTS"))
            .to_str()
            .expect("hsts")
            .to_string();
        assert!(hsts.starts_with("max-age="), "{hsts}");
        assert_security_headers(path, &r);
    }
}

/// Content-Security-Policy forbids inline scripts, so no template may hold one: every
/// script is a file under templates/static, served by the app.
fn templates_have_no_inline_scripts_or_event_handlers(b: Backend) {
    if b != Backend::Sqlite {
        return;
    }
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("templates").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut files,
    );
    assert!(files.len() > 10);
    let handler = |t: &str| {
        let lower = t.to_ascii_lowercase();
        lower.match_indices(" on").any(|(i, _)| {
            let rest = &lower[i + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect();
            !name.is_empty() && rest[name.len()..].trim_start().starts_with('=')
        })
    };
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, _) in text.match_indices("<script") {
            let tag = &text[i..text[i..].find('>').map_or(text.len(), |j| i + j)];
            assert!(
                tag.contains(" src=") || tag.contains("application/json"),
                "{}: inline script {tag}",
                f.display()
            );
        }
        assert!(!handler(&text), "{}: an inline event handler", f.display());
        assert!(
            !text.contains("javascript:"),
            "{}: a javascript: URL",
            f.display()
        );
    }
}
