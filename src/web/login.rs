//! The hashing path of both logins (API and form): limits first, then Argon2 outside
//! any database connection and within a bound on concurrent hashes.
//!
//! Invariants:
//! - No pooled database connection is held while a password is hashed: a flood of
//!   logins cannot starve logged-in users of connections.
//! - At most [`HashGate`]'s permits hashes run at once, on blocking threads; an attempt
//!   that cannot get a permit within [`HASH_WAIT`] is given back uncounted and answered
//!   429 (the client retries; the server stays responsive).
//! - Every attempt is reserved and counted before it is hashed
//!   (`workflow::throttle::reserve`), so limits hold under parallel attempts and across
//!   server instances.

use std::time::Duration;

use actix_web::{web, HttpRequest};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult, Msg};
use crate::web::ratelimit::Pruner;
use crate::web::AppState;
use crate::workflow::accounts::UserRow;
use crate::workflow::throttle;

/// How long an attempt waits for a hashing permit before it is refused as busy. Long
/// enough that a person logging in during a flood usually gets through, short enough
/// that queued attempts do not pile up.
pub const HASH_WAIT: Duration = Duration::from_secs(2);

/// Bounds the number of password hashes running at once.
pub struct HashGate {
    permits: Semaphore,
    wait: Duration,
}

impl HashGate {
    /// One permit per core but one (at least one): Argon2 takes a core for tens of
    /// milliseconds, and the spare core keeps answering everyone else.
    pub fn for_this_machine() -> HashGate {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        HashGate::new(cores.saturating_sub(1).max(1), HASH_WAIT)
    }

    pub fn new(permits: usize, wait: Duration) -> HashGate {
        HashGate {
            permits: Semaphore::new(permits.max(1)),
            wait,
        }
    }
}

fn busy() -> AppError {
    AppError::RateLimited(Msg::new(
        "同时登录的人太多，请稍后再试",
        "Too many logins at once; try again in a moment",
    ))
}

/// Checks `username` and `password` from the request's client: 429 over a limit or
/// when the server is too busy to hash, 401 for wrong credentials or a deactivated
/// user, the user otherwise. Used by the API and the login form alike.
pub async fn check_password(
    st: &AppState,
    req: &HttpRequest,
    username: &str,
    password: String,
) -> AppResult<UserRow> {
    let Some(username) = throttle::plausible(username, &password) else {
        return Err(throttle::bad_credentials());
    };
    let client = crate::web::client::client_key_of(req);
    let now = st.clock.now_naive();
    let reservation = st
        .db
        .run(move |c| throttle::reserve(c, now, &username, &client))
        .await?;
    let permit =
        match actix_web::rt::time::timeout(st.hash_gate.wait, st.hash_gate.permits.acquire()).await
        {
            Ok(Ok(permit)) => permit,
            _ => {
                let r = reservation.clone();
                st.db.run(move |c| throttle::cancel(c, &r)).await?;
                return Err(busy());
            }
        };
    let hash = reservation.hash_to_check();
    let matched = web::block(move || throttle::password_matches(&password, &hash))
        .await
        .map_err(|e| AppError::internal(format!("password check failed: {e}")))?;
    drop(permit);
    let now = st.clock.now_naive();
    let prune = st.pruner.due(now);
    st.db
        .run(move |c| {
            let outcome = throttle::record(c, now, &reservation, matched);
            if prune {
                Pruner::prune(c, now);
            }
            outcome
        })
        .await
}
