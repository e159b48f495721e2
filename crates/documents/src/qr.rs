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
    /// Encodes `text` (bytes, the smallest version that holds it) with the mask of lowest
    /// penalty. The `qrcode` crate does the encoding; the mask is chosen here, because its
    /// penalty scoring took a third of the time of a 1,000-label PDF.
    pub(crate) fn encode(text: &str, ecc: Ecc) -> Result<Self, DocError> {
        use qrcode::canvas::{Canvas, MaskPattern};
        let err = |e: qrcode::types::QrError| DocError::Qr {
            text: text.to_string(),
            message: e.to_string(),
        };
        let bits = qrcode::bits::encode_auto(text.as_bytes(), ecc.level()).map_err(err)?;
        let version = bits.version();
        let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ecc.level())
            .map_err(err)?;
        let mut canvas = Canvas::new(version, ecc.level());
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let width = version.width() as usize;
        let mut best: Option<(u32, Vec<bool>)> = None;
        for mask in [
            MaskPattern::Checkerboard,
            MaskPattern::HorizontalLines,
            MaskPattern::VerticalLines,
            MaskPattern::DiagonalLines,
            MaskPattern::LargeCheckerboard,
            MaskPattern::Fields,
            MaskPattern::Diamonds,
            MaskPattern::Meadow,
        ] {
            let mut c = canvas.clone();
            c.apply_mask(mask);
            let dark: Vec<bool> = c
                .into_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect();
            let score = if width <= FAST_PENALTY_MAX {
                fast_penalty(&dark, width)
            } else {
                penalty(&dark, width)
            };
            if best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((score, dark));
            }
        }
        let (_, dark) = best.ok_or_else(|| DocError::Qr {
            text: text.to_string(),
            message: "no mask".into(),
        })?;
        Ok(Self { width, dark })
    }

    /// Modules per side (quiet zone excluded) of the symbol for `text`, without drawing it.
    pub(crate) fn width_for(text: &str, ecc: Ecc) -> Result<usize, DocError> {
        let bits =
            qrcode::bits::encode_auto(text.as_bytes(), ecc.level()).map_err(|e| DocError::Qr {
                text: text.to_string(),
                message: e.to_string(),
            })?;
        Ok(bits.version().width() as usize)
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

/// The largest symbol scored by [`fast_penalty`] (version 23): its rows fit a `u128` with
/// room for the four light modules looked at past the edge.
const FAST_PENALTY_MAX: usize = 109;

/// [`penalty`] computed on rows and columns held as bit sets, 128 modules at a time, for
/// symbols of at most [`FAST_PENALTY_MAX`] modules. Same score; several times faster, which
/// matters for a 1,000-label batch (eight masks scored per code).
fn fast_penalty(dark: &[bool], n: usize) -> u32 {
    let mut rows = vec![0u128; n];
    let mut cols = vec![0u128; n];
    for y in 0..n {
        for x in 0..n {
            let bit = u128::from(dark[y * n + x]);
            rows[y] |= bit << x;
            cols[x] |= bit << y;
        }
    }
    let width = (1u128 << n) - 1;
    let mut score = 0u32;
    for &line in rows.iter().chain(&cols) {
        // Runs: `eq` marks modules equal to their right neighbour, so a run of L modules is
        // L - 1 consecutive bits, and four in a row mark a run of five or more. Such a run
        // of L costs L - 2: one per bit of `four` (L - 4 of them) plus 2 per run.
        let eq = !(line ^ (line >> 1)) & (width >> 1);
        let four = eq & (eq >> 1) & (eq >> 2) & (eq >> 3);
        score += four.count_ones() + 2 * (four & !(four << 1)).count_ones();
        // Finder look-alikes 1011101 starting at module j, j <= n - 7, with four light
        // modules before (past the edge counts as light) or after.
        let pattern = line
            & !(line >> 1)
            & (line >> 2)
            & (line >> 3)
            & (line >> 4)
            & !(line >> 5)
            & (line >> 6);
        let pattern = pattern & (width >> 6);
        // Bit i of `light4` is set when modules i..i+3 are light (beyond the last module
        // the bits are 0, light); of `before`, when modules j-4..j-1 are (the line shifted
        // by four so that the modules before the first are light too).
        let light4 = !line & !(line >> 1) & !(line >> 2) & !(line >> 3);
        let shifted = line << 4;
        let before = !shifted & !(shifted >> 1) & !(shifted >> 2) & !(shifted >> 3);
        let after = light4 >> 7;
        score += 40 * (pattern & (before | after)).count_ones();
    }
    for pair in rows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same = !(a ^ (a >> 1)) & !(b ^ (b >> 1)) & !(a ^ b) & (width >> 1);
        score += 3 * same.count_ones();
    }
    let dark_count: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let percent = dark_count as usize * 100 / (n * n);
    score += (percent.abs_diff(50) / 5) as u32 * 10;
    score
}

/// The mask penalty of ISO/IEC 18004 §7.8.3: runs of five or more same-coloured modules
/// in a row or column, 2×2 blocks of one colour, finder-like 1:1:3:1:1 patterns with four
/// light modules on a side, and imbalance of dark and light. Lower is better.
fn penalty(dark: &[bool], n: usize) -> u32 {
    let mut score = 0u32;
    // Columns as rows, so both directions scan contiguous memory.
    let mut columns = vec![false; n * n];
    for y in 0..n {
        for x in 0..n {
            columns[x * n + y] = dark[y * n + x];
        }
    }
    for line in dark.chunks(n).chain(columns.chunks(n)) {
        score += line_penalty(line);
    }
    for y in 0..n - 1 {
        let (row, next) = (&dark[y * n..(y + 1) * n], &dark[(y + 1) * n..(y + 2) * n]);
        for x in 0..n - 1 {
            let c = row[x];
            if row[x + 1] == c && next[x] == c && next[x + 1] == c {
                score += 3;
            }
        }
    }
    let dark_count = dark.iter().filter(|&&d| d).count();
    let percent = dark_count * 100 / dark.len();
    score += (percent.abs_diff(50) / 5) as u32 * 10;
    score
}

/// The row-or-column part of the penalty: runs of five or more, and finder-like patterns.
fn line_penalty(line: &[bool]) -> u32 {
    let n = line.len();
    let mut score = 0u32;
    let mut run = 1u32;
    for j in 1..n {
        if line[j] == line[j - 1] {
            run += 1;
        } else {
            if run >= 5 {
                score += run - 2;
            }
            run = 1;
        }
    }
    if run >= 5 {
        score += run - 2;
    }
    // A 15-module window: four before, the 1:1:3:1:1 pattern, four after. Outside the
    // symbol counts as light, hence four light modules fed in before and after.
    let mut window = 0u32;
    let bits = std::iter::repeat_n(false, 4)
        .chain(line.iter().copied())
        .chain(std::iter::repeat_n(false, 4));
    for (k, bit) in bits.enumerate() {
        window = ((window << 1) | u32::from(bit)) & 0x7FFF;
        if k >= 14 && (window >> 4) & 0x7F == 0b101_1101 && (window >> 11 == 0 || window & 0xF == 0)
        {
            score += 40;
        }
    }
    score
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
            for (i, (&p, &d)) in painted.iter().zip(&m.dark).enumerate() {
                assert_eq!(p, u8::from(d), "module {i} of {text}");
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
    fn chosen_masks_give_symbols_a_real_decoder_reads() {
        for i in 0..120 {
            let backup = if i % 2 == 1 { "#B" } else { "" };
            let text = format!("https://lims.example.cn/s/F2026630102{i:05}{backup}");
            let ecc = [Ecc::L, Ecc::M, Ecc::Q, Ecc::H][i % 4];
            let m = QrMatrix::encode(&text, ecc).expect("encode");
            let reference =
                qrcode::QrCode::with_error_correction_level(&text, ecc.level()).expect("qrcode");
            assert_eq!(
                m.width(),
                reference.width(),
                "same version as the qrcode crate"
            );
            let scale = 4;
            let side = (m.width_with_quiet_zone() * scale) as u32;
            let img = image::GrayImage::from_fn(side, side, |x, y| {
                let (mx, my) = (
                    (x as usize / scale) as isize - 4,
                    (y as usize / scale) as isize - 4,
                );
                let n = m.width() as isize;
                let dark = mx >= 0 && my >= 0 && mx < n && my < n && m.dark[(my * n + mx) as usize];
                image::Luma([if dark { 0 } else { 255 }])
            });
            let mut prepared = rqrr::PreparedImage::prepare(img);
            let grids = prepared.detect_grids();
            assert_eq!(grids.len(), 1, "{text}");
            let (_, content) = grids[0].decode().expect("decode");
            assert_eq!(content, text);
        }
    }

    #[test]
    fn line_penalty_counts_long_runs_and_finder_like_patterns() {
        let line = |bits: &[u8]| line_penalty(&bits.iter().map(|&b| b == 1).collect::<Vec<_>>());
        // 1:1:3:1:1 with four light modules after it.
        assert_eq!(line(&[1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0]), 40);
        // The edge of the symbol counts as light too.
        assert_eq!(line(&[0, 0, 1, 0, 1, 1, 1, 0, 1]), 40);
        // The same pattern with dark modules on both sides is no finder look-alike.
        assert_eq!(line(&[1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]), 0);
        // A run of 5 + k costs 3 + k.
        assert_eq!(line(&[1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1]), 5);
        assert_eq!(line(&[0; 11]), 9);
    }

    #[test]
    fn fast_penalty_scores_exactly_like_the_plain_one() {
        // A small deterministic generator: no randomness crate needed.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [21, 25, 29, 33, 57, 101, FAST_PENALTY_MAX] {
            for density in [2, 3, 8] {
                let dark: Vec<bool> = (0..n * n).map(|_| next() % density == 0).collect();
                assert_eq!(fast_penalty(&dark, n), penalty(&dark, n), "n = {n}");
            }
            let real = QrMatrix::encode(&"x".repeat(n), Ecc::L).expect("encode");
            let w = real.width();
            if w <= FAST_PENALTY_MAX {
                assert_eq!(fast_penalty(&real.dark, w), penalty(&real.dark, w));
            }
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
