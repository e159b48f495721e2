//! A real `lims serve` process on a database the test prepared, for tests that need
//! several server instances on one database. Killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lims::config::DatabaseUrl;

/// One `lims serve` process listening on a free local port.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `lims serve` on `database_url` with its own data directory and the test
    /// secret, plus `extra_env`, and waits until `/healthz` answers.
    pub fn start(database_url: &DatabaseUrl, extra_env: &[(&str, &str)]) -> ServerProcess {
        let dir = tempfile::tempdir().expect("data dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let mut cmd = super::lims_command(database_url, dir.path());
        cmd.arg("serve")
            .env("LIMS_BIND", format!("127.0.0.1:{port}"))
            .env("LIMS_BASE_URL", &base_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start lims serve");
        let mut server = ServerProcess {
            base_url,
            child,
            _dir: dir,
        };
        server.wait_ready();
        server
    }

    /// Polls `/healthz` until the server answers (it migrates and seeds first).
    fn wait_ready(&mut self) {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("lims serve exited before answering: {status}");
            }
            if client
                .get(format!("{}/healthz", self.base_url))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "lims serve did not answer /healthz within a minute"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
