//! Issued reports (`reports`), their PDFs (`report_files`), the yearly report numbers
//! (`report_sequences`) and the context of a sample that documents print.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    categories, disposal_cases, entities, plans, regions, report_files, reports, samples,
};
use crate::db::DbConnection;
use crate::domain::states::ReportStatus;
use crate::error::{AppError, AppResult};

/// A stored report.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRecord {
    pub id: i64,
    pub report_no: String,
    pub sample_id: i64,
    pub conclusion: String,
    pub issued_at: NaiveDateTime,
    pub signatory_id: i64,
    pub status: String,
    pub supersedes: Option<String>,
    pub pdf_sha256: Option<String>,
    pub version: i32,
    pub data: Option<String>,
    pub body_sha256: Option<String>,
    pub superseded_by: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    /// The layout version it was printed with (NULL: issued before versions existed).
    pub layout_version: Option<i32>,
}

impl ReportRecord {
    /// The stored state; a value outside the vocabulary is a fault of the database.
    pub fn state(&self) -> AppResult<ReportStatus> {
        self.status.parse().map_err(AppError::internal)
    }
}

pub fn by_no(conn: &mut DbConnection, report_no: &str) -> AppResult<Option<ReportRecord>> {
    Ok(reports::table
        .filter(reports::report_no.eq(report_no))
        .select(ReportRecord::as_select())
        .first(conn)
        .optional()?)
}

/// The reports of a sample, newest first.
pub fn of_sample(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<ReportRecord>> {
    Ok(reports::table
        .filter(reports::sample_id.eq(sample_id))
        .order(reports::id.desc())
        .select(ReportRecord::as_select())
        .load(conn)?)
}

/// The newest valid report of a sample.
pub fn valid_of_sample(conn: &mut DbConnection, sample_id: i64) -> AppResult<Option<ReportRecord>> {
    Ok(reports::table
        .filter(reports::sample_id.eq(sample_id))
        .filter(reports::status.eq(ReportStatus::Valid.as_str()))
        .order(reports::id.desc())
        .select(ReportRecord::as_select())
        .first(conn)
        .optional()?)
}

pub fn has_pdf(conn: &mut DbConnection, report_id: i64) -> AppResult<bool> {
    Ok(report_files::table
        .find(report_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn pdf(conn: &mut DbConnection, report_id: i64) -> AppResult<Option<Vec<u8>>> {
    Ok(report_files::table
        .find(report_id)
        .select(report_files::pdf)
        .first(conn)
        .optional()?)
}

/// The PDF of report `report_no`.
pub fn pdf_by_no(conn: &mut DbConnection, report_no: &str) -> AppResult<Vec<u8>> {
    Ok(reports::table
        .inner_join(report_files::table)
        .filter(reports::report_no.eq(report_no))
        .select(report_files::pdf)
        .first(conn)?)
}

/// Which reports a list shows.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub status: Option<ReportStatus>,
    pub conclusion: Option<String>,
    /// Issued within [from, to).
    pub issued: Option<(NaiveDateTime, NaiveDateTime)>,
    pub published: Option<bool>,
    /// A `LIKE` pattern of region codes.
    pub region_like: Option<String>,
}

/// Reports with their sample numbers, newest first, and how many match.
pub fn list(
    conn: &mut DbConnection,
    f: &ReportQuery,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<(ReportRecord, String)>, i64)> {
    let build = || {
        let mut q = reports::table.inner_join(samples::table).into_boxed();
        if let Some(s) = f.status {
            q = q.filter(reports::status.eq(s.as_str()));
        }
        if let Some(c) = &f.conclusion {
            q = q.filter(reports::conclusion.eq(c.clone()));
        }
        if let Some((from, to)) = f.issued {
            q = q.filter(reports::issued_at.ge(from).and(reports::issued_at.lt(to)));
        }
        match f.published {
            Some(true) => q = q.filter(reports::published_at.is_not_null()),
            Some(false) => q = q.filter(reports::published_at.is_null()),
            None => {}
        }
        if let Some(p) = &f.region_like {
            q = q.filter(samples::region_code.like(p.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order(reports::id.desc())
        .offset(offset)
        .limit(limit)
        .select((ReportRecord::as_select(), samples::sample_no))
        .load(conn)?;
    Ok((rows, total))
}

/// Which published reports the public list shows.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    pub issued: Option<(NaiveDateTime, NaiveDateTime)>,
    /// A `LIKE` pattern of category codes.
    pub category_like: Option<String>,
    pub only: Option<Vec<i64>>,
}

/// A published report with its sample's category code, sample id and plan kind.
pub type PublishedRow = (ReportRecord, String, i64, String);

/// Published valid reports with their sample's category code and id, newest first, and
/// how many match.
pub fn published(
    conn: &mut DbConnection,
    f: &PublicQuery,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<PublishedRow>, i64)> {
    let build = || {
        let mut q = reports::table
            .inner_join(samples::table.inner_join(plans::table))
            .filter(reports::status.eq(ReportStatus::Valid.as_str()))
            .filter(reports::published_at.is_not_null())
            .into_boxed();
        if let Some((from, to)) = f.issued {
            q = q.filter(reports::issued_at.ge(from).and(reports::issued_at.lt(to)));
        }
        if let Some(c) = &f.category_like {
            q = q.filter(samples::category_code.like(c.clone()));
        }
        if let Some(ids) = &f.only {
            q = q.filter(samples::id.eq_any(ids.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order(reports::issued_at.desc())
        .then_order_by(reports::id.desc())
        .offset(offset)
        .limit(limit)
        .select((
            ReportRecord::as_select(),
            samples::category_code,
            samples::id,
            plans::kind,
        ))
        .load(conn)?;
    Ok((rows, total))
}

/// The next report number of `year` (the prefix of the layout in force, QHJ unless an
/// admin set another, + year + six digits), counted in the caller's transaction so a
/// rolled-back issue gives its number back (`db::sequences`). The counter is one per year
/// whatever the prefix, so numbers stay unique and gap-free when the prefix changes.
pub fn next_report_no(conn: &mut DbConnection, year: i32) -> AppResult<String> {
    let prefix = crate::db::layouts::number_prefix(conn)?;
    let v = crate::db::sequences::next_report_seq(conn, year)?;
    Ok(format!("{prefix}{year}{v:06}"))
}

/// What documents print about a sample's plan, entity, category and region.
pub struct SampleContext {
    pub plan_name: String,
    pub plan_kind: String,
    pub entity_name: String,
    pub entity_address: String,
    pub category: String,
    pub region_name: String,
}

pub fn sample_context(
    conn: &mut DbConnection,
    plan_id: i64,
    entity_id: i64,
    category_code: &str,
) -> AppResult<SampleContext> {
    let (plan_name, plan_kind, plan_region): (String, String, String) = plans::table
        .find(plan_id)
        .select((plans::name, plans::kind, plans::region_code))
        .first(conn)?;
    let (entity_name, entity_address): (String, String) = entities::table
        .find(entity_id)
        .select((entities::name, entities::address))
        .first(conn)?;
    let category: String = categories::table
        .find(category_code)
        .select(categories::name_zh)
        .first(conn)?;
    let region_name: String = regions::table
        .find(&plan_region)
        .select(regions::name_zh)
        .first(conn)?;
    Ok(SampleContext {
        plan_name,
        plan_kind,
        entity_name,
        entity_address,
        category,
        region_name,
    })
}

/// A report to store, with its PDF.
pub struct NewReport<'a> {
    pub report_no: &'a str,
    pub sample_id: i64,
    pub conclusion: &'a str,
    pub signatory_id: i64,
    pub supersedes: Option<&'a str>,
    pub pdf_sha256: &'a str,
    pub body_sha256: &'a str,
    pub data: &'a str,
    pub pdf: &'a [u8],
}

/// Stores a new valid report and its PDF.
pub fn insert(conn: &mut DbConnection, r: NewReport<'_>, now: NaiveDateTime) -> AppResult<()> {
    let id: i64 = diesel::insert_into(reports::table)
        .values((
            reports::report_no.eq(r.report_no),
            reports::sample_id.eq(r.sample_id),
            reports::conclusion.eq(r.conclusion),
            reports::issued_at.eq(now),
            reports::signatory_id.eq(r.signatory_id),
            reports::status.eq(ReportStatus::Valid.as_str()),
            reports::supersedes.eq(r.supersedes),
            reports::pdf_sha256.eq(r.pdf_sha256),
            reports::body_sha256.eq(r.body_sha256),
            reports::data.eq(r.data),
            reports::version.eq(1),
        ))
        .returning(reports::id)
        .get_result(conn)?;
    diesel::insert_into(report_files::table)
        .values((report_files::report_id.eq(id), report_files::pdf.eq(r.pdf)))
        .execute(conn)?;
    Ok(())
}

/// Marks a report published (`Some(at)`) or not, at `version`.
pub fn set_published(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    at: Option<NaiveDateTime>,
    by: Option<i64>,
) -> AppResult<()> {
    diesel::update(reports::table.find(id).filter(reports::version.eq(version)))
        .set((
            reports::published_at.eq(at),
            reports::published_by.eq(by),
            reports::version.eq(version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// A replacement report keeps the publication of the one it replaces.
pub fn copy_publication(
    conn: &mut DbConnection,
    report_no: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(reports::table.filter(reports::report_no.eq(report_no)))
        .set(reports::published_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// A disposal case follows the report in force: from `old` to `new`.
pub fn move_disposal_case(conn: &mut DbConnection, old: &str, new: &str) -> AppResult<()> {
    diesel::update(disposal_cases::table.filter(disposal_cases::report_no.eq(old)))
        .set(disposal_cases::report_no.eq(new))
        .execute(conn)?;
    Ok(())
}

/// Points the sample at its report in force and that report's conclusion.
pub fn set_sample_report(
    conn: &mut DbConnection,
    sample_id: i64,
    report_no: &str,
    conclusion: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(samples::table.find(sample_id))
        .set((
            samples::report_no.eq(Some(report_no)),
            samples::conclusion.eq(conclusion),
            samples::version.eq(samples::version + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// How a report is taken out of force.
pub struct Retirement<'a> {
    pub status: ReportStatus,
    pub superseded_by: Option<&'a str>,
    pub by: Option<i64>,
    pub reason: &'a str,
}

/// Takes a report out of force at `version`; rows changed (0: stale).
pub fn retire(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    r: Retirement<'_>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(
        diesel::update(reports::table.find(id).filter(reports::version.eq(version)))
            .set((
                reports::status.eq(r.status.as_str()),
                reports::superseded_by.eq(r.superseded_by),
                reports::revoked_at.eq(Some(now)),
                reports::revoked_by.eq(r.by),
                reports::revoke_reason.eq(Some(r.reason)),
                reports::version.eq(version + 1),
            ))
            .execute(conn)?,
    )
}
