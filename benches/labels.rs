//! Document benchmarks (SPEC §10): one 50×30 label PDF, 1,000 labels in one PDF (must
//! ≤ 0.5 s, aim ≤ 0.25 s), ZPL and SVG, the sampling form, and the PDF size per label.
//! Run: `cargo bench --bench labels`; figures go to BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use lims::documents::labels::{
    labels_for, render_pdf, render_svg, render_zpl, shipped_templates, Label, LabelSample,
    LabelTemplate,
};
use lims::documents::sampling_form::{render_sampling_form, SamplingForm};

const BASE: &str = "https://lims.example.cn";

/// The labels of `samples` supervision samples (4 each), numbered like real ones.
fn labels(samples: usize) -> Vec<Label> {
    (0..samples)
        .flat_map(|i| {
            let sample = LabelSample {
                sample_no: format!("F2026630102{:05}", i + 1),
                product_name: "青海牦牛肉干（五香味）".into(),
                sampled_on: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
                storage: "常温".into(),
                entity_name: "西宁市城中区某某超市有限公司".into(),
                has_backup: true,
            };
            labels_for(&sample, BASE)
        })
        .collect()
}

fn template(name: &str) -> LabelTemplate {
    shipped_templates()
        .into_iter()
        .find(|t| t.name == name)
        .expect("shipped template")
}

fn form() -> SamplingForm {
    SamplingForm {
        sample_no: "F202663010200123".into(),
        plan_code: "QH-2026-SJ-001".into(),
        plan_name: "2026年青海省食品安全监督抽检".into(),
        plan_kind: "监督抽检".into(),
        plan_level: "省级".into(),
        domain: "食品".into(),
        category: "肉制品 / 熟肉制品".into(),
        stage: "流通".into(),
        entity_name: "西宁市城中区某某超市有限公司".into(),
        entity_uscc: "91630100MA7XXXXX0X".into(),
        entity_licence_no: Some("JY16301030012345".into()),
        entity_kind: "经营者".into(),
        entity_address: "青海省西宁市城中区南大街1号".into(),
        entity_contact: Some("王五 0971-1234567".into()),
        product_name: "青海牦牛肉干（五香味）".into(),
        brand: Some("可可西里".into()),
        specification: Some("250g/袋".into()),
        batch_no: Some("20260115A".into()),
        production_date: Some("2026-01-15".into()),
        shelf_life: Some("12个月".into()),
        manufacturer: Some("青海某某食品有限公司".into()),
        manufacturer_address: Some("青海省海东市互助土族自治县威远镇".into()),
        sampled_at: "2026-03-01 10:30".into(),
        sampling_place: "超市货架".into(),
        samplers: vec!["张三".into(), "李四".into()],
        inspection_quantity: "4 袋".into(),
        backup_quantity: Some("4 袋".into()),
        storage: "常温".into(),
        price: Some("140.00 元".into()),
        notes: None,
        sampling_unit: "青海省食品检验检测院".into(),
        ..Default::default()
    }
}

fn documents(c: &mut Criterion) {
    let t50 = template("thermal-50x30");
    let a4 = template("a4-3x8");
    let one = labels(1)[..1].to_vec();
    let thousand = labels(250);
    assert_eq!(thousand.len(), 1000);

    // Sizes first: they are what BENCHMARKS.md reports per label.
    let one_pdf = render_pdf(&t50, &one).expect("pdf");
    let thousand_pdf = render_pdf(&t50, &thousand).expect("pdf");
    let a4_pdf = render_pdf(&a4, &thousand).expect("pdf");
    let form_pdf =
        render_sampling_form(&form(), "https://lims.example.cn/s/F202663010200123").expect("pdf");
    println!(
        "size: 1 label 50x30 {} B; 1,000 labels 50x30 {} B = {:.0} B/label; \
         1,000 labels A4 3x8 {} B = {:.0} B/label; sampling form {} B",
        one_pdf.len(),
        thousand_pdf.len(),
        thousand_pdf.len() as f64 / 1000.0,
        a4_pdf.len(),
        a4_pdf.len() as f64 / 1000.0,
        form_pdf.len()
    );

    c.bench_function("label_pdf_1_thermal_50x30", |b| {
        b.iter(|| render_pdf(&t50, black_box(&one)).expect("pdf"))
    });
    c.bench_function("sampling_form_pdf", |b| {
        b.iter(|| {
            render_sampling_form(black_box(&form()), "https://lims.example.cn/s/F1").expect("pdf")
        })
    });
    c.bench_function("label_svg_1_thermal_50x30", |b| {
        b.iter(|| render_svg(&t50, black_box(&one[0])).expect("svg"))
    });

    let mut batch = c.benchmark_group("batch_1000_labels");
    batch
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    batch.bench_function("pdf_thermal_50x30", |b| {
        b.iter(|| render_pdf(&t50, black_box(&thousand)).expect("pdf"))
    });
    batch.bench_function("pdf_a4_3x8", |b| {
        b.iter(|| render_pdf(&a4, black_box(&thousand)).expect("pdf"))
    });
    batch.bench_function("zpl_thermal_50x30", |b| {
        b.iter(|| render_zpl(&t50, black_box(&thousand)).expect("zpl"))
    });
    batch.finish();
}

criterion_group!(benches, documents);
criterion_main!(benches);
