//! The lab's report layout as the documents print it: which version a report uses (the
//! one in force for a new report; the original's for a reissue unless asked otherwise),
//! how a version maps onto the documents' `LabIdentity` ([`LabProfile::apply`]), the
//! images of a version, the checks an uploaded image passes, the version list, and the
//! preview of unsaved settings (a read: it stores nothing).
//!
//! Invariant: a version is never edited; an issued report records the version it used
//! (`reports.layout_version`; NULL, issued before versions existed, reads as version 1).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::doc_error;
use super::profile::{checked, lab_profile, LabProfile, LabProfileInput};
use crate::db::{self, DbConnection};
use crate::documents::report::{
    check_image, render_report_with, LabIdentity, ReportAssets, ReportDoc, ReportRow,
};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::Actor;

/// Which layout version a new report is printed with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LayoutChoice {
    /// The version the report it replaces used (the version in force for a first issue).
    #[default]
    Original,
    /// The version in force now.
    Current,
}

impl LayoutChoice {
    /// `layout` of a reissue request: absent keeps the original's, "current" the one in force.
    pub fn parse(v: Option<&str>) -> Result<LayoutChoice, Msg> {
        match v.map(str::trim) {
            None | Some("") | Some("original") => Ok(LayoutChoice::Original),
            Some("current") => Ok(LayoutChoice::Current),
            Some(_) => Err(Msg::new(
                "版式只能是 current 或 original",
                "must be current or original",
            )),
        }
    }
}

/// The layout a report replacing `supersedes` (if any) is printed with: version 0 is the
/// defaults (no version set yet).
pub(crate) fn chosen(
    conn: &mut DbConnection,
    supersedes: Option<&str>,
    choice: LayoutChoice,
) -> AppResult<LabProfile> {
    match (supersedes, choice) {
        (Some(old), LayoutChoice::Original) => {
            let v = db::layouts::report_layout(conn, old)?.unwrap_or(1);
            Ok(db::lab_profile::load_version(conn, v)?.unwrap_or_else(LabProfile::defaults))
        }
        _ => lab_profile(conn),
    }
}

/// Records on report `report_no` the version [`chosen`] gave it (same transaction).
pub(crate) fn record_use(
    conn: &mut DbConnection,
    report_no: &str,
    supersedes: Option<&str>,
    choice: LayoutChoice,
) -> AppResult<()> {
    let version = chosen(conn, supersedes, choice)?.version;
    db::layouts::set_report_layout(conn, report_no, version)
}

impl LabProfile {
    /// Maps the layout onto what the report prints of the lab. The cover page is a
    /// setting of the report itself (`ReportDoc.cover_page`, set where the report is
    /// built) and the notice's lines go to the notice (`workflow::reports::notice`).
    pub fn apply(&self, lab: &mut LabIdentity) {
        lab.name = self.name.clone();
        lab.address = self.address.clone();
        lab.cma_no = self.cma_no.clone();
        lab.contact = self.contact.clone();
        lab.phone = self.phone.clone();
        lab.header_lines = self.header_lines.clone();
        lab.tester_title = self.tester_title.clone();
        lab.reviewer_title = self.reviewer_title.clone();
        lab.signatory_title = self.signatory_title.clone();
        lab.number_prefix = self.number_prefix.clone();
        lab.disclaimer = self.disclaimer.clone();
    }

    pub(crate) fn identity(&self) -> LabIdentity {
        let mut lab = LabIdentity::default();
        self.apply(&mut lab);
        lab
    }
}

/// The PNG images of a layout version, as the report draws them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutImages {
    pub logo_png: Option<Vec<u8>>,
    pub cma_png: Option<Vec<u8>>,
}

pub(crate) fn images(conn: &mut DbConnection, lab: &LabProfile) -> AppResult<LayoutImages> {
    let mut get = |sha: &Option<String>| -> AppResult<Option<Vec<u8>>> {
        match sha {
            Some(s) => db::layouts::image(conn, s),
            None => Ok(None),
        }
    };
    Ok(LayoutImages {
        logo_png: get(&lab.logo_sha256)?,
        cma_png: get(&lab.cma_sha256)?,
    })
}

/// The images of the version report `report_no` was issued with (re-rendering it).
pub fn report_images(conn: &mut DbConnection, report_no: &str) -> AppResult<LayoutImages> {
    let v = db::layouts::report_layout(conn, report_no)?.unwrap_or(1);
    match db::lab_profile::load_version(conn, v)? {
        Some(lab) => images(conn, &lab),
        None => Ok(LayoutImages::default()),
    }
}

/// An image change in a layout edit.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageInput {
    Keep,
    Remove,
    Set(Vec<u8>),
}

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;

/// An image an admin uploads: at most [`MAX_IMAGE_BYTES`], and a PNG the report can
/// print (decoded by the documents crate, which also bounds its pixels).
pub fn check_png(png: &[u8]) -> Result<(), Msg> {
    if png.len() > MAX_IMAGE_BYTES {
        return Err(Msg::new("图片不能超过 256 KB", "must be at most 256 KB"));
    }
    check_image(png).map_err(|_| {
        Msg::new(
            "图片须为可读的 PNG 格式，每边不超过 4096 像素",
            "must be a readable PNG image of at most 4096 pixels a side",
        )
    })
}

/// One version as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LayoutVersion {
    pub version: i32,
    #[schema(value_type = String)]
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_by: Option<i64>,
    /// Who made it, by name (none for the version carried over from before versions).
    pub created_by_name: Option<String>,
}

/// `GET /api/v1/settings/lab/versions` (admin): every version, newest first.
pub fn layout_versions(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<LayoutVersion>> {
    actor.require(&[Role::Admin])?;
    let rows = db::layouts::list(conn)?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.created_by).collect();
    let names = db::users::display_names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| LayoutVersion {
            version: r.version,
            created_at: crate::domain::local_time::to_local(r.created_at),
            created_by: r.created_by,
            created_by_name: r
                .created_by
                .and_then(|id| names.iter().find(|(i, _)| *i == id))
                .map(|(_, n)| n.clone()),
        })
        .collect())
}

/// One version (admin); 404 when there is none of that number.
pub fn layout_version(
    conn: &mut DbConnection,
    actor: &Actor,
    version: i32,
) -> AppResult<LabProfile> {
    actor.require(&[Role::Admin])?;
    db::lab_profile::load_version(conn, version)?
        .filter(|l| l.version == version)
        .ok_or_else(|| AppError::not_found("版式版本", "Layout version"))
}

/// An image of a layout by its hash (admin, for the settings page).
pub fn layout_image(conn: &mut DbConnection, actor: &Actor, sha256: &str) -> AppResult<Vec<u8>> {
    actor.require(&[Role::Admin])?;
    db::layouts::image(conn, sha256)?.ok_or_else(|| AppError::not_found("图片", "Image"))
}

/// The PDF of a sample report printed with the settings `input` (unsaved) and the images
/// of the version in force: a read that stores nothing and takes no number.
pub fn preview(
    conn: &mut DbConnection,
    actor: &Actor,
    now: NaiveDateTime,
    input: &LabProfileInput,
) -> AppResult<Vec<u8>> {
    actor.require(&[Role::Admin])?;
    let current = lab_profile(conn)?;
    let lab = checked(&current, input)?;
    let images = images(conn, &lab)?;
    let doc = preview_doc(&lab, now);
    let assets = ReportAssets {
        logo_png: images.logo_png.as_deref(),
        cma_png: images.cma_png.as_deref(),
    };
    render_report_with(&doc, &assets).map_err(doc_error)
}

/// The sample report of the preview: invented data, marked as a sample.
fn preview_doc(lab: &LabProfile, now: NaiveDateTime) -> ReportDoc {
    let prefix = if lab.number_prefix.is_empty() {
        db::layouts::DEFAULT_PREFIX
    } else {
        lab.number_prefix.as_str()
    };
    let year = chrono::Datelike::year(&now);
    let row = |item: &str, method: &str, limit: &str, result: &str, unit: &str| ReportRow {
        item: item.into(),
        method: method.into(),
        limit: limit.into(),
        limit_standard: "GB 2762-2022".into(),
        result: result.into(),
        unit: unit.into(),
        judgment: "合格".into(),
        failed: false,
        detection_limit: if result == "未检出" {
            "0.5".into()
        } else {
            String::new()
        },
    };
    let today = crate::domain::local_time::local_date(now).to_string();
    ReportDoc {
        report_no: format!("{prefix}{year}000000"),
        title: lab.report_title.clone(),
        lab: lab.identity(),
        supersedes: None,
        sample_no: "样例".into(),
        product_name: "样例产品（版式预览）".into(),
        brand: "—".into(),
        specification: "500g/袋".into(),
        batch: "—".into(),
        category: "粮食加工品".into(),
        quantity: "2 袋".into(),
        backup_quantity: "2 袋".into(),
        condition: "封样完好，样品状态正常".into(),
        organiser: "市场监督管理局".into(),
        entity_name: "样例被抽样单位".into(),
        entity_address: "样例地址".into(),
        manufacturer: "样例生产者".into(),
        manufacturer_address: "样例地址".into(),
        sampling_place: "—".into(),
        plan_name: "版式预览".into(),
        plan_kind: "监督抽检".into(),
        sampled_on: today.clone(),
        received_on: today.clone(),
        tested_on: today.clone(),
        issued_on: today,
        rows: vec![
            row("铅(以Pb计)", "GB 5009.12-2023", "≤0.2", "0.05", "mg/kg"),
            row("镉(以Cd计)", "GB 5009.15-2023", "≤0.1", "0.012", "mg/kg"),
            row("黄曲霉毒素B1", "GB 5009.22-2016", "≤5.0", "未检出", "μg/kg"),
        ],
        conclusion: "经抽样检验，所检项目符合 GB 2762-2022 要求，检验结论为合格。".into(),
        verdict: "合格".into(),
        basis: "GB 2762-2022".into(),
        tester: "张三".into(),
        reviewer: "李四".into(),
        signatory: "王五".into(),
        remarks: "本页为版式预览，不是检验报告。".into(),
        verify_url: None,
        cover_page: lab.cover_page,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real PNG of `w`×`h` pixels.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    /// A PNG whose header declares `w`×`h` pixels (its data and checksum unchanged).
    fn declared(w: u32, h: u32) -> Vec<u8> {
        let mut p = png(1, 1);
        p[16..20].copy_from_slice(&w.to_be_bytes());
        p[20..24].copy_from_slice(&h.to_be_bytes());
        p
    }

    #[test]
    fn only_a_png_within_the_limits_passes() {
        assert!(check_png(&png(120, 80)).is_ok());
        assert!(check_png(&declared(5000, 10)).is_err());
        assert!(check_png(&declared(0, 10)).is_err());
        assert!(check_png(b"GIF89a not a png at all, just some bytes here....").is_err());
        let mut big = png(10, 10);
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(check_png(&big).is_err());
        let mut cut = png(10, 10);
        cut.truncate(cut.len() - 12);
        assert!(check_png(&cut).is_err());
    }

    #[test]
    fn a_reissue_keeps_the_original_layout_unless_asked() {
        assert_eq!(LayoutChoice::parse(None), Ok(LayoutChoice::Original));
        assert_eq!(
            LayoutChoice::parse(Some("current")),
            Ok(LayoutChoice::Current)
        );
        assert!(LayoutChoice::parse(Some("newest")).is_err());
    }
}
