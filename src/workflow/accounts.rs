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

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::{api_tokens, audit_log, regions, users};
use crate::db::{write_tx, DbConnection};
use crate::domain::local_time::to_local;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::{Role, Roles};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, AuditRow, Change};
use crate::workflow::{clean_text, Actor};

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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: String,
    pub region_code: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

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

fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

pub(crate) fn password_matches(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

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

/// Characters that show nothing: whitespace, controls, and the format characters
/// (zero-width spaces and joiners, direction marks, fillers, variation selectors).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A password a person can choose: 10 to 256 characters, not only invisible ones, not
/// the username, and not one of the [`COMMON_PASSWORDS`] (ignoring case and the spaces
/// around it).
fn check_password(p: &str, username: &str) -> Result<(), Msg> {
    let n = p.chars().count();
    if !(10..=256).contains(&n) {
        return Err(Msg::new(
            "密码长度应为10至256个字符",
            "must be 10 to 256 characters",
        ));
    }
    if p.chars().all(is_invisible) {
        return Err(Msg::new(
            "密码不能只由空格或不可见字符组成",
            "must not be only spaces or invisible characters",
        ));
    }
    let folded = p.trim().to_lowercase();
    if folded == username.trim().to_lowercase() {
        return Err(Msg::new("密码不能与用户名相同", "must not be the username"));
    }
    if COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(Msg::new(
            "这是常见密码，很容易被猜中，请换一个",
            "is a common password that is easy to guess; choose another",
        ));
    }
    Ok(())
}

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

fn check_region(conn: &mut DbConnection, code: &str) -> AppResult<Result<String, Msg>> {
    let code = code.trim();
    if RegionCode::parse(code).is_err() {
        return Ok(Err(Msg::new(
            "区划代码应为6位数字",
            "must be a 6-digit region code",
        )));
    }
    let exists: i64 = regions::table
        .filter(regions::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(if exists == 1 {
        Ok(code.to_string())
    } else {
        Err(Msg::new("没有这个行政区划", "no such region"))
    })
}

fn load_user(conn: &mut DbConnection, id: i64) -> AppResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("用户", "User"))
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

/// An admin creates a user inside its own scope (a province-wide account only when
/// the admin is province-wide itself).
pub fn create_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: NewUser,
) -> AppResult<User> {
    actor.require(&[Role::Admin])?;
    if actor.region.is_some() {
        let region = input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        // An unreadable code is left to the field check (422).
        let readable = region.is_none_or(|c| RegionCode::parse(c).is_ok());
        if readable && !in_scope(actor, region) {
            return Err(outside_scope(actor));
        }
    }
    create_user_unchecked(conn, now, actor, input)
}

/// Creates a user without checking the actor's role: for the CLI and demo seeding,
/// which run with the machine owner's authority.
pub fn create_user_unchecked(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: NewUser,
) -> AppResult<User> {
    let mut fields = FieldErrors::new();
    let username = check_username(&input.username)
        .map_err(|m| fields.insert("username".into(), m))
        .ok();
    let display_name = clean_text(&input.display_name, 64, true)
        .map_err(|m| fields.insert("display_name".into(), m))
        .ok();
    if let Err(m) = check_password(&input.password, &input.username) {
        fields.insert("password".into(), m);
    }
    let roles = check_roles(&input.roles)
        .map_err(|m| fields.insert("roles".into(), m))
        .ok();
    let region = match input
        .region_code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        Some(c) => check_region(conn, c)?
            .map(Some)
            .map_err(|m| fields.insert("region_code".into(), m))
            .ok(),
        None => Some(None),
    };
    let (Some(username), Some(display_name), Some(roles), Some(region), true) =
        (username, display_name, roles, region, fields.is_empty())
    else {
        return Err(AppError::invalid(fields));
    };
    let password_hash = hash_password(&input.password)?;
    write_tx(conn, |conn| {
        let taken: i64 = users::table
            .filter(users::username.eq(&username))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::Conflict(Msg::new(
                format!("用户名“{username}”已被使用"),
                format!("The username `{username}` is taken"),
            )));
        }
        diesel::insert_into(users::table)
            .values((
                users::username.eq(&username),
                users::display_name.eq(&display_name),
                users::password_hash.eq(&password_hash),
                users::roles.eq(roles.to_db_string()),
                users::region_code.eq(&region),
                users::active.eq(true),
                users::version.eq(1),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        let row: UserRow = users::table
            .filter(users::username.eq(&username))
            .select(UserRow::as_select())
            .first(conn)?;
        let user = row.to_user();
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "user.create",
                entity_kind: "user",
                entity_id: user.id.to_string(),
                after: Some(serde_json::to_value(&user).map_err(AppError::internal)?),
                ..Change::default()
            },
        )?;
        Ok(user)
    })
}

/// An admin changes a user inside its scope (others are 404 to it). A stale `version`
/// is a conflict. The new scope must lie inside the admin's; an admin never widens its
/// own scope or roles. Changing a password or roles needs the admin's own password
/// (`current_password`) unless `via`, the session or token in use, began within
/// [`REAUTH_MINUTES`]. A password, role or scope change and a deactivation revoke
/// every session and token of the user (but the admin's own one in use).
pub fn update_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    via: Option<&Credential>,
    own: OwnPassword,
    id: i64,
    patch: UserPatch,
) -> AppResult<User> {
    actor.require(&[Role::Admin])?;
    let target = visible_user(conn, actor, id)?;
    let mut fields = FieldErrors::new();
    let display_name = match &patch.display_name {
        Some(d) => clean_text(d, 64, true)
            .map(Some)
            .map_err(|m| fields.insert("display_name".into(), m))
            .ok(),
        None => Some(None),
    };
    if let Some(p) = &patch.password {
        if let Err(m) = check_password(p, &target.username) {
            fields.insert("password".into(), m);
        }
    }
    let roles = match &patch.roles {
        Some(r) => check_roles(r)
            .map(Some)
            .map_err(|m| fields.insert("roles".into(), m))
            .ok(),
        None => Some(None),
    };
    let region = match &patch.region_code {
        Some(Some(c)) if !c.trim().is_empty() => check_region(conn, c)?
            .map(|c| Some(Some(c)))
            .map_err(|m| fields.insert("region_code".into(), m))
            .ok(),
        Some(_) => Some(Some(None)),
        None => Some(None),
    };
    let (Some(display_name), Some(roles), Some(region), true) =
        (display_name, roles, region, fields.is_empty())
    else {
        return Err(AppError::invalid(fields));
    };
    let old_roles = Roles::parse_list(&target.roles).unwrap_or_default();
    // Only a real change counts: the edit form always sends the roles and the region.
    let roles = roles.filter(|r| *r != old_roles);
    let region = region.filter(|r| *r != target.region_code);
    if actor.id == Some(id)
        && (patch.active == Some(false) || roles.as_ref().is_some_and(|r| !r.has(Role::Admin)))
    {
        return Err(AppError::Conflict(Msg::new(
            "不能停用自己或取消自己的管理员角色",
            "You cannot deactivate yourself or remove your own admin role",
        )));
    }
    if let Some(r) = &region {
        if !in_scope(actor, r.as_deref()) {
            return Err(outside_scope(actor));
        }
    }
    if actor.id == Some(id) {
        if let Some(r) = &roles {
            if r.iter().any(|role| !old_roles.has(role)) {
                return Err(AppError::Forbidden(Msg::new(
                    "不能给自己增加角色",
                    "You cannot give yourself more roles",
                )));
            }
        }
    }
    if patch.password.is_some() || roles.is_some() {
        reauthenticate(now, via, own)?;
    }
    let password_hash = patch.password.as_deref().map(hash_password).transpose()?;
    let revoke = password_hash.is_some()
        || roles.is_some()
        || region.is_some()
        || patch.active == Some(false);
    write_tx(conn, |conn| {
        let before = load_user(conn, id)?;
        if before.version != patch.version {
            return Err(AppError::stale());
        }
        let mut after = before.clone();
        if let Some(d) = display_name {
            after.display_name = d;
        }
        if let Some(r) = &roles {
            after.roles = r.to_db_string();
        }
        if let Some(r) = region {
            after.region_code = r;
        }
        if let Some(a) = patch.active {
            after.active = a;
        }
        if let Some(h) = &password_hash {
            after.password_hash = h.clone();
        }
        after.version += 1;
        after.updated_at = now;
        let n = diesel::update(
            users::table
                .filter(users::id.eq(id))
                .filter(users::version.eq(patch.version)),
        )
        .set((
            users::display_name.eq(&after.display_name),
            users::roles.eq(&after.roles),
            users::region_code.eq(&after.region_code),
            users::active.eq(after.active),
            users::password_hash.eq(&after.password_hash),
            users::version.eq(after.version),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        let user = after.to_user();
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if password_hash.is_some() {
                    "user.update_with_password"
                } else {
                    "user.update"
                },
                entity_kind: "user",
                entity_id: id.to_string(),
                before: Some(serde_json::to_value(before.to_user()).map_err(AppError::internal)?),
                after: Some(serde_json::to_value(&user).map_err(AppError::internal)?),
                reason: None,
            },
        )?;
        if revoke {
            let keep = via.filter(|_| actor.id == Some(id)).map(|c| c.id);
            revoke_all(conn, now, actor, id, keep, "user_changed")?;
        }
        Ok(user)
    })
}

/// The acting user's own password, as the web layer checked it for this request
/// (`web::login::own_password`: outside any database connection and through the login
/// limits, so a wrong one counts as a failed login of the actor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnPassword {
    NotGiven,
    Right,
    Wrong,
}

/// Refuses (403) a change of a password or roles unless the actor's session or token
/// began within [`REAUTH_MINUTES`] or the actor gave its own password.
fn reauthenticate(now: NaiveDateTime, via: Option<&Credential>, own: OwnPassword) -> AppResult<()> {
    if via.is_some_and(|c| now - c.logged_in_at <= Duration::minutes(REAUTH_MINUTES)) {
        return Ok(());
    }
    if own == OwnPassword::Right {
        return Ok(());
    }
    Err(AppError::Forbidden(Msg::new(
        format!("修改密码或角色需要输入您本人的当前密码（或在{REAUTH_MINUTES}分钟内重新登录）"),
        format!(
            "Changing a password or roles needs your own current password (current_password), or a login within the last {REAUTH_MINUTES} minutes"
        ),
    )))
}

/// The users the admin may see: all of them for a province-wide admin, else those
/// inside its scope.
pub fn list_users(
    conn: &mut DbConnection,
    actor: &Actor,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<User>, i64)> {
    actor.require(&[Role::Admin])?;
    let scoped = |prefix: Option<String>| {
        let mut q = users::table.into_boxed();
        if let Some(p) = prefix {
            q = q.filter(users::region_code.like(format!("{p}%")));
        }
        q
    };
    let prefix = actor.region.as_ref().map(RegionCode::like_prefix);
    let total: i64 = scoped(prefix.clone()).count().get_result(conn)?;
    let rows: Vec<UserRow> = scoped(prefix)
        .order(users::username.asc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows.iter().map(UserRow::to_user).collect(), total))
}

/// A user as the caller may see it: itself, or (an admin) a user inside its scope;
/// any other is 404.
pub fn get_user(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<User> {
    if actor.id != Some(id) {
        actor.require(&[Role::Admin])?;
    }
    Ok(visible_user(conn, actor, id)?.to_user())
}

/// The newest audit rows an admin may read: the whole log for a province-wide admin;
/// for a scoped admin, the rows whose actor is a user inside its scope (not the rows of
/// province-wide users or of the system, even about things inside the scope).
pub fn visible_audit_rows(
    conn: &mut DbConnection,
    actor: &Actor,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    actor.require(&[Role::Admin])?;
    let mut q = audit_log::table.into_boxed();
    if let Some(scope) = &actor.region {
        let inside = users::table
            .filter(users::region_code.like(format!("{}%", scope.like_prefix())))
            .select(users::id.nullable());
        q = q.filter(audit_log::actor_id.eq_any(inside));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// Users holding `role` who are active, for pickers (e.g. the two samplers).
pub fn active_users_with_role(conn: &mut DbConnection, role: Role) -> AppResult<Vec<User>> {
    let rows: Vec<UserRow> = users::table
        .filter(users::active.eq(true))
        .filter(users::roles.like(format!("%{}%", role.as_str())))
        .order(users::display_name.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(rows
        .iter()
        .map(UserRow::to_user)
        .filter(|u| u.roles.has(role))
        .collect())
}

pub(crate) fn bad_credentials() -> AppError {
    AppError::Unauthenticated(Msg::new("用户名或密码错误", "Wrong username or password"))
}

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
fn client_text(client: Option<&str>) -> Option<String> {
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
        diesel::delete(
            api_tokens::table
                .filter(api_tokens::user_id.eq(row.id))
                .filter(
                    api_tokens::revoked_at
                        .is_not_null()
                        .or(api_tokens::expires_at.le(now)),
                ),
        )
        .execute(conn)?;
        let oldest: Vec<i64> = api_tokens::table
            .filter(api_tokens::user_id.eq(row.id))
            .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
            .offset(MAX_LIVE_CREDENTIALS - 1)
            .limit(1_000)
            .select(api_tokens::id)
            .load(conn)?;
        if !oldest.is_empty() {
            diesel::update(api_tokens::table.filter(api_tokens::id.eq_any(&oldest)))
                .set(api_tokens::revoked_at.eq(Some(now)))
                .execute(conn)?;
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
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(row.id),
                api_tokens::token_hash.eq(&hash),
                api_tokens::created_at.eq(now),
                api_tokens::expires_at.eq(now + kind.lifetime()),
                api_tokens::kind.eq(kind.as_str()),
                api_tokens::last_used_at.eq(Some(now)),
                api_tokens::client.eq(&client),
            ))
            .execute(conn)?;
        let id: i64 = api_tokens::table
            .filter(api_tokens::token_hash.eq(&hash))
            .select(api_tokens::id)
            .first(conn)?;
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
    let found: Option<(UserRow, i64, NaiveDateTime, Option<NaiveDateTime>)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash(secret)))
        .filter(api_tokens::kind.eq(kind.as_str()))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((
            UserRow::as_select(),
            api_tokens::id,
            api_tokens::created_at,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((row, id, created_at, last_used_at)) = found else {
        return Ok(None);
    };
    let stale = now - Duration::seconds(LAST_USED_EVERY_SECONDS);
    if last_used_at.is_none_or(|t| t <= stale) {
        write_tx(conn, |conn| {
            diesel::update(
                api_tokens::table.filter(api_tokens::id.eq(id)).filter(
                    api_tokens::last_used_at
                        .is_null()
                        .or(api_tokens::last_used_at.le(stale)),
                ),
            )
            .set(api_tokens::last_used_at.eq(Some(now)))
            .execute(conn)?;
            Ok(())
        })?;
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
fn revoke_all(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    user_id: i64,
    keep: Option<i64>,
    why: &str,
) -> AppResult<usize> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.gt(now))
            .filter(api_tokens::id.ne(keep.unwrap_or(-1))),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
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
pub fn logout(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    via: &Credential,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let n = diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(via.id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
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
pub fn list_sessions(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    via: Option<&Credential>,
) -> AppResult<Vec<SessionInfo>> {
    let Some(user_id) = actor.id else {
        return Ok(Vec::new());
    };
    type Row = (
        i64,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        NaiveDateTime,
        Option<String>,
    );
    let rows: Vec<Row> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .limit(SESSIONS_LISTED)
        .select((
            api_tokens::id,
            api_tokens::kind,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::expires_at,
            api_tokens::client,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, created, used, expires, client)| SessionInfo {
            id,
            kind: if kind == "session" {
                CredentialKind::Session
            } else {
                CredentialKind::Token
            },
            created_at: to_local(created),
            last_used_at: used.map(to_local),
            expires_at: to_local(expires),
            client,
            current: via.is_some_and(|c| c.id == id),
        })
        .collect())
}

/// The caller revokes one of its own live sessions or tokens; any other id is 404.
pub fn revoke_session(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    let user_id = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let kind: Option<String> = api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.gt(now))
            .select(api_tokens::kind)
            .first(conn)
            .optional()?;
        let Some(kind) = kind else {
            return Err(AppError::not_found("会话", "Session"));
        };
        diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(conn)?;
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
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    via: Option<&Credential>,
    own: OwnPassword,
    input: PasswordChange,
) -> AppResult<()> {
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
        let n = diesel::update(users::table.filter(users::id.eq(user_id)))
            .set((
                users::password_hash.eq(&hash),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
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
    Ok(users::table
        .find(id)
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Passwords of 10 characters or more that are among the most used, in China and
/// elsewhere (keyboard walks, repeated digits, "I love you" numbers, `admin`/`password`
/// with digits, pinyin). Lower case: a password is compared after trimming and
/// lower-casing.
pub const COMMON_PASSWORDS: &[&str] = &[
    "0000000000",
    "00000000000",
    "0123456789",
    "0987654321",
    "1111111111",
    "11111111111",
    "1122334455",
    "1234512345",
    "1234554321",
    "1234567890",
    "12345678900",
    "12345678910",
    "1234567890a",
    "1234567890q",
    "1234567890123",
    "123123123123",
    "123321123321",
    "123456123456",
    "123456654321",
    "123456789a",
    "123456789abc",
    "123456789q",
    "1314520520",
    "1357924680",
    "135792468a",
    "1472583690",
    "147258369a",
    "147852369a",
    "1597534862",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "1qaz!qaz1qaz",
    "1qaz2wsx3edc",
    "1qaz2wsx!@",
    "1qaz@wsx#edc",
    "1qazxsw23edc",
    "2222222222",
    "2468135790",
    "3141592653",
    "3333333333",
    "4444444444",
    "5201314520",
    "5555555555",
    "6666666666",
    "7777777777",
    "8888888888",
    "9876543210",
    "9999999999",
    "a1234567890",
    "a12345678910",
    "a123456789",
    "aa123456789",
    "aaaaaaaaaa",
    "abc1234567",
    "abc123456789",
    "abc@123456",
    "abcd1234!@#$",
    "abcd123456",
    "abcdefg123",
    "abcdefghij",
    "admin12345",
    "admin123456",
    "admin@12345",
    "admin@123456",
    "admin@2024",
    "admin@2025",
    "admin@2026",
    "administrator",
    "administrator1",
    "asd123456789",
    "asdfasdfasdf",
    "asdfghjkl1",
    "asdfghjkl;",
    "baidu123456",
    "baseball123",
    "batman12345",
    "beijing123",
    "beijing2008",
    "changeme123",
    "changeme1234",
    "china123456",
    "default123",
    "dragon12345",
    "football123",
    "guest123456",
    "huawei123456",
    "iloveyou123",
    "iloveyou1314",
    "letmein123",
    "lims123456",
    "lims@123456",
    "master12345",
    "monkey12345",
    "p@ssw0rd123",
    "p@ssword123",
    "pa$$word123",
    "passw0rd123",
    "password!@#",
    "password123",
    "password1234",
    "password12345",
    "password2024",
    "password2025",
    "password2026",
    "password@123",
    "princess123",
    "q1234567890",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "qazwsxedc123",
    "qazwsxedcrfv",
    "qq123456789",
    "qq1234567890",
    "qqqqqqqqqq",
    "qwe123456789",
    "qweasdzxc123",
    "qweqweqwe123",
    "qwer1234!@#$",
    "qwerasdfzxcv",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "root123456",
    "root@123456",
    "shanghai123",
    "sunshine123",
    "superman123",
    "tencent123",
    "test123456",
    "test@123456",
    "trustno1234",
    "user123456",
    "wangyi123456",
    "welcome123",
    "welcome1234",
    "welcome@123",
    "woaini1314",
    "woaini1314520",
    "woaini521521",
    "woaizhongguo",
    "xiaomi123456",
    "zaq12wsxcde3",
    "zaq1xsw2cde3",
    "zhongguo123",
    "zxc123456789",
    "zxcvbnm123",
    "zxcvbnm1234",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_password_list_is_lower_case_unique_and_long_enough_to_matter() {
        let mut seen = std::collections::BTreeSet::new();
        for p in COMMON_PASSWORDS {
            assert_eq!(*p, p.trim().to_lowercase(), "{p}");
            assert!(p.chars().count() >= 10, "{p} is refused by length already");
            assert!(seen.insert(*p), "{p} twice");
        }
        assert!((100..=200).contains(&COMMON_PASSWORDS.len()));
    }

    #[test]
    fn passwords_of_invisible_characters_common_ones_and_the_username_are_refused() {
        for p in [
            "          ",
            "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{00ad}\u{3000}\u{3164}\u{2800}\u{180e}",
            "\t\n\r \u{00a0}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}",
            "QwertyUiop",
            " password123 ",
            "Zhang.San.01",
        ] {
            assert!(check_password(p, "zhang.san.01").is_err(), "{p:?}");
        }
        for p in [
            "correct horse battery",
            "demo-0123456789abcdef01",
            "密码是十个汉字组成的吧",
        ] {
            assert!(check_password(p, "zhang.san.01").is_ok(), "{p:?}");
        }
    }

    #[test]
    fn a_client_is_kept_without_control_characters_and_cut_short() {
        assert_eq!(client_text(Some("  ")), None);
        assert_eq!(client_text(Some("a\u{7}b\nc")).as_deref(), Some("abc"));
        assert_eq!(
            client_text(Some(&"x".repeat(500))).map(|c| c.chars().count()),
            Some(CLIENT_MAX_CHARS)
        );
    }
}
