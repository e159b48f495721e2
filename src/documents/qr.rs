//! QR codes as module matrices and as merged dark rectangles, shared by the PDF and SVG
//! renderers (ZPL lets the printer draw its own). Invariant: whoever draws a symbol leaves
//! a quiet zone of [`QUIET_ZONE`] light modules on every side inside the element's size.

use serde::{Deserialize, Serialize};

use super::DocError;

/// Light modules around the symbol, as ISO/IEC 18004 asks.
pub(crate) const QUIET_ZONE: usize = 4;

/// Error-correction level of a QR element: L 7 %, M 15 %, Q 25 %, H 30 % of the symbol may
/// be damaged and still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ecc {
    L,
    M,
    Q,
    H,
}

impl Ecc {
    /// The letter ZPL and people use for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecc::L => "L",
            Ecc::M => "M",
            Ecc::Q => "Q",
            Ecc::H => "H",
        }
    }

    fn level(self) -> qrcode::EcLevel {
        match self {
            Ecc::L => qrcode::EcLevel::L,
            Ecc::M => qrcode::EcLevel::M,
            Ecc::Q => qrcode::EcLevel::Q,
            Ecc::H => qrcode::EcLevel::H,
        }
    }
}

/// A rectangle of dark modules: column, row, width and height in modules, counted from the
/// symbol's top-left corner (quiet zone not included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModuleRect {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

/// An encoded symbol.
#[derive(Debug, Clone)]
pub(crate) struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    pub(crate) fn encode(text: &str, ecc: Ecc) -> Result<Self, DocError> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), ecc.level())
            .map_err(|e| DocError::Qr {
                text: text.to_string(),
                message: e.to_string(),
            })?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            dark,
        })
    }

    /// Modules per side, without the quiet zone.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Modules per side including the quiet zone on both sides.
    pub(crate) fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// The dark modules as few rectangles: each row's horizontal runs, with identical runs
    /// in consecutive rows merged into one taller rectangle. Drawing them fills exactly the
    /// dark modules.
    pub(crate) fn rects(&self) -> Vec<ModuleRect> {
        let n = self.width;
        let mut done = Vec::new();
        // Rectangles still growing downwards, one per run of the previous row.
        let mut open: Vec<ModuleRect> = Vec::new();
        let mut next: Vec<ModuleRect> = Vec::new();
        for y in 0..n {
            let row = &self.dark[y * n..(y + 1) * n];
            let mut x = 0;
            let mut prev = open.iter().peekable();
            while x < n {
                if !row[x] {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < n && row[x] {
                    x += 1;
                }
                let (sx, w) = (start as u16, (x - start) as u16);
                // Rectangles of the previous row that start left of this run (or at it
                // with another width) can match no later run of this row: close them.
                while let Some(r) = prev.peek() {
                    if r.x < sx || (r.x == sx && r.w != w) {
                        done.push(**r);
                        prev.next();
                    } else {
                        break;
                    }
                }
                match prev.peek() {
                    Some(r) if r.x == sx && r.w == w => {
                        next.push(ModuleRect { h: r.h + 1, ..**r });
                        prev.next();
                    }
                    _ => next.push(ModuleRect {
                        x: sx,
                        y: y as u16,
                        w,
                        h: 1,
                    }),
                }
            }
            done.extend(prev.copied());
            std::mem::swap(&mut open, &mut next);
            next.clear();
        }
        done.extend(open);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_rectangles_cover_exactly_the_dark_modules() {
        for text in [
            "https://lims.example.cn/s/F202663010200123",
            "x",
            "https://a.b/s/D202663010200001#B",
        ] {
            let m = QrMatrix::encode(text, Ecc::M).expect("encode");
            let n = m.width();
            let mut painted = vec![0u8; n * n];
            for r in m.rects() {
                for y in r.y..r.y + r.h {
                    for x in r.x..r.x + r.w {
                        painted[y as usize * n + x as usize] += 1;
                    }
                }
            }
            for i in 0..n * n {
                assert_eq!(painted[i], u8::from(m.dark[i]), "module {i} of {text}");
            }
            let runs: usize = (0..n)
                .map(|y| {
                    (0..n)
                        .filter(|&x| m.dark[y * n + x] && (x == 0 || !m.dark[y * n + x - 1]))
                        .count()
                })
                .sum();
            assert!(m.rects().len() <= runs);
        }
    }

    #[test]
    fn text_too_long_for_a_qr_code_is_an_error_not_a_panic() {
        let long = "x".repeat(5000);
        assert!(matches!(
            QrMatrix::encode(&long, Ecc::H),
            Err(DocError::Qr { .. })
        ));
    }
}
