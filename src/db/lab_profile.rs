//! The lab identity printed on reports (`lab_profile`, one row once an admin sets it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::lab_profile;
use crate::db::DbConnection;
use crate::error::AppResult;

/// The stored lab identity; `disclaimer` is a JSON list of paragraphs.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = lab_profile)]
pub struct LabProfileRow {
    pub name: String,
    pub address: String,
    pub cma_no: String,
    pub contact: String,
    pub report_title: String,
    pub disclaimer: String,
    pub version: i32,
}

pub fn get(conn: &mut DbConnection) -> AppResult<Option<LabProfileRow>> {
    Ok(lab_profile::table
        .find(1)
        .select(LabProfileRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes the one row: an update when `configured`, else the first insert. The version
/// becomes `row.version`.
pub fn put(
    conn: &mut DbConnection,
    row: &LabProfileRow,
    configured: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let values = (
        lab_profile::name.eq(&row.name),
        lab_profile::address.eq(&row.address),
        lab_profile::cma_no.eq(&row.cma_no),
        lab_profile::contact.eq(&row.contact),
        lab_profile::report_title.eq(&row.report_title),
        lab_profile::disclaimer.eq(&row.disclaimer),
        lab_profile::updated_at.eq(now),
    );
    if configured {
        diesel::update(lab_profile::table.find(1))
            .set((values, lab_profile::version.eq(row.version)))
            .execute(conn)?;
    } else {
        diesel::insert_into(lab_profile::table)
            .values((
                lab_profile::id.eq(1),
                values,
                lab_profile::version.eq(row.version),
            ))
            .execute(conn)?;
    }
    Ok(())
}
