//! Many documents as one: a ZIP archive of files, or one PDF with the pages of several.

use super::DocError;

/// A ZIP archive (stored entries, since PDFs are already compressed) of `(name, bytes)`.
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, DocError> {
    let _ = files;
    Err(DocError::Invalid("not built yet".into()))
}

/// One PDF holding every page of `pdfs`, in order.
pub fn merge_pdfs(pdfs: &[Vec<u8>]) -> Result<Vec<u8>, DocError> {
    let _ = pdfs;
    Err(DocError::Invalid("not built yet".into()))
}
