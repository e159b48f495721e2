//! SVG preview of one label for the sample page, in mm through its viewBox. Invariant:
//! every piece of sample data is XML-escaped, so a product name cannot inject markup.

use std::fmt::Write as _;

use super::fonts::{FONT_FAMILY, MM_PER_PT};
use super::labels::{pieces, Label, LabelTemplate, Piece};
use super::qr::{QrMatrix, QUIET_ZONE};
use super::DocError;

/// Escapes text for XML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Rounds to 0.001 mm and drops trailing zeros, to keep the markup short.
fn n(v: f32) -> String {
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

pub(crate) fn render(template: &LabelTemplate, label: &Label) -> Result<String, DocError> {
    let (w, h) = template.label_size_mm();
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" role="img" aria-label="{aria}">"#,
        w = n(w),
        h = n(h),
        aria = escape(&format!("{} {}", label.sample_no, label.portion.label_zh())),
    );
    let _ = write!(
        out,
        r##"<rect width="{}" height="{}" fill="#fff"/>"##,
        n(w),
        n(h)
    );
    for p in pieces(template, label) {
        match p {
            Piece::Box {
                x,
                y,
                w,
                h,
                thickness,
            } => {
                let _ = write!(
                    out,
                    r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000" stroke-width="{}"/>"##,
                    n(x),
                    n(y),
                    n(w),
                    n(h),
                    n(thickness)
                );
            }
            Piece::Line {
                x1,
                y1,
                x2,
                y2,
                thickness,
            } => {
                let _ = write!(
                    out,
                    r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="{}"/>"##,
                    n(x1),
                    n(y1),
                    n(x2),
                    n(y2),
                    n(thickness)
                );
            }
            Piece::Qr {
                x,
                y,
                size,
                ecc,
                text,
            } => {
                let m = QrMatrix::encode(text, ecc)?;
                let module = size / m.width_with_quiet_zone() as f32;
                let q = QUIET_ZONE as f32 * module;
                // Module units inside, one path for all dark modules; crisp edges for scanning.
                let _ = write!(
                    out,
                    r#"<path class="qr" data-modules="{}" transform="translate({} {}) scale({})" shape-rendering="crispEdges" d=""#,
                    m.width(),
                    n(x + q),
                    n(y + q),
                    n(module)
                );
                for r in m.rects() {
                    let _ = write!(out, "M{} {}h{}v{}h-{}z", r.x, r.y, r.w, r.h, r.w);
                }
                out.push_str(r#""/>"#);
            }
            Piece::Text {
                x,
                baseline,
                size_pt,
                text,
                ..
            } => {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" font-family="{FONT_FAMILY}, 'Noto Sans SC', 'Source Han Sans SC', sans-serif" font-size="{}">{}</text>"#,
                    n(x),
                    n(baseline),
                    n(size_pt * MM_PER_PT),
                    escape(&text)
                );
            }
        }
    }
    out.push_str("</svg>");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{labels_for, render_svg, shipped_templates};
    use crate::test_support::*;

    /// A minimal well-formedness check: every tag closes, in order, and attributes are quoted.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            let text = &rest[..i];
            assert!(!text.contains('>'), "stray > in text {text:?}");
            let end = rest[i..].find('>').expect("unclosed tag") + i;
            let tag = &rest[i + 1..end];
            assert!(!tag.contains('<'), "< inside tag {tag}");
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag}"
            );
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().expect("tag name").to_string());
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert!(rest.trim().is_empty());
    }

    #[test]
    fn svg_preview_is_well_formed_with_qr_modules_and_escaped_text() {
        let name = "牛肉干<script>alert('x')</script>&\"";
        for t in shipped_templates() {
            for l in labels_for(&sample("F202663010200123", name, true), BASE) {
                let svg = render_svg(&t, &l).expect("svg");
                assert_well_formed(&svg);
                let (w, h) = t.label_size_mm();
                assert!(svg.contains(&format!(r#"viewBox="0 0 {} {}""#, n(w), n(h))));
                assert_eq!(svg.matches("<path class=\"qr\"").count(), 1);
                let qr = svg
                    .split("<path class=\"qr\"")
                    .nth(1)
                    .and_then(|s| s.split("/>").next())
                    .expect("qr path");
                assert!(qr.matches('z').count() > 20, "too few QR modules: {qr}");
                assert!(!svg.contains("<script"), "{svg}");
                assert!(
                    svg.contains("&lt;script&gt;"),
                    "{} {:?}: {svg}",
                    t.name,
                    l.part
                );
                assert!(svg.contains("F202663010200123"));
            }
        }
    }
}
