//! The inspection report (检验报告): A4, one or more pages. See rules.md §d.1 for what it
//! must carry. Invariants: the same `ReportDoc` always gives the same bytes; the report
//! number and "第 x 页 共 y 页" are on every page; a results table that does not fit
//! continues on the next page with its header repeated.
//!
//! Layout: every page has a grey header band (lab name, report number) and a footer (lab
//! address and contact, page x of y, report number). Page 1 carries the title, the
//! qualification mark, the verification QR code top right (its square left blank without
//! a URL, so nothing else moves) and the information table ending in the conclusion. The
//! results table follows, then remarks, sign-off, the disclaimer and the end marker. Pages
//! are laid out first and drawn once their count is known; rows and blocks never split
//! across pages (the disclaimer splits between paragraphs). The font subset is embedded by
//! `pdf::save_with_own_font`: less than half the time of printpdf's embedding.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save_with_own_font, text_width, Canvas, QrForms};
use super::qr::Ecc;
use super::text::wrap;
use super::DocError;

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
const QR_SIZE: f32 = 25.0;
const QR_X: f32 = PAGE_W - MARGIN - QR_SIZE;
const QR_Y: f32 = BODY_TOP;
/// Where the information table starts on page 1 (below the title and the QR square).
const INFO_TOP: f32 = QR_Y + QR_SIZE + 5.0;
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
    ("检验项目", 38.0),
    ("单位", 11.0),
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

/// One placed line of text: x, baseline, size in points, text.
type Text = (f32, f32, f32, String);

/// A page being drawn: shapes go straight to the canvas, text is collected so each page's
/// text is written in one text object once the page count is known.
struct Page {
    canvas: Canvas,
    texts: Vec<Text>,
}

impl Page {
    fn text(&mut self, x: f32, baseline: f32, size_pt: f32, text: impl Into<String>) {
        self.texts.push((x, baseline, size_pt, text.into()));
    }

    fn centred(&mut self, centre_x: f32, baseline: f32, size_pt: f32, text: &str) {
        let x = centre_x - text_width(text, size_pt) / 2.0;
        self.text(x, baseline, size_pt, text);
    }

    fn right(&mut self, right_x: f32, baseline: f32, size_pt: f32, text: &str) {
        let x = right_x - text_width(text, size_pt);
        self.text(x, baseline, size_pt, text);
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
}

/// A table cell: its column, its text wrapped to the column, and its looks.
struct Cell {
    x: f32,
    w: f32,
    size_pt: f32,
    lines: Vec<String>,
    align: Align,
    fill: Option<f32>,
}

impl Cell {
    fn new(x: f32, w: f32, text: &str, size_pt: f32, max_lines: usize, align: Align) -> Self {
        Self {
            x,
            w,
            size_pt,
            lines: wrap(text, (w - 2.0 * PAD) / mm(size_pt), max_lines),
            align,
            fill: None,
        }
    }

    fn label(x: f32, w: f32, text: &str) -> Self {
        let mut c = Self::new(x, w, text, INFO_PT, 2, Align::Centre);
        c.fill = Some(LABEL_GREY);
        c
    }

    fn content_h(&self) -> f32 {
        self.lines.len() as f32 * line_h(self.size_pt)
    }
}

/// A table row: cells side by side, never split across pages.
struct Row {
    height: f32,
    cells: Vec<Cell>,
    /// A grey band behind the whole row (the header row).
    fill: Option<f32>,
}

impl Row {
    fn new(cells: Vec<Cell>, min_h: f32) -> Self {
        let content = cells.iter().map(Cell::content_h).fold(0.0, f32::max);
        Self {
            height: (content + 2.0 * PAD).max(min_h),
            cells,
            fill: None,
        }
    }

    /// Draws the row with its top edge at `y`: fills first, then rules, then text, so no
    /// fill covers a rule.
    fn draw(&self, page: &mut Page, y: f32) {
        let h = self.height;
        if let Some(grey) = self.fill {
            page.canvas.rect_fill(MARGIN, y, CONTENT_W, h, grey);
        }
        for c in &self.cells {
            if let Some(grey) = c.fill {
                page.canvas.rect_fill(c.x, y, c.w, h, grey);
            }
        }
        page.canvas.line(MARGIN, y, MARGIN + CONTENT_W, y, THIN);
        page.canvas
            .line(MARGIN, y + h, MARGIN + CONTENT_W, y + h, THIN);
        for c in &self.cells {
            if c.x > MARGIN + 0.01 {
                page.canvas.line(c.x, y, c.x, y + h, THIN);
            }
            let top = y + (h - c.content_h()) / 2.0 + baseline_offset(c.size_pt);
            for (i, text) in c.lines.iter().enumerate() {
                let baseline = top + i as f32 * line_h(c.size_pt);
                let x = match c.align {
                    Align::Left => c.x + PAD,
                    Align::Centre => c.x + (c.w - text_width(text, c.size_pt)) / 2.0,
                };
                page.text(x, baseline, c.size_pt, text.as_str());
            }
        }
    }
}

/// A table as laid out: an optional caption (with "（续）" on continuation pages) and
/// header row, both repeated on every page the table continues on.
struct Table<'a> {
    caption: Option<&'a str>,
    header: Option<Row>,
    rows: Vec<Row>,
}

/// The pages being filled from top to bottom.
struct Flow<'a> {
    doc: &'a ReportDoc,
    pages: Vec<Page>,
    y: f32,
}

impl<'a> Flow<'a> {
    fn new(doc: &'a ReportDoc) -> Self {
        let mut flow = Self {
            doc,
            pages: Vec::new(),
            y: BODY_TOP,
        };
        flow.new_page();
        flow
    }

    fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a page with the header band (lab name, report number) and the footer rule;
    /// the footer text waits for the page count.
    fn new_page(&mut self) {
        let mut page = Page {
            canvas: Canvas::new(PAGE_H),
            texts: Vec::with_capacity(256),
        };
        page.canvas
            .rect_fill(MARGIN, MARGIN, CONTENT_W, BAND_H, BAND_GREY);
        page.canvas.line(
            MARGIN,
            MARGIN + BAND_H,
            MARGIN + CONTENT_W,
            MARGIN + BAND_H,
            THICK,
        );
        page.canvas
            .line(MARGIN, FOOT_RULE, MARGIN + CONTENT_W, FOOT_RULE, THIN);
        let baseline = MARGIN + BAND_H / 2.0 + (EM_ASCENT - 0.5) * mm(9.0);
        let number = format!("报告编号：{}", self.doc.report_no);
        let number_w = text_width(&number, 9.0);
        let room = (CONTENT_W - number_w - 10.0).max(20.0);
        if let Some(name) = wrap(&self.doc.lab.name, room / mm(9.5), 1).first() {
            page.text(MARGIN + 2.0, baseline, 9.5, name.as_str());
        }
        page.right(MARGIN + CONTENT_W - 2.0, baseline, 9.0, &number);
        self.pages.push(page);
        self.y = BODY_TOP;
    }

    /// Moves to a new page unless `h` more millimetres fit on this one (a block taller
    /// than a whole page starts at the top of one and is drawn as far as it goes).
    fn ensure(&mut self, h: f32) {
        if self.y + h > BODY_BOTTOM && self.y > BODY_TOP + 0.01 {
            self.new_page();
        }
    }

    /// Draws a table: rows never split; a row that does not fit closes the table on this
    /// page and continues it on the next, caption and header repeated. The caption and
    /// header never stand alone at the bottom of a page.
    fn table(&mut self, t: &Table) {
        let caption_h = if t.caption.is_some() { 6.0 } else { 0.0 };
        let header_h = t.header.as_ref().map_or(0.0, |h| h.height);
        let mut top: Option<f32> = None;
        let mut continued = false;
        for row in &t.rows {
            if top.is_some() && self.y + row.height > BODY_BOTTOM {
                self.close_table(top.take());
                self.new_page();
                continued = true;
            }
            if top.is_none() {
                self.ensure(caption_h + header_h + row.height);
                if let Some(caption) = t.caption {
                    let text = if continued {
                        format!("{caption}（续）")
                    } else {
                        caption.to_string()
                    };
                    let y = self.y;
                    self.page().text(MARGIN, y + 4.3, 10.0, text);
                    self.y += caption_h;
                }
                top = Some(self.y);
                if let Some(header) = &t.header {
                    let y = self.y;
                    header.draw(self.page(), y);
                    self.y += header.height;
                }
            }
            let y = self.y;
            row.draw(self.page(), y);
            self.y += row.height;
        }
        self.close_table(top);
    }

    /// The table's frame on this page, from `top` down to where the rows ended.
    fn close_table(&mut self, top: Option<f32>) {
        if let Some(top) = top {
            let y = self.y;
            self.page()
                .canvas
                .rect_stroke(MARGIN, top, CONTENT_W, y - top, THICK);
        }
    }
}

/// Page 1 above the information table: the title, the qualification mark, and the
/// verification QR code (or its blank square).
fn first_page_head(page: &mut Page, doc: &ReportDoc, forms: &mut QrForms) -> Result<(), DocError> {
    let title = spaced(&doc.title);
    let mut size = 20.0;
    let width = text_width(&title, size);
    if width > TITLE_MAX_W {
        size *= TITLE_MAX_W / width;
    }
    page.centred(PAGE_W / 2.0, BODY_TOP + 12.0, size, &title);
    if let Some(mark) = wrap(&doc.lab.cma_no, TITLE_MAX_W / mm(8.5), 1).first() {
        page.centred(PAGE_W / 2.0, BODY_TOP + 20.0, 8.5, mark);
    }
    if let Some(url) = &doc.verify_url {
        page.canvas.qr(forms, url, Ecc::M, QR_X, QR_Y, QR_SIZE)?;
        page.centred(
            QR_X + QR_SIZE / 2.0,
            QR_Y + QR_SIZE + 2.6,
            6.5,
            "扫码验证报告真伪",
        );
    }
    Ok(())
}

/// A short Chinese title with a space between its characters ("检 验 报 告"), as reports
/// are usually headed; anything else as it is.
fn spaced(title: &str) -> String {
    let n = title.chars().count();
    if (2..=6).contains(&n) && title.chars().all(|c| !c.is_ascii() && !c.is_whitespace()) {
        let mut out = String::with_capacity(title.len() * 2);
        for (i, c) in title.chars().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    } else {
        title.to_string()
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
    let mut conclusion_label = Cell::new(MARGIN, LABEL_W, "检验结论", 10.0, 1, Align::Centre);
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
            pair("样品数量", &d.quantity, "样品状态", &d.condition),
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
            wide("判定依据", &d.basis),
            conclusion_row,
        ],
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
            .map(|((name, w), x)| Cell::new(x, *w, name, TABLE_PT, 2, Align::Centre))
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
            let values: [(&str, Align); 8] = [
                (&no, Align::Centre),
                (&r.item, Align::Left),
                (or_slash(&r.unit), Align::Centre),
                (or_slash(&r.limit), Align::Centre),
                (or_slash(&r.result), Align::Centre),
                (or_slash(&r.judgment), Align::Centre),
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

/// Tester, reviewer and authorised signatory on signature lines, then the issue date
/// and the place of the seal; kept whole on one page.
fn sign_off(flow: &mut Flow, doc: &ReportDoc) {
    const SIZE: f32 = 9.0;
    const H: f32 = 16.0;
    flow.ensure(H);
    let col_w = CONTENT_W / 3.0;
    let people = [
        ("检验：", doc.tester.as_str()),
        ("审核：", doc.reviewer.as_str()),
        ("批准（授权签字人）：", doc.signatory.as_str()),
    ];
    let baseline = flow.y + 7.0;
    let page = flow.page();
    for (i, (label, name)) in people.iter().enumerate() {
        let x = MARGIN + i as f32 * col_w;
        let label_w = text_width(label, SIZE);
        page.text(x, baseline, SIZE, *label);
        let line_end = x + col_w - 4.0;
        let room = line_end - (x + label_w + 2.0);
        if let Some(name) = wrap(name, room / mm(SIZE), 1).first() {
            page.text(x + label_w + 2.0, baseline, SIZE, name.as_str());
        }
        page.canvas.line(
            x + label_w + 0.5,
            baseline + 1.3,
            line_end,
            baseline + 1.3,
            THIN,
        );
    }
    let second = baseline + 6.5;
    page.text(
        MARGIN + col_w,
        second,
        SIZE,
        format!("签发日期：{}", doc.issued_on),
    );
    page.text(MARGIN + 2.0 * col_w, second, SIZE, "（检验检测专用章）");
    flow.y += H;
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
        .filter(|p| !p.is_empty());
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
    [("地址：", &lab.address), ("", &lab.contact)]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(label, v)| wrap(&format!("{label}{}", v.trim()), width_em, 1).pop())
        .collect()
}

/// Renders the report as an A4 PDF: page 1 carries the title, the verification QR code
/// and the information table; the results table follows (continuing over pages with its
/// header repeated), then remarks, sign-off, the disclaimer and the end marker. Every
/// page has the lab's name and the report number at the top and "第 x 页 共 y 页" at the
/// bottom, so pages are laid out first and their footers written once the count is known.
pub fn render_report(doc: &ReportDoc) -> Result<Vec<u8>, DocError> {
    let (pdf, forms) = lay_out(doc)?;
    save_with_own_font(pdf, forms, DEFLATE_LEVEL)
}

/// The report's pages and QR symbols, ready to save.
fn lay_out(doc: &ReportDoc) -> Result<(printpdf::PdfDocument, QrForms), DocError> {
    let mut forms = QrForms::default();
    let mut flow = Flow::new(doc);
    first_page_head(flow.page(), doc, &mut forms)?;
    flow.y = INFO_TOP;
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
    let number = format!("报告编号：{}", doc.report_no);
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
        page.right(MARGIN + CONTENT_W, footer, SMALL_PT, &number);
        let Page { mut canvas, texts } = page;
        canvas.text_lines(texts.iter().map(|(x, b, s, t)| (*x, *b, *s, t.as_str())));
        pages.push(canvas.into_page(PAGE_W, PAGE_H));
    }
    let mut pdf = new_document(&format!("{} {}", doc.title, doc.report_no))?;
    pdf.pages = pages;
    Ok((pdf, forms))
}

/// Report fixtures shared by the document tests.
#[cfg(test)]
pub(crate) mod fixtures {
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
}

#[cfg(test)]
mod tests {
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
        let fonts = pdf_fonts(&pdf);
        let row = fonts
            .lines()
            .find(|l| l.contains("NotoSansCJK"))
            .unwrap_or_else(|| panic!("font not listed:\n{fonts}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cols.windows(3).any(|w| w == ["yes", "yes", "yes"]),
            "font not embedded as a subset:\n{fonts}"
        );
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
}
