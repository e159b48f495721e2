//! Where a `next` parameter may send a browser after a login, a language switch or a
//! refusal: only to a path on this site.
//!
//! Invariant: a target is a path that starts with exactly one `/` followed by a
//! character other than `/` or `\`, and holds no control character; the same holds for
//! its percent-decoded forms (browsers drop tabs and newlines from URLs and treat `\`
//! as `/`, so `/\t/evil.example` would otherwise leave the site). Anything else is the
//! home page.

/// The safe redirect target for `next` (the home page when it is absent or unsafe).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

/// Whether `target`, and every percent-decoding of it, is a path on this site.
fn is_local_path(target: &str) -> bool {
    let mut current = target.to_string();
    // Each round decodes one more layer; four layers deep is not a real link.
    for _ in 0..4 {
        if !one_layer_is_local(&current) {
            return false;
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

fn one_layer_is_local(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next() == Some('/')
        && chars.next().is_some_and(|c| c != '/' && c != '\\')
        && !s.contains('\\')
        && !s.chars().any(char::is_control)
}

/// `%XX` decoded to bytes (invalid UTF-8 replaced); other text is kept.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_targets_go_home() {
        for bad in [
            "",
            "/",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/a\\b",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            " /samples",
            "/\t/evil.example",
            "/\n/evil.example",
            "/samples\r\nSet-Cookie: x=1",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%252F/evil.example",
            "/%25252525252F",
            "/\u{85}/evil.example",
            "/%C2%85/evil.example",
            "/\u{7f}",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        for good in [
            "/samples",
            "/samples?page=2&q=%E6%9F%90",
            "/samples/QH-2026-001#results",
            "/a/b//c",
            "/100%",
            "/%zz",
            "/某超市",
        ] {
            assert_eq!(safe_next(Some(good)), good, "{good:?}");
        }
    }
}
