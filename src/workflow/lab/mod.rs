//! Lab work: assigning tests (with the limit copied as it stands that day), result
//! entry with judgment, review and retest with history, and the sample's timeline.
//! Separation of duties is checked here, so API and pages cannot differ. Approval,
//! which also issues the report, is the orchestrating use case `workflow::approval`.

mod assign;
mod results;
mod review;

use chrono::NaiveDate;
use serde::Serialize;

use crate::db;
use crate::db::samples::SampleRow;
use crate::db::DbConnection;
use crate::domain::judgment::{Dec, Limit, LimitKind, MicroPlan};
use crate::domain::local_time::to_local;
use crate::domain::role::{Role, Roles};
use crate::domain::sample::SampleStatus;
use crate::domain::states::TestStatus;
use crate::error::{AppError, AppResult};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;
use crate::workflow::Ctx;

pub use self::assign::{
    assign, assign_many, remove_test, update_test, AssignInput, AssignmentInput, TestPatch,
};
pub use self::results::{enter_result, enter_results};
pub use self::review::{
    attempts, list_tests, ready_to_approve, review, review_queue, timeline, TestFilter,
    TimelineEvent,
};
pub use crate::db::tests::{Attempt, TestRow};
pub use crate::forms::{BulkResultRow, ResultInput, ReviewInput};

/// A test as the API shows it (API.md `test`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SampleTest {
    pub id: i64,
    pub sample_no: String,
    pub test_item_id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<f64>,
    pub limit_max: Option<f64>,
    pub limit_min_text: Option<String>,
    pub limit_max_text: Option<String>,
    pub unit: String,
    pub lod: Option<f64>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub assignee_id: Option<i64>,
    /// assigned | entered | accepted | retest
    pub status: String,
    /// Exactly as the technician wrote it.
    pub result_text: Option<String>,
    pub result_value: Option<f64>,
    pub result_value_text: Option<String>,
    pub result_unit: Option<String>,
    /// pass | fail, once entered.
    pub judgment: Option<String>,
    pub entered_by: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub entered_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub reviewed_by: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub reviewed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub review_note: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub attempt: i32,
    pub version: i32,
}

impl SampleTest {
    /// Whether the reviewer sent the last result back for another attempt.
    pub fn is_retest(&self) -> bool {
        self.status == TestStatus::Retest.as_str()
    }

    /// Whether the result was judged a failure against its limit.
    pub fn failed(&self) -> bool {
        self.judgment.as_deref() == Some(crate::domain::judgment::Judgment::Fail.as_str())
    }

    /// Whether the reviewer accepted the result.
    pub fn is_accepted(&self) -> bool {
        self.status == TestStatus::Accepted.as_str()
    }

    /// Whether the test is past its due date today without an accepted result.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status != TestStatus::Accepted.as_str() && self.due_on.is_some_and(|d| d < today)
    }
}

fn num(s: &Option<String>) -> Option<f64> {
    s.as_deref().and_then(Dec::parse).map(Dec::to_f64)
}

impl TestRow {
    pub fn to_test(&self, sample_no: &str) -> SampleTest {
        SampleTest {
            id: self.id,
            sample_no: sample_no.to_string(),
            test_item_id: self.test_item_id,
            name: self.name.clone(),
            method_standard: self.method_standard.clone(),
            judgment_standard: self.judgment_standard.clone(),
            limit_kind: self.limit_kind.clone(),
            limit_min: num(&self.limit_min),
            limit_max: num(&self.limit_max),
            limit_min_text: self.limit_min.clone(),
            limit_max_text: self.limit_max.clone(),
            unit: self.unit.clone(),
            lod: num(&self.lod),
            micro_n: self.micro_n,
            micro_c: self.micro_c,
            assignee_id: self.assignee_id,
            status: self.status.clone(),
            result_text: self.result_text.clone(),
            result_value: num(&self.result_value),
            result_value_text: self.result_value.clone(),
            result_unit: self.result_unit.clone(),
            judgment: self.judgment.clone(),
            entered_by: self.entered_by,
            entered_at: self.entered_at.map(to_local),
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at.map(to_local),
            review_note: self.review_note.clone(),
            due_on: self.due_on,
            attempt: self.attempt,
            version: self.version,
        }
    }

    /// The limit as copied on assignment.
    pub fn limit(&self) -> AppResult<Limit> {
        let kind = LimitKind::parse(&self.limit_kind).ok_or_else(|| {
            AppError::internal(format!(
                "test {} has limit kind {}",
                self.id, self.limit_kind
            ))
        })?;
        let dec = |s: &Option<String>| s.as_deref().and_then(Dec::parse);
        let micro = match (self.micro_n, self.micro_c) {
            (Some(n), Some(c)) if n > 0 && c >= 0 => Some(MicroPlan {
                n: u32::try_from(n).unwrap_or(0),
                c: u32::try_from(c).unwrap_or(0),
            }),
            _ => None,
        };
        Ok(Limit {
            kind,
            min: dec(&self.limit_min),
            max: dec(&self.limit_max),
            unit: self.unit.clone(),
            lod: dec(&self.lod),
            micro,
        })
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

pub(crate) fn load_test(conn: &mut DbConnection, id: i64) -> AppResult<TestRow> {
    db::tests::get(conn, id)?.ok_or_else(|| AppError::not_found("检验任务", "Test"))
}

/// A test and its sample, if the actor may see the sample.
pub(crate) fn visible_test(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(TestRow, SampleRow)> {
    let t = load_test(conn, id)?;
    let s = db::tests::sample_of(conn, t.sample_id)?;
    visible_sample(conn, actor, &s.sample_no)
        .map_err(|_| AppError::not_found("检验任务", "Test"))?;
    Ok((t, s))
}

/// The tests of a sample.
pub fn list_sample_tests(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<Vec<SampleTest>> {
    let s = visible_sample(conn, actor, sample_no)?;
    Ok(db::tests::tests_of(conn, s.id)?
        .iter()
        .map(|t| t.to_test(&s.sample_no))
        .collect())
}

pub(crate) fn is_active_technician(conn: &mut DbConnection, id: i64) -> AppResult<bool> {
    let rows = db::users::roles_of(conn, &[id])?;
    Ok(rows
        .iter()
        .any(|(_, r, a)| *a && Roles::parse_list(r).is_ok_and(|r| r.has(Role::Technician))))
}

/// Moves a sample to `to` (checked by the caller against the transition table) and
/// audits the change.
pub(crate) fn set_sample_status(
    cx: &mut Ctx<'_>,
    s: &SampleRow,
    to: SampleStatus,
    action: &str,
) -> AppResult<()> {
    let from = s.status()?;
    if from == to {
        return Ok(());
    }
    db::tests::set_sample_status(cx.conn, s.id, to.as_str(), cx.now)?;
    audit::append(
        cx.conn,
        cx.now,
        cx.actor,
        Change {
            action,
            entity_kind: "sample",
            entity_id: s.sample_no.clone(),
            before: Some(serde_json::json!({ "status": from.as_str() })),
            after: Some(serde_json::json!({ "status": to.as_str() })),
            reason: None,
        },
    )
}

/// When every test of a sample has a result, the sample goes to review.
pub(crate) fn maybe_to_review(cx: &mut Ctx<'_>, s: &SampleRow) -> AppResult<()> {
    let fresh = db::tests::sample_of(cx.conn, s.id)?;
    let tests = db::tests::tests_of(cx.conn, s.id)?;
    let mut all_entered = !tests.is_empty();
    for t in &tests {
        all_entered &= t.state()?.has_result();
    }
    if fresh.status()? == SampleStatus::Testing && all_entered {
        set_sample_status(cx, &fresh, SampleStatus::Review, "sample.review")?;
    }
    Ok(())
}
