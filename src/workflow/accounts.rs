//! Accounts: users with roles and a region scope, password login (throttled in
//! `workflow::throttle`), API tokens stored hashed. Passwords are hashed with Argon2id
//! and never logged or audited.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::{api_tokens, regions, users};
use crate::db::{write_tx, DbConnection};
use crate::domain::region::RegionCode;
use crate::domain::role::{Role, Roles};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor};

/// How long an API token lives.
pub const TOKEN_LIFETIME_DAYS: i64 = 30;

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
    pub version: i32,
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

fn check_password(p: &str) -> Result<(), Msg> {
    let n = p.chars().count();
    if !(10..=256).contains(&n) {
        return Err(Msg::new(
            "密码长度应为10至256个字符",
            "must be 10 to 256 characters",
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

/// An admin creates a user.
pub fn create_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: NewUser,
) -> AppResult<User> {
    actor.require(&[Role::Admin])?;
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
    if let Err(m) = check_password(&input.password) {
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

/// An admin changes a user. A stale `version` is a conflict; deactivating a user
/// revokes every token it holds.
pub fn update_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    patch: UserPatch,
) -> AppResult<User> {
    actor.require(&[Role::Admin])?;
    let mut fields = FieldErrors::new();
    let display_name = match &patch.display_name {
        Some(d) => clean_text(d, 64, true)
            .map(Some)
            .map_err(|m| fields.insert("display_name".into(), m))
            .ok(),
        None => Some(None),
    };
    if let Some(p) = &patch.password {
        if let Err(m) = check_password(p) {
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
    if actor.id == Some(id)
        && (patch.active == Some(false) || roles.as_ref().is_some_and(|r| !r.has(Role::Admin)))
    {
        return Err(AppError::Conflict(Msg::new(
            "不能停用自己或取消自己的管理员角色",
            "You cannot deactivate yourself or remove your own admin role",
        )));
    }
    let password_hash = patch.password.as_deref().map(hash_password).transpose()?;
    write_tx(conn, |conn| {
        let before = load_user(conn, id)?;
        if before.version != patch.version {
            return Err(AppError::stale());
        }
        let mut after = before.clone();
        if let Some(d) = display_name {
            after.display_name = d;
        }
        if let Some(r) = roles {
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
        if !after.active {
            diesel::update(
                api_tokens::table
                    .filter(api_tokens::user_id.eq(id))
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(conn)?;
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
        Ok(user)
    })
}

pub fn list_users(
    conn: &mut DbConnection,
    actor: &Actor,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<User>, i64)> {
    actor.require(&[Role::Admin])?;
    let total: i64 = users::table.count().get_result(conn)?;
    let rows: Vec<UserRow> = users::table
        .order(users::username.asc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows.iter().map(UserRow::to_user).collect(), total))
}

pub fn get_user(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<User> {
    if actor.id != Some(id) {
        actor.require(&[Role::Admin])?;
    }
    Ok(load_user(conn, id)?.to_user())
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

/// Logs in for the API: issues a bearer token, of which only the hash is stored, to a
/// user whose password was checked (`web::login::check_password`).
pub fn login(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    row: &UserRow,
) -> AppResult<(String, User)> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    let actor = row.to_actor();
    write_tx(conn, |conn| {
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(row.id),
                api_tokens::token_hash.eq(&hash),
                api_tokens::created_at.eq(now),
                api_tokens::expires_at.eq(now + Duration::days(TOKEN_LIFETIME_DAYS)),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            now,
            &actor,
            Change {
                action: "auth.token_issued",
                entity_kind: "user",
                entity_id: row.id.to_string(),
                ..Change::default()
            },
        )
    })?;
    Ok((token, row.to_user()))
}

/// The user behind a bearer token, if it is valid, unexpired, unrevoked and the user
/// is active.
pub fn authenticate_token(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> AppResult<Option<UserRow>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let row: Option<UserRow> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash(token)))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row)
}

/// Revokes the bearer token (logout).
pub fn revoke_token(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    token: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let n = diesel::update(
            api_tokens::table
                .filter(api_tokens::token_hash.eq(token_hash(token)))
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
                    action: "auth.token_revoked",
                    entity_kind: "user",
                    entity_id: actor.id.map(|i| i.to_string()).unwrap_or_default(),
                    ..Change::default()
                },
            )?;
        }
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
