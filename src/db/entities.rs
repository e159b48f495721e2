//! Sampled entities (被抽样单位): the `entities` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::entities;
use super::DbConnection;
use crate::domain::region::RegionCode;
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = entities)]
pub struct Entity {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub license_no: Option<String>,
    pub kind: String,
    pub address: String,
    pub region_code: String,
    pub contact: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// 法定代表人/负责人.
    pub legal_rep: Option<String>,
    /// 年销售额, as written (e.g. "50万元").
    pub annual_sales: Option<String>,
}

/// The stored fields of an entity, checked by the caller.
/// Creation inserts them and an edit writes them, each one (an empty one as NULL).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = entities, treat_none_as_null = true)]
pub struct EntityValues<'a> {
    pub name: &'a str,
    pub uscc: &'a str,
    pub license_no: Option<&'a str>,
    pub kind: &'a str,
    pub address: &'a str,
    pub region_code: &'a str,
    pub contact: Option<&'a str>,
    pub legal_rep: Option<&'a str>,
    pub annual_sales: Option<&'a str>,
}

/// The id of the entity with `uscc`, other than `except`.
pub fn id_by_uscc(
    conn: &mut DbConnection,
    uscc: &str,
    except: Option<i64>,
) -> AppResult<Option<i64>> {
    let mut q = entities::table
        .filter(entities::uscc.eq(uscc))
        .select(entities::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(entities::id.ne(id));
    }
    Ok(q.first(conn).optional()?)
}

/// Inserts an entity at version 1 and returns it.
pub fn insert(conn: &mut DbConnection, v: &EntityValues, now: NaiveDateTime) -> AppResult<Entity> {
    diesel::insert_into(entities::table)
        .values((
            v,
            entities::version.eq(1),
            entities::created_at.eq(now),
            entities::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(entities::table
        .filter(entities::uscc.eq(v.uscc))
        .select(Entity::as_select())
        .first(conn)?)
}

/// Stores `v` over entity `id` if it is still at `version`; the rows changed.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    v: &EntityValues,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        entities::table
            .find(id)
            .filter(entities::version.eq(version)),
    )
    .set((
        v,
        entities::version.eq(version + 1),
        entities::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// The entity with id `id` (a missing one is a 404).
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Entity> {
    Ok(entities::table
        .find(id)
        .select(Entity::as_select())
        .first(conn)?)
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Entity>> {
    Ok(entities::table
        .find(id)
        .select(Entity::as_select())
        .first(conn)
        .optional()?)
}

/// The ids of entities whose name contains `text` (at most 1000).
pub fn ids_named_like(conn: &mut DbConnection, text: &str) -> AppResult<Vec<i64>> {
    let pat = format!("%{}%", text.replace(['%', '_'], ""));
    Ok(entities::table
        .filter(entities::name.like(pat))
        .select(entities::id)
        .limit(1000)
        .load(conn)?)
}

/// One page of entities within `scope` whose name or USCC contains `text`, by name,
/// and the count of all that match.
pub fn list(
    conn: &mut DbConnection,
    scope: Option<&RegionCode>,
    text: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Entity>, i64)> {
    let build = || {
        let mut query = entities::table.into_boxed();
        if let Some(text) = text {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            query = query.filter(
                entities::name
                    .like(pat.clone())
                    .or(entities::uscc.like(pat.to_uppercase())),
            );
        }
        if let Some(scope) = scope {
            query = query.filter(entities::region_code.like(format!("{}%", scope.like_prefix())));
        }
        query
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(entities::name.asc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Entity::as_select())
        .load(conn)?;
    Ok((items, total))
}
