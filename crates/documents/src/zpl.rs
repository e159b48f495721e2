//! ZPL II for Zebra-type thermal printers, written directly: one `^XA … ^XZ` per label, QR
//! codes drawn by the printer (`^BQ`), ASCII text in the printer's font (`^A0`), and any
//! other text (Chinese) rasterised from the bundled font and sent as a compressed `^GFA`
//! graphic, so a printer without a CJK font prints it.

use std::collections::hash_map::{Entry, HashMap};

use ab_glyph::{point, Font as _, PxScale, ScaleFont as _};

use super::fonts::{self, EM_ASCENT, MM_PER_PT};
use super::labels::{pieces, Label, LabelTemplate, Piece};
use super::qr::{QrMatrix, QUIET_ZONE};
use super::DocError;

/// The usual thermal printer resolution: 8 dots per mm.
pub const DEFAULT_DPI: u32 = 203;

struct Dots(f32);

impl Dots {
    fn of(&self, mm: f32) -> i32 {
        (mm * self.0).round() as i32
    }
}

pub(crate) fn render(
    template: &LabelTemplate,
    labels: &[Label],
    dpi: u32,
) -> Result<String, DocError> {
    if labels.is_empty() {
        return Err(DocError::NoLabels);
    }
    if !(100..=600).contains(&dpi) {
        return Err(DocError::Invalid(format!(
            "printer resolution {dpi} dpi is not 100..=600"
        )));
    }
    let d = Dots(dpi as f32 / 25.4);
    let (w, h) = template.label_size_mm();
    let mut out = String::with_capacity(labels.len() * 4096);
    // A batch repeats most text lines (dates, storage, captions): rasterise each once.
    let mut graphics = HashMap::new();
    for label in labels {
        // ^CI28: UTF-8 field data; ^PW/^LL: label size; ^LH: home at the label's corner.
        out.push_str(&format!(
            "^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0\n",
            d.of(w),
            d.of(h)
        ));
        for p in pieces(template, label) {
            piece(&mut out, &d, &p, &mut graphics)?;
        }
        out.push_str("^PQ1\n^XZ\n");
    }
    Ok(out)
}

fn piece(
    out: &mut String,
    d: &Dots,
    p: &Piece,
    graphics: &mut HashMap<(String, u32), String>,
) -> Result<(), DocError> {
    match p {
        Piece::Box {
            x,
            y,
            w,
            h,
            thickness,
        } => {
            let t = d.of(*thickness).max(1);
            out.push_str(&format!(
                "^FO{},{}^GB{},{},{}^FS\n",
                d.of(*x),
                d.of(*y),
                d.of(*w).max(t),
                d.of(*h).max(t),
                t
            ));
        }
        Piece::Line {
            x1,
            y1,
            x2,
            y2,
            thickness,
        } => {
            let t = d.of(*thickness).max(1);
            let (x1, y1, x2, y2) = (d.of(*x1), d.of(*y1), d.of(*x2), d.of(*y2));
            if y1 == y2 || x1 == x2 {
                // A horizontal or vertical line is a box as thick as the line.
                let (w, h) = ((x2 - x1).abs().max(t), (y2 - y1).abs().max(t));
                out.push_str(&format!(
                    "^FO{},{}^GB{},{},{}^FS\n",
                    x1.min(x2),
                    y1.min(y2),
                    w,
                    h,
                    t
                ));
            } else {
                // ^GD: R leans right (rises to the right), L leans left.
                let lean = if (x2 > x1) == (y2 < y1) { 'R' } else { 'L' };
                let (w, h) = ((x2 - x1).abs(), (y2 - y1).abs());
                out.push_str(&format!(
                    "^FO{},{}^GD{},{},{},B,{}^FS\n",
                    x1.min(x2),
                    y1.min(y2),
                    w,
                    h,
                    t,
                    lean
                ));
            }
        }
        Piece::Qr {
            x,
            y,
            size,
            ecc,
            text,
        } => {
            // The printer encodes the symbol itself; our encoder tells how many modules it
            // will have, to choose the largest whole-dot module that keeps the quiet zone.
            let modules = (QrMatrix::width_for(text, *ecc)? + 2 * QUIET_ZONE) as i32;
            let mag = (d.of(*size) / modules).clamp(1, 10);
            let q = QUIET_ZONE as i32 * mag;
            let ecc = ecc.as_str();
            out.push_str(&format!(
                "^FO{},{}^BQN,2,{mag},{ecc}",
                d.of(*x) + q,
                d.of(*y) + q
            ));
            if text.contains(['^', '~', '_']) {
                // ^FH: `_` followed by two hex digits stands for a byte the field cannot hold.
                let escaped = text
                    .replace('_', "_5F")
                    .replace('^', "_5E")
                    .replace('~', "_7E");
                out.push_str(&format!("^FH_^FD{ecc}A,{escaped}^FS\n"));
            } else {
                out.push_str(&format!("^FD{ecc}A,{text}^FS\n"));
            }
        }
        Piece::Text {
            x,
            top,
            size_pt,
            text,
            ..
        } => {
            let em_dots = size_pt * MM_PER_PT * d.0;
            if text.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !text.contains(['^', '~'])
            {
                let h = em_dots.round().max(1.0) as i32;
                out.push_str(&format!(
                    "^FO{},{}^A0N,{h},{h}^FD{text}^FS\n",
                    d.of(*x),
                    d.of(*top)
                ));
            } else {
                let gfa = match graphics.entry((text.clone(), em_dots.to_bits())) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(rasterise(text, em_dots)?.to_gfa()),
                };
                out.push_str(&format!("^FO{},{}", d.of(*x), d.of(*top)));
                out.push_str(gfa);
                out.push_str("^FS\n");
            }
        }
    }
    Ok(())
}

/// A 1-bit image, rows of `bytes_per_row` bytes, most significant bit leftmost, 1 = black.
pub(crate) struct Bitmap {
    pub bytes_per_row: usize,
    pub rows: usize,
    pub data: Vec<u8>,
}

/// One line of text in the bundled font, `em_dots` dots per em, the em box's top at row 0.
pub(crate) fn rasterise(text: &str, em_dots: f32) -> Result<Bitmap, DocError> {
    let font = fonts::outline_font()?;
    let upem = font.units_per_em().unwrap_or(1000.0);
    let scale = PxScale::from(em_dots * font.height_unscaled() / upem);
    let scaled = font.as_scaled(scale);
    let width = (fonts::text_width_em(text) * em_dots).ceil() as usize + 1;
    let rows = em_dots.ceil().max(1.0) as usize;
    let bytes_per_row = width.div_ceil(8);
    let mut data = vec![0u8; bytes_per_row * rows];
    let baseline = EM_ASCENT * em_dots;
    let mut pen = 0.0f32;
    for c in text.chars().filter(|c| !c.is_control()) {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(pen, baseline));
        pen += scaled.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let b = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            if coverage < 0.5 {
                return;
            }
            let (px, py) = (
                b.min.x as i64 + i64::from(gx),
                b.min.y as i64 + i64::from(gy),
            );
            if px < 0 || py < 0 || px as usize >= width || py as usize >= rows {
                return;
            }
            let (px, py) = (px as usize, py as usize);
            data[py * bytes_per_row + px / 8] |= 0x80 >> (px % 8);
        });
    }
    Ok(Bitmap {
        bytes_per_row,
        rows,
        data,
    })
}

impl Bitmap {
    /// `^GFA` with ZPL's ASCII compression: repeat counts (G–Y = 1–19, g–z = 20–400),
    /// `,` for a row ending in white, `!` for one ending in black, `:` for a repeated row.
    pub(crate) fn to_gfa(&self) -> String {
        let total = self.bytes_per_row * self.rows;
        let mut out = format!("^GFA,{total},{total},{},", self.bytes_per_row);
        let mut prev: Option<&[u8]> = None;
        for row in self.data.chunks(self.bytes_per_row) {
            if prev == Some(row) {
                out.push(':');
                continue;
            }
            prev = Some(row);
            let hex: Vec<u8> = row.iter().flat_map(|b| [b >> 4, b & 0xF]).collect();
            // The row's tail of white (or black) is one character.
            let (body, tail) = match hex.iter().rposition(|&n| n != 0) {
                None => (&hex[..0], Some(',')),
                Some(last) if last + 1 < hex.len() => (&hex[..=last], Some(',')),
                Some(_) => match hex.iter().rposition(|&n| n != 0xF) {
                    None => (&hex[..0], Some('!')),
                    Some(last) if last + 1 < hex.len() => (&hex[..=last], Some('!')),
                    Some(_) => (&hex[..], None),
                },
            };
            let mut i = 0;
            while i < body.len() {
                let n = body[i];
                let run = body[i..].iter().take_while(|&&m| m == n).count();
                if run > 1 {
                    push_count(&mut out, run);
                }
                out.push(
                    char::from_digit(u32::from(n), 16)
                        .unwrap_or('0')
                        .to_ascii_uppercase(),
                );
                i += run;
            }
            if let Some(t) = tail {
                out.push(t);
            }
        }
        out
    }
}

fn push_count(out: &mut String, mut n: usize) {
    while n >= 400 {
        out.push('z');
        n -= 400;
    }
    if n >= 20 {
        out.push((b'g' + (n / 20 - 1) as u8) as char);
        n %= 20;
    }
    if n > 0 {
        out.push((b'G' + (n - 1) as u8) as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{labels_for, render_zpl, render_zpl_dpi, shipped_templates};
    use crate::test_support::*;

    /// Expands ZPL's compressed `^GFA` data back into bytes (the printer's side).
    fn decompress(data: &str, bytes_per_row: usize) -> Vec<u8> {
        let mut rows: Vec<Vec<u8>> = Vec::new();
        let mut row: Vec<u8> = Vec::new();
        let mut count = 0usize;
        let finish = |row: &mut Vec<u8>, rows: &mut Vec<Vec<u8>>, fill: u8| {
            row.resize(bytes_per_row * 2, fill);
            rows.push(std::mem::take(row));
        };
        for c in data.chars() {
            match c {
                'G'..='Y' => count += (c as usize) - ('G' as usize) + 1,
                'g'..='z' => count += ((c as usize) - ('g' as usize) + 1) * 20,
                ',' => finish(&mut row, &mut rows, 0),
                '!' => finish(&mut row, &mut rows, 0xF),
                ':' => {
                    let last = rows.last().cloned().unwrap_or_default();
                    rows.push(last);
                }
                _ => {
                    let n = c.to_digit(16).expect("hex digit") as u8;
                    for _ in 0..count.max(1) {
                        row.push(n);
                    }
                    count = 0;
                    if row.len() == bytes_per_row * 2 {
                        rows.push(std::mem::take(&mut row));
                    }
                }
            }
        }
        rows.concat()
            .chunks(2)
            .map(|p| (p[0] << 4) | p[1])
            .collect()
    }

    #[test]
    fn compressed_graphic_expands_back_to_the_same_bitmap() {
        let g = rasterise("青海牦牛肉干（五香味）", 40.0).expect("rasterise");
        assert!(g.data.iter().any(|&b| b != 0), "no black pixels");
        let gfa = g.to_gfa();
        let data = gfa.splitn(5, ',').nth(4).expect("data");
        assert_eq!(decompress(data, g.bytes_per_row), g.data);
        assert!(data.len() < g.data.len() * 2, "compression made it bigger");
        // Black tails, white rows and repeated rows.
        let odd = Bitmap {
            bytes_per_row: 3,
            rows: 4,
            data: vec![0, 0, 0, 0xF0, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0x12, 0, 0],
        };
        let data = odd
            .to_gfa()
            .splitn(5, ',')
            .nth(4)
            .expect("data")
            .to_string();
        assert_eq!(decompress(&data, 3), odd.data);
    }

    #[test]
    fn zpl_has_one_format_per_label_with_the_qr_url_and_chinese_as_graphics() {
        let labels = labels_for(
            &sample("F202663010200123", "青海牦牛肉干（五香味）", true),
            BASE,
        );
        for t in shipped_templates() {
            let zpl = render_zpl(&t, &labels).expect("zpl");
            assert!(zpl.starts_with("^XA"), "{}", t.name);
            assert!(zpl.trim_end().ends_with("^XZ"));
            assert_eq!(zpl.matches("^XA").count(), 4);
            assert_eq!(zpl.matches("^XZ").count(), 4);
            let formats: Vec<&str> = zpl.split_inclusive("^XZ\n").collect();
            assert_eq!(formats.len(), 4);
            for (f, l) in formats.iter().zip(&labels) {
                assert!(f.starts_with("^XA") && f.trim_end().ends_with("^XZ"));
                assert!(f.contains("^BQN,2,"), "{f}");
                assert!(
                    f.contains(&format!("A,{}^FS", l.qr_text)),
                    "{} lacks {}",
                    t.name,
                    l.qr_text
                );
                assert!(f.contains("^GFA,"), "Chinese not sent as graphics");
                assert!(
                    f.contains(&format!("^FD{}^FS", l.sample_no)),
                    "sample number not in ^A0 text"
                );
            }
            assert!(!zpl.contains("青"), "Chinese must not be sent as text");
        }
    }

    #[test]
    fn zpl_label_size_follows_the_template_and_resolution() {
        let t = shipped_templates()
            .into_iter()
            .find(|t| t.name == "thermal-50x30")
            .expect("50x30");
        let labels = labels_for(&sample("F202663010200123", "奶粉", false), BASE);
        let zpl = render_zpl(&t, &labels).expect("zpl");
        assert!(zpl.contains("^PW400\n^LL240\n"), "{zpl}");
        let zpl300 = render_zpl_dpi(&t, &labels, 300).expect("zpl");
        assert!(zpl300.contains("^PW591\n^LL354\n"));
        assert!(matches!(
            render_zpl_dpi(&t, &labels, 0),
            Err(DocError::Invalid(_))
        ));
        assert!(matches!(render_zpl(&t, &[]), Err(DocError::NoLabels)));
    }

    #[test]
    fn zpl_control_characters_in_qr_data_are_escaped() {
        let t = shipped_templates().into_iter().next().expect("template");
        let labels = labels_for(&sample("F1", "奶粉", false), "https://x.cn/a^b~c_d");
        let zpl = render_zpl(&t, &labels).expect("zpl");
        assert!(
            zpl.contains("^FH_^FDMA,https://x.cn/a_5Eb_7Ec_5Fd/s/F1^FS"),
            "{zpl}"
        );
    }
}
