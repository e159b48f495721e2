//! Disposal cases in the database: the case, event and attachment rows, the list and
//! rate queries, and the writes of `workflow::disposal`. No role is checked and no audit
//! row written here; the use cases do both.
//!
//! A case's `status` and `outcome` are stored as the strings of
//! `domain::disposal::{CaseStatus, Outcome}` and read back through [`CaseRow::state`],
//! the one conversion.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    disposal_attachments, disposal_cases, disposal_events, entities, plans, regions, reports,
    samples,
};
use crate::db::{placeholders, DbConnection};
use crate::domain::disposal::{CaseStatus, Outcome, StepKind};
use crate::error::{AppError, AppResult};

mod public;
pub use public::{published_info, PublicDisposal, PublicInfoInput};

/// A stored case.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_cases)]
pub struct CaseRow {
    pub id: i64,
    pub sample_id: i64,
    pub report_no: String,
    pub kind: String,
    pub region_code: String,
    pub domain: String,
    pub plan_kind: String,
    pub status: String,
    pub outcome: Option<String>,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub extended_until: Option<NaiveDate>,
    pub public_info: Option<String>,
    pub version: i32,
}

impl CaseRow {
    /// The stored status and outcome as the domain's states. A value the domain does not
    /// know is our fault (only this module writes them), so it is a 500.
    pub fn state(&self) -> AppResult<(CaseStatus, Option<Outcome>)> {
        let status = stored_status(&self.status)?;
        let outcome = self
            .outcome
            .as_deref()
            .map(str::parse::<Outcome>)
            .transpose()
            .map_err(AppError::internal)?;
        Ok((status, outcome))
    }
}

/// A stored status as the domain's state (a value it does not know is our fault: 500).
fn stored_status(s: &str) -> AppResult<CaseStatus> {
    s.parse().map_err(AppError::internal)
}

/// A recorded step of a case.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_events)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub at: NaiveDateTime,
    pub upheld: Option<bool>,
    pub accepted: Option<bool>,
    pub recall_level: Option<i32>,
    pub note: Option<String>,
    pub recorded_by: i64,
}

/// A filed file, without its bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disposal_attachments)]
pub struct AttachmentRow {
    pub id: i64,
    pub event_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
}

/// A case the issuing of a report opens.
pub struct NewCase<'a> {
    pub sample_id: i64,
    pub report_no: &'a str,
    pub kind: &'a str,
    pub region_code: &'a str,
    pub domain: &'a str,
    pub plan_kind: &'a str,
    pub plan_level: &'a str,
    pub due_on: Option<NaiveDate>,
    pub now: NaiveDateTime,
}

/// A step to record.
pub struct NewEvent<'a> {
    pub case_id: i64,
    pub kind: StepKind,
    pub at: NaiveDateTime,
    pub upheld: Option<bool>,
    pub accepted: Option<bool>,
    pub recall_level: Option<u8>,
    pub note: Option<&'a str>,
    pub recorded_by: i64,
    pub now: NaiveDateTime,
}

/// What recording a step changes on the case.
pub struct AfterEvent<'a> {
    pub status: CaseStatus,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_on: Option<NaiveDate>,
    pub started_on: Option<NaiveDate>,
    pub report_no: &'a str,
}

/// A file to file with a step.
pub struct NewAttachment<'a> {
    pub case_id: i64,
    pub event_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i64,
    pub now: NaiveDateTime,
}

/// The `disposal_cases` filters of the case list; `…_like` are `LIKE` patterns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<CaseStatus>,
    /// Open cases whose completion deadline lies before this day.
    pub due_before: Option<NaiveDate>,
    pub scope_like: Option<String>,
    pub region_like: Option<String>,
    /// Opened in `[from, to)`.
    pub opened: Option<(NaiveDateTime, NaiveDateTime)>,
}

// ---------------------------------------------------------------- cases

/// The plan's kind and level.
pub fn plan_kind_level(conn: &mut DbConnection, plan_id: i64) -> AppResult<(String, String)> {
    Ok(plans::table
        .find(plan_id)
        .select((plans::kind, plans::level))
        .first(conn)?)
}

/// The entity's region code.
pub fn entity_region(conn: &mut DbConnection, entity_id: i64) -> AppResult<String> {
    Ok(entities::table
        .find(entity_id)
        .select(entities::region_code)
        .first(conn)?)
}

/// Inserts an open case at version 1 and returns its id.
pub fn insert(conn: &mut DbConnection, c: &NewCase) -> AppResult<i64> {
    Ok(diesel::insert_into(disposal_cases::table)
        .values((
            disposal_cases::sample_id.eq(c.sample_id),
            disposal_cases::report_no.eq(c.report_no),
            disposal_cases::kind.eq(c.kind),
            disposal_cases::region_code.eq(c.region_code),
            disposal_cases::domain.eq(c.domain),
            disposal_cases::plan_kind.eq(c.plan_kind),
            disposal_cases::plan_level.eq(c.plan_level),
            disposal_cases::status.eq(CaseStatus::Open.as_str()),
            disposal_cases::opened_at.eq(c.now),
            disposal_cases::due_on.eq(c.due_on),
            disposal_cases::version.eq(1),
            disposal_cases::updated_at.eq(c.now),
        ))
        .returning(disposal_cases::id)
        .get_result(conn)?)
}

/// The case, if there is one with this id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<CaseRow>> {
    Ok(disposal_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?)
}

/// The case, which must exist (it was seen in this transaction).
pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<CaseRow> {
    Ok(disposal_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)?)
}

fn filtered<'a>(
    f: &'a ListFilter,
) -> disposal_cases::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let mut q = disposal_cases::table.into_boxed();
    if let Some(s) = f.status {
        q = q.filter(disposal_cases::status.eq(s.as_str()));
    }
    if let Some(today) = f.due_before {
        q = q
            .filter(disposal_cases::status.eq(CaseStatus::Open.as_str()))
            .filter(disposal_cases::due_on.lt(today));
    }
    if let Some(p) = &f.scope_like {
        q = q.filter(disposal_cases::region_code.like(p.clone()));
    }
    if let Some(p) = &f.region_like {
        q = q.filter(disposal_cases::region_code.like(p.clone()));
    }
    if let Some((from, to)) = f.opened {
        q = q.filter(
            disposal_cases::opened_at
                .ge(from)
                .and(disposal_cases::opened_at.lt(to)),
        );
    }
    q
}

/// One page of the cases the filter keeps, open ones first, then by deadline; and how
/// many it keeps in all.
pub fn list(
    conn: &mut DbConnection,
    f: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<CaseRow>, i64)> {
    let total: i64 = filtered(f).count().get_result(conn)?;
    let rows = filtered(f)
        .order((
            disposal_cases::status.desc(),
            disposal_cases::due_on.asc(),
            disposal_cases::id.asc(),
        ))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(CaseRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The case's steps in the order they were recorded.
pub fn events_of(conn: &mut DbConnection, case_id: i64) -> AppResult<Vec<EventRow>> {
    Ok(disposal_events::table
        .filter(disposal_events::case_id.eq(case_id))
        .order(disposal_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?)
}

/// The case's files, in the order they were filed.
pub fn attachments_of(conn: &mut DbConnection, case_id: i64) -> AppResult<Vec<AttachmentRow>> {
    Ok(disposal_attachments::table
        .filter(disposal_attachments::case_id.eq(case_id))
        .order(disposal_attachments::id.asc())
        .select(AttachmentRow::as_select())
        .load(conn)?)
}

/// The case's sample number, product name and entity name.
pub fn sample_names(
    conn: &mut DbConnection,
    sample_id: i64,
) -> AppResult<(String, String, String)> {
    Ok(samples::table
        .inner_join(entities::table)
        .filter(samples::id.eq(sample_id))
        .select((samples::sample_no, samples::product_name, entities::name))
        .first(conn)?)
}

/// Records a step.
pub fn insert_event(conn: &mut DbConnection, e: &NewEvent) -> AppResult<()> {
    diesel::insert_into(disposal_events::table)
        .values((
            disposal_events::case_id.eq(e.case_id),
            disposal_events::kind.eq(e.kind.as_str()),
            disposal_events::at.eq(e.at),
            disposal_events::upheld.eq(e.upheld),
            disposal_events::accepted.eq(e.accepted),
            disposal_events::recall_level.eq(e.recall_level.map(i32::from)),
            disposal_events::note.eq(e.note),
            disposal_events::recorded_by.eq(e.recorded_by),
            disposal_events::recorded_at.eq(e.now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores what a recorded step changed, if the case is still at `version`; returns
/// the number of rows changed (0: someone else wrote first).
pub fn update_after_event(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    a: &AfterEvent,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        disposal_cases::table
            .find(id)
            .filter(disposal_cases::version.eq(version)),
    )
    .set((
        disposal_cases::status.eq(a.status.as_str()),
        disposal_cases::outcome.eq(a.outcome.map(Outcome::as_str)),
        disposal_cases::closed_at.eq(a.closed_at),
        disposal_cases::closed_on.eq(a.closed_on),
        disposal_cases::started_on.eq(a.started_on),
        disposal_cases::report_no.eq(a.report_no),
        disposal_cases::version.eq(version + 1),
        disposal_cases::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// The signatory of a report, by number.
pub fn report_signatory(conn: &mut DbConnection, report_no: &str) -> AppResult<i64> {
    Ok(reports::table
        .filter(reports::report_no.eq(report_no))
        .select(reports::signatory_id)
        .first(conn)?)
}

/// Whether a report's result is published.
pub fn report_published(conn: &mut DbConnection, report_no: &str) -> AppResult<bool> {
    Ok(reports::table
        .filter(reports::report_no.eq(report_no))
        .select(reports::published_at.is_not_null())
        .first(conn)?)
}

// ---------------------------------------------------------------- extension and reopening

/// The pending extension of a case: who asked, why, until when; with the case's version
/// and status.
pub struct Extension {
    pub requested_by: Option<i64>,
    pub reason: Option<String>,
    pub requested_until: Option<NaiveDate>,
    pub version: i32,
    pub status: CaseStatus,
}

/// Stores a requested extension if the case is still at `version`; returns the number of
/// rows changed.
pub fn request_extension(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    until: NaiveDate,
    reason: &str,
    requested_by: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        disposal_cases::table
            .find(id)
            .filter(disposal_cases::version.eq(version)),
    )
    .set((
        disposal_cases::extension_requested_until.eq(Some(until)),
        disposal_cases::extension_reason.eq(Some(reason)),
        disposal_cases::extension_requested_by.eq(requested_by),
        disposal_cases::extension_approved_by.eq(None::<i64>),
        disposal_cases::version.eq(version + 1),
        disposal_cases::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// The case's pending extension.
pub fn extension(conn: &mut DbConnection, id: i64) -> AppResult<Extension> {
    let (requested_by, reason, requested_until, version, status): (_, _, _, _, String) =
        disposal_cases::table
            .find(id)
            .select((
                disposal_cases::extension_requested_by,
                disposal_cases::extension_reason,
                disposal_cases::extension_requested_until,
                disposal_cases::version,
                disposal_cases::status,
            ))
            .first(conn)?;
    Ok(Extension {
        requested_by,
        reason,
        requested_until,
        version,
        status: stored_status(&status)?,
    })
}

/// Puts an approved extension in force: it becomes the completion deadline.
pub fn approve_extension(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    until: NaiveDate,
    approved_by: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        disposal_cases::table
            .find(id)
            .filter(disposal_cases::version.eq(version)),
    )
    .set((
        disposal_cases::extended_until.eq(Some(until)),
        disposal_cases::due_on.eq(Some(until)),
        disposal_cases::extension_approved_by.eq(approved_by),
        disposal_cases::version.eq(version + 1),
        disposal_cases::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Opens a closed case again: no outcome, no closing date.
pub fn reopen(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        disposal_cases::table
            .find(id)
            .filter(disposal_cases::version.eq(version)),
    )
    .set((
        disposal_cases::status.eq(CaseStatus::Open.as_str()),
        disposal_cases::outcome.eq(None::<String>),
        disposal_cases::closed_at.eq(None::<NaiveDateTime>),
        disposal_cases::closed_on.eq(None::<NaiveDate>),
        disposal_cases::version.eq(version + 1),
        disposal_cases::updated_at.eq(now),
    ))
    .execute(conn)?)
}

// ---------------------------------------------------------------- public information

/// Stores the published information (JSON) if the case is still at `version`.
pub fn publish(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    json: &str,
    publisher: i64,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        disposal_cases::table
            .find(id)
            .filter(disposal_cases::version.eq(version)),
    )
    .set((
        disposal_cases::public_info.eq(Some(json)),
        disposal_cases::published_at.eq(Some(now)),
        disposal_cases::published_by.eq(Some(publisher)),
        disposal_cases::version.eq(version + 1),
        disposal_cases::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Withdraws the published information.
pub fn unpublish(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(disposal_cases::table.find(id))
        .set((
            disposal_cases::public_info.eq(None::<String>),
            disposal_cases::published_at.eq(None::<NaiveDateTime>),
            disposal_cases::published_by.eq(None::<i64>),
            disposal_cases::version.eq(version + 1),
            disposal_cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The published information (JSON) of the cases of these samples, by sample id.
pub fn published_of(
    conn: &mut DbConnection,
    sample_ids: &[i64],
) -> AppResult<Vec<(i64, Option<String>)>> {
    Ok(disposal_cases::table
        .filter(disposal_cases::sample_id.eq_any(sample_ids))
        .filter(disposal_cases::published_at.is_not_null())
        .select((disposal_cases::sample_id, disposal_cases::public_info))
        .load(conn)?)
}

// ---------------------------------------------------------------- attachments

/// The case a step belongs to, if the step exists.
pub fn event_case(conn: &mut DbConnection, event_id: i64) -> AppResult<Option<i64>> {
    Ok(disposal_events::table
        .find(event_id)
        .select(disposal_events::case_id)
        .first(conn)
        .optional()?)
}

/// Files a file and returns its id.
pub fn insert_attachment(conn: &mut DbConnection, a: &NewAttachment) -> AppResult<i64> {
    Ok(diesel::insert_into(disposal_attachments::table)
        .values((
            disposal_attachments::case_id.eq(a.case_id),
            disposal_attachments::event_id.eq(a.event_id),
            disposal_attachments::file_name.eq(a.file_name),
            disposal_attachments::content_type.eq(a.content_type),
            disposal_attachments::size_bytes.eq(a.size_bytes),
            disposal_attachments::sha256.eq(a.sha256),
            disposal_attachments::content.eq(a.content),
            disposal_attachments::uploaded_by.eq(a.uploaded_by),
            disposal_attachments::uploaded_at.eq(a.now),
        ))
        .returning(disposal_attachments::id)
        .get_result(conn)?)
}

/// One file of a case with its bytes.
pub fn attachment(
    conn: &mut DbConnection,
    case_id: i64,
    id: i64,
) -> AppResult<Option<(AttachmentRow, Vec<u8>)>> {
    Ok(disposal_attachments::table
        .filter(disposal_attachments::id.eq(id))
        .filter(disposal_attachments::case_id.eq(case_id))
        .select((AttachmentRow::as_select(), disposal_attachments::content))
        .first(conn)
        .optional()?)
}

/// The bytes a user has uploaded since `since`.
pub fn uploaded_since(
    conn: &mut DbConnection,
    uploader: i64,
    since: NaiveDateTime,
) -> AppResult<i64> {
    use diesel::sql_types::{BigInt, Timestamp};
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = placeholders(
        conn,
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS n FROM disposal_attachments \
         WHERE uploaded_by = ? AND uploaded_at >= ?",
    );
    let used: Used = diesel::sql_query(sql)
        .bind::<BigInt, _>(uploader)
        .bind::<Timestamp, _>(since)
        .get_result(conn)?;
    Ok(used.n)
}

// ---------------------------------------------------------------- rates

/// The filters of the disposal rates, checked: `…_like` are `LIKE` patterns, `"%"` when
/// not limited; `level` is empty when not limited; cases opened in `[from, to)`.
pub struct RateFilter {
    pub scope_like: String,
    pub region_like: String,
    pub level: String,
    pub opened_from: NaiveDateTime,
    pub opened_to: NaiveDateTime,
}

/// One aggregate row: the counts of one (region, plan level) pair.
#[derive(Debug, QueryableByName)]
pub struct RateGroup {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub region_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub plan_level: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub cases: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overturned: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub started: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub completed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub on_time: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub due_or_done: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub open: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue: i64,
}

/// The counts behind the three rates in one pass over the cases, grouped by region and
/// plan level. Each column restates a clause of `domain::disposal::summarise` over the
/// columns every write keeps (`started_on`, `closed_on`, `due_on`): a case needs disposal
/// unless overturned; it started once `started_on` is set; it closed on time when
/// `closed_on <= due_on`; its deadline has passed when `due_on < today`.
/// `ten_cases_walked_to_their_ends_give_the_rates_computed_by_hand` (tests/disposal.rs)
/// checks the figures against a hand count of the same rules. `{where}` is filled by
/// [`rates_where`]; `disposal_cases_rates_idx` covers every column read.
const RATES_SQL: &str = "SELECT region_code, plan_level, COUNT(*) AS cases,
 SUM(CASE WHEN outcome = 'overturned' THEN 1 ELSE 0 END) AS overturned,
 SUM(CASE WHEN (outcome IS NULL OR outcome = 'completed') AND started_on IS NOT NULL THEN 1 ELSE 0 END) AS started,
 SUM(CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END) AS completed,
 SUM(CASE WHEN outcome = 'completed' AND (due_on IS NULL OR closed_on <= due_on) THEN 1 ELSE 0 END) AS on_time,
 SUM(CASE WHEN outcome = 'completed' OR (outcome IS NULL AND due_on < ?) THEN 1 ELSE 0 END) AS due_or_done,
 SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open,
 SUM(CASE WHEN status = 'open' AND due_on < ? THEN 1 ELSE 0 END) AS overdue
 FROM disposal_cases WHERE {where}
 GROUP BY region_code, plan_level";

/// The WHERE clause of [`RATES_SQL`] and its text binds after the two dates: only the
/// filters asked for, so an unfiltered province-wide figure does no per-row `LIKE`.
fn rates_where(s: &RateFilter) -> (String, Vec<String>) {
    let mut clause = String::from("kind = 'disposal' AND opened_at >= ? AND opened_at < ?");
    let mut binds = Vec::new();
    for like in [&s.scope_like, &s.region_like] {
        if like != "%" {
            clause.push_str(" AND region_code LIKE ?");
            binds.push(like.clone());
        }
    }
    if !s.level.is_empty() {
        clause.push_str(" AND plan_level = ?");
        binds.push(s.level.clone());
    }
    (clause, binds)
}

/// The counts of the disposal cases (not follow-up cases) the filter keeps, by region and
/// plan level, on `today`.
pub fn rate_groups(
    conn: &mut DbConnection,
    s: &RateFilter,
    today: NaiveDate,
) -> AppResult<Vec<RateGroup>> {
    let (clause, texts) = rates_where(s);
    let sql = placeholders(conn, &RATES_SQL.replace("{where}", &clause));
    let mut q = diesel::sql_query(sql)
        .into_boxed::<<DbConnection as diesel::Connection>::Backend>()
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::Timestamp, _>(s.opened_from)
        .bind::<diesel::sql_types::Timestamp, _>(s.opened_to);
    for t in texts {
        q = q.bind::<diesel::sql_types::Text, _>(t);
    }
    Ok(q.load(conn)?)
}

/// Whether a region of this code exists.
pub fn region_known(conn: &mut DbConnection, code: &str) -> AppResult<bool> {
    let n: i64 = regions::table
        .filter(regions::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The Chinese names of these regions, by code.
pub fn region_names(
    conn: &mut DbConnection,
    codes: &[String],
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(regions::table
        .filter(regions::code.eq_any(codes))
        .select((regions::code, regions::name_zh))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Which rate a lagging list is below 100 % for.
#[derive(Clone, Copy)]
pub enum Lag {
    Start,
    Completion,
    OnTime,
}

/// A case behind a lagging list: id, sample number, report number, region, deadline.
pub type LaggingRow = (i64, String, String, String, Option<NaiveDate>);

/// The cases keeping one rate below 100 %, oldest deadline first: their ids from the
/// covering index alone, then the details of at most `limit` of them.
pub fn lagging(
    conn: &mut DbConnection,
    s: &RateFilter,
    which: Lag,
    today: NaiveDate,
    limit: i64,
) -> AppResult<Vec<LaggingRow>> {
    let completed = Outcome::Completed.as_str();
    let mut q = disposal_cases::table
        .filter(disposal_cases::kind.eq("disposal"))
        .filter(disposal_cases::opened_at.ge(s.opened_from))
        .filter(disposal_cases::opened_at.lt(s.opened_to))
        .into_boxed();
    for like in [&s.scope_like, &s.region_like] {
        if like != "%" {
            q = q.filter(disposal_cases::region_code.like(like.clone()));
        }
    }
    if !s.level.is_empty() {
        q = q.filter(disposal_cases::plan_level.eq(s.level.clone()));
    }
    use disposal_cases::{closed_on, due_on, outcome, started_on};
    q = match which {
        Lag::Start => q
            .filter(outcome.is_null().or(outcome.eq(completed)))
            .filter(started_on.is_null()),
        Lag::Completion => q.filter(outcome.is_null()),
        Lag::OnTime => q.filter(
            outcome
                .eq(completed)
                .and(closed_on.gt(due_on))
                .or(outcome.is_null().and(due_on.lt(today))),
        ),
    };
    let ids: Vec<i64> = q
        .order((disposal_cases::due_on.asc(), disposal_cases::id.asc()))
        .limit(limit)
        .select(disposal_cases::id)
        .load(conn)?;
    Ok(disposal_cases::table
        .inner_join(samples::table)
        .filter(disposal_cases::id.eq_any(&ids))
        .order((disposal_cases::due_on.asc(), disposal_cases::id.asc()))
        .select((
            disposal_cases::id,
            samples::sample_no,
            disposal_cases::report_no,
            disposal_cases::region_code,
            disposal_cases::due_on,
        ))
        .load(conn)?)
}
