//! Inspection report benchmarks (SPEC §10): one report of about 300 Chinese characters and
//! 10 result rows (must ≤ 10 ms and ≤ 80 KB, aim ≤ 5 ms and ≤ 60 KB), and 100 different
//! reports rendered one after another.
//! Run: `cargo bench --bench report`; figures go to BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lims::documents::report::{render_report, LabIdentity, ReportDoc, ReportRow};

/// (item, method, limit, limit standard, result, unit).
const ITEMS: [(&str, &str, &str, &str, &str, &str); 10] = [
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
        "过氧化值(以脂肪计)",
        "GB 5009.227-2023",
        "≤0.5",
        "GB 2730-2015",
        "0.12",
        "g/100g",
    ),
];

/// Report number `n` (1-based) of a run: the same content, its own number, URL and
/// first result.
fn report(n: usize) -> ReportDoc {
    let report_no = format!("QHJ2026{n:06}");
    ReportDoc {
        verify_url: Some(format!(
            "https://lims.example.cn/verify/{report_no}?k=abcdefghijklmnopqrst"
        )),
        report_no,
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
        sample_no: format!("F2026630102{n:05}"),
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
        rows: ITEMS
            .iter()
            .enumerate()
            .map(|(i, (item, method, limit, standard, result, unit))| ReportRow {
                item: (*item).into(),
                method: (*method).into(),
                limit: (*limit).into(),
                limit_standard: (*standard).into(),
                result: if i == 0 {
                    format!("0.{:03}", 10 + n % 90)
                } else {
                    (*result).into()
                },
                unit: (*unit).into(),
                judgment: "合格".into(),
                failed: false,
                ..Default::default()
            })
            .collect(),
        conclusion: "经抽样检验，所检项目符合 GB 2762-2022《食品安全国家标准 食品中污染物限量》、GB 2760-2024《食品安全国家标准 食品添加剂使用标准》、GB 2726-2016《食品安全国家标准 熟肉制品》要求，检验结论为合格。".into(),
        verdict: "合格".into(),
        basis: "GB 2762-2022、GB 2760-2024、GB 2726-2016、GB 2730-2015".into(),
        tester: "赵敏".into(),
        reviewer: "钱伟".into(),
        signatory: "孙丽华".into(),
        remarks: "检验样品与备份样品均由抽样人员封样送达，封样完好。".into(),
        ..Default::default()
    }
}

fn reports(c: &mut Criterion) {
    let one = report(1);
    let hundred: Vec<ReportDoc> = (1..=100).map(report).collect();
    let chinese = |d: &ReportDoc| {
        serde_json::to_string(d)
            .expect("json")
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count()
    };
    let pdf = render_report(&one).expect("pdf");
    eprintln!(
        "size: one-page report ({} Chinese characters, {} rows) {} B",
        chinese(&one),
        one.rows.len(),
        pdf.len()
    );

    let mut group = c.benchmark_group("report");
    group.bench_function("one_page_10_items", |b| {
        b.iter(|| render_report(black_box(&one)).expect("pdf"))
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("batch_100", |b| {
        b.iter(|| {
            hundred
                .iter()
                .map(|d| render_report(black_box(d)).expect("pdf").len())
                .sum::<usize>()
        })
    });
    // The same 100 reports as the batch download builds them from their stored PDFs.
    let pdfs: Vec<Vec<u8>> = hundred
        .iter()
        .map(|d| render_report(d).expect("pdf"))
        .collect();
    let files: Vec<(String, Vec<u8>)> = pdfs
        .iter()
        .zip(&hundred)
        .map(|(p, d)| (format!("{}.pdf", d.report_no), p.clone()))
        .collect();
    eprintln!(
        "size: 100 reports {} B as ZIP, {} B merged",
        lims::documents::bundle::zip(&files).expect("zip").len(),
        lims::documents::bundle::merge_pdfs(&pdfs)
            .expect("merge")
            .len()
    );
    group.bench_function("zip_100", |b| {
        b.iter(|| lims::documents::bundle::zip(black_box(&files)).expect("zip"))
    });
    group.bench_function("merge_100", |b| {
        b.iter(|| lims::documents::bundle::merge_pdfs(black_box(&pdfs)).expect("merge"))
    });
    group.finish();
}

criterion_group!(benches, reports);
criterion_main!(benches);
