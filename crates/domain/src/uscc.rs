//! The Unified Social Credit Code (统一社会信用代码, GB 32100-2015) of a sampled entity. Invariant: a `Uscc` holds 18 upper-case characters from the standard's set with a correct check character.
//!
//! The GB 11714 organisation-code check digit inside positions 9–17 is not
//! enforced: its rule is not covered by the sources in
//! `docs/domain/identifiers.md`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// The 31 characters a code may use; each character's value is its index.
/// I, O, Z, S and V are never used.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// W_i = 3^(i−1) mod 31 for positions 1 to 17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

const LENGTH: usize = 18;

/// The value of an upper-case character, or `None` if the standard does not
/// use it.
fn value_of(ch: char) -> Option<u32> {
    // CHARSET is ASCII, so a byte index is a character index.
    CHARSET.find(ch).and_then(|i| u32::try_from(i).ok())
}

/// The check character for a weighted sum: value (31 − S mod 31) mod 31.
fn check_character_for_sum(sum: u32) -> char {
    let value = (31 - sum % 31) % 31;
    CHARSET
        .as_bytes()
        .get(value as usize)
        .map_or('0', |b| char::from(*b))
}

/// The check character (position 18) for the first 17 characters of a code,
/// or `None` if `first17` is not 17 characters from the standard's set.
/// Lower-case letters are accepted as their upper-case forms.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.chars().count() != WEIGHTS.len() {
        return None;
    }
    let mut sum = 0;
    for (ch, weight) in first17.chars().zip(WEIGHTS) {
        sum += value_of(ch.to_ascii_uppercase())? * weight;
    }
    Some(check_character_for_sum(sum))
}

/// Why a string is not a unified social credit code. Positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters, found {0}")]
    Length(usize),
    #[error("character {position} ('{ch}') is not allowed: only digits and upper-case letters other than I, O, Z, S and V")]
    Character { position: usize, ch: char },
    #[error("wrong check character: expected {expected}, found {found}")]
    CheckCharacter { expected: char, found: char },
}

impl UsccError {
    /// The same message for the Chinese user interface.
    pub fn message_zh(&self) -> String {
        match self {
            UsccError::Length(n) => format!("统一社会信用代码应为18位，实际为{n}位"),
            UsccError::Character { position, ch } => {
                format!("第{position}位字符“{ch}”不允许（只用数字和大写字母，不使用I、O、Z、S、V）")
            }
            UsccError::CheckCharacter { expected, found } => {
                format!("校验位错误：应为{expected}，实为{found}")
            }
        }
    }
}

/// A valid unified social credit code, stored in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Parses a code as typed: surrounding spaces are trimmed and lower-case
    /// letters accepted. Checks the length, then each of the first 17
    /// characters, then the check character, and reports the first rule
    /// broken. Any wrong character in position 18, even one outside the set
    /// such as the 'Z' of the standard's own example, is reported as a wrong
    /// check character, since that message says what it should be.
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let trimmed = input.trim();
        let length = trimmed.chars().count();
        if length != LENGTH {
            return Err(UsccError::Length(length));
        }
        let mut code: String = trimmed.chars().map(|ch| ch.to_ascii_uppercase()).collect();
        let Some(found) = code.pop() else {
            return Err(UsccError::Length(0));
        };
        let mut sum = 0;
        for ((i, ch), weight) in trimmed.chars().enumerate().zip(WEIGHTS) {
            let Some(value) = value_of(ch.to_ascii_uppercase()) else {
                return Err(UsccError::Character {
                    position: i + 1,
                    ch,
                });
            };
            sum += value * weight;
        }
        let expected = check_character_for_sum(sum);
        if found != expected {
            return Err(UsccError::CheckCharacter { expected, found });
        }
        code.push(found);
        Ok(Uscc(code))
    }

    /// The code in upper case, as printed on a business licence.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Uscc::parse(&value)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_three_modulo_31() {
        let mut weight = 1;
        for w in WEIGHTS {
            assert_eq!(w, weight);
            weight = weight * 3 % 31;
        }
    }

    #[test]
    fn made_up_enterprise_code_is_valid() {
        let code = Uscc::parse("91630104MA752K8R2Q").expect("valid");
        assert_eq!(code.as_str(), "91630104MA752K8R2Q");
        assert_eq!(code.to_string(), "91630104MA752K8R2Q");
        assert_eq!(check_character("91630104MA752K8R2"), Some('Q'));
    }

    #[test]
    fn wrong_check_character_names_the_expected_one() {
        assert_eq!(
            Uscc::parse("91630104MA752K8R2X"),
            Err(UsccError::CheckCharacter {
                expected: 'Q',
                found: 'X'
            })
        );
    }

    #[test]
    fn lower_case_and_surrounding_spaces_are_accepted() {
        let code = Uscc::parse("  91630104ma752k8r2q\t").expect("valid");
        assert_eq!(code.as_str(), "91630104MA752K8R2Q");
        assert_eq!(check_character("91630104ma752k8r2"), Some('Q'));
    }

    #[test]
    fn published_code_91512081ma62k0260e_is_valid() {
        assert!(Uscc::parse("91512081MA62K0260E").is_ok());
    }

    #[test]
    fn standard_example_91350100m000100y4z_is_invalid() {
        assert_eq!(
            Uscc::parse("91350100M000100Y4Z"),
            Err(UsccError::CheckCharacter {
                expected: '3',
                found: 'Z'
            })
        );
        assert_eq!(check_character("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn letters_i_o_z_s_v_are_refused() {
        for (letter, lower) in [('I', 'i'), ('O', 'o'), ('Z', 'z'), ('S', 's'), ('V', 'v')] {
            let code: String = format!("91630104M{letter}752K8R2Q");
            assert_eq!(
                Uscc::parse(&code),
                Err(UsccError::Character {
                    position: 10,
                    ch: letter
                }),
                "{code}"
            );
            let code: String = format!("91630104M{lower}752K8R2Q");
            assert_eq!(
                Uscc::parse(&code),
                Err(UsccError::Character {
                    position: 10,
                    ch: lower
                }),
                "{code}"
            );
        }
    }

    #[test]
    fn a_refused_letter_in_position_18_is_a_wrong_check_character() {
        for letter in ['I', 'O', 'Z', 'S', 'V'] {
            assert_eq!(
                Uscc::parse(&format!("91630104MA752K8R2{letter}")),
                Err(UsccError::CheckCharacter {
                    expected: 'Q',
                    found: letter
                })
            );
        }
    }

    #[test]
    fn other_characters_are_refused_with_their_position() {
        assert_eq!(
            Uscc::parse("91630104-A752K8R2Q"),
            Err(UsccError::Character {
                position: 9,
                ch: '-'
            })
        );
        assert_eq!(
            Uscc::parse("９1630104MA752K8R2Q"),
            Err(UsccError::Character {
                position: 1,
                ch: '９'
            })
        );
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert_eq!(Uscc::parse(""), Err(UsccError::Length(0)));
        assert_eq!(Uscc::parse("91630104MA752K8R2"), Err(UsccError::Length(17)));
        assert_eq!(
            Uscc::parse("91630104MA752K8R2QQ"),
            Err(UsccError::Length(19))
        );
        // Length is counted in characters, not bytes.
        assert_eq!(Uscc::parse("统一社会信用代码"), Err(UsccError::Length(8)));
    }

    #[test]
    fn check_character_needs_seventeen_valid_characters() {
        assert_eq!(check_character("91630104MA752K8R"), None);
        assert_eq!(check_character("91630104MA752K8R2Q"), None);
        assert_eq!(check_character("91630104MO752K8R2"), None);
    }

    #[test]
    fn a_sum_divisible_by_31_gives_check_character_zero() {
        // All zeros: S = 0, so (31 − 0) mod 31 = 0.
        assert_eq!(check_character("00000000000000000"), Some('0'));
        assert!(Uscc::parse("000000000000000000").is_ok());
    }

    #[test]
    fn every_generated_check_character_validates() {
        for ch in CHARSET.chars() {
            let body = format!("9163010{ch}MA752K8R2");
            let check = check_character(&body).expect("17 valid characters");
            assert!(
                Uscc::parse(&format!("{body}{check}")).is_ok(),
                "{body}{check}"
            );
        }
    }

    #[test]
    fn messages_exist_in_english_and_chinese() {
        assert_eq!(
            UsccError::Length(17).message_zh(),
            "统一社会信用代码应为18位，实际为17位"
        );
        assert_eq!(
            UsccError::CheckCharacter {
                expected: 'Q',
                found: 'X'
            }
            .message_zh(),
            "校验位错误：应为Q，实为X"
        );
        let err = UsccError::Character {
            position: 10,
            ch: 'O',
        };
        assert!(err.message_zh().starts_with("第10位字符“O”不允许"));
        assert!(err.to_string().contains("character 10 ('O')"));
    }

    #[test]
    fn deserializing_validates_the_code() {
        use serde::de::value::{Error as ValueError, StrDeserializer};
        let ok = Uscc::deserialize(StrDeserializer::<ValueError>::new("91630104ma752k8r2q"));
        assert_eq!(
            ok.ok().map(|c| c.to_string()),
            Some("91630104MA752K8R2Q".to_owned())
        );
        let bad = Uscc::deserialize(StrDeserializer::<ValueError>::new("91630104MA752K8R2X"));
        assert!(bad.is_err());
    }
}
