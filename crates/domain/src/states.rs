//! The states of a test, a report and a report batch, with their transitions. Each is
//! stored as the string `as_str` gives (the values the API has always shown); a stored
//! value that does not parse is a fault of the database, not of the input.

use super::rules::string_enum;

string_enum!(
    /// Where a test is (`sample_tests.status`).
    TestStatus { Assigned = "assigned", Entered = "entered", Accepted = "accepted", Retest = "retest" }
);

/// What a reviewer decides about an entered result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Accept,
    Retest,
}

impl ReviewDecision {
    /// The decision as the API spells it (`accept` | `retest`), also stored in
    /// `test_attempts.decision`.
    pub fn parse(s: &str) -> Option<ReviewDecision> {
        match s {
            "accept" => Some(ReviewDecision::Accept),
            "retest" => Some(ReviewDecision::Retest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accept => "accept",
            ReviewDecision::Retest => "retest",
        }
    }
}

impl TestStatus {
    /// The states a test may be listed by (`open`: waiting for a result).
    pub const FILTERS: &'static [&'static str] =
        &["assigned", "entered", "accepted", "retest", "open"];

    /// The states `open` stands for in a worklist filter.
    pub const OPEN: &'static [TestStatus] = &[TestStatus::Assigned, TestStatus::Retest];

    /// Whether the test still waits for (another) result.
    pub fn is_open(self) -> bool {
        matches!(self, TestStatus::Assigned | TestStatus::Retest)
    }

    /// Whether a result stands (entered, possibly accepted).
    pub fn has_result(self) -> bool {
        matches!(self, TestStatus::Entered | TestStatus::Accepted)
    }

    /// The states from which a result may be (re)entered.
    pub const ENTERABLE: &'static [TestStatus] = &[
        TestStatus::Assigned,
        TestStatus::Retest,
        TestStatus::Entered,
    ];

    /// A result is entered (or corrected, until reviewed).
    pub fn enter(self) -> Result<TestStatus, TestStatus> {
        if TestStatus::ENTERABLE.contains(&self) {
            Ok(TestStatus::Entered)
        } else {
            Err(self)
        }
    }

    /// A reviewer decides on an entered result.
    pub fn review(self, decision: ReviewDecision) -> Result<TestStatus, TestStatus> {
        match (self, decision) {
            (TestStatus::Entered, ReviewDecision::Accept) => Ok(TestStatus::Accepted),
            (TestStatus::Entered, ReviewDecision::Retest) => Ok(TestStatus::Retest),
            (other, _) => Err(other),
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TestStatus::Assigned => "已分配",
            TestStatus::Entered => "已录入",
            TestStatus::Accepted => "已审核",
            TestStatus::Retest => "复测",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            TestStatus::Assigned => "Assigned",
            TestStatus::Entered => "Entered",
            TestStatus::Accepted => "Accepted",
            TestStatus::Retest => "Retest",
        }
    }
}

string_enum!(
    /// Whether an issued report is in force (`reports.status`).
    ReportStatus { Valid = "valid", Superseded = "superseded", Revoked = "revoked" }
);

impl ReportStatus {
    /// A valid report is taken out of force: superseded when a new report replaces it,
    /// revoked otherwise. A report out of force stays so.
    pub fn retire(self, replaced: bool) -> Result<ReportStatus, ReportStatus> {
        match self {
            ReportStatus::Valid if replaced => Ok(ReportStatus::Superseded),
            ReportStatus::Valid => Ok(ReportStatus::Revoked),
            other => Err(other),
        }
    }

    pub fn is_valid(self) -> bool {
        self == ReportStatus::Valid
    }

    pub fn is_superseded(self) -> bool {
        self == ReportStatus::Superseded
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReportStatus::Valid => "有效",
            ReportStatus::Superseded => "被替代",
            ReportStatus::Revoked => "撤销",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ReportStatus::Valid => "Valid",
            ReportStatus::Superseded => "Superseded",
            ReportStatus::Revoked => "Revoked",
        }
    }
}

string_enum!(
    /// Where a batch download is (`report_batches.status`).
    BatchStatus { Queued = "queued", Running = "running", Done = "done", Failed = "failed" }
);

impl BatchStatus {
    /// The states that count against a user's open batches.
    pub const OPEN: &'static [BatchStatus] = &[BatchStatus::Queued, BatchStatus::Running];
    /// The states a batch ends in.
    pub const FINISHED: &'static [BatchStatus] = &[BatchStatus::Done, BatchStatus::Failed];

    /// Whether the batch is still waiting or being built.
    pub fn is_open(self) -> bool {
        BatchStatus::OPEN.contains(&self)
    }

    pub fn is_done(self) -> bool {
        self == BatchStatus::Done
    }

    pub fn is_failed(self) -> bool {
        self == BatchStatus::Failed
    }

    /// Whether the batch has ended, well or not.
    pub fn is_finished(self) -> bool {
        BatchStatus::FINISHED.contains(&self)
    }

    /// A worker starts (or, resuming, restarts) the batch.
    pub fn start(self, resume: bool) -> Result<BatchStatus, BatchStatus> {
        match self {
            BatchStatus::Queued => Ok(BatchStatus::Running),
            BatchStatus::Running if resume => Ok(BatchStatus::Running),
            other => Err(other),
        }
    }

    /// The worker finishes a running batch.
    pub fn finish(self, ok: bool) -> Result<BatchStatus, BatchStatus> {
        match self {
            BatchStatus::Running if ok => Ok(BatchStatus::Done),
            BatchStatus::Running => Ok(BatchStatus::Failed),
            other => Err(other),
        }
    }
}

/// Who entered and who reviewed the results of a sample, now and in attempts sent back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultPeople {
    pub entered_by: Vec<i64>,
    pub reviewed_by: Vec<i64>,
}

/// Why a signatory is not independent of a sample's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIndependent {
    Entered,
    Reviewed,
}

impl NotIndependent {
    /// The refusal in both languages.
    pub fn msg(self) -> crate::msg::Msg {
        crate::msg::Msg::new(self.message_zh(), self.message_en())
    }

    pub fn message_zh(self) -> &'static str {
        match self {
            NotIndependent::Entered => "您录入过该样品的检验结果，不能再批准或签发其报告",
            NotIndependent::Reviewed => "您审核过该样品的检验结果，不能再批准或签发其报告",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            NotIndependent::Entered => {
                "You entered results of this sample, so you cannot approve or issue its report"
            }
            NotIndependent::Reviewed => {
                "You reviewed results of this sample, so you cannot approve or issue its report"
            }
        }
    }
}

/// The signatory of a report is independent of every result in it: `me` entered and
/// reviewed none of them (entering is named first).
pub fn check_independent(me: i64, people: &ResultPeople) -> Result<(), NotIndependent> {
    if people.entered_by.contains(&me) {
        return Err(NotIndependent::Entered);
    }
    if people.reviewed_by.contains(&me) {
        return Err(NotIndependent::Reviewed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_they_store() {
        for s in TestStatus::ALL {
            assert_eq!(s.as_str().parse::<TestStatus>(), Ok(*s));
        }
        for s in ReportStatus::ALL {
            assert_eq!(s.as_str().parse::<ReportStatus>(), Ok(*s));
        }
        for s in BatchStatus::ALL {
            assert_eq!(s.as_str().parse::<BatchStatus>(), Ok(*s));
        }
        assert!("issued".parse::<ReportStatus>().is_err());
    }

    #[test]
    fn a_test_is_reviewed_only_once_entered() {
        use ReviewDecision::*;
        assert_eq!(TestStatus::Entered.review(Accept), Ok(TestStatus::Accepted));
        assert_eq!(TestStatus::Entered.review(Retest), Ok(TestStatus::Retest));
        assert!(TestStatus::Assigned.review(Accept).is_err());
        assert!(TestStatus::Accepted.enter().is_err());
        assert_eq!(TestStatus::Retest.enter(), Ok(TestStatus::Entered));
    }

    #[test]
    fn a_report_out_of_force_stays_so() {
        assert_eq!(
            ReportStatus::Valid.retire(true),
            Ok(ReportStatus::Superseded)
        );
        assert_eq!(ReportStatus::Valid.retire(false), Ok(ReportStatus::Revoked));
        assert!(ReportStatus::Revoked.retire(true).is_err());
    }

    #[test]
    fn a_batch_finishes_once() {
        assert_eq!(BatchStatus::Queued.start(false), Ok(BatchStatus::Running));
        assert!(BatchStatus::Running.start(false).is_err());
        assert_eq!(BatchStatus::Running.start(true), Ok(BatchStatus::Running));
        assert_eq!(BatchStatus::Running.finish(false), Ok(BatchStatus::Failed));
        assert!(BatchStatus::Done.finish(true).is_err());
    }

    #[test]
    fn entering_is_named_before_reviewing() {
        let p = ResultPeople {
            entered_by: vec![1, 2],
            reviewed_by: vec![2, 3],
        };
        assert_eq!(check_independent(2, &p), Err(NotIndependent::Entered));
        assert_eq!(check_independent(3, &p), Err(NotIndependent::Reviewed));
        assert_eq!(check_independent(4, &p), Ok(()));
    }
}
