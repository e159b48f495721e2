//! Users' rows: the one loader of a user (`UserRow`, which the login, the session check
//! and the admin pages share), the username and region checks, inserts, updates and the
//! scoped lists. No role is checked here; `workflow::accounts` does that.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppResult;

/// A user as stored, with its password hash (never shown).
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

/// The checked fields of a new user.
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a str,
    pub region_code: Option<&'a str>,
}

/// The user with this id.
pub fn by_id(conn: &mut DbConnection, id: i64) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The active user with this id.
pub fn active_by_id(conn: &mut DbConnection, id: i64) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The id and password hash of the user with this username.
pub fn id_and_hash(conn: &mut DbConnection, username: &str) -> AppResult<Option<(i64, String)>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select((users::id, users::password_hash))
        .first(conn)
        .optional()?)
}

/// The usernames of all users.
pub fn usernames(conn: &mut DbConnection) -> AppResult<std::collections::BTreeSet<String>> {
    Ok(users::table
        .select(users::username)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Whether some user has this username.
pub fn username_taken(conn: &mut DbConnection, username: &str) -> AppResult<bool> {
    let n: i64 = users::table
        .filter(users::username.eq(username))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Inserts an active user at version 1 and answers its row.
pub fn insert(
    conn: &mut DbConnection,
    u: &NewUserRow<'_>,
    now: NaiveDateTime,
) -> AppResult<UserRow> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(u.username),
            users::display_name.eq(u.display_name),
            users::password_hash.eq(u.password_hash),
            users::roles.eq(u.roles),
            users::region_code.eq(u.region_code),
            users::active.eq(true),
            users::version.eq(1),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(users::table
        .filter(users::username.eq(u.username))
        .select(UserRow::as_select())
        .first(conn)?)
}

/// Writes `after`'s editable fields, version and time over the row still at
/// `version`; answers the rows changed (0 when the version is stale).
pub fn update(conn: &mut DbConnection, version: i32, after: &UserRow) -> AppResult<usize> {
    Ok(diesel::update(
        users::table
            .filter(users::id.eq(after.id))
            .filter(users::version.eq(version)),
    )
    .set((
        users::display_name.eq(&after.display_name),
        users::roles.eq(&after.roles),
        users::region_code.eq(&after.region_code),
        users::active.eq(after.active),
        users::password_hash.eq(&after.password_hash),
        users::version.eq(after.version),
        users::updated_at.eq(after.updated_at),
    ))
    .execute(conn)?)
}

/// Sets a user's password hash and bumps its version; answers the rows changed.
pub fn set_password(
    conn: &mut DbConnection,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::password_hash.eq(hash),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?)
}

/// One page of the users by username, with the number of all; with `region_like` (a
/// `LIKE` pattern) only users whose region matches it.
pub fn page(
    conn: &mut DbConnection,
    region_like: Option<String>,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<UserRow>, i64)> {
    let scoped = |pattern: Option<String>| {
        let mut q = users::table.into_boxed();
        if let Some(p) = pattern {
            q = q.filter(users::region_code.like(p));
        }
        q
    };
    let total: i64 = scoped(region_like.clone()).count().get_result(conn)?;
    let rows = scoped(region_like)
        .order(users::username.asc())
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The active users whose stored role list contains `role` as text, by display name
/// (the caller parses the list to drop a role that only contains it).
pub fn active_with_role_text(conn: &mut DbConnection, role: &str) -> AppResult<Vec<UserRow>> {
    Ok(users::table
        .filter(users::active.eq(true))
        .filter(users::roles.like(format!("%{role}%")))
        .order(users::display_name.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// `(id, display name)` of the users among `ids`: the one loader of names for pages,
/// documents and sheets.
pub fn display_names(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load(conn)?)
}

/// One user's display name, if the user exists.
pub fn display_name(conn: &mut DbConnection, id: i64) -> AppResult<Option<String>> {
    Ok(users::table
        .find(id)
        .select(users::display_name)
        .first(conn)
        .optional()?)
}

/// `(id, roles as stored, active)` of the users among `ids`: whether a named sampler,
/// technician or signatory may act.
pub fn roles_of(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<(i64, String, bool)>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::roles, users::active))
        .load(conn)?)
}
