//! Crash safety: the real `lims serve` process, 32 clients registering samples over the
//! API, SIGKILL after the 200th acknowledgement. After a restart on the same database
//! every acknowledged sample is there, each county's numbers run 1..n without a gap,
//! `lims audit verify` passes and the server registers again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use lims::clock::SystemClock;
use lims::config::DatabaseUrl;

use crate::support::{lims_command, make_user, Backend, TestDb, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] =
    crate::tests![no_acknowledged_registration_is_lost_when_the_server_is_killed_under_load];

const CLIENTS: usize = 32;
const KILL_AFTER: usize = 200;

/// A `lims serve` child process; killed when dropped, so a failing test leaves none.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server on a free port and waits (bounded) until /healthz answers.
    fn start(url: &DatabaseUrl, dir: &Path, run: u32) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = dir.join(format!("serve-{run}.log"));
        let child = lims_command(url, dir)
            .arg("serve")
            .env("LIMS_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start lims serve");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("lims serve exited with {status}: {}", server.log_text());
            }
            let up = client
                .get(format!("{}/healthz", server.base))
                .send()
                .is_ok_and(|r| r.status().is_success());
            if up {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "lims serve did not answer within 60 s: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn post(client: &reqwest::blocking::Client, url: String, token: &str, body: &Value) -> Value {
    let mut rb = client.post(url).json(body);
    if !token.is_empty() {
        rb = rb.bearer_auth(token);
    }
    let r = rb.send().expect("request");
    let status = r.status().as_u16();
    let v: Value = r.json().expect("json");
    assert!(status == 200 || status == 201, "{status}: {v}");
    v
}

fn login(client: &reqwest::blocking::Client, base: &str, username: &str) -> String {
    post(
        client,
        format!("{base}/api/v1/auth/login"),
        "",
        &json!({"username": username, "password": PASSWORD}),
    )["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// (year, county, sequence) of a sample number like F202663010400017.
fn parts(no: &str) -> (String, String, u32) {
    assert_eq!(no.len(), 16, "{no}");
    (
        no[1..5].to_string(),
        no[5..11].to_string(),
        no[11..].parse().expect("sequence"),
    )
}

fn no_acknowledged_registration_is_lost_when_the_server_is_killed_under_load(b: Backend) {
    let clock = SystemClock;
    let db = TestDb::new(b, &clock);
    let dir = tempfile::tempdir().expect("temp dir");
    make_user(&db, &clock, "sup", &["supervisor"], None);
    let s1 = make_user(&db, &clock, "wangfang", &["sampler"], None);
    let s2 = make_user(&db, &clock, "liqiang", &["sampler"], None);

    let server = Server::start(&db.url, dir.path(), 1);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let sup = login(&client, &server.base, "sup");
    let token = login(&client, &server.base, "wangfang");
    // Sampled an hour ago, in this year's plan (the server runs on the real clock).
    let sampled = (Utc::now() - chrono::Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00"));
    let year: i32 = sampled.format("%Y").to_string().parse().expect("year");
    let plan = post(
        &client,
        format!("{}/api/v1/plans", server.base),
        &sup,
        &json!({"code": "CRASH-1", "name": "抽检计划", "year": year, "level": "prefectural",
                "kind": "supervision", "domain": "food", "region_code": "630100", "target_batches": 1000}),
    )["id"]
        .as_i64()
        .expect("plan id");
    // Two entities in two counties, so two numbering sequences run at once.
    let entities: Vec<i64> = [
        ("91630104MA752K8R2Q", "630104"),
        ("91512081MA62K0260E", "630102"),
    ]
    .iter()
    .map(|(uscc, county)| {
        post(
            &client,
            format!("{}/api/v1/entities", server.base),
            &token,
            &json!({"name": format!("单位{county}"), "uscc": uscc, "kind": "distributor",
                    "address": "西宁市", "region_code": county}),
        )["id"]
            .as_i64()
            .expect("entity id")
    })
    .collect();
    let produced = (sampled - chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let body = |entity: i64| {
        json!({
            "plan_id": plan, "entity_id": entity, "domain": "food", "category_code": "34.02",
            "product_name": "青海牦牛肉干（五香味）", "brand": "高原红", "specification": "200g/袋",
            "batch_no": "20260215", "production_date": produced, "shelf_life": "9个月",
            "manufacturer": "青海某某食品有限公司", "manufacturer_address": "青海省西宁市城北区",
            "stage": "circulation", "sampled_at": sampled.to_rfc3339_opts(SecondsFormat::Secs, false),
            "place": "货架", "sampler_ids": [s1, s2], "quantity": "4", "unit": "袋",
            "backup_quantity": "4", "storage": "ambient", "price": "128.00", "notes": "无"
        })
    };

    // 32 clients register until the server is gone; the one that receives the 200th
    // acknowledgement kills it with SIGKILL.
    let url = format!("{}/api/v1/samples", server.base);
    let acked: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let refused: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    let killed = AtomicBool::new(false);
    let victim = Mutex::new(server);
    std::thread::scope(|s| {
        for c in 0..CLIENTS {
            let (url, token, acked, refused, count, killed, victim) =
                (&url, &token, &acked, &refused, &count, &killed, &victim);
            let body = body(entities[c % entities.len()]);
            s.spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .expect("client");
                while !killed.load(Ordering::SeqCst) {
                    let Ok(r) = client.post(url).bearer_auth(token).json(&body).send() else {
                        break;
                    };
                    let status = r.status().as_u16();
                    let Ok(v) = r.json::<Value>() else {
                        break;
                    };
                    if status != 201 {
                        refused.lock().expect("lock").push(format!("{status}: {v}"));
                        continue;
                    }
                    let no = v["sample_no"].as_str().expect("sample_no").to_string();
                    acked.lock().expect("lock").push(no);
                    if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                        let mut server = victim.lock().expect("lock");
                        server.child.kill().expect("SIGKILL");
                        killed.store(true, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let acked = acked.into_inner().expect("acked");
    let refused = refused.into_inner().expect("refused");
    assert!(refused.is_empty(), "refused under load: {refused:?}");
    assert!(acked.len() >= KILL_AFTER, "{} acknowledged", acked.len());
    let mut server = victim.into_inner().expect("server");
    let status = server.child.wait().expect("wait");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status}");
    }
    #[cfg(not(unix))]
    assert!(!status.success(), "killed: {status}");

    // The audit chain holds in the database as the killed server left it.
    let verify = lims_command(&db.url, dir.path())
        .args(["audit", "verify"])
        .output()
        .expect("lims audit verify");
    assert!(
        verify.status.success(),
        "lims audit verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    drop(server);

    // Restart on the same database.
    let server = Server::start(&db.url, dir.path(), 2);
    let stored: Vec<String> = lims::db::schema::samples::table
        .select(lims::db::schema::samples::sample_no)
        .load(&mut *db.conn())
        .expect("samples");
    let stored_set: BTreeSet<&String> = stored.iter().collect();
    assert_eq!(stored_set.len(), stored.len(), "sample numbers are unique");
    let lost: Vec<&String> = acked.iter().filter(|n| !stored_set.contains(n)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let acked_set: BTreeSet<&String> = acked.iter().collect();
    assert_eq!(acked_set.len(), acked.len(), "no number acknowledged twice");
    // Each county's numbers are 1..n, and its counter stands at n.
    let mut by_county: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    for no in &stored {
        let (y, county, seq) = parts(no);
        by_county.entry((y, county)).or_default().push(seq);
    }
    assert_eq!(by_county.len(), 2, "{by_county:?}");
    for ((y, county), seqs) in &mut by_county {
        seqs.sort_unstable();
        let n = u32::try_from(seqs.len()).expect("count");
        assert_eq!(*seqs, (1..=n).collect::<Vec<u32>>(), "{county} {y}");
        use lims::db::schema::sample_sequences as q;
        let last: i32 = q::table
            .filter(q::year.eq(y.parse::<i32>().expect("year")))
            .filter(q::county_code.eq(county.as_str()))
            .select(q::last_value)
            .first(&mut *db.conn())
            .expect("sequence");
        assert_eq!(i64::from(last), i64::from(n), "{county} {y}");
    }
    // Every stored sample has its registration in the audit log.
    let audited: i64 = lims::db::schema::audit_log::table
        .filter(lims::db::schema::audit_log::action.eq("sample.register"))
        .count()
        .get_result(&mut *db.conn())
        .expect("count");
    assert_eq!(audited, i64::try_from(stored.len()).expect("len"));

    // The restarted server answers and registers the next number of the county.
    let v = post(
        &client,
        format!("{}/api/v1/samples", server.base),
        &token,
        &body(entities[0]),
    );
    let (y, county, seq) = parts(v["sample_no"].as_str().expect("sample_no"));
    let n = by_county[&(y, county)].len();
    assert_eq!(usize::try_from(seq).expect("seq"), n + 1);
}
