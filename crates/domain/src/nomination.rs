//! 你点我检: a resident's nomination of a product to test (rules.md §a.1), its tracking
//! code, its states and what may be done in each. Pure: the random bytes of a code and
//! the clock come from the caller.

use std::fmt;
use std::str::FromStr;

use crate::msg::Lang;

/// Where a nomination stands, as the public tracking page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NominationStatus {
    /// Submitted, waiting for a supervisor.
    Received,
    /// Taken into a public_request plan.
    Accepted,
    /// At least one sample was taken for it.
    Sampled,
    /// Declined, with the reason given publicly.
    Declined,
    /// The same as an earlier nomination, which carries it on.
    Merged,
}

impl NominationStatus {
    pub const ALL: [NominationStatus; 5] = [
        NominationStatus::Received,
        NominationStatus::Accepted,
        NominationStatus::Sampled,
        NominationStatus::Declined,
        NominationStatus::Merged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            NominationStatus::Received => "received",
            NominationStatus::Accepted => "accepted",
            NominationStatus::Sampled => "sampled",
            NominationStatus::Declined => "declined",
            NominationStatus::Merged => "merged",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            NominationStatus::Received => "已收到，待处理",
            NominationStatus::Accepted => "已采纳，列入抽检计划",
            NominationStatus::Sampled => "已抽样检验",
            NominationStatus::Declined => "未采纳",
            NominationStatus::Merged => "已与相同建议合并",
        }
    }

    pub const fn label_en(self) -> &'static str {
        match self {
            NominationStatus::Received => "received, awaiting review",
            NominationStatus::Accepted => "accepted into a sampling plan",
            NominationStatus::Sampled => "sampled and tested",
            NominationStatus::Declined => "declined",
            NominationStatus::Merged => "merged with the same nomination",
        }
    }

    /// The status in words, in `lang`.
    pub const fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.label_en(),
            Lang::Zh => self.label_zh(),
        }
    }

    /// Residents may still add their support.
    pub fn open_for_support(self) -> bool {
        matches!(
            self,
            NominationStatus::Received | NominationStatus::Accepted | NominationStatus::Sampled
        )
    }

    /// A supervisor's decision (accept, decline, merge) is possible only before one was
    /// made.
    pub fn awaits_decision(self) -> bool {
        self == NominationStatus::Received
    }

    /// Samples can be linked once accepted.
    pub fn takes_samples(self) -> bool {
        matches!(self, NominationStatus::Accepted | NominationStatus::Sampled)
    }
}

/// What a supervisor does with a nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Take it into a public_request plan.
    Accept,
    /// Decline it, with the reason shown publicly.
    Decline,
    /// Merge it into an earlier nomination of the same product.
    Merge,
    /// Link a sample taken for it.
    LinkSample,
}

impl NominationStatus {
    /// The status a nomination moves to when decision `d` is applied, or `None` when
    /// `d` may not be taken in this status: accept, decline and merge only before any
    /// decision was made; a sample is linked once the nomination was accepted.
    pub fn after(self, d: Decision) -> Option<NominationStatus> {
        match d {
            Decision::Accept if self.awaits_decision() => Some(NominationStatus::Accepted),
            Decision::Decline if self.awaits_decision() => Some(NominationStatus::Declined),
            Decision::Merge if self.awaits_decision() => Some(NominationStatus::Merged),
            Decision::LinkSample if self.takes_samples() => Some(NominationStatus::Sampled),
            _ => None,
        }
    }
}

impl fmt::Display for NominationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NominationStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NominationStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| format!("unknown nomination status {s:?}"))
    }
}

/// Letters of a tracking code: digits and capitals without 0/O, 1/I/L, so it can be read
/// out over the phone and typed from a slip.
const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// The length of a tracking code's random part: 31^10 ≈ 8 × 10^14 codes, so guessing one
/// under the public rate limit is hopeless.
pub const CODE_LEN: usize = 10;

/// A tracking code from `CODE_LEN` random bytes: `DJ` then 10 letters of [`ALPHABET`]
/// (点检, "nominate and test").
pub fn tracking_code(random: &[u8; CODE_LEN]) -> String {
    let mut s = String::from("DJ");
    for b in random {
        // 256 is not a multiple of 31; the slight bias does not matter for a code that
        // only needs to be unguessable within the rate limit.
        s.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    s
}

/// A tracking code as typed: spaces and dashes dropped, letters upper-cased. `None` if it
/// cannot be one.
pub fn parse_tracking_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let rest = s.strip_prefix("DJ")?;
    (rest.len() == CODE_LEN && rest.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// A resident's contact as given: a mainland mobile number (11 digits from 1) or an
/// e-mail address. Anything else is refused so that a contact is usable.
pub fn valid_contact(s: &str) -> bool {
    let s = s.trim();
    let phone = s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit());
    let email = s.len() <= 100
        && s.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !s.contains(char::is_whitespace)
                && s.matches('@').count() == 1
        });
    phone || email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_readable_alphabet_and_parse_back() {
        let code = tracking_code(&[0, 1, 30, 31, 255, 100, 7, 8, 9, 10]);
        assert_eq!(code.len(), 2 + CODE_LEN);
        assert!(code.starts_with("DJ"));
        assert!(!code[2..].contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(parse_tracking_code(&code), Some(code.clone()));
        let typed = format!(" {}-{} ", &code[..6].to_lowercase(), &code[6..]);
        assert_eq!(parse_tracking_code(&typed), Some(code.clone()));
        assert_eq!(parse_tracking_code("DJ123"), None);
        assert_eq!(parse_tracking_code("XX23456789AB"), None);
        assert_eq!(
            parse_tracking_code("DJ0000000000"),
            None,
            "0 is not in the alphabet"
        );
        assert_eq!(parse_tracking_code("<script>"), None);
    }

    #[test]
    fn statuses_round_trip_and_say_what_is_allowed() {
        for s in NominationStatus::ALL {
            assert_eq!(s.as_str().parse::<NominationStatus>(), Ok(s));
            assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
            assert_eq!(s.label(Lang::En), s.label_en());
            assert_eq!(s.label(Lang::Zh), s.label_zh());
        }
        assert!("planet".parse::<NominationStatus>().is_err());
        use NominationStatus as S;
        assert!(S::Received.awaits_decision());
        assert!(!S::Accepted.awaits_decision());
        assert!(S::Accepted.takes_samples() && S::Sampled.takes_samples());
        assert!(!S::Received.takes_samples() && !S::Declined.takes_samples());
        assert!(S::Received.open_for_support() && !S::Merged.open_for_support());
        assert!(!S::Declined.open_for_support());
    }

    #[test]
    fn decisions_move_a_nomination_only_from_the_states_that_allow_them() {
        use Decision as D;
        use NominationStatus as S;
        assert_eq!(S::Received.after(D::Accept), Some(S::Accepted));
        assert_eq!(S::Received.after(D::Decline), Some(S::Declined));
        assert_eq!(S::Received.after(D::Merge), Some(S::Merged));
        assert_eq!(S::Received.after(D::LinkSample), None);
        assert_eq!(S::Accepted.after(D::LinkSample), Some(S::Sampled));
        assert_eq!(S::Sampled.after(D::LinkSample), Some(S::Sampled));
        for d in [D::Accept, D::Decline, D::Merge] {
            for s in [S::Accepted, S::Sampled, S::Declined, S::Merged] {
                assert_eq!(s.after(d), None, "{s} {d:?}");
            }
        }
        assert_eq!(S::Declined.after(D::LinkSample), None);
        assert_eq!(S::Merged.after(D::LinkSample), None);
    }

    #[test]
    fn contacts_are_a_mobile_number_or_an_e_mail_address() {
        for ok in ["13912345678", "a@b.cn", "zhang.san@example.com.cn"] {
            assert!(valid_contact(ok), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "2391234567x",
            "a@b",
            "@b.cn",
            "a b@c.cn",
            "a@@b.cn",
            "<script>@x.cn x",
        ] {
            assert!(!valid_contact(bad), "{bad}");
        }
    }
}
