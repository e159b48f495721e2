//! Format checks for the licence numbers printed on a sampled entity's permits (食品生产/食品经营/药品生产许可证). Invariant: only a number that claims the SC or JY format and breaks it is refused; every other oddity is at most a warning.
//!
//! Formats follow `docs/domain/identifiers.md` §3–5. The check digits of SC
//! and JY numbers are not validated: their algorithm is not published. Input
//! is trimmed; an empty string is "not given", which is neither an error nor a
//! warning here (whether a licence is required is the caller's rule).
//! Messages are Chinese because they are shown next to the form field.

use serde::Serialize;

/// Which licence format a number matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceCheck {
    /// 食品生产许可证: `SC` + 1 or 2 (food or food additive) + 13 digits.
    FoodProduction,
    /// 食品经营许可证: `JY` + 14 digits.
    FoodBusiness,
    /// 药品生产许可证: province abbreviation, upper-case category letters,
    /// lower-case product letters, 8 digits (e.g. `鄂Ha20050005`).
    DrugProduction,
    /// The food production licence before 2015: `QS` + 12 digits.
    LegacyQs,
    /// None of the formats above.
    Unknown,
}

impl LicenceCheck {
    pub const fn as_str(self) -> &'static str {
        match self {
            LicenceCheck::FoodProduction => "food_production",
            LicenceCheck::FoodBusiness => "food_business",
            LicenceCheck::DrugProduction => "drug_production",
            LicenceCheck::LegacyQs => "legacy_qs",
            LicenceCheck::Unknown => "unknown",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            LicenceCheck::FoodProduction => "食品生产许可证",
            LicenceCheck::FoodBusiness => "食品经营许可证",
            LicenceCheck::DrugProduction => "药品生产许可证",
            LicenceCheck::LegacyQs => "QS食品生产许可证（旧版）",
            LicenceCheck::Unknown => "未识别的编号",
        }
    }
}

const SC_ERROR: &str =
    "食品生产许可证编号应为“SC”加14位数字，且第1位数字为1（食品）或2（食品添加剂）";
const JY_ERROR: &str = "食品经营许可证编号应为“JY”加14位数字";
const DRUG_WARNING: &str =
    "药品生产许可证编号格式不符（应为省份简称、大写字母、小写字母、8位数字，如“鄂Ha20050005”），请核对";
const QS_WARNING: &str = "QS编号为2015年前的旧版食品生产许可证编号，请核对是否已换发SC证书";
const UNKNOWN_WARNING: &str = "许可证编号不是SC、JY、QS或药品生产许可证的格式，请核对";

/// Which format `no` matches (after trimming).
pub fn check_licence(no: &str) -> LicenceCheck {
    let no = no.trim();
    if is_food_production(no) {
        LicenceCheck::FoodProduction
    } else if is_food_business(no) {
        LicenceCheck::FoodBusiness
    } else if is_legacy_qs(no) {
        LicenceCheck::LegacyQs
    } else if is_drug_production(no) {
        LicenceCheck::DrugProduction
    } else {
        LicenceCheck::Unknown
    }
}

/// A hard error for a number that starts with `SC` or `JY` but does not
/// match `^SC[12]\d{13}$` or `^JY\d{14}$`; `None` for anything else.
pub fn licence_error(no: &str) -> Option<&'static str> {
    let no = no.trim();
    if no.starts_with("SC") && !is_food_production(no) {
        Some(SC_ERROR)
    } else if no.starts_with("JY") && !is_food_business(no) {
        Some(JY_ERROR)
    } else {
        None
    }
}

/// A warning that never blocks saving: a legacy QS number, a number that
/// starts with a Chinese character but misses the drug production format, or
/// a number of no known format. `None` for a recognised modern number, for an
/// empty string, and where `licence_error` already applies.
pub fn licence_warning(no: &str) -> Option<&'static str> {
    let no = no.trim();
    if no.is_empty() || licence_error(no).is_some() {
        return None;
    }
    match check_licence(no) {
        LicenceCheck::FoodProduction
        | LicenceCheck::FoodBusiness
        | LicenceCheck::DrugProduction => None,
        LicenceCheck::LegacyQs => Some(QS_WARNING),
        LicenceCheck::Unknown if no.chars().next().is_some_and(is_cjk) => Some(DRUG_WARNING),
        LicenceCheck::Unknown => Some(UNKNOWN_WARNING),
    }
}

fn all_ascii_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `^SC[12]\d{13}$`
fn is_food_production(no: &str) -> bool {
    no.strip_prefix("SC").is_some_and(|rest| {
        rest.len() == 14 && rest.starts_with(['1', '2']) && all_ascii_digits(rest)
    })
}

/// `^JY\d{14}$`
fn is_food_business(no: &str) -> bool {
    no.strip_prefix("JY")
        .is_some_and(|rest| rest.len() == 14 && all_ascii_digits(rest))
}

/// `^QS\d{12}$`
fn is_legacy_qs(no: &str) -> bool {
    no.strip_prefix("QS")
        .is_some_and(|rest| rest.len() == 12 && all_ascii_digits(rest))
}

/// `[\u4e00-\u9fa5]`: the CJK unified ideographs a province abbreviation uses.
fn is_cjk(ch: char) -> bool {
    ('\u{4e00}'..='\u{9fa5}').contains(&ch)
}

/// `^[\u4e00-\u9fa5][A-Z]{1,4}[a-z]{1,6}\d{8}$`. The three letter and digit
/// runs use disjoint classes, so counting each run greedily matches exactly
/// what the regex matches.
fn is_drug_production(no: &str) -> bool {
    let mut chars = no.chars();
    if !chars.next().is_some_and(is_cjk) {
        return false;
    }
    let rest = chars.as_str();
    let upper = rest.bytes().take_while(u8::is_ascii_uppercase).count();
    let rest = &rest[upper..];
    let lower = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    let rest = &rest[lower..];
    (1..=4).contains(&upper)
        && (1..=6).contains(&lower)
        && rest.len() == 8
        && all_ascii_digits(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn food_production_numbers_are_recognised() {
        assert_eq!(
            check_licence("SC10663010400015"),
            LicenceCheck::FoodProduction
        );
        assert_eq!(
            check_licence("SC20163010400015"),
            LicenceCheck::FoodProduction
        );
        assert_eq!(
            check_licence(" SC10663010400015 "),
            LicenceCheck::FoodProduction
        );
        assert_eq!(licence_error("SC10663010400015"), None);
        assert_eq!(licence_warning("SC10663010400015"), None);
    }

    #[test]
    fn malformed_sc_numbers_are_hard_errors() {
        for bad in [
            "SC",
            "SC1066301040001",   // 13 digits
            "SC106630104000155", // 15 digits
            "SC30663010400015",  // first digit neither 1 nor 2
            "SC1066301040001X",
            "SC１0663010400015", // full-width digit
        ] {
            assert_eq!(check_licence(bad), LicenceCheck::Unknown, "{bad}");
            assert_eq!(licence_error(bad), Some(SC_ERROR), "{bad}");
            assert_eq!(licence_warning(bad), None, "{bad}");
        }
    }

    #[test]
    fn food_business_numbers_are_recognised() {
        assert_eq!(
            check_licence("JY16301040000123"),
            LicenceCheck::FoodBusiness
        );
        assert_eq!(licence_error("JY16301040000123"), None);
        assert_eq!(licence_warning("JY16301040000123"), None);
    }

    #[test]
    fn malformed_jy_numbers_are_hard_errors() {
        for bad in [
            "JY",
            "JY1630104000012",
            "JY163010400001234",
            "JY1630104000012A",
        ] {
            assert_eq!(check_licence(bad), LicenceCheck::Unknown, "{bad}");
            assert_eq!(licence_error(bad), Some(JY_ERROR), "{bad}");
        }
    }

    #[test]
    fn drug_production_numbers_are_recognised() {
        assert_eq!(check_licence("鄂Ha20050005"), LicenceCheck::DrugProduction);
        assert_eq!(
            check_licence("青ABhz20200001"),
            LicenceCheck::DrugProduction
        );
        assert_eq!(licence_error("鄂Ha20050005"), None);
        assert_eq!(licence_warning("鄂Ha20050005"), None);
    }

    #[test]
    fn malformed_drug_numbers_are_only_warnings() {
        for odd in [
            "鄂ha20050005",       // no upper-case letter
            "鄂H20050005",        // no lower-case letter
            "鄂ABCDEa20050005",   // five upper-case letters
            "鄂Habcdefg20050005", // seven lower-case letters
            "鄂Ha2005000",        // 7 digits
            "鄂Ha200500051",      // 9 digits
            "鄂aH20050005",       // letters in the wrong order
        ] {
            assert_eq!(check_licence(odd), LicenceCheck::Unknown, "{odd}");
            assert_eq!(licence_error(odd), None, "{odd}");
            assert_eq!(licence_warning(odd), Some(DRUG_WARNING), "{odd}");
        }
    }

    #[test]
    fn legacy_qs_numbers_are_recognised_with_a_warning() {
        assert_eq!(check_licence("QS630101010001"), LicenceCheck::LegacyQs);
        assert_eq!(licence_error("QS630101010001"), None);
        assert_eq!(licence_warning("QS630101010001"), Some(QS_WARNING));
        assert_eq!(check_licence("QS63010101000"), LicenceCheck::Unknown);
    }

    #[test]
    fn other_strings_are_accepted_with_a_warning() {
        for other in ["sc10663010400015", "123456", "XK16-204-00001", "QS6301"] {
            assert_eq!(check_licence(other), LicenceCheck::Unknown, "{other}");
            assert_eq!(licence_error(other), None, "{other}");
            assert_eq!(licence_warning(other), Some(UNKNOWN_WARNING), "{other}");
        }
    }

    #[test]
    fn an_empty_number_is_neither_error_nor_warning() {
        assert_eq!(check_licence("  "), LicenceCheck::Unknown);
        assert_eq!(licence_error("  "), None);
        assert_eq!(licence_warning("  "), None);
    }

    #[test]
    fn every_kind_has_a_code_and_a_label() {
        for kind in [
            LicenceCheck::FoodProduction,
            LicenceCheck::FoodBusiness,
            LicenceCheck::DrugProduction,
            LicenceCheck::LegacyQs,
            LicenceCheck::Unknown,
        ] {
            assert!(!kind.as_str().is_empty());
            assert!(!kind.label_zh().is_empty());
        }
    }
}
