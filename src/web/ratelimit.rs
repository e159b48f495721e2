//! Per-client limits on public endpoints (report verification, nominations): a fixed
//! window per client address, counted in the database (`workflow::throttle::take`), so
//! every server instance on one database shares one count. Time comes from the
//! injected clock, so tests step through windows without sleeping. The client is
//! `web::client::client_ip` (the TCP peer, or the `X-Forwarded-For` hop behind a
//! trusted proxy).

use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime};

use crate::db::Db;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::throttle;

/// How often at most the tables of limits are pruned (per server instance).
pub const PRUNE_EVERY_SECS: i64 = 60;

pub struct RateLimiter {
    /// Names the limit in its counts (`verify`, `nominate`).
    name: &'static str,
    limit: u32,
    window_secs: i64,
    db: Db,
    pruner: std::sync::Arc<Pruner>,
}

impl RateLimiter {
    pub fn new(
        name: &'static str,
        limit: u32,
        window_secs: i64,
        db: Db,
        pruner: std::sync::Arc<Pruner>,
    ) -> RateLimiter {
        RateLimiter {
            name,
            limit,
            window_secs: window_secs.clamp(1, throttle::LONGEST_WINDOW_SECS),
            db,
            pruner,
        }
    }

    /// Counts one request from the request's client at `now`; a 429 with `msg` when it
    /// is over the limit.
    pub async fn check(
        &self,
        req: &actix_web::HttpRequest,
        now: NaiveDateTime,
        msg: Msg,
    ) -> AppResult<()> {
        self.check_for(req, "", now, msg).await
    }

    /// As [`RateLimiter::check`], counted separately per `what` (e.g. one nomination).
    pub async fn check_for(
        &self,
        req: &actix_web::HttpRequest,
        what: &str,
        now: NaiveDateTime,
        msg: Msg,
    ) -> AppResult<()> {
        let client = crate::web::client::client_key_of(req);
        let bucket = if what.is_empty() {
            format!("{}:{client}", self.name)
        } else {
            format!("{}:{client}:{what}", self.name)
        };
        let window = throttle::window_start(now, self.window_secs);
        let limit = self.limit;
        let prune = self.pruner.due(now);
        let allowed = self
            .db
            .run(move |c| {
                let allowed = throttle::take(c, &bucket, window, limit)?;
                if prune {
                    Pruner::prune(c, now);
                }
                Ok(allowed)
            })
            .await?;
        if allowed {
            Ok(())
        } else {
            Err(AppError::RateLimited(msg))
        }
    }
}

/// Decides when this instance prunes the tables of limits: at most once per
/// [`PRUNE_EVERY_SECS`] of the injected clock.
#[derive(Default)]
pub struct Pruner {
    last: Mutex<Option<NaiveDateTime>>,
}

impl Pruner {
    /// Whether a prune is due at `now`; if so, it counts as done.
    pub fn due(&self, now: NaiveDateTime) -> bool {
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let due = match *last {
            None => true,
            // A clock set back starts a new interval.
            Some(t) => now < t || now - t >= Duration::seconds(PRUNE_EVERY_SECS),
        };
        if due {
            *last = Some(now);
        }
        due
    }

    /// Prunes; a failure is logged, never the request's failure.
    pub fn prune(conn: &mut crate::db::DbConnection, now: NaiveDateTime) {
        match throttle::prune(conn, now) {
            Ok((0, 0)) => {}
            Ok((attempts, counts)) => {
                log::debug!("pruned {attempts} login attempts and {counts} rate counts")
            }
            Err(e) => log::warn!("pruning the limits failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_772_000_000 + secs, 0)
            .expect("time")
            .naive_utc()
    }

    #[test]
    fn a_client_over_the_limit_waits_for_the_next_window_and_others_are_not_affected() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("t.db"))).expect("db");
        let mut c = db.get().expect("conn");
        let start = 60 - (1_772_000_000 % 60);
        let w = |s: i64| throttle::window_start(at(s), 60);
        for _ in 0..3 {
            assert!(throttle::take(&mut c, "v:a", w(start), 3).expect("take"));
        }
        assert!(!throttle::take(&mut c, "v:a", w(start + 59), 3).expect("take"));
        assert!(throttle::take(&mut c, "v:b", w(start + 59), 3).expect("take"));
        assert!(throttle::take(&mut c, "v:a", w(start + 60), 3).expect("take"));
        // Past windows are pruned, the current one is kept.
        let (_, counts) = throttle::prune(&mut c, at(start + 200)).expect("prune");
        assert_eq!(counts, 3);
        assert!(throttle::take(&mut c, "v:a", w(start + 200), 1).expect("take"));
        assert!(!throttle::take(&mut c, "v:a", w(start + 200), 1).expect("take"));
    }

    #[test]
    fn pruning_is_due_once_per_interval() {
        let p = Pruner::default();
        assert!(p.due(at(0)));
        assert!(!p.due(at(30)));
        assert!(p.due(at(60)));
        assert!(!p.due(at(119)));
        assert!(p.due(at(10)), "a clock set back");
    }
}
