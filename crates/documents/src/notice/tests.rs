//! The notice's tests: rendered and read back.

use super::*;
use crate::fonts::has_glyph;
use crate::test_support::*;

fn notice() -> NoticeDoc {
    NoticeDoc {
        notice_no: "QHJ2026000001-TZ".into(),
        issuer: "青海省市场监督管理局".into(),
        entity_name: "西宁市城中区某某超市有限公司".into(),
        entity_address: "青海省西宁市城中区南大街1号".into(),
        sample_no: "F202663010200123".into(),
        report_no: "QHJ2026000001".into(),
        product_name: "青海牦牛肉干（五香味）".into(),
        brand: "可可西里".into(),
        specification: "250g/袋".into(),
        batch: "20260115A / 2026-01-15".into(),
        manufacturer: "青海某某食品有限公司".into(),
        plan_name: "2026年青海省食品安全监督抽检".into(),
        plan_kind: "监督抽检".into(),
        sampled_on: "2026年3月1日".into(),
        lab_name: "青海省食品检验检测院".into(),
        failed: vec![
            FailedItem {
                item: "苯甲酸及其钠盐(以苯甲酸计)".into(),
                limit: "不得使用".into(),
                result: "0.86".into(),
                unit: "g/kg".into(),
                standard: "GB 2760-2024".into(),
            },
            FailedItem {
                item: "菌落总数".into(),
                limit: "n=5,c=2,m=10^4,M=10^5".into(),
                result: "1.2×10^5,3.5×10^5,8.6×10^4,2.1×10^5,6.0×10^4".into(),
                unit: "CFU/g".into(),
                standard: "GB 2726-2016".into(),
            },
        ],
        conclusion: "经抽样检验，苯甲酸及其钠盐(以苯甲酸计)、菌落总数项目不符合 GB 2760-2024、GB 2726-2016 要求，检验结论为不合格。".into(),
        rights: vec![
            RightLine {
                what: "对检验结论有异议的，可以申请复检".into(),
                window: "自收到本通知书之日起7个工作日内".into(),
                deadline: "2026年3月13日".into(),
                citation: "《中华人民共和国食品安全法》第八十八条".into(),
            },
            RightLine {
                what: "对抽样过程、样品真实性等有异议的，可以提出书面异议".into(),
                window: "自收到本通知书之日起7个工作日内".into(),
                deadline: "2026年3月13日".into(),
                citation: "《食品安全抽样检验管理办法》第三十七条".into(),
            },
        ],
        duties: vec![
            "立即封存库存问题食品，暂停生产经营不合格食品".into(),
            "依法召回已经上市销售的不合格食品，并通知相关生产经营者和消费者".into(),
            "查找原因，进行整改".into(),
            "自收到本通知书之日起10个工作日内，将封存、召回、整改等情况书面报告我局".into(),
        ],
        served_on: "2026年3月4日".into(),
        issued_on: "2026年3月4日".into(),
        ..Default::default()
    }
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

/// Pages of pdftotext output, whitespace removed; the trailing empty piece dropped.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let text = pdf_text(pdf);
    let mut pages: Vec<String> = text.split('\x0c').map(flat).collect();
    if pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    pages
}

/// The receipt alone on the last page, every page numbered "第 x 页 共 n 页".
fn check_pages(pdf: &[u8], doc: &NoticeDoc) -> Vec<String> {
    let pages = pages_text(pdf);
    let n = pdf_pages(pdf);
    assert_eq!(pages.len(), n);
    for (i, p) in pages.iter().enumerate() {
        assert!(
            p.contains(&format!("第{}页共{n}页", i + 1)),
            "page {} lacks its number:\n{p}",
            i + 1
        );
        assert!(
            p.contains(&doc.notice_no),
            "page {} lacks the number",
            i + 1
        );
    }
    let (last, notice) = pages.split_last().expect("pages");
    assert!(last.contains("送达回证"), "{last}");
    assert!(last.contains("签名（盖章）"), "{last}");
    for p in notice {
        assert!(!p.contains("送达回证"), "receipt text before the last page");
    }
    for needle in ["你单位的权利", "不合格项目", &doc.failed[0].item] {
        assert!(!last.contains(needle), "{needle} on the receipt page");
    }
    pages
}

#[test]
fn notice_reads_back_with_items_rights_duties_issuer_and_receipt() {
    let doc = notice();
    let pdf = render_notice(&doc).expect("pdf");
    let pages = check_pages(&pdf, &doc);
    let all = pages.concat();
    for needle in [
        "不合格检验结论通知书",
        "编号：QHJ2026000001-TZ",
        "西宁市城中区某某超市有限公司：",
        "苯甲酸及其钠盐(以苯甲酸计)",
        "菌落总数",
        "0.86",
        "不得使用",
        "GB2760-2024",
        "GB2726-2016",
        "2026年青海省食品安全监督抽检",
        "监督抽检",
        "青海省食品检验检测院",
        "报告编号：QHJ2026000001",
        "样品编号：F202663010200123",
        "检验结论为不合格",
        "你单位的权利",
        "按2026年3月4日送达计算，截止日期2026年3月13日",
        "《中华人民共和国食品安全法》第八十八条",
        "《食品安全抽样检验管理办法》第三十七条",
        "你单位应当履行的义务",
        "召回",
        "在申请复检和提出异议期间",
        "青海省市场监督管理局（盖章）",
        "送达回证",
        "□直接送达",
        "□邮寄送达",
        "□电子送达",
        "青海省西宁市城中区南大街1号",
        "本回证由受送达人签收后交回青海省市场监督管理局",
    ] {
        assert!(all.contains(&flat(needle)), "{needle} missing:\n{all}");
    }
    // Both rights with their deadlines, in order.
    let a = all.find("申请复检：").expect("first right");
    let b = all.find("提出书面异议：").expect("second right");
    assert!(a < b);
    assert_eq!(all.matches("截止日期2026年3月13日").count(), 2);
    // The sample fixture fits the notice on one page, the receipt on the second.
    assert_eq!(pages.len(), 2);
    assert_font_embedded_as_subset(&pdf, "notice");
}

#[test]
fn thirty_failed_items_flow_onto_several_pages_with_the_receipt_last() {
    let mut doc = notice();
    let items = doc.failed.clone();
    doc.failed = (0..30)
        .map(|i| {
            let mut f = items[i % 2].clone();
            f.item = format!("{}第{}项", f.item, i + 1);
            f
        })
        .collect();
    doc.duties.push("其他义务".repeat(120));
    // A paragraph longer than a page flows line by line.
    doc.conclusion = "检验结论为不合格。".repeat(400);
    let pdf = render_notice(&doc).expect("pdf");
    let pages = check_pages(&pdf, &doc);
    assert!(pages.len() >= 5, "{} pages", pages.len());
    let all = pages.concat();
    for i in 1..=30 {
        assert!(all.contains(&format!("第{i}项")), "item {i} missing");
    }
    // The table header is repeated on the page the table continues on.
    let continued = pages
        .iter()
        .skip(1)
        .find(|p| p.contains("第30项"))
        .expect("item 30 on a later page");
    assert!(
        continued.starts_with("序号") && continued.contains("判定依据"),
        "no table header on the continuation page:\n{continued}"
    );
    assert!(pages[pages.len() - 2].contains("青海省市场监督管理局（盖章）"));
}

#[test]
fn same_notice_gives_the_same_bytes() {
    let a = render_notice(&notice()).expect("pdf");
    let b = render_notice(&notice()).expect("pdf");
    assert!(a == b, "two renderings differ");
}

#[test]
fn empty_fields_print_as_slashes_and_no_failed_item_is_an_error() {
    let mut doc = notice();
    doc.brand = String::new();
    let text = flat(&pdf_text(&render_notice(&doc).expect("pdf")));
    assert!(text.contains("商标：/"), "{text}");
    doc.failed.clear();
    assert!(matches!(render_notice(&doc), Err(DocError::Invalid(_))));
}

#[test]
fn the_font_has_every_character_of_the_fixed_text() {
    let fixed = [
        TITLE,
        "编号：",
        INDENT,
        DUTIES_CONTINUE,
        "不合格项目你单位的权利你单位应当履行的义务（盖章）",
        "你单位（地址：）于在（）中被抽样的（商标：，规格型号：，生产日期/批号：，标称生产者：），经检验（报告编号：，样品编号：），",
        "：（按送达计算，截止日期）。依据：",
        "送 达 回 证送达文书名称受送达人送达地点送达方式送达人受送达人签收备注",
        "□直接送达□邮寄送达□电子送达签名：送达日期：年月日签名（盖章）：",
        "本回证由受送达人签收后交回第 1 页 共 9 页",
    ];
    for s in fixed.iter().chain(COLUMNS.iter().map(|(h, _)| h)) {
        for c in s.chars() {
            assert!(has_glyph(c), "no glyph for {c:?} in {s}");
        }
    }
}

#[test]
fn contact_and_where_to_file_are_printed_and_no_research_notes_or_stray_spaces() {
    let mut doc = notice();
    doc.contact = "青海省市场监督管理局食品抽检监测处 0971-6300000".into();
    doc.reexam_where = "青海省市场监督管理局（西宁市城西区五四西路18号）".into();
    doc.rights[0].citation = "《中华人民共和国食品安全法》第八十八条第一款".into();
    doc.rights[0].window = "自收到本通知书之日起 7 个工作日内".into();
    doc.failed[0].unit = "mg/100g".into();
    doc.failed[1].unit = "CFU/250mL".into();
    let pdf = render_notice(&doc).expect("pdf");
    let text = pdf_text(&pdf);
    let all = flat(&text);
    for needle in [
        "联系方式：青海省市场监督管理局食品抽检监测处0971-6300000",
        "受理复检申请和异议的部门及地址：青海省市场监督管理局（西宁市城西区五四西路18号）。",
        "依据：《中华人民共和国食品安全法》第八十八条第一款。",
    ] {
        assert!(all.contains(needle), "{needle} missing:\n{text}");
    }
    for unit in ["mg/100g", "CFU/250mL"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().any(|w| w == unit)),
            "{unit} broken:\n{text}"
        );
    }
    for marker in [
        "[V]", "[S]", "[M]", "FSL", "FSSM", "Art ", "rules.md", "SPEC",
    ] {
        assert!(!text.contains(marker), "{marker} in the notice:\n{text}");
    }
    // No space before Chinese text: "7 个" and "1. 申请" read "7个" and "1．申请".
    assert!(text.contains("7个工作日"), "{text}");
    assert!(!text.contains(". 对"), "{text}");
    let plain = render_notice(&notice()).expect("pdf");
    let plain = flat(&pdf_text(&plain));
    assert!(
        !plain.contains("联系方式") && !plain.contains("受理复检申请"),
        "{plain}"
    );
}
