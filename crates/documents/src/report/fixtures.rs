//! Reports used by the tests of this crate and its benchmarks' fixtures.

use super::{LabIdentity, ReportDoc, ReportRow};

pub(crate) const VERIFY_URL: &str =
    "https://lims.example.cn/verify/QHJ2026000001?k=abcdefghijklmnopqrst";

/// (item, method, limit, limit standard, result, unit): 40 distinct items, none a
/// part of another's name, each short enough for one line of its column.
const ITEMS: [(&str, &str, &str, &str, &str, &str); 40] = [
    (
        "铅(以Pb计)",
        "GB 5009.12-2023",
        "≤0.5",
        "GB 2762-2022",
        "0.062",
        "mg/kg",
    ),
    (
        "总砷(以As计)",
        "GB 5009.11-2024",
        "≤0.5",
        "GB 2762-2022",
        "未检出(<0.01)",
        "mg/kg",
    ),
    (
        "镉(以Cd计)",
        "GB 5009.15-2023",
        "≤0.1",
        "GB 2762-2022",
        "0.012",
        "mg/kg",
    ),
    (
        "铬(以Cr计)",
        "GB 5009.123-2023",
        "≤1.0",
        "GB 2762-2022",
        "0.21",
        "mg/kg",
    ),
    (
        "总汞(以Hg计)",
        "GB 5009.17-2021",
        "≤0.05",
        "GB 2762-2022",
        "未检出(<0.002)",
        "mg/kg",
    ),
    (
        "亚硝酸盐(以亚硝酸钠计)",
        "GB 5009.33-2016",
        "≤30",
        "GB 2760-2024",
        "4.6",
        "mg/kg",
    ),
    (
        "苯甲酸及其钠盐(以苯甲酸计)",
        "GB 5009.28-2016",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.005)",
        "g/kg",
    ),
    (
        "山梨酸及其钾盐(以山梨酸计)",
        "GB 5009.28-2016",
        "≤0.075",
        "GB 2760-2024",
        "0.031",
        "g/kg",
    ),
    (
        "糖精钠(以糖精计)",
        "GB 5009.28-2016",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.005)",
        "g/kg",
    ),
    (
        "菌落总数",
        "GB 4789.2-2022",
        "n=5,c=2,m=10000,M=100000",
        "GB 2726-2016",
        "1.2×10³",
        "CFU/g",
    ),
    (
        "大肠菌群",
        "GB 4789.3-2016",
        "n=5,c=2,m=10,M=100",
        "GB 2726-2016",
        "<10",
        "CFU/g",
    ),
    (
        "脱氢乙酸及其钠盐",
        "GB 5009.121-2016",
        "≤0.5",
        "GB 2760-2024",
        "未检出(<0.01)",
        "g/kg",
    ),
    (
        "纳他霉素",
        "GB/T 21915-2008",
        "≤0.3",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "胭脂红",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "日落黄",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "诱惑红",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "柠檬黄",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "苋菜红",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "亮蓝",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "酸性红",
        "GB 5009.35-2023",
        "不得使用",
        "GB 2760-2024",
        "未检出(<0.5)",
        "mg/kg",
    ),
    (
        "氯霉素",
        "GB 31658.2-2021",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<0.1)",
        "μg/kg",
    ),
    (
        "克伦特罗",
        "GB/T 22286-2008",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<0.5)",
        "μg/kg",
    ),
    (
        "莱克多巴胺",
        "GB/T 22286-2008",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<0.5)",
        "μg/kg",
    ),
    (
        "沙丁胺醇",
        "GB/T 22286-2008",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<0.5)",
        "μg/kg",
    ),
    (
        "恩诺沙星",
        "GB 31658.17-2021",
        "≤100",
        "GB 31650-2019",
        "未检出(<2)",
        "μg/kg",
    ),
    (
        "氧氟沙星",
        "GB 31658.17-2021",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<2)",
        "μg/kg",
    ),
    (
        "培氟沙星",
        "GB 31658.17-2021",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<2)",
        "μg/kg",
    ),
    (
        "诺氟沙星",
        "GB 31658.17-2021",
        "不得检出",
        "农业农村部公告第250号",
        "未检出(<2)",
        "μg/kg",
    ),
    (
        "磺胺类(总量)",
        "GB 29694-2013",
        "≤100",
        "GB 31650-2019",
        "未检出(<5)",
        "μg/kg",
    ),
    (
        "土霉素",
        "GB/T 21317-2007",
        "≤200",
        "GB 31650-2019",
        "未检出(<5)",
        "μg/kg",
    ),
    (
        "四环素",
        "GB/T 21317-2007",
        "≤200",
        "GB 31650-2019",
        "未检出(<5)",
        "μg/kg",
    ),
    (
        "金霉素",
        "GB/T 21317-2007",
        "≤200",
        "GB 31650-2019",
        "未检出(<5)",
        "μg/kg",
    ),
    (
        "酸价(以脂肪计)(KOH)",
        "GB 5009.229-2016",
        "≤5",
        "GB 2730-2015",
        "1.8",
        "mg/g",
    ),
    (
        "过氧化值(以脂肪计)",
        "GB 5009.227-2023",
        "≤0.5",
        "GB 2730-2015",
        "0.12",
        "g/100g",
    ),
    (
        "沙门氏菌",
        "GB 4789.4-2024",
        "n=5,c=0,m=0/25g",
        "GB 29921-2021",
        "未检出",
        "/25g",
    ),
    (
        "金黄色葡萄球菌",
        "GB 4789.10-2016",
        "n=5,c=1,m=100,M=1000",
        "GB 29921-2021",
        "<10",
        "CFU/g",
    ),
    (
        "单核细胞增生李斯特氏菌",
        "GB 4789.30-2016",
        "n=5,c=0,m=0/25g",
        "GB 29921-2021",
        "未检出",
        "/25g",
    ),
    (
        "致泻大肠埃希氏菌",
        "GB 4789.6-2016",
        "n=5,c=0,m=0/25g",
        "GB 29921-2021",
        "未检出",
        "/25g",
    ),
    (
        "水分",
        "GB 5009.3-2016",
        "≤20",
        "GB/T 23969-2022",
        "14.2",
        "g/100g",
    ),
    (
        "蛋白质",
        "GB 5009.5-2016",
        "≥28",
        "GB/T 23969-2022",
        "36.5",
        "g/100g",
    ),
];

/// The item names of the first `rows` rows of [`sample_doc`].
pub(crate) fn item_names(rows: usize) -> Vec<String> {
    sample_doc(rows).rows.into_iter().map(|r| r.item).collect()
}

/// A report on a yak jerky sample with `rows` result rows, all compliant (rows beyond
/// the 40 distinct items repeat them with a suffix).
pub(crate) fn sample_doc(rows: usize) -> ReportDoc {
    ReportDoc {
        report_no: "QHJ2026000001".into(),
        title: "检验报告".into(),
        lab: LabIdentity {
            name: "青海省食品检验检测院".into(),
            address: "青海省西宁市城北区某某路88号".into(),
            cma_no: "CMA 资质认定证书编号：201963000123".into(),
            contact: "电话：0971-0000000  邮编：810000".into(),
            disclaimer: vec![
                "本报告无本检验检测机构“检验检测专用章”及骑缝章无效；报告涂改无效。".into(),
                "本报告无检验、审核、批准人签字无效。".into(),
                "未经本检验检测机构书面批准，不得部分复制本报告。".into(),
                "本报告检验结果仅对所检样品负责。".into(),
                "对检验结果有异议的，可自收到本报告之日起七个工作日内向组织抽检的市场监督管理部门或其上级部门提出书面复检申请，逾期未提出的，不予受理。".into(),
            ],
            ..Default::default()
        },
        supersedes: None,
        sample_no: "F202663010200123".into(),
        product_name: "青海牦牛肉干（五香味）".into(),
        brand: "可可西里".into(),
        specification: "250g/袋".into(),
        batch: "20260115A / 2026-01-15".into(),
        category: "肉制品 / 熟肉制品 / 肉干".into(),
        quantity: "4 袋".into(),
        condition: "包装完好，无破损".into(),
        organiser: "青海省市场监督管理局".into(),
        entity_name: "西宁市城中区某某超市有限公司".into(),
        entity_address: "青海省西宁市城中区南大街1号".into(),
        manufacturer: "青海某某食品有限公司".into(),
        manufacturer_address: "青海省海东市互助土族自治县威远镇".into(),
        sampling_place: "超市货架".into(),
        plan_name: "2026年青海省食品安全监督抽检".into(),
        plan_kind: "监督抽检".into(),
        sampled_on: "2026-03-01".into(),
        received_on: "2026-03-02".into(),
        tested_on: "2026-03-02 至 2026-03-05".into(),
        issued_on: "2026-03-06".into(),
        rows: (0..rows)
            .map(|i| {
                let (item, method, limit, standard, result, unit) = ITEMS[i % ITEMS.len()];
                let item = if i < ITEMS.len() {
                    item.to_string()
                } else {
                    format!("{item}（{}）", i / ITEMS.len() + 1)
                };
                ReportRow {
                    item,
                    method: method.into(),
                    limit: limit.into(),
                    limit_standard: standard.into(),
                    result: result.into(),
                    unit: unit.into(),
                    judgment: "合格".into(),
                    failed: false,
                    ..Default::default()
                }
            })
            .collect(),
        conclusion: "经抽样检验，所检项目符合 GB 2762-2022《食品安全国家标准 食品中污染物限量》、GB 2760-2024《食品安全国家标准 食品添加剂使用标准》、GB 2726-2016《食品安全国家标准 熟肉制品》要求，检验结论为合格。".into(),
        verdict: "合格".into(),
        basis: "GB 2762-2022、GB 2760-2024、GB 2726-2016、GB 29921-2021、GB 31650-2019".into(),
        tester: "赵敏".into(),
        reviewer: "钱伟".into(),
        signatory: "孙丽华".into(),
        remarks: "检验样品与备份样品均由抽样人员封样送达，封样完好。".into(),
        verify_url: Some(VERIFY_URL.into()),
        ..Default::default()
    }
}

/// [`sample_doc`] with the total plate count (菌落总数, row 10, or the last row of a
/// shorter report) over its limit, and the conclusion to match.
pub(crate) fn failing_doc(rows: usize) -> ReportDoc {
    let mut doc = sample_doc(rows);
    let n = doc.rows.len();
    if let Some(row) = doc.rows.get_mut(9.min(n.saturating_sub(1))) {
        row.result = "260000".into();
        row.judgment = "不合格".into();
        row.failed = true;
        doc.verdict = "不合格".into();
        doc.conclusion = format!(
            "经抽样检验，{}项目不符合 {} 要求，检验结论为不合格。",
            row.item, row.limit_standard
        );
    }
    doc
}

/// [`failing_doc`] as a risk-monitoring report: the item out of line, the caller's
/// sentence, and judgment words the renderer must not print.
pub(crate) fn risk_doc(rows: usize) -> ReportDoc {
    let mut doc = failing_doc(rows);
    doc.risk_monitoring = true;
    doc.plan_kind = "风险监测".into();
    doc.verdict = String::new();
    doc.conclusion = "所检项目中 1 项（菌落总数）存在问题。".into();
    doc
}
