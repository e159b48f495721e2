//! Publication of reports, the public results list and verification by QR code.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{record, stored_pdf, to_json, visible_record, Issuer, Report};
use crate::db::reports::PublicQuery;
use crate::db::{self, write_tx, DbConnection};
use crate::documents::notice::FailedItem;
use crate::documents::report::ReportDoc;
use crate::domain::local_time::year_range;
use crate::domain::local_time::{local_date, to_local};
use crate::domain::role::Role;
use crate::domain::rules::PlanKind;
use crate::domain::sample::Conclusion;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// A supervisor marks a valid report for the public results list (抽检信息公布), or takes
/// it off again with `publish = false`.
pub fn set_published(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    report_no: &str,
    publish: bool,
) -> AppResult<Report> {
    actor.require(&[Role::Supervisor])?;
    let (r, s) = visible_record(conn, actor, report_no)?;
    write_tx(conn, |conn| {
        let fresh = record(conn, &r.report_no)?;
        if publish && !fresh.state()?.is_valid() {
            return Err(AppError::Conflict(Msg::new(
                "只能公布有效的报告",
                "Only a valid report can be published",
            )));
        }
        if fresh.published_at.is_some() == publish {
            return Ok(fresh.to_report(issuer, &s.sample_no));
        }
        db::reports::set_published(
            conn,
            fresh.id,
            fresh.version,
            publish.then_some(now),
            if publish { actor.id } else { None },
        )?;
        let after = record(conn, &r.report_no)?.to_report(issuer, &s.sample_no);
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if publish {
                    "report.publish"
                } else {
                    "report.unpublish"
                },
                entity_kind: "report",
                entity_id: r.report_no.clone(),
                before: Some(to_json(&fresh.to_report(issuer, &s.sample_no))?),
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// One published result (rules.md §e.3): the product, its producer and the sampled
/// party, with the failed items of a non-compliant one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicResult {
    pub report_no: String,
    pub product_name: String,
    pub specification: String,
    pub brand: String,
    /// Production date and/or batch number.
    pub batch: String,
    pub category_code: String,
    pub category: String,
    pub manufacturer: String,
    pub manufacturer_address: String,
    pub entity_name: String,
    pub entity_address: String,
    pub plan_kind: String,
    /// compliant | non_compliant (for risk monitoring: whether problems were found).
    pub conclusion: String,
    /// The conclusion in the domain's words (合格 / 不合格 …); for risk monitoring, which
    /// gives no such conclusion, "风险监测：未发现问题" or "风险监测：发现问题".
    pub conclusion_text: String,
    /// A risk-monitoring result: no 合格/不合格 conclusion, shown as such.
    pub risk_monitoring: bool,
    #[schema(value_type = Vec<Object>)]
    pub failed_items: Vec<FailedItem>,
    pub lab: String,
    pub issued_on: NaiveDate,
    /// The disposal information, once published (rules.md §e.2).
    pub disposal: Option<crate::db::cases::PublicDisposal>,
}

impl PublicResult {
    /// Whether the published result is non-compliant (the pages mark it).
    pub fn is_non_compliant(&self) -> bool {
        self.conclusion.parse() == Ok(Conclusion::NonCompliant)
    }
}

/// `GET /api/v1/public/results` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PublicFilter {
    pub year: Option<i32>,
    /// A category code; its subcategories are included.
    pub category: Option<String>,
}

/// Published, valid reports, newest first; no login.
pub fn public_results(
    conn: &mut DbConnection,
    f: &PublicFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<PublicResult>, i64)> {
    public_results_where(conn, f, None, page, per_page)
}

/// The published, valid results of these samples (a nomination's), newest first.
pub fn public_results_of(
    conn: &mut DbConnection,
    sample_ids: &[i64],
) -> AppResult<Vec<PublicResult>> {
    if sample_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (out, _) = public_results_where(
        conn,
        &PublicFilter::default(),
        Some(sample_ids),
        1,
        i64::try_from(sample_ids.len()).unwrap_or(i64::MAX),
    )?;
    Ok(out)
}

fn public_results_where(
    conn: &mut DbConnection,
    f: &PublicFilter,
    only: Option<&[i64]>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<PublicResult>, i64)> {
    let q = PublicQuery {
        issued: f.year.map(year_range),
        category_like: f
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| format!("{c}%")),
        only: only.map(<[i64]>::to_vec),
    };
    let (rows, total) = db::reports::published(conn, &q, (page - 1) * per_page, per_page)?;
    let ids: Vec<i64> = rows.iter().map(|(_, _, id, _)| *id).collect();
    let mut disposals = crate::db::cases::published_info(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for (r, category_code, sample_id, plan_kind) in rows {
        let d = r.doc()?;
        let non_compliant = r.conclusion == Conclusion::NonCompliant.as_str();
        let failed_items = if non_compliant {
            failed_rows(&d)
        } else {
            Vec::new()
        };
        let risk_monitoring = plan_kind == PlanKind::RiskMonitoring.as_str();
        let conclusion_text = match (risk_monitoring, non_compliant) {
            (true, true) => "风险监测：发现问题".to_string(),
            (true, false) => "风险监测：未发现问题".to_string(),
            (false, _) => d.verdict.clone(),
        };
        out.push(PublicResult {
            report_no: r.report_no.clone(),
            product_name: d.product_name,
            specification: d.specification,
            brand: d.brand,
            batch: d.batch,
            category_code,
            category: d.category,
            manufacturer: d.manufacturer,
            manufacturer_address: d.manufacturer_address,
            entity_name: d.entity_name,
            entity_address: d.entity_address,
            plan_kind: d.plan_kind,
            conclusion: r.conclusion.clone(),
            conclusion_text,
            risk_monitoring,
            failed_items,
            lab: d.lab.name,
            issued_on: local_date(r.issued_at),
            disposal: disposals.remove(&sample_id),
        });
    }
    Ok((out, total))
}

/// The failed rows of a frozen report.
pub(super) fn failed_rows(d: &ReportDoc) -> Vec<FailedItem> {
    d.rows
        .iter()
        .filter(|r| r.failed)
        .map(|r| FailedItem {
            item: r.item.clone(),
            limit: r.limit.clone(),
            result: r.result.clone(),
            unit: r.unit.clone(),
            standard: r.limit_standard.clone(),
        })
        .collect()
}

// ---------------------------------------------------------------- verification

/// `GET /api/v1/verify/{report_no}?k=`: what anyone may learn about a report from its
/// QR code. A wrong code learns only that it is not genuine.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub genuine: bool,
    pub report_no: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub conclusion_text: Option<String>,
    pub product_name: Option<String>,
    pub entity_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub issued_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub pdf_sha256: Option<String>,
    pub lab: Option<String>,
    /// The report that replaced this one, with its own verification link.
    pub superseded_by: Option<String>,
    pub superseded_by_url: Option<String>,
    /// Where the original PDF can be downloaded to compare with the copy in hand.
    pub pdf_url: Option<String>,
}

/// Checks a verification link. Unknown number: 404. Wrong code: `genuine: false` and
/// nothing else.
pub fn verify(
    conn: &mut DbConnection,
    issuer: &Issuer,
    report_no: &str,
    code: &str,
) -> AppResult<Verification> {
    let r = record(conn, report_no)?;
    if !r.genuine(issuer, code) {
        return Ok(Verification {
            genuine: false,
            report_no: r.report_no,
            status: None,
            conclusion: None,
            conclusion_text: None,
            product_name: None,
            entity_name: None,
            issued_at: None,
            pdf_sha256: None,
            lab: None,
            superseded_by: None,
            superseded_by_url: None,
            pdf_url: None,
        });
    }
    let d = r.doc()?;
    let superseded_by_url = match r.superseded_by.as_deref() {
        Some(no) => record(conn, no)?
            .body_sha256
            .map(|h| issuer.verify_url(no, &h)),
        None => None,
    };
    Ok(Verification {
        genuine: true,
        pdf_url: Some(format!(
            "{}/verify/{}/pdf?k={}",
            issuer.base_url,
            r.report_no,
            code.trim().to_ascii_lowercase()
        )),
        report_no: r.report_no.clone(),
        status: Some(r.state()?.as_str().to_string()),
        conclusion: Some(r.conclusion.clone()),
        conclusion_text: Some(d.verdict.clone()),
        product_name: Some(d.product_name.clone()),
        entity_name: Some(d.entity_name.clone()),
        issued_at: Some(to_local(r.issued_at)),
        pdf_sha256: r.pdf_sha256.clone(),
        lab: Some(d.lab.name.clone()),
        superseded_by: r.superseded_by.clone(),
        superseded_by_url,
    })
}

/// The original PDF for anyone holding a genuine verification code; 404 otherwise.
pub fn verified_pdf(
    conn: &mut DbConnection,
    issuer: &Issuer,
    report_no: &str,
    code: &str,
) -> AppResult<Vec<u8>> {
    let r = record(conn, report_no)?;
    if !r.genuine(issuer, code) {
        return Err(AppError::not_found("检验报告", "Report"));
    }
    stored_pdf(conn, &r)
}
