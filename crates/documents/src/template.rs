//! Label templates: one TOML file per physical label size (see `label_templates/README.md`).
//! Invariant: a template that parses is printable — every element lies inside its label,
//! every size is positive and every placeholder is known; a bad file is refused with its
//! file, line and field, and never panics.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::fonts::MM_PER_PT;
use super::qr::Ecc;

/// Slack for rounding when checking that elements fit, in mm.
const FIT_EPS: f32 = 0.01;

/// The placeholders a text element may use, replaced by the label's data when printed.
pub const PLACEHOLDERS: [&str; 6] = [
    "sample_no",
    "product_name",
    "sampled_on",
    "storage",
    "entity_name",
    "portion",
];

const SHIPPED: [(&str, &str); 3] = [
    (
        "thermal-50x30.toml",
        include_str!("../../../label_templates/thermal-50x30.toml"),
    ),
    (
        "thermal-70x40.toml",
        include_str!("../../../label_templates/thermal-70x40.toml"),
    ),
    (
        "a4-3x8.toml",
        include_str!("../../../label_templates/a4-3x8.toml"),
    ),
];

/// Roll stock prints one label per page; a sheet carries a grid of labels per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateKind {
    Roll,
    Sheet,
}

/// Horizontal alignment of a text element inside its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// The grid of a sheet: labels counted row by row from the top-left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetGrid {
    pub columns: u32,
    pub rows: u32,
    pub label_width_mm: f32,
    pub label_height_mm: f32,
    pub margin_left_mm: f32,
    pub margin_top_mm: f32,
    pub gap_x_mm: f32,
    pub gap_y_mm: f32,
}

/// A QR code; `size_mm` is the side of the square including its 4-module quiet zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QrElement {
    pub x_mm: f32,
    pub y_mm: f32,
    pub size_mm: f32,
    pub ecc: Ecc,
}

/// Text with placeholders, wrapped to `width_mm` in at most `max_lines` lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextElement {
    pub x_mm: f32,
    /// Top of the first line.
    pub y_mm: f32,
    pub width_mm: f32,
    pub font_size_pt: f32,
    pub max_lines: u32,
    /// Distance between baselines as a multiple of the font size.
    pub line_spacing: f32,
    pub align: Align,
    pub text: String,
}

impl TextElement {
    /// Height of one line in mm.
    pub fn line_height_mm(&self) -> f32 {
        self.font_size_pt * MM_PER_PT * self.line_spacing
    }

    /// Height of the whole box in mm.
    pub fn height_mm(&self) -> f32 {
        self.line_height_mm() * self.max_lines as f32
    }
}

/// A straight line, e.g. a signature line on the seal strip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineElement {
    pub x1_mm: f32,
    pub y1_mm: f32,
    pub x2_mm: f32,
    pub y2_mm: f32,
    pub thickness_mm: f32,
}

/// A rectangle outline, e.g. the border of the label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoxElement {
    pub x_mm: f32,
    pub y_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
    pub thickness_mm: f32,
}

/// What one kind of label (portion label or seal strip) prints, in mm from the label's
/// top-left corner. Drawn in this order: boxes, lines, QR codes, texts.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LabelLayout {
    pub boxes: Vec<BoxElement>,
    pub lines: Vec<LineElement>,
    pub qrs: Vec<QrElement>,
    pub texts: Vec<TextElement>,
}

/// One physical label size and what is printed on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelTemplate {
    /// Identifier used to pick the template, e.g. `thermal-50x30`.
    pub name: String,
    pub description: String,
    pub kind: TemplateKind,
    /// Page size: the label itself for a roll, the sheet for a sheet.
    pub width_mm: f32,
    pub height_mm: f32,
    /// The grid, for sheets only.
    pub sheet: Option<SheetGrid>,
    /// The portion label (on the package).
    pub portion: LabelLayout,
    /// The seal strip (封条), across the seal.
    pub seal: LabelLayout,
}

impl LabelTemplate {
    /// The size of one label in mm (width, height).
    pub fn label_size_mm(&self) -> (f32, f32) {
        match &self.sheet {
            Some(g) => (g.label_width_mm, g.label_height_mm),
            None => (self.width_mm, self.height_mm),
        }
    }

    /// How many labels one page carries.
    pub fn labels_per_page(&self) -> usize {
        match &self.sheet {
            Some(g) => (g.columns * g.rows) as usize,
            None => 1,
        }
    }

    /// The top-left corner, in mm from the page's top-left, of the `slot`-th label on a
    /// page (row by row).
    pub fn slot_origin_mm(&self, slot: usize) -> (f32, f32) {
        match &self.sheet {
            Some(g) => {
                let col = (slot % g.columns as usize) as f32;
                let row = (slot / g.columns as usize) as f32;
                (
                    g.margin_left_mm + col * (g.label_width_mm + g.gap_x_mm),
                    g.margin_top_mm + row * (g.label_height_mm + g.gap_y_mm),
                )
            }
            None => (0.0, 0.0),
        }
    }
}

/// Why a template file was refused. Displays as `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateError {
    pub file: String,
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{}: {}: {}",
                self.file, line, self.field, self.message
            ),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

// ---------------------------------------------------------------------------------------
// The file format as written, with the position of every value for error messages.

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: S<String>,
    #[serde(default)]
    description: Option<S<String>>,
    kind: S<TemplateKind>,
    width_mm: S<f32>,
    height_mm: S<f32>,
    #[serde(default)]
    sheet: Option<RawSheet>,
    portion: RawLayout,
    seal: RawLayout,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSheet {
    columns: S<i64>,
    rows: S<i64>,
    label_width_mm: S<f32>,
    label_height_mm: S<f32>,
    #[serde(default)]
    margin_left_mm: Option<S<f32>>,
    #[serde(default)]
    margin_top_mm: Option<S<f32>>,
    #[serde(default)]
    gap_x_mm: Option<S<f32>>,
    #[serde(default)]
    gap_y_mm: Option<S<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    #[serde(default, rename = "box")]
    boxes: Vec<RawBox>,
    #[serde(default, rename = "line")]
    lines: Vec<RawLine>,
    #[serde(default, rename = "qr")]
    qrs: Vec<RawQr>,
    #[serde(default, rename = "text")]
    texts: Vec<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQr {
    x_mm: S<f32>,
    y_mm: S<f32>,
    size_mm: S<f32>,
    #[serde(default)]
    ecc: Option<S<Ecc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    x_mm: S<f32>,
    y_mm: S<f32>,
    width_mm: S<f32>,
    font_size_pt: S<f32>,
    text: S<String>,
    #[serde(default)]
    max_lines: Option<S<i64>>,
    #[serde(default)]
    line_spacing: Option<S<f32>>,
    #[serde(default)]
    align: Option<S<Align>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    x1_mm: S<f32>,
    y1_mm: S<f32>,
    x2_mm: S<f32>,
    y2_mm: S<f32>,
    #[serde(default)]
    thickness_mm: Option<S<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBox {
    x_mm: S<f32>,
    y_mm: S<f32>,
    width_mm: S<f32>,
    height_mm: S<f32>,
    #[serde(default)]
    thickness_mm: Option<S<f32>>,
}

/// Collects the first problem found, with its position.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn line_of(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(
        &self,
        span: &Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> TemplateError {
        TemplateError {
            file: self.file.to_string(),
            line: Some(self.line_of(span)),
            field: field.into(),
            message: message.into(),
        }
    }

    fn err_at(
        &self,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> TemplateError {
        TemplateError {
            file: self.file.to_string(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The first line that opens table `name` or one of its sub-tables (`[seal]`,
    /// `[[seal.qr]]`), for errors about a table as a whole.
    fn header_line(&self, name: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| {
                let h = l
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .trim();
                l.trim().starts_with('[') && (h == name || h.starts_with(&format!("{name}.")))
            })
            .map(|i| i + 1)
    }

    /// A finite number in `min..=max` (mm or pt).
    fn number(&self, v: &S<f32>, field: &str, min: f32, max: f32) -> Result<f32, TemplateError> {
        let x = *v.get_ref();
        if !x.is_finite() || x < min || x > max {
            return Err(self.err(
                &v.span(),
                field,
                format!("{x} is out of range {min}..={max}"),
            ));
        }
        Ok(x)
    }

    fn positive(&self, v: &S<f32>, field: &str, max: f32) -> Result<f32, TemplateError> {
        let x = *v.get_ref();
        if !x.is_finite() || x <= 0.0 || x > max {
            return Err(self.err(
                &v.span(),
                field,
                format!("must be greater than 0 and at most {max}, got {x}"),
            ));
        }
        Ok(x)
    }

    fn optional(
        &self,
        v: &Option<S<f32>>,
        field: &str,
        default: f32,
        min: f32,
        max: f32,
    ) -> Result<f32, TemplateError> {
        match v {
            Some(v) => self.number(v, field, min, max),
            None => Ok(default),
        }
    }

    /// `value + extent` must stay within `limit` (an element inside its label).
    fn fits(
        &self,
        v: &S<f32>,
        field: &str,
        extent: f32,
        limit: f32,
        what: &str,
    ) -> Result<(), TemplateError> {
        let x = *v.get_ref();
        if x < -FIT_EPS || x + extent > limit + FIT_EPS {
            return Err(self.err(
                &v.span(),
                field,
                format!("element leaves the label: {x} + {extent} mm exceeds the label {what} of {limit} mm"),
            ));
        }
        Ok(())
    }
}

/// Checks placeholder syntax: `{name}` with a known name; `{{` and `}}` print braces.
pub(crate) fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        if c == b'}' {
            if let Some(stripped) = after.strip_prefix('}') {
                rest = stripped;
                continue;
            }
            return Err("unmatched `}` (write `}}` for a literal brace)".to_string());
        }
        if let Some(stripped) = after.strip_prefix('{') {
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            return Err("unclosed `{` (write `{{` for a literal brace)".to_string());
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}; known: {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Parses one template file's text. `file_name` is the name used in errors.
pub fn parse_template(file_name: &str, text: &str) -> Result<LabelTemplate, TemplateError> {
    let ck = Checker {
        file: file_name,
        text,
    };
    let raw: RawTemplate = toml::from_str(text).map_err(|e| syntax_error(&ck, &e))?;

    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ck.err(
            &raw.name.span(),
            "name",
            "must be non-empty lowercase letters, digits, '-', '_' or '.'",
        ));
    }
    let width_mm = ck.positive(&raw.width_mm, "width_mm", 2000.0)?;
    let height_mm = ck.positive(&raw.height_mm, "height_mm", 2000.0)?;
    let kind = *raw.kind.get_ref();

    let sheet = match (kind, &raw.sheet) {
        (TemplateKind::Roll, None) => None,
        (TemplateKind::Roll, Some(_)) => {
            return Err(ck.err_at(
                ck.header_line("sheet"),
                "sheet",
                "a roll template has no [sheet] grid (use kind = \"sheet\")",
            ))
        }
        (TemplateKind::Sheet, None) => {
            return Err(ck.err(
                &raw.kind.span(),
                "sheet",
                "a sheet template needs a [sheet] table with its grid",
            ))
        }
        (TemplateKind::Sheet, Some(s)) => Some(check_sheet(&ck, s, width_mm, height_mm)?),
    };
    let label = match &sheet {
        Some(g) => (g.label_width_mm, g.label_height_mm),
        None => (width_mm, height_mm),
    };

    Ok(LabelTemplate {
        name,
        description: raw.description.map(|d| d.into_inner()).unwrap_or_default(),
        kind,
        width_mm,
        height_mm,
        sheet,
        portion: check_layout(&ck, &raw.portion, "portion", label)?,
        seal: check_layout(&ck, &raw.seal, "seal", label)?,
    })
}

fn check_sheet(
    ck: &Checker,
    s: &RawSheet,
    page_w: f32,
    page_h: f32,
) -> Result<SheetGrid, TemplateError> {
    let count = |v: &S<i64>, field: &str| -> Result<u32, TemplateError> {
        let n = *v.get_ref();
        if !(1..=100).contains(&n) {
            return Err(ck.err(&v.span(), field, format!("must be 1..=100, got {n}")));
        }
        Ok(n as u32)
    };
    let grid = SheetGrid {
        columns: count(&s.columns, "sheet.columns")?,
        rows: count(&s.rows, "sheet.rows")?,
        label_width_mm: ck.positive(&s.label_width_mm, "sheet.label_width_mm", page_w)?,
        label_height_mm: ck.positive(&s.label_height_mm, "sheet.label_height_mm", page_h)?,
        margin_left_mm: ck.optional(&s.margin_left_mm, "sheet.margin_left_mm", 0.0, 0.0, page_w)?,
        margin_top_mm: ck.optional(&s.margin_top_mm, "sheet.margin_top_mm", 0.0, 0.0, page_h)?,
        gap_x_mm: ck.optional(&s.gap_x_mm, "sheet.gap_x_mm", 0.0, 0.0, page_w)?,
        gap_y_mm: ck.optional(&s.gap_y_mm, "sheet.gap_y_mm", 0.0, 0.0, page_h)?,
    };
    let used_w = grid.margin_left_mm
        + grid.columns as f32 * grid.label_width_mm
        + (grid.columns - 1) as f32 * grid.gap_x_mm;
    if used_w > page_w + FIT_EPS {
        return Err(ck.err(
            &s.columns.span(),
            "sheet.columns",
            format!("the grid is {used_w} mm wide, wider than the page ({page_w} mm)"),
        ));
    }
    let used_h = grid.margin_top_mm
        + grid.rows as f32 * grid.label_height_mm
        + (grid.rows - 1) as f32 * grid.gap_y_mm;
    if used_h > page_h + FIT_EPS {
        return Err(ck.err(
            &s.rows.span(),
            "sheet.rows",
            format!("the grid is {used_h} mm tall, taller than the page ({page_h} mm)"),
        ));
    }
    Ok(grid)
}

fn check_layout(
    ck: &Checker,
    raw: &RawLayout,
    part: &str,
    (label_w, label_h): (f32, f32),
) -> Result<LabelLayout, TemplateError> {
    let mut out = LabelLayout::default();

    for (i, b) in raw.boxes.iter().enumerate() {
        let f = |name: &str| format!("{part}.box[{i}].{name}");
        let width_mm = ck.positive(&b.width_mm, &f("width_mm"), label_w)?;
        let height_mm = ck.positive(&b.height_mm, &f("height_mm"), label_h)?;
        ck.fits(&b.x_mm, &f("x_mm"), width_mm, label_w, "width")?;
        ck.fits(&b.y_mm, &f("y_mm"), height_mm, label_h, "height")?;
        out.boxes.push(BoxElement {
            x_mm: *b.x_mm.get_ref(),
            y_mm: *b.y_mm.get_ref(),
            width_mm,
            height_mm,
            thickness_mm: thickness(ck, &b.thickness_mm, &f("thickness_mm"), 0.3)?,
        });
    }

    for (i, l) in raw.lines.iter().enumerate() {
        let f = |name: &str| format!("{part}.line[{i}].{name}");
        for (v, name, limit, what) in [
            (&l.x1_mm, "x1_mm", label_w, "width"),
            (&l.y1_mm, "y1_mm", label_h, "height"),
            (&l.x2_mm, "x2_mm", label_w, "width"),
            (&l.y2_mm, "y2_mm", label_h, "height"),
        ] {
            ck.fits(v, &f(name), 0.0, limit, what)?;
        }
        out.lines.push(LineElement {
            x1_mm: *l.x1_mm.get_ref(),
            y1_mm: *l.y1_mm.get_ref(),
            x2_mm: *l.x2_mm.get_ref(),
            y2_mm: *l.y2_mm.get_ref(),
            thickness_mm: thickness(ck, &l.thickness_mm, &f("thickness_mm"), 0.2)?,
        });
    }

    for (i, q) in raw.qrs.iter().enumerate() {
        let f = |name: &str| format!("{part}.qr[{i}].{name}");
        let size_mm = ck.number(&q.size_mm, &f("size_mm"), 8.0, label_w.min(label_h))?;
        ck.fits(&q.x_mm, &f("x_mm"), size_mm, label_w, "width")?;
        ck.fits(&q.y_mm, &f("y_mm"), size_mm, label_h, "height")?;
        out.qrs.push(QrElement {
            x_mm: *q.x_mm.get_ref(),
            y_mm: *q.y_mm.get_ref(),
            size_mm,
            ecc: q.ecc.as_ref().map(|e| *e.get_ref()).unwrap_or(Ecc::M),
        });
    }

    for (i, t) in raw.texts.iter().enumerate() {
        let f = |name: &str| format!("{part}.text[{i}].{name}");
        let text = t.text.get_ref();
        if text.trim().is_empty() {
            return Err(ck.err(&t.text.span(), f("text"), "must not be empty"));
        }
        check_placeholders(text).map_err(|m| ck.err(&t.text.span(), f("text"), m))?;
        let max_lines = match &t.max_lines {
            Some(v) if !(1..=20).contains(v.get_ref()) => {
                return Err(ck.err(
                    &v.span(),
                    f("max_lines"),
                    format!("must be 1..=20, got {}", v.get_ref()),
                ))
            }
            Some(v) => *v.get_ref() as u32,
            None => 1,
        };
        let el = TextElement {
            x_mm: *t.x_mm.get_ref(),
            y_mm: *t.y_mm.get_ref(),
            width_mm: ck.positive(&t.width_mm, &f("width_mm"), label_w)?,
            font_size_pt: ck.number(&t.font_size_pt, &f("font_size_pt"), 3.0, 72.0)?,
            max_lines,
            line_spacing: ck.optional(&t.line_spacing, &f("line_spacing"), 1.2, 0.8, 3.0)?,
            align: t.align.as_ref().map(|a| *a.get_ref()).unwrap_or_default(),
            text: text.clone(),
        };
        ck.fits(&t.x_mm, &f("x_mm"), el.width_mm, label_w, "width")?;
        ck.fits(&t.y_mm, &f("y_mm"), el.height_mm(), label_h, "height")?;
        out.texts.push(el);
    }

    // Every label must be scannable and readable without the scanner (SPEC §3).
    if out.qrs.is_empty() {
        return Err(ck.err_at(
            ck.header_line(part),
            part,
            "needs at least one [[qr]] element",
        ));
    }
    if !out.texts.iter().any(|t| t.text.contains("{sample_no}")) {
        return Err(ck.err_at(
            ck.header_line(part),
            part,
            "needs a [[text]] element that prints {sample_no}",
        ));
    }
    Ok(out)
}

fn thickness(
    ck: &Checker,
    v: &Option<S<f32>>,
    field: &str,
    default: f32,
) -> Result<f32, TemplateError> {
    match v {
        Some(v) => ck.positive(v, field, 5.0),
        None => Ok(default),
    }
}

/// Turns a TOML or serde error into file, line and the dotted field it concerns.
fn syntax_error(ck: &Checker, e: &toml::de::Error) -> TemplateError {
    // One line, for logs: TOML syntax messages come on several.
    let message = e
        .message()
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let Some(span) = e.span() else {
        return TemplateError {
            file: ck.file.to_string(),
            line: None,
            field: "(file)".into(),
            message,
        };
    };
    let line = ck.line_of(&span);
    let lines: Vec<&str> = ck.text.lines().collect();
    // The table the error is in: the nearest header at or above the line, with its
    // index for arrays of tables (`[[portion.qr]]` → `portion.qr[1]`).
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for l in lines.iter().take(line) {
        let l = l.trim();
        if let Some(h) = l.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim().to_string();
            let n = match counts.iter_mut().find(|(k, _)| *k == h) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((h.clone(), 0));
                    0
                }
            };
            table = format!("{h}[{n}]");
        } else if let Some(h) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = h.trim().to_string();
        }
    }
    // The key: named in the message (unknown or missing field), else the key on the line.
    let key = between_backticks(&message)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
        .or_else(|| {
            let l = lines.get(line - 1)?.trim();
            let (k, _) = l.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with('[')).then(|| k.to_string())
        });
    let field = match (table.is_empty(), key) {
        (true, Some(k)) => k,
        (false, Some(k)) => format!("{table}.{k}"),
        (false, None) => table,
        (true, None) => "(file)".to_string(),
    };
    TemplateError {
        file: ck.file.to_string(),
        line: Some(line),
        field,
        message,
    }
}

fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_string())
}

/// The shipped templates (thermal 50×30, thermal 70×40, A4 3×8), compiled in.
pub fn shipped_templates() -> Vec<LabelTemplate> {
    // Parsed once per process; a test proves every shipped file parses, so nothing is
    // dropped here in practice.
    static PARSED: std::sync::OnceLock<Vec<LabelTemplate>> = std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| {
            SHIPPED
                .iter()
                .filter_map(|(file, text)| parse_template(file, text).ok())
                .collect()
        })
        .clone()
}

/// Shipped templates plus every `*.toml` file in `dir` (a lab's own printer sizes, read in
/// file-name order; a missing directory means none). A lab's template replaces a shipped one of the same name; a file that
/// does not parse, or repeats a name used by an earlier file in `dir`, is returned as an
/// error and skipped.
pub fn load_templates(dir: Option<&Path>) -> (Vec<LabelTemplate>, Vec<TemplateError>) {
    let mut templates = shipped_templates();
    let mut errors = Vec::new();
    let Some(dir) = dir else {
        return (templates, errors);
    };
    let io_error = |file: String, e: std::io::Error| TemplateError {
        file,
        line: None,
        field: "(file)".into(),
        message: e.to_string(),
    };
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        // A lab without templates of its own has no directory: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (templates, errors),
        Err(e) => {
            errors.push(io_error(dir.display().to_string(), e));
            return (templates, errors);
        }
    };
    paths.sort();
    let shipped_count = templates.len();
    for path in paths {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(io_error(file, e));
                continue;
            }
        };
        match parse_template(&file, &text) {
            Ok(t) => match templates.iter().position(|x| x.name == t.name) {
                Some(i) if i < shipped_count => templates[i] = t,
                Some(_) => errors.push(TemplateError {
                    file,
                    line: None,
                    field: "name".into(),
                    message: format!(
                        "another file in {} already defines template {:?}",
                        dir.display(),
                        t.name
                    ),
                }),
                None => templates.push(t),
            },
            Err(e) => errors.push(e),
        }
    }
    (templates, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test-40x30"
kind = "roll"
width_mm = 40
height_mm = 30

[[portion.qr]]
x_mm = 1
y_mm = 1
size_mm = 20

[[portion.text]]
x_mm = 22
y_mm = 1
width_mm = 17
font_size_pt = 6
text = "{sample_no}"

[[seal.qr]]
x_mm = 1
y_mm = 1
size_mm = 20

[[seal.text]]
x_mm = 22
y_mm = 1
width_mm = 17
font_size_pt = 6
max_lines = 2
text = "封条 {sample_no}"
"#;

    fn refused(text: &str) -> TemplateError {
        match std::panic::catch_unwind(|| parse_template("bad.toml", text)) {
            Ok(Ok(_)) => panic!("accepted a malformed template:\n{text}"),
            Ok(Err(e)) => e,
            Err(_) => panic!("parse_template panicked on:\n{text}"),
        }
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .expect("needle in text")
    }

    #[test]
    fn every_shipped_template_parses() {
        let names: Vec<String> = shipped_templates().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["thermal-50x30", "thermal-70x40", "a4-3x8"]);
        for (file, text) in SHIPPED {
            if let Err(e) = parse_template(file, text) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn a4_sheet_has_24_labels_row_by_row() {
        let t = shipped_templates()
            .into_iter()
            .find(|t| t.name == "a4-3x8")
            .expect("a4");
        assert_eq!(t.kind, TemplateKind::Sheet);
        assert_eq!(t.labels_per_page(), 24);
        assert_eq!((t.width_mm, t.height_mm), (210.0, 297.0));
        let (x0, y0) = t.slot_origin_mm(0);
        let (x1, y1) = t.slot_origin_mm(1);
        let (x3, y3) = t.slot_origin_mm(3);
        assert!(x1 > x0 && y1 == y0, "slot 1 is right of slot 0");
        assert!(x3 == x0 && y3 > y0, "slot 3 starts the second row");
    }

    #[test]
    fn good_template_parses_with_defaults() {
        let t = parse_template("good.toml", GOOD).expect("good");
        assert_eq!(t.portion.qrs[0].ecc, Ecc::M);
        assert_eq!(t.seal.texts[0].max_lines, 2);
        assert_eq!(t.portion.texts[0].align, Align::Left);
    }

    #[test]
    fn malformed_templates_are_refused_with_file_line_and_field() {
        // (what is broken, the template text, the expected field, a needle for the line)
        let cases: Vec<(&str, String, &str, &str)> = vec![
            (
                "TOML syntax",
                GOOD.replace(
                    "size_mm = 20\n\n[[portion.text]]",
                    "size_mm = = 20\n\n[[portion.text]]",
                ),
                "portion.qr[0].size_mm",
                "size_mm = = 20",
            ),
            (
                "unknown key",
                GOOD.replace(
                    "font_size_pt = 6\ntext = \"{sample_no}\"",
                    "font_size_pt = 6\ncolour = \"red\"\ntext = \"{sample_no}\"",
                ),
                "portion.text[0].colour",
                "colour",
            ),
            (
                "wrong type",
                GOOD.replace("width_mm = 40", "width_mm = \"forty\""),
                "width_mm",
                "forty",
            ),
            (
                "element outside the label",
                GOOD.replacen("x_mm = 22", "x_mm = 30", 1),
                "portion.text[0].x_mm",
                "x_mm = 30",
            ),
            (
                "unknown placeholder",
                GOOD.replace("封条 {sample_no}", "封条 {sample_no} {batch}"),
                "seal.text[0].text",
                "{batch}",
            ),
            (
                "unclosed placeholder",
                GOOD.replace("封条 {sample_no}", "封条 {sample_no"),
                "seal.text[0].text",
                "封条 {sample_no\"",
            ),
            (
                "negative size",
                GOOD.replacen("size_mm = 20", "size_mm = -3", 1),
                "portion.qr[0].size_mm",
                "size_mm = -3",
            ),
            (
                "zero font size",
                GOOD.replacen("font_size_pt = 6", "font_size_pt = 0", 1),
                "portion.text[0].font_size_pt",
                "font_size_pt = 0",
            ),
            (
                "bad ecc",
                GOOD.replacen("size_mm = 20", "size_mm = 20\necc = \"X\"", 1),
                "portion.qr[0].ecc",
                "ecc = \"X\"",
            ),
            (
                "unknown kind",
                GOOD.replace("kind = \"roll\"", "kind = \"fanfold\""),
                "kind",
                "fanfold",
            ),
            (
                "missing field",
                GOOD.replacen("size_mm = 20\n", "", 1),
                "portion.qr[0].size_mm",
                "[[portion.qr]]",
            ),
            (
                "sheet without grid",
                GOOD.replace("kind = \"roll\"", "kind = \"sheet\""),
                "sheet",
                "kind =",
            ),
            (
                "too many lines for the height",
                GOOD.replace("max_lines = 2", "max_lines = 20"),
                "seal.text[0].y_mm",
                "max_lines = 20",
            ),
            (
                "seal without QR",
                GOOD.replace("[[seal.qr]]\nx_mm = 1\ny_mm = 1\nsize_mm = 20\n", ""),
                "seal",
                "[[seal.text]]",
            ),
        ];
        for (what, text, field, needle) in cases {
            let e = refused(&text);
            let shown = e.to_string();
            assert_eq!(e.file, "bad.toml", "{what}: {shown}");
            assert!(shown.starts_with("bad.toml:"), "{what}: {shown}");
            assert_eq!(e.field, field, "{what}: {shown}");
            let line = e
                .line
                .unwrap_or_else(|| panic!("{what}: no line in {shown}"));
            if what == "too many lines for the height" {
                // The height overflow is reported on the y position that cannot hold it.
                assert_eq!(line, line_of(&text, "[[seal.text]]") + 2, "{what}: {shown}");
                continue;
            }
            assert_eq!(line, line_of(&text, needle), "{what}: {shown}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "\u{0}",
            "[[[",
            "name = 1",
            "portion = 3",
            "[portion]\nqr = 5",
            "\"\"\"",
            "width_mm = 1e309",
        ] {
            let _ = refused(text);
        }
    }

    #[test]
    fn a_labs_own_directory_adds_and_replaces_templates_and_reports_bad_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("mine.toml"), GOOD).expect("write");
        std::fs::write(dir.path().join("broken.toml"), "name = ").expect("write");
        std::fs::write(dir.path().join("README.md"), "not a template").expect("write");
        let (templates, errors) = load_templates(Some(dir.path()));
        assert!(templates.iter().any(|t| t.name == "test-40x30"));
        assert_eq!(templates.len(), 4);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].file, "broken.toml");
        assert_eq!(errors[0].line, Some(1));

        let (templates, errors) = load_templates(Some(&dir.path().join("missing")));
        assert_eq!((templates.len(), errors.len()), (3, 0));
    }
}
