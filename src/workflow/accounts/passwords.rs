//! What makes a password acceptable: length, not only invisible characters, not the
//! username, not a common one.

use crate::error::Msg;

/// Characters that show nothing: whitespace, controls, and the format characters
/// (zero-width spaces and joiners, direction marks, fillers, variation selectors).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A password a person can choose: 10 to 256 characters, not only invisible ones, not
/// the username, and not one of the [`COMMON_PASSWORDS`] (ignoring case and the spaces
/// around it).
pub(super) fn check_password(p: &str, username: &str) -> Result<(), Msg> {
    let n = p.chars().count();
    if !(10..=256).contains(&n) {
        return Err(Msg::new(
            "密码长度应为10至256个字符",
            "must be 10 to 256 characters",
        ));
    }
    if p.chars().all(is_invisible) {
        return Err(Msg::new(
            "密码不能只由空格或不可见字符组成",
            "must not be only spaces or invisible characters",
        ));
    }
    let folded = p.trim().to_lowercase();
    if folded == username.trim().to_lowercase() {
        return Err(Msg::new("密码不能与用户名相同", "must not be the username"));
    }
    if COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(Msg::new(
            "这是常见密码，很容易被猜中，请换一个",
            "is a common password that is easy to guess; choose another",
        ));
    }
    Ok(())
}

/// Passwords of 10 characters or more that are among the most used, in China and
/// elsewhere (keyboard walks, repeated digits, "I love you" numbers, `admin`/`password`
/// with digits, pinyin). Lower case: a password is compared after trimming and
/// lower-casing.
pub const COMMON_PASSWORDS: &[&str] = &[
    "0000000000",
    "00000000000",
    "0123456789",
    "0987654321",
    "1111111111",
    "11111111111",
    "1122334455",
    "1234512345",
    "1234554321",
    "1234567890",
    "12345678900",
    "12345678910",
    "1234567890a",
    "1234567890q",
    "1234567890123",
    "123123123123",
    "123321123321",
    "123456123456",
    "123456654321",
    "123456789a",
    "123456789abc",
    "123456789q",
    "1314520520",
    "1357924680",
    "135792468a",
    "1472583690",
    "147258369a",
    "147852369a",
    "1597534862",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "1qaz!qaz1qaz",
    "1qaz2wsx3edc",
    "1qaz2wsx!@",
    "1qaz@wsx#edc",
    "1qazxsw23edc",
    "2222222222",
    "2468135790",
    "3141592653",
    "3333333333",
    "4444444444",
    "5201314520",
    "5555555555",
    "6666666666",
    "7777777777",
    "8888888888",
    "9876543210",
    "9999999999",
    "a1234567890",
    "a12345678910",
    "a123456789",
    "aa123456789",
    "aaaaaaaaaa",
    "abc1234567",
    "abc123456789",
    "abc@123456",
    "abcd1234!@#$",
    "abcd123456",
    "abcdefg123",
    "abcdefghij",
    "admin12345",
    "admin123456",
    "admin@12345",
    "admin@123456",
    "admin@2024",
    "admin@2025",
    "admin@2026",
    "administrator",
    "administrator1",
    "asd123456789",
    "asdfasdfasdf",
    "asdfghjkl1",
    "asdfghjkl;",
    "baidu123456",
    "baseball123",
    "batman12345",
    "beijing123",
    "beijing2008",
    "changeme123",
    "changeme1234",
    "china123456",
    "default123",
    "dragon12345",
    "football123",
    "guest123456",
    "huawei123456",
    "iloveyou123",
    "iloveyou1314",
    "letmein123",
    "lims123456",
    "lims@123456",
    "master12345",
    "monkey12345",
    "p@ssw0rd123",
    "p@ssword123",
    "pa$$word123",
    "passw0rd123",
    "password!@#",
    "password123",
    "password1234",
    "password12345",
    "password2024",
    "password2025",
    "password2026",
    "password@123",
    "princess123",
    "q1234567890",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "qazwsxedc123",
    "qazwsxedcrfv",
    "qq123456789",
    "qq1234567890",
    "qqqqqqqqqq",
    "qwe123456789",
    "qweasdzxc123",
    "qweqweqwe123",
    "qwer1234!@#$",
    "qwerasdfzxcv",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "root123456",
    "root@123456",
    "shanghai123",
    "sunshine123",
    "superman123",
    "tencent123",
    "test123456",
    "test@123456",
    "trustno1234",
    "user123456",
    "wangyi123456",
    "welcome123",
    "welcome1234",
    "welcome@123",
    "woaini1314",
    "woaini1314520",
    "woaini521521",
    "woaizhongguo",
    "xiaomi123456",
    "zaq12wsxcde3",
    "zaq1xsw2cde3",
    "zhongguo123",
    "zxc123456789",
    "zxcvbnm123",
    "zxcvbnm1234",
];
