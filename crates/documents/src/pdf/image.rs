//! Raster images (an admin's logo and CMA mark, PNG) and the draft watermark on the
//! canvas. A PNG is decoded here, flattened onto white and embedded as an RGB image
//! XObject, once per document like the QR symbols; a file that is not a readable PNG is
//! a `DocError`, never a panic.

use printpdf::{
    CurTransMat, Op, PdfFontHandle, Pt, TextItem, TextMatrix, XObjectId, XObjectTransform,
};

use super::{fonts, pt, Canvas, Codepoint, QrForms};
use crate::DocError;

/// The largest image accepted, in pixels per side: a logo needs far less, and the limit
/// keeps a hostile file from taking the server's memory.
const MAX_SIDE: u32 = 4096;

/// A decoded image: RGB, 8 bits per channel, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) width: u32,
    pub(crate) height: u32,
    rgb: Vec<u8>,
}

impl Image {
    /// Decodes a PNG (any colour type and depth); transparency is flattened onto white.
    pub(crate) fn from_png(bytes: &[u8]) -> Result<Self, DocError> {
        let bad =
            |e: &dyn std::fmt::Display| DocError::Invalid(format!("not a readable PNG image: {e}"));
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
        let (width, height) = reader.info().size();
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(DocError::Invalid(format!(
                "image of {width}×{height} pixels: at most {MAX_SIDE} a side"
            )));
        }
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| bad(&"image too large"))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
        buf.truncate(info.buffer_size());
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err(bad(&"palette not expanded")),
        };
        let over_white = |c: u8, a: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for px in buf.chunks_exact(channels) {
            match *px {
                [g] => rgb.extend_from_slice(&[g, g, g]),
                [g, a] => rgb.extend_from_slice(&[over_white(g, a); 3]),
                [r, g, b] => rgb.extend_from_slice(&[r, g, b]),
                [r, g, b, a] => {
                    rgb.extend_from_slice(&[over_white(r, a), over_white(g, a), over_white(b, a)])
                }
                _ => {}
            }
        }
        Ok(Self { width, height, rgb })
    }

    /// The image XObject stream.
    pub(super) fn stream(&self) -> lopdf::Stream {
        use lopdf::Object;
        let dict = lopdf::Dictionary::from_iter(vec![
            ("Type", Object::Name(b"XObject".to_vec())),
            ("Subtype", Object::Name(b"Image".to_vec())),
            ("Width", Object::Integer(i64::from(self.width))),
            ("Height", Object::Integer(i64::from(self.height))),
            ("ColorSpace", Object::Name(b"DeviceRGB".to_vec())),
            ("BitsPerComponent", Object::Integer(8)),
        ]);
        lopdf::Stream::new(dict, self.rgb.clone())
    }
}

impl QrForms {
    /// The resource name of `image`, added on first use.
    fn image_name(&mut self, image: &Image) -> String {
        let i = match self.images.iter().position(|m| m == image) {
            Some(i) => i,
            None => {
                self.images.push(image.clone());
                self.images.len() - 1
            }
        };
        format!("IM{i}")
    }
}

impl Canvas {
    /// `image` fitted into the box at (x, y) of `w` × `h` mm, keeping its proportions,
    /// centred in the box.
    pub(crate) fn image(
        &mut self,
        forms: &mut QrForms,
        image: &Image,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    ) {
        let scale = (w / image.width as f32).min(h / image.height as f32);
        let (iw, ih) = (image.width as f32 * scale, image.height as f32 * scale);
        let (left, top) = (x + (w - iw) / 2.0, y + (h - ih) / 2.0);
        let ll = self.point(left, top + ih);
        let name = forms.image_name(image);
        self.ops.push(Op::SaveGraphicsState);
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([pt(iw).0, 0.0, 0.0, pt(ih).0, ll.x.0, ll.y.0]),
        });
        self.ops.push(Op::UseXobject {
            id: XObjectId(name),
            transform: XObjectTransform::default(),
        });
        self.ops.push(Op::RestoreGraphicsState);
    }

    /// `text` in light grey, `size_pt` large, turned `degrees` anticlockwise about its
    /// centre at (cx, cy): a watermark under nothing and over everything drawn before it.
    pub(crate) fn watermark(&mut self, text: &str, cx: f32, cy: f32, size_pt: f32, degrees: f32) {
        let w = pt(fonts::text_width_mm(text, size_pt)).0;
        let h = size_pt * fonts::EM_ASCENT;
        let (sin, cos) = degrees.to_radians().sin_cos();
        let c = self.point(cx, cy);
        // The text's start: half its width back along the turned baseline, half its
        // height down across it.
        let x = c.x.0 - cos * w / 2.0 + sin * h / 2.0;
        let y = c.y.0 - sin * w / 2.0 - cos * h / 2.0;
        let grey = |percent: f32| Op::SetFillColor {
            col: printpdf::Color::Greyscale(printpdf::Greyscale {
                percent,
                icc_profile: None,
            }),
        };
        self.ops.push(Op::SaveGraphicsState);
        self.ops.push(grey(0.85));
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont {
            font: PdfFontHandle::External(self.font.clone()),
            size: Pt(size_pt),
        });
        self.ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Raw([cos, sin, -sin, cos, x, y]),
        });
        let glyphs = text
            .chars()
            .map(|c| Codepoint::with_cid(fonts::glyph_id(c), 0.0, c.to_string()))
            .collect();
        self.ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(glyphs)],
        });
        self.ops.push(Op::EndTextSection);
        self.ops.push(grey(0.0));
        self.ops.push(Op::RestoreGraphicsState);
    }
}
