//! What the three disposal rates of SPEC §6 count: one case's summary, the steps that
//! start disposal, and the rates with the text of their definitions.

use super::*;

/// What the rates need to know of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CaseSummary {
    /// False when a re-examination overturned the result.
    pub needs_disposal: bool,
    /// A risk-control step (risk_controlled, recall_started, recall_completed) or an
    /// investigation (case_filed) is recorded.
    pub started: bool,
    /// Closed, and not overturned.
    pub closed_completed: bool,
    /// Closed as completed on or before its (possibly extended) completion date.
    pub closed_on_time: bool,
    /// The completion date lies before `today`.
    pub deadline_passed: bool,
}

/// One case as the rates see it on `today` (the end of the period counted). A closing
/// counts as on time when its local date is not after the completion deadline; with
/// no completion rule in the profile, every closing is on time and no deadline passes.
/// Working days ahead within which a duty counts as "due soon": the board's due-soon
/// section and the morning reminder list (SPEC §6 "due within 5 working days").
pub const DUE_SOON_WORKING_DAYS: i64 = 5;

/// The steps that start disposal by default (SPEC §6: "a risk-control or investigation
/// step recorded"): risk control, a recall, or an investigation filed.
pub const DEFAULT_STARTED_BY: [StepKind; 4] = [
    StepKind::RiskControlled,
    StepKind::RecallStarted,
    StepKind::RecallCompleted,
    StepKind::CaseFiled,
];

/// The steps that count as starting disposal: the profile's `disposal_started_by` list
/// when it names any step, else [`DEFAULT_STARTED_BY`].
pub fn started_by(profile: &RuleProfile) -> Vec<StepKind> {
    let listed: Vec<StepKind> = profile
        .list("disposal_started_by")
        .iter()
        .filter_map(|s| s.parse::<StepKind>().ok())
        .filter(|k| !matches!(k, StepKind::Closed | StepKind::Reopened))
        .collect();
    if listed.is_empty() {
        DEFAULT_STARTED_BY.to_vec()
    } else {
        listed
    }
}

/// The day (Asia/Shanghai) disposal started: the first step the profile counts as a start
/// (see [`started_by`]), if any. Counts towards the disposal rate.
pub fn started_on(profile: &RuleProfile, case: &Case) -> Option<NaiveDate> {
    let kinds = started_by(profile);
    case.events
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .map(|e| local_date(e.at))
        .min()
}

pub fn summarise(
    profile: &RuleProfile,
    cal: &WorkCalendar,
    case: &Case,
    today: NaiveDate,
) -> CaseSummary {
    let result = outcome(case);
    let closed_completed = result == Some(Outcome::Completed);
    let deadline = completion_deadline(profile, cal, case);
    let closed_on_time = closed_completed
        && case
            .closed_at()
            .is_some_and(|t| deadline.is_none_or(|d| local_date(t) <= d.date));
    CaseSummary {
        needs_disposal: result != Some(Outcome::Overturned),
        started: started_on(profile, case).is_some(),
        closed_completed,
        closed_on_time,
        deadline_passed: deadline.is_some_and(|d| d.date < today),
    }
}

/// 核查处置率 as defined by default in SPEC §6 (Chinese).
pub const DISPOSAL_RATE_ZH: &str = "核查处置率 = 已启动核查处置（已记录规则配置 disposal_started_by 所列步骤之一，默认为风险控制、召回或立案调查）的不合格样品数 ÷ 需核查处置的不合格样品数；经复检推翻的样品既不计入分子，也不计入分母";
/// The disposal rate as defined by default in SPEC §6 (English).
pub const DISPOSAL_RATE_EN: &str = "Disposal rate = non-compliant samples whose case has started (one of the steps in the rule profile's disposal_started_by recorded; by default risk control, a recall or an investigation) ÷ non-compliant samples that need disposal; samples overturned by re-examination leave both sides";
/// 完成率 as defined by default in SPEC §6 (Chinese).
pub const COMPLETION_RATE_ZH: &str =
    "完成率 = 已办结（完成）的核查处置案件数 ÷ 需核查处置的案件数；经复检推翻的不计";
/// The completion rate as defined by default in SPEC §6 (English).
pub const COMPLETION_RATE_EN: &str = "Completion rate = cases closed as completed ÷ cases that need disposal; cases overturned by re-examination are left out";
/// 按时完成率 as defined by default in SPEC §6 (Chinese).
pub const ON_TIME_RATE_ZH: &str = "按时完成率 = 在办结期限内（含经批准的延期）办结的案件数 ÷ 办结期限已届满或已办结的案件数；经复检推翻的不计";
/// The on-time completion rate as defined by default in SPEC §6 (English).
pub const ON_TIME_RATE_EN: &str = "On-time completion rate = cases closed within their deadline (or approved extension) ÷ cases whose deadline has passed or that are closed; cases overturned by re-examination are left out";

/// A fraction with the definition that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// A stable name, e.g. `disposal_rate`.
    pub key: &'static str,
    /// The cases counted above the line.
    pub numerator: u64,
    /// The cases counted below the line.
    pub denominator: u64,
    /// From 0 to 1; `None` when the denominator is 0.
    pub value: Option<f64>,
    /// The definition that produced this figure, in Chinese.
    pub definition_zh: &'static str,
    /// The definition that produced this figure, in English.
    pub definition_en: &'static str,
}

impl Ratio {
    fn new(
        key: &'static str,
        numerator: u64,
        denominator: u64,
        definition_zh: &'static str,
        definition_en: &'static str,
    ) -> Self {
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Ratio {
            key,
            numerator,
            denominator,
            value,
            definition_zh,
            definition_en,
        }
    }
}

/// The three disposal rates of SPEC §6.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// 核查处置率.
    pub disposal: Ratio,
    /// 完成率.
    pub completion: Ratio,
    /// 按时完成率.
    pub on_time: Ratio,
}

/// The three rates over `cases` (already filtered by period, region and plan level).
/// Overturned cases (`needs_disposal == false`) count nowhere.
pub fn rates(cases: &[CaseSummary]) -> Rates {
    let count = |f: &dyn Fn(&CaseSummary) -> bool| {
        cases.iter().filter(|c| c.needs_disposal && f(c)).count() as u64
    };
    rates_from_counts(
        count(&|_| true),
        count(&|c| c.started),
        count(&|c| c.closed_completed),
        count(&|c| c.closed_completed && c.closed_on_time),
        count(&|c| c.deadline_passed || c.closed_completed),
    )
}

/// The three rates from counts of the cases that need disposal: `needing` in all,
/// `started`, `completed` (closed as completed), `on_time` (of those, within the
/// deadline) and `due_or_closed` (deadline passed or closed: the on-time rate's base).
pub fn rates_from_counts(
    needing: u64,
    started: u64,
    completed: u64,
    on_time: u64,
    due_or_closed: u64,
) -> Rates {
    Rates {
        disposal: Ratio::new(
            "disposal_rate",
            started,
            needing,
            DISPOSAL_RATE_ZH,
            DISPOSAL_RATE_EN,
        ),
        completion: Ratio::new(
            "completion_rate",
            completed,
            needing,
            COMPLETION_RATE_ZH,
            COMPLETION_RATE_EN,
        ),
        on_time: Ratio::new(
            "on_time_completion_rate",
            on_time,
            due_or_closed,
            ON_TIME_RATE_ZH,
            ON_TIME_RATE_EN,
        ),
    }
}
