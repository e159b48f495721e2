//! The sampling form's tests: each domain's form rendered and read back by extracted text.

use super::*;
use crate::test_support::*;

const URL: &str = "https://lims.example.cn/s/F202663010200123";

fn flat(text: &str) -> String {
    text.split_whitespace().collect()
}

/// A food sample with every field filled at realistic lengths.
pub(crate) fn form() -> SamplingForm {
    SamplingForm {
        kind: FormKind::Food,
        sample_no: "F202663010200123".into(),
        plan_code: "QH-2026-SJ-001".into(),
        plan_name: "2026年青海省食品安全监督抽检".into(),
        plan_kind: "监督抽检".into(),
        plan_level: "省级".into(),
        domain: "食品".into(),
        category: "肉制品 / 熟肉制品 / 酱卤肉制品".into(),
        stage: "流通".into(),
        entity_name: "西宁市城中区某某超市有限公司".into(),
        entity_uscc: "91630100MA7XXXXX0X".into(),
        entity_licence_no: Some("JY16301030012345".into()),
        entity_kind: "经营者".into(),
        entity_address: "青海省西宁市城中区南大街1号".into(),
        entity_contact: Some("王五 0971-1234567".into()),
        entity_legal_rep: Some("赵六".into()),
        entity_annual_sales: Some("500 万元".into()),
        area_type: Some("城市".into()),
        product_name: "青海牦牛肉干（五香味）".into(),
        brand: Some("可可西里".into()),
        specification: Some("250g/袋".into()),
        batch_no: Some("20260115A".into()),
        production_date: Some("2026-01-15".into()),
        shelf_life: Some("12个月".into()),
        manufacturer: Some("青海某某食品有限公司".into()),
        manufacturer_address: Some("青海省海东市互助土族自治县威远镇".into()),
        manufacturer_licence_no: Some("SC10463022300012".into()),
        standard: Some("GB 2726-2016".into()),
        packaging: Some("预包装".into()),
        sample_form: Some("固态".into()),
        sample_attribute: Some("普通食品".into()),
        sample_source: Some("外购".into()),
        unit_price: Some("35.00 元/袋".into()),
        approval_no: None,
        expiry_date: None,
        mah: None,
        dosage_form: None,
        sampled_at: "2026-03-01 10:30".into(),
        sampling_place: "超市货架".into(),
        samplers: vec!["张三".into(), "李四".into()],
        inspection_quantity: "4 袋".into(),
        backup_quantity: Some("4 袋".into()),
        base_quantity: Some("200 袋".into()),
        sampling_method: Some("非无菌抽样".into()),
        storage: "常温".into(),
        price: Some("280.00 元".into()),
        notes: Some("样品已分别封存，检验样品与备份样品封条完好。".into()),
        sampling_unit: "青海省市场监督管理局".into(),
        lab_name: Some("青海省食品检验检测院".into()),
        lab_address: Some("青海省西宁市城北区某某路88号".into()),
        send_by: Some("2026-03-06".into()),
        copies: Vec::new(),
    }
}

fn drug() -> SamplingForm {
    SamplingForm {
        kind: FormKind::Drug,
        domain: "药品".into(),
        plan_name: "2026年青海省药品质量抽查检验".into(),
        product_name: "阿莫西林胶囊".into(),
        category: "化学药品".into(),
        specification: Some("0.25g×24粒/盒".into()),
        batch_no: Some("2601153".into()),
        approval_no: Some("国药准字H20003263".into()),
        expiry_date: Some("2028-01".into()),
        mah: Some("某某制药股份有限公司".into()),
        dosage_form: Some("胶囊剂".into()),
        manufacturer: Some("某某制药股份有限公司".into()),
        shelf_life: Some("24个月".into()),
        inspection_quantity: "6 盒".into(),
        ..form()
    }
}

fn cosmetic() -> SamplingForm {
    SamplingForm {
        kind: FormKind::Cosmetic,
        domain: "化妆品".into(),
        plan_name: "2026年青海省化妆品监督抽检".into(),
        product_name: "某某保湿面霜".into(),
        category: "护肤类".into(),
        approval_no: Some("国妆网备进字（沪）2026000123".into()),
        mah: Some("某某化妆品有限公司".into()),
        expiry_date: Some("2029-01-14".into()),
        manufacturer: Some("某某化妆品生产有限公司".into()),
        manufacturer_licence_no: Some("沪妆20160012".into()),
        ..form()
    }
}

fn copies() -> Vec<String> {
    [
        "第一联 抽样单位留存",
        "第二联 被抽样单位留存",
        "第三联 随样品寄送检验机构",
        "第四联 组织抽检部门留存",
    ]
    .map(String::from)
    .to_vec()
}

fn assert_chinese_only(text: &str) {
    // Latin letters only where the data has them: no English heading or sentence.
    for word in [
        "Sample", "Plan", "Product", "Sampling", "entity", "party", "Both",
    ] {
        assert!(
            !text.contains(word),
            "English {word:?} on the form:\n{text}"
        );
    }
}

#[test]
fn the_food_form_carries_the_national_fields_in_chinese_and_both_signatures() {
    let pdf = render_sampling_form(&form(), URL).expect("pdf");
    let text = pdf_text(&pdf);
    let flat = flat(&text);
    for needle in [
        "食品安全抽样检验抽样单",
        "抽样编号：F202663010200123",
        "西宁市城中区某某超市有限公司",
        "青海牦牛肉干（五香味）",
        "91630100MA7XXXXX0X",
        "抽样基数/批量",
        "200袋",
        "执行标准/技术文件",
        "GB2726-2016",
        "生产许可证号",
        "SC10463022300012",
        "包装分类",
        "预包装",
        "样品形态",
        "样品属性",
        "样品来源",
        "抽样方式",
        "单价",
        "35.00元/袋",
        "区域类型",
        "法定代表人/负责人",
        "年销售额",
        "承检机构",
        "青海省食品检验检测院",
        "承检机构地址",
        "寄送截止日期",
        "2026-03-06",
        "保质期",
        "食品类别",
        "抽样单位（盖章）",
        "被抽样单位（盖章）",
        "抽样人（张三）签字",
        "抽样人（李四）签字",
        "被抽样单位签字",
        "被抽样单位对抽样过程、封样状态及上述内容无异议。",
        "日期：",
    ] {
        assert!(flat.contains(needle), "{needle} not on the form:\n{text}");
    }
    assert_chinese_only(&text);
    assert_eq!(pdf_pages(&pdf), 1, "{text}");
    assert_eq!(pdf_qr_codes(&pdf, None), vec![vec![URL.to_string()]]);
}

#[test]
fn an_empty_field_prints_a_slash() {
    let mut f = form();
    f.standard = None;
    f.base_quantity = None;
    let text = flat(&pdf_text(&render_sampling_form(&f, URL).expect("pdf")));
    assert!(text.contains("执行标准/技术文件/"), "{text}");
    assert!(text.contains("抽样基数/批量/"), "{text}");
}

#[test]
fn the_drug_form_is_the_drug_sampling_record() {
    let pdf = render_sampling_form(&drug(), URL).expect("pdf");
    let text = pdf_text(&pdf);
    let flat = flat(&text);
    for needle in [
        "药品抽样记录及凭证",
        "药品名称",
        "阿莫西林胶囊",
        "批准文号",
        "国药准字H20003263",
        "有效期",
        "2028-01",
        "上市许可持有人",
        "剂型",
        "胶囊剂",
        "生产企业",
        "批号",
        "规格",
        "抽样数量",
        "6盒",
        "被抽样单位对抽样过程、封样状态及上述内容无异议。",
    ] {
        assert!(
            flat.contains(needle),
            "{needle} not on the drug form:\n{text}"
        );
    }
    for food in ["保质期", "食品类别", "食品安全"] {
        assert!(!flat.contains(food), "{food} on the drug form:\n{text}");
    }
    assert_chinese_only(&text);
    assert_eq!(pdf_pages(&pdf), 1);
}

#[test]
fn the_cosmetic_form_has_its_own_terms() {
    let pdf = render_sampling_form(&cosmetic(), URL).expect("pdf");
    let text = pdf_text(&pdf);
    let flat = flat(&text);
    for needle in [
        "化妆品抽样记录及凭证",
        "注册证编号/",
        "备案编号",
        "国妆网备进字（沪）2026000123",
        "注册人/备案人",
        "限期使用日期",
        "2029-01-14",
        "生产企业",
        "批号",
    ] {
        assert!(
            flat.contains(needle),
            "{needle} not on the cosmetic form:\n{text}"
        );
    }
    for food in ["保质期", "食品类别", "食品安全", "批准文号", "剂型"] {
        assert!(!flat.contains(food), "{food} on the cosmetic form:\n{text}");
    }
    assert_chinese_only(&text);
    assert_eq!(pdf_pages(&pdf), 1);
}

#[test]
fn each_copy_is_one_page_stating_its_copy_line() {
    for f in [form(), drug(), cosmetic()] {
        let f = SamplingForm {
            copies: copies(),
            ..f
        };
        let pdf = render_sampling_form(&f, URL).expect("pdf");
        assert_eq!(pdf_pages(&pdf), 4);
        let text = pdf_text(&pdf);
        let pages: Vec<String> = text.split('\x0c').map(flat).collect();
        for (page, copy) in pages.iter().zip(copies()) {
            assert!(
                page.contains(&flat(&copy)),
                "{copy} not on its page:\n{page}"
            );
            assert!(page.contains("F202663010200123"), "{page}");
        }
    }
}

#[test]
fn very_long_values_still_give_one_page_per_copy() {
    let mut f = form();
    f.notes = Some("备注".repeat(400));
    f.entity_address = "很长的地址".repeat(60);
    f.samplers = vec!["张三".into(), "李四".into(), "王五".into(), "赵六".into()];
    assert_eq!(pdf_pages(&render_sampling_form(&f, URL).expect("pdf")), 1);
    f.copies = copies();
    assert_eq!(pdf_pages(&render_sampling_form(&f, URL).expect("pdf")), 4);
}

#[test]
fn stored_forms_without_the_new_fields_still_read() {
    let mut json = serde_json::to_value(form()).expect("json");
    let obj = json.as_object_mut().expect("object");
    for key in ["kind", "standard", "copies", "unit_price", "lab_name"] {
        obj.remove(key);
    }
    let f: SamplingForm = serde_json::from_value(json).expect("reads");
    assert_eq!(f.kind, FormKind::Food);
    assert!(f.copies.is_empty());
    assert_eq!(
        serde_json::to_value(FormKind::Cosmetic).expect("json"),
        "cosmetic"
    );
}

#[test]
fn sampling_form_is_deterministic() {
    let a = render_sampling_form(&form(), "https://x/s/1").expect("pdf");
    let b = render_sampling_form(&form(), "https://x/s/1").expect("pdf");
    assert!(a == b, "two renderings differ");
}
