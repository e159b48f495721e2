//! Line breaking by glyph advances, shared by every renderer so PDF, ZPL and SVG wrap the
//! same words at the same places. Chinese breaks between any two characters, a Latin word
//! stays whole where it can, closing punctuation never starts a line, and text cut to fit
//! ends with "…".

use super::fonts::advance_em;

/// Tolerance for rounding in the width comparison, in em.
const EPS: f32 = 1e-4;
const ELLIPSIS: char = '…';

/// Characters that must not begin a line (Chinese typesetting rule 行首禁则).
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '》'
            | '」'
            | '』'
            | '】'
            | '〕'
            | '”'
            | '’'
            | '…'
            | '·'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
            | '%'
            | '％'
            | '℃'
    )
}

/// Characters that belong to a Latin word or number and should not be split.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '_' | '.' | '/' | '#' | '(' | ')' | 'μ' | 'µ' | '°' | '%' | '‰' | '^' | '²' | '³'
        )
}

/// The width in em of the widest word of `text` (a run of Latin letters, digits and the
/// characters that join them, such as "mg/100g"), which the wrap keeps whole.
pub(crate) fn longest_word_em(text: &str) -> f32 {
    let mut widest: f32 = 0.0;
    let mut run = 0.0;
    for c in text.chars() {
        if is_word(c) {
            run += advance_em(c);
            widest = widest.max(run);
        } else {
            run = 0.0;
        }
    }
    widest
}

/// Wraps `text` into at most `max_lines` lines no wider than `width_em` (in em of the
/// font size). Explicit `\n` starts a new line. When the text does not fit, the last line
/// ends with "…".
pub(crate) fn wrap(text: &str, width_em: f32, max_lines: usize) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut truncated = false;
    for paragraph in text.split('\n') {
        let chars: Vec<char> = paragraph.chars().filter(|c| !c.is_control()).collect();
        let widths: Vec<f32> = chars.iter().map(|&c| advance_em(c)).collect();
        if chars.is_empty() {
            lines.push(String::new());
        }
        let mut start = 0;
        while start < chars.len() {
            if lines.len() == max_lines {
                truncated = true;
                break;
            }
            let end = line_end(&chars, &widths, start, width_em);
            let line: String = chars[start..end].iter().collect();
            lines.push(line.trim_end().to_string());
            start = end;
            while start < chars.len() && chars[start] == ' ' {
                start += 1;
            }
        }
        if truncated {
            break;
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        truncated = true;
    }
    if truncated {
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(last, width_em);
        }
    }
    lines
}

/// Where the line starting at `start` ends (exclusive).
fn line_end(chars: &[char], widths: &[f32], start: usize, width_em: f32) -> usize {
    let mut used = 0.0;
    let mut end = start;
    while end < chars.len() && used + widths[end] <= width_em + EPS {
        used += widths[end];
        end += 1;
    }
    if end == chars.len() {
        return end;
    }
    if end == start {
        // A single glyph wider than the box: print it anyway rather than loop.
        return start + 1;
    }
    // Do not split a Latin word or number when there is an earlier break opportunity.
    if is_word(chars[end - 1]) && is_word(chars[end]) {
        if let Some(b) = (start + 1..end)
            .rev()
            .find(|&i| !is_word(chars[i - 1]) || !is_word(chars[i]))
        {
            end = b;
        }
    }
    // Closing punctuation may not start the next line: take one character down with it.
    if end < chars.len() && is_closing(chars[end]) && end - start > 1 {
        end -= 1;
    }
    end
}

/// `line` shortened so that it and a trailing "…" fit in `width_em`.
fn with_ellipsis(line: &str, width_em: f32) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    let room = width_em - advance_em(ELLIPSIS);
    while !chars.is_empty() && chars.iter().map(|&c| advance_em(c)).sum::<f32>() > room + EPS {
        chars.pop();
    }
    while chars.last() == Some(&' ') {
        chars.pop();
    }
    let mut out: String = chars.into_iter().collect();
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::text_width_em;

    #[test]
    fn short_text_stays_on_one_line() {
        assert_eq!(wrap("青海牦牛肉干", 10.0, 2), vec!["青海牦牛肉干"]);
    }

    #[test]
    fn chinese_wraps_by_advance_and_never_overflows() {
        let lines = wrap("青海牦牛肉干（五香味）青海牦牛肉干（五香味）", 7.0, 5);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width_em(l) <= 7.0 + EPS, "{l} too wide");
        }
        assert_eq!(
            lines.concat(),
            "青海牦牛肉干（五香味）青海牦牛肉干（五香味）"
        );
    }

    #[test]
    fn closing_punctuation_does_not_start_a_line() {
        // Six hanzi fit; the seventh character is a full-width closing parenthesis.
        let lines = wrap("青海牦牛肉干）味", 6.0, 3);
        assert!(!lines[1].starts_with('）'), "{lines:?}");
    }

    #[test]
    fn latin_words_are_kept_whole() {
        let lines = wrap("batch ABC123456 ok", 6.0, 4);
        assert!(
            lines
                .iter()
                .any(|l| l == "ABC123456" || l.starts_with("ABC123456")),
            "{lines:?}"
        );
    }

    #[test]
    fn text_cut_to_fit_ends_with_an_ellipsis() {
        let lines = wrap("青海牦牛肉干五香味青海牦牛肉干五香味", 5.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(text_width_em(&lines[1]) <= 5.0 + EPS);
        assert_eq!(lines[0], "青海牦牛肉");
    }

    #[test]
    fn explicit_newlines_start_new_lines() {
        assert_eq!(wrap("甲\n乙", 10.0, 3), vec!["甲", "乙"]);
    }
}
