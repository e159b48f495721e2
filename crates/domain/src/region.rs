//! Administrative region codes (行政区划代码, GB/T 2260) and the regional scope of a user. Invariant: a `RegionCode` is exactly 6 ASCII digits, and a region contains a code exactly when the code starts with the region's `like_prefix`.
//!
//! A code ending in `0000` is a province, one ending in `00` a prefecture
//! (市/州), and any other a county-level area (区/县/县级市/行委). County-level
//! areas are placed under the prefecture that shares their first four digits,
//! so 632857 大柴旦行委 lies in 632800 海西州.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// The level of government a region code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    /// 省级: `XX0000`.
    Province,
    /// 地级 (市、州): `XXXX00`.
    Prefecture,
    /// 县级 (区、县、县级市、行委): any other code.
    County,
}

impl RegionLevel {
    pub const fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::Prefecture => "prefecture",
            RegionLevel::County => "county",
        }
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A region level other than `province`, `prefecture` or `county`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown region level \"{0}\": expected province, prefecture or county")]
pub struct UnknownRegionLevel(pub String);

impl FromStr for RegionLevel {
    type Err = UnknownRegionLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "province" => Ok(RegionLevel::Province),
            "prefecture" => Ok(RegionLevel::Prefecture),
            "county" => Ok(RegionLevel::County),
            other => Err(UnknownRegionLevel(other.to_owned())),
        }
    }
}

/// A string that is not 6 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a region code is 6 digits (GB/T 2260), found \"{input}\"")]
pub struct RegionCodeError {
    pub input: String,
}

impl RegionCodeError {
    /// The same message for the Chinese user interface.
    pub fn message_zh(&self) -> String {
        format!("行政区划代码应为6位数字，实为“{}”", self.input)
    }
}

/// A 6-digit administrative region code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Accepts exactly 6 ASCII digits, after trimming surrounding spaces.
    /// Whether the code exists in the region table is the caller's check.
    pub fn parse(input: &str) -> Result<RegionCode, RegionCodeError> {
        let trimmed = input.trim();
        if trimmed.len() == 6 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(RegionCode(trimmed.to_owned()))
        } else {
            Err(RegionCodeError {
                input: input.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        if self.0.ends_with("0000") {
            RegionLevel::Province
        } else if self.0.ends_with("00") {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }

    /// Whether `other` is this region or lies inside it: a province contains
    /// every code with its first 2 digits, a prefecture every code with its
    /// first 4 digits, a county only itself.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }

    /// The region at `level` that holds this one: 630102 → 630100 (prefecture) → 630000
    /// (province). A level below this code's own gives the code itself.
    pub fn ancestor(&self, level: RegionLevel) -> RegionCode {
        let keep = match level {
            RegionLevel::Province => 2,
            RegionLevel::Prefecture => 4,
            RegionLevel::County => 6,
        };
        if level >= self.level() {
            return self.clone();
        }
        let head = self.0.get(..keep).unwrap_or(&self.0);
        RegionCode(format!("{head:0<6}"))
    }

    /// The level one below this one (a county has none).
    pub fn child_level(&self) -> Option<RegionLevel> {
        match self.level() {
            RegionLevel::Province => Some(RegionLevel::Prefecture),
            RegionLevel::Prefecture => Some(RegionLevel::County),
            RegionLevel::County => None,
        }
    }

    /// The prefix for SQL `LIKE '<prefix>%'` selecting this region and
    /// everything below it: "63" for 630000, "6301" for 630100, "630102" for
    /// 630102. Digits hold no `LIKE` wildcards, so it needs no escaping.
    pub fn like_prefix(&self) -> String {
        self.prefix().to_owned()
    }

    /// The digits every code inside this region starts with.
    fn prefix(&self) -> &str {
        let digits = match self.level() {
            RegionLevel::Province => 2,
            RegionLevel::Prefecture => 4,
            RegionLevel::County => 6,
        };
        // The code is 6 ASCII digits, so every byte index is a char boundary.
        self.0.get(..digits).unwrap_or(&self.0)
    }
}

/// Whether a user whose scope is `scope` may see `code`. `None` is the whole
/// province, which covers every code.
pub fn scope_covers(scope: Option<&RegionCode>, code: &RegionCode) -> bool {
    scope.is_none_or(|region| region.contains(code))
}

/// Whether a user scoped to `scope` works in region `code`: the region lies inside the
/// scope, or contains it (a provincial plan is worked by county officers).
pub fn scope_overlaps(scope: Option<&RegionCode>, code: &RegionCode) -> bool {
    scope.is_none_or(|region| region.contains(code) || code.contains(region))
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RegionCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&value)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The market-regulation bureau of a region by its name, e.g. 西宁市 → 西宁市市场监督管理局:
/// the organiser printed on sampling forms, reports and notices.
pub fn bureau_name(region_name: &str) -> String {
    format!("{region_name}市场监督管理局")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).expect("valid test code")
    }

    #[test]
    fn ancestors_roll_up_county_to_province() {
        assert_eq!(
            code("630102").ancestor(RegionLevel::Prefecture),
            code("630100")
        );
        assert_eq!(
            code("630102").ancestor(RegionLevel::Province),
            code("630000")
        );
        assert_eq!(code("630102").ancestor(RegionLevel::County), code("630102"));
        assert_eq!(code("630100").ancestor(RegionLevel::County), code("630100"));
        assert_eq!(
            code("632801").ancestor(RegionLevel::Prefecture),
            code("632800")
        );
        assert_eq!(code("630000").child_level(), Some(RegionLevel::Prefecture));
        assert_eq!(code("630100").child_level(), Some(RegionLevel::County));
        assert_eq!(code("630102").child_level(), None);
    }

    #[test]
    fn parse_accepts_exactly_six_ascii_digits() {
        assert_eq!(code("630102").as_str(), "630102");
        assert_eq!(code(" 630102 ").as_str(), "630102");
        for bad in [
            "",
            "63010",
            "6301020",
            "63010a",
            "６３０１０２",
            "63 102",
            "-63010",
        ] {
            assert_eq!(
                RegionCode::parse(bad),
                Err(RegionCodeError {
                    input: bad.to_owned()
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn level_follows_the_trailing_zeros() {
        assert_eq!(code("630000").level(), RegionLevel::Province);
        assert_eq!(code("630100").level(), RegionLevel::Prefecture);
        assert_eq!(code("632800").level(), RegionLevel::Prefecture);
        assert_eq!(code("630102").level(), RegionLevel::County);
        assert_eq!(code("632857").level(), RegionLevel::County);
    }

    #[test]
    fn da_qaidam_632857_lies_in_haixi_632800() {
        assert!(code("632800").contains(&code("632857")));
        assert!(code("630000").contains(&code("632857")));
        assert!(!code("630100").contains(&code("632857")));
    }

    #[test]
    fn chengzhong_630102_is_not_in_haidong_630200() {
        assert!(!code("630200").contains(&code("630102")));
        assert!(code("630100").contains(&code("630102")));
    }

    #[test]
    fn a_region_contains_itself_and_a_county_only_itself() {
        for c in ["630000", "630100", "630102"] {
            assert!(code(c).contains(&code(c)), "{c}");
        }
        assert!(!code("630102").contains(&code("630103")));
        assert!(!code("630102").contains(&code("630100")));
        assert!(!code("630100").contains(&code("630000")));
    }

    #[test]
    fn a_province_does_not_contain_another_province() {
        assert!(!code("630000").contains(&code("620102")));
        assert!(!code("630000").contains(&code("640000")));
    }

    #[test]
    fn like_prefix_selects_the_region_and_below() {
        assert_eq!(code("630000").like_prefix(), "63");
        assert_eq!(code("630100").like_prefix(), "6301");
        assert_eq!(code("630102").like_prefix(), "630102");
    }

    #[test]
    fn a_scope_overlaps_regions_above_and_below_it_only() {
        let xining = RegionCode::parse("630100").unwrap();
        let chengxi = RegionCode::parse("630104").unwrap();
        let province = RegionCode::parse("630000").unwrap();
        let haidong = RegionCode::parse("630200").unwrap();
        assert!(scope_overlaps(Some(&xining), &chengxi));
        assert!(scope_overlaps(Some(&xining), &province));
        assert!(!scope_overlaps(Some(&xining), &haidong));
        assert!(scope_overlaps(None, &haidong));
    }

    #[test]
    fn no_scope_covers_the_whole_province() {
        assert!(scope_covers(None, &code("632857")));
        assert!(scope_covers(Some(&code("632800")), &code("632857")));
        assert!(!scope_covers(Some(&code("630100")), &code("632857")));
    }

    #[test]
    fn level_words_round_trip() {
        for level in [
            RegionLevel::Province,
            RegionLevel::Prefecture,
            RegionLevel::County,
        ] {
            assert_eq!(level.as_str().parse::<RegionLevel>(), Ok(level));
            assert_eq!(level.to_string(), level.as_str());
        }
        assert_eq!(
            "city".parse::<RegionLevel>(),
            Err(UnknownRegionLevel("city".to_owned()))
        );
    }

    #[test]
    fn deserializing_validates_the_code() {
        use serde::de::value::{Error as ValueError, StrDeserializer};
        let ok = RegionCode::deserialize(StrDeserializer::<ValueError>::new("632857"));
        assert_eq!(ok.ok(), Some(code("632857")));
        let bad = RegionCode::deserialize(StrDeserializer::<ValueError>::new("6328"));
        assert!(bad.is_err());
        let level = RegionLevel::deserialize(StrDeserializer::<ValueError>::new("prefecture"));
        assert_eq!(level.ok(), Some(RegionLevel::Prefecture));
    }

    #[test]
    fn error_messages_name_the_input() {
        let err = RegionCode::parse("63a").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "a region code is 6 digits (GB/T 2260), found \"63a\""
        );
        assert_eq!(err.message_zh(), "行政区划代码应为6位数字，实为“63a”");
    }
}
