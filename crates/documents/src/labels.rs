//! Sample labels: which labels a sample gets (SPEC §3: per portion a label and a seal
//! strip, inspection before backup) and their output as PDF, ZPL and SVG from a template
//! in `label_templates/`. Invariant: a batch prints exactly the labels asked for, in order,
//! and every QR code encodes `{base_url}/s/{sample_no}` (`#B` appended for the backup).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use super::qr::Ecc;
pub use super::template::{
    load_templates, parse_template, shipped_templates, Align, BoxElement, LabelLayout,
    LabelTemplate, LineElement, QrElement, SheetGrid, TemplateError, TemplateKind, TextElement,
    PLACEHOLDERS,
};
pub use super::zpl::DEFAULT_DPI as DEFAULT_ZPL_DPI;
pub use super::DocError;

use super::fonts::{text_width_em, EM_ASCENT, MM_PER_PT};
use super::text::wrap;

/// The two portions of a sample: the one tested now and the one kept for re-examination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Portion {
    Inspection,
    Backup,
}

impl Portion {
    pub fn as_str(self) -> &'static str {
        match self {
            Portion::Inspection => "inspection",
            Portion::Backup => "backup",
        }
    }

    /// What the label says: 检验样品 / 复检备份样品.
    pub fn label_zh(self) -> &'static str {
        match self {
            Portion::Inspection => "检验样品",
            Portion::Backup => "复检备份样品",
        }
    }
}

/// The portion label (on the package) or the seal strip (封条, across the seal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelPart {
    Label,
    Seal,
}

impl LabelPart {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelPart::Label => "label",
            LabelPart::Seal => "seal",
        }
    }
}

/// What a sample's labels print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSample {
    /// e.g. `F202663010200123`.
    pub sample_no: String,
    /// Chinese, may be long: wrapped or cut to the box.
    pub product_name: String,
    pub sampled_on: NaiveDate,
    /// Already-localised text, e.g. 常温 / 冷藏 / 冷冻.
    pub storage: String,
    /// 被抽样单位.
    pub entity_name: String,
    /// False for risk monitoring: only the two inspection labels.
    pub has_backup: bool,
}

/// One label to print, carrying everything it prints, so a batch is just the labels of
/// many samples concatenated in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub sample_no: String,
    pub portion: Portion,
    pub part: LabelPart,
    /// What the QR code encodes: `{base_url}/s/{sample_no}`, plus `#B` for the backup.
    pub qr_text: String,
    pub product_name: String,
    pub sampled_on: NaiveDate,
    pub storage: String,
    pub entity_name: String,
}

/// The labels of one sample in SPEC order: inspection label, inspection seal, backup label,
/// backup seal (only the first two without a backup portion). A trailing `/` on `base_url`
/// is ignored.
pub fn labels_for(sample: &LabelSample, base_url: &str) -> Vec<Label> {
    let url = format!("{}/s/{}", base_url.trim_end_matches('/'), sample.sample_no);
    let portions: &[Portion] = if sample.has_backup {
        &[Portion::Inspection, Portion::Backup]
    } else {
        &[Portion::Inspection]
    };
    let mut out = Vec::with_capacity(portions.len() * 2);
    for &portion in portions {
        let qr_text = match portion {
            Portion::Inspection => url.clone(),
            Portion::Backup => format!("{url}#B"),
        };
        for part in [LabelPart::Label, LabelPart::Seal] {
            out.push(Label {
                sample_no: sample.sample_no.clone(),
                portion,
                part,
                qr_text: qr_text.clone(),
                product_name: sample.product_name.clone(),
                sampled_on: sample.sampled_on,
                storage: sample.storage.clone(),
                entity_name: sample.entity_name.clone(),
            });
        }
    }
    out
}

/// A PDF of `labels` in order: one per page on a roll, row by row on a sheet.
pub fn render_pdf(template: &LabelTemplate, labels: &[Label]) -> Result<Vec<u8>, DocError> {
    super::pdf::render_labels(template, labels)
}

/// ZPL for Zebra-type printers at 203 dpi: one `^XA … ^XZ` per label. Chinese is sent as
/// graphics, so a printer without a CJK font prints it.
pub fn render_zpl(template: &LabelTemplate, labels: &[Label]) -> Result<String, DocError> {
    super::zpl::render(template, labels, DEFAULT_ZPL_DPI)
}

/// ZPL as [`render_zpl`] for a printer of another resolution (152, 203, 300 or 600 dpi).
pub fn render_zpl_dpi(
    template: &LabelTemplate,
    labels: &[Label],
    dpi: u32,
) -> Result<String, DocError> {
    super::zpl::render(template, labels, dpi)
}

/// One label as SVG for the preview on the sample page; sized in mm through its viewBox.
pub fn render_svg(template: &LabelTemplate, label: &Label) -> Result<String, DocError> {
    super::svg::render(template, label)
}

// ---------------------------------------------------------------------------------------
// Layout shared by the three outputs: a label's elements resolved into positioned pieces.

/// A piece of a label, in mm from the label's top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece<'a> {
    Box {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        thickness: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        thickness: f32,
    },
    /// A QR code occupying a `size` square, quiet zone included.
    Qr {
        x: f32,
        y: f32,
        size: f32,
        ecc: Ecc,
        text: &'a str,
    },
    /// One line of text: `x` is its left edge after alignment, `top` the top of the em box,
    /// `baseline` where the glyphs sit.
    Text {
        x: f32,
        top: f32,
        baseline: f32,
        size_pt: f32,
        text: String,
    },
}

impl LabelTemplate {
    /// The layout used for `part`.
    pub fn layout(&self, part: LabelPart) -> &LabelLayout {
        match part {
            LabelPart::Label => &self.portion,
            LabelPart::Seal => &self.seal,
        }
    }
}

/// Replaces the placeholders of a text element with the label's data.
pub(crate) fn expand(text: &str, label: &Label) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        if let Some(stripped) = after.strip_prefix(c as char) {
            out.push(c as char);
            rest = stripped;
            continue;
        }
        match (c, after.find('}')) {
            (b'{', Some(close)) => {
                match &after[..close] {
                    "sample_no" => out.push_str(&label.sample_no),
                    "product_name" => out.push_str(&label.product_name),
                    "sampled_on" => out.push_str(&label.sampled_on.format("%Y-%m-%d").to_string()),
                    "storage" => out.push_str(&label.storage),
                    "entity_name" => out.push_str(&label.entity_name),
                    "portion" => out.push_str(label.portion.label_zh()),
                    // Unknown names are refused when the template is parsed; print as is.
                    other => {
                        out.push('{');
                        out.push_str(other);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push(c as char);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Resolves one label's layout into pieces, in drawing order.
pub(crate) fn pieces<'a>(template: &LabelTemplate, label: &'a Label) -> Vec<Piece<'a>> {
    let layout = template.layout(label.part);
    let mut out = Vec::with_capacity(
        layout.boxes.len() + layout.lines.len() + layout.qrs.len() + layout.texts.len() * 2,
    );
    for b in &layout.boxes {
        out.push(Piece::Box {
            x: b.x_mm,
            y: b.y_mm,
            w: b.width_mm,
            h: b.height_mm,
            thickness: b.thickness_mm,
        });
    }
    for l in &layout.lines {
        out.push(Piece::Line {
            x1: l.x1_mm,
            y1: l.y1_mm,
            x2: l.x2_mm,
            y2: l.y2_mm,
            thickness: l.thickness_mm,
        });
    }
    for q in &layout.qrs {
        out.push(Piece::Qr {
            x: q.x_mm,
            y: q.y_mm,
            size: q.size_mm,
            ecc: q.ecc,
            text: &label.qr_text,
        });
    }
    for t in &layout.texts {
        let size_mm = t.font_size_pt * MM_PER_PT;
        let width_em = t.width_mm / size_mm;
        let line_h = t.line_height_mm();
        for (i, line) in wrap(&expand(&t.text, label), width_em, t.max_lines as usize)
            .into_iter()
            .enumerate()
        {
            if line.is_empty() {
                continue;
            }
            let slack = (width_em - text_width_em(&line)).max(0.0) * size_mm;
            let x = match t.align {
                Align::Left => t.x_mm,
                Align::Center => t.x_mm + slack / 2.0,
                Align::Right => t.x_mm + slack,
            };
            let top = t.y_mm + i as f32 * line_h + (line_h - size_mm) / 2.0;
            out.push(Piece::Text {
                x,
                top,
                baseline: top + EM_ASCENT * size_mm,
                size_pt: t.font_size_pt,
                text: line,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn supervision_sample_gets_four_labels_in_spec_order() {
        let labels = labels_for(
            &sample("F202663010200123", "青海牦牛肉干（五香味）", true),
            BASE,
        );
        let got: Vec<_> = labels
            .iter()
            .map(|l| (l.portion, l.part, l.qr_text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Portion::Inspection,
                    LabelPart::Label,
                    "https://lims.example.cn/s/F202663010200123"
                ),
                (
                    Portion::Inspection,
                    LabelPart::Seal,
                    "https://lims.example.cn/s/F202663010200123"
                ),
                (
                    Portion::Backup,
                    LabelPart::Label,
                    "https://lims.example.cn/s/F202663010200123#B"
                ),
                (
                    Portion::Backup,
                    LabelPart::Seal,
                    "https://lims.example.cn/s/F202663010200123#B"
                ),
            ]
        );
        assert!(labels.iter().all(
            |l| l.sample_no == "F202663010200123" && l.product_name == "青海牦牛肉干（五香味）"
        ));
    }

    #[test]
    fn risk_monitoring_sample_gets_only_the_two_inspection_labels() {
        let labels = labels_for(
            &sample("F202663010200124", "青稞酒", false),
            "https://lims.example.cn/",
        );
        let got: Vec<_> = labels.iter().map(|l| (l.portion, l.part)).collect();
        assert_eq!(
            got,
            [
                (Portion::Inspection, LabelPart::Label),
                (Portion::Inspection, LabelPart::Seal)
            ]
        );
        assert_eq!(
            labels[0].qr_text,
            "https://lims.example.cn/s/F202663010200124"
        );
    }

    #[test]
    fn batch_of_50_samples_gives_200_labels_in_order() {
        let labels = batch(50);
        assert_eq!(labels.len(), 200);
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(l.sample_no, sample_no(i / 4));
            let expected = [
                (Portion::Inspection, LabelPart::Label),
                (Portion::Inspection, LabelPart::Seal),
                (Portion::Backup, LabelPart::Label),
                (Portion::Backup, LabelPart::Seal),
            ][i % 4];
            assert_eq!((l.portion, l.part), expected, "label {i}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_braces_escaped() {
        let l = &labels_for(&sample("F1", "奶茶", true), BASE)[2];
        assert_eq!(
            expand(
                "{portion} {sample_no} {product_name} {sampled_on} {storage} {entity_name} {{x}}",
                l
            ),
            "复检备份样品 F1 奶茶 2026-03-01 常温 西宁市城中区某某超市 {x}"
        );
        assert_eq!(
            serde_json::to_string(&Portion::Backup).ok().as_deref(),
            Some("\"backup\"")
        );
        assert_eq!(
            serde_json::to_string(&LabelPart::Seal).ok().as_deref(),
            Some("\"seal\"")
        );
        assert_eq!(
            serde_json::to_string(&TemplateKind::Sheet).ok().as_deref(),
            Some("\"sheet\"")
        );
    }

    #[test]
    fn every_text_line_stays_inside_its_label() {
        let long = "青海省海东市互助土族自治县特产青稞酒（清香型）礼盒装五百毫升乘两瓶";
        for t in shipped_templates() {
            let (w, h) = t.label_size_mm();
            for l in labels_for(&sample("F202663010200123", long, true), BASE) {
                for p in pieces(&t, &l) {
                    if let Piece::Text {
                        x,
                        top,
                        size_pt,
                        text,
                        ..
                    } = p
                    {
                        let right = x + crate::fonts::text_width_mm(&text, size_pt);
                        assert!(
                            x >= 0.0 && right <= w + 0.01,
                            "{}: {text} overflows ({right} > {w})",
                            t.name
                        );
                        assert!(
                            top >= 0.0 && top + size_pt * MM_PER_PT <= h + 0.01,
                            "{}: {text} below the label",
                            t.name
                        );
                    }
                }
            }
        }
    }
}
