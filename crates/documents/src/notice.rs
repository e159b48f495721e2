//! The notice of a non-compliant result (不合格检验结论通知书) served on the sampled entity:
//! the failed items, the entity's rights with their deadlines, its duties, and a return
//! receipt (送达回证) to be signed and sent back. A4 portrait, one or more pages: long content
//! flows on (a failed-items table repeats its header), and the receipt always has a page of
//! its own, the last. Invariants: the notice number and "第 x 页 共 y 页" are on every page;
//! the same `NoticeDoc` always gives the same bytes.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save, text_width, Canvas, QrForms};
use super::text::{longest_word_em, wrap};
use super::DocError;

/// One failed item as the notice lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedItem {
    pub item: String,
    /// The limit as read, e.g. "≤0.2".
    pub limit: String,
    pub result: String,
    pub unit: String,
    /// The standard the limit comes from, e.g. GB 2762-2022.
    pub standard: String,
}

/// A right of the entity with its window: e.g. 申请复检, "自收到本通知书之日起7个工作日内",
/// deadline "2026年3月11日", and the formal basis a citizen reads, e.g.
/// 《中华人民共和国食品安全法》第八十八条第一款 (printed "依据：…").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightLine {
    pub what: String,
    pub window: String,
    pub deadline: String,
    pub citation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDoc {
    /// The notice number, e.g. "QHJ2026000001-TZ".
    pub notice_no: String,
    /// Who issues it (the organising bureau), printed as the sender and in the seal line.
    pub issuer: String,
    pub entity_name: String,
    pub entity_address: String,
    pub sample_no: String,
    pub report_no: String,
    pub product_name: String,
    pub brand: String,
    pub specification: String,
    pub batch: String,
    pub manufacturer: String,
    pub plan_name: String,
    pub plan_kind: String,
    pub sampled_on: String,
    pub lab_name: String,
    pub failed: Vec<FailedItem>,
    /// The conclusion sentence, e.g. "经抽样检验，……检验结论为不合格。"
    pub conclusion: String,
    pub rights: Vec<RightLine>,
    /// The entity's duties in the meantime (seal, stop sale, recall, rectify, report), one per
    /// entry; the law says they continue during re-examination and objection.
    pub duties: Vec<String>,
    /// The date of service the deadlines were computed from, e.g. "2026年3月4日".
    pub served_on: String,
    /// Issue date printed under the issuer, e.g. "2026年3月4日".
    pub issued_on: String,
    /// The bureau's contact line (department, telephone), printed when given.
    #[serde(default)]
    pub contact: String,
    /// Where to file a re-examination request or an objection, printed when given.
    #[serde(default)]
    pub reexam_where: String,
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 20.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;
/// The lowest point content may reach; the footer sits between it and the bottom margin.
const BOTTOM: f32 = PAGE_H - MARGIN - 8.0;
const TITLE: &str = "不合格检验结论通知书";
const TITLE_PT: f32 = 20.0;
const BODY_PT: f32 = 11.0;
const HEADING_PT: f32 = 12.0;
const TABLE_PT: f32 = 9.0;
const FOOTER_PT: f32 = 8.0;
/// Line pitch as a multiple of the type size.
const LEADING: f32 = 1.6;
const TABLE_LEADING: f32 = 1.35;
const PAD: f32 = 1.5;
/// Two ideographic spaces: the first-line indent of a Chinese paragraph.
const INDENT: &str = "\u{3000}\u{3000}";
/// The failed-items table: heading and width of each column (170 mm in all).
const COLUMNS: [(&str, f32); 6] = [
    ("序号", 11.0),
    ("不合格项目", 41.0),
    ("检验结果", 30.0),
    ("标准指标", 30.0),
    ("单位", 16.0),
    ("判定依据", 42.0),
];
/// Most lines a table cell shows before it is cut with "…".
const CELL_LINES: usize = 8;

fn size_mm(pt: f32) -> f32 {
    pt * MM_PER_PT
}

/// A value printed in the notice's sentences, with "/" for an empty field.
fn or_slash(v: &str) -> &str {
    if v.trim().is_empty() {
        "/"
    } else {
        v
    }
}

/// `s` without a trailing full stop, so it can be placed inside a sentence.
fn clause(s: &str) -> &str {
    s.trim().trim_end_matches(['。', '.'])
}

fn is_cjk(c: char) -> bool {
    ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// `s` without spaces next to Chinese text ("7 个工作日" → "7个工作日"); spaces between
/// Latin words and numbers ("GB 2760-2024") stay.
fn tidy(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars[i + 1..].iter().find(|c| **c != ' ');
            if prev.is_none_or(is_cjk) || next.is_none_or(|n| is_cjk(*n)) {
                continue;
            }
            if prev == Some(' ') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The baseline of line `i` of a box starting at `top`, lines `line_h` apart.
fn baseline(top: f32, i: usize, size_pt: f32, line_h: f32) -> f32 {
    let s = size_mm(size_pt);
    top + i as f32 * line_h + (line_h - s) / 2.0 + EM_ASCENT * s
}

/// One page being drawn: its vector marks and its text, added to the canvas at the end so
/// all text goes into one text object.
struct Page {
    canvas: Canvas,
    texts: Vec<(f32, f32, f32, String)>,
}

impl Page {
    fn new() -> Self {
        Self {
            canvas: Canvas::new(PAGE_H),
            texts: Vec::new(),
        }
    }

    fn text(&mut self, x: f32, baseline: f32, size_pt: f32, text: impl Into<String>) {
        self.texts.push((x, baseline, size_pt, text.into()));
    }

    /// `text` centred between `x` and `x + w`.
    fn centred(&mut self, x: f32, w: f32, baseline: f32, size_pt: f32, text: &str) {
        let tw = text_width(text, size_pt);
        self.text(x + (w - tw).max(0.0) / 2.0, baseline, size_pt, text);
    }
}

/// Content flowing down A4 pages: blocks that do not fit below the current position move
/// to a new page.
struct Flow {
    done: Vec<Page>,
    page: Page,
    y: f32,
}

impl Flow {
    fn new() -> Self {
        Self {
            done: Vec::new(),
            page: Page::new(),
            y: MARGIN,
        }
    }

    fn new_page(&mut self) {
        self.done
            .push(std::mem::replace(&mut self.page, Page::new()));
        self.y = MARGIN;
    }

    /// Every page, the current one last.
    fn finish(mut self) -> Vec<Page> {
        self.done.push(self.page);
        self.done
    }

    /// Moves to a new page unless `h` mm fit below the current position. A block taller
    /// than a whole page stays where it is when already at the top of a page.
    fn keep(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    /// A wrapped body paragraph with its first line indented by `indent` (printed as part
    /// of the text). Kept on one page when it fits on one; otherwise it flows line by line.
    fn paragraph(&mut self, text: &str, indent: &str) {
        let line_h = size_mm(BODY_PT) * LEADING;
        let lines = body_lines(&tidy(text), indent);
        let total = lines.len() as f32 * line_h;
        if total <= BOTTOM - MARGIN {
            self.keep(total);
        }
        for line in lines {
            self.keep(line_h);
            let b = baseline(self.y, 0, BODY_PT, line_h);
            self.page.text(MARGIN, b, BODY_PT, line);
            self.y += line_h;
        }
    }

    /// A section heading, kept on the page of the `next` mm that follow it.
    fn heading(&mut self, text: &str, next: f32) {
        let line_h = size_mm(HEADING_PT) * LEADING;
        self.y += 2.0;
        self.keep(line_h + next.min(BOTTOM - MARGIN - line_h));
        let b = baseline(self.y, 0, HEADING_PT, line_h);
        self.page.text(MARGIN, b, HEADING_PT, text);
        self.y += line_h;
    }
}

/// A body paragraph's lines across the text width.
fn body_lines(text: &str, indent: &str) -> Vec<String> {
    wrap(
        &format!("{indent}{text}"),
        BODY_W / size_mm(BODY_PT),
        usize::MAX,
    )
}

/// The height of a body paragraph (to keep a heading with it).
fn body_height(text: &str) -> f32 {
    body_lines(&tidy(text), INDENT).len() as f32 * size_mm(BODY_PT) * LEADING
}

/// A table row laid out: each cell's lines, and the row height.
struct TableRow {
    cells: Vec<Vec<String>>,
    /// Each cell's type size in points.
    sizes: Vec<f32>,
    height: f32,
}

fn table_row(cells: &[&str]) -> TableRow {
    let line_h = size_mm(TABLE_PT) * TABLE_LEADING;
    let (sizes, cells): (Vec<f32>, Vec<Vec<String>>) = cells
        .iter()
        .zip(COLUMNS)
        .map(|(text, (_, w))| {
            // A word (a unit such as "CFU/250mL", a number) is never broken: its type
            // shrinks until it fits the column.
            let room = w - 2.0 * PAD;
            let size = (room / size_mm(longest_word_em(text)).max(0.01)).clamp(6.0, TABLE_PT);
            (size, wrap(text, room / size_mm(size), CELL_LINES))
        })
        .unzip();
    let height = cells
        .iter()
        .zip(&sizes)
        .map(|(l, s)| l.len().max(1) as f32 * size_mm(*s) * TABLE_LEADING)
        .fold(line_h, f32::max);
    TableRow {
        height: (height + 2.0 * PAD).max(7.0),
        cells,
        sizes,
    }
}

/// Draws a row at the flow's position: cell borders, text centred vertically, the header
/// (and the item number) centred horizontally.
fn draw_row(flow: &mut Flow, row: &TableRow, header: bool) {
    let y = flow.y;
    let page = &mut flow.page;
    if header {
        page.canvas.rect_fill(MARGIN, y, BODY_W, row.height, 0.9);
    }
    let mut x = MARGIN;
    for (i, ((lines, size), (_, w))) in row.cells.iter().zip(&row.sizes).zip(COLUMNS).enumerate() {
        let size = *size;
        let line_h = size_mm(size) * TABLE_LEADING;
        page.canvas.rect_stroke(x, y, w, row.height, 0.3);
        let top = y + (row.height - lines.len() as f32 * line_h) / 2.0;
        for (j, l) in lines.iter().enumerate() {
            let b = baseline(top, j, size, line_h);
            if header || i == 0 {
                page.centred(x, w, b, size, l);
            } else {
                page.text(x + PAD, b, size, l.clone());
            }
        }
        x += w;
    }
    flow.y += row.height;
}

/// The failed-items table; rows move whole to the next page, where the header repeats.
fn failed_table(flow: &mut Flow, items: &[FailedItem]) {
    let headings: Vec<&str> = COLUMNS.iter().map(|(h, _)| *h).collect();
    let header = table_row(&headings);
    let rows: Vec<TableRow> = items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = (i + 1).to_string();
            table_row(&[
                &n,
                &f.item,
                &f.result,
                &f.limit,
                or_slash(&f.unit),
                &f.standard,
            ])
        })
        .collect();
    let first = rows.first().map_or(0.0, |r| r.height);
    flow.keep(header.height + first);
    draw_row(flow, &header, true);
    for row in &rows {
        if flow.y + row.height > BOTTOM {
            flow.new_page();
            draw_row(flow, &header, true);
        }
        draw_row(flow, row, false);
    }
    flow.y += 2.0;
}

/// The first paragraph: what was sampled, when, by which plan, and what the lab found.
fn facts(doc: &NoticeDoc) -> String {
    format!(
        "你单位（地址：{}）于{}在{}（{}）中被抽样的{}（商标：{}，规格型号：{}，生产日期/批号：{}，标称生产者：{}），经{}检验（报告编号：{}，样品编号：{}），{}",
        or_slash(&doc.entity_address),
        or_slash(&doc.sampled_on),
        or_slash(&doc.plan_name),
        or_slash(&doc.plan_kind),
        or_slash(&doc.product_name),
        or_slash(&doc.brand),
        or_slash(&doc.specification),
        or_slash(&doc.batch),
        or_slash(&doc.manufacturer),
        or_slash(&doc.lab_name),
        or_slash(&doc.report_no),
        or_slash(&doc.sample_no),
        // The sentence already says who tested it: "经抽样检验，" would say it twice.
        doc.conclusion.trim().trim_start_matches("经抽样检验，"),
    )
}

/// One right as a sentence: what, within which window, until when, on which legal basis.
fn right_sentence(n: usize, r: &RightLine, served_on: &str) -> String {
    let mut s = format!("{n}．{}：{}", clause(&r.what), clause(&r.window));
    let deadline = clause(&r.deadline);
    let served_on = clause(served_on);
    match (served_on.is_empty(), deadline.is_empty()) {
        (_, true) => {}
        (true, false) => s.push_str(&format!("（截止日期{deadline}）")),
        (false, false) => s.push_str(&format!("（按{served_on}送达计算，截止日期{deadline}）")),
    }
    s.push('。');
    let citation = clause(&r.citation);
    if !citation.is_empty() {
        s.push_str(&format!("依据：{citation}。"));
    }
    s
}

/// One duty as a numbered sentence ending with a full stop.
fn duty_sentence(n: usize, duty: &str) -> String {
    let d = duty.trim();
    let ends = d.ends_with(['。', '；', '！', '.', ';']);
    format!("{n}．{d}{}", if ends { "" } else { "。" })
}

/// The sentence after the duties: they continue while the result is challenged.
const DUTIES_CONTINUE: &str = "在申请复检和提出异议期间，你单位不停止履行上述义务。";

/// The notice itself, from the title to the issuer's seal line, on as many pages as needed.
fn draw_notice(flow: &mut Flow, doc: &NoticeDoc) {
    // Title and number.
    let title_h = 10.0;
    let b = baseline(flow.y, 0, TITLE_PT, title_h);
    flow.page.centred(MARGIN, BODY_W, b, TITLE_PT, TITLE);
    flow.y += title_h + 1.0;
    let no_line = format!("编号：{}", doc.notice_no);
    let no_line = wrap(&no_line, BODY_W / size_mm(BODY_PT), 1).concat();
    let line_h = size_mm(BODY_PT) * LEADING;
    let b = baseline(flow.y, 0, BODY_PT, line_h);
    flow.page.centred(MARGIN, BODY_W, b, BODY_PT, &no_line);
    flow.y += line_h + 5.0;

    // Addressee and the facts.
    flow.paragraph(&format!("{}：", or_slash(&doc.entity_name)), "");
    flow.paragraph(&facts(doc), INDENT);

    let header = table_row(&COLUMNS.map(|(h, _)| h));
    let first = doc.failed.first().map_or(0.0, |f| {
        table_row(&["1", &f.item, &f.result, &f.limit, &f.unit, &f.standard]).height
    });
    flow.heading("不合格项目", header.height + first);
    failed_table(flow, &doc.failed);

    if !doc.rights.is_empty() {
        let sentences: Vec<String> = doc
            .rights
            .iter()
            .enumerate()
            .map(|(i, r)| right_sentence(i + 1, r, &doc.served_on))
            .collect();
        flow.heading(
            "你单位的权利",
            sentences.first().map_or(0.0, |s| body_height(s)),
        );
        for s in &sentences {
            flow.paragraph(s, INDENT);
        }
    }
    let reexam_where = doc.reexam_where.trim();
    if !reexam_where.is_empty() {
        flow.paragraph(
            &format!("受理复检申请和异议的部门及地址：{}。", clause(reexam_where)),
            INDENT,
        );
    }

    if !doc.duties.is_empty() {
        let sentences: Vec<String> = doc
            .duties
            .iter()
            .enumerate()
            .map(|(i, d)| duty_sentence(i + 1, d))
            .collect();
        flow.heading(
            "你单位应当履行的义务",
            sentences.first().map_or(0.0, |s| body_height(s)),
        );
        for s in &sentences {
            flow.paragraph(s, INDENT);
        }
        flow.paragraph(DUTIES_CONTINUE, INDENT);
    }

    let contact = doc.contact.trim();
    if !contact.is_empty() {
        flow.paragraph(&format!("联系方式：{contact}"), INDENT);
    }

    // The issuer and date, right-aligned with room above for the seal.
    let seal_line = format!("{}（盖章）", or_slash(&doc.issuer));
    let block_w = BODY_W * 0.6;
    let issuer_lines = wrap(&seal_line, block_w / size_mm(BODY_PT), 3);
    let block_h = 14.0 + (issuer_lines.len() + 1) as f32 * line_h;
    flow.keep(block_h);
    flow.y += 14.0;
    let right = PAGE_W - MARGIN - 6.0;
    let width = issuer_lines
        .iter()
        .map(|l| text_width(l, BODY_PT))
        .fold(0.0, f32::max);
    let left = right - width;
    for l in &issuer_lines {
        let b = baseline(flow.y, 0, BODY_PT, line_h);
        flow.page.centred(left, width, b, BODY_PT, l);
        flow.y += line_h;
    }
    // Without a date, blanks to fill in by hand.
    let date = match doc.issued_on.trim() {
        "" => "年\u{3000}\u{3000}月\u{3000}\u{3000}日",
        d => d,
    };
    let b = baseline(flow.y, 0, BODY_PT, line_h);
    flow.page.centred(left, width, b, BODY_PT, date);
    flow.y += line_h;
}

/// The receipt table's label column width.
const RECEIPT_LABEL_W: f32 = 34.0;
const RECEIPT_PT: f32 = 10.5;
const RECEIPT_PAD: f32 = 3.0;

/// What a receipt row holds besides its label.
enum ReceiptCell {
    /// Printed lines (none for a blank to fill in).
    Lines(Vec<String>),
    /// The server's signature line and date.
    Server,
    /// The recipient's signature (or seal) and date, in a tall box.
    Signature,
}

/// The return receipt (送达回证), starting on a page of its own.
fn draw_receipt(flow: &mut Flow, doc: &NoticeDoc) {
    flow.new_page();
    let s = size_mm(RECEIPT_PT);
    let line_h = s * LEADING;
    let title_h = 12.0;
    let b = baseline(flow.y, 0, TITLE_PT, title_h);
    flow.page
        .centred(MARGIN, BODY_W, b, TITLE_PT, "送 达 回 证");
    flow.y += title_h + 6.0;

    let value_x = MARGIN + RECEIPT_LABEL_W;
    let value_w = BODY_W - RECEIPT_LABEL_W;
    let value =
        |t: &str, n: usize| ReceiptCell::Lines(wrap(t, (value_w - 2.0 * RECEIPT_PAD) / s, n));
    let rows = [
        (
            "送达文书名称",
            value(&format!("{TITLE}（编号：{}）", doc.notice_no), 2),
            14.0,
        ),
        ("受送达人", value(or_slash(&doc.entity_name), 3), 14.0),
        ("送达地点", value(or_slash(&doc.entity_address), 4), 14.0),
        (
            "送达方式",
            value(
                "□直接送达\u{3000}\u{3000}□邮寄送达\u{3000}\u{3000}□电子送达",
                1,
            ),
            14.0,
        ),
        ("送达人", ReceiptCell::Server, 18.0),
        ("受送达人签收", ReceiptCell::Signature, 60.0),
        ("备注", ReceiptCell::Lines(Vec::new()), 28.0),
    ];
    let top = flow.y;
    let page = &mut flow.page;
    let mut y = top;
    for (label, cell, min_h) in &rows {
        let h = match cell {
            ReceiptCell::Lines(lines) => {
                (lines.len() as f32 * line_h + 2.0 * RECEIPT_PAD).max(*min_h)
            }
            _ => *min_h,
        };
        page.canvas.rect_fill(MARGIN, y, RECEIPT_LABEL_W, h, 0.94);
        page.canvas.rect_stroke(MARGIN, y, RECEIPT_LABEL_W, h, 0.3);
        page.canvas.rect_stroke(value_x, y, value_w, h, 0.3);
        let mid = baseline(y + (h - line_h) / 2.0, 0, RECEIPT_PT, line_h);
        page.centred(MARGIN, RECEIPT_LABEL_W, mid, RECEIPT_PT, label);
        let x = value_x + RECEIPT_PAD;
        match cell {
            ReceiptCell::Lines(lines) => {
                let first = y + (h - lines.len() as f32 * line_h) / 2.0;
                for (i, l) in lines.iter().enumerate() {
                    page.text(
                        x,
                        baseline(first, i, RECEIPT_PT, line_h),
                        RECEIPT_PT,
                        l.clone(),
                    );
                }
            }
            ReceiptCell::Server => {
                let sign = "签名：";
                page.text(x, mid, RECEIPT_PT, sign);
                let start = x + text_width(sign, RECEIPT_PT) + 1.0;
                page.canvas
                    .line(start, mid + 1.0, start + 45.0, mid + 1.0, 0.2);
                let date =
                    "送达日期：\u{3000}\u{3000}\u{3000}年\u{3000}\u{3000}月\u{3000}\u{3000}日";
                let dx = value_x + value_w - RECEIPT_PAD - text_width(date, RECEIPT_PT);
                page.text(dx, mid, RECEIPT_PT, date);
            }
            ReceiptCell::Signature => {
                let sign = "签名（盖章）：";
                let b = baseline(y + RECEIPT_PAD + 4.0, 0, RECEIPT_PT, line_h);
                page.text(x, b, RECEIPT_PT, sign);
                let start = x + text_width(sign, RECEIPT_PT) + 1.0;
                page.canvas.line(start, b + 1.0, start + 50.0, b + 1.0, 0.2);
                let date = "年\u{3000}\u{3000}月\u{3000}\u{3000}日";
                let dx = value_x + value_w - 12.0 - text_width(date, RECEIPT_PT);
                page.text(dx, y + h - 8.0, RECEIPT_PT, date);
            }
        }
        y += h;
    }
    page.canvas.rect_stroke(MARGIN, top, BODY_W, y - top, 0.6);
    flow.y = y + 4.0;
    flow.paragraph(
        &format!("本回证由受送达人签收后交回{}。", or_slash(&doc.issuer)),
        "",
    );
}

/// The footer of every page: the notice number and the page count.
fn footer(page: &mut Page, notice_no: &str, n: usize, of: usize) {
    let b = PAGE_H - MARGIN;
    page.canvas
        .line(MARGIN, BOTTOM + 3.0, PAGE_W - MARGIN, BOTTOM + 3.0, 0.2);
    let no = wrap(
        &format!("编号：{notice_no}"),
        BODY_W * 0.6 / size_mm(FOOTER_PT),
        1,
    )
    .concat();
    page.text(MARGIN, b, FOOTER_PT, no);
    let count = format!("第 {n} 页 共 {of} 页");
    let x = PAGE_W - MARGIN - text_width(&count, FOOTER_PT);
    page.text(x, b, FOOTER_PT, count);
}

/// Renders the notice (one or more A4 pages) followed by its return receipt on a page of
/// its own. A notice lists at least one failed item: an empty list is `DocError::Invalid`.
pub fn render_notice(doc: &NoticeDoc) -> Result<Vec<u8>, DocError> {
    if doc.failed.is_empty() {
        return Err(DocError::Invalid(
            "a notice of a non-compliant result needs at least one failed item".into(),
        ));
    }
    let mut flow = Flow::new();
    draw_notice(&mut flow, doc);
    draw_receipt(&mut flow, doc);
    let pages = flow.finish();
    let of = pages.len();
    let mut pdf = new_document(&format!("{TITLE} {}", doc.notice_no))?;
    pdf.pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, mut page)| {
            footer(&mut page, &doc.notice_no, i + 1, of);
            let Page { mut canvas, texts } = page;
            canvas.text_lines(texts.iter().map(|(x, b, s, t)| (*x, *b, *s, t.as_str())));
            canvas.into_page(PAGE_W, PAGE_H)
        })
        .collect();
    save(&pdf, QrForms::default())
}

#[cfg(test)]
mod tests;
