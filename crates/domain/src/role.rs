//! The roles a user may hold, and a user's set of roles. Invariant: a `Roles` value is sorted in workflow order and holds each role at most once.
//!
//! The database stores a user's roles as one comma-separated string such as
//! `"sampler,admin"`; `Roles::parse_list` and `Roles::to_db_string` are the
//! only translation between that string and the type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// What a user may do in the lab. Declared in workflow order, from the
/// sampler in the field to the administrator; `Ord` follows that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 抽样人员: takes samples in the field and records them.
    Sampler,
    /// 样品管理员: receives, labels, stores and later discards portions.
    Custodian,
    /// 检验人员: enters results for assigned tests.
    Technician,
    /// 审核人员: reviews results entered by someone else.
    Reviewer,
    /// 授权签字人: approves and signs reports.
    Signatory,
    /// 监管人员: the regulator who reads results and follows up disposal cases.
    Supervisor,
    /// 系统管理员: manages users, the catalogue and the calendar.
    Admin,
}

impl Role {
    /// Every role, in workflow order.
    pub const ALL: [Role; 7] = [
        Role::Sampler,
        Role::Custodian,
        Role::Technician,
        Role::Reviewer,
        Role::Signatory,
        Role::Supervisor,
        Role::Admin,
    ];

    /// The word stored in the database and used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Sampler => "sampler",
            Role::Custodian => "custodian",
            Role::Technician => "technician",
            Role::Reviewer => "reviewer",
            Role::Signatory => "signatory",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Role::Sampler => "抽样人员",
            Role::Custodian => "样品管理员",
            Role::Technician => "检验人员",
            Role::Reviewer => "审核人员",
            Role::Signatory => "授权签字人",
            Role::Supervisor => "监管人员",
            Role::Admin => "系统管理员",
        }
    }

    pub const fn label_en(self) -> &'static str {
        match self {
            Role::Sampler => "Sampler",
            Role::Custodian => "Sample custodian",
            Role::Technician => "Technician",
            Role::Reviewer => "Reviewer",
            Role::Signatory => "Authorised signatory",
            Role::Supervisor => "Supervisor",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no role.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown role \"{0}\"")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    /// Accepts the stored word in any ASCII case, with surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(word))
            .ok_or_else(|| UnknownRole(word.to_owned()))
    }
}

/// The roles one user holds: sorted in workflow order, without repeats.
/// May be empty (a user whose roles were all withdrawn).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "Vec<Role>")]
pub struct Roles(Vec<Role>);

impl Roles {
    /// Parses the database form, e.g. `"admin,sampler"`. Spaces around words
    /// and empty pieces (`""`, `"admin,"`) are ignored; an unknown word is
    /// refused rather than dropped, so a typing error cannot remove a right
    /// silently.
    pub fn parse_list(s: &str) -> Result<Roles, UnknownRole> {
        s.split(',')
            .map(str::trim)
            .filter(|word| !word.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Role>, _>>()
            .map(Roles::from)
    }

    /// The roles given, sorted and without repeats.
    pub fn from_roles(roles: impl IntoIterator<Item = Role>) -> Roles {
        roles.into_iter().collect()
    }

    /// The database form: words in workflow order joined by commas, e.g.
    /// `"sampler,admin"`; the empty string for no roles.
    pub fn to_db_string(&self) -> String {
        self.0
            .iter()
            .map(|role| role.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// Whether the user holds at least one of `roles`; false for an empty
    /// slice.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has(*role))
    }

    /// The roles in workflow order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<Vec<Role>> for Roles {
    fn from(mut roles: Vec<Role>) -> Self {
        roles.sort_unstable();
        roles.dedup();
        Roles(roles)
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        Roles::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_db_string())
    }
}

/// Serialized as an array of role words, e.g. `["sampler","admin"]`.
impl Serialize for Roles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_word_round_trips() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
    }

    #[test]
    fn role_words_are_read_in_any_case() {
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert_eq!("SAMPLER".parse::<Role>(), Ok(Role::Sampler));
    }

    #[test]
    fn an_unknown_word_is_refused_with_the_word() {
        assert_eq!("boss".parse::<Role>(), Err(UnknownRole("boss".to_owned())));
        assert_eq!("".parse::<Role>(), Err(UnknownRole(String::new())));
    }

    #[test]
    fn all_lists_every_role_once_in_workflow_order() {
        let mut sorted = Role::ALL;
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
        let roles: Roles = Role::ALL.into_iter().collect();
        assert_eq!(roles.len(), 7);
        let reversed = Roles::from_roles(Role::ALL.into_iter().rev());
        assert_eq!(reversed, roles);
    }

    #[test]
    fn labels_match_the_lab_vocabulary() {
        let zh: Vec<&str> = Role::ALL.into_iter().map(Role::label_zh).collect();
        assert_eq!(
            zh,
            [
                "抽样人员",
                "样品管理员",
                "检验人员",
                "审核人员",
                "授权签字人",
                "监管人员",
                "系统管理员"
            ]
        );
        assert!(Role::ALL
            .into_iter()
            .all(|role| !role.label_en().is_empty()));
    }

    #[test]
    fn a_role_list_is_sorted_and_deduplicated() {
        let roles = Roles::parse_list("admin, sampler,admin").expect("valid list");
        assert_eq!(
            roles.iter().collect::<Vec<_>>(),
            vec![Role::Sampler, Role::Admin]
        );
        assert_eq!(roles.to_db_string(), "sampler,admin");
        assert_eq!(roles.to_string(), "sampler,admin");
    }

    #[test]
    fn the_db_string_round_trips() {
        let roles = Roles::parse_list("reviewer,technician,signatory").expect("valid list");
        assert_eq!(Roles::parse_list(&roles.to_db_string()), Ok(roles));
    }

    #[test]
    fn empty_pieces_are_ignored_and_an_empty_list_is_allowed() {
        let none = Roles::parse_list("").expect("empty list");
        assert!(none.is_empty());
        assert_eq!(none.to_db_string(), "");
        assert!(!none.has_any(&Role::ALL));
        let one = Roles::parse_list(",custodian,").expect("valid list");
        assert_eq!(one.iter().collect::<Vec<_>>(), vec![Role::Custodian]);
    }

    #[test]
    fn an_unknown_role_in_a_list_is_refused() {
        assert_eq!(
            Roles::parse_list("sampler,root"),
            Err(UnknownRole("root".to_owned()))
        );
    }

    #[test]
    fn has_and_has_any_check_membership() {
        let roles = Roles::parse_list("technician,reviewer").expect("valid list");
        assert!(roles.has(Role::Reviewer));
        assert!(!roles.has(Role::Signatory));
        assert!(roles.has_any(&[Role::Signatory, Role::Technician]));
        assert!(!roles.has_any(&[Role::Admin, Role::Supervisor]));
        assert!(!roles.has_any(&[]));
    }

    #[test]
    fn deserializing_an_array_normalises_it() {
        use serde::de::value::{Error as ValueError, SeqDeserializer};
        let words = vec!["admin", "sampler", "admin"];
        let roles = Roles::deserialize(SeqDeserializer::<_, ValueError>::new(words.into_iter()));
        assert_eq!(
            roles.ok().map(|r| r.to_db_string()),
            Some("sampler,admin".to_owned())
        );
        let bad = Roles::deserialize(SeqDeserializer::<_, ValueError>::new(
            vec!["root"].into_iter(),
        ));
        assert!(bad.is_err());
    }
}
