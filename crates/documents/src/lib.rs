//! Documents: bytes out. Label PDF/ZPL/SVG from `label_templates/`, the sampling form PDF,
//! and the bundled font. Invariant: pure functions from data to bytes (no database, no
//! HTTP, no clock), and the same data always gives the same bytes.

pub mod bundle;
pub mod fonts;
pub mod labels;
pub mod notice;
pub mod report;
pub mod sampling_form;
pub mod screening;
pub mod table;

mod error;
mod pdf;
mod qr;
mod svg;
mod template;
mod text;
mod zpl;

#[cfg(test)]
mod test_support;

pub use error::DocError;
