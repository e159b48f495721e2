//! The label PDF's tests: every shipped template printed, its QR codes scanned, its text read.

use super::*;
use crate::labels::{labels_for, render_pdf, shipped_templates, LabelSample, TemplateKind};
use crate::test_support::*;

const NAME: &str = "青海牦牛肉干（五香味）";

fn one_sample() -> LabelSample {
    sample("F202663010200123", NAME, true)
}

#[test]
fn every_shipped_template_prints_scannable_qr_codes_and_readable_chinese() {
    let labels = labels_for(&one_sample(), BASE);
    let url = "https://lims.example.cn/s/F202663010200123".to_string();
    let backup = format!("{url}#B");
    for t in shipped_templates() {
        let pdf = render_pdf(&t, &labels).expect("pdf");
        let expected = match t.kind {
            TemplateKind::Roll => vec![
                vec![url.clone()],
                vec![url.clone()],
                vec![backup.clone()],
                vec![backup.clone()],
            ],
            TemplateKind::Sheet => vec![vec![
                url.clone(),
                url.clone(),
                backup.clone(),
                backup.clone(),
            ]],
        };
        assert_eq!(pdf_qr_codes(&pdf, Some(&t)), expected, "{}", t.name);
        let text: String = pdf_text(&pdf).split_whitespace().collect();
        assert!(
            text.contains("青海牦牛肉干"),
            "{}: product name not extracted:\n{text}",
            t.name
        );
        assert!(
            text.contains("F202663010200123"),
            "{}: sample number not extracted",
            t.name
        );
        assert!(
            text.contains("检验样品") && text.contains("复检备份样品") && text.contains("封条"),
            "{}",
            t.name
        );
        assert_font_embedded_as_subset(&pdf, &t.name);
        assert!(
            pdf.len() < 120_000,
            "{}: {} bytes for 4 labels",
            t.name,
            pdf.len()
        );
    }
}

#[test]
fn sheet_batch_fills_pages_row_by_row_in_order() {
    let t = shipped_templates()
        .into_iter()
        .find(|t| t.name == "a4-3x8")
        .expect("a4");
    let labels = batch(7);
    let pdf = render_pdf(&t, &labels).expect("pdf");
    let pages = pdf_qr_codes(&pdf, Some(&t));
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [24, 4]);
    let got: Vec<String> = pages.concat();
    let want: Vec<String> = labels.iter().map(|l| l.qr_text.clone()).collect();
    assert_eq!(got, want);
}

#[test]
fn roll_batch_of_50_samples_prints_200_pages_and_risk_monitoring_prints_2() {
    let t = shipped_templates()
        .into_iter()
        .find(|t| t.name == "thermal-50x30")
        .expect("50x30");
    let pdf = render_pdf(&t, &batch(50)).expect("pdf");
    assert_eq!(pdf_pages(&pdf), 200);
    // Long batches encode and compress on two threads: still the same bytes.
    assert!(
        render_pdf(&t, &batch(50)).expect("pdf") == pdf,
        "batch output differs between runs"
    );
    let risk = labels_for(&sample("F202663010200999", NAME, false), BASE);
    assert_eq!(pdf_pages(&render_pdf(&t, &risk).expect("pdf")), 2);
}

#[test]
fn same_labels_give_the_same_bytes() {
    for t in shipped_templates() {
        let labels = batch(3);
        let a = render_pdf(&t, &labels).expect("pdf");
        let b = render_pdf(&t, &labels).expect("pdf");
        assert!(a == b, "{}: two renderings differ", t.name);
    }
}

#[test]
fn no_labels_is_an_error() {
    let t = shipped_templates().into_iter().next().expect("template");
    assert!(matches!(render_pdf(&t, &[]), Err(DocError::NoLabels)));
}
