//! Accounts: users with roles and a region scope, password login with throttling, and
//! the credentials a login yields: browser sessions and API tokens, both rows of
//! `api_tokens` stored as the SHA-256 of a random secret, so that ending one ends it on
//! every server instance. Passwords are hashed with Argon2id and never logged or
//! audited.
//!
//! Invariants: an admin with a region scope sees and changes only users inside it, and
//! grants only scopes inside it; nobody widens its own scope or roles; a password, role
//! or scope change and a deactivation revoke every session and token of that user in
//! the same transaction.

use argon2::password_hash::PasswordHasher;
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::{Role, Roles};
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::Actor;

mod passwords;
mod sessions;
#[cfg(test)]
mod tests;
mod users;

use passwords::check_password;
pub use passwords::COMMON_PASSWORDS;
pub use sessions::{
    active_user, authenticate, change_password, list_sessions, login, login_session, logout,
    revoke_session, Credential, CredentialKind, SessionInfo,
};
pub use users::{
    active_users_with_role, create_user, create_user_unchecked, get_user, list_users, update_user,
    visible_audit_rows, OwnPassword,
};

/// How long an API token lives.
pub const TOKEN_LIFETIME_DAYS: i64 = 30;
/// How long a browser session lives after its login (there is no idle timeout).
pub const SESSION_LIFETIME_HOURS: i64 = 12;
/// How long after its login a session or token may change another user's password or
/// roles without giving the admin's own password again.
pub const REAUTH_MINUTES: i64 = 5;
/// `last_used_at` is written at most this often per session or token.
pub const LAST_USED_EVERY_SECONDS: i64 = 60;
/// The most characters of a User-Agent kept as a session's `client`.
const CLIENT_MAX_CHARS: usize = 200;
/// The most live sessions and tokens a user's list shows (the newest).
pub const SESSIONS_LISTED: i64 = 100;
/// The most live sessions and tokens one user holds: a login beyond it ends the
/// oldest, so logging in again and again cannot grow `api_tokens` without bound.
pub const MAX_LIVE_CREDENTIALS: i64 = 50;

pub use crate::db::users::UserRow;

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = Vec<String>, example = json!(["sampler"]))]
    pub roles: Roles,
    pub region_code: Option<String>,
    pub active: bool,
    pub version: i32,
}

impl UserRow {
    pub fn to_user(&self) -> User {
        User {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            roles: Roles::parse_list(&self.roles).unwrap_or_default(),
            region_code: self.region_code.clone(),
            active: self.active,
            version: self.version,
        }
    }

    pub fn to_actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            roles: Roles::parse_list(&self.roles).unwrap_or_default(),
            region: self
                .region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        }
    }
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub region_code: Option<String>,
}

/// `PATCH /api/v1/users/{id}`: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<String>>,
    /// `null` removes the scope; absent leaves it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub region_code: Option<Option<String>>,
    pub active: Option<bool>,
    /// The acting admin's own password: needed to change a password or roles unless
    /// its session or token began within [`REAUTH_MINUTES`].
    #[serde(default)]
    pub current_password: Option<String>,
    pub version: i32,
}

/// `POST /api/v1/auth/password`: a user changes its own password.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

fn double_option<'de, D>(d: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(d).map(Some)
}

/// The Argon2id hash of a password, with a fresh salt.
fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

/// A username as stored: trimmed and lower-cased, 3 to 32 letters, digits or `._-`.
fn check_username(u: &str) -> Result<String, Msg> {
    let u = u.trim().to_ascii_lowercase();
    let ok_len = (3..=32).contains(&u.len());
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok_len && ok_chars && u.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Ok(u)
    } else {
        Err(Msg::new(
            "用户名为3至32位小写字母、数字或 . _ -",
            "must be 3 to 32 lower-case letters, digits or . _ -",
        ))
    }
}

/// The roles named, each one known, at least one.
fn check_roles(roles: &[String]) -> Result<Roles, Msg> {
    if roles.is_empty() {
        return Err(Msg::new("至少需要一个角色", "needs at least one role"));
    }
    let mut parsed = Vec::new();
    for r in roles {
        match r.trim().parse::<Role>() {
            Ok(role) => parsed.push(role),
            Err(_) => {
                return Err(Msg::new(
                    format!("未知角色“{r}”"),
                    format!(
                        "unknown role `{r}`; roles are {}",
                        Role::ALL
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        }
    }
    Ok(Roles::from_roles(parsed))
}

/// A region code of the `regions` table, or the message of the field.
fn check_region(conn: &mut DbConnection, code: &str) -> AppResult<Result<String, Msg>> {
    let code = code.trim();
    if RegionCode::parse(code).is_err() {
        return Ok(Err(Msg::new(
            "区划代码应为6位数字",
            "must be a 6-digit region code",
        )));
    }
    Ok(if crate::db::reference::region_exists(conn, code)? {
        Ok(code.to_string())
    } else {
        Err(Msg::new("没有这个行政区划", "no such region"))
    })
}

/// The user `id`, or 404.
fn load_user(conn: &mut DbConnection, id: i64) -> AppResult<UserRow> {
    crate::db::users::by_id(conn, id)?.ok_or_else(|| AppError::not_found("用户", "User"))
}

/// Whether a user whose scope is `region` lies inside the actor's scope. A
/// province-wide user lies inside the scope of province-wide admins only.
fn in_scope(actor: &Actor, region: Option<&str>) -> bool {
    match (&actor.region, region) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(code)) => {
            RegionCode::parse(code).is_ok_and(|c| scope_covers(actor.region.as_ref(), &c))
        }
    }
}

/// The user `id` if the actor may see it (itself, or inside its scope), else 404.
fn visible_user(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<UserRow> {
    let row = load_user(conn, id)?;
    if actor.id == Some(id) || in_scope(actor, row.region_code.as_deref()) {
        Ok(row)
    } else {
        Err(AppError::not_found("用户", "User"))
    }
}

/// The refusal of a change to a user outside the admin's scope.
fn outside_scope(actor: &Actor) -> AppError {
    let scope = actor
        .region
        .as_ref()
        .map(|r| r.as_str().to_string())
        .unwrap_or_default();
    AppError::Forbidden(Msg::new(
        format!("您只能管理管辖区域 {scope} 以内的用户；全省范围的账户只能由全省管理员设置"),
        format!(
            "You manage only users inside your region {scope}; only a province-wide admin sets up province-wide accounts"
        ),
    ))
}
