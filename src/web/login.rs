//! The hashing path of both logins (API and form): limits first, then Argon2 outside
//! any database connection and within a bound on concurrent hashes.
//!
//! Invariants:
//! - No pooled database connection is held while a password is hashed: a flood of
//!   logins cannot starve logged-in users of connections.
//! - At most cores − 1 hashes run at once, on [`HashGate`]'s own threads at a lower
//!   priority; an attempt that cannot get one within [`HASH_WAIT`] is given back
//!   uncounted and answered 429 (the client retries; the server stays responsive).
//! - Every attempt is reserved and counted before it is hashed
//!   (`workflow::throttle::reserve`), so limits hold under parallel attempts and across
//!   server instances.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult, Msg};
use crate::web::ratelimit::Pruner;
use crate::web::AppState;
use crate::workflow::accounts::UserRow;
use crate::workflow::throttle::{self, LockedOut};

/// How long an attempt waits for a hashing permit before it is refused as busy. Long
/// enough that a person logging in during a flood usually gets through, short enough
/// that queued attempts do not pile up.
pub const HASH_WAIT: Duration = Duration::from_secs(2);

/// Bounds the number of password hashes running at once, and runs them on threads of
/// their own at a lower scheduling priority: under a flood the hashes take the CPU that
/// is left over, not the CPU that logged-in users' requests need.
pub struct HashGate {
    permits: Arc<Semaphore>,
    wait: Duration,
    jobs: Mutex<mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

/// How much lower than the server's other threads the hashing threads run (Linux
/// `nice`; a thread may lower its own priority without privileges).
const HASH_NICENESS: i32 = 10;

impl HashGate {
    /// One hashing thread per core but one (at least one): Argon2 takes a core for tens
    /// of milliseconds, and the spare core keeps answering everyone else.
    pub fn for_this_machine() -> HashGate {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        HashGate::new(cores.saturating_sub(1).max(1), HASH_WAIT)
    }

    /// `threads` hashing threads; they end when the gate is dropped.
    pub fn new(threads: usize, wait: Duration) -> HashGate {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("lims-hash-{i}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
            if let Err(e) = spawned {
                log::error!("cannot start a password hashing thread: {e}");
            }
        }
        HashGate {
            permits: Arc::new(Semaphore::new(threads)),
            wait,
            jobs: Mutex::new(tx),
        }
    }

    /// Runs `f` on a hashing thread once one is free; `None` when none was free within
    /// the wait (or the threads are gone). The permit is held until `f` has run, even if
    /// the request is dropped meanwhile, so hashes never queue beyond the threads.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let permit = actix_web::rt::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
            drop(permit);
        });
        {
            let jobs = match self.jobs.lock() {
                Ok(j) => j,
                Err(poisoned) => poisoned.into_inner(),
            };
            jobs.send(job).ok()?;
        }
        rx.await.ok()
    }
}

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: plain system calls on the calling thread; a failure only leaves the
    // priority as it was.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, now.saturating_add(HASH_NICENESS));
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// The lock-outs this instance has seen the database confirm, kept until they end, so
/// that a flood of refused attempts is answered from memory without touching the
/// database. Only refusals are cached; the database stays the one judge of an attempt
/// that may pass.
#[derive(Default)]
pub struct LockCache {
    until: Mutex<HashMap<String, NaiveDateTime>>,
}

/// Above this many cached lock-outs, ended ones are dropped; beyond it nothing is added
/// (those refusals are then read from the database again).
const LOCK_CACHE_MAX: usize = 10_000;

impl LockCache {
    fn keys(username: &str, client: &str) -> (String, String) {
        (format!("c {client}"), format!("u {client} {username}"))
    }

    fn holds(&self, key: &str, now: NaiveDateTime) -> bool {
        let map = match self.until.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(key).is_some_and(|until| *until > now)
    }

    fn remember(&self, key: String, until: NaiveDateTime, now: NaiveDateTime) {
        let mut map = match self.until.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() >= LOCK_CACHE_MAX {
            map.retain(|_, u| *u > now);
        }
        if map.len() < LOCK_CACHE_MAX {
            map.insert(key, until);
        }
    }
}

/// How long a refused (locked-out) attempt waits before its 429: a timer, no CPU and
/// no connection to the database, but a client that retries at once is slowed to a
/// couple of attempts a second, so a flood of refused logins costs the server little.
pub const REFUSAL_DELAY: Duration = Duration::from_millis(500);

async fn refused() -> AppError {
    actix_web::rt::time::sleep(REFUSAL_DELAY).await;
    throttle::locked_out()
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
    let now = st.now();
    let (client_key, user_key) = LockCache::keys(&username, &client);
    if st.login_locks.holds(&client_key, now) || st.login_locks.holds(&user_key, now) {
        return Err(refused().await);
    }
    let reservation = match st
        .db
        .run(move |c| throttle::reserve(c, now, &username, &client))
        .await?
    {
        Ok(r) => r,
        Err(locked) => {
            match locked {
                LockedOut::Client { until } => st.login_locks.remember(client_key, until, now),
                LockedOut::UserAndClient { until } => st.login_locks.remember(user_key, until, now),
            }
            return Err(refused().await);
        }
    };
    let hash = reservation.hash_to_check();
    let Some(matched) = st
        .hash_gate
        .run(move || throttle::password_matches(&password, &hash))
        .await
    else {
        let r = reservation.clone();
        st.db.run(move |c| throttle::cancel(c, &r)).await?;
        return Err(busy());
    };
    let now = st.now();
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

/// The actor's own password given with a request that needs it (an admin's
/// `current_password`, a user's `old_password`), checked like a login: outside any
/// database connection and through the same limits, so guessing it is throttled.
pub async fn own_password(
    st: &AppState,
    req: &HttpRequest,
    actor: &crate::workflow::Actor,
    password: Option<&str>,
) -> AppResult<crate::workflow::accounts::OwnPassword> {
    use crate::workflow::accounts::OwnPassword;
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Ok(OwnPassword::NotGiven);
    };
    match check_password(st, req, &actor.username, password.to_string()).await {
        Ok(row) if Some(row.id) == actor.id => Ok(OwnPassword::Right),
        Ok(_) | Err(AppError::Unauthenticated(_)) => Ok(OwnPassword::Wrong),
        Err(e) => Err(e),
    }
}
