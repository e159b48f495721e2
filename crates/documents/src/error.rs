//! What can go wrong while rendering a document. Apart from the PDF writer so that the
//! label template parser and its ZPL and SVG renderers build without printpdf (the fuzz
//! crate compiles them alone, fuzz/src/lib.rs).

/// What can go wrong while rendering a document. Template files have their own error
/// ([`TemplateError`](super::labels::TemplateError)) because they are checked when loaded, not when printed.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bundled font could not be parsed (a broken build, never bad user data).
    #[error("bundled font: {0}")]
    Font(String),
    /// The text does not fit in a QR code of the template's error-correction level.
    #[error("QR code for {text:?}: {message}")]
    Qr { text: String, message: String },
    /// Nothing was asked for: a label document needs at least one label.
    #[error("no labels to render")]
    NoLabels,
    /// The input cannot be printed as asked (for example a ZPL resolution of 0 dpi).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
}
