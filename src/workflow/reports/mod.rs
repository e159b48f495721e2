//! Inspection reports as issued documents: the frozen report data, the PDF rendered from it
//! and its hashes, the verification code, revocation and reissue, publication, the public
//! results list, the notice of a non-compliant result, and the lab identity printed on them
//! (as layout versions, `layout`).
//!
//! Invariants: a report is never edited. Its data (`reports.data`) and PDF
//! (`report_files`) are written once, in the transaction that issues it; a correction
//! revokes it and issues a new number that names it. Every state change is audited.

mod issue;
mod layout;
mod notice;
mod profile;
mod public;

use serde::{Deserialize, Serialize};

use crate::db::reports::{ReportQuery, ReportRecord};
use crate::db::samples::SampleRow;
use crate::db::tests::sample_of;
use crate::db::{self, DbConnection};
use crate::documents::report::ReportDoc;
use crate::documents::DocError;
use crate::domain::local_time::{to_local, year_range};
use crate::domain::report::{code_matches, verification_code};
use crate::domain::states::ReportStatus;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::Actor;

pub use self::issue::{
    draft, issue, retire, revoke, terms, Reissue, RevokeInput, RevokeOutcome, DRAFT_NO,
};
pub use self::layout::{
    check_png, layout_image, layout_version, layout_versions, preview as preview_layout,
    report_images, ImageInput, LayoutChoice, LayoutImages, LayoutVersion,
};
pub use self::notice::notice;
pub use self::profile::{
    lab_profile, put_lab_profile, save_layout, seed_demo_lab_profile, LabProfile, LabProfileInput,
};
pub use self::public::{
    public_results, public_results_of, set_published, verified_pdf, verify, PublicFilter,
    PublicResult, Verification,
};

pub(crate) fn to_json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

pub(crate) fn doc_error(e: DocError) -> AppError {
    AppError::internal(e)
}

/// What issuing needs besides the database: where verification links point and the key
/// verification codes are made with (both from the server's configuration).
#[derive(Clone)]
pub struct Issuer {
    /// The public URL, without a trailing slash.
    pub base_url: String,
    /// The server secret.
    pub key: Vec<u8>,
}

impl Issuer {
    pub fn verify_url(&self, report_no: &str, body_sha256: &str) -> String {
        format!(
            "{}/verify/{}?k={}",
            self.base_url,
            report_no,
            self.code(report_no, body_sha256)
        )
    }

    /// The verification code of a report: in its QR link and printed under the QR code.
    pub fn code(&self, report_no: &str, body_sha256: &str) -> String {
        verification_code(&self.key, report_no, body_sha256)
    }
}

// ---------------------------------------------------------------- the record

/// A report record as the API shows it (API.md `report`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub report_no: String,
    pub sample_no: String,
    /// compliant | non_compliant
    pub conclusion: String,
    #[schema(value_type = String)]
    pub issued_at: chrono::DateTime<chrono::FixedOffset>,
    pub signatory_id: i64,
    /// valid | superseded | revoked
    pub status: String,
    /// The number of the report this one replaces.
    pub supersedes: Option<String>,
    /// The number of the report that replaced this one.
    pub superseded_by: Option<String>,
    pub pdf_sha256: Option<String>,
    pub verify_url: Option<String>,
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub revoke_reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub product_name: String,
    pub entity_name: String,
    pub version: i32,
    /// The lab layout version it is printed with (1 for reports issued before versions
    /// existed; 0 for the defaults, before an admin set any).
    pub layout_version: i32,
}

impl Report {
    /// Whether the report is in force (neither superseded nor revoked).
    pub fn is_valid(&self) -> bool {
        self.status == ReportStatus::Valid.as_str()
    }

    pub fn is_non_compliant(&self) -> bool {
        self.conclusion == crate::domain::sample::Conclusion::NonCompliant.as_str()
    }
}

impl ReportRecord {
    /// Whether `code` is this report's verification code.
    pub(crate) fn genuine(&self, issuer: &Issuer, code: &str) -> bool {
        self.body_sha256
            .as_deref()
            .is_some_and(|h| code_matches(&issuer.key, &self.report_no, h, code))
    }

    pub(crate) fn doc(&self) -> AppResult<ReportDoc> {
        let data = self
            .data
            .as_deref()
            .ok_or_else(|| AppError::internal(format!("report {} has no data", self.report_no)))?;
        serde_json::from_str(data).map_err(AppError::internal)
    }

    pub(crate) fn to_report(&self, issuer: &Issuer, sample_no: &str) -> Report {
        let doc = self.doc().ok();
        Report {
            report_no: self.report_no.clone(),
            sample_no: sample_no.to_string(),
            conclusion: self.conclusion.clone(),
            issued_at: to_local(self.issued_at),
            signatory_id: self.signatory_id,
            status: self.status.clone(),
            supersedes: self.supersedes.clone(),
            superseded_by: self.superseded_by.clone(),
            pdf_sha256: self.pdf_sha256.clone(),
            verify_url: self
                .body_sha256
                .as_deref()
                .map(|h| issuer.verify_url(&self.report_no, h)),
            revoked_at: self.revoked_at.map(to_local),
            revoke_reason: self.revoke_reason.clone(),
            published_at: self.published_at.map(to_local),
            product_name: doc
                .as_ref()
                .map(|d| d.product_name.clone())
                .unwrap_or_default(),
            entity_name: doc.map(|d| d.entity_name).unwrap_or_default(),
            version: self.version,
            layout_version: self.layout_version.unwrap_or(1),
        }
    }
}

/// The sample numbered `sample_no` if it lies within the actor's region, else 404 (the
/// same answer as for a sample that does not exist).
pub(crate) fn visible_sample(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<SampleRow> {
    db::tests::sample_by_no(conn, sample_no.trim())?
        .filter(|row| actor.covers(&row.region_code))
        .ok_or_else(|| AppError::not_found("样品", "Sample"))
}

pub(crate) fn record(conn: &mut DbConnection, report_no: &str) -> AppResult<ReportRecord> {
    db::reports::by_no(conn, report_no.trim())?
        .ok_or_else(|| AppError::not_found("检验报告", "Report"))
}

/// A report the actor may see (its sample within the actor's region scope), else 404.
pub(crate) fn visible_record(
    conn: &mut DbConnection,
    actor: &Actor,
    report_no: &str,
) -> AppResult<(ReportRecord, SampleRow)> {
    let r = record(conn, report_no)?;
    let s = sample_of(conn, r.sample_id)?;
    visible_sample(conn, actor, &s.sample_no)
        .map_err(|_| AppError::not_found("检验报告", "Report"))?;
    Ok((r, s))
}

pub fn get_report(
    conn: &mut DbConnection,
    actor: &Actor,
    issuer: &Issuer,
    report_no: &str,
) -> AppResult<Report> {
    let (r, s) = visible_record(conn, actor, report_no)?;
    Ok(r.to_report(issuer, &s.sample_no))
}

/// The PDF exactly as issued.
pub fn report_pdf(conn: &mut DbConnection, actor: &Actor, report_no: &str) -> AppResult<Vec<u8>> {
    let (r, _) = visible_record(conn, actor, report_no)?;
    stored_pdf(conn, &r)
}

/// Whether the actor may see report `report_no` and it has its PDF (batch requests).
pub fn report_pdf_exists(
    conn: &mut DbConnection,
    actor: &Actor,
    report_no: &str,
) -> AppResult<bool> {
    match visible_record(conn, actor, report_no) {
        Ok((r, _)) => db::reports::has_pdf(conn, r.id),
        Err(AppError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub(crate) fn stored_pdf(conn: &mut DbConnection, r: &ReportRecord) -> AppResult<Vec<u8>> {
    db::reports::pdf(conn, r.id)?
        .ok_or_else(|| AppError::internal(format!("report {} has no PDF", r.report_no)))
}

/// The reports of a sample, newest first.
pub fn reports_of_sample(
    conn: &mut DbConnection,
    actor: &Actor,
    issuer: &Issuer,
    sample_no: &str,
) -> AppResult<Vec<Report>> {
    let s = visible_sample(conn, actor, sample_no)?;
    let rows = db::reports::of_sample(conn, s.id)?;
    Ok(rows
        .iter()
        .map(|r| r.to_report(issuer, &s.sample_no))
        .collect())
}

/// `GET /api/v1/reports` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ReportFilter {
    /// valid | superseded | revoked
    pub status: Option<String>,
    /// The year of issue.
    pub year: Option<i32>,
    /// Only reports marked for publication (true) or not (false).
    pub published: Option<bool>,
    /// compliant | non_compliant
    pub conclusion: Option<String>,
}

/// Reports the actor may see, newest first.
pub fn list_reports(
    conn: &mut DbConnection,
    actor: &Actor,
    issuer: &Issuer,
    f: &ReportFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Report>, i64)> {
    let mut errors = FieldErrors::new();
    let mut status = None;
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        match s.parse::<ReportStatus>() {
            Ok(s) => status = Some(s),
            Err(_) => {
                errors.insert(
                    "status".into(),
                    Msg::new("状态无效", "must be valid, superseded or revoked"),
                );
            }
        }
    }
    if let Some(c) = f.conclusion.as_deref().filter(|s| !s.is_empty()) {
        if !["compliant", "non_compliant"].contains(&c) {
            errors.insert(
                "conclusion".into(),
                Msg::new("结论无效", "must be compliant or non_compliant"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let q = ReportQuery {
        status,
        conclusion: f.conclusion.clone().filter(|s| !s.is_empty()),
        issued: f.year.map(year_range),
        published: f.published,
        region_like: actor
            .region
            .as_ref()
            .map(|r| format!("{}%", r.like_prefix())),
    };
    let (rows, total) = db::reports::list(conn, &q, (page - 1) * per_page, per_page)?;
    Ok((
        rows.iter().map(|(r, no)| r.to_report(issuer, no)).collect(),
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::issue::date_range;
    use chrono::NaiveDate;

    #[test]
    fn test_dates_read_as_a_range() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).expect("date");
        assert_eq!(date_range([d(5), d(2), d(3)]), "2026-03-02 至 2026-03-05");
        assert_eq!(date_range([d(2), d(2)]), "2026-03-02");
        assert_eq!(date_range([]), "");
    }
}
