//! Inspection reports as issued documents: the frozen report data, the PDF rendered from it
//! and its hashes, the verification code, revocation and reissue, publication, the public
//! results list, the notice of a non-compliant result, and the lab identity printed on them.
//!
//! Invariants: a report is never edited. Its data (`reports.data`) and PDF
//! (`report_files`) are written once, in the transaction that issues it; a correction
//! revokes it and issues a new number that names it. Every state change is audited.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::schema::{
    categories, entities, lab_profile, plans, regions, report_files, report_sequences, reports,
    samples, users,
};
use crate::db::tests::{sample_of, tests_of, TestRow};
use crate::db::{write_tx, DbConnection};
use crate::documents::notice::{FailedItem, NoticeDoc, RightLine};
use crate::documents::report::{render_report, LabIdentity, ReportDoc, ReportRow};
use crate::documents::DocError;
use crate::domain::calendar::Deadline;
use crate::domain::report::{
    code_matches, conclusion_sentence, join_distinct, limit_text, verification_code, Failed,
};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::intake::{self, local_date, to_local, SampleRow};
use crate::workflow::reference::{get_profile, work_calendar};
use crate::workflow::{clean_text, Actor};

fn to_json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

fn doc_error(e: DocError) -> AppError {
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
            verification_code(&self.key, report_no, body_sha256)
        )
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
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
struct ReportRecord {
    id: i64,
    report_no: String,
    sample_id: i64,
    conclusion: String,
    issued_at: NaiveDateTime,
    signatory_id: i64,
    status: String,
    supersedes: Option<String>,
    pdf_sha256: Option<String>,
    version: i32,
    data: Option<String>,
    body_sha256: Option<String>,
    superseded_by: Option<String>,
    revoked_at: Option<NaiveDateTime>,
    revoke_reason: Option<String>,
    published_at: Option<NaiveDateTime>,
}

impl ReportRecord {
    /// Whether `code` is this report's verification code.
    fn genuine(&self, issuer: &Issuer, code: &str) -> bool {
        self.body_sha256
            .as_deref()
            .is_some_and(|h| code_matches(&issuer.key, &self.report_no, h, code))
    }

    fn doc(&self) -> AppResult<ReportDoc> {
        let data = self
            .data
            .as_deref()
            .ok_or_else(|| AppError::internal(format!("report {} has no data", self.report_no)))?;
        serde_json::from_str(data).map_err(AppError::internal)
    }

    fn to_report(&self, issuer: &Issuer, sample_no: &str) -> Report {
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
        }
    }
}

fn record(conn: &mut DbConnection, report_no: &str) -> AppResult<ReportRecord> {
    reports::table
        .filter(reports::report_no.eq(report_no.trim()))
        .select(ReportRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("检验报告", "Report"))
}

/// A report the actor may see (its sample within the actor's region scope), else 404.
fn visible_record(
    conn: &mut DbConnection,
    actor: &Actor,
    report_no: &str,
) -> AppResult<(ReportRecord, SampleRow)> {
    let r = record(conn, report_no)?;
    let s = sample_of(conn, r.sample_id)?;
    intake::visible_row(conn, actor, &s.sample_no)
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
        Ok((r, _)) => Ok(report_files::table
            .find(r.id)
            .count()
            .get_result::<i64>(conn)?
            > 0),
        Err(AppError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

fn stored_pdf(conn: &mut DbConnection, r: &ReportRecord) -> AppResult<Vec<u8>> {
    report_files::table
        .find(r.id)
        .select(report_files::pdf)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::internal(format!("report {} has no PDF", r.report_no)))
}

/// The reports of a sample, newest first.
pub fn reports_of_sample(
    conn: &mut DbConnection,
    actor: &Actor,
    issuer: &Issuer,
    sample_no: &str,
) -> AppResult<Vec<Report>> {
    let s = intake::visible_row(conn, actor, sample_no)?;
    let rows: Vec<ReportRecord> = reports::table
        .filter(reports::sample_id.eq(s.id))
        .order(reports::id.desc())
        .select(ReportRecord::as_select())
        .load(conn)?;
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
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        if !["valid", "superseded", "revoked"].contains(&s) {
            errors.insert(
                "status".into(),
                Msg::new("状态无效", "must be valid, superseded or revoked"),
            );
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
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let range = f.year.map(year_range);
    let build = || {
        let mut q = reports::table.inner_join(samples::table).into_boxed();
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(reports::status.eq(s.to_string()));
        }
        if let Some(c) = f.conclusion.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(reports::conclusion.eq(c.to_string()));
        }
        if let Some((from, to)) = range {
            q = q.filter(reports::issued_at.ge(from).and(reports::issued_at.lt(to)));
        }
        match f.published {
            Some(true) => q = q.filter(reports::published_at.is_not_null()),
            Some(false) => q = q.filter(reports::published_at.is_null()),
            None => {}
        }
        if let Some(p) = &scope {
            q = q.filter(samples::region_code.like(p.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<(ReportRecord, String)> = build()
        .order(reports::id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select((ReportRecord::as_select(), samples::sample_no))
        .load(conn)?;
    Ok((
        rows.iter().map(|(r, no)| r.to_report(issuer, no)).collect(),
        total,
    ))
}

/// The UTC instants that bound a year in Asia/Shanghai.
pub(crate) fn year_range(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(crate::domain::local_time::utc_of_local_midnight)
            .unwrap_or_default()
    };
    (start(year), start(year + 1))
}

// ---------------------------------------------------------------- lab identity

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
    fn defaults() -> LabProfile {
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

    fn identity(&self) -> LabIdentity {
        LabIdentity {
            name: self.name.clone(),
            address: self.address.clone(),
            cma_no: self.cma_no.clone(),
            contact: self.contact.clone(),
            disclaimer: self.disclaimer.clone(),
        }
    }
}

type LabProfileRow = (String, String, String, String, String, String, i32);

/// The lab identity (the defaults until an admin sets it). Readable by any signed-in user.
pub fn lab_profile(conn: &mut DbConnection) -> AppResult<LabProfile> {
    let row: Option<LabProfileRow> = lab_profile::table
        .find(1)
        .select((
            lab_profile::name,
            lab_profile::address,
            lab_profile::cma_no,
            lab_profile::contact,
            lab_profile::report_title,
            lab_profile::disclaimer,
            lab_profile::version,
        ))
        .first(conn)
        .optional()?;
    let Some((name, address, cma_no, contact, report_title, disclaimer, version)) = row else {
        return Ok(LabProfile::defaults());
    };
    Ok(LabProfile {
        name,
        address,
        cma_no,
        contact,
        report_title,
        disclaimer: serde_json::from_str(&disclaimer).map_err(AppError::internal)?,
        configured: true,
        version,
    })
}

/// `PUT /api/v1/settings/lab`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabProfileInput {
    pub name: String,
    pub address: String,
    pub cma_no: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub report_title: Option<String>,
    #[serde(default)]
    pub disclaimer: Vec<String>,
    /// The version read (0 while only the defaults exist).
    pub version: i32,
}

/// Sets the lab identity printed on reports issued from now on (issued reports keep theirs).
pub fn put_lab_profile(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &LabProfileInput,
) -> AppResult<LabProfile> {
    actor.require(&[Role::Admin])?;
    let mut errors = FieldErrors::new();
    let mut check =
        |field: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(v) => v,
            Err(m) => {
                errors.insert(field.to_string(), m);
                String::new()
            }
        };
    let name = check("name", &input.name, 100, true);
    let address = check("address", &input.address, 200, true);
    let cma_no = check("cma_no", &input.cma_no, 100, true);
    let contact = check("contact", &input.contact, 200, false);
    let title = check(
        "report_title",
        input.report_title.as_deref().unwrap_or("检验报告"),
        30,
        true,
    );
    let mut disclaimer = Vec::new();
    for p in &input.disclaimer {
        let p = check("disclaimer", p, 300, false);
        if !p.is_empty() {
            disclaimer.push(p);
        }
    }
    if disclaimer.len() > 12 {
        errors.insert(
            "disclaimer".into(),
            Msg::new("声明不能超过12条", "at most 12 paragraphs"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let disclaimer_json = serde_json::to_string(&disclaimer).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        let before = lab_profile(conn)?;
        if before.version != input.version {
            return Err(AppError::stale());
        }
        let values = (
            lab_profile::name.eq(&name),
            lab_profile::address.eq(&address),
            lab_profile::cma_no.eq(&cma_no),
            lab_profile::contact.eq(&contact),
            lab_profile::report_title.eq(&title),
            lab_profile::disclaimer.eq(&disclaimer_json),
            lab_profile::updated_at.eq(now),
        );
        if before.configured {
            diesel::update(lab_profile::table.find(1))
                .set((values, lab_profile::version.eq(before.version + 1)))
                .execute(conn)?;
        } else {
            diesel::insert_into(lab_profile::table)
                .values((lab_profile::id.eq(1), values, lab_profile::version.eq(1)))
                .execute(conn)?;
        }
        let after = lab_profile(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "lab_profile.put",
                entity_kind: "lab_profile",
                entity_id: "1".into(),
                before: before.configured.then(|| to_json(&before)).transpose()?,
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// Sets a demo lab identity (marked as such) when none is configured; `serve --demo`.
pub fn seed_demo_lab_profile(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<bool> {
    if lab_profile(conn)?.configured {
        return Ok(false);
    }
    let mut system = Actor::system();
    system.roles = crate::domain::role::Roles::from_iter([Role::Admin]);
    put_lab_profile(
        conn,
        now,
        &system,
        &LabProfileInput {
            name: "青海省食品检验检测院（演示）".into(),
            address: "青海省西宁市城西区（演示地址）".into(),
            cma_no: "CMA 资质认定证书编号：演示000000".into(),
            contact: "电话：0971-0000000（演示）".into(),
            report_title: Some("检验报告".into()),
            disclaimer: LabProfile::defaults().disclaimer,
            version: 0,
        },
    )?;
    Ok(true)
}

// ---------------------------------------------------------------- issuing

fn next_report_no(conn: &mut DbConnection, year: i32) -> AppResult<String> {
    let insert = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO report_sequences (year, last_value) VALUES (?, 0) ON CONFLICT DO NOTHING"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO report_sequences (year, last_value) VALUES ($1, 0) ON CONFLICT DO NOTHING"
        }
    };
    diesel::sql_query(insert)
        .bind::<diesel::sql_types::Integer, _>(year)
        .execute(conn)?;
    diesel::update(report_sequences::table.find(year))
        .set(report_sequences::last_value.eq(report_sequences::last_value + 1))
        .execute(conn)?;
    let v: i32 = report_sequences::table
        .find(year)
        .select(report_sequences::last_value)
        .first(conn)?;
    Ok(format!("QHJ{year}{v:06}"))
}

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
    let rows: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(&unique))
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(join_distinct(unique.iter().filter_map(|id| {
        rows.iter().find(|(i, _)| i == id).map(|(_, n)| n.as_str())
    })))
}

/// The profile's words for a pass and a fail (合格/不合格, 符合规定/不符合规定).
fn terms(conn: &mut DbConnection, domain: Domain, kind: PlanKind) -> AppResult<(String, String)> {
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

fn date_range(dates: impl IntoIterator<Item = NaiveDate>) -> String {
    let mut v: Vec<NaiveDate> = dates.into_iter().collect();
    v.sort();
    match (v.first(), v.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} 至 {b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// The sample's context every document needs: plan, entity, category and the bureau.
struct Context {
    plan_name: String,
    plan_kind: PlanKind,
    domain: Domain,
    organiser: String,
    entity_name: String,
    entity_address: String,
    category: String,
}

fn context(conn: &mut DbConnection, s: &SampleRow) -> AppResult<Context> {
    let (plan_name, kind, plan_region): (String, String, String) = plans::table
        .find(s.plan_id)
        .select((plans::name, plans::kind, plans::region_code))
        .first(conn)?;
    let (entity_name, entity_address): (String, String) = entities::table
        .find(s.entity_id)
        .select((entities::name, entities::address))
        .first(conn)?;
    let category: String = categories::table
        .find(&s.category_code)
        .select(categories::name_zh)
        .first(conn)?;
    let region_name: String = regions::table
        .find(&plan_region)
        .select(regions::name_zh)
        .first(conn)?;
    Ok(Context {
        plan_name,
        plan_kind: kind.parse().map_err(AppError::internal)?,
        domain: s.domain.parse().map_err(AppError::internal)?,
        organiser: crate::domain::region::bureau_name(&region_name),
        entity_name,
        entity_address,
        category,
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

/// The report's data from the records as they stand at issue.
#[allow(clippy::too_many_arguments)]
fn build_doc(
    conn: &mut DbConnection,
    s: &SampleRow,
    report_no: &str,
    issued_at: NaiveDateTime,
    signatory: i64,
    supersedes: Option<&str>,
    remarks: &str,
) -> AppResult<(ReportDoc, String)> {
    let ctx = context(conn, s)?;
    let tests = tests_of(conn, s.id)?;
    let (pass, fail) = terms(conn, ctx.domain, ctx.plan_kind)?;
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
        "compliant"
    } else {
        "non_compliant"
    };
    let conclusion = conclusion_sentence(&pass, &fail, &basis, &failed);
    let testers: Vec<i64> = tests.iter().filter_map(|t| t.entered_by).collect();
    let reviewers: Vec<i64> = tests.iter().filter_map(|t| t.reviewed_by).collect();
    let lab = lab_profile(conn)?;
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
        verdict: if failed.is_empty() {
            pass.clone()
        } else {
            fail.clone()
        },
        conclusion,
        basis,
        tester: names_of(conn, &testers)?,
        reviewer: names_of(conn, &reviewers)?,
        signatory: names_of(conn, &[signatory])?,
        remarks: remarks.to_string(),
        verify_url: None,
    };
    Ok((doc, conclusion_code.to_string()))
}

/// The PDF of `doc` with its verification code: the content hash is taken of the
/// rendering without the QR code, the code keyed on it, and the final PDF carries the
/// link. Returns (pdf, body_sha256, pdf_sha256).
fn render_with_code(issuer: &Issuer, doc: &mut ReportDoc) -> AppResult<(Vec<u8>, String, String)> {
    doc.verify_url = None;
    let body = render_report(doc).map_err(doc_error)?;
    let body_sha256 = sha256_hex(&body);
    doc.verify_url = Some(issuer.verify_url(&doc.report_no, &body_sha256));
    let pdf = render_report(doc).map_err(doc_error)?;
    let pdf_sha256 = sha256_hex(&pdf);
    Ok((pdf, body_sha256, pdf_sha256))
}

/// Issues a report for `s` inside the caller's transaction: a new number, the data frozen
/// as it stands, the PDF rendered and stored with its hashes, `report.issue` audited.
/// Returns the record and its conclusion (compliant | non_compliant).
pub(crate) fn issue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    s: &SampleRow,
    supersedes: Option<&str>,
    remarks: &str,
) -> AppResult<Report> {
    let signatory = actor.id.ok_or_else(AppError::forbidden)?;
    issue_as(
        conn, now, actor, issuer, s, supersedes, remarks, signatory, false,
    )
}

/// [`issue`] signed by `signatory`; with `overturned`, the report states that the
/// re-examination did not uphold the result and concludes compliant.
#[allow(clippy::too_many_arguments)]
fn issue_as(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    s: &SampleRow,
    supersedes: Option<&str>,
    remarks: &str,
    signatory: i64,
    overturned: bool,
) -> AppResult<Report> {
    let year = chrono::Datelike::year(&local_date(now));
    let report_no = next_report_no(conn, year)?;
    let (mut doc, mut conclusion) =
        build_doc(conn, s, &report_no, now, signatory, supersedes, remarks)?;
    if overturned {
        let ctx = context(conn, s)?;
        let (pass, _) = terms(conn, ctx.domain, ctx.plan_kind)?;
        conclusion = "compliant".to_string();
        doc.verdict = pass.clone();
        for row in &mut doc.rows {
            row.failed = false;
        }
        doc.conclusion = format!("经复检，原检验结论未被维持；依据复检结论，检验结论为{pass}。");
    }
    let (pdf, body_sha256, pdf_sha256) = render_with_code(issuer, &mut doc)?;
    let data = serde_json::to_string(&doc).map_err(AppError::internal)?;
    let id: i64 = diesel::insert_into(reports::table)
        .values((
            reports::report_no.eq(&report_no),
            reports::sample_id.eq(s.id),
            reports::conclusion.eq(&conclusion),
            reports::issued_at.eq(now),
            reports::signatory_id.eq(signatory),
            reports::status.eq("valid"),
            reports::supersedes.eq(supersedes),
            reports::pdf_sha256.eq(&pdf_sha256),
            reports::body_sha256.eq(&body_sha256),
            reports::data.eq(&data),
            reports::version.eq(1),
        ))
        .returning(reports::id)
        .get_result(conn)?;
    diesel::insert_into(report_files::table)
        .values((report_files::report_id.eq(id), report_files::pdf.eq(&pdf)))
        .execute(conn)?;
    let r = record(conn, &report_no)?;
    let report = r.to_report(issuer, &s.sample_no);
    audit::append(
        conn,
        now,
        actor,
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
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    if input.reissue {
        if let Some(me) = actor.id {
            let people = crate::db::tests::result_people(conn, s.id)?;
            crate::domain::states::check_independent(me, &people)
                .map_err(|e| AppError::Forbidden(e.msg()))?;
        }
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
        });
        retire(
            conn,
            now,
            actor,
            issuer,
            &r.report_no,
            s.id,
            &reason,
            reissue,
        )
    })
}

/// How a retired report is replaced.
pub(crate) struct Reissue {
    pub remarks: String,
    /// Who signs the new report: the acting signatory when `None`.
    pub signatory: Option<i64>,
    /// The re-examination did not uphold the result: the new report concludes compliant.
    pub overturned: bool,
}

/// Inside the caller's transaction: takes a valid report out of force (superseded when a
/// new one replaces it, else revoked), issuing the replacement, moving the sample's
/// number and conclusion and the publication to it, and auditing the change.
#[allow(clippy::too_many_arguments)]
pub(crate) fn retire(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    report_no: &str,
    sample_id: i64,
    reason: &str,
    reissue: Option<Reissue>,
) -> AppResult<RevokeOutcome> {
    let fresh = record(conn, report_no)?;
    if fresh.status != "valid" {
        return Err(AppError::Conflict(Msg::new(
            format!(
                "报告 {} 已{}，不能再撤销",
                report_no,
                status_zh(&fresh.status)
            ),
            format!("Report {} is already {}", report_no, fresh.status),
        )));
    }
    let sample = sample_of(conn, sample_id)?;
    let reissued = match reissue {
        Some(re) => {
            let signatory = match re.signatory {
                Some(id) => id,
                None => actor.id.ok_or_else(AppError::forbidden)?,
            };
            let new = issue_as(
                conn,
                now,
                actor,
                issuer,
                &sample,
                Some(report_no),
                &re.remarks,
                signatory,
                re.overturned,
            )?;
            // A reissue keeps the publication of the report it replaces.
            if let Some(at) = fresh.published_at {
                diesel::update(reports::table.filter(reports::report_no.eq(&new.report_no)))
                    .set(reports::published_at.eq(Some(at)))
                    .execute(conn)?;
            }
            // A disposal case follows the report in force.
            diesel::update(
                crate::db::schema::disposal_cases::table
                    .filter(crate::db::schema::disposal_cases::report_no.eq(report_no)),
            )
            .set(crate::db::schema::disposal_cases::report_no.eq(&new.report_no))
            .execute(conn)?;
            diesel::update(samples::table.find(sample_id))
                .set((
                    samples::report_no.eq(Some(&new.report_no)),
                    samples::conclusion.eq(&new.conclusion),
                    samples::version.eq(samples::version + 1),
                    samples::updated_at.eq(now),
                ))
                .execute(conn)?;
            Some(new.report_no)
        }
        None => None,
    };
    let status = if reissued.is_some() {
        "superseded"
    } else {
        "revoked"
    };
    let n = diesel::update(
        reports::table
            .find(fresh.id)
            .filter(reports::version.eq(fresh.version)),
    )
    .set((
        reports::status.eq(status),
        reports::superseded_by.eq(reissued.as_deref()),
        reports::revoked_at.eq(Some(now)),
        reports::revoked_by.eq(actor.id),
        reports::revoke_reason.eq(Some(reason)),
        reports::version.eq(fresh.version + 1),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(AppError::stale());
    }
    let before = fresh.to_report(issuer, &sample.sample_no);
    let after = record(conn, report_no)?.to_report(issuer, &sample.sample_no);
    audit::append(
        conn,
        now,
        actor,
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
        Some(no) => Some(record(conn, &no)?.to_report(issuer, &sample.sample_no)),
        None => None,
    };
    Ok(RevokeOutcome {
        revoked: after,
        reissued,
    })
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "valid" => "有效",
        "superseded" => "被替代",
        _ => "撤销",
    }
}

// ---------------------------------------------------------------- publication

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
        if publish && fresh.status != "valid" {
            return Err(AppError::Conflict(Msg::new(
                "只能公布有效的报告",
                "Only a valid report can be published",
            )));
        }
        if fresh.published_at.is_some() == publish {
            return Ok(fresh.to_report(issuer, &s.sample_no));
        }
        diesel::update(
            reports::table
                .find(fresh.id)
                .filter(reports::version.eq(fresh.version)),
        )
        .set((
            reports::published_at.eq(publish.then_some(now)),
            reports::published_by.eq(if publish { actor.id } else { None }),
            reports::version.eq(fresh.version + 1),
        ))
        .execute(conn)?;
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
    /// compliant | non_compliant
    pub conclusion: String,
    /// The conclusion in the domain's words (合格 / 不合格 …).
    pub conclusion_text: String,
    #[schema(value_type = Vec<Object>)]
    pub failed_items: Vec<FailedItem>,
    pub lab: String,
    pub issued_on: NaiveDate,
    /// The disposal information, once published (rules.md §e.2).
    pub disposal: Option<crate::workflow::disposal::PublicDisposal>,
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
    let range = f.year.map(year_range);
    let category = f
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| format!("{c}%"));
    let build = || {
        let mut q = reports::table
            .inner_join(samples::table)
            .filter(reports::status.eq("valid"))
            .filter(reports::published_at.is_not_null())
            .into_boxed();
        if let Some((from, to)) = range {
            q = q.filter(reports::issued_at.ge(from).and(reports::issued_at.lt(to)));
        }
        if let Some(c) = &category {
            q = q.filter(samples::category_code.like(c.clone()));
        }
        if let Some(ids) = only {
            q = q.filter(samples::id.eq_any(ids.to_vec()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<(ReportRecord, String, i64)> = build()
        .order(reports::issued_at.desc())
        .then_order_by(reports::id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select((
            ReportRecord::as_select(),
            samples::category_code,
            samples::id,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(_, _, id)| *id).collect();
    let mut disposals = crate::workflow::disposal::published_info(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for (r, category_code, sample_id) in rows {
        let d = r.doc()?;
        let non_compliant = r.conclusion == "non_compliant";
        let failed_items = if non_compliant {
            failed_rows(&d)
        } else {
            Vec::new()
        };
        let conclusion_text = d.verdict.clone();
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
            failed_items,
            lab: d.lab.name,
            issued_on: local_date(r.issued_at),
            disposal: disposals.remove(&sample_id),
        });
    }
    Ok((out, total))
}

/// The failed rows of a frozen report.
fn failed_rows(d: &ReportDoc) -> Vec<FailedItem> {
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
        status: Some(r.status.clone()),
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

// ---------------------------------------------------------------- notice

fn cn_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn window_text(r: &crate::domain::rules::Rule) -> String {
    let rule = crate::domain::disposal::rule_text_zh(r.value.as_u64().unwrap_or(0), r.unit);
    format!("自收到本通知书之日起{}内", rule.replace(' ', ""))
}

/// The notice of a non-compliant result for the sample's valid report, with the entity's
/// windows computed from the rule profile as if served on `served_on`.
pub fn notice(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
    served_on: NaiveDate,
) -> AppResult<NoticeDoc> {
    let s = intake::visible_row(conn, actor, sample_no)?;
    let report: Option<ReportRecord> = reports::table
        .filter(reports::sample_id.eq(s.id))
        .filter(reports::status.eq("valid"))
        .order(reports::id.desc())
        .select(ReportRecord::as_select())
        .first(conn)
        .optional()?;
    let Some(r) = report else {
        return Err(AppError::Conflict(Msg::new(
            "该样品还没有有效的检验报告",
            "This sample has no valid report yet",
        )));
    };
    if r.conclusion != "non_compliant" {
        return Err(AppError::Conflict(Msg::new(
            "检验结论为合格，没有不合格检验结论通知书",
            "The conclusion is compliant: there is no notice of a non-compliant result",
        )));
    }
    let d = r.doc()?;
    let ctx = context(conn, &s)?;
    let profile = get_profile(conn, ctx.domain, ctx.plan_kind)?.map(|p| p.profile());
    let cal = work_calendar(conn)?;
    let mut rights = Vec::new();
    if let Some(p) = &profile {
        for (key, what) in [
            ("recheck_request_window", "申请复检"),
            ("objection_window", "对检验方法、标准适用等提出异议"),
        ] {
            let (Some(rule), Some(Deadline { date, provisional })) =
                (p.get(key), p.deadline(key, served_on, &cal))
            else {
                continue;
            };
            rights.push(RightLine {
                what: what.to_string(),
                window: window_text(rule),
                deadline: if provisional {
                    format!("{}（节假日安排未载入，暂按周末计算）", cn_date(date))
                } else {
                    cn_date(date)
                },
                citation: rule.citation.clone(),
            });
        }
    }
    Ok(NoticeDoc {
        notice_no: format!("{}-TZ", r.report_no),
        issuer: ctx.organiser,
        entity_name: d.entity_name.clone(),
        entity_address: d.entity_address.clone(),
        sample_no: s.sample_no.clone(),
        report_no: r.report_no.clone(),
        product_name: d.product_name.clone(),
        brand: d.brand.clone(),
        specification: d.specification.clone(),
        batch: d.batch.clone(),
        manufacturer: d.manufacturer.clone(),
        plan_name: d.plan_name.clone(),
        plan_kind: d.plan_kind.clone(),
        sampled_on: d.sampled_on.clone(),
        lab_name: d.lab.name.clone(),
        failed: failed_rows(&d),
        conclusion: d.conclusion.clone(),
        rights,
        duties: crate::domain::report::entity_duties(ctx.domain),
        served_on: cn_date(served_on),
        issued_on: cn_date(served_on),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_in_shanghai_starts_at_16_utc_the_day_before() {
        let (from, to) = year_range(2026);
        assert_eq!(from.to_string(), "2025-12-31 16:00:00");
        assert_eq!(to.to_string(), "2026-12-31 16:00:00");
    }

    #[test]
    fn test_dates_read_as_a_range() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).expect("date");
        assert_eq!(date_range([d(5), d(2), d(3)]), "2026-03-02 至 2026-03-05");
        assert_eq!(date_range([d(2), d(2)]), "2026-03-02");
        assert_eq!(date_range([]), "");
    }
}
