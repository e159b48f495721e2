//! 你送我检: the verdict of a rapid screening test, stored as its key, shown as its word.

use super::rules::string_enum;

string_enum!(
    /// What a rapid screening test found.
    ScreeningVerdict { Negative = "negative", Positive = "positive", Suspicious = "suspicious" }
);

impl ScreeningVerdict {
    /// The verdict's word in Chinese, as the counter slip prints it.
    pub fn label_zh(self) -> &'static str {
        match self {
            ScreeningVerdict::Negative => "阴性",
            ScreeningVerdict::Positive => "阳性",
            ScreeningVerdict::Suspicious => "可疑",
        }
    }

    /// The verdict's word in English.
    pub fn label_en(self) -> &'static str {
        match self {
            ScreeningVerdict::Negative => "Negative",
            ScreeningVerdict::Positive => "Positive",
            ScreeningVerdict::Suspicious => "Suspicious",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_reads_back_from_its_key_and_has_words() {
        for v in ScreeningVerdict::ALL {
            assert_eq!(v.as_str().parse::<ScreeningVerdict>(), Ok(*v));
            assert!(!v.label_zh().is_empty() && !v.label_en().is_empty());
        }
        assert!("阴性".parse::<ScreeningVerdict>().is_err());
    }
}
