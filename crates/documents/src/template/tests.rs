//! The label template parser's tests: the shipped files, and every way a file can be wrong.

use super::*;

const GOOD: &str = r#"
name = "test-40x30"
kind = "roll"
width_mm = 40
height_mm = 30

[[portion.qr]]
x_mm = 1
y_mm = 1
size_mm = 20

[[portion.text]]
x_mm = 22
y_mm = 1
width_mm = 17
font_size_pt = 6
text = "{sample_no}"

[[seal.qr]]
x_mm = 1
y_mm = 1
size_mm = 20

[[seal.text]]
x_mm = 22
y_mm = 1
width_mm = 17
font_size_pt = 6
max_lines = 2
text = "封条 {sample_no}"
"#;

fn refused(text: &str) -> TemplateError {
    match std::panic::catch_unwind(|| parse_template("bad.toml", text)) {
        Ok(Ok(_)) => panic!("accepted a malformed template:\n{text}"),
        Ok(Err(e)) => e,
        Err(_) => panic!("parse_template panicked on:\n{text}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("needle in text")
}

#[test]
fn every_shipped_template_parses() {
    let names: Vec<String> = shipped_templates().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["thermal-50x30", "thermal-70x40", "a4-3x8"]);
    for (file, text) in SHIPPED {
        if let Err(e) = parse_template(file, text) {
            panic!("{e}");
        }
    }
}

#[test]
fn a4_sheet_has_24_labels_row_by_row() {
    let t = shipped_templates()
        .into_iter()
        .find(|t| t.name == "a4-3x8")
        .expect("a4");
    assert_eq!(t.kind, TemplateKind::Sheet);
    assert_eq!(t.labels_per_page(), 24);
    assert_eq!((t.width_mm, t.height_mm), (210.0, 297.0));
    let (x0, y0) = t.slot_origin_mm(0);
    let (x1, y1) = t.slot_origin_mm(1);
    let (x3, y3) = t.slot_origin_mm(3);
    assert!(x1 > x0 && y1 == y0, "slot 1 is right of slot 0");
    assert!(x3 == x0 && y3 > y0, "slot 3 starts the second row");
}

#[test]
fn good_template_parses_with_defaults() {
    let t = parse_template("good.toml", GOOD).expect("good");
    assert_eq!(t.portion.qrs[0].ecc, Ecc::M);
    assert_eq!(t.seal.texts[0].max_lines, 2);
    assert_eq!(t.portion.texts[0].align, Align::Left);
}

#[test]
fn malformed_templates_are_refused_with_file_line_and_field() {
    // (what is broken, the template text, the expected field, a needle for the line)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "TOML syntax",
            GOOD.replace(
                "size_mm = 20\n\n[[portion.text]]",
                "size_mm = = 20\n\n[[portion.text]]",
            ),
            "portion.qr[0].size_mm",
            "size_mm = = 20",
        ),
        (
            "unknown key",
            GOOD.replace(
                "font_size_pt = 6\ntext = \"{sample_no}\"",
                "font_size_pt = 6\ncolour = \"red\"\ntext = \"{sample_no}\"",
            ),
            "portion.text[0].colour",
            "colour",
        ),
        (
            "wrong type",
            GOOD.replace("width_mm = 40", "width_mm = \"forty\""),
            "width_mm",
            "forty",
        ),
        (
            "element outside the label",
            GOOD.replacen("x_mm = 22", "x_mm = 30", 1),
            "portion.text[0].x_mm",
            "x_mm = 30",
        ),
        (
            "unknown placeholder",
            GOOD.replace("封条 {sample_no}", "封条 {sample_no} {batch}"),
            "seal.text[0].text",
            "{batch}",
        ),
        (
            "unclosed placeholder",
            GOOD.replace("封条 {sample_no}", "封条 {sample_no"),
            "seal.text[0].text",
            "封条 {sample_no\"",
        ),
        (
            "negative size",
            GOOD.replacen("size_mm = 20", "size_mm = -3", 1),
            "portion.qr[0].size_mm",
            "size_mm = -3",
        ),
        (
            "zero font size",
            GOOD.replacen("font_size_pt = 6", "font_size_pt = 0", 1),
            "portion.text[0].font_size_pt",
            "font_size_pt = 0",
        ),
        (
            "bad ecc",
            GOOD.replacen("size_mm = 20", "size_mm = 20\necc = \"X\"", 1),
            "portion.qr[0].ecc",
            "ecc = \"X\"",
        ),
        (
            "unknown kind",
            GOOD.replace("kind = \"roll\"", "kind = \"fanfold\""),
            "kind",
            "fanfold",
        ),
        (
            "missing field",
            GOOD.replacen("size_mm = 20\n", "", 1),
            "portion.qr[0].size_mm",
            "[[portion.qr]]",
        ),
        (
            "sheet without grid",
            GOOD.replace("kind = \"roll\"", "kind = \"sheet\""),
            "sheet",
            "kind =",
        ),
        (
            "too many lines for the height",
            GOOD.replace("max_lines = 2", "max_lines = 20"),
            "seal.text[0].y_mm",
            "max_lines = 20",
        ),
        (
            "seal without QR",
            GOOD.replace("[[seal.qr]]\nx_mm = 1\ny_mm = 1\nsize_mm = 20\n", ""),
            "seal",
            "[[seal.text]]",
        ),
    ];
    for (what, text, field, needle) in cases {
        let e = refused(&text);
        let shown = e.to_string();
        assert_eq!(e.file, "bad.toml", "{what}: {shown}");
        assert!(shown.starts_with("bad.toml:"), "{what}: {shown}");
        assert_eq!(e.field, field, "{what}: {shown}");
        let line = e
            .line
            .unwrap_or_else(|| panic!("{what}: no line in {shown}"));
        if what == "too many lines for the height" {
            // The height overflow is reported on the y position that cannot hold it.
            assert_eq!(line, line_of(&text, "[[seal.text]]") + 2, "{what}: {shown}");
            continue;
        }
        assert_eq!(line, line_of(&text, needle), "{what}: {shown}");
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "\u{0}",
        "[[[",
        "name = 1",
        "portion = 3",
        "[portion]\nqr = 5",
        "\"\"\"",
        "width_mm = 1e309",
    ] {
        let _ = refused(text);
    }
}

#[test]
fn a_labs_own_directory_adds_and_replaces_templates_and_reports_bad_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("mine.toml"), GOOD).expect("write");
    std::fs::write(dir.path().join("broken.toml"), "name = ").expect("write");
    std::fs::write(dir.path().join("README.md"), "not a template").expect("write");
    let (templates, errors) = load_templates(Some(dir.path()));
    assert!(templates.iter().any(|t| t.name == "test-40x30"));
    assert_eq!(templates.len(), 4);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].file, "broken.toml");
    assert_eq!(errors[0].line, Some(1));

    let (templates, errors) = load_templates(Some(&dir.path().join("missing")));
    assert_eq!((templates.len(), errors.len()), (3, 0));
}
