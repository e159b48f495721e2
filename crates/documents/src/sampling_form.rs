//! The sampling form (抽样单): one A4 page per copy with every field of the sample, the
//! entity and the samplers, a QR code of the sample URL, the sampled party's statement and
//! signature boxes for the sampling unit and the sampled party (both sides sign or stamp
//! it, docs/domain/rules.md §c.1). One renderer per domain, chosen by [`FormKind`]: the
//! food form carries the national field set (§c.3), drugs and cosmetics their own records
//! (§f); `sampling_form/fields.rs` holds each domain's rows. Every word is Chinese; a
//! field nobody filled prints "/". Invariant: each copy is exactly one page — long values
//! shrink the type, then are cut with "…", never spill onto a second page.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save, text_width, Canvas, QrForms};
use super::qr::Ecc;
use super::text::wrap;
use super::DocError;

mod fields;
use fields::{rows, title, Row};

/// Which record the form is: the food form, the drug sampling record or the cosmetic one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormKind {
    #[default]
    Food,
    Drug,
    Cosmetic,
}

/// Everything the form prints, already formatted for people (dates, units, enums in
/// Chinese), so this module knows nothing of the database. `None` prints "/".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingForm {
    /// Which domain's form to print.
    #[serde(default)]
    pub kind: FormKind,
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
    /// 法定代表人/负责人.
    #[serde(default)]
    pub entity_legal_rep: Option<String>,
    /// 年销售额, e.g. "50 万元".
    #[serde(default)]
    pub entity_annual_sales: Option<String>,
    /// 区域类型, e.g. 城市 / 乡村 / 景点.
    #[serde(default)]
    pub area_type: Option<String>,
    // The product.
    pub product_name: String,
    pub brand: Option<String>,
    pub specification: Option<String>,
    pub batch_no: Option<String>,
    pub production_date: Option<String>,
    pub shelf_life: Option<String>,
    /// 标称生产者 (drugs and cosmetics: 生产企业).
    pub manufacturer: Option<String>,
    pub manufacturer_address: Option<String>,
    /// The producer's licence number (生产许可证号, SC…).
    #[serde(default)]
    pub manufacturer_licence_no: Option<String>,
    /// 执行标准/技术文件.
    #[serde(default)]
    pub standard: Option<String>,
    /// 包装分类: 散装 / 预包装.
    #[serde(default)]
    pub packaging: Option<String>,
    /// 样品形态, e.g. 固态.
    #[serde(default)]
    pub sample_form: Option<String>,
    /// 样品属性, e.g. 普通食品.
    #[serde(default)]
    pub sample_attribute: Option<String>,
    /// 样品来源, e.g. 外购.
    #[serde(default)]
    pub sample_source: Option<String>,
    /// 单价, e.g. "12.50 元/袋".
    #[serde(default)]
    pub unit_price: Option<String>,
    /// Drug: 批准文号; cosmetic: 注册证编号/备案编号.
    #[serde(default)]
    pub approval_no: Option<String>,
    /// Drug: 有效期; cosmetic: 限期使用日期.
    #[serde(default)]
    pub expiry_date: Option<String>,
    /// Drug: 上市许可持有人; cosmetic: 注册人/备案人.
    #[serde(default)]
    pub mah: Option<String>,
    /// 剂型 (drugs only).
    #[serde(default)]
    pub dosage_form: Option<String>,
    // The sampling.
    /// Date and time, e.g. 2026-03-01 10:30.
    pub sampled_at: String,
    pub sampling_place: String,
    /// At least two officers; each gets a signature line.
    pub samplers: Vec<String>,
    /// Quantity with unit, e.g. "2 袋".
    pub inspection_quantity: String,
    pub backup_quantity: Option<String>,
    /// 抽样基数/批量, e.g. "200 袋".
    #[serde(default)]
    pub base_quantity: Option<String>,
    /// 抽样方式, e.g. 非无菌抽样.
    #[serde(default)]
    pub sampling_method: Option<String>,
    pub storage: String,
    /// Price paid, e.g. "35.00 元".
    pub price: Option<String>,
    pub notes: Option<String>,
    /// 抽样单位: who sampled.
    pub sampling_unit: String,
    /// 承检机构 and its address.
    #[serde(default)]
    pub lab_name: Option<String>,
    #[serde(default)]
    pub lab_address: Option<String>,
    /// 寄送截止日期: by when the samples must reach the lab.
    #[serde(default)]
    pub send_by: Option<String>,
    /// One page per entry, each stating its copy line (e.g. "第一联 抽样单位留存");
    /// empty: one page without a copy line.
    #[serde(default)]
    pub copies: Vec<String>,
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 12.0;
const TABLE_W: f32 = PAGE_W - 2.0 * MARGIN;
const TABLE_TOP: f32 = 36.0;
/// The sampled party's statement and the signature boxes below the table.
const STATEMENT_H: f32 = 8.0;
const SIGN_H: f32 = 40.0;
const LABEL_W: f32 = 29.0;
const PAD: f32 = 1.0;
/// The statement the sampled party signs under.
pub const STATEMENT: &str = "被抽样单位对抽样过程、封样状态及上述内容无异议。";

/// A laid-out table row: its height and cells as (x, width, lines, is_label).
struct Laid {
    height: f32,
    section: bool,
    cells: Vec<(f32, f32, Vec<String>, bool)>,
}

fn lay_out(rows: &[Row], size_pt: f32, max_lines: usize) -> Vec<Laid> {
    let size_mm = size_pt * MM_PER_PT;
    let line_h = size_mm * 1.3;
    let half = TABLE_W / 2.0;
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
                Row::Section(title) => vec![cell(MARGIN, TABLE_W, title, true)],
                Row::Pair((l1, v1), (l2, v2)) => vec![
                    cell(MARGIN, LABEL_W, l1, true),
                    cell(MARGIN + LABEL_W, half - LABEL_W, v1, false),
                    cell(MARGIN + half, LABEL_W, l2, true),
                    cell(MARGIN + half + LABEL_W, half - LABEL_W, v2, false),
                ],
                Row::Wide(l, v) => vec![
                    cell(MARGIN, LABEL_W, l, true),
                    cell(MARGIN + LABEL_W, TABLE_W - LABEL_W, v, false),
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

/// Text placed on a page: x, baseline, size in points, text.
type Texts = Vec<(f32, f32, f32, String)>;

/// Renders the form as an A4 PDF, one page per copy (one page when no copies are asked
/// for); `qr_text` is the sample's URL.
pub fn render_sampling_form(form: &SamplingForm, qr_text: &str) -> Result<Vec<u8>, DocError> {
    let rows = rows(form);
    let room = PAGE_H - MARGIN - SIGN_H - STATEMENT_H - TABLE_TOP;
    // Shrink the type until the table fits; at the smallest size, cut long values.
    let mut chosen = None;
    for (size, max_lines) in [
        (9.0, 4),
        (8.5, 4),
        (8.0, 3),
        (7.5, 3),
        (7.0, 2),
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
    let copies: Vec<Option<&str>> = if form.copies.is_empty() {
        vec![None]
    } else {
        form.copies.iter().map(|c| Some(c.as_str())).collect()
    };
    let mut forms = QrForms::default();
    let mut pages = Vec::with_capacity(copies.len());
    for copy in copies {
        let mut c = Canvas::new(PAGE_H);
        let mut texts = Texts::new();
        head(&mut c, &mut texts, &mut forms, form, qr_text, copy)?;
        table(&mut c, &mut texts, &laid, size);
        signatures(&mut c, &mut texts, form);
        c.text_lines(texts.iter().map(|(x, b, s, t)| (*x, *b, *s, t.as_str())));
        pages.push(c.into_page(PAGE_W, PAGE_H));
    }
    let mut doc = new_document(&format!("{} {}", title(form.kind), form.sample_no))?;
    doc.pages = pages;
    save(&doc, forms)
}

/// The title, the sample number, the copy line and the QR code.
fn head(
    c: &mut Canvas,
    texts: &mut Texts,
    forms: &mut QrForms,
    form: &SamplingForm,
    qr_text: &str,
    copy: Option<&str>,
) -> Result<(), DocError> {
    let title = title(form.kind);
    let mut size = 18.0;
    let room = TABLE_W - 2.0 * 26.0;
    let w = text_width(title, size);
    if w > room {
        size *= room / w;
    }
    texts.push((
        (PAGE_W - text_width(title, size)) / 2.0,
        MARGIN + 9.0,
        size,
        title.into(),
    ));
    texts.push((
        MARGIN,
        TABLE_TOP - 3.0,
        10.5,
        format!("抽样编号：{}", form.sample_no),
    ));
    if let Some(copy) = copy.map(str::trim).filter(|c| !c.is_empty()) {
        let line = wrap(copy, 60.0 / (9.0 * MM_PER_PT), 1).concat();
        let x = PAGE_W - MARGIN - 26.0 - text_width(&line, 9.0);
        texts.push((x, TABLE_TOP - 3.0, 9.0, line));
    }
    c.qr(
        forms,
        qr_text,
        Ecc::M,
        PAGE_W - MARGIN - 22.0,
        MARGIN - 6.0,
        22.0,
    )?;
    let caption = "扫码查看样品";
    texts.push((
        PAGE_W - MARGIN - 11.0 - text_width(caption, 6.0) / 2.0,
        MARGIN + 17.5,
        6.0,
        caption.into(),
    ));
    Ok(())
}

/// The field table from `TABLE_TOP` down.
fn table(c: &mut Canvas, texts: &mut Texts, laid: &[Laid], size: f32) {
    let size_mm = size * MM_PER_PT;
    let line_h = size_mm * 1.3;
    let mut y = TABLE_TOP;
    for row in laid {
        if row.section {
            c.rect_fill(MARGIN, y, TABLE_W, row.height, 0.88);
        }
        for (x, w, lines, is_label) in &row.cells {
            let (x, w) = (*x, *w);
            if !row.section && *is_label {
                c.rect_fill(x, y, w, row.height, 0.95);
            }
            if x > MARGIN {
                c.line(x, y, x, y + row.height, 0.2);
            }
            let top = y + (row.height - lines.len() as f32 * line_h) / 2.0;
            for (i, l) in lines.iter().enumerate() {
                let baseline =
                    top + i as f32 * line_h + (line_h - size_mm) / 2.0 + EM_ASCENT * size_mm;
                texts.push((x + PAD, baseline, size, l.clone()));
            }
        }
        c.line(
            MARGIN,
            y + row.height,
            MARGIN + TABLE_W,
            y + row.height,
            0.2,
        );
        y += row.height;
    }
    c.rect_stroke(MARGIN, TABLE_TOP, TABLE_W, y - TABLE_TOP, 0.4);
}

/// The signature boxes at the foot of the page: the samplers (each on a line with a date)
/// and the sampled party under its statement, both with a seal and a date line.
fn signatures(c: &mut Canvas, texts: &mut Texts, form: &SamplingForm) {
    let top = PAGE_H - MARGIN - SIGN_H;
    let box_w = (TABLE_W - 4.0) / 2.0;
    let mut samplers: Vec<&str> = form
        .samplers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
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
    let right_x = MARGIN + box_w + 4.0;
    // The statement stands above the sampled party's box.
    for (i, l) in wrap(STATEMENT, box_w / (8.0 * MM_PER_PT), 2)
        .into_iter()
        .enumerate()
    {
        texts.push((right_x, top - 4.0 + i as f32 * 3.4, 8.0, l));
    }
    let sides = [
        (MARGIN, "抽样单位（盖章）", left),
        (
            right_x,
            "被抽样单位（盖章）",
            vec!["被抽样单位签字：".to_string(), "联系电话：".to_string()],
        ),
    ];
    for (x, heading, lines) in sides {
        c.rect_stroke(x, top, box_w, SIGN_H, 0.4);
        texts.push((x + 2.0, top + 5.0, 9.0, heading.into()));
        let step = ((SIGN_H - 16.0) / lines.len().max(1) as f32).min(8.0);
        let size = if lines.len() > 3 { 7.0 } else { 8.0 };
        for (i, l) in lines.iter().enumerate() {
            let base = top + 12.0 + i as f32 * step;
            let l = wrap(l, (box_w - 30.0) / (size * MM_PER_PT), 1).concat();
            texts.push((x + 2.0, base, size, l.clone()));
            let start = (x + 3.0 + text_width(&l, size)).min(x + box_w - 25.0);
            c.line(start, base + 1.0, x + box_w - 3.0, base + 1.0, 0.2);
        }
        let date = "日期：\u{3000}\u{3000}\u{3000}\u{3000}年\u{3000}\u{3000}月\u{3000}\u{3000}日";
        texts.push((
            x + box_w - 3.0 - text_width(date, 8.0),
            top + SIGN_H - 3.5,
            8.0,
            date.into(),
        ));
    }
}

#[cfg(test)]
mod tests;
