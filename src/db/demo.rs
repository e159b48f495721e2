//! The reads and writes of the demo seeder at scale ([`crate::seed::demo_scale`]) other
//! than its bulk inserts ([`crate::db::bulk`]): the reference data it draws from, the ids
//! of the rows it inserted, the sample sequences it continues.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::schema::{
    categories, entities, plans, regions, sample_sequences, samples, test_items, users,
};
use crate::db::DbConnection;
use crate::error::AppResult;

/// On SQLite, a page cache of 256 MB for this connection (`large`) or back to the
/// default 2 MB: a load touches a dozen indexes at random places, and rebuilding them
/// sorts in memory. PostgreSQL sizes its own.
pub fn large_page_cache(conn: &mut DbConnection, large: bool) -> AppResult<()> {
    if let DbConnection::Sqlite(_) = conn {
        conn.batch_execute(match large {
            true => "PRAGMA cache_size = -262144",
            false => "PRAGMA cache_size = -2000",
        })?;
    }
    Ok(())
}

/// The first user by id (the demo samples' sampler), if any.
pub fn first_user(conn: &mut DbConnection) -> AppResult<Option<i64>> {
    Ok(users::table
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .optional()?)
}

/// A region's code, level, parent and own population figure.
pub type RegionRow = (String, String, Option<String>, Option<i64>);

/// Every region by code.
pub fn regions(conn: &mut DbConnection) -> AppResult<Vec<RegionRow>> {
    Ok(regions::table
        .select((
            regions::code,
            regions::level,
            regions::parent_code,
            regions::population,
        ))
        .order(regions::code.asc())
        .load(conn)?)
}

/// The categories a sample can name (subcategories and top-level categories without
/// any), as code, Chinese name and domain, by code.
pub fn sample_categories(conn: &mut DbConnection) -> AppResult<Vec<(String, String, String)>> {
    Ok(categories::table
        .filter(
            categories::level
                .eq("subcategory")
                .or(categories::parent_code.is_null()),
        )
        .select((categories::code, categories::name_zh, categories::domain))
        .order(categories::code.asc())
        .load(conn)?)
}

/// A test item's id, category, name, method and judgment standards, limit kind, unit.
pub type ItemRow = (i64, String, String, String, String, String, String);

/// Every test item by id.
pub fn test_items(conn: &mut DbConnection) -> AppResult<Vec<ItemRow>> {
    Ok(test_items::table
        .select((
            test_items::id,
            test_items::category_code,
            test_items::name,
            test_items::method_standard,
            test_items::judgment_standard,
            test_items::limit_kind,
            test_items::unit,
        ))
        .order(test_items::id.asc())
        .load(conn)?)
}

/// The ids of the plans whose code is LIKE `pattern`, by code.
pub fn plan_ids_like(conn: &mut DbConnection, pattern: &str) -> AppResult<Vec<i64>> {
    Ok(plans::table
        .filter(plans::code.like(pattern))
        .order(plans::code.asc())
        .select(plans::id)
        .load(conn)?)
}

/// The ids of the entities whose USCC is LIKE `pattern`, by USCC.
pub fn entity_ids_like(conn: &mut DbConnection, pattern: &str) -> AppResult<Vec<i64>> {
    Ok(entities::table
        .filter(entities::uscc.like(pattern))
        .order(entities::uscc.asc())
        .select(entities::id)
        .load(conn)?)
}

/// The last sample number of each county in `year`.
pub fn sequences(conn: &mut DbConnection, year: i32) -> AppResult<HashMap<String, i32>> {
    Ok(sample_sequences::table
        .filter(sample_sequences::year.eq(year))
        .select((sample_sequences::county_code, sample_sequences::last_value))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect())
}

/// Sets county `county`'s last sample number of `year`, creating its row unless
/// `exists`.
pub fn set_sequence(
    conn: &mut DbConnection,
    year: i32,
    county: &str,
    last: i32,
    exists: bool,
) -> AppResult<()> {
    if exists {
        diesel::update(
            sample_sequences::table
                .filter(sample_sequences::year.eq(year))
                .filter(sample_sequences::county_code.eq(county)),
        )
        .set(sample_sequences::last_value.eq(last))
        .execute(conn)?;
    } else {
        diesel::insert_into(sample_sequences::table)
            .values((
                sample_sequences::year.eq(year),
                sample_sequences::county_code.eq(county),
                sample_sequences::last_value.eq(last),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many samples there are.
pub fn sample_count(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(samples::table.count().get_result(conn)?)
}

/// The ids of the samples numbered `nos` (any number of them), by number.
pub fn sample_ids(conn: &mut DbConnection, nos: &[String]) -> AppResult<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    for chunk in nos.chunks(crate::db::bulk::CHUNK) {
        let found: Vec<(String, i64)> = samples::table
            .filter(samples::sample_no.eq_any(chunk))
            .select((samples::sample_no, samples::id))
            .load(conn)?;
        ids.extend(found);
    }
    Ok(ids)
}
