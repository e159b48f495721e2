//! Sessions and API tokens: issued at login, found by the hash of their secret on every
//! request, listed to and revoked by their owner; a user's own password change.

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::users::OwnPassword;
use super::{
    check_password, hash_password, PasswordChange, User, UserRow, CLIENT_MAX_CHARS,
    LAST_USED_EVERY_SECONDS, MAX_LIVE_CREDENTIALS, SESSIONS_LISTED, SESSION_LIFETIME_HOURS,
    TOKEN_LIFETIME_DAYS,
};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::local_time::to_local;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;
use crate::workflow::Ctx;

/// The SHA-256 of a secret, as stored.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a login yields: a browser session (a cookie) or an API token (a bearer token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    Session,
    Token,
}

impl CredentialKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Token => "token",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            CredentialKind::Session => Duration::hours(SESSION_LIFETIME_HOURS),
            CredentialKind::Token => Duration::days(TOKEN_LIFETIME_DAYS),
        }
    }
}

/// The session or token a request came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential {
    /// Its row in `api_tokens`.
    pub id: i64,
    pub kind: CredentialKind,
    /// When its login happened.
    pub logged_in_at: NaiveDateTime,
}

/// The client a login came from, as stored: the User-Agent without control
/// characters, cut to [`CLIENT_MAX_CHARS`].
pub(super) fn client_text(client: Option<&str>) -> Option<String> {
    let c: String = client?
        .chars()
        .filter(|c| !c.is_control())
        .take(CLIENT_MAX_CHARS)
        .collect();
    let c = c.trim().to_string();
    (!c.is_empty()).then_some(c)
}

/// Issues a session or token for a user who just proved its password: a random secret
/// of which only the SHA-256 is stored. Audited as `auth.login`.
fn issue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    row: &UserRow,
    kind: CredentialKind,
    client: Option<&str>,
) -> AppResult<(String, Credential)> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&secret);
    let client = client_text(client);
    let actor = row.to_actor();
    let id = write_tx(conn, |conn| {
        // The user's ended sessions and tokens go (their logins and ends are in the
        // audit log), and the oldest live ones end beyond MAX_LIVE_CREDENTIALS.
        db::tokens::delete_ended(conn, now, row.id)?;
        let oldest = db::tokens::beyond_newest(conn, row.id, MAX_LIVE_CREDENTIALS - 1)?;
        if !oldest.is_empty() {
            db::tokens::revoke_ids(conn, now, &oldest)?;
            audit::append(
                conn,
                now,
                &actor,
                Change {
                    action: "auth.sessions_revoked",
                    entity_kind: "user",
                    entity_id: row.id.to_string(),
                    after: Some(serde_json::json!({
                        "revoked": oldest.len(), "because": "too_many_live",
                    })),
                    ..Change::default()
                },
            )?;
        }
        let id = db::tokens::insert(
            conn,
            now,
            &db::tokens::NewToken {
                user_id: row.id,
                hash: &hash,
                kind: kind.as_str(),
                expires_at: now + kind.lifetime(),
                client: client.as_deref(),
            },
        )?;
        audit::append(
            conn,
            now,
            &actor,
            Change {
                action: "auth.login",
                entity_kind: "user",
                entity_id: row.id.to_string(),
                after: Some(serde_json::json!({
                    "kind": kind.as_str(), "session_id": id, "client": client,
                })),
                ..Change::default()
            },
        )?;
        Ok(id)
    })?;
    Ok((
        secret,
        Credential {
            id,
            kind,
            logged_in_at: now,
        },
    ))
}

/// Logs in for the API: issues a bearer token to a user whose password the web layer
/// checked (`web::login::check_password`, outside any database connection).
pub fn login(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    row: &UserRow,
    client: Option<&str>,
) -> AppResult<(String, User)> {
    let (token, _) = issue(conn, now, row, CredentialKind::Token, client)?;
    Ok((token, row.to_user()))
}

/// Logs in with the form: starts a browser session for a user whose password the web
/// layer checked, whose secret goes into the (signed) session cookie.
pub fn login_session(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    row: UserRow,
    client: Option<&str>,
) -> AppResult<(String, UserRow)> {
    let (secret, _) = issue(conn, now, &row, CredentialKind::Session, client)?;
    Ok((secret, row))
}

/// The active user behind a live session or token of `kind` with this secret, and the
/// credential. Notes the use in `last_used_at`, at most once every
/// [`LAST_USED_EVERY_SECONDS`] (a bookkeeping write, not audited).
pub fn authenticate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    kind: CredentialKind,
    secret: &str,
) -> AppResult<Option<(UserRow, Credential)>> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    let found = db::tokens::live_with_user(conn, now, kind.as_str(), &token_hash(secret))?;
    let Some((row, id, created_at, last_used_at)) = found else {
        return Ok(None);
    };
    let stale = now - Duration::seconds(LAST_USED_EVERY_SECONDS);
    if last_used_at.is_none_or(|t| t <= stale) {
        write_tx(conn, |conn| db::tokens::touch(conn, id, stale, now))?;
    }
    Ok(Some((
        row,
        Credential {
            id,
            kind,
            logged_in_at: created_at,
        },
    )))
}

/// Revokes every live session and token of `user_id` but `keep`, inside the caller's
/// transaction; audits `auth.sessions_revoked` with the reason when any was live.
pub(super) fn revoke_all(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    user_id: i64,
    keep: Option<i64>,
    why: &str,
) -> AppResult<usize> {
    let n = db::tokens::revoke_all_of(conn, now, user_id, keep)?;
    if n > 0 {
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "auth.sessions_revoked",
                entity_kind: "user",
                entity_id: user_id.to_string(),
                after: Some(serde_json::json!({ "revoked": n, "because": why })),
                ..Change::default()
            },
        )?;
    }
    Ok(n)
}

/// Ends the session or token in use (logout), on every instance at once.
pub fn logout(cx: &mut Ctx, via: &Credential) -> AppResult<()> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    write_tx(conn, |conn| {
        let n = db::tokens::revoke_unrevoked(conn, now, via.id)?;
        if n > 0 {
            audit::append(
                conn,
                now,
                actor,
                Change {
                    action: "auth.logout",
                    entity_kind: "user",
                    entity_id: actor.id.map(|i| i.to_string()).unwrap_or_default(),
                    after: Some(serde_json::json!({
                        "kind": via.kind.as_str(), "session_id": via.id,
                    })),
                    ..Change::default()
                },
            )?;
        }
        Ok(())
    })
}

/// One live session or token of a user, as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    pub kind: CredentialKind,
    #[schema(value_type = String)]
    pub created_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub last_used_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = String)]
    pub expires_at: DateTime<FixedOffset>,
    /// The User-Agent it logged in with.
    pub client: Option<String>,
    /// Whether it is the one this request came with.
    pub current: bool,
}

/// The caller's live sessions and tokens, newest first (at most [`SESSIONS_LISTED`]).
pub fn list_sessions(cx: &mut Ctx, via: Option<&Credential>) -> AppResult<Vec<SessionInfo>> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let Some(user_id) = actor.id else {
        return Ok(Vec::new());
    };
    let rows = db::tokens::live_of(conn, now, user_id, SESSIONS_LISTED)?;
    Ok(rows
        .into_iter()
        .map(|t| SessionInfo {
            id: t.id,
            kind: if t.kind == "session" {
                CredentialKind::Session
            } else {
                CredentialKind::Token
            },
            created_at: to_local(t.created_at),
            last_used_at: t.last_used_at.map(to_local),
            expires_at: to_local(t.expires_at),
            client: t.client,
            current: via.is_some_and(|c| c.id == t.id),
        })
        .collect())
}

/// The caller revokes one of its own live sessions or tokens; any other id is 404.
pub fn revoke_session(cx: &mut Ctx, id: i64) -> AppResult<()> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let user_id = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let Some(kind) = db::tokens::live_kind(conn, now, user_id, id)? else {
            return Err(AppError::not_found("会话", "Session"));
        };
        db::tokens::revoke_ids(conn, now, &[id])?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "auth.session_revoked",
                entity_kind: "user",
                entity_id: user_id.to_string(),
                after: Some(serde_json::json!({ "kind": kind, "session_id": id })),
                ..Change::default()
            },
        )
    })
}

/// A user changes its own password, giving the old one (a wrong one is 422 on
/// `old_password` and counts as a failed login). Every other session and token of the
/// user ends; the one in use (`via`) stays.
pub fn change_password(
    cx: &mut Ctx,
    via: Option<&Credential>,
    own: OwnPassword,
    input: PasswordChange,
) -> AppResult<()> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let user_id = actor.id.ok_or_else(AppError::forbidden)?;
    if let Err(m) = check_password(&input.new_password, &actor.username) {
        return Err(AppError::field("new_password", m));
    }
    if own != OwnPassword::Right {
        return Err(AppError::field(
            "old_password",
            Msg::new("原密码不正确", "is not your current password"),
        ));
    }
    let hash = hash_password(&input.new_password)?;
    write_tx(conn, |conn| {
        let n = db::users::set_password(conn, user_id, &hash, now)?;
        if n != 1 {
            return Err(AppError::not_found("用户", "User"));
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "auth.password_changed",
                entity_kind: "user",
                entity_id: user_id.to_string(),
                ..Change::default()
            },
        )?;
        revoke_all(
            conn,
            now,
            actor,
            user_id,
            via.map(|c| c.id),
            "password_changed",
        )?;
        Ok(())
    })
}

/// The active user with this id (for cookie sessions).
pub fn active_user(conn: &mut DbConnection, id: i64) -> AppResult<Option<UserRow>> {
    db::users::active_by_id(conn, id)
}
