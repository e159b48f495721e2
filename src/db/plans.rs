//! Sampling plans (抽检计划): the `plans` table.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::plans;
use super::DbConnection;
use crate::domain::region::RegionCode;
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub level: String,
    pub kind: String,
    pub domain: String,
    pub region_code: String,
    pub target_batches: i32,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The stored fields of a plan, checked by the caller.
/// Creation inserts them and an edit writes them, each one (an empty one as NULL).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = plans, treat_none_as_null = true)]
pub struct PlanValues<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub year: i32,
    pub level: &'a str,
    pub kind: &'a str,
    pub domain: &'a str,
    pub region_code: &'a str,
    pub target_batches: i32,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// The id of the plan with `code`, other than `except`.
pub fn id_by_code(
    conn: &mut DbConnection,
    code: &str,
    except: Option<i64>,
) -> AppResult<Option<i64>> {
    let mut q = plans::table
        .filter(plans::code.eq(code))
        .select(plans::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(plans::id.ne(id));
    }
    Ok(q.first(conn).optional()?)
}

/// Inserts a plan at version 1 and returns it.
pub fn insert(conn: &mut DbConnection, v: &PlanValues, now: NaiveDateTime) -> AppResult<Plan> {
    diesel::insert_into(plans::table)
        .values((
            v,
            plans::version.eq(1),
            plans::created_at.eq(now),
            plans::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(plans::table
        .filter(plans::code.eq(v.code))
        .select(Plan::as_select())
        .first(conn)?)
}

/// Stores `v` over plan `id` if it is still at `version`; the rows changed.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    v: &PlanValues,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(
        diesel::update(plans::table.find(id).filter(plans::version.eq(version)))
            .set((v, plans::version.eq(version + 1), plans::updated_at.eq(now)))
            .execute(conn)?,
    )
}

/// The plan with id `id` (a missing one is a 404).
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Plan> {
    Ok(plans::table
        .find(id)
        .select(Plan::as_select())
        .first(conn)?)
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Plan>> {
    Ok(plans::table
        .find(id)
        .select(Plan::as_select())
        .first(conn)
        .optional()?)
}

/// The kind (`PlanKind` key) of plan `id`.
pub fn kind_of(conn: &mut DbConnection, id: i64) -> AppResult<String> {
    Ok(plans::table.find(id).select(plans::kind).first(conn)?)
}

/// What a plan list is filtered by.
pub struct PlanQuery<'a> {
    pub year: Option<i32>,
    pub domain: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// Code or name contains this.
    pub text: Option<&'a str>,
    /// Plans whose region overlaps this scope.
    pub scope: Option<&'a RegionCode>,
}

/// One page of plans, newest year first, and the count of all that match.
pub fn list(
    conn: &mut DbConnection,
    f: &PlanQuery,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Plan>, i64)> {
    let build = || {
        let mut q = plans::table.into_boxed();
        if let Some(y) = f.year {
            q = q.filter(plans::year.eq(y));
        }
        if let Some(d) = f.domain {
            q = q.filter(plans::domain.eq(d.to_string()));
        }
        if let Some(k) = f.kind {
            q = q.filter(plans::kind.eq(k.to_string()));
        }
        if let Some(text) = f.text {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            q = q.filter(plans::code.like(pat.clone()).or(plans::name.like(pat)));
        }
        if let Some(scope) = f.scope {
            // The plan's region contains the scope (its prefix) or lies inside it.
            let ancestors: Vec<String> = ancestors_of(scope);
            q = q.filter(
                plans::region_code
                    .like(format!("{}%", scope.like_prefix()))
                    .or(plans::region_code.eq_any(ancestors)),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order((plans::year.desc(), plans::code.asc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Plan::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The province and prefecture codes above a region (and itself).
fn ancestors_of(r: &RegionCode) -> Vec<String> {
    let s = r.as_str();
    vec![
        format!("{}0000", &s[..2]),
        format!("{}00", &s[..4]),
        s.to_string(),
    ]
}
