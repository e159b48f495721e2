//! Review of entered results, the worklists, the signatory's queue and a sample's
//! timeline.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{set_sample_status, visible_test, ReviewInput, SampleTest};
use crate::db::samples::SampleRow;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::local_time::to_local;
use crate::domain::role::Role;
use crate::domain::sample::{transition, SampleAction, SampleStatus};
use crate::domain::states::{ReviewDecision, TestStatus};
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::check_independent;
use crate::workflow::{clean_text, Actor, Ctx};

use crate::db::tests::Attempt;

/// A reviewer, never the person who entered the result, accepts it or sends it back
/// for retest with a reason. A retest keeps the earlier result in history.
pub fn review(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: ReviewInput,
) -> AppResult<SampleTest> {
    actor.require(&[Role::Reviewer])?;
    let (t, s) = visible_test(conn, actor, id)?;
    let note = clean_text(input.note.as_deref().unwrap_or(""), 1000, false)
        .map_err(|m| AppError::field("note", m))?;
    let Some(decision) = ReviewDecision::parse(input.decision.as_str()) else {
        return Err(AppError::field(
            "decision",
            Msg::new("应为 accept 或 retest", "must be accept or retest"),
        ));
    };
    let retest = decision == ReviewDecision::Retest;
    if retest && note.is_empty() {
        return Err(AppError::field(
            "note",
            Msg::new(
                "退回复测须说明原因",
                "a reason is required to send a test back",
            ),
        ));
    }
    if t.entered_by.is_some() && t.entered_by == actor.id {
        return Err(AppError::Forbidden(Msg::new(
            "不能审核自己录入的结果",
            "You cannot review a result you entered",
        )));
    }
    let to = t.state()?.review(decision).map_err(|_| {
        AppError::Conflict(Msg::new(
            format!("该检验任务状态为“{}”，不能审核", t.status),
            format!(
                "The test is {}, not entered: it cannot be reviewed",
                t.status
            ),
        ))
    })?;
    let version = input.version.unwrap_or(t.version);
    write_tx(conn, |conn| {
        let n = db::tests::review(conn, &t, version, decision, actor.id, &note, now)?;
        if n != 1 {
            return Err(AppError::Conflict(Msg::new(
                "该结果刚被他人审核或修改",
                "Someone else reviewed or changed this result just now",
            )));
        }
        db::tests::insert_attempt(conn, &t, decision, actor.id, &note, now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if retest { "test.retest" } else { "test.accept" },
                entity_kind: "test",
                entity_id: id.to_string(),
                before: Some(
                    serde_json::json!({ "status": TestStatus::Entered.as_str(), "result_text": t.result_text, "judgment": t.judgment, "attempt": t.attempt }),
                ),
                after: Some(serde_json::json!({ "sample_no": s.sample_no, "status": to.as_str() })),
                reason: Some(&note).filter(|n| !n.is_empty()).map(|n| n.as_str()),
            },
        )?;
        if retest {
            let fresh = db::tests::sample_of(conn, s.id)?;
            if fresh.status()? == SampleStatus::Review {
                transition(SampleStatus::Review, SampleAction::SendBack)
                    .map_err(AppError::internal)?;
                set_sample_status(
                    &mut Ctx::new(conn, now, actor),
                    &fresh,
                    SampleStatus::Testing,
                    "sample.sent_back",
                )?;
            }
        }
        Ok(super::load_test(conn, id)?.to_test(&s.sample_no))
    })
}

pub fn attempts(conn: &mut DbConnection, actor: &Actor, test_id: i64) -> AppResult<Vec<Attempt>> {
    visible_test(conn, actor, test_id)?;
    db::tests::attempts(conn, test_id)
}

// ---------------------------------------------------------------- worklist

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TestFilter {
    /// A user id, or `me`.
    pub assignee: Option<String>,
    pub status: Option<String>,
    pub sample_no: Option<String>,
}

fn region_like(actor: &Actor) -> Option<String> {
    actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()))
}

/// Tests the actor may see, due first (overdue at the top), newest samples last.
pub fn list_tests(
    conn: &mut DbConnection,
    actor: &Actor,
    f: &TestFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<SampleTest>, i64)> {
    let assignee = match f.assignee.as_deref() {
        Some("me") => Some(actor.id.ok_or_else(AppError::forbidden)?),
        Some(s) if !s.is_empty() => Some(s.parse::<i64>().map_err(|_| {
            AppError::field(
                "assignee",
                Msg::new("应为用户编号或 me", "must be a user id or me"),
            )
        })?),
        _ => None,
    };
    let states = match f.status.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some("open") => TestStatus::OPEN.to_vec(),
        Some(s) => match s.parse::<TestStatus>() {
            Ok(state) => vec![state],
            Err(_) => {
                return Err(AppError::field(
                    "status",
                    Msg::new(
                        "状态无效",
                        "must be assigned, entered, accepted, retest or open",
                    ),
                ))
            }
        },
    };
    let q = db::tests::TestQuery {
        assignee,
        states,
        sample_no: f.sample_no.clone().filter(|s| !s.is_empty()),
        region_like: region_like(actor),
    };
    let (rows, total) = db::tests::list(conn, &q, (page - 1) * per_page, per_page)?;
    Ok((rows.iter().map(|(t, no)| t.to_test(no)).collect(), total))
}

/// Samples waiting for the signatory: in review, every test accepted, none of their
/// results entered or reviewed by the actor.
pub fn ready_to_approve(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<SampleRow>> {
    let rows =
        db::tests::samples_in_review(conn, SampleStatus::Review.as_str(), region_like(actor))?;
    let mut out = Vec::new();
    for r in rows {
        let tests = db::tests::tests_of(conn, r.id)?;
        let mut all_accepted = !tests.is_empty();
        for t in &tests {
            all_accepted &= t.state()? == TestStatus::Accepted;
        }
        if all_accepted && check_independent(conn, actor, r.id).is_ok() {
            out.push(r);
        }
    }
    Ok(out)
}

/// Results waiting for review that the actor did not enter.
pub fn review_queue(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<SampleTest>> {
    let me = actor.id.unwrap_or_default();
    let rows = db::tests::review_queue(conn, me, region_like(actor))?;
    Ok(rows.iter().map(|(t, no)| t.to_test(no)).collect())
}

// ---------------------------------------------------------------- timeline

/// One event of a sample's life, from the audit log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    #[schema(value_type = String)]
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

/// Everything that happened to a sample, its tests and its report, in order.
pub fn timeline(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<Vec<TimelineEvent>> {
    let s = super::visible_sample(conn, actor, sample_no)?;
    let rows = db::tests::timeline(conn, &s)?;
    Ok(rows
        .into_iter()
        .map(|r| TimelineEvent {
            at: to_local(r.at),
            actor: r.actor,
            action: r.action,
            entity_kind: r.entity_kind,
            entity_id: r.entity_id,
            reason: r.reason,
            detail: r.after_json.and_then(|j| serde_json::from_str(&j).ok()),
        })
        .collect())
}
