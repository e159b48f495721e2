//! The real `lims` binary as a child process: `lims serve` on a free port against a
//! given database, for tests that need more than one server on one database (limits,
//! sessions and anything else that must hold across instances). Every instance gets
//! the same `LIMS_SECRET`, so a cookie or token made by one is valid on the other.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The secret every `ServerProcess` shares (at least 32 characters, as the server
/// demands).
pub const SHARED_SECRET: &str = "shared test secret for all server processes, long enough";

/// How long a server may take from start to answering `/healthz` (migrations included;
/// the machine running the tests may be busy).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Keeps at most this much of the child's stderr, for the message of a failed start.
const STDERR_KEEP: usize = 64 * 1024;

/// A running `lims serve`; killed (and reaped) when dropped.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base_url: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
    _data_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `lims serve` on a free port of 127.0.0.1 against `database_url` (as the
    /// server reads `DATABASE_URL`: `postgres://…`, `sqlite://<file>` or a file path),
    /// with its own empty data directory and the shared secret, and returns once it
    /// answers `/healthz`. `extra_env` is set last, so it may override any of these
    /// (for example `LIMS_BASE_URL` or `LIMS_TRUSTED_PROXIES`). `LIMS_*` variables of
    /// the test's own environment are not passed on.
    pub fn start(database_url: &str, extra_env: &[(&str, &str)]) -> ServerProcess {
        let data_dir = tempfile::tempdir().expect("data dir for a server process");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lims"));
        cmd.arg("serve")
            .current_dir(data_dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars_os() {
            let name = k.to_string_lossy();
            if name.starts_with("LIMS_") || name == "DATABASE_URL" {
                cmd.env_remove(&k);
            }
        }
        cmd.env("DATABASE_URL", database_url)
            .env("LIMS_BIND", "127.0.0.1:0")
            .env("LIMS_DATA_DIR", data_dir.path())
            .env("LIMS_SECRET", SHARED_SECRET)
            .env("RUST_LOG", "warn");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the lims binary");

        // stderr: kept (bounded) for the message of a failed start.
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = child.stderr.take() {
            let keep = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut s = keep.lock().unwrap_or_else(|p| p.into_inner());
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if s.len() > STDERR_KEEP {
                        let mut cut = s.len() - STDERR_KEEP;
                        while !s.is_char_boundary(cut) {
                            cut += 1;
                        }
                        s.drain(..cut);
                    }
                }
            });
        }

        // stdout: the server prints `lims serving on http://<addr> (…)` once it is
        // bound; the rest is drained so the child never blocks on a full pipe.
        let (tx, rx) = mpsc::channel::<String>();
        let out = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("lims serving on ") {
                    if let Some(t) = tx.take() {
                        let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                        let _ = t.send(addr);
                    }
                }
            }
        });

        let mut server = ServerProcess {
            base_url: String::new(),
            child,
            stderr,
            _data_dir: data_dir,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) if addr.starts_with("http://") => {
                server.base_url = addr.trim_end_matches('/').to_string()
            }
            other => {
                let status = server.child.try_wait().ok().flatten();
                panic!(
                    "lims serve did not start ({other:?}, exit status {status:?}); stderr:\n{}",
                    server.stderr()
                );
            }
        }
        // The listener is bound before the line is printed, so this request waits in
        // the backlog until the server accepts it; no polling needed.
        let client = reqwest::blocking::Client::builder()
            .timeout(START_TIMEOUT)
            .build()
            .expect("client");
        match client.get(server.url("/healthz")).send() {
            Ok(r) if r.status().is_success() => {}
            other => panic!(
                "lims serve at {} does not answer /healthz ({other:?}); stderr:\n{}",
                server.base_url,
                server.stderr()
            ),
        }
        server
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// What the server wrote to stderr so far (the last 64 KiB).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
