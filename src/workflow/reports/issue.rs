//! Issuing a report (number, frozen data, PDF, verification code), and taking one out
//! of force: revoked, or superseded by a reissue.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::layout::{self, LayoutChoice};
use super::{doc_error, record, to_json, visible_record, Issuer, Report};
use crate::db::reference::get_profile;
use crate::db::reports::{NewReport, Retirement};
use crate::db::samples::SampleRow;
use crate::db::tests::{sample_of, tests_of, TestRow};
use crate::db::{self, write_tx, DbConnection};
use crate::documents::report::{render_report_with, ReportAssets, ReportDoc, ReportRow};
use crate::domain::local_time::local_date;
use crate::domain::report::{
    conclusion_sentence, join_distinct, limit_text, risk_monitoring_sentence, Failed,
};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::Conclusion;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{check_independent, clean_text, Actor, Ctx};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn names_of(conn: &mut DbConnection, ids: &[i64]) -> AppResult<String> {
    let mut unique: Vec<i64> = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let rows = db::users::display_names(conn, &unique)?;
    Ok(join_distinct(unique.iter().filter_map(|id| {
        rows.iter().find(|(i, _)| i == id).map(|(_, n)| n.as_str())
    })))
}

/// The profile's words for a pass and a fail (合格/不合格, 符合规定/不符合规定).
pub fn terms(
    conn: &mut DbConnection,
    domain: Domain,
    kind: PlanKind,
) -> AppResult<(String, String)> {
    let profile = get_profile(conn, domain, kind)?.map(|p| p.profile());
    let term = |key: &str, default: &str| {
        profile
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(|r| r.value.as_str())
            .unwrap_or(default)
            .to_string()
    };
    Ok((term("pass_term", "合格"), term("fail_term", "不合格")))
}

pub(super) fn date_range(dates: impl IntoIterator<Item = NaiveDate>) -> String {
    let mut v: Vec<NaiveDate> = dates.into_iter().collect();
    v.sort();
    match (v.first(), v.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} 至 {b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// The sample's context every document needs: plan, entity, category and the bureau.
pub(super) struct Context {
    pub(super) plan_name: String,
    pub(super) plan_kind: PlanKind,
    pub(super) domain: Domain,
    pub(super) organiser: String,
    pub(super) entity_name: String,
    pub(super) entity_address: String,
    pub(super) category: String,
}

pub(super) fn context(conn: &mut DbConnection, s: &SampleRow) -> AppResult<Context> {
    let c = db::reports::sample_context(conn, s.plan_id, s.entity_id, &s.category_code)?;
    Ok(Context {
        plan_name: c.plan_name,
        plan_kind: c.plan_kind.parse().map_err(AppError::internal)?,
        domain: s.domain.parse().map_err(AppError::internal)?,
        organiser: crate::domain::region::bureau_name(&c.region_name),
        entity_name: c.entity_name,
        entity_address: c.entity_address,
        category: c.category,
    })
}

fn batch_text(s: &SampleRow) -> String {
    match (&s.batch_no, s.production_date) {
        (Some(b), Some(d)) => format!("{d} / {b}"),
        (Some(b), None) => b.clone(),
        (None, Some(d)) => d.to_string(),
        (None, None) => "—".into(),
    }
}

fn result_text(t: &TestRow) -> String {
    let text = t.result_text.clone().unwrap_or_default();
    match t.result_unit.as_deref() {
        Some(u) if !u.is_empty() && u != t.unit => format!("{text} {u}"),
        _ => text,
    }
}

/// The report's data from the records as they stand at issue (now): the one builder of
/// an issued report and of its draft ([`draft_doc`]).
fn build_doc(
    cx: &mut Ctx<'_>,
    s: &SampleRow,
    report_no: &str,
    new: &Issue<'_>,
) -> AppResult<(ReportDoc, String)> {
    let Issue {
        signatory,
        supersedes,
        remarks,
        ..
    } = *new;
    let issued_at = cx.now;
    let conn = &mut *cx.conn;
    let ctx = context(conn, s)?;
    let tests = tests_of(conn, s.id)?;
    let (pass, fail) = terms(conn, ctx.domain, ctx.plan_kind)?;
    // Risk monitoring gives no 合格/不合格 conclusion and no re-examination rights: the
    // report states the problems found instead (the documents crate prints no term).
    let risk_monitoring = ctx.plan_kind == PlanKind::RiskMonitoring;
    let rows: Vec<ReportRow> = tests
        .iter()
        .map(|t| ReportRow {
            item: t.name.clone(),
            method: t.method_standard.clone(),
            limit: limit_text(
                &t.limit_kind,
                t.limit_min.as_deref(),
                t.limit_max.as_deref(),
                t.micro_n.zip(t.micro_c),
            ),
            limit_standard: t.judgment_standard.clone(),
            result: result_text(t),
            unit: t.unit.clone(),
            judgment: match t.judgment.as_deref() {
                Some("fail") => fail.clone(),
                _ => pass.clone(),
            },
            failed: t.judgment.as_deref() == Some("fail"),
            detection_limit: t
                .result_lod
                .clone()
                .or_else(|| t.lod.clone())
                .unwrap_or_default(),
        })
        .collect();
    let basis = join_distinct(tests.iter().map(|t| t.judgment_standard.as_str()));
    let failed: Vec<Failed> = tests
        .iter()
        .filter(|t| t.judgment.as_deref() == Some("fail"))
        .map(|t| Failed {
            item: &t.name,
            standard: &t.judgment_standard,
        })
        .collect();
    let conclusion_code = if failed.is_empty() {
        Conclusion::Compliant.as_str()
    } else {
        Conclusion::NonCompliant.as_str()
    };
    let conclusion = if risk_monitoring {
        risk_monitoring_sentence(&failed)
    } else {
        conclusion_sentence(&pass, &fail, &basis, &failed)
    };
    let testers: Vec<i64> = tests.iter().filter_map(|t| t.entered_by).collect();
    let reviewers: Vec<i64> = tests.iter().filter_map(|t| t.reviewed_by).collect();
    let lab = layout::chosen(conn, supersedes, new.layout)?;
    let condition = match (s.seal_intact, s.condition_ok, s.receipt_note.as_deref()) {
        (_, _, Some(n)) if !n.trim().is_empty() => n.trim().to_string(),
        (Some(false), _, _) => "封样破损".into(),
        (_, Some(false), _) => "样品状态异常".into(),
        (Some(true), Some(true), _) => "封样完好，样品状态正常".into(),
        _ => "—".into(),
    };
    let doc = ReportDoc {
        report_no: report_no.to_string(),
        title: lab.report_title.clone(),
        lab: lab.identity(),
        supersedes: supersedes.map(str::to_string),
        sample_no: s.sample_no.clone(),
        product_name: s.product_name.clone(),
        brand: s.brand.clone().unwrap_or_else(|| "—".into()),
        specification: s.specification.clone().unwrap_or_else(|| "—".into()),
        batch: batch_text(s),
        category: ctx.category,
        quantity: format!("{} {}", s.quantity, s.unit),
        backup_quantity: s
            .backup_quantity
            .as_ref()
            .map(|b| format!("{b} {}", s.unit))
            .unwrap_or_default(),
        condition,
        organiser: ctx.organiser,
        entity_name: ctx.entity_name,
        entity_address: ctx.entity_address,
        manufacturer: s.manufacturer.clone().unwrap_or_else(|| "—".into()),
        manufacturer_address: s.manufacturer_address.clone().unwrap_or_else(|| "—".into()),
        sampling_place: s.place.clone().unwrap_or_else(|| "—".into()),
        plan_name: ctx.plan_name,
        plan_kind: ctx.plan_kind.label_zh().to_string(),
        sampled_on: local_date(s.sampled_at).to_string(),
        received_on: s
            .received_at
            .map(|t| local_date(t).to_string())
            .unwrap_or_default(),
        tested_on: date_range(tests.iter().filter_map(|t| t.entered_at.map(local_date))),
        issued_on: local_date(issued_at).to_string(),
        rows,
        verdict: match (risk_monitoring, failed.is_empty()) {
            (true, _) => String::new(),
            (false, true) => pass.clone(),
            (false, false) => fail.clone(),
        },
        risk_monitoring,
        cover_page: lab.cover_page,
        conclusion,
        basis,
        tester: names_of(conn, &testers)?,
        reviewer: names_of(conn, &reviewers)?,
        signatory: names_of(conn, &[signatory])?,
        remarks: remarks.to_string(),
        verify_url: None,
        ..Default::default()
    };
    Ok((doc, conclusion_code.to_string()))
}

/// What a draft prints where the report number will be: no number is taken for it.
pub const DRAFT_NO: &str = "草稿";

/// The report [`issue`] would issue for `s` now, as a draft, from the same builder: no
/// number taken (the gap-free counter is not touched), nothing stored, no verification
/// code. The one place where a document is made a draft. The signatory named is the
/// actor when a signatory, else left for the signing.
fn draft_doc(cx: &mut Ctx<'_>, s: &SampleRow) -> AppResult<ReportDoc> {
    let signs = cx.actor.roles.has(Role::Signatory);
    let signatory = cx.actor.id.filter(|_| signs).unwrap_or_default();
    let draft = Issue {
        supersedes: None,
        remarks: "",
        signatory,
        overturned: false,
        layout: LayoutChoice::Current,
    };
    let (mut doc, _) = build_doc(cx, s, DRAFT_NO, &draft)?;
    if !signs {
        doc.signatory = "（签发时确定）".to_string();
    }
    doc.verify_url = None;
    doc.verification_code = None;
    doc.draft = true;
    Ok(doc)
}

/// The draft PDF of the report `s` would get if approved now (see [`draft_doc`]). A read:
/// the caller checks who may see it and that the sample waits for approval.
pub fn draft(cx: &mut Ctx<'_>, s: &SampleRow) -> AppResult<Vec<u8>> {
    let doc = draft_doc(cx, s)?;
    let images = images_for(cx.conn, None, LayoutChoice::Current)?;
    render(&doc, &images)
}

/// The images of the layout a report is printed with.
fn images_for(
    conn: &mut DbConnection,
    supersedes: Option<&str>,
    choice: LayoutChoice,
) -> AppResult<layout::LayoutImages> {
    let lab = layout::chosen(conn, supersedes, choice)?;
    layout::images(conn, &lab)
}

fn render(doc: &ReportDoc, images: &layout::LayoutImages) -> AppResult<Vec<u8>> {
    let assets = ReportAssets {
        logo_png: images.logo_png.as_deref(),
        cma_png: images.cma_png.as_deref(),
    };
    render_report_with(doc, &assets).map_err(doc_error)
}

/// The PDF of `doc` with its verification code: the content hash is taken of the
/// rendering without the QR code, the code keyed on it, and the final PDF carries the
/// link. Returns (pdf, body_sha256, pdf_sha256).
fn render_with_code(
    issuer: &Issuer,
    doc: &mut ReportDoc,
    images: &layout::LayoutImages,
) -> AppResult<(Vec<u8>, String, String)> {
    doc.verify_url = None;
    doc.verification_code = None;
    let body = render(doc, images)?;
    let body_sha256 = sha256_hex(&body);
    doc.verify_url = Some(issuer.verify_url(&doc.report_no, &body_sha256));
    // Printed under the QR code, so a photocopy can be verified by typing it.
    doc.verification_code = Some(issuer.code(&doc.report_no, &body_sha256));
    let pdf = render(doc, images)?;
    let pdf_sha256 = sha256_hex(&pdf);
    Ok((pdf, body_sha256, pdf_sha256))
}

/// Issues a report for `s` inside the caller's transaction: a new number, the data frozen
/// as it stands, the PDF rendered and stored with its hashes, `report.issue` audited.
/// Returns the record and its conclusion (compliant | non_compliant).
pub fn issue(
    cx: &mut Ctx<'_>,
    issuer: &Issuer,
    s: &SampleRow,
    supersedes: Option<&str>,
    remarks: &str,
) -> AppResult<Report> {
    let signatory = cx.actor.id.ok_or_else(AppError::forbidden)?;
    issue_as(
        cx,
        issuer,
        s,
        &Issue {
            supersedes,
            remarks,
            signatory,
            overturned: false,
            layout: LayoutChoice::Current,
        },
    )
}

/// What a new report says besides the records: the one it replaces, its remarks, who
/// signs it, and whether a re-examination overturned the result.
#[derive(Clone, Copy)]
struct Issue<'a> {
    supersedes: Option<&'a str>,
    remarks: &'a str,
    signatory: i64,
    /// The re-examination did not uphold the result: the report states it and
    /// concludes compliant.
    overturned: bool,
    /// The layout version it is printed with.
    layout: LayoutChoice,
}

/// [`issue`] as `new` says.
fn issue_as(
    cx: &mut Ctx<'_>,
    issuer: &Issuer,
    s: &SampleRow,
    new: &Issue<'_>,
) -> AppResult<Report> {
    let year = chrono::Datelike::year(&local_date(cx.now));
    let report_no = db::reports::next_report_no(cx.conn, year)?;
    let (mut doc, mut conclusion) = build_doc(cx, s, &report_no, new)?;
    if new.overturned {
        let ctx = context(cx.conn, s)?;
        let (pass, _) = terms(cx.conn, ctx.domain, ctx.plan_kind)?;
        conclusion = Conclusion::Compliant.as_str().to_string();
        doc.verdict = pass.clone();
        for row in &mut doc.rows {
            row.failed = false;
        }
        doc.conclusion = format!("经复检，原检验结论未被维持；依据复检结论，检验结论为{pass}。");
    }
    let images = images_for(cx.conn, new.supersedes, new.layout)?;
    let (pdf, body_sha256, pdf_sha256) = render_with_code(issuer, &mut doc, &images)?;
    let data = serde_json::to_string(&doc).map_err(AppError::internal)?;
    db::reports::insert(
        cx.conn,
        NewReport {
            report_no: &report_no,
            sample_id: s.id,
            conclusion: &conclusion,
            signatory_id: new.signatory,
            supersedes: new.supersedes,
            pdf_sha256: &pdf_sha256,
            body_sha256: &body_sha256,
            data: &data,
            pdf: &pdf,
        },
        cx.now,
    )?;
    layout::record_use(cx.conn, &report_no, new.supersedes, new.layout)?;
    let r = record(cx.conn, &report_no)?;
    let report = r.to_report(issuer, &s.sample_no);
    audit::append(
        cx.conn,
        cx.now,
        cx.actor,
        Change {
            action: "report.issue",
            entity_kind: "report",
            entity_id: report_no.clone(),
            after: Some(to_json(&report)?),
            ..Change::default()
        },
    )?;
    Ok(report)
}

// ---------------------------------------------------------------- revoke and reissue

/// `POST /api/v1/reports/{report_no}/revoke`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub reissue: bool,
    /// Remarks printed on the reissued report (备注).
    #[serde(default)]
    pub remarks: Option<String>,
    /// The layout of the reissued report: "current" for the version in force; absent
    /// keeps the version the revoked report was printed with.
    #[serde(default)]
    pub layout: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevokeOutcome {
    pub revoked: Report,
    pub reissued: Option<Report>,
}

/// A signatory withdraws a valid report, giving a reason. With `reissue`, a new report
/// with a new number is issued from the records as they now stand and names the one it
/// replaces, which becomes `superseded`; without, the old one becomes `revoked`.
pub fn revoke(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    report_no: &str,
    input: &RevokeInput,
) -> AppResult<RevokeOutcome> {
    actor.require(&[Role::Signatory])?;
    let (r, s) = visible_record(conn, actor, report_no)?;
    let mut errors = FieldErrors::new();
    let reason = clean_text(&input.reason, 500, true).unwrap_or_else(|m| {
        errors.insert("reason".into(), m);
        String::new()
    });
    let remarks =
        clean_text(input.remarks.as_deref().unwrap_or(""), 500, false).unwrap_or_else(|m| {
            errors.insert("remarks".into(), m);
            String::new()
        });
    let layout = LayoutChoice::parse(input.layout.as_deref()).unwrap_or_else(|m| {
        errors.insert("layout".into(), m);
        LayoutChoice::Original
    });
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    if input.reissue {
        // The signatory of the new report is independent of every result in it.
        check_independent(conn, actor, s.id)?;
    }
    write_tx(conn, |conn| {
        let reissue = input.reissue.then(|| Reissue {
            remarks: if remarks.is_empty() {
                format!("更正原因：{reason}")
            } else {
                remarks.clone()
            },
            signatory: None,
            overturned: false,
            layout,
        });
        retire(
            &mut Ctx::new(conn, now, actor),
            issuer,
            &r.report_no,
            s.id,
            &reason,
            reissue,
        )
    })
}

/// How a retired report is replaced.
pub struct Reissue {
    pub remarks: String,
    /// Who signs the new report: the acting signatory when `None`.
    pub signatory: Option<i64>,
    /// The re-examination did not uphold the result: the new report concludes compliant.
    pub overturned: bool,
    /// The layout version of the new report (the original's unless asked).
    pub layout: LayoutChoice,
}

/// Inside the caller's transaction: takes a valid report out of force (superseded when a
/// new one replaces it, else revoked), issuing the replacement, moving the sample's
/// number and conclusion and the publication to it, and auditing the change.
pub fn retire(
    cx: &mut Ctx<'_>,
    issuer: &Issuer,
    report_no: &str,
    sample_id: i64,
    reason: &str,
    reissue: Option<Reissue>,
) -> AppResult<RevokeOutcome> {
    let fresh = record(cx.conn, report_no)?;
    let to = fresh.state()?.retire(reissue.is_some()).map_err(|from| {
        AppError::Conflict(Msg::new(
            format!("报告 {} 已{}，不能再撤销", report_no, from.label_zh()),
            format!("Report {} is already {}", report_no, from.as_str()),
        ))
    })?;
    let sample = sample_of(cx.conn, sample_id)?;
    let reissued = match reissue {
        Some(re) => {
            let signatory = match re.signatory {
                Some(id) => id,
                None => cx.actor.id.ok_or_else(AppError::forbidden)?,
            };
            let new = issue_as(
                cx,
                issuer,
                &sample,
                &Issue {
                    supersedes: Some(report_no),
                    remarks: &re.remarks,
                    signatory,
                    overturned: re.overturned,
                    layout: re.layout,
                },
            )?;
            // A reissue keeps the publication of the report it replaces.
            if let Some(at) = fresh.published_at {
                db::reports::copy_publication(cx.conn, &new.report_no, at)?;
            }
            // A disposal case follows the report in force.
            db::reports::move_disposal_case(cx.conn, report_no, &new.report_no)?;
            db::reports::set_sample_report(
                cx.conn,
                sample_id,
                &new.report_no,
                &new.conclusion,
                cx.now,
            )?;
            Some(new.report_no)
        }
        None => None,
    };
    let n = db::reports::retire(
        cx.conn,
        fresh.id,
        fresh.version,
        Retirement {
            status: to,
            superseded_by: reissued.as_deref(),
            by: cx.actor.id,
            reason,
        },
        cx.now,
    )?;
    AppError::stale_unless(n)?;
    let before = fresh.to_report(issuer, &sample.sample_no);
    let after = record(cx.conn, report_no)?.to_report(issuer, &sample.sample_no);
    audit::append(
        cx.conn,
        cx.now,
        cx.actor,
        Change {
            action: if reissued.is_some() {
                "report.supersede"
            } else {
                "report.revoke"
            },
            entity_kind: "report",
            entity_id: report_no.to_string(),
            before: Some(to_json(&before)?),
            after: Some(to_json(&after)?),
            reason: Some(reason),
        },
    )?;
    let reissued = match reissued {
        Some(no) => Some(record(cx.conn, &no)?.to_report(issuer, &sample.sample_no)),
        None => None,
    };
    Ok(RevokeOutcome {
        revoked: after,
        reissued,
    })
}
