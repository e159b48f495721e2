//! Approval, the use case that closes a sample's lab work: the signatory approves a
//! sample whose tests are all accepted, which issues its report (`reports`), records
//! the conclusion and turnaround on the sample, refreshes its retention (`retention`)
//! and, for a non-compliant result, opens a disposal case (`disposal`). It drives those
//! stages in one transaction; none of them calls back here.

use crate::db::{self, write_tx};
use crate::domain::local_time::local_date;
use crate::domain::role::Role;
use crate::domain::sample::{conclude, transition, Conclusion, SampleAction, SampleStatus};
use crate::domain::states::TestStatus;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::reports::{self, Issuer, Report};
use crate::workflow::{check_independent, disposal, intake, reference, retention, Ctx};

/// The signatory approves a sample whose tests are all accepted. The signatory must
/// not have entered or reviewed any of its results. The conclusion follows from the
/// judgments; the sample becomes `reported` and its report is issued (number, PDF,
/// verification code).
pub fn approve(cx: &mut Ctx<'_>, issuer: &Issuer, sample_no: &str) -> AppResult<Report> {
    let (now, actor) = (cx.now, cx.actor);
    actor.require(&[Role::Signatory])?;
    let s = intake::visible_row(cx.conn, actor, sample_no)?;
    check_independent(cx.conn, actor, s.id)?;
    let tests = db::tests::tests_of(cx.conn, s.id)?;
    let status = s.status()?;
    let mut all_accepted = !tests.is_empty();
    for t in &tests {
        all_accepted &= t.state()? == TestStatus::Accepted;
    }
    if !all_accepted || status != SampleStatus::Review {
        return Err(AppError::Conflict(Msg::new(
            "还有检验项目未审核通过，不能批准",
            "Every test must be accepted before approval",
        )));
    }
    let to = transition(status, SampleAction::Approve).map_err(AppError::internal)?;
    let conclusion = conclude(tests.iter().filter_map(|t| t.judgment.as_deref())).as_str();
    write_tx(cx.conn, |conn| {
        let fresh = db::tests::sample_of(conn, s.id)?;
        if fresh.version != s.version || fresh.status != s.status {
            return Err(AppError::stale());
        }
        let report = reports::issue(&mut Ctx::new(conn, now, actor), issuer, &fresh, None, "")?;
        if report.conclusion != conclusion {
            return Err(AppError::internal(format!(
                "report {} concludes {} but the judgments conclude {conclusion}",
                report.report_no, report.conclusion
            )));
        }
        // The turnaround the lab figures count, on today's calendar (SQL cannot count
        // working days; reloading a calendar year recounts it).
        let turnaround = match fresh.received_at {
            Some(received) => Some(crate::domain::stats::turnaround_days(
                &reference::work_calendar(conn)?,
                local_date(received),
                local_date(now),
            )),
            None => None,
        };
        let n = db::tests::set_approved(
            conn,
            s.id,
            s.version,
            db::tests::Approved {
                from_status: status.as_str(),
                to_status: to.as_str(),
                conclusion,
                report_no: &report.report_no,
                turnaround,
            },
            now,
        )?;
        // Someone approved (or sent a test back) in between: the report row and
        // its number roll back with this transaction.
        AppError::stale_unless(n)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.approve",
                entity_kind: "sample",
                entity_id: s.sample_no.clone(),
                before: Some(serde_json::json!({
                    "status": status.as_str(), "conclusion": Conclusion::Pending.as_str(),
                })),
                after: Some(serde_json::json!({
                    "status": to.as_str(), "conclusion": conclusion, "report_no": report.report_no,
                    "turnaround_working_days": turnaround.map(|t| t.0),
                })),
                reason: None,
            },
        )?;
        retention::refresh_keep_until(conn, now, actor, s.id)?;
        if report.conclusion == Conclusion::NonCompliant.as_str() {
            let sample = db::tests::sample_of(conn, s.id)?;
            disposal::open_for(conn, now, actor, &sample, &report.report_no)?;
        }
        Ok(report)
    })
}
