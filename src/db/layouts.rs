//! The lab's report layout as versions (`report_layouts`, append-only: every change is a
//! new row) and the images they name (`report_layout_images`, one row per distinct PNG,
//! keyed by its SHA-256). Which version an issued report used is `reports.layout_version`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{report_layout_images, report_layouts, reports};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

/// The settings of one layout version, stored as one JSON document. Every field has a
/// default, so a version written before a field existed still reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    pub name: String,
    /// Lines printed under the lab's name in the report head (e.g. a parent body).
    pub header_lines: Vec<String>,
    pub address: String,
    pub phone: String,
    pub contact: String,
    /// The qualification mark text with its certificate number.
    pub cma_no: String,
    pub report_title: String,
    /// The 声明 block, one paragraph per entry.
    pub disclaimer: Vec<String>,
    /// The words above the three signature lines (主检 / 审核 / 批准); empty = defaults.
    pub tester_title: String,
    pub reviewer_title: String,
    pub signatory_title: String,
    pub cover_page: bool,
    /// What report numbers start with (1–8 uppercase letters or digits); empty = QHJ.
    pub number_prefix: String,
    /// The notice's contact line for the organising bureau.
    pub notice_contact: String,
    /// The notice's text on where to file a re-examination.
    pub reexam_where: String,
}

/// A stored version.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_layouts)]
pub struct LayoutRow {
    pub version: i32,
    pub settings: String,
    pub logo_sha256: Option<String>,
    pub cma_sha256: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<i64>,
}

impl LayoutRow {
    pub fn layout(&self) -> AppResult<Layout> {
        serde_json::from_str(&self.settings).map_err(AppError::internal)
    }
}

/// The version in force (the newest), if an admin ever set one.
pub fn latest(conn: &mut DbConnection) -> AppResult<Option<LayoutRow>> {
    Ok(report_layouts::table
        .order(report_layouts::version.desc())
        .select(LayoutRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, version: i32) -> AppResult<Option<LayoutRow>> {
    Ok(report_layouts::table
        .find(version)
        .select(LayoutRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every version, newest first.
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<LayoutRow>> {
    Ok(report_layouts::table
        .order(report_layouts::version.desc())
        .select(LayoutRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(report_layouts::table.count().get_result(conn)?)
}

/// Appends a version (the primary key refuses a second writer of the same number).
pub fn insert(
    conn: &mut DbConnection,
    version: i32,
    layout: &Layout,
    logo_sha256: Option<&str>,
    cma_sha256: Option<&str>,
    by: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let settings = serde_json::to_string(layout).map_err(AppError::internal)?;
    diesel::insert_into(report_layouts::table)
        .values((
            report_layouts::version.eq(version),
            report_layouts::settings.eq(settings),
            report_layouts::logo_sha256.eq(logo_sha256),
            report_layouts::cma_sha256.eq(cma_sha256),
            report_layouts::created_at.eq(now),
            report_layouts::created_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores `png` under its hash unless it is already there.
pub fn put_image(
    conn: &mut DbConnection,
    sha256: &str,
    png: &[u8],
    now: NaiveDateTime,
) -> AppResult<()> {
    let exists: i64 = report_layout_images::table
        .filter(report_layout_images::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(report_layout_images::table)
            .values((
                report_layout_images::sha256.eq(sha256),
                report_layout_images::png.eq(png),
                report_layout_images::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn image(conn: &mut DbConnection, sha256: &str) -> AppResult<Option<Vec<u8>>> {
    Ok(report_layout_images::table
        .find(sha256)
        .select(report_layout_images::png)
        .first(conn)
        .optional()?)
}

/// Records the layout version report `report_no` was issued with, in the issuing
/// transaction (the report row is otherwise never edited).
pub fn set_report_layout(conn: &mut DbConnection, report_no: &str, version: i32) -> AppResult<()> {
    diesel::update(reports::table.filter(reports::report_no.eq(report_no)))
        .set(reports::layout_version.eq(Some(version)))
        .execute(conn)?;
    Ok(())
}

/// The layout version report `report_no` was issued with: `None` when issued before
/// versions existed (or no such report).
pub fn report_layout(conn: &mut DbConnection, report_no: &str) -> AppResult<Option<i32>> {
    Ok(reports::table
        .filter(reports::report_no.eq(report_no))
        .select(reports::layout_version)
        .first::<Option<i32>>(conn)
        .optional()?
        .flatten())
}

/// The report number prefix of the version in force ("QHJ" when none is set).
pub fn number_prefix(conn: &mut DbConnection) -> AppResult<String> {
    let prefix = match latest(conn)? {
        Some(row) => row.layout()?.number_prefix,
        None => String::new(),
    };
    Ok(if prefix.is_empty() {
        DEFAULT_PREFIX.to_string()
    } else {
        prefix
    })
}

/// The report number prefix when a layout sets none.
pub const DEFAULT_PREFIX: &str = "QHJ";
