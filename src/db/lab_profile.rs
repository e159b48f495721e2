//! The lab identity printed on reports, as `GET /api/v1/settings/lab` shows it: the
//! layout version in force (`db::layouts`), or the defaults until an admin sets one.
//! (The one-row `lab_profile` table of before versions is read only by the migration
//! that made its row version 1.)

use serde::{Deserialize, Serialize};

use crate::db::layouts::{self, Layout, LayoutRow};
use crate::db::DbConnection;
use crate::error::AppResult;

/// The lab as printed on every report (rules.md §d.1): name, address, qualification mark,
/// contact, the report's title and the disclaimer block, and the rest of the layout an
/// admin edits. `version` is the layout version (0 while only the defaults exist).
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
    /// Lines printed under the lab's name.
    #[serde(default)]
    pub header_lines: Vec<String>,
    #[serde(default)]
    pub phone: String,
    /// The words above the signature lines; empty prints the defaults (主检 / 审核 / 批准).
    #[serde(default)]
    pub tester_title: String,
    #[serde(default)]
    pub reviewer_title: String,
    #[serde(default)]
    pub signatory_title: String,
    #[serde(default)]
    pub cover_page: bool,
    /// What new report numbers start with; empty = QHJ.
    #[serde(default)]
    pub number_prefix: String,
    /// The notice's contact line for the organising bureau.
    #[serde(default)]
    pub notice_contact: String,
    /// The notice's text on where to file a re-examination.
    #[serde(default)]
    pub reexam_where: String,
    /// SHA-256 of the logo image (PNG), if one is set.
    #[serde(default)]
    pub logo_sha256: Option<String>,
    /// SHA-256 of the CMA mark image (PNG), if one is set.
    #[serde(default)]
    pub cma_sha256: Option<String>,
}

impl LabProfile {
    pub(crate) fn defaults() -> LabProfile {
        LabProfile::of(
            Layout {
                name: "检验检测机构（请在系统设置中填写）".into(),
                cma_no: "CMA".into(),
                report_title: "检验报告".into(),
                disclaimer: default_disclaimer(),
                ..Layout::default()
            },
            0,
            None,
            None,
        )
    }

    pub(crate) fn of(
        l: Layout,
        version: i32,
        logo_sha256: Option<String>,
        cma_sha256: Option<String>,
    ) -> LabProfile {
        LabProfile {
            name: l.name,
            address: l.address,
            cma_no: l.cma_no,
            contact: l.contact,
            report_title: l.report_title,
            disclaimer: l.disclaimer,
            configured: version > 0,
            version,
            header_lines: l.header_lines,
            phone: l.phone,
            tester_title: l.tester_title,
            reviewer_title: l.reviewer_title,
            signatory_title: l.signatory_title,
            cover_page: l.cover_page,
            number_prefix: l.number_prefix,
            notice_contact: l.notice_contact,
            reexam_where: l.reexam_where,
            logo_sha256,
            cma_sha256,
        }
    }

    /// The settings alone, as a version stores them.
    pub fn layout(&self) -> Layout {
        Layout {
            name: self.name.clone(),
            header_lines: self.header_lines.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
            contact: self.contact.clone(),
            cma_no: self.cma_no.clone(),
            report_title: self.report_title.clone(),
            disclaimer: self.disclaimer.clone(),
            tester_title: self.tester_title.clone(),
            reviewer_title: self.reviewer_title.clone(),
            signatory_title: self.signatory_title.clone(),
            cover_page: self.cover_page,
            number_prefix: self.number_prefix.clone(),
            notice_contact: self.notice_contact.clone(),
            reexam_where: self.reexam_where.clone(),
        }
    }
}

pub(crate) fn default_disclaimer() -> Vec<String> {
    vec![
        "本报告仅对所检样品负责。".into(),
        "未经本机构书面批准，不得部分复制本报告。".into(),
        "本报告无检验检测专用章、骑缝章无效；报告涂改无效。".into(),
        "对检验结论有异议的，请按《食品安全抽样检验管理办法》等规定的期限和程序提出。".into(),
        "扫描本报告首页二维码可核验报告真伪及状态。".into(),
    ]
}

fn from_row(row: LayoutRow) -> AppResult<LabProfile> {
    Ok(LabProfile::of(
        row.layout()?,
        row.version,
        row.logo_sha256,
        row.cma_sha256,
    ))
}

/// The lab identity in force (the defaults until an admin sets it). Readable by any
/// signed-in user.
pub fn load(conn: &mut DbConnection) -> AppResult<LabProfile> {
    match layouts::latest(conn)? {
        Some(row) => from_row(row),
        None => Ok(LabProfile::defaults()),
    }
}

/// Layout version `version`; 0, or a version that does not exist, is the defaults.
pub fn load_version(conn: &mut DbConnection, version: i32) -> AppResult<Option<LabProfile>> {
    if version == 0 {
        return Ok(Some(LabProfile::defaults()));
    }
    layouts::get(conn, version)?.map(from_row).transpose()
}
