//! The report's layout engine: pages whose text is written once the page count is known,
//! table cells wrapped to their columns, rows that keep together, and the flow that
//! carries tables over pages with their header repeated.

use super::*;
use crate::text::longest_word_em;

/// The smallest type a cell shrinks to before its text is wrapped harder or cut.
const MIN_CELL_PT: f32 = 5.5;

/// One placed line of text: x, baseline, size in points, text.
pub(super) type Text = (f32, f32, f32, String);

/// A page being drawn: shapes go straight to the canvas, text is collected so each page's
/// text is written in one text object once the page count is known.
pub(super) struct Page {
    pub(super) canvas: Canvas,
    pub(super) texts: Vec<Text>,
}

impl Page {
    pub(super) fn text(&mut self, x: f32, baseline: f32, size_pt: f32, text: impl Into<String>) {
        self.texts.push((x, baseline, size_pt, text.into()));
    }

    pub(super) fn centred(&mut self, centre_x: f32, baseline: f32, size_pt: f32, text: &str) {
        let x = centre_x - text_width(text, size_pt) / 2.0;
        self.text(x, baseline, size_pt, text);
    }

    pub(super) fn right(&mut self, right_x: f32, baseline: f32, size_pt: f32, text: &str) {
        let x = right_x - text_width(text, size_pt);
        self.text(x, baseline, size_pt, text);
    }
}

#[derive(Clone, Copy)]
pub(super) enum Align {
    Left,
    Centre,
}

/// A table cell: its column, its text wrapped to the column, and its looks.
pub(super) struct Cell {
    pub(super) x: f32,
    pub(super) w: f32,
    pub(super) size_pt: f32,
    pub(super) lines: Vec<String>,
    pub(super) align: Align,
    pub(super) fill: Option<f32>,
}

impl Cell {
    /// A cell of `text` wrapped to its column. A word (a unit such as "mg/100g", a
    /// number, a standard's code) is never broken and nothing is cut while the type can
    /// shrink: it goes down by quarter points to [`MIN_CELL_PT`] until the longest word
    /// fits the column and the text fits `max_lines`.
    pub(super) fn new(
        x: f32,
        w: f32,
        text: &str,
        size_pt: f32,
        max_lines: usize,
        align: Align,
    ) -> Self {
        let room = w - 2.0 * PAD;
        let word = longest_word_em(text);
        let mut size = size_pt;
        while size > MIN_CELL_PT
            && (word * mm(size) > room + 1e-3
                || wrap(text, room / mm(size), usize::MAX).len() > max_lines)
        {
            size = (size - 0.25).max(MIN_CELL_PT);
        }
        Self {
            x,
            w,
            size_pt: size,
            lines: wrap(text, room / mm(size), max_lines),
            align,
            fill: None,
        }
    }

    pub(super) fn label(x: f32, w: f32, text: &str) -> Self {
        let mut c = Self::new(x, w, text, INFO_PT, 2, Align::Centre);
        c.fill = Some(LABEL_GREY);
        c
    }

    pub(super) fn content_h(&self) -> f32 {
        self.lines.len() as f32 * line_h(self.size_pt)
    }
}

/// A table row: cells side by side, never split across pages.
pub(super) struct Row {
    pub(super) height: f32,
    pub(super) cells: Vec<Cell>,
    /// A grey band behind the whole row (the header row).
    pub(super) fill: Option<f32>,
}

impl Row {
    pub(super) fn new(cells: Vec<Cell>, min_h: f32) -> Self {
        let content = cells.iter().map(Cell::content_h).fold(0.0, f32::max);
        Self {
            height: (content + 2.0 * PAD).max(min_h),
            cells,
            fill: None,
        }
    }

    /// Draws the row with its top edge at `y`: fills first, then rules, then text, so no
    /// fill covers a rule.
    pub(super) fn draw(&self, page: &mut Page, y: f32) {
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
pub(super) struct Table<'a> {
    pub(super) caption: Option<&'a str>,
    pub(super) header: Option<Row>,
    pub(super) rows: Vec<Row>,
}

/// The pages being filled from top to bottom.
pub(super) struct Flow<'a> {
    pub(super) doc: &'a ReportDoc,
    pub(super) pages: Vec<Page>,
    pub(super) y: f32,
}

impl<'a> Flow<'a> {
    pub(super) fn new(doc: &'a ReportDoc) -> Self {
        let mut flow = Self {
            doc,
            pages: Vec::new(),
            y: BODY_TOP,
        };
        flow.new_page();
        flow
    }

    pub(super) fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a page with the header band (lab name, report number) and the footer rule;
    /// the footer text waits for the page count.
    pub(super) fn new_page(&mut self) {
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
        let number = format!("报告编号：{}", number(self.doc));
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
    pub(super) fn ensure(&mut self, h: f32) {
        if self.y + h > BODY_BOTTOM && self.y > BODY_TOP + 0.01 {
            self.new_page();
        }
    }

    /// Draws a table: rows never split; a row that does not fit closes the table on this
    /// page and continues it on the next, caption and header repeated. The caption and
    /// header never stand alone at the bottom of a page.
    pub(super) fn table(&mut self, t: &Table) {
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
    pub(super) fn close_table(&mut self, top: Option<f32>) {
        if let Some(top) = top {
            let y = self.y;
            self.page()
                .canvas
                .rect_stroke(MARGIN, top, CONTENT_W, y - top, THICK);
        }
    }
}
