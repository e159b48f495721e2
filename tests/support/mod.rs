//! Test support: a fresh database per test (an SQLite file, or a PostgreSQL database
//! created and dropped around the test), and the same app as `main` served on a free
//! port, talked to from outside over HTTP.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use lims::clock::{Clock, FixedClock};
use lims::config::{Config, DatabaseUrl};
use lims::db::{Db, DbConnection};
use lims::web::AppState;
use lims::workflow::accounts::{self, NewUser};
use lims::workflow::Actor;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use: `LIMS_TEST_PG_URL`, by default the local one.
pub fn pg_admin_url() -> String {
    std::env::var("LIMS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Whether the PostgreSQL server answers, with the reason if not.
pub fn pg_available() -> Result<(), String> {
    PgConnection::establish(&pg_admin_url())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A fresh, migrated database with the shipped reference data.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub db: Db,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

/// A database that does not exist yet: an SQLite path or a new PostgreSQL database.
pub struct EmptyDb {
    pub url: DatabaseUrl,
    pub backend: Backend,
    dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl EmptyDb {
    pub fn new(backend: Backend) -> EmptyDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path: PathBuf = dir.path().join("lims-test.db");
                EmptyDb {
                    url: DatabaseUrl::Sqlite(path),
                    backend,
                    dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("lims_t_{}_{}_{}", std::process::id(), n, rand_suffix());
                let mut admin =
                    PgConnection::establish(&pg_admin_url()).expect("PostgreSQL for tests");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url = url::Url::parse(&pg_admin_url()).expect("pg url");
                url.set_path(&format!("/{name}"));
                EmptyDb {
                    url: DatabaseUrl::Postgres(url.to_string()),
                    backend,
                    dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// A raw connection (no migrations applied).
    pub fn connect_raw(&self) -> DbConnection {
        match &self.url {
            DatabaseUrl::Sqlite(p) => {
                let mut c =
                    diesel::SqliteConnection::establish(&p.to_string_lossy()).expect("sqlite");
                c.batch_execute("PRAGMA foreign_keys = ON").expect("pragma");
                DbConnection::Sqlite(c)
            }
            DatabaseUrl::Postgres(u) => DbConnection::Pg(PgConnection::establish(u).expect("pg")),
        }
    }

    /// Opens (migrates) the database and loads the shipped reference data.
    pub fn open(mut self, clock: &dyn Clock) -> TestDb {
        let db = Db::connect(&self.url).expect("open test database");
        // The key `lims` derives from the test secret (`lims_command` runs with it too).
        lims::workflow::audit::use_secret(TEST_SECRET.as_bytes()).expect("audit key");
        lims::seed::load_reference(&mut db.get().expect("conn"), clock.now_naive()).expect("seed");
        TestDb {
            url: self.url.clone(),
            db,
            backend: self.backend,
            _dir: self.dir.take(),
            pg_name: self.pg_name.take(),
        }
    }
}

fn rand_suffix() -> u32 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u32(7);
    (h.finish() & 0xffff_ffff) as u32
}

fn drop_pg(name: &str) {
    if let Ok(mut admin) = PgConnection::establish(&pg_admin_url()) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

impl Drop for EmptyDb {
    fn drop(&mut self) {
        if let Some(n) = self.pg_name.take() {
            drop_pg(&n);
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(n) = self.pg_name.take() {
            drop_pg(&n);
        }
    }
}

impl TestDb {
    pub fn new(backend: Backend, clock: &dyn Clock) -> TestDb {
        EmptyDb::new(backend).open(clock)
    }

    pub fn conn(&self) -> lims::db::PooledConn {
        self.db.get().expect("connection")
    }
}

/// The server secret of every test app and of `lims_command`.
pub const TEST_SECRET: &str = "test secret that is long enough for hmac use";

/// 2026-03-02 09:30 in Shanghai: a Monday in a year whose calendar is loaded.
pub fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 30, 0)
        .single()
        .expect("valid time")
}

/// Creates a user directly through the use case, as the system.
pub fn make_user(
    db: &TestDb,
    clock: &dyn Clock,
    username: &str,
    roles: &[&str],
    region: Option<&str>,
) -> i64 {
    accounts::create_user_unchecked(
        &mut lims::workflow::Ctx::new(&mut db.conn(), clock.now_naive(), &Actor::system()),
        NewUser {
            username: username.to_string(),
            display_name: format!("Test {username}"),
            password: PASSWORD.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            region_code: region.map(str::to_string),
        },
    )
    .expect("create user")
    .id
}

/// The app as `main` builds it, on a free port, over a fresh database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub clock: FixedClock,
    pub client: reqwest::blocking::Client,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    pub data_dir: tempfile::TempDir,
}

impl TestApp {
    pub fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_configured(backend, |_| {})
    }

    /// The app with a configuration changed by `change` (quotas, limits).
    pub fn spawn_configured(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
        let clock = FixedClock::new(test_start());
        let db = TestDb::new(backend, &clock);
        let data_dir = tempfile::tempdir().expect("data dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
        let addr = listener.local_addr().expect("addr");
        let config = Config {
            database_url: db.url.clone(),
            bind: addr.to_string(),
            base_url: format!("http://{addr}"),
            data_dir: data_dir.path().to_path_buf(),
            secret: TEST_SECRET.as_bytes().to_vec(),
            verify_per_minute: lims::config::DEFAULT_VERIFY_PER_MINUTE,
            nominate_per_minute: lims::config::DEFAULT_NOMINATE_PER_MINUTE,
            quotas: Default::default(),
            trusted_proxies: Default::default(),
        };
        let mut config = config;
        change(&mut config);
        let state = AppState::new(db.db.clone(), Arc::new(clock.clone()), config);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let sys = actix_web::rt::System::new();
            sys.block_on(async move {
                let server = lims::web::start(state, listener, 1).expect("server");
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = rx.recv().expect("server started");
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        TestApp {
            base: format!("http://{addr}"),
            db,
            clock,
            client,
            handle,
            thread: Some(thread),
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn user(&self, username: &str, roles: &[&str]) -> i64 {
        make_user(&self.db, &self.clock, username, roles, None)
    }

    /// Logs in over the API and returns the bearer token.
    pub fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .expect("login");
        assert_eq!(r.status(), 200, "login of {username}");
        r.json::<Value>().expect("json")["token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// A user with `roles` and a token for it.
    pub fn user_token(&self, username: &str, roles: &[&str]) -> String {
        self.user(username, roles);
        self.token(username)
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .expect("get");
        status_json(r)
    }

    pub fn send(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self.client.request(m, self.url(path)).json(&body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        status_json(rb.send().expect("send"))
    }

    /// Sends a raw body with a JSON content type.
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self
            .client
            .request(m, self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        status_json(rb.send().expect("send"))
    }

    /// A request with a raw body of `content_type`; the status and the JSON answer.
    pub fn send_bytes(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let rb = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .bearer_auth(token)
            .body(body);
        status_json(rb.send().expect("send"))
    }

    /// A GET of a page; the status and the HTML.
    pub fn page(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().expect("page");
        let s = r.status().as_u16();
        (s, r.text().unwrap_or_default())
    }

    /// Number of rows in the audit log.
    pub fn audit_count(&self) -> i64 {
        use diesel::prelude::*;
        lims::db::schema::audit_log::table
            .count()
            .get_result(&mut *self.db.conn())
            .expect("count")
    }
}

pub fn status_json(r: reqwest::blocking::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (s, v)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The CSRF token a page embeds.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("csrf meta");
    html[start..].split('"').next().expect("csrf").to_string()
}

/// The text of one page of a PDF, as `pdftotext` (poppler-utils) reads it. Fails the
/// test with a clear message when poppler-utils is missing (CI installs it).
pub fn pdftotext_page(pdf: &[u8], page: usize) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string(), "-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl TestApp {
    /// A GET with an optional token: the status, content type and body bytes.
    pub fn bytes(&self, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
        let mut rb = self.client.get(self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().expect("get");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, r.bytes().expect("body").to_vec())
    }

    /// A GET of an absolute URL (one decoded from a QR code) with a fresh client: no
    /// cookies, no token, as a stranger scanning the code.
    pub fn stranger_get(&self, url: &str) -> (u16, String) {
        let r = reqwest::blocking::Client::new()
            .get(url)
            .send()
            .expect("get");
        let s = r.status().as_u16();
        (s, r.text().unwrap_or_default())
    }
}

/// The text of one page in reading order (pdftotext without `-layout`): a table cell
/// wrapped onto several lines comes out in one piece.
pub fn pdftotext_flow(pdf: &[u8], page: usize) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (apt-get install poppler-utils): {e}"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The number of pages of a PDF (pdfinfo).
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdfinfo")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("pdfinfo is needed (apt-get install poppler-utils): {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().expect("pages"))
        })
        .expect("Pages: line")
}

/// The QR codes on one page of a PDF: rasterised at 300 dpi with pdftoppm and decoded
/// with a real decoder (rqrr), top to bottom.
pub fn pdf_qr_codes(pdf: &[u8], page: usize) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let prefix = dir.path().join("page");
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(&path)
        .arg(&prefix)
        .output()
        .unwrap_or_else(|e| panic!("pdftoppm is needed (apt-get install poppler-utils): {e}"));
    assert!(out.status.success(), "pdftoppm failed");
    let img = image::open(dir.path().join("page.png"))
        .expect("png")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let mut found: Vec<(i32, String)> = prepared
        .detect_grids()
        .into_iter()
        .map(|g| {
            let top = g.bounds.iter().map(|p| p.y).min().unwrap_or(0);
            let (_, content) = g.decode().expect("the QR code decodes");
            (top, content)
        })
        .collect();
    found.sort();
    found.into_iter().map(|f| f.1).collect()
}

/// The set-up steps the test files share: users, a plan and an entity, a sample taken
/// through intake and the lab, the login form, the schema as text.
pub mod fixtures;
pub mod process;
/// Driving headless Chromium through chromedriver (the browser tests).
pub mod webdriver;

/// The `lims` binary as an operator runs it against `url`: the data directory, the
/// working directory and the secret in `dir`, nothing from this machine's environment.
pub fn lims_command(url: &DatabaseUrl, dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lims"));
    let url = match url {
        DatabaseUrl::Sqlite(p) => p.to_string_lossy().to_string(),
        DatabaseUrl::Postgres(u) => u.clone(),
    };
    cmd.current_dir(dir)
        .env("DATABASE_URL", url)
        .env("LIMS_DATA_DIR", dir)
        .env("LIMS_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .env_remove("LIMS_CONFIG")
        .env_remove("LIMS_BIND")
        .env_remove("LIMS_BASE_URL");
    cmd
}

/// Whether the PostgreSQL client programs (`pg_dump`, `pg_restore`) are on PATH. Under
/// `CI=true` they must be: the run fails rather than skipping.
pub fn pg_client_tools() -> bool {
    let found = ["pg_dump", "pg_restore"].iter().all(|p| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        found || !ci,
        "pg_dump and pg_restore are required under CI=true (apt-get install postgresql-client)"
    );
    if !found {
        eprintln!("*** pg_dump/pg_restore not on PATH: PostgreSQL backup test SKIPPED ***");
    }
    found
}
