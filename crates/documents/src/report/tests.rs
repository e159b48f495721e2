//! The report's tests: rendered, read back (pdftotext, pdftoppm) and checked.

use super::fixtures::{failing_doc, item_names, sample_doc, VERIFY_URL};
use super::*;
use crate::test_support::*;

fn flat(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn ten_rows_fit_one_page_with_every_field() {
    let doc = sample_doc(10);
    let pdf = render_report(&doc).expect("pdf");
    let text = pdf_text(&pdf);
    let flat = flat(&text);
    assert_eq!(pdf_pages(&pdf), 1, "{text}");
    for needle in [
        "QHJ2026000001",
        "青海牦牛肉干（五香味）",
        "F202663010200123",
        "青海省食品检验检测院",
        "CMA资质认定证书编号：201963000123",
        "第1页共1页",
        "检验项目",
        "判定依据",
        "GB2762-2022",
        "赵敏",
        "钱伟",
        "孙丽华",
        "授权签字人",
        "检验检测专用章",
        "扫码验证报告真伪",
        "声明",
        "报告结束",
        "青海省西宁市城北区某某路88号",
    ] {
        assert!(flat.contains(needle), "{needle} not in the report:\n{text}");
    }
    for item in item_names(10) {
        assert!(flat.contains(&item), "{item} not in the report:\n{text}");
    }
    assert!(
        flat.contains(&doc.conclusion.split_whitespace().collect::<String>()),
        "conclusion not in the report:\n{text}"
    );
}

#[test]
fn forty_rows_continue_over_pages_with_the_header_repeated() {
    let pdf = render_report(&sample_doc(40)).expect("pdf");
    let n = pdf_pages(&pdf);
    assert!(n >= 2, "{n} pages");
    let text = pdf_text(&pdf);
    let pages: Vec<String> = text
        .split('\x0c')
        .map(flat)
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(pages.len(), n);
    let items = item_names(40);
    for (k, page) in pages.iter().enumerate() {
        assert!(page.contains("QHJ2026000001"), "page {}: {page}", k + 1);
        assert!(
            page.contains(&format!("第{}页共{n}页", k + 1)),
            "page {}: {page}",
            k + 1
        );
        if items.iter().any(|i| page.contains(i.as_str())) {
            assert!(page.contains("检验项目"), "page {}: {page}", k + 1);
        }
        if k > 0 && items.iter().any(|i| page.contains(i.as_str())) {
            assert!(page.contains("检验结果（续）"), "page {}: {page}", k + 1);
        }
    }
    let all = flat(&text);
    for item in &items {
        assert_eq!(all.matches(item.as_str()).count(), 1, "{item}:\n{text}");
    }
}

#[test]
fn qr_code_on_page_one_only_and_its_square_kept_blank_without_url() {
    let doc = sample_doc(40);
    let pdf = render_report(&doc).expect("pdf");
    let codes = pdf_qr_codes(&pdf, None);
    assert_eq!(codes[0], vec![VERIFY_URL.to_string()]);
    assert!(codes[1..].iter().all(Vec::is_empty), "{codes:?}");
    let without = ReportDoc {
        verify_url: None,
        ..doc
    };
    let blank = render_report(&without).expect("pdf");
    assert!(pdf_qr_codes(&blank, None).iter().all(Vec::is_empty));
    assert_eq!(pdf_pages(&blank), pdf_pages(&pdf));
    assert!(!flat(&pdf_text(&blank)).contains("扫码验证"));
}

#[test]
fn same_report_gives_the_same_bytes_and_one_changed_result_changes_them() {
    let doc = failing_doc(12);
    let a = render_report(&doc).expect("pdf");
    let b = render_report(&doc).expect("pdf");
    assert!(a == b, "two renderings differ");
    let mut changed = doc.clone();
    changed.rows[0].result = "0.063".into();
    assert!(render_report(&changed).expect("pdf") != a);
}

#[test]
fn failing_row_and_supersedes_line_are_printed() {
    let mut doc = failing_doc(10);
    doc.supersedes = Some("QHJ2025009999".into());
    let text = flat(&pdf_text(&render_report(&doc).expect("pdf")));
    assert!(text.contains("不合格"), "{text}");
    assert!(
        text.contains("本报告替代报告QHJ2025009999，原报告作废。"),
        "{text}"
    );
}

#[test]
fn font_is_embedded_as_a_subset_and_ten_rows_stay_small() {
    let pdf = render_report(&sample_doc(10)).expect("pdf");
    assert_font_embedded_as_subset(&pdf, "report");
    assert!(pdf.len() <= 80_000, "{} bytes", pdf.len());
}

#[test]
fn very_long_cells_wrap_and_stay_on_their_pages() {
    let mut doc = sample_doc(10);
    for row in doc.rows.iter_mut().take(3) {
        row.item = "很长的检验项目名称".repeat(8);
        row.method = "GB 5009.12-2023 第一法 石墨炉原子吸收光谱法".repeat(6);
    }
    doc.remarks = "备注内容".repeat(100);
    let pdf = render_report(&doc).expect("pdf");
    let n = pdf_pages(&pdf);
    assert!((1..=3).contains(&n), "{n} pages");
    let text = pdf_text(&pdf);
    assert!(flat(&text).contains(&format!("第{n}页共{n}页")));
    assert!(flat(&text).contains("报告结束"));
}

#[test]
fn no_rows_still_renders() {
    let pdf = render_report(&sample_doc(0)).expect("pdf");
    assert_eq!(pdf_pages(&pdf), 1);
    let text = flat(&pdf_text(&pdf));
    assert!(text.contains("检验项目") && text.contains("无"), "{text}");
}

#[test]
fn own_font_embedding_reads_back_like_printpdfs() {
    // The report embeds its font subset itself (`save_with_own_font`); printpdf's own
    // embedding of the same pages is the reference.
    let doc = failing_doc(40);
    let (pages, forms) = lay_out(&doc).expect("layout");
    let reference = crate::pdf::save(&pages, forms).expect("pdf");
    let pdf = render_report(&doc).expect("pdf");
    assert_eq!(pdf_text(&pdf), pdf_text(&reference));
    assert_eq!(pdf_pages(&pdf), pdf_pages(&reference));
    assert_eq!(pdf_qr_codes(&pdf, None), pdf_qr_codes(&reference, None));
}

#[test]
fn table_symbols_are_in_the_font() {
    for c in "²³×≤≥μ“”（）".chars() {
        assert!(crate::fonts::has_glyph(c), "no glyph for {c}");
    }
}
