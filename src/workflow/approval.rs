//! Approval, the use case that closes a sample's lab work: the signatory approves a
//! sample whose tests are all accepted, which issues its report (`reports`), records
//! the conclusion and turnaround on the sample, refreshes its retention (`retention`)
//! and, for a non-compliant result, opens a disposal case (`disposal`). It drives those
//! stages in one transaction; none of them calls back here.
//!
//! Before signing, the signatory sees what is signed: each waiting sample with its
//! results, limits, judgments and the coming conclusion ([`pending`], [`preview`]), and
//! the report as it will be issued, as a draft that takes no number and stores nothing
//! ([`draft_pdf`]).

use crate::db::samples::SampleRow;
use crate::db::tests::TestRow;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::local_time::local_date;
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{conclude, transition, Conclusion, SampleAction, SampleStatus};
use crate::domain::states::TestStatus;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::lab::{self, SampleTest};
use crate::workflow::reports::{self, Issuer, Report};
use crate::workflow::{check_independent, disposal, intake, reference, retention, Ctx};

/// The signatory approves a sample whose tests are all accepted. The signatory must
/// not have entered or reviewed any of its results. The conclusion follows from the
/// judgments; the sample becomes `reported` and its report is issued (number, PDF,
/// verification code).
pub fn approve(cx: &mut Ctx<'_>, issuer: &Issuer, sample_no: &str) -> AppResult<Report> {
    approve_opening(cx, issuer, sample_no).map(|a| a.report)
}

/// What an approval did: the report issued, and the disposal case it opened, if any.
pub struct Approved {
    pub report: Report,
    pub case_id: Option<i64>,
}

/// The tests of `s` if it waits for approval (in review, every test accepted), else 409.
fn ready_tests(conn: &mut DbConnection, s: &SampleRow) -> AppResult<Vec<TestRow>> {
    let tests = db::tests::tests_of(conn, s.id)?;
    if !waits_for_approval(s, &tests)? {
        return Err(AppError::Conflict(Msg::new(
            format!(
                "样品 {} 还有检验项目未审核通过，尚不能签发报告",
                s.sample_no
            ),
            format!(
                "Sample {} does not wait for approval: every test must be accepted first",
                s.sample_no
            ),
        )));
    }
    Ok(tests)
}

/// Whether a sample waits for the signatory: in review with every test accepted.
fn waits_for_approval(s: &SampleRow, tests: &[TestRow]) -> AppResult<bool> {
    let mut all_accepted = !tests.is_empty();
    for t in tests {
        all_accepted &= t.state()? == TestStatus::Accepted;
    }
    Ok(all_accepted && s.status()? == SampleStatus::Review)
}

/// [`approve`], answering also the disposal case the approval opened.
pub fn approve_opening(cx: &mut Ctx<'_>, issuer: &Issuer, sample_no: &str) -> AppResult<Approved> {
    let (now, actor) = (cx.now, cx.actor);
    actor.require(&[Role::Signatory])?;
    let s = intake::visible_row(cx.conn, actor, sample_no)?;
    check_independent(cx.conn, actor, s.id)?;
    let tests = ready_tests(cx.conn, &s)?;
    let status = s.status()?;
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
        let mut case_id = None;
        if report.conclusion == Conclusion::NonCompliant.as_str() {
            let sample = db::tests::sample_of(conn, s.id)?;
            case_id = disposal::open_for(conn, now, actor, &sample, &report.report_no)?;
        }
        Ok(Approved { report, case_id })
    })
}

// ---------------------------------------------------------------- before signing

/// A sample waiting for approval, as the signatory reads it before signing.
pub struct Pending {
    pub sample_no: String,
    pub product_name: String,
    pub entity_name: String,
    pub plan_kind: PlanKind,
    pub domain: Domain,
    /// The profile's words for a pass and a fail (合格/不合格, 符合规定/不符合规定).
    pub pass_term: String,
    pub fail_term: String,
    pub tests: Vec<PendingTest>,
}

/// One result of a waiting sample, with who entered and who reviewed it.
pub struct PendingTest {
    pub test: SampleTest,
    pub entered_by: String,
    pub reviewed_by: String,
}

impl Pending {
    /// How many results fail their limit.
    pub fn failed(&self) -> usize {
        self.tests.iter().filter(|t| t.test.failed()).count()
    }

    /// Whether the plan gives no compliant/non-compliant conclusion (risk monitoring):
    /// its results are problems found or not.
    pub fn is_monitoring(&self) -> bool {
        self.plan_kind == PlanKind::RiskMonitoring
    }

    /// The conclusion the report will state, in words: the profile's term (合格, 不合格,
    /// 符合规定, 不符合规定), or for risk monitoring the problems found.
    pub fn conclusion(&self) -> Msg {
        let failed = self.failed();
        if self.is_monitoring() {
            return match failed {
                0 => Msg::new("未发现问题", "No problem found"),
                n => Msg::new(
                    format!("所检项目中 {n} 项存在问题"),
                    format!("{n} of the tested items show a problem"),
                ),
            };
        }
        term_msg(if failed == 0 {
            &self.pass_term
        } else {
            &self.fail_term
        })
    }

    /// The single-item judgment of `t` in the domain's words.
    pub fn judgment(&self, t: &SampleTest) -> Msg {
        match (self.is_monitoring(), t.failed()) {
            (true, false) => Msg::new("未发现问题", "No problem"),
            (true, true) => Msg::new("存在问题", "Problem"),
            (false, false) => term_msg(&self.pass_term),
            (false, true) => term_msg(&self.fail_term),
        }
    }
}

/// A profile's judgment term with its English words.
fn term_msg(term: &str) -> Msg {
    let en = match term {
        "合格" => "Compliant",
        "不合格" => "Non-compliant",
        "符合规定" => "Conforms",
        "不符合规定" => "Does not conform",
        other => other,
    };
    Msg::new(term, en)
}

fn pending_of(conn: &mut DbConnection, s: &SampleRow, tests: &[TestRow]) -> AppResult<Pending> {
    let c = db::reports::sample_context(conn, s.plan_id, s.entity_id, &s.category_code)?;
    let plan_kind: PlanKind = c.plan_kind.parse().map_err(AppError::internal)?;
    let domain: Domain = s.domain.parse().map_err(AppError::internal)?;
    let (pass_term, fail_term) = reports::terms(conn, domain, plan_kind)?;
    let mut ids: Vec<i64> = tests
        .iter()
        .flat_map(|t| [t.entered_by, t.reviewed_by])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = db::users::display_names(conn, &ids)?;
    let name = |id: Option<i64>| {
        id.and_then(|id| names.iter().find(|(i, _)| *i == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    Ok(Pending {
        sample_no: s.sample_no.clone(),
        product_name: s.product_name.clone(),
        entity_name: c.entity_name,
        plan_kind,
        domain,
        pass_term,
        fail_term,
        tests: tests
            .iter()
            .map(|t| PendingTest {
                test: t.to_test(&s.sample_no),
                entered_by: name(t.entered_by),
                reviewed_by: name(t.reviewed_by),
            })
            .collect(),
    })
}

/// The samples the signatory may approve now (in scope, every test accepted, none of
/// whose results the signatory entered or reviewed), each with what will be signed.
pub fn pending(cx: &mut Ctx<'_>) -> AppResult<Vec<Pending>> {
    cx.actor.require(&[Role::Signatory])?;
    let rows = lab::ready_to_approve(cx.conn, cx.actor)?;
    let mut out = Vec::with_capacity(rows.len());
    for s in &rows {
        let tests = db::tests::tests_of(cx.conn, s.id)?;
        out.push(pending_of(cx.conn, s, &tests)?);
    }
    Ok(out)
}

/// One sample as [`pending`] shows it, for the confirmation step: 404 outside the
/// signatory's scope, 409 unless it waits for approval, 403 unless the signatory is
/// independent of its results.
pub fn preview(cx: &mut Ctx<'_>, sample_no: &str) -> AppResult<Pending> {
    cx.actor.require(&[Role::Signatory])?;
    let s = intake::visible_row(cx.conn, cx.actor, sample_no)?;
    let tests = ready_tests(cx.conn, &s)?;
    check_independent(cx.conn, cx.actor, s.id)?;
    pending_of(cx.conn, &s, &tests)
}

/// Who may read a draft report: the signatories who will sign it and the lab who
/// produced its results (within their region scope).
pub const DRAFT_READERS: &[Role] = &[Role::Signatory, Role::Reviewer, Role::Technician];

/// The draft PDF of the report a sample waiting for approval would get now: the issued
/// layout from the same builder, the number a placeholder, nothing taken or stored (a
/// read: no report row, no sequence step, no audit row). 404 outside the reader's
/// scope, 409 unless the sample waits for approval.
pub fn draft_pdf(cx: &mut Ctx<'_>, sample_no: &str) -> AppResult<Vec<u8>> {
    cx.actor.require(DRAFT_READERS)?;
    let s = intake::visible_row(cx.conn, cx.actor, sample_no)?;
    ready_tests(cx.conn, &s)?;
    let (now, actor) = (cx.now, cx.actor);
    db::read_tx(cx.conn, |conn| {
        reports::draft(&mut Ctx::new(conn, now, actor), &s)
    })
}

/// Of the samples `ids`, those that wait for approval (in review, every test accepted):
/// the lists show them as 待签发.
pub fn awaiting_approval(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<i64>> {
    let mut out = Vec::new();
    for &id in ids {
        let s = db::tests::sample_of(conn, id)?;
        if s.status()? != SampleStatus::Review {
            continue;
        }
        let tests = db::tests::tests_of(conn, id)?;
        if waits_for_approval(&s, &tests)? {
            out.push(id);
        }
    }
    Ok(out)
}
