//! The bundled CJK font (a subset of Noto Sans CJK SC, SIL OFL 1.1), parsed once per process
//! and shared by the PDF, ZPL and SVG renderers, with text measurement by glyph advances.
//! The PDF writer's own parse of it lives with that writer (`pdf.rs`), so this file
//! needs no printpdf.
//!
//! Invariant: every renderer measures text with the same advances that the PDF viewer uses
//! (the font's `hmtx`), so a line wrapped here never overflows its box there.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef};

use super::DocError;

/// The font program compiled into the binary (see `fonts/README.md` for how it was cut).
pub const FONT_BYTES: &[u8] = include_bytes!("fonts/NotoSansSC-subset.otf");
/// The licence that must travel with the font.
pub const FONT_LICENSE: &str = include_str!("fonts/OFL.txt");
/// The family name, for SVG `font-family` and for people.
pub const FONT_FAMILY: &str = "Noto Sans CJK SC";

/// Millimetres per typographic point (1 pt = 1/72 inch).
pub const MM_PER_PT: f32 = 25.4 / 72.0;

struct Shared {
    outline: FontRef<'static>,
    units_per_em: f32,
}

fn shared() -> Result<&'static Shared, DocError> {
    static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let outline = FontRef::try_from_slice(FONT_BYTES).map_err(|e| e.to_string())?;
            let units_per_em = outline.units_per_em().unwrap_or(1000.0);
            Ok(Shared {
                outline,
                units_per_em,
            })
        })
        .as_ref()
        .map_err(|e| DocError::Font(e.clone()))
}

/// The font as an outline source for rasterising (ZPL graphics).
pub fn outline_font() -> Result<&'static FontRef<'static>, DocError> {
    Ok(&shared()?.outline)
}

/// Top of the ideographic em box above the baseline, in em (the font's OS/2 typographic
/// ascender, 880/1000). Text boxes place their lines by the em box, not by the taller
/// `hhea` line metrics.
pub const EM_ASCENT: f32 = 0.88;

/// Whether the bundled font can draw `c`. Characters it cannot draw print as an empty box.
pub fn has_glyph(c: char) -> bool {
    shared().is_ok_and(|s| s.outline.glyph_id(c).0 != 0)
}

/// The font's glyph for `c` (0, the empty box, when it has none).
pub fn glyph_id(c: char) -> u16 {
    shared().map_or(0, |s| s.outline.glyph_id(c).0)
}

/// The advance width of `c` in em. Control characters take no room.
pub fn advance_em(c: char) -> f32 {
    if c.is_control() {
        return 0.0;
    }
    match shared() {
        Ok(s) => s.outline.h_advance_unscaled(s.outline.glyph_id(c)) / s.units_per_em,
        // Without a font nothing is printed anyway; a full em keeps wrapping sane.
        Err(_) => 1.0,
    }
}

/// The width of `text` in em.
pub fn text_width_em(text: &str) -> f32 {
    text.chars().map(advance_em).sum()
}

/// The width of `text` in millimetres at `font_size_pt`.
pub fn text_width_mm(text: &str, font_size_pt: f32) -> f32 {
    text_width_em(text) * font_size_pt * MM_PER_PT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_font_covers_latin_chinese_and_lab_symbols() {
        for c in "F202663010200123 青海牦牛肉干（五香味）℃μ±≤≥×·①湟堃喆垚犇淼玥昇铠镕棪燊".chars()
        {
            assert!(has_glyph(c), "missing glyph for {c:?}");
        }
        assert!(!has_glyph('\u{E000}'));
    }

    #[test]
    fn chinese_is_one_em_and_digits_are_narrower() {
        assert!((advance_em('青') - 1.0).abs() < 0.01);
        let digit = advance_em('0');
        assert!(digit > 0.3 && digit < 0.7, "digit advance {digit}");
        assert!((text_width_mm("青海", 10.0) - 2.0 * 10.0 * MM_PER_PT).abs() < 0.1);
    }

    #[test]
    fn licence_travels_with_the_font() {
        assert!(FONT_LICENSE.contains("SIL OPEN FONT LICENSE Version 1.1"));
        assert!(FONT_BYTES.len() < 4 * 1024 * 1024);
    }
}
