//! Sessions and API tokens: rows of `api_tokens`, found by the SHA-256 of their secret.
//! A credential is live while neither revoked nor expired.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_tokens, users};
use crate::db::users::UserRow;
use crate::db::DbConnection;
use crate::error::AppResult;

/// A live credential's user, id, creation and last use.
pub type LiveCredential = (UserRow, i64, NaiveDateTime, Option<NaiveDateTime>);

/// The live credential of `kind` with this hash, if its user is active.
pub fn live_with_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    kind: &str,
    hash: &str,
) -> AppResult<Option<LiveCredential>> {
    Ok(api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::kind.eq(kind))
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
        .optional()?)
}

/// Notes a use at `now` unless one was noted after `stale`.
pub fn touch(
    conn: &mut DbConnection,
    id: i64,
    stale: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<()> {
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
}

/// Revokes every live credential of `user_id` but `keep`; answers how many.
pub fn revoke_all_of(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    keep: Option<i64>,
) -> AppResult<usize> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.gt(now))
            .filter(api_tokens::id.ne(keep.unwrap_or(-1))),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// Revokes the credential `id` unless it is revoked already; answers how many (0 or 1).
pub fn revoke_unrevoked(conn: &mut DbConnection, now: NaiveDateTime, id: i64) -> AppResult<usize> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// Revokes the credentials `ids`.
pub fn revoke_ids(conn: &mut DbConnection, now: NaiveDateTime, ids: &[i64]) -> AppResult<()> {
    diesel::update(api_tokens::table.filter(api_tokens::id.eq_any(ids)))
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// A live credential as listed to its owner.
pub struct TokenRow {
    pub id: i64,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
    pub client: Option<String>,
}

/// The newest `limit` live credentials of `user_id`.
pub fn live_of(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    limit: i64,
) -> AppResult<Vec<TokenRow>> {
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
        .limit(limit)
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
        .map(
            |(id, kind, created_at, last_used_at, expires_at, client)| TokenRow {
                id,
                kind,
                created_at,
                last_used_at,
                expires_at,
                client,
            },
        )
        .collect())
}

/// The kind of the live credential `id` of `user_id`, if there is one.
pub fn live_kind(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    id: i64,
) -> AppResult<Option<String>> {
    Ok(api_tokens::table
        .filter(api_tokens::id.eq(id))
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .select(api_tokens::kind)
        .first(conn)
        .optional()?)
}

/// Deletes the user's ended (revoked or expired) credentials.
pub fn delete_ended(conn: &mut DbConnection, now: NaiveDateTime, user_id: i64) -> AppResult<()> {
    diesel::delete(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(
                api_tokens::revoked_at
                    .is_not_null()
                    .or(api_tokens::expires_at.le(now)),
            ),
    )
    .execute(conn)?;
    Ok(())
}

/// The user's credentials after the newest `keep`, newest first (at most 1000).
pub fn beyond_newest(conn: &mut DbConnection, user_id: i64, keep: i64) -> AppResult<Vec<i64>> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .offset(keep)
        .limit(1_000)
        .select(api_tokens::id)
        .load(conn)?)
}

/// A credential to store: only the hash of its secret.
pub struct NewToken<'a> {
    pub user_id: i64,
    pub hash: &'a str,
    pub kind: &'a str,
    pub expires_at: NaiveDateTime,
    pub client: Option<&'a str>,
}

/// Stores a credential created (and last used) at `now`; answers its id.
pub fn insert(conn: &mut DbConnection, now: NaiveDateTime, t: &NewToken<'_>) -> AppResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(t.user_id),
            api_tokens::token_hash.eq(t.hash),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(t.expires_at),
            api_tokens::kind.eq(t.kind),
            api_tokens::last_used_at.eq(Some(now)),
            api_tokens::client.eq(t.client),
        ))
        .execute(conn)?;
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(t.hash))
        .select(api_tokens::id)
        .first(conn)?)
}
