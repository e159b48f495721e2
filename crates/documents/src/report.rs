//! The inspection report (检验报告): A4, one or more pages. See docs/domain/rules.md §d.1
//! for what it must carry. Invariants: the same `ReportDoc` (and images) always gives the
//! same bytes; the report number and "第 x 页 共 y 页" are on every page; a results table
//! that does not fit continues on the next page with its header repeated; names and units
//! are never cut or broken (cells shrink their type first, then wrap between words).
//!
//! Layout: every page has a grey header band (lab name, report number) and a footer (lab
//! address and contact, page x of y, report number). Page 1 carries the title, the
//! qualification mark, the CMA area top left (the lab's image or a framed box), the
//! verification QR code top right with the typed verification code under it (their place
//! left blank without them, so nothing else moves) and the information table ending in
//! the conclusion. The results table follows, then remarks, sign-off, the disclaimer and
//! the end marker; a cover page may come first. Pages are laid out first and drawn once
//! their count is known; rows and blocks never split across pages (the disclaimer splits
//! between paragraphs). A draft carries 草稿 across every page and no number or code; a
//! risk-monitoring report carries no compliance term and no objection wording. The font
//! subset is embedded by `pdf::save_with_own_font`: less than half the time of printpdf's
//! embedding.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save_with_own_font, text_width, Canvas, QrForms};
use super::qr::Ecc;
use super::text::wrap;
use super::DocError;

mod flow;
mod head;
use flow::*;
use head::*;

/// The laboratory as printed in the report head (configured by the lab's admin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabIdentity {
    /// e.g. 青海省食品检验检测院.
    pub name: String,
    pub address: String,
    /// The qualification mark text, e.g. "CMA 资质认定证书编号：201963000123".
    pub cma_no: String,
    /// Telephone, postcode or similar contact line; may be empty.
    pub contact: String,
    /// The disclaimer block (声明), one paragraph per entry, printed at the end.
    pub disclaimer: Vec<String>,
    /// Extra lines printed on page 1 under the title (e.g. the lab's other names).
    #[serde(default)]
    pub header_lines: Vec<String>,
    /// Telephone, printed in the footer; may be empty.
    #[serde(default)]
    pub phone: String,
    /// The sign-off titles; empty: 检验 / 审核 / 批准（授权签字人）.
    #[serde(default)]
    pub tester_title: String,
    #[serde(default)]
    pub reviewer_title: String,
    #[serde(default)]
    pub signatory_title: String,
    /// The report number prefix (informational: numbering is done by the caller).
    #[serde(default)]
    pub number_prefix: String,
}

/// Images the lab supplies for its reports (PNG); none: a framed "CMA" box, no logo.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportAssets<'a> {
    pub logo_png: Option<&'a [u8]>,
    pub cma_png: Option<&'a [u8]>,
}

/// One row of the results table, already formatted for people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// 检验项目, e.g. 铅(以Pb计).
    pub item: String,
    /// 检验方法 (method standard), e.g. GB 5009.12-2023.
    pub method: String,
    /// 标准指标 (the limit as a person reads it), e.g. "≤0.2" or "不得检出".
    pub limit: String,
    /// The standard the limit comes from (判定依据), e.g. GB 2762-2022.
    pub limit_standard: String,
    /// 检验结果, exactly as entered, e.g. "0.05" or "未检出(<0.01)".
    pub result: String,
    /// 单位, e.g. mg/kg (may be empty for qualitative items).
    pub unit: String,
    /// 单项判定 in the domain's words, e.g. 合格 / 不合格 / 符合规定.
    pub judgment: String,
    /// Whether this item failed its limit (the cell is shaded); the word is `judgment`.
    #[serde(default)]
    pub failed: bool,
    /// The method's detection limit as a number, e.g. "0.01"; a not-detected result
    /// (未检出 / ND) prints as "未检出（检出限 0.01 mg/kg）" with the row's unit.
    #[serde(default)]
    pub detection_limit: String,
}

/// Everything the report prints, already formatted (dates, enums, names in Chinese), so
/// this module knows nothing of the database. Stored as JSON with the issued report, so a
/// report can always be rendered again exactly as issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDoc {
    pub report_no: String,
    /// Title, e.g. 检验报告.
    pub title: String,
    pub lab: LabIdentity,
    /// The report this one replaces, printed as a remark ("本报告替代……").
    pub supersedes: Option<String>,
    // Sample.
    pub sample_no: String,
    pub product_name: String,
    pub brand: String,
    pub specification: String,
    /// Batch number and/or production date, e.g. "20260115A / 2026-01-15".
    pub batch: String,
    /// e.g. 肉制品 / 熟肉制品.
    pub category: String,
    /// Quantity tested, e.g. "4 袋".
    pub quantity: String,
    /// 样品状态 on receipt, e.g. 包装完好.
    pub condition: String,
    // Parties.
    /// 委托单位 / 任务来源: the organising bureau.
    pub organiser: String,
    /// 被抽样单位.
    pub entity_name: String,
    pub entity_address: String,
    /// 标称生产者 and address.
    pub manufacturer: String,
    pub manufacturer_address: String,
    pub sampling_place: String,
    // Plan.
    pub plan_name: String,
    /// 检验类别, e.g. 监督抽检.
    pub plan_kind: String,
    // Dates (YYYY-MM-DD or a range "2026-03-02 至 2026-03-05").
    pub sampled_on: String,
    pub received_on: String,
    pub tested_on: String,
    pub issued_on: String,
    // Results.
    pub rows: Vec<ReportRow>,
    /// The conclusion sentence in the domain's words, e.g.
    /// "经抽样检验，所检项目符合 GB 2762-2022 要求，检验结论为合格。"
    pub conclusion: String,
    /// The conclusion term alone, in the domain's words (合格 / 不合格 / 符合规定 …).
    #[serde(default)]
    pub verdict: String,
    /// 判定依据: the judgment standards, joined.
    pub basis: String,
    // People.
    pub tester: String,
    pub reviewer: String,
    pub signatory: String,
    /// 备注; may be empty.
    pub remarks: String,
    /// The verification URL for the QR code; `None` leaves its square blank (the
    /// content hash the verification code is keyed on is taken of that rendering).
    pub verify_url: Option<String>,
    /// The verification code printed under the QR square ("核验码：…") for typing in;
    /// handled like `verify_url` (`None` leaves the place blank).
    #[serde(default)]
    pub verification_code: Option<String>,
    /// A draft for preview: 草稿 across every page, no number, no QR code.
    #[serde(default)]
    pub draft: bool,
    /// A risk-monitoring report: no compliance term anywhere (no 合格 / 不合格 / 符合规定,
    /// no per-item judgment), `conclusion` as the caller words it, no objection wording.
    #[serde(default)]
    pub risk_monitoring: bool,
    /// The backup portion with its unit, e.g. "4 袋": printed "检验 4 袋，备样 4 袋".
    #[serde(default)]
    pub backup_quantity: String,
    /// A cover page before page 1 (title, number, product, entity, lab, date, seal).
    #[serde(default)]
    pub cover_page: bool,
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 15.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// The grey header band at the top of every page.
const BAND_H: f32 = 7.0;
const BODY_TOP: f32 = MARGIN + BAND_H + 2.0;
/// The rule above the footer line of every page.
const FOOT_RULE: f32 = PAGE_H - MARGIN - 5.0;
const BODY_BOTTOM: f32 = FOOT_RULE - 2.0;
/// The verification QR square, top right of page 1 under the header band.
const QR_SIZE: f32 = 22.0;
const QR_X: f32 = PAGE_W - MARGIN - QR_SIZE;
const QR_Y: f32 = BODY_TOP;
/// Where the information table starts on page 1 (below the title and the QR square).
const INFO_TOP: f32 = QR_Y + QR_SIZE + 8.0;
/// The widest the title may be: centred, it stays clear of the QR square.
const TITLE_MAX_W: f32 = 2.0 * (QR_X - 4.0 - PAGE_W / 2.0);

/// Type sizes in points.
const TABLE_PT: f32 = 8.0;
const INFO_PT: f32 = 8.5;
const CONCLUSION_PT: f32 = 10.0;
const SMALL_PT: f32 = 7.5;
const FOOTER_PT: f32 = 6.5;
/// Line height as a multiple of the type size.
const LEADING: f32 = 1.3;
/// Cell padding.
const PAD: f32 = 0.8;
const THIN: f32 = 0.2;
const THICK: f32 = 0.5;
const LABEL_GREY: f32 = 0.95;
const BAND_GREY: f32 = 0.88;

/// Information table: label column width, and half the table for label/value pairs.
const LABEL_W: f32 = 25.0;
const HALF_W: f32 = CONTENT_W / 2.0;

/// Results table columns: heading and width in mm (they add up to the content width).
const COLUMNS: [(&str, f32); 8] = [
    ("序号", 8.0),
    ("检验项目", 35.0),
    ("单位", 14.0),
    ("标准指标", 24.0),
    ("检验结果", 23.0),
    ("单项判定", 14.0),
    ("检验方法", 29.0),
    ("判定依据", 33.0),
];
/// Streams are deflated at level 1: most of a report's bytes are the font subset, which
/// level 6 took three times as long to pack for 1 % less.
const DEFLATE_LEVEL: u32 = 1;

/// The most lines a results cell wraps to before it is cut with "…".
const CELL_MAX_LINES: usize = 8;

fn mm(size_pt: f32) -> f32 {
    size_pt * MM_PER_PT
}

fn line_h(size_pt: f32) -> f32 {
    mm(size_pt) * LEADING
}

/// From the top of a line box to the baseline: the em box centred in the line.
fn baseline_offset(size_pt: f32) -> f32 {
    (line_h(size_pt) - mm(size_pt)) / 2.0 + EM_ASCENT * mm(size_pt)
}

/// What a reader sees for an empty field: "/" (not applicable), as is usual in reports.
fn or_slash(v: &str) -> &str {
    if v.trim().is_empty() {
        "/"
    } else {
        v
    }
}

/// The information table: sample, parties, plan, dates, basis and the conclusion.
fn info_table(doc: &ReportDoc) -> Table<'static> {
    let value_max = 4;
    let pair = |l1: &str, v1: &str, l2: &str, v2: &str| {
        let vw = HALF_W - LABEL_W;
        Row::new(
            vec![
                Cell::label(MARGIN, LABEL_W, l1),
                Cell::new(
                    MARGIN + LABEL_W,
                    vw,
                    or_slash(v1),
                    INFO_PT,
                    value_max,
                    Align::Left,
                ),
                Cell::label(MARGIN + HALF_W, LABEL_W, l2),
                Cell::new(
                    MARGIN + HALF_W + LABEL_W,
                    vw,
                    or_slash(v2),
                    INFO_PT,
                    value_max,
                    Align::Left,
                ),
            ],
            0.0,
        )
    };
    let wide = |l: &str, v: &str| {
        Row::new(
            vec![
                Cell::label(MARGIN, LABEL_W, l),
                Cell::new(
                    MARGIN + LABEL_W,
                    CONTENT_W - LABEL_W,
                    or_slash(v),
                    INFO_PT,
                    value_max,
                    Align::Left,
                ),
            ],
            0.0,
        )
    };
    let (conclusion_word, basis_word) = if doc.risk_monitoring {
        ("结果说明", "参考依据")
    } else {
        ("检验结论", "判定依据")
    };
    let mut conclusion_label = Cell::new(MARGIN, LABEL_W, conclusion_word, 10.0, 1, Align::Centre);
    conclusion_label.fill = Some(BAND_GREY);
    let conclusion = Cell::new(
        MARGIN + LABEL_W + 1.5,
        CONTENT_W - LABEL_W - 3.0,
        or_slash(&doc.conclusion),
        CONCLUSION_PT,
        6,
        Align::Left,
    );
    let mut conclusion_row = Row::new(vec![conclusion_label, conclusion], 14.0);
    conclusion_row.height += 2.0;
    let d = doc;
    Table {
        caption: None,
        header: None,
        rows: vec![
            pair("样品名称", &d.product_name, "样品编号", &d.sample_no),
            pair("商标", &d.brand, "规格型号", &d.specification),
            pair("生产日期/批号", &d.batch, "样品类别", &d.category),
            pair("样品数量", &quantity(d), "样品状态", &d.condition),
            wide("委托单位", &d.organiser),
            pair("被抽样单位", &d.entity_name, "地址", &d.entity_address),
            pair(
                "标称生产者",
                &d.manufacturer,
                "地址",
                &d.manufacturer_address,
            ),
            pair("抽样地点", &d.sampling_place, "检验类别", &d.plan_kind),
            wide("任务名称", &d.plan_name),
            pair("抽样日期", &d.sampled_on, "收样日期", &d.received_on),
            pair("检验日期", &d.tested_on, "签发日期", &d.issued_on),
            wide(basis_word, &d.basis),
            conclusion_row,
        ],
    }
}

/// The quantity tested, with the backup portion when there is one.
fn quantity(doc: &ReportDoc) -> String {
    match (doc.quantity.trim(), doc.backup_quantity.trim()) {
        (q, "") => q.to_string(),
        ("", b) => format!("备样 {b}"),
        (q, b) => format!("检验 {q}，备样 {b}"),
    }
}

/// The result as printed: a not-detected reading with the method's detection limit.
fn result_text(r: &ReportRow) -> String {
    let result = r.result.trim();
    let limit = r.detection_limit.trim();
    let not_detected =
        result.starts_with("未检出") || result.to_ascii_uppercase().starts_with("ND");
    if !not_detected || limit.is_empty() {
        return or_slash(result).to_string();
    }
    match r.unit.trim() {
        "" => format!("未检出（检出限 {limit}）"),
        unit => format!("未检出（检出限 {limit} {unit}）"),
    }
}

/// The single-item judgment as printed: a risk-monitoring report gives none, only
/// "问题" where an item was found out of line.
fn judgment_text<'a>(doc: &ReportDoc, r: &'a ReportRow) -> &'a str {
    match (doc.risk_monitoring, r.failed) {
        (true, true) => "问题",
        (true, false) => "/",
        (false, _) => or_slash(&r.judgment),
    }
}

/// The results table, with its header row; a report without rows shows one row "无".
fn results_table(doc: &ReportDoc) -> Table<'static> {
    let mut xs = [0.0; COLUMNS.len()];
    let mut x = MARGIN;
    for (i, (_, w)) in COLUMNS.iter().enumerate() {
        xs[i] = x;
        x += w;
    }
    let mut header = Row::new(
        COLUMNS
            .iter()
            .zip(xs)
            .map(|((name, w), x)| {
                let name = match (*name, doc.risk_monitoring) {
                    ("单项判定", true) => "单项评价",
                    ("判定依据", true) => "参考依据",
                    (name, _) => name,
                };
                Cell::new(x, *w, name, TABLE_PT, 2, Align::Centre)
            })
            .collect(),
        6.5,
    );
    header.fill = Some(BAND_GREY);
    let mut rows: Vec<Row> = doc
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let no = (i + 1).to_string();
            let result = result_text(r);
            let values: [(&str, Align); 8] = [
                (&no, Align::Centre),
                (&r.item, Align::Left),
                (or_slash(&r.unit), Align::Centre),
                (or_slash(&r.limit), Align::Centre),
                (&result, Align::Centre),
                (judgment_text(doc, r), Align::Centre),
                (or_slash(&r.method), Align::Left),
                (or_slash(&r.limit_standard), Align::Left),
            ];
            let failed = r.failed;
            let cells = values
                .iter()
                .zip(COLUMNS.iter().zip(xs))
                .enumerate()
                .map(|(col, ((text, align), ((_, w), x)))| {
                    let mut cell = Cell::new(x, *w, text, TABLE_PT, CELL_MAX_LINES, *align);
                    if failed && col == 5 {
                        cell.fill = Some(BAND_GREY);
                    }
                    cell
                })
                .collect();
            Row::new(cells, 0.0)
        })
        .collect();
    if rows.is_empty() {
        rows.push(Row::new(
            vec![Cell::new(
                MARGIN,
                CONTENT_W,
                "无",
                TABLE_PT,
                1,
                Align::Centre,
            )],
            0.0,
        ));
    }
    Table {
        caption: Some("检验结果"),
        header: Some(header),
        rows,
    }
}

/// The remarks row (备注), with the superseded report's number when there is one.
fn remarks_table(doc: &ReportDoc) -> Table<'static> {
    let mut text = doc.remarks.trim().to_string();
    if let Some(old) = &doc.supersedes {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("本报告替代报告 {old}，原报告作废。"));
    }
    Table {
        caption: None,
        header: None,
        rows: vec![Row::new(
            vec![
                Cell::label(MARGIN, LABEL_W, "备注"),
                Cell::new(
                    MARGIN + LABEL_W,
                    CONTENT_W - LABEL_W,
                    or_slash(&text),
                    INFO_PT,
                    20,
                    Align::Left,
                ),
            ],
            0.0,
        )],
    }
}

/// The disclaimer (声明), numbered paragraph by paragraph. Each paragraph stays whole on a
/// page; the heading stays with the first one.
fn disclaimer(flow: &mut Flow, doc: &ReportDoc) {
    const HEADING_PT: f32 = 9.0;
    let indent = 4.5;
    let width_em = (CONTENT_W - indent) / mm(SMALL_PT);
    let paragraphs = doc
        .lab
        .disclaimer
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        // Risk monitoring gives no right to re-examination or objection.
        .filter(|p| {
            !(doc.risk_monitoring && ["复检", "复验", "异议"].iter().any(|w| p.contains(w)))
        });
    for (i, paragraph) in paragraphs.enumerate() {
        let lines = wrap(paragraph, width_em, 10);
        let heading_h = if i == 0 {
            line_h(HEADING_PT) + 0.5
        } else {
            0.0
        };
        let gap = if i == 0 { 2.0 } else { 0.3 };
        flow.ensure(gap + heading_h + lines.len() as f32 * line_h(SMALL_PT));
        flow.y += gap;
        if i == 0 {
            let baseline = flow.y + baseline_offset(HEADING_PT);
            flow.page().text(MARGIN, baseline, HEADING_PT, "声明：");
            flow.y += heading_h;
        }
        for (j, line) in lines.into_iter().enumerate() {
            let baseline = flow.y + baseline_offset(SMALL_PT);
            let page = flow.page();
            if j == 0 {
                page.text(MARGIN, baseline, SMALL_PT, format!("{}.", i + 1));
            }
            page.text(MARGIN + indent, baseline, SMALL_PT, line);
            flow.y += line_h(SMALL_PT);
        }
    }
}

/// The lab's address and contact for the footer's left side: up to two lines, each cut
/// to stay clear of the page number in the middle.
fn footer_contact(lab: &LabIdentity) -> Vec<String> {
    let width_em = (PAGE_W / 2.0 - MARGIN - 16.0) / mm(FOOTER_PT);
    let phone = match lab.phone.trim() {
        "" => String::new(),
        p => format!("电话：{p}"),
    };
    let contact = [lab.contact.trim(), phone.as_str()]
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join("\u{3000}");
    [("地址：", lab.address.trim()), ("", contact.as_str())]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(label, v)| wrap(&format!("{label}{v}"), width_em, 1).pop())
        .collect()
}

/// Renders the report as an A4 PDF: page 1 carries the title, the verification QR code
/// and the information table; the results table follows (continuing over pages with its
/// header repeated), then remarks, sign-off, the disclaimer and the end marker. Every
/// page has the lab's name and the report number at the top and "第 x 页 共 y 页" at the
/// bottom, so pages are laid out first and their footers written once the count is known.
pub fn render_report(doc: &ReportDoc) -> Result<Vec<u8>, DocError> {
    render_report_with(doc, &ReportAssets::default())
}

/// Whether `png` is an image the report can print (a readable PNG within the size the
/// renderer takes): checked when an admin uploads it, so that no report fails later.
pub fn check_image(png: &[u8]) -> Result<(), DocError> {
    super::pdf::Image::from_png(png).map(|_| ())
}

/// [`render_report`] with the lab's images: the CMA mark in its area on page 1 (a framed
/// "CMA" box without one) and the logo under it. A file that is not a readable PNG is a
/// `DocError::Invalid`.
pub fn render_report_with(doc: &ReportDoc, assets: &ReportAssets) -> Result<Vec<u8>, DocError> {
    let images = Decoded::new(assets)?;
    let (pdf, forms) = lay_out(doc, &images)?;
    save_with_own_font(pdf, forms, DEFLATE_LEVEL)
}

/// The report's pages and QR symbols, ready to save.
fn lay_out(
    doc: &ReportDoc,
    images: &Decoded,
) -> Result<(printpdf::PdfDocument, QrForms), DocError> {
    let mut forms = QrForms::default();
    let mut flow = Flow::new(doc);
    if doc.cover_page {
        cover(flow.page(), doc, images, &mut forms);
        flow.new_page();
    }
    flow.y = first_page_head(flow.page(), doc, images, &mut forms)?;
    flow.table(&info_table(doc));
    flow.y += 3.0;
    flow.table(&results_table(doc));
    flow.y += 2.0;
    flow.table(&remarks_table(doc));
    sign_off(&mut flow, doc);
    disclaimer(&mut flow, doc);
    flow.ensure(5.5);
    let y = flow.y + 4.5;
    flow.page().centred(PAGE_W / 2.0, y, 8.0, "——报告结束——");

    let total = flow.pages.len();
    let footer = FOOT_RULE + 3.6;
    let number_line = format!("报告编号：{}", number(doc));
    let contact = footer_contact(&doc.lab);
    let mut pages = Vec::with_capacity(total);
    for (i, mut page) in flow.pages.into_iter().enumerate() {
        for (j, line) in contact.iter().enumerate() {
            page.text(MARGIN, footer + j as f32 * 3.0, FOOTER_PT, line.as_str());
        }
        page.centred(
            PAGE_W / 2.0,
            footer,
            8.0,
            &format!("第 {} 页 共 {} 页", i + 1, total),
        );
        page.right(MARGIN + CONTENT_W, footer, SMALL_PT, &number_line);
        let Page { mut canvas, texts } = page;
        canvas.text_lines(texts.iter().map(|(x, b, s, t)| (*x, *b, *s, t.as_str())));
        if doc.draft {
            canvas.watermark("草稿", PAGE_W / 2.0, PAGE_H / 2.0, 120.0, 45.0);
        }
        pages.push(canvas.into_page(PAGE_W, PAGE_H));
    }
    let mut pdf = new_document(&format!("{} {}", doc.title, number(doc)))?;
    pdf.pages = pages;
    Ok((pdf, forms))
}

/// Report fixtures shared by the document tests.
#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests;
