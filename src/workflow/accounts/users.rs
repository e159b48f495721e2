//! Users: an admin creates, changes and lists the users of its scope.

use chrono::{Duration, NaiveDateTime};

use super::sessions::{revoke_all, Credential};
use super::{
    check_password, check_region, check_roles, check_username, hash_password, in_scope, load_user,
    outside_scope, visible_user, NewUser, User, UserPatch, UserRow, REAUTH_MINUTES,
};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::region::RegionCode;
use crate::domain::role::{Role, Roles};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, AuditRow, Change};
use crate::workflow::Ctx;
use crate::workflow::{clean_text, Actor};

/// An admin creates a user inside its own scope (a province-wide account only when
/// the admin is province-wide itself).
pub fn create_user(cx: &mut Ctx, input: NewUser) -> AppResult<User> {
    let actor = cx.actor;
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
    create_user_unchecked(cx, input)
}

/// Creates a user without checking the actor's role: for the CLI and demo seeding,
/// which run with the machine owner's authority.
pub fn create_user_unchecked(cx: &mut Ctx, input: NewUser) -> AppResult<User> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
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
        if db::users::username_taken(conn, &username)? {
            return Err(AppError::Conflict(Msg::new(
                format!("用户名“{username}”已被使用"),
                format!("The username `{username}` is taken"),
            )));
        }
        let row = db::users::insert(
            conn,
            &db::users::NewUserRow {
                username: &username,
                display_name: &display_name,
                password_hash: &password_hash,
                roles: &roles.to_db_string(),
                region_code: region.as_deref(),
            },
            now,
        )?;
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
    cx: &mut Ctx,
    via: Option<&Credential>,
    own: OwnPassword,
    id: i64,
    patch: UserPatch,
) -> AppResult<User> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
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
        let n = db::users::update(conn, patch.version, &after)?;
        AppError::stale_unless(n)?;
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
    let pattern = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let (rows, total) = db::users::page(conn, pattern, (page - 1) * per_page, per_page)?;
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
    let pattern = actor
        .region
        .as_ref()
        .map(|scope| format!("{}%", scope.like_prefix()));
    db::audit::newest_rows(conn, pattern, limit)
}

/// Users holding `role` who are active, for pickers (e.g. the two samplers).
pub fn active_users_with_role(conn: &mut DbConnection, role: Role) -> AppResult<Vec<User>> {
    let rows = db::users::active_with_role_text(conn, role.as_str())?;
    Ok(rows
        .iter()
        .map(UserRow::to_user)
        .filter(|u| u.roles.has(role))
        .collect())
}
