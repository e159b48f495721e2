//! Samples: the words of intake (stage, storage, entity kind, plan level), the sample
//! number, what a scanner reads, and the one transition table of a sample's life.
//! Invariant: a sample changes status only along [`transition`].

use std::fmt;

use super::rules::{string_enum, Domain};

string_enum!(
    /// Where in the chain the sample was taken.
    Stage { Production = "production", Circulation = "circulation", Catering = "catering", Online = "online" }
);

string_enum!(
    /// How the sample must be kept.
    Storage { Ambient = "ambient", Chilled = "chilled", Frozen = "frozen" }
);

string_enum!(
    /// What kind of business the sampled entity is.
    EntityKind {
        Producer = "producer",
        Distributor = "distributor",
        Catering = "catering",
        Online = "online",
        Market = "market",
        Other = "other",
    }
);

string_enum!(
    /// The administrative level that organises a plan.
    PlanLevel { National = "national", Provincial = "provincial", Prefectural = "prefectural", County = "county" }
);

string_enum!(
    /// Where a sample is in its life (SPEC §2).
    SampleStatus {
        Registered = "registered",
        Received = "received",
        Rejected = "rejected",
        Testing = "testing",
        Review = "review",
        Reported = "reported",
    }
);

string_enum!(
    /// The result of the whole sample.
    Conclusion { Pending = "pending", Compliant = "compliant", NonCompliant = "non_compliant" }
);

impl Stage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Production => "生产环节",
            Stage::Circulation => "流通环节",
            Stage::Catering => "餐饮环节",
            Stage::Online => "网络销售",
        }
    }
}

impl Storage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Storage::Ambient => "常温",
            Storage::Chilled => "冷藏",
            Storage::Frozen => "冷冻",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Storage::Ambient => "Ambient",
            Storage::Chilled => "Chilled",
            Storage::Frozen => "Frozen",
        }
    }
}

impl EntityKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            EntityKind::Producer => "生产者",
            EntityKind::Distributor => "经营者（流通）",
            EntityKind::Catering => "餐饮服务",
            EntityKind::Online => "网络销售",
            EntityKind::Market => "集中交易市场",
            EntityKind::Other => "其他",
        }
    }
}

impl PlanLevel {
    pub fn label_zh(self) -> &'static str {
        match self {
            PlanLevel::National => "国家",
            PlanLevel::Provincial => "省级",
            PlanLevel::Prefectural => "市州",
            PlanLevel::County => "县区",
        }
    }
}

impl SampleStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            SampleStatus::Registered => "已登记",
            SampleStatus::Received => "已接收",
            SampleStatus::Rejected => "已拒收",
            SampleStatus::Testing => "检验中",
            SampleStatus::Review => "待审核",
            SampleStatus::Reported => "已出报告",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            SampleStatus::Registered => "Registered",
            SampleStatus::Received => "Received",
            SampleStatus::Rejected => "Rejected",
            SampleStatus::Testing => "Testing",
            SampleStatus::Review => "In review",
            SampleStatus::Reported => "Reported",
        }
    }
}

/// The conclusion of a sample from the judgments of its tests: non-compliant if any
/// test fails, compliant otherwise (SPEC §4).
pub fn conclude<'a>(judgments: impl IntoIterator<Item = &'a str>) -> Conclusion {
    if judgments.into_iter().any(|j| j == "fail") {
        Conclusion::NonCompliant
    } else {
        Conclusion::Compliant
    }
}

/// The letter a sample number starts with, by domain.
pub fn domain_letter(d: Domain) -> char {
    match d {
        Domain::Food => 'F',
        Domain::Drug => 'D',
        Domain::Cosmetic => 'C',
        Domain::Device => 'M',
    }
}

/// The default sample number: domain letter + year + 6-digit county code + 5-digit
/// sequence, e.g. `F202663010200123`.
pub fn sample_no(domain: Domain, year: i32, county: &str, seq: u32) -> String {
    format!("{}{year:04}{county}{seq:05}", domain_letter(domain))
}

/// Whether `s` has the shape of a sample number (letter, 4-digit year, 6-digit
/// county, 5 or more digits).
pub fn looks_like_sample_no(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('F' | 'D' | 'C' | 'M'))
        && s.len() >= 16
        && s.len() <= 24
        && s[1..].chars().all(|c| c.is_ascii_digit())
}

/// Which portion a scanned label belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannedPortion {
    Inspection,
    Backup,
}

/// What a scanner typed, read: the full label URL (with `#B` on the backup portion's
/// labels), or the bare sample number. Upper-cases and trims; refuses anything else.
pub fn parse_scan(scan: &str) -> Option<(String, ScannedPortion)> {
    let s = scan.trim();
    let (s, portion) = match s.strip_suffix("#B").or_else(|| s.strip_suffix("#b")) {
        Some(rest) => (rest, ScannedPortion::Backup),
        None => (s, ScannedPortion::Inspection),
    };
    let tail = match s.rfind("/s/") {
        Some(i) => &s[i + 3..],
        None => s,
    };
    let no = tail.trim_end_matches('/').to_ascii_uppercase();
    looks_like_sample_no(&no).then_some((no, portion))
}

/// Something that happens to a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleAction {
    Edit,
    Receive,
    /// Refused at the lab's door (拒收) instead of received.
    RejectAtReceipt,
    /// Found unfit after receipt, before testing.
    Reject,
    Assign,
    AllEntered,
    SendBack,
    Approve,
}

/// A transition the table does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    pub from: SampleStatus,
    pub action: SampleAction,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} sample cannot be {:?}", self.from, self.action)
    }
}

/// The one transition table (SPEC §2): may `action` happen to a sample in `from`, and
/// where does it lead?
pub fn transition(
    from: SampleStatus,
    action: SampleAction,
) -> Result<SampleStatus, TransitionError> {
    use SampleAction as A;
    use SampleStatus as S;
    match (from, action) {
        (S::Registered, A::Edit) => Ok(S::Registered),
        (S::Registered, A::Receive) => Ok(S::Received),
        (S::Registered, A::RejectAtReceipt) => Ok(S::Rejected),
        (S::Registered | S::Received, A::Reject) => Ok(S::Rejected),
        (S::Received | S::Testing, A::Assign) => Ok(S::Testing),
        (S::Testing, A::AllEntered) => Ok(S::Review),
        (S::Review, A::SendBack) => Ok(S::Testing),
        (S::Review, A::Approve) => Ok(S::Reported),
        _ => Err(TransitionError { from, action }),
    }
}

/// Checks a quantity as written ("2", "0.5", "1.50"): a decimal number > 0 with at most
/// 12 characters. Returns it trimmed.
pub fn check_quantity(q: &str) -> Option<String> {
    let q = q.trim();
    let plain = !q.is_empty()
        && q.len() <= 12
        && q.chars().all(|c| c.is_ascii_digit() || c == '.')
        && q.chars().filter(|c| *c == '.').count() <= 1
        && !q.starts_with('.')
        && !q.ends_with('.');
    (plain && q.parse::<f64>().is_ok_and(|v| v > 0.0)).then(|| q.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_number_has_the_default_shape() {
        assert_eq!(
            sample_no(Domain::Food, 2026, "630102", 123),
            "F202663010200123"
        );
        assert!(looks_like_sample_no("F202663010200123"));
        assert!(!looks_like_sample_no("X202663010200123"));
        assert!(!looks_like_sample_no("F2026"));
    }

    #[test]
    fn a_scan_may_be_a_url_a_backup_url_or_a_bare_number() {
        let want = "F202663010200123".to_string();
        assert_eq!(
            parse_scan("https://lims.example/s/F202663010200123"),
            Some((want.clone(), ScannedPortion::Inspection))
        );
        assert_eq!(
            parse_scan("http://h:8080/s/F202663010200123#B"),
            Some((want.clone(), ScannedPortion::Backup))
        );
        assert_eq!(
            parse_scan("  f202663010200123\n"),
            Some((want, ScannedPortion::Inspection))
        );
        assert_eq!(parse_scan("hello"), None);
        assert_eq!(parse_scan("https://x/s/"), None);
        assert_eq!(parse_scan("F2026630102001<3"), None);
    }

    #[test]
    fn the_transition_table_allows_only_the_flow() {
        use SampleAction as A;
        use SampleStatus as S;
        assert_eq!(transition(S::Registered, A::Receive), Ok(S::Received));
        assert_eq!(transition(S::Registered, A::Reject), Ok(S::Rejected));
        assert!(transition(S::Received, A::Receive).is_err());
        assert_eq!(
            transition(S::Registered, A::RejectAtReceipt),
            Ok(S::Rejected)
        );
        assert!(transition(S::Received, A::RejectAtReceipt).is_err());
        assert!(transition(S::Received, A::Edit).is_err());
        assert!(transition(S::Rejected, A::Receive).is_err());
        assert_eq!(transition(S::Review, A::SendBack), Ok(S::Testing));
        assert!(transition(S::Testing, A::Approve).is_err());
    }

    #[test]
    fn one_failing_test_makes_the_sample_non_compliant() {
        assert_eq!(conclude(["pass", "pass"]), Conclusion::Compliant);
        assert_eq!(conclude(["pass", "fail", "pass"]), Conclusion::NonCompliant);
    }

    #[test]
    fn quantities_are_positive_decimals() {
        assert_eq!(check_quantity(" 1.50 "), Some("1.50".into()));
        for bad in ["0", "-1", "", "1e3", "abc", "1.", ".5", "1.2.3", "0.000"] {
            assert_eq!(check_quantity(bad), None, "{bad}");
        }
    }
}
