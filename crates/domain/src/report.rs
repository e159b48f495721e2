//! What an inspection report says, in words: the limit as a person reads it, the
//! conclusion sentence in the domain's terms, and the verification code printed in the
//! report's QR code. Pure: no database, no clock.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::rules::Domain;

/// A limit as printed in a report's 标准指标 column (the unit has its own column):
/// "≤0.2", "≥3.0", "0.5～1.0", "不得检出", or a microbiological plan "n=5,c=2,m=100,M=1000".
pub fn limit_text(
    kind: &str,
    min: Option<&str>,
    max: Option<&str>,
    micro: Option<(i32, i32)>,
) -> String {
    let (min, max) = (min.unwrap_or(""), max.unwrap_or(""));
    if let (Some((n, c)), "max") = (micro, kind) {
        return format!("n={n},c={c},m={min},M={max}");
    }
    match kind {
        "max" => format!("≤{max}"),
        "min" => format!("≥{min}"),
        "range" => format!("{min}～{max}"),
        "not_detected" => "不得检出".to_string(),
        _ if !max.is_empty() => max.to_string(),
        _ => "—".to_string(),
    }
}

/// One failed item, for the conclusion sentence.
pub struct Failed<'a> {
    pub item: &'a str,
    pub standard: &'a str,
}

/// Distinct non-empty values in first-seen order, joined with "、".
pub fn join_distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values.into_iter().map(str::trim) {
        if !v.is_empty() && !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join("、")
}

/// The conclusion sentence (rules.md §d.1): "经抽样检验，所检项目符合 GB 2762-2022 要求，
/// 检验结论为合格。" or, naming the failed items and their standards, "…不符合…要求，检验结论为
/// 不合格。" The terms come from the rule profile (合格 / 符合规定 …).
pub fn conclusion_sentence(
    pass_term: &str,
    fail_term: &str,
    basis: &str,
    failed: &[Failed<'_>],
) -> String {
    if failed.is_empty() {
        let basis = if basis.is_empty() {
            String::new()
        } else {
            format!("{basis} ")
        };
        return format!("经抽样检验，所检项目符合 {basis}要求，检验结论为{pass_term}。");
    }
    let items = join_distinct(failed.iter().map(|f| f.item));
    let standards = join_distinct(failed.iter().map(|f| f.standard));
    let standards = if standards.is_empty() {
        String::new()
    } else {
        format!(" {standards} ")
    };
    format!("经抽样检验，{items}项目不符合{standards}要求，检验结论为{fail_term}。")
}

/// The finding of a risk-monitoring report, which gives no 合格/不合格 conclusion and no
/// re-examination rights: "经检验，所检项目中 2 项（铅(以Pb计)、镉(以Cd计)）发现问题，超出
/// GB 2762-2022 限量。" or "经检验，所检项目未发现问题。"
pub fn risk_monitoring_sentence(failed: &[Failed<'_>]) -> String {
    if failed.is_empty() {
        return "经检验，所检项目未发现问题。".to_string();
    }
    let items = join_distinct(failed.iter().map(|f| f.item));
    let n = items.split('、').count();
    let standards = join_distinct(failed.iter().map(|f| f.standard));
    if standards.is_empty() {
        format!("经检验，所检项目中 {n} 项（{items}）发现问题。")
    } else {
        format!("经检验，所检项目中 {n} 项（{items}）发现问题，超出 {standards} 限量。")
    }
}

/// Bytes of the HMAC kept in a verification code: 12 bytes = 96 bits (at least 80 are
/// asked for), 20 characters of base32.
const CODE_BYTES: usize = 12;
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

fn mac(key: &[u8], report_no: &str, body_sha256: &str) -> Option<Hmac<Sha256>> {
    // HMAC takes keys of any length, so this never fails. Length-prefixed fields under a
    // purpose label, so no other HMAC made with the same server secret (cookies, CSRF
    // tokens) can be replayed as a verification code.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    m.update(b"lims report verification v1\0");
    for field in [report_no, body_sha256] {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field.as_bytes());
    }
    Some(m)
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = BASE32.iter().position(|&x| x == c.to_ascii_lowercase())? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The verification code of a report: an HMAC-SHA256 under the server secret of the
/// report number and the SHA-256 of the report's PDF as rendered without its QR code
/// (the code cannot cover the bytes of the PDF that prints it), cut to 96 bits.
pub fn verification_code(key: &[u8], report_no: &str, body_sha256: &str) -> String {
    match mac(key, report_no, body_sha256) {
        Some(m) => base32(&m.finalize().into_bytes()[..CODE_BYTES]),
        None => String::new(),
    }
}

/// Whether `code` is the report's verification code, compared in constant time.
pub fn code_matches(key: &[u8], report_no: &str, body_sha256: &str, code: &str) -> bool {
    let code = code.trim();
    if code.len() != (CODE_BYTES * 8).div_ceil(5) {
        return false;
    }
    match (unbase32(code), mac(key, report_no, body_sha256)) {
        // Canonical spelling only: the last character's spare bits must be zero, or two
        // codes differing in one character would both verify.
        (Some(bytes), Some(m))
            if bytes.len() == CODE_BYTES && base32(&bytes) == code.to_ascii_lowercase() =>
        {
            m.verify_truncated_left(&bytes).is_ok()
        }
        _ => false,
    }
}

/// The entity's duties after a non-compliant conclusion (rules.md §e.1, FSSM Ch. 6).
pub fn entity_duties(domain: Domain) -> Vec<String> {
    match domain {
        Domain::Food => vec![
            "立即封存库存的不合格食品，暂停生产、经营不合格食品。".into(),
            "通知相关生产经营者和消费者，召回已经上市销售的不合格食品，并记录召回和通知情况。"
                .into(),
            "查明不合格原因，进行整改。".into(),
            "及时向所在地市场监督管理部门报告处置情况。".into(),
            "配合市场监督管理部门的调查处理，不得拒绝、逃避。".into(),
        ],
        _ => vec![
            "立即暂停销售、使用不合格产品，控制风险。".into(),
            "查明原因，依法召回并整改，向所在地监督管理部门报告处置情况。".into(),
            "配合监督管理部门的调查处理，不得拒绝、逃避。".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a server secret";
    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn the_code_has_96_bits_and_verifies_only_for_its_report_and_content() {
        let code = verification_code(KEY, "QHJ2026000001", HASH);
        assert_eq!(code.len(), 20);
        assert!(code.bytes().all(|b| BASE32.contains(&b)));
        assert!(code_matches(KEY, "QHJ2026000001", HASH, &code));
        assert!(code_matches(
            KEY,
            "QHJ2026000001",
            HASH,
            &code.to_ascii_uppercase()
        ));
        assert!(!code_matches(KEY, "QHJ2026000002", HASH, &code));
        assert!(!code_matches(
            KEY,
            "QHJ2026000001",
            &HASH.replace('9', "8"),
            &code
        ));
        assert!(!code_matches(
            b"another secret",
            "QHJ2026000001",
            HASH,
            &code
        ));
        // Every single-character change is refused.
        for i in 0..code.len() {
            for c in BASE32.iter().map(|&b| b as char) {
                let mut changed: Vec<char> = code.chars().collect();
                if changed[i] == c {
                    continue;
                }
                changed[i] = c;
                let changed: String = changed.into_iter().collect();
                assert!(
                    !code_matches(KEY, "QHJ2026000001", HASH, &changed),
                    "{changed}"
                );
            }
        }
        for bad in ["", "short", "!!!!!!!!!!!!!!!!!!!!", &format!("{code}a")] {
            assert!(!code_matches(KEY, "QHJ2026000001", HASH, bad), "{bad}");
        }
    }

    #[test]
    fn base32_round_trips() {
        for n in 0..20u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            let s = base32(&bytes);
            let back = unbase32(&s).expect("decodes");
            assert_eq!(&back[..bytes.len()], &bytes[..], "{s}");
        }
    }

    #[test]
    fn limits_read_as_a_person_reads_them() {
        assert_eq!(limit_text("max", None, Some("0.2"), None), "≤0.2");
        assert_eq!(limit_text("min", Some("3.0"), None, None), "≥3.0");
        assert_eq!(
            limit_text("range", Some("0.5"), Some("1.0"), None),
            "0.5～1.0"
        );
        assert_eq!(limit_text("not_detected", None, None, None), "不得检出");
        assert_eq!(
            limit_text("max", Some("100"), Some("1000"), Some((5, 2))),
            "n=5,c=2,m=100,M=1000"
        );
        assert_eq!(limit_text("qualitative", None, Some("阴性"), None), "阴性");
    }

    #[test]
    fn a_risk_monitoring_finding_names_problems_and_never_a_conclusion_term() {
        assert_eq!(
            risk_monitoring_sentence(&[]),
            "经检验，所检项目未发现问题。"
        );
        let failed = [
            Failed {
                item: "铅(以Pb计)",
                standard: "GB 2762-2022",
            },
            Failed {
                item: "镉(以Cd计)",
                standard: "GB 2762-2022",
            },
        ];
        let s = risk_monitoring_sentence(&failed);
        assert_eq!(
            s,
            "经检验，所检项目中 2 项（铅(以Pb计)、镉(以Cd计)）发现问题，超出 GB 2762-2022 限量。"
        );
        for term in ["合格", "符合规定", "结论"] {
            assert!(!s.contains(term), "{s}");
        }
    }

    #[test]
    fn conclusions_use_the_domain_terms_and_name_the_failed_items() {
        assert_eq!(
            conclusion_sentence("合格", "不合格", "GB 2762-2022、GB 2760-2024", &[]),
            "经抽样检验，所检项目符合 GB 2762-2022、GB 2760-2024 要求，检验结论为合格。"
        );
        let failed = [
            Failed {
                item: "苯甲酸及其钠盐(以苯甲酸计)",
                standard: "GB 2760-2024",
            },
            Failed {
                item: "山梨酸及其钾盐(以山梨酸计)",
                standard: "GB 2760-2024",
            },
        ];
        assert_eq!(
            conclusion_sentence("符合规定", "不符合规定", "x", &failed),
            "经抽样检验，苯甲酸及其钠盐(以苯甲酸计)、山梨酸及其钾盐(以山梨酸计)项目不符合 GB 2760-2024 要求，检验结论为不符合规定。"
        );
    }
}
