//! The report's tests: rendered, read back (pdftotext, pdftoppm) and checked.

use super::fixtures::{failing_doc, item_names, risk_doc, sample_doc, VERIFY_URL};
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
    let (pages, forms) = lay_out(
        &doc,
        &Decoded::new(&ReportAssets::default()).expect("assets"),
    )
    .expect("layout");
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

#[test]
fn risk_monitoring_report_gives_no_compliance_term_and_no_objection_wording() {
    let doc = risk_doc(10);
    let pdf = render_report(&doc).expect("pdf");
    let text = flat(&pdf_text(&pdf));
    for term in ["合格", "符合规定", "复检", "异议"] {
        assert!(
            !text.contains(term),
            "{term} on a risk-monitoring report:\n{text}"
        );
    }
    assert!(
        text.contains("所检项目中1项（菌落总数）存在问题。"),
        "{text}"
    );
    assert!(text.contains("问题"), "{text}");
    assert!(
        text.contains("结果说明") && text.contains("单项评价"),
        "{text}"
    );
}

#[test]
fn compliant_and_non_compliant_reports_keep_their_judgments() {
    let ok = flat(&pdf_text(&render_report(&sample_doc(10)).expect("pdf")));
    assert!(
        ok.contains("检验结论为合格") && !ok.contains("不合格"),
        "{ok}"
    );
    let bad = flat(&pdf_text(&render_report(&failing_doc(10)).expect("pdf")));
    assert!(
        bad.contains("检验结论为不合格") && bad.contains("单项判定"),
        "{bad}"
    );
}

#[test]
fn long_names_and_units_are_never_cut_or_broken() {
    let mut doc = sample_doc(10);
    doc.tester = "欧阳青海湖畔牦牛肉干检验".into();
    doc.reviewer = "司马西宁城中区南大街审核".into();
    doc.signatory = "诸葛互助土族自治县威远镇".into();
    doc.rows[0].unit = "mg/100g".into();
    doc.rows[1].unit = "CFU/250mL".into();
    doc.rows[2].unit = "CFU/g(mL)".into();
    doc.rows[3].unit = "g/100mL".into();
    let pdf = render_report(&doc).expect("pdf");
    let text = pdf_text(&pdf);
    let all = flat(&text);
    for name in [&doc.tester, &doc.reviewer, &doc.signatory] {
        assert_eq!(name.chars().count(), 12);
        assert!(all.contains(name.as_str()), "{name} cut:\n{text}");
    }
    assert!(!all.contains('…'), "something cut:\n{text}");
    for unit in ["mg/100g", "CFU/250mL", "CFU/g(mL)", "g/100mL"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().any(|w| w == unit)),
            "{unit} broken:\n{text}"
        );
    }
    assert!(pdf_pages(&pdf) <= 2, "{text}");
}

#[test]
fn verification_code_detection_limit_and_backup_quantity_are_printed() {
    let mut doc = sample_doc(10);
    doc.verification_code = Some("K7QX-92MD".into());
    doc.backup_quantity = "4 袋".into();
    doc.rows[2].result = "未检出".into();
    doc.rows[2].unit = "mg/kg".into();
    doc.rows[2].detection_limit = "0.01".into();
    doc.rows[3].result = "ND".into();
    doc.rows[3].detection_limit = "0.005".into();
    let text = flat(&pdf_text(&render_report(&doc).expect("pdf")));
    assert!(
        text.contains("核验码") && text.contains("K7QX-92MD"),
        "{text}"
    );
    assert!(text.contains("未检出（检出限0.01mg/kg）"), "{text}");
    assert!(text.contains("未检出（检出限0.005"), "{text}");
    assert!(text.contains("检验4袋，备样4袋"), "{text}");
    let without = ReportDoc {
        verification_code: None,
        ..doc
    };
    assert!(!flat(&pdf_text(&render_report(&without).expect("pdf"))).contains("核验码"));
}

#[test]
fn a_draft_is_watermarked_on_every_page_without_number_or_code() {
    let mut doc = sample_doc(40);
    doc.draft = true;
    doc.verification_code = Some("K7QX-92MD".into());
    let pdf = render_report(&doc).expect("pdf");
    let text = pdf_text(&pdf);
    let pages: Vec<String> = text
        .split('\x0c')
        .map(flat)
        .filter(|p| !p.is_empty())
        .collect();
    assert!(pages.len() >= 2);
    for page in &pages {
        assert!(page.contains("草稿"), "{page}");
        assert!(page.contains("（草稿，签发时编号）"), "{page}");
        assert!(!page.contains("QHJ2026000001"), "{page}");
    }
    assert!(!flat(&text).contains("核验码"));
    assert!(pdf_qr_codes(&pdf, None).iter().all(Vec::is_empty));
}

#[test]
fn cover_page_and_lab_layout_settings_are_printed() {
    let mut doc = sample_doc(10);
    doc.cover_page = true;
    doc.lab.header_lines = vec!["青海省食品安全检测中心".into()];
    doc.lab.phone = "0971-8888888".into();
    doc.lab.tester_title = "主检".into();
    doc.lab.reviewer_title = "审核".into();
    doc.lab.signatory_title = "批准".into();
    let pdf = render_report(&doc).expect("pdf");
    assert_eq!(pdf_pages(&pdf), 2);
    let text = pdf_text(&pdf);
    let pages: Vec<String> = text.split('\x0c').map(flat).collect();
    for needle in [
        "检验报告",
        "报告编号：QHJ2026000001",
        "样品名称：",
        "青海牦牛肉干（五香味）",
        "西宁市城中区某某超市有限公司",
        "检验机构：",
        "签发日期：2026-03-06",
        "检验检测专用章",
    ] {
        assert!(
            pages[0].contains(needle),
            "{needle} not on the cover:\n{}",
            pages[0]
        );
    }
    assert!(pages[1].contains("青海省食品安全检测中心"), "{}", pages[1]);
    assert!(
        pages[1].contains("主检：") && pages[1].contains("批准："),
        "{}",
        pages[1]
    );
    assert!(flat(&text).contains("电话：0971-8888888"), "{text}");
}

/// A 4×2 RGBA PNG, written with the png crate.
fn png(alpha: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 4, 2);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("header");
        w.write_image_data(&[200, 0, 0, alpha].repeat(8))
            .expect("data");
    }
    out
}

#[test]
fn cma_area_is_a_frame_without_an_image_and_the_image_with_one() {
    let doc = sample_doc(10);
    let framed = flat(&pdf_text(&render_report(&doc).expect("pdf")));
    assert!(framed.contains("CMA"), "{framed}");
    let image = png(255);
    let assets = ReportAssets {
        cma_png: Some(&image),
        logo_png: Some(&image),
    };
    let with = render_report_with(&doc, &assets).expect("pdf");
    assert!(with.len() < 80_000);
    let again = render_report_with(&doc, &assets).expect("pdf");
    assert!(with == again, "images make the output differ");
    let bad = ReportAssets {
        cma_png: Some(b"not a png"),
        logo_png: None,
    };
    assert!(matches!(
        render_report_with(&doc, &bad),
        Err(DocError::Invalid(_))
    ));
    let cut = &image[..image.len() / 2];
    let cut = ReportAssets {
        logo_png: Some(cut),
        cma_png: None,
    };
    assert!(render_report_with(&doc, &cut).is_err());
}

#[test]
fn stored_reports_without_the_new_fields_still_read_and_render_the_same() {
    let doc = sample_doc(10);
    let mut json = serde_json::to_value(&doc).expect("json");
    let obj = json.as_object_mut().expect("object");
    for key in [
        "verification_code",
        "draft",
        "risk_monitoring",
        "backup_quantity",
        "cover_page",
    ] {
        obj.remove(key);
    }
    for key in [
        "header_lines",
        "phone",
        "tester_title",
        "reviewer_title",
        "signatory_title",
        "number_prefix",
    ] {
        obj["lab"].as_object_mut().expect("lab").remove(key);
    }
    for row in obj["rows"].as_array_mut().expect("rows") {
        row.as_object_mut().expect("row").remove("detection_limit");
    }
    let read: ReportDoc = serde_json::from_value(json).expect("reads");
    assert_eq!(read, doc);
    assert!(render_report(&read).expect("pdf") == render_report(&doc).expect("pdf"));
}
