//! Test helpers for documents: sample fixtures, and reading PDFs back as a person would —
//! text through `pdftotext`, QR codes by rasterising with `pdftoppm` and decoding with
//! `rqrr`. The poppler tools are required: a missing tool fails the test, never skips it.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;

use super::labels::{labels_for, Label, LabelSample, LabelTemplate};

pub(crate) const BASE: &str = "https://lims.example.cn";

pub(crate) fn sample(no: &str, product_name: &str, has_backup: bool) -> LabelSample {
    LabelSample {
        sample_no: no.to_string(),
        product_name: product_name.to_string(),
        sampled_on: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        storage: "常温".to_string(),
        entity_name: "西宁市城中区某某超市".to_string(),
        has_backup,
    }
}

pub(crate) fn sample_no(i: usize) -> String {
    format!("F2026630102{:05}", i + 1)
}

/// The labels of `n` supervision samples, concatenated in order.
pub(crate) fn batch(n: usize) -> Vec<Label> {
    (0..n)
        .flat_map(|i| labels_for(&sample(&sample_no(i), "青海牦牛肉干（五香味）", true), BASE))
        .collect()
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    if probe.is_err() {
        panic!("`{name}` is not installed: install poppler-utils (apt-get install -y poppler-utils) to run the document tests");
    }
    Command::new(name)
}

fn write_pdf(dir: &Path, pdf: &[u8]) -> std::path::PathBuf {
    let path = dir.join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    path
}

/// The text a reader extracts from `pdf` (pdftotext, UTF-8).
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), pdf);
    let out = tool("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 text")
}

/// The number of pages (pdfinfo).
pub(crate) fn pdf_pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), pdf);
    let out = tool("pdfinfo").arg(&path).output().expect("run pdfinfo");
    let info = String::from_utf8_lossy(&out.stdout);
    info.lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().expect("page count"))
        })
        .expect("Pages: line")
}

/// `pdffonts` output, to check the font is embedded as a subset.
pub(crate) fn pdf_fonts(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), pdf);
    let out = tool("pdffonts").arg(&path).output().expect("run pdffonts");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that the CJK font is embedded as a subset (`pdffonts`: embedded, subset,
/// unicode all "yes"); `what` names the document in a failure.
pub(crate) fn assert_font_embedded_as_subset(pdf: &[u8], what: &str) {
    let fonts = pdf_fonts(pdf);
    let row = fonts
        .lines()
        .find(|l| l.contains("NotoSansCJK"))
        .unwrap_or_else(|| panic!("{what}: font not listed:\n{fonts}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert!(
        cols.windows(3).any(|w| w == ["yes", "yes", "yes"]),
        "{what}: font not embedded as a subset:\n{fonts}"
    );
}

/// Every QR code on every page, rasterised at 300 dpi and decoded with rqrr. With a
/// template, each label position of the page is decoded on its own (rqrr pairs finder
/// patterns of neighbouring codes on a full sheet) and the codes come in slot order;
/// without, the whole page is searched and codes come top to bottom, left to right.
pub(crate) fn pdf_qr_codes(pdf: &[u8], template: Option<&LabelTemplate>) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), pdf);
    let prefix = dir.path().join("page");
    let out = tool("pdftoppm")
        .args(["-r", "300", "-gray", "-png"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("run pdftoppm");
    assert!(
        out.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pngs: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pngs.sort();
    pngs.iter()
        .map(|png| {
            let page = image::open(png).expect("open png").to_luma8();
            let Some(t) = template else {
                return decode_all(page);
            };
            let px = |mm: f32| (mm / 25.4 * 300.0).round() as u32;
            let (w, h) = t.label_size_mm();
            (0..t.labels_per_page())
                .flat_map(|slot| {
                    let (x, y) = t.slot_origin_mm(slot);
                    decode_all(
                        image::imageops::crop_imm(&page, px(x), px(y), px(w), px(h)).to_image(),
                    )
                })
                .collect()
        })
        .collect()
}

fn decode_all(img: image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let mut found: Vec<(i32, i32, String)> = prepared
        .detect_grids()
        .into_iter()
        .map(|g| {
            let top = g.bounds.iter().map(|p| p.y).min().unwrap_or(0);
            let left = g.bounds.iter().map(|p| p.x).min().unwrap_or(0);
            let (_, content) = g
                .decode()
                .unwrap_or_else(|e| panic!("QR at {left},{top} does not decode: {e:?}"));
            (top, left, content)
        })
        .collect();
    found.sort_by_key(|f| (f.0, f.1));
    found.into_iter().map(|f| f.2).collect()
}
