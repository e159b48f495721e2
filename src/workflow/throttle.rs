//! Throttling in the database, so that every server instance on one database agrees:
//! password logins per username and client address, and fixed-window counts for the
//! public limits (report verification, nominations).
//!
//! Invariants:
//! - A login attempt is reserved (a pending failure in `login_attempts`) in a
//!   transaction serialised per client address before its password is checked, so
//!   parallel attempts cannot all pass the count: at most
//!   [`MAX_FAILURES_PER_USER_AND_CLIENT`] passwords are checked per username, client and
//!   minute, and [`MAX_FAILURES_PER_CLIENT`] per client. A success is not a failure.
//! - No database connection is held while a password is hashed: `reserve` and `record`
//!   are separate transactions.
//! - Counts are never read beyond [`LOGIN_WINDOW_SECS`] / [`LONGEST_WINDOW_SECS`], and
//!   [`prune`] deletes the rows older than that.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::PasswordVerifier;
use argon2::Argon2;
use chrono::{Duration, NaiveDateTime};

use crate::db::throttle::{failures, lock_client};
use crate::db::users::UserRow;
use crate::db::{write_tx, DbConnection};
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// Failed logins for one username from one client address within a minute after which
/// that client is refused (429) for that username.
pub const MAX_FAILURES_PER_USER_AND_CLIENT: i64 = 5;
/// Failed logins from one client address within a minute, across usernames, after
/// which that client is refused (429).
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;
/// The sliding window the login limits count in.
pub const LOGIN_WINDOW_SECS: i64 = 60;
/// The longest window of a fixed-window count ([`take`]); longer windows are cut to it.
pub const LONGEST_WINDOW_SECS: i64 = 60;

/// A password is compared against this hash when the username is unknown, so an
/// unknown user costs the same Argon2 work as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9cbwtCtsBGmN1zjRaSYo8MUEEQPqY0cBZgYDmdodx+E";

/// The one answer to a wrong username or password, so the two cannot be told apart.
pub fn bad_credentials() -> AppError {
    AppError::Unauthenticated(Msg::new("用户名或密码错误", "Wrong username or password"))
}

pub fn locked_out() -> AppError {
    AppError::RateLimited(Msg::new(
        "登录失败次数过多，请一分钟后再试",
        "Too many failed logins; try again in a minute",
    ))
}

/// A login attempt that passed the limits and is counted as a failure until
/// [`record`] says otherwise.
#[derive(Debug, Clone)]
pub struct Reservation {
    attempt_id: i64,
    username: String,
    client: String,
    user_id: Option<i64>,
    password_hash: Option<String>,
}

impl Reservation {
    /// The hash the password is to be checked against (a dummy for an unknown user).
    pub fn hash_to_check(&self) -> String {
        self.password_hash
            .clone()
            .unwrap_or_else(|| DUMMY_HASH.to_string())
    }
}

/// Whether `password` matches the Argon2 `hash`. CPU-bound (tens of milliseconds):
/// call it on a blocking thread, never while holding a database connection.
pub fn password_matches(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The username as stored, or `None` when the input cannot be anyone's credentials
/// (refused with 401 without counting or hashing).
pub fn plausible(username: &str, password: &str) -> Option<String> {
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || username.len() > 64 || password.len() > 1024 {
        None
    } else {
        Some(username)
    }
}

/// Why an attempt was refused, and until when the refusal holds for sure (when the
/// oldest counted failure leaves the window), so a server may refuse repeats from
/// memory until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedOut {
    /// The client used its failures across usernames.
    Client { until: NaiveDateTime },
    /// The client used its failures for this username.
    UserAndClient { until: NaiveDateTime },
}

/// The end of a lock-out: when the oldest failure counted since `since` leaves the window.
fn lock_ends(
    conn: &mut DbConnection,
    client: &str,
    username: Option<&str>,
    since: NaiveDateTime,
) -> AppResult<NaiveDateTime> {
    let oldest = crate::db::throttle::oldest_failure(conn, client, username, since)?;
    Ok(oldest.unwrap_or(since) + Duration::seconds(LOGIN_WINDOW_SECS))
}

/// Reserves an attempt of `username` from `client` at `now`: refused when that client
/// has used its failures for this username or in all, otherwise a pending failure is
/// written and the user's hash read. Refused attempts write nothing.
pub fn reserve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    username: &str,
    client: &str,
) -> AppResult<Result<Reservation, LockedOut>> {
    let since = now - Duration::seconds(LOGIN_WINDOW_SECS);
    write_tx(conn, |c| {
        lock_client(c, client)?;
        if failures(c, client, None, since, false)? >= MAX_FAILURES_PER_CLIENT {
            let until = lock_ends(c, client, None, since)?;
            return Ok(Err(LockedOut::Client { until }));
        }
        if failures(c, client, Some(username), since, false)? >= MAX_FAILURES_PER_USER_AND_CLIENT {
            let until = lock_ends(c, client, Some(username), since)?;
            return Ok(Err(LockedOut::UserAndClient { until }));
        }
        let user = crate::db::users::id_and_hash(c, username)?;
        let attempt_id = crate::db::throttle::insert_pending(c, now, username, client)?;
        Ok(Ok(Reservation {
            attempt_id,
            username: username.to_string(),
            client: client.to_string(),
            user_id: user.as_ref().map(|u| u.0),
            password_hash: user.map(|u| u.1),
        }))
    })
}

/// Gives a reservation back unchecked (the server was too busy to hash): it counts
/// neither as a failure nor as an attempt.
pub fn cancel(conn: &mut DbConnection, r: &Reservation) -> AppResult<()> {
    write_tx(conn, |c| {
        crate::db::throttle::delete_pending(c, r.attempt_id)
    })
}

/// Records the outcome of a reserved attempt whose password did or did not match, and
/// returns the user on success. The user must still be active and have the hash that
/// was checked. The failure that uses up a limit writes one `auth.locked_out` audit
/// row (per lock-out, not per refused attempt).
pub fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    r: &Reservation,
    matched: bool,
) -> AppResult<UserRow> {
    let since = now - Duration::seconds(LOGIN_WINDOW_SECS);
    let (row, success) = write_tx(conn, |c| {
        lock_client(c, &r.client)?;
        let row = match r.user_id {
            Some(id) => crate::db::users::by_id(c, id)?,
            None => None,
        };
        let same_hash = row
            .as_ref()
            .is_some_and(|u| Some(&u.password_hash) == r.password_hash.as_ref());
        let success = matched && same_hash && row.as_ref().is_some_and(|u| u.active);
        crate::db::throttle::settle(c, r.attempt_id, success)?;
        if !success {
            let by_user = failures(c, &r.client, Some(&r.username), since, true)?;
            if by_user == MAX_FAILURES_PER_USER_AND_CLIENT {
                audit_lock_out(c, now, "user", &r.username, &r.client, by_user)?;
            }
            let by_client = failures(c, &r.client, None, since, true)?;
            if by_client == MAX_FAILURES_PER_CLIENT {
                audit_lock_out(c, now, "client", &r.client, &r.client, by_client)?;
            }
        }
        Ok((row, success))
    })?;
    match row {
        Some(u) if success => Ok(u),
        Some(u) if matched && !u.active => Err(AppError::Unauthenticated(Msg::new(
            "该账户已停用",
            "This account is deactivated",
        ))),
        _ => Err(bad_credentials()),
    }
}

fn audit_lock_out(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    kind: &str,
    id: &str,
    client: &str,
    failures: i64,
) -> AppResult<()> {
    let anonymous = Actor {
        id: None,
        username: "anonymous".to_string(),
        display_name: "anonymous".to_string(),
        roles: Default::default(),
        region: None,
    };
    audit::append(
        conn,
        now,
        &anonymous,
        Change {
            action: "auth.locked_out",
            entity_kind: kind,
            entity_id: id.to_string(),
            after: Some(serde_json::json!({
                "client": client,
                "failures": failures,
                "window_seconds": LOGIN_WINDOW_SECS,
            })),
            ..Change::default()
        },
    )
}

/// The start (Unix seconds) of the `window_secs` window that holds `now`.
pub fn window_start(now: NaiveDateTime, window_secs: i64) -> i64 {
    let w = window_secs.clamp(1, LONGEST_WINDOW_SECS);
    now.and_utc().timestamp().div_euclid(w) * w
}

/// Counts one request under `bucket` in the window starting at `window_start`; false
/// (and nothing counted) when `limit` requests were counted there already. One
/// statement, atomic on both backends, so instances sharing the database share the
/// limit exactly.
pub fn take(
    conn: &mut DbConnection,
    bucket: &str,
    window_start: i64,
    limit: u32,
) -> AppResult<bool> {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    write_tx(conn, |c| {
        crate::db::throttle::count_hit(c, bucket, window_start, limit)
    })
}

/// Deletes the login attempts and counts that no limit reads any more (older than its
/// window at `now`).
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<(usize, usize)> {
    write_tx(conn, |c| {
        crate::db::throttle::prune(
            c,
            now - Duration::seconds(LOGIN_WINDOW_SECS),
            window_start(now, LONGEST_WINDOW_SECS) - LONGEST_WINDOW_SECS,
        )
    })
}
