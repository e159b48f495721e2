//! The accounts' pure checks: passwords a person may choose, the client kept of a login.

use super::passwords::{check_password, COMMON_PASSWORDS};
use super::sessions::client_text;
use super::CLIENT_MAX_CHARS;

#[test]
fn the_common_password_list_is_lower_case_unique_and_long_enough_to_matter() {
    let mut seen = std::collections::BTreeSet::new();
    for p in COMMON_PASSWORDS {
        assert_eq!(*p, p.trim().to_lowercase(), "{p}");
        assert!(p.chars().count() >= 10, "{p} is refused by length already");
        assert!(seen.insert(*p), "{p} twice");
    }
    assert!((100..=200).contains(&COMMON_PASSWORDS.len()));
}

#[test]
fn passwords_of_invisible_characters_common_ones_and_the_username_are_refused() {
    for p in [
        "          ",
        "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{00ad}\u{3000}\u{3164}\u{2800}\u{180e}",
        "\t\n\r \u{00a0}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}",
        "QwertyUiop",
        " password123 ",
        "Zhang.San.01",
    ] {
        assert!(check_password(p, "zhang.san.01").is_err(), "{p:?}");
    }
    for p in [
        "correct horse battery",
        "demo-0123456789abcdef01",
        "密码是十个汉字组成的吧",
    ] {
        assert!(check_password(p, "zhang.san.01").is_ok(), "{p:?}");
    }
}

#[test]
fn a_client_is_kept_without_control_characters_and_cut_short() {
    assert_eq!(client_text(Some("  ")), None);
    assert_eq!(client_text(Some("a\u{7}b\nc")).as_deref(), Some("abc"));
    assert_eq!(
        client_text(Some(&"x".repeat(500))).map(|c| c.chars().count()),
        Some(CLIENT_MAX_CHARS)
    );
}
