//! The screening slip (快速检测结果告知单) of 你送我检: a resident's own item, tested with
//! rapid methods at the lab's counter. One A5 portrait page that says plainly it is not a
//! statutory inspection report (rules.md §a.1: no sampling procedure, no legal effect).
//! Invariant: the same `ScreeningSlip` always gives the same bytes.

use serde::{Deserialize, Serialize};

use super::fonts::{EM_ASCENT, MM_PER_PT};
use super::pdf::{new_document, save, text_width, Canvas, QrForms};
use super::text::wrap;
use super::DocError;

/// One rapid test and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningRow {
    pub test: String,
    pub method: String,
    pub result: String,
    /// 阴性 / 阳性 / 可疑 (or the kit's own words).
    pub verdict: String,
}

/// Everything the slip prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningSlip {
    pub screening_no: String,
    pub lab_name: String,
    pub item_name: String,
    /// Where the resident bought it, as they said; may be empty.
    pub item_source: String,
    pub region_name: String,
    /// e.g. "2026年3月2日".
    pub received_on: String,
    pub rows: Vec<ScreeningRow>,
    /// e.g. "2026年3月2日".
    pub printed_on: String,
}

const PAGE_W: f32 = 148.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 12.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;
const TITLE: &str = "快速检测结果告知单";
/// Printed under the title, and again in the closing paragraph.
pub const NOT_A_REPORT: &str = "（你送我检 · 非法定检验报告）";
/// The closing paragraph: what the slip is not, and what to do about a positive result.
pub const DISCLAIMER: &str = "本告知单为群众自行送检食品的快速检测（快检）结果，仅供参考，不是《中华人民共和国食品安全法》规定的食品检验报告，不具有法律效力，不能作为行政处罚、投诉举报处理或索赔的依据。快检结果为阳性或可疑的，建议停止食用，并可拨打12315向市场监管部门反映。";
const TITLE_PT: f32 = 16.0;
const BODY_PT: f32 = 9.5;
const TABLE_PT: f32 = 8.5;
const LEADING: f32 = 1.5;
/// The results table: heading and width of each column (124 mm in all).
const COLUMNS: [(&str, f32); 4] = [
    ("检测项目", 38.0),
    ("检测方法", 38.0),
    ("结果", 26.0),
    ("判定", 22.0),
];
/// Rows that fit on the page; more are cut with a line saying how many were left out.
const MAX_ROWS: usize = 12;

fn size_mm(pt: f32) -> f32 {
    pt * MM_PER_PT
}

struct Sheet {
    canvas: Canvas,
    texts: Vec<(f32, f32, f32, String)>,
    y: f32,
}

impl Sheet {
    fn text(&mut self, x: f32, baseline: f32, size_pt: f32, text: impl Into<String>) {
        self.texts.push((x, baseline, size_pt, text.into()));
    }

    /// A paragraph wrapped to the body width; moves down past it.
    fn paragraph(&mut self, text: &str, size_pt: f32) {
        let line_h = size_mm(size_pt) * LEADING;
        let em = BODY_W / size_mm(size_pt);
        for line in wrap(text, em, 12) {
            let b = self.y + EM_ASCENT * size_mm(size_pt);
            self.text(MARGIN, b, size_pt, line);
            self.y += line_h;
        }
    }

    fn centred(&mut self, size_pt: f32, text: &str) {
        let w = text_width(text, size_pt);
        let b = self.y + EM_ASCENT * size_mm(size_pt);
        self.text(MARGIN + (BODY_W - w).max(0.0) / 2.0, b, size_pt, text);
        self.y += size_mm(size_pt) * LEADING;
    }

    /// One table row: each cell wrapped in its column, the row as tall as its tallest cell.
    fn row(&mut self, cells: &[&str], header: bool) {
        let line_h = size_mm(TABLE_PT) * 1.3;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(COLUMNS)
            .map(|(c, (_, w))| wrap(c, (w - 2.0) / size_mm(TABLE_PT), 3))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * line_h + 2.0;
        if header {
            self.canvas.rect_fill(MARGIN, self.y, BODY_W, h, 0.9);
        }
        let mut x = MARGIN;
        for (cell, (_, w)) in wrapped.iter().zip(COLUMNS) {
            self.canvas.rect_stroke(x, self.y, w, h, 0.3);
            for (i, line) in cell.iter().enumerate() {
                let b = self.y + 1.0 + i as f32 * line_h + EM_ASCENT * size_mm(TABLE_PT);
                self.text(x + 1.0, b, TABLE_PT, line.clone());
            }
            x += w;
        }
        self.y += h;
    }
}

fn or_slash(v: &str) -> &str {
    if v.trim().is_empty() {
        "/"
    } else {
        v
    }
}

/// Renders the slip: one A5 page. A slip without a result is refused, since it would tell
/// the resident nothing.
pub fn render_screening_slip(doc: &ScreeningSlip) -> Result<Vec<u8>, DocError> {
    if doc.rows.is_empty() {
        return Err(DocError::Invalid(
            "a screening slip needs at least one result".into(),
        ));
    }
    let mut s = Sheet {
        canvas: Canvas::new(PAGE_H),
        texts: Vec::new(),
        y: MARGIN,
    };
    s.centred(TITLE_PT, TITLE);
    s.centred(BODY_PT + 1.0, NOT_A_REPORT);
    s.y += 2.0;
    for (label, value) in [
        ("编号", doc.screening_no.as_str()),
        ("检测机构", doc.lab_name.as_str()),
        ("送检物品", doc.item_name.as_str()),
        ("购买地点", or_slash(&doc.item_source)),
        ("所在地区", or_slash(&doc.region_name)),
        ("送检日期", doc.received_on.as_str()),
    ] {
        s.paragraph(&format!("{label}：{value}"), BODY_PT);
    }
    s.y += 2.0;
    let header: Vec<&str> = COLUMNS.iter().map(|(h, _)| *h).collect();
    s.row(&header, true);
    for r in doc.rows.iter().take(MAX_ROWS) {
        s.row(&[&r.test, &r.method, &r.result, &r.verdict], false);
    }
    if doc.rows.len() > MAX_ROWS {
        s.y += 1.0;
        s.paragraph(
            &format!(
                "另有 {} 项结果未能列出，请向检测机构索取。",
                doc.rows.len() - MAX_ROWS
            ),
            TABLE_PT,
        );
    }
    s.y += 3.0;
    s.paragraph(DISCLAIMER, BODY_PT);
    s.y += 4.0;
    s.paragraph(&format!("{}　　{}", doc.lab_name, doc.printed_on), BODY_PT);
    let mut pdf = new_document(&format!("{TITLE} {}", doc.screening_no))?;
    let Sheet {
        mut canvas, texts, ..
    } = s;
    canvas.text_lines(texts.iter().map(|(x, b, z, t)| (*x, *b, *z, t.as_str())));
    pdf.pages = vec![canvas.into_page(PAGE_W, PAGE_H)];
    save(&pdf, QrForms::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slip(rows: usize) -> ScreeningSlip {
        ScreeningSlip {
            screening_no: "SJ2026000001".into(),
            lab_name: "青海省食品检验检测院".into(),
            item_name: "散装白酒".into(),
            item_source: "城东区某农贸市场".into(),
            region_name: "城东区".into(),
            received_on: "2026年3月2日".into(),
            rows: (0..rows)
                .map(|i| ScreeningRow {
                    test: format!("甲醇{i}"),
                    method: "快速检测试剂盒".into(),
                    result: "未检出".into(),
                    verdict: "阴性".into(),
                })
                .collect(),
            printed_on: "2026年3月2日".into(),
        }
    }

    #[test]
    fn every_fixed_word_is_in_the_bundled_font() {
        use crate::fonts::has_glyph;
        let fixed = format!(
            "{TITLE}{NOT_A_REPORT}{DISCLAIMER}编号检测机构送检物品购买地点所在地区送检日期另有项结果未能列出，请向检测机构索取。{}",
            COLUMNS.iter().map(|(h, _)| *h).collect::<String>()
        );
        let missing: String = fixed.chars().filter(|c| !has_glyph(*c)).collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }

    #[test]
    fn a_slip_is_one_page_and_the_same_slip_gives_the_same_bytes() {
        let a = render_screening_slip(&slip(3)).unwrap();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, render_screening_slip(&slip(3)).unwrap());
        let many = render_screening_slip(&slip(20)).unwrap();
        assert!(many.starts_with(b"%PDF-"));
        assert!(render_screening_slip(&slip(0)).is_err());
    }
}
