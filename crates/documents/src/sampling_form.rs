//! The sampling form (抽样单): one A4 page with every field of the sample, the entity and the
//! samplers, a QR code of the sample URL, and signature boxes for the sampling unit and the
//! sampled party (FSSM Art 19: both sides sign or stamp it). Invariant: always exactly one
//! page — long values shrink the type, then are cut with "…", never spill onto a second page.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save, text_width, Canvas, QrForms};
use super::qr::Ecc;
use super::text::wrap;
use super::DocError;

/// Everything the form prints, already formatted for people (dates, units, enums in
/// Chinese), so this module knows nothing of the database. `None` leaves the cell blank to
/// be filled in by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingForm {
    pub sample_no: String,
    // The plan (抽检计划/任务).
    pub plan_code: String,
    pub plan_name: String,
    /// e.g. 监督抽检 / 风险监测.
    pub plan_kind: String,
    /// e.g. 省级.
    pub plan_level: String,
    /// e.g. 食品.
    pub domain: String,
    /// The catalogue category, e.g. 肉制品 / 熟肉制品.
    pub category: String,
    /// Sampling stage, e.g. 流通.
    pub stage: String,
    // The sampled entity (被抽样单位).
    pub entity_name: String,
    /// 统一社会信用代码.
    pub entity_uscc: String,
    /// 许可证号, where the entity's kind has one.
    pub entity_licence_no: Option<String>,
    pub entity_kind: String,
    pub entity_address: String,
    /// Contact person and phone.
    pub entity_contact: Option<String>,
    // The product.
    pub product_name: String,
    pub brand: Option<String>,
    pub specification: Option<String>,
    pub batch_no: Option<String>,
    pub production_date: Option<String>,
    pub shelf_life: Option<String>,
    /// 标称生产者.
    pub manufacturer: Option<String>,
    pub manufacturer_address: Option<String>,
    // The sampling.
    /// Date and time, e.g. 2026-03-01 10:30.
    pub sampled_at: String,
    pub sampling_place: String,
    /// At least two officers (FSSM); each gets a signature line.
    pub samplers: Vec<String>,
    /// Quantity with unit, e.g. "2 袋".
    pub inspection_quantity: String,
    pub backup_quantity: Option<String>,
    pub storage: String,
    /// Price paid, e.g. "35.00 元".
    pub price: Option<String>,
    pub notes: Option<String>,
    /// 抽样单位: who sampled.
    pub sampling_unit: String,
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 15.0;
const TABLE_TOP: f32 = 42.0;
const SIGN_H: f32 = 52.0;
const LABEL_W: f32 = 30.0;
const PAD: f32 = 1.2;

/// A table row: a section heading, two label/value pairs, or one pair across the width.
enum Row<'a> {
    Section(&'a str),
    Pair((&'a str, String), (&'a str, String)),
    Wide(&'a str, String),
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn rows(f: &SamplingForm) -> Vec<Row<'_>> {
    use Row::*;
    vec![
        Section("抽检任务 Plan"),
        Pair(
            ("任务编号", f.plan_code.clone()),
            ("任务名称", f.plan_name.clone()),
        ),
        Pair(
            ("抽检类型", f.plan_kind.clone()),
            ("任务级别", f.plan_level.clone()),
        ),
        Pair(("领域", f.domain.clone()), ("样品类别", f.category.clone())),
        Section("被抽样单位 Sampled entity"),
        Wide("单位名称", f.entity_name.clone()),
        Pair(
            ("统一社会信用代码", f.entity_uscc.clone()),
            ("许可证号", opt(&f.entity_licence_no)),
        ),
        Pair(
            ("单位类型", f.entity_kind.clone()),
            ("联系人/电话", opt(&f.entity_contact)),
        ),
        Wide("单位地址", f.entity_address.clone()),
        Section("样品信息 Product"),
        Wide("样品名称", f.product_name.clone()),
        Pair(("商标", opt(&f.brand)), ("规格型号", opt(&f.specification))),
        Pair(
            ("生产日期", opt(&f.production_date)),
            ("批号", opt(&f.batch_no)),
        ),
        Pair(
            ("保质期", opt(&f.shelf_life)),
            ("贮存条件", f.storage.clone()),
        ),
        Wide("标称生产者", opt(&f.manufacturer)),
        Wide("生产者地址", opt(&f.manufacturer_address)),
        Section("抽样信息 Sampling"),
        Pair(
            ("抽样环节", f.stage.clone()),
            ("抽样时间", f.sampled_at.clone()),
        ),
        Wide("抽样地点", f.sampling_place.clone()),
        Pair(
            ("检验样品数量", f.inspection_quantity.clone()),
            ("备份样品数量", opt(&f.backup_quantity)),
        ),
        Pair(
            ("购样费用", opt(&f.price)),
            ("抽样人员", f.samplers.join("、")),
        ),
        Wide("抽样单位", f.sampling_unit.clone()),
        Wide("备注", opt(&f.notes)),
    ]
}

/// A laid-out table row: its height and cells as (x, width, lines, is_label).
struct Laid {
    height: f32,
    section: bool,
    cells: Vec<(f32, f32, Vec<String>, bool)>,
}

fn lay_out(rows: &[Row], size_pt: f32, max_lines: usize) -> Vec<Laid> {
    let size_mm = size_pt * MM_PER_PT;
    let line_h = size_mm * 1.3;
    let table_w = PAGE_W - 2.0 * MARGIN;
    let half = table_w / 2.0;
    let cell = |x: f32, w: f32, text: &str, label: bool| {
        let lines = wrap(
            text,
            (w - 2.0 * PAD) / size_mm,
            if label { 2 } else { max_lines },
        );
        (x, w, lines, label)
    };
    rows.iter()
        .map(|r| {
            let cells = match r {
                Row::Section(title) => vec![cell(MARGIN, table_w, title, true)],
                Row::Pair((l1, v1), (l2, v2)) => vec![
                    cell(MARGIN, LABEL_W, l1, true),
                    cell(MARGIN + LABEL_W, half - LABEL_W, v1, false),
                    cell(MARGIN + half, LABEL_W, l2, true),
                    cell(MARGIN + half + LABEL_W, half - LABEL_W, v2, false),
                ],
                Row::Wide(l, v) => vec![
                    cell(MARGIN, LABEL_W, l, true),
                    cell(MARGIN + LABEL_W, table_w - LABEL_W, v, false),
                ],
            };
            let lines = cells.iter().map(|c| c.2.len()).max().unwrap_or(1).max(1);
            Laid {
                height: lines as f32 * line_h + 2.0 * PAD,
                section: matches!(r, Row::Section(_)),
                cells,
            }
        })
        .collect()
}

/// Renders the form as a one-page A4 PDF; `qr_text` is the sample's URL.
pub fn render_sampling_form(form: &SamplingForm, qr_text: &str) -> Result<Vec<u8>, DocError> {
    let rows = rows(form);
    let room = PAGE_H - MARGIN - SIGN_H - 14.0 - TABLE_TOP;
    // Shrink the type until the table fits; at the smallest size, cut long values.
    let mut chosen = None;
    for (size, max_lines) in [
        (9.0, 6),
        (8.5, 6),
        (8.0, 5),
        (7.5, 4),
        (7.0, 3),
        (6.5, 2),
        (6.0, 1),
    ] {
        let laid = lay_out(&rows, size, max_lines);
        if laid.iter().map(|r| r.height).sum::<f32>() <= room || size == 6.0 {
            chosen = Some((size, laid));
            break;
        }
    }
    let (size, laid) =
        chosen.ok_or_else(|| DocError::Invalid("the form cannot be laid out".into()))?;
    let size_mm = size * MM_PER_PT;
    let line_h = size_mm * 1.3;

    let mut c = Canvas::new(PAGE_H);
    let mut texts: Vec<(f32, f32, f32, String)> = Vec::new();
    // Heading, sample number and QR code.
    let title = "抽 样 单";
    texts.push((
        (PAGE_W - text_width(title, 22.0)) / 2.0,
        MARGIN + 8.0,
        22.0,
        title.into(),
    ));
    let sub = "Sampling Form · 食品安全抽样检验";
    texts.push((
        (PAGE_W - text_width(sub, 9.0)) / 2.0,
        MARGIN + 14.0,
        9.0,
        sub.into(),
    ));
    texts.push((
        MARGIN,
        TABLE_TOP - 4.0,
        11.0,
        format!("抽样编号 Sample No.：{}", form.sample_no),
    ));
    let mut forms = QrForms::default();
    c.qr(
        &mut forms,
        qr_text,
        Ecc::M,
        PAGE_W - MARGIN - 24.0,
        MARGIN - 6.0,
        24.0,
    )?;
    texts.push((
        PAGE_W - MARGIN - 20.5,
        MARGIN + 19.5,
        6.0,
        "扫码查看样品".into(),
    ));

    // The table.
    let table_w = PAGE_W - 2.0 * MARGIN;
    let mut y = TABLE_TOP;
    for row in &laid {
        if row.section {
            c.rect_fill(MARGIN, y, table_w, row.height, 0.88);
        }
        for (x, w, lines, is_label) in &row.cells {
            let (x, w) = (*x, *w);
            if !row.section && *is_label {
                c.rect_fill(x, y, w, row.height, 0.95);
            }
            if x > MARGIN {
                c.line(x, y, x, y + row.height, 0.2);
            }
            for (i, l) in lines.iter().enumerate() {
                let baseline =
                    y + PAD + i as f32 * line_h + (line_h - size_mm) / 2.0 + EM_ASCENT * size_mm;
                texts.push((x + PAD, baseline, size, l.clone()));
            }
        }
        c.line(
            MARGIN,
            y + row.height,
            MARGIN + table_w,
            y + row.height,
            0.2,
        );
        y += row.height;
    }
    c.rect_stroke(MARGIN, TABLE_TOP, table_w, y - TABLE_TOP, 0.4);

    // Confirmation and signature boxes for both sides.
    let note = "以上内容经抽样单位与被抽样单位双方核实无误，样品已当场封样。Both parties confirm the above; the samples were sealed on site.";
    let note_lines = wrap(note, table_w / (7.0 * MM_PER_PT), 2);
    for (i, l) in note_lines.into_iter().enumerate() {
        texts.push((MARGIN, y + 5.0 + i as f32 * 3.3, 7.0, l));
    }
    let top = PAGE_H - MARGIN - SIGN_H;
    let box_w = (table_w - 6.0) / 2.0;
    let mut samplers: Vec<&str> = form.samplers.iter().map(String::as_str).collect();
    while samplers.len() < 2 {
        samplers.push("");
    }
    let left: Vec<String> = samplers
        .iter()
        .map(|s| {
            if s.is_empty() {
                "抽样人签字：".to_string()
            } else {
                format!("抽样人（{s}）签字：")
            }
        })
        .collect();
    let sides = [
        (MARGIN, "抽样单位（盖章） Sampling unit", left),
        (
            MARGIN + box_w + 6.0,
            "被抽样单位（盖章） Sampled party",
            vec!["被抽样单位签字：".to_string(), "联系电话：".to_string()],
        ),
    ];
    for (x, heading, lines) in sides {
        c.rect_stroke(x, top, box_w, SIGN_H, 0.4);
        texts.push((x + 2.0, top + 5.5, 9.0, heading.into()));
        let step = (SIGN_H - 18.0) / lines.len().max(1) as f32;
        for (i, l) in lines.iter().enumerate() {
            let base = top + 14.0 + i as f32 * step;
            texts.push((x + 2.0, base, 8.0, l.clone()));
            let start = (x + 3.0 + text_width(l, 8.0)).min(x + box_w - 25.0);
            c.line(start, base + 1.0, x + box_w - 3.0, base + 1.0, 0.2);
        }
        let date = "日期：          年        月        日";
        texts.push((x + 2.0, top + SIGN_H - 4.0, 8.0, date.into()));
    }
    c.text_lines(texts.iter().map(|(x, b, s, t)| (*x, *b, *s, t.as_str())));

    let mut doc = new_document(&format!("抽样单 {}", form.sample_no))?;
    doc.pages = vec![c.into_page(PAGE_W, PAGE_H)];
    save(&doc, forms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    pub(crate) fn form() -> SamplingForm {
        SamplingForm {
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
        }
    }

    #[test]
    fn sampling_form_reads_back_with_every_key_field_and_both_signature_boxes() {
        let pdf = render_sampling_form(&form(), "https://lims.example.cn/s/F202663010200123")
            .expect("pdf");
        let text = pdf_text(&pdf);
        let flat: String = text.split_whitespace().collect();
        for needle in [
            "抽样单",
            "F202663010200123",
            "西宁市城中区某某超市有限公司",
            "张三",
            "李四",
            "青海牦牛肉干（五香味）",
            "抽样单位（盖章）",
            "被抽样单位（盖章）",
            "抽样人（张三）签字",
            "抽样人（李四）签字",
            "被抽样单位签字",
            "91630100MA7XXXXX0X",
            "青海省食品检验检测院",
        ] {
            assert!(
                flat.contains(needle),
                "{needle} not in the form's text:\n{text}"
            );
        }
        assert_eq!(pdf_pages(&pdf), 1);
        assert_eq!(
            pdf_qr_codes(&pdf, None),
            vec![vec![
                "https://lims.example.cn/s/F202663010200123".to_string()
            ]]
        );
    }

    #[test]
    fn very_long_values_still_give_one_page() {
        let mut f = form();
        f.notes = Some("备注".repeat(400));
        f.entity_address = "很长的地址".repeat(60);
        let pdf =
            render_sampling_form(&f, "https://lims.example.cn/s/F202663010200123").expect("pdf");
        assert_eq!(pdf_pages(&pdf), 1);
    }

    #[test]
    fn sampling_form_is_deterministic() {
        let a = render_sampling_form(&form(), "https://x/s/1").expect("pdf");
        let b = render_sampling_form(&form(), "https://x/s/1").expect("pdf");
        assert!(a == b, "two renderings differ");
    }
}
