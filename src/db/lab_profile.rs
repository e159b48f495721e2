//! The lab identity printed on reports (`lab_profile`, one row once an admin sets it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::lab_profile;
use crate::db::DbConnection;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

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

/// The lab as printed on every report (rules.md §d.1): name, address, qualification mark,
/// contact, the report's title and the disclaimer block. Edited by an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LabProfile {
    pub name: String,
    pub address: String,
    /// The CMA qualification mark text with its certificate number.
    pub cma_no: String,
    pub contact: String,
    pub report_title: String,
    /// One paragraph per entry.
    pub disclaimer: Vec<String>,
    /// Whether an admin has set it (otherwise these are the defaults).
    pub configured: bool,
    pub version: i32,
}

impl LabProfile {
    pub(crate) fn defaults() -> LabProfile {
        LabProfile {
            name: "检验检测机构（请在系统设置中填写）".into(),
            address: String::new(),
            cma_no: "CMA".into(),
            contact: String::new(),
            report_title: "检验报告".into(),
            disclaimer: vec![
                "本报告仅对所检样品负责。".into(),
                "未经本机构书面批准，不得部分复制本报告。".into(),
                "本报告无检验检测专用章、骑缝章无效；报告涂改无效。".into(),
                "对检验结论有异议的，请按《食品安全抽样检验管理办法》等规定的期限和程序提出。"
                    .into(),
                "扫描本报告首页二维码可核验报告真伪及状态。".into(),
            ],
            configured: false,
            version: 0,
        }
    }
}

/// The lab identity (the defaults until an admin sets it). Readable by any signed-in user.
pub fn load(conn: &mut DbConnection) -> AppResult<LabProfile> {
    let Some(row) = get(conn)? else {
        return Ok(LabProfile::defaults());
    };
    Ok(LabProfile {
        name: row.name,
        address: row.address,
        cma_no: row.cma_no,
        contact: row.contact,
        report_title: row.report_title,
        disclaimer: serde_json::from_str(&row.disclaimer).map_err(AppError::internal)?,
        configured: true,
        version: row.version,
    })
}
