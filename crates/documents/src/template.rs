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

mod check;
use check::{check_layout, check_sheet, syntax_error};

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
mod tests;
