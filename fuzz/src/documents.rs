//! The label files of `src/documents/` (template parser, layout, ZPL, SVG, QR, font
//! measurement), without the PDF writer and its printpdf.

#[path = "../../src/documents/error.rs"]
mod error;
#[path = "../../src/documents/fonts.rs"]
pub mod fonts;
#[path = "../../src/documents/labels.rs"]
pub mod labels;
#[path = "../../src/documents/qr.rs"]
mod qr;
#[path = "../../src/documents/svg.rs"]
mod svg;
#[path = "../../src/documents/template.rs"]
mod template;
#[path = "../../src/documents/text.rs"]
mod text;
#[path = "../../src/documents/zpl.rs"]
mod zpl;

pub use error::DocError;

/// Stands in for `src/documents/pdf.rs`: `labels::render_pdf` calls it, but no target
/// prints a PDF, and printpdf alone would cost more to build than all the rest.
mod pdf {
    use super::labels::{Label, LabelTemplate};
    use super::DocError;

    pub(crate) fn render_labels(
        _template: &LabelTemplate,
        _labels: &[Label],
    ) -> Result<Vec<u8>, DocError> {
        Err(DocError::Pdf("not built into the fuzz targets".into()))
    }
}
