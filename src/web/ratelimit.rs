//! A per-client rate limit for public endpoints (report verification): a fixed window per
//! client address, counted in memory. Time comes from the injected clock, so tests step
//! through windows without sleeping.
//!
//! Each server instance counts on its own: behind a load balancer with n instances a
//! client gets at most n times the limit, which is enough to stop a flood. The client is
//! the TCP peer; behind a reverse proxy that is the proxy (see ARCHITECTURE.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::NaiveDateTime;

/// Above this many tracked clients, entries of past windows are dropped.
const PRUNE_AT: usize = 10_000;

pub struct RateLimiter {
    limit: u32,
    window_secs: i64,
    counts: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window_secs: i64) -> RateLimiter {
        RateLimiter {
            limit,
            window_secs: window_secs.max(1),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from the request's client (its TCP peer) at `now`; a 429 with
    /// `msg` when it is over the limit.
    pub fn check(
        &self,
        req: &actix_web::HttpRequest,
        now: NaiveDateTime,
        msg: crate::error::Msg,
    ) -> crate::error::AppResult<()> {
        let ip = crate::web::client::client_ip(req);
        if self.allow(ip, now) {
            Ok(())
        } else {
            Err(crate::error::AppError::RateLimited(msg))
        }
    }

    /// Counts one request from `client` at `now`; false when it is over the limit.
    pub fn allow(&self, client: IpAddr, now: NaiveDateTime) -> bool {
        let window = now.and_utc().timestamp().div_euclid(self.window_secs);
        let mut counts = match self.counts.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if counts.len() > PRUNE_AT {
            counts.retain(|_, (w, _)| *w == window);
        }
        let entry = counts.entry(client).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= self.limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_772_000_000 + secs, 0)
            .expect("time")
            .naive_utc()
    }

    #[test]
    fn a_client_over_the_limit_waits_for_the_next_window_and_others_are_not_affected() {
        let l = RateLimiter::new(3, 60);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let start = 60 - (1_772_000_000 % 60);
        for _ in 0..3 {
            assert!(l.allow(a, at(start)));
        }
        assert!(!l.allow(a, at(start + 59)));
        assert!(l.allow(b, at(start + 59)));
        assert!(l.allow(a, at(start + 60)));
    }
}
