//! Tests of samples (`sample_tests`) and their earlier attempts (`test_attempts`), and
//! the sample rows lab work reads and moves.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{audit_log, reports, sample_tests, samples, test_attempts, test_items};
use crate::db::DbConnection;
use crate::domain::states::{ResultPeople, ReviewDecision, TestStatus};
use crate::error::{AppError, AppResult};
use crate::workflow::audit::AuditRow;
use crate::workflow::intake::SampleRow;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = sample_tests)]
pub struct TestRow {
    pub id: i64,
    pub sample_id: i64,
    pub test_item_id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<String>,
    pub limit_max: Option<String>,
    pub unit: String,
    pub lod: Option<String>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub assignee_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub status: String,
    pub attempt: i32,
    pub result_text: Option<String>,
    pub result_value: Option<String>,
    pub result_unit: Option<String>,
    pub result_lod: Option<String>,
    pub judgment: Option<String>,
    pub entered_by: Option<i64>,
    pub entered_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TestRow {
    /// The stored state; a value outside the vocabulary is a fault of the database.
    pub fn state(&self) -> AppResult<TestStatus> {
        self.status.parse().map_err(AppError::internal)
    }
}

/// The earlier attempts of a test (results sent back, and the accepted one).
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: i32,
    pub result_text: String,
    pub judgment: Option<String>,
    pub entered_by: i64,
    pub entered_at: NaiveDateTime,
    pub reviewed_by: i64,
    pub reviewed_at: NaiveDateTime,
    pub decision: String,
    pub note: Option<String>,
}

/// What a test copies from its catalogue item at assignment.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = test_items)]
pub struct ItemCopy {
    pub id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<String>,
    pub limit_max: Option<String>,
    pub unit: String,
    pub lod: Option<String>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub active: bool,
}

pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<Option<TestRow>> {
    Ok(sample_tests::table
        .find(id)
        .select(TestRow::as_select())
        .first(conn)
        .optional()?)
}

/// The sample row of id `sample_id` (which exists: a foreign key names it).
pub fn sample_of(conn: &mut DbConnection, sample_id: i64) -> AppResult<SampleRow> {
    Ok(samples::table
        .find(sample_id)
        .select(SampleRow::as_select())
        .first(conn)?)
}

/// The sample numbered `sample_no`.
pub fn sample_by_no(conn: &mut DbConnection, sample_no: &str) -> AppResult<Option<SampleRow>> {
    Ok(samples::table
        .filter(samples::sample_no.eq(sample_no))
        .select(SampleRow::as_select())
        .first(conn)
        .optional()?)
}

/// The tests of a sample, in the order they were assigned.
pub fn tests_of(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<TestRow>> {
    Ok(sample_tests::table
        .filter(sample_tests::sample_id.eq(sample_id))
        .order(sample_tests::id.asc())
        .select(TestRow::as_select())
        .load(conn)?)
}

/// The active catalogue items of a category, in catalogue order.
pub fn default_items(conn: &mut DbConnection, category_code: &str) -> AppResult<Vec<i64>> {
    Ok(test_items::table
        .filter(test_items::category_code.eq(category_code))
        .filter(test_items::active.eq(true))
        .order(test_items::id.asc())
        .select(test_items::id)
        .load(conn)?)
}

pub fn items(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<ItemCopy>> {
    Ok(test_items::table
        .filter(test_items::id.eq_any(ids))
        .select(ItemCopy::as_select())
        .load(conn)?)
}

/// The catalogue items already assigned to a sample.
pub fn assigned_items(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<i64>> {
    Ok(sample_tests::table
        .filter(sample_tests::sample_id.eq(sample_id))
        .select(sample_tests::test_item_id)
        .load(conn)?)
}

/// Adds a test copying `item` as it stands, and returns it.
pub fn insert(
    conn: &mut DbConnection,
    sample_id: i64,
    item: &ItemCopy,
    assignee_id: Option<i64>,
    due_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> AppResult<TestRow> {
    diesel::insert_into(sample_tests::table)
        .values((
            sample_tests::sample_id.eq(sample_id),
            sample_tests::test_item_id.eq(item.id),
            sample_tests::name.eq(&item.name),
            sample_tests::method_standard.eq(&item.method_standard),
            sample_tests::judgment_standard.eq(&item.judgment_standard),
            sample_tests::limit_kind.eq(&item.limit_kind),
            sample_tests::limit_min.eq(&item.limit_min),
            sample_tests::limit_max.eq(&item.limit_max),
            sample_tests::unit.eq(&item.unit),
            sample_tests::lod.eq(&item.lod),
            sample_tests::micro_n.eq(item.micro_n),
            sample_tests::micro_c.eq(item.micro_c),
            sample_tests::assignee_id.eq(assignee_id),
            sample_tests::due_on.eq(due_on),
            sample_tests::status.eq(TestStatus::Assigned.as_str()),
            sample_tests::attempt.eq(1),
            sample_tests::version.eq(1),
            sample_tests::created_at.eq(now),
            sample_tests::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(sample_tests::table
        .filter(sample_tests::sample_id.eq(sample_id))
        .filter(sample_tests::test_item_id.eq(item.id))
        .select(TestRow::as_select())
        .first(conn)?)
}

/// Moves a sample to `status` (a string from `SampleStatus::as_str`), bumping its version.
pub fn set_sample_status(
    conn: &mut DbConnection,
    sample_id: i64,
    status: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let current: i32 = samples::table
        .find(sample_id)
        .select(samples::version)
        .first(conn)?;
    diesel::update(samples::table.find(sample_id))
        .set((
            samples::status.eq(status),
            samples::version.eq(current + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Reassigns a test at `version`; the number of rows changed (0: stale).
pub fn reassign(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    assignee_id: Option<i64>,
    due_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        sample_tests::table
            .find(id)
            .filter(sample_tests::version.eq(version)),
    )
    .set((
        sample_tests::assignee_id.eq(assignee_id),
        sample_tests::due_on.eq(due_on),
        sample_tests::version.eq(version + 1),
        sample_tests::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Deletes a test at `version`; the number of rows deleted (0: stale).
pub fn delete(conn: &mut DbConnection, id: i64, version: i32) -> AppResult<usize> {
    Ok(diesel::delete(
        sample_tests::table
            .find(id)
            .filter(sample_tests::version.eq(version)),
    )
    .execute(conn)?)
}

/// Which tests a worklist shows.
#[derive(Debug, Clone, Default)]
pub struct TestQuery {
    pub assignee: Option<i64>,
    /// One of these states (empty: any).
    pub states: Vec<TestStatus>,
    pub sample_no: Option<String>,
    /// A `LIKE` pattern of region codes.
    pub region_like: Option<String>,
}

/// Tests with their sample numbers, due first (undated last), and how many match.
pub fn list(
    conn: &mut DbConnection,
    f: &TestQuery,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<(TestRow, String)>, i64)> {
    let build = || {
        let mut q = sample_tests::table.inner_join(samples::table).into_boxed();
        if let Some(a) = f.assignee {
            q = q.filter(sample_tests::assignee_id.eq(a));
        }
        if !f.states.is_empty() {
            q = q.filter(
                sample_tests::status
                    .eq_any(f.states.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
            );
        }
        if let Some(no) = &f.sample_no {
            q = q.filter(samples::sample_no.eq(no.clone()));
        }
        if let Some(p) = &f.region_like {
            q = q.filter(samples::region_code.like(p.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order((
            sample_tests::due_on.is_null(),
            sample_tests::due_on.asc(),
            sample_tests::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select((TestRow::as_select(), samples::sample_no))
        .load(conn)?;
    Ok((rows, total))
}

/// Entered results that `me` did not enter, due first, at most 500.
pub fn review_queue(
    conn: &mut DbConnection,
    me: i64,
    region_like: Option<String>,
) -> AppResult<Vec<(TestRow, String)>> {
    let mut q = sample_tests::table
        .inner_join(samples::table)
        .filter(sample_tests::status.eq(TestStatus::Entered.as_str()))
        .filter(sample_tests::entered_by.ne(me))
        .into_boxed();
    if let Some(p) = region_like {
        q = q.filter(samples::region_code.like(p));
    }
    Ok(q.order((
        sample_tests::due_on.is_null(),
        sample_tests::due_on.asc(),
        sample_tests::id.asc(),
    ))
    .limit(500)
    .select((TestRow::as_select(), samples::sample_no))
    .load(conn)?)
}

/// A checked result, as stored.
pub struct NewResult<'a> {
    pub text: &'a str,
    pub value: Option<String>,
    pub unit: Option<String>,
    pub lod: Option<String>,
    pub judgment: &'a str,
    pub entered_by: Option<i64>,
}

/// Stores a result on a test that may take one, at `version`; rows changed (0: stale).
pub fn write_result(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    r: NewResult<'_>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        sample_tests::table
            .find(id)
            .filter(sample_tests::version.eq(version))
            .filter(
                sample_tests::status.eq_any(
                    TestStatus::ENTERABLE
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>(),
                ),
            ),
    )
    .set((
        sample_tests::status.eq(TestStatus::Entered.as_str()),
        sample_tests::result_text.eq(Some(r.text)),
        sample_tests::result_value.eq(r.value),
        sample_tests::result_unit.eq(r.unit),
        sample_tests::result_lod.eq(r.lod),
        sample_tests::judgment.eq(Some(r.judgment)),
        sample_tests::entered_by.eq(r.entered_by),
        sample_tests::entered_at.eq(Some(now)),
        sample_tests::version.eq(version + 1),
        sample_tests::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Records a review of the entered result of `t` at `version`: accepted, or sent back
/// for another attempt with its result cleared. Rows changed (0: someone was first).
pub fn review(
    conn: &mut DbConnection,
    t: &TestRow,
    version: i32,
    decision: ReviewDecision,
    reviewer: Option<i64>,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let q = sample_tests::table
        .find(t.id)
        .filter(sample_tests::version.eq(version))
        .filter(sample_tests::status.eq(TestStatus::Entered.as_str()));
    let to = TestStatus::Entered
        .review(decision)
        .map_err(|s| AppError::internal(format!("a {} test reviewed", s.as_str())))?;
    Ok(match decision {
        ReviewDecision::Retest => diesel::update(q)
            .set((
                sample_tests::status.eq(to.as_str()),
                sample_tests::attempt.eq(t.attempt + 1),
                sample_tests::result_text.eq(None::<String>),
                sample_tests::result_value.eq(None::<String>),
                sample_tests::result_unit.eq(None::<String>),
                sample_tests::result_lod.eq(None::<String>),
                sample_tests::judgment.eq(None::<String>),
                sample_tests::entered_by.eq(None::<i64>),
                sample_tests::entered_at.eq(None::<NaiveDateTime>),
                sample_tests::reviewed_by.eq(reviewer),
                sample_tests::reviewed_at.eq(Some(now)),
                sample_tests::review_note.eq(Some(note)),
                sample_tests::version.eq(version + 1),
                sample_tests::updated_at.eq(now),
            ))
            .execute(conn)?,
        ReviewDecision::Accept => diesel::update(q)
            .set((
                sample_tests::status.eq(to.as_str()),
                sample_tests::reviewed_by.eq(reviewer),
                sample_tests::reviewed_at.eq(Some(now)),
                sample_tests::review_note.eq(Some(note).filter(|n| !n.is_empty())),
                sample_tests::version.eq(version + 1),
                sample_tests::updated_at.eq(now),
            ))
            .execute(conn)?,
    })
}

/// Keeps the reviewed attempt of `t` in the history.
pub fn insert_attempt(
    conn: &mut DbConnection,
    t: &TestRow,
    decision: ReviewDecision,
    reviewer: Option<i64>,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(test_attempts::table)
        .values((
            test_attempts::test_id.eq(t.id),
            test_attempts::attempt.eq(t.attempt),
            test_attempts::result_text.eq(t.result_text.clone().unwrap_or_default()),
            test_attempts::result_value.eq(&t.result_value),
            test_attempts::result_unit.eq(&t.result_unit),
            test_attempts::result_lod.eq(&t.result_lod),
            test_attempts::judgment.eq(&t.judgment),
            test_attempts::entered_by.eq(t.entered_by.unwrap_or_default()),
            test_attempts::entered_at.eq(t.entered_at.unwrap_or(now)),
            test_attempts::reviewed_by.eq(reviewer.unwrap_or_default()),
            test_attempts::reviewed_at.eq(now),
            test_attempts::decision.eq(decision.as_str()),
            test_attempts::note.eq(Some(note).filter(|n| !n.is_empty())),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn attempts(conn: &mut DbConnection, test_id: i64) -> AppResult<Vec<Attempt>> {
    Ok(test_attempts::table
        .filter(test_attempts::test_id.eq(test_id))
        .order(test_attempts::attempt.asc())
        .select((
            test_attempts::attempt,
            test_attempts::result_text,
            test_attempts::judgment,
            test_attempts::entered_by,
            test_attempts::entered_at,
            test_attempts::reviewed_by,
            test_attempts::reviewed_at,
            test_attempts::decision,
            test_attempts::note,
        ))
        .load(conn)?)
}

/// Everyone who entered or reviewed a result of the sample, now or in an attempt that
/// was sent back.
pub fn result_people(conn: &mut DbConnection, sample_id: i64) -> AppResult<ResultPeople> {
    let tests = tests_of(conn, sample_id)?;
    let earlier: Vec<(i64, i64)> = test_attempts::table
        .filter(test_attempts::test_id.eq_any(tests.iter().map(|t| t.id).collect::<Vec<_>>()))
        .select((test_attempts::entered_by, test_attempts::reviewed_by))
        .load(conn)?;
    let mut p = ResultPeople::default();
    p.entered_by
        .extend(tests.iter().filter_map(|t| t.entered_by));
    p.entered_by.extend(earlier.iter().map(|(by, _)| *by));
    p.reviewed_by
        .extend(tests.iter().filter_map(|t| t.reviewed_by));
    p.reviewed_by.extend(earlier.iter().map(|(_, by)| *by));
    Ok(p)
}

/// Samples in review, at most 500 in order of registration.
pub fn samples_in_review(
    conn: &mut DbConnection,
    review: &str,
    region_like: Option<String>,
) -> AppResult<Vec<SampleRow>> {
    let mut q = samples::table
        .filter(samples::status.eq(review.to_string()))
        .into_boxed();
    if let Some(p) = region_like {
        q = q.filter(samples::region_code.like(p));
    }
    Ok(q.order(samples::id.asc())
        .limit(500)
        .select(SampleRow::as_select())
        .load(conn)?)
}

/// The audit rows of a sample, of its tests (also those removed since) and of its
/// reports, in order.
pub fn timeline(conn: &mut DbConnection, s: &SampleRow) -> AppResult<Vec<AuditRow>> {
    let mut ids: Vec<String> = sample_tests::table
        .filter(sample_tests::sample_id.eq(s.id))
        .select(sample_tests::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(|i| i.to_string())
        .collect();
    let removed: Vec<String> = audit_log::table
        .filter(audit_log::entity_kind.eq("test"))
        .filter(audit_log::action.eq("test.assign"))
        .filter(audit_log::after_json.like(format!("%\"sample_no\":\"{}\"%", s.sample_no)))
        .select(audit_log::entity_id)
        .load(conn)?;
    let report_nos: Vec<String> = reports::table
        .filter(reports::sample_id.eq(s.id))
        .select(reports::report_no)
        .load(conn)?;
    ids.extend(removed);
    Ok(audit_log::table
        .filter(
            audit_log::entity_kind
                .eq("sample")
                .and(audit_log::entity_id.eq(&s.sample_no))
                .or(audit_log::entity_kind
                    .eq("test")
                    .and(audit_log::entity_id.eq_any(&ids)))
                .or(audit_log::entity_kind
                    .eq("report")
                    .and(audit_log::entity_id.eq_any(&report_nos))),
        )
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// What approval writes on the sample.
pub struct Approved<'a> {
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub conclusion: &'a str,
    pub report_no: &'a str,
    pub turnaround: Option<(i64, bool)>,
}

/// Marks the sample reported at `version` if it is still in `from_status`; rows changed.
pub fn set_approved(
    conn: &mut DbConnection,
    sample_id: i64,
    version: i32,
    a: Approved<'_>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        samples::table
            .find(sample_id)
            .filter(samples::version.eq(version))
            .filter(samples::status.eq(a.from_status)),
    )
    .set((
        samples::status.eq(a.to_status),
        samples::conclusion.eq(a.conclusion),
        samples::reported_at.eq(Some(now)),
        samples::turnaround_days.eq(a.turnaround.map(|t| t.0)),
        samples::turnaround_provisional.eq(a.turnaround.is_some_and(|t| t.1)),
        samples::report_no.eq(Some(a.report_no)),
        samples::version.eq(version + 1),
        samples::updated_at.eq(now),
    ))
    .execute(conn)?)
}
