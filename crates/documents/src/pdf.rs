//! PDF plumbing shared by labels and forms: a y-down millimetre canvas over printpdf's
//! operations, vector QR codes, and a deterministic save. Invariants: the bundled font is
//! embedded as a subset, and the same pages always serialise to the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::OnceLock;

use printpdf::{
    Codepoint, CurTransMat, DictItem, FontId, Line, LinePoint, Mm, Op, PaintMode, PdfDocument,
    PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, XObjectId,
    XObjectTransform,
};

use super::fonts::{self, MM_PER_PT};
use super::labels::{pieces, Label, LabelTemplate, Piece};
use super::qr::{Ecc, QrMatrix, QUIET_ZONE};
use super::DocError;

mod image;
pub(crate) use image::Image;

/// The font's resource name; its first six letters are also the subset tag, so it is fixed
/// (printpdf's default is random) to keep output deterministic.
const FONT_RESOURCE: &str = "LIMSSC";

/// The pitch QR modules are aligned to: 1/600 inch, a whole number of dots on 600 and
/// 1200 dpi printers and of half dots at 300 dpi.
const QR_GRID_MM: f32 = 25.4 / 600.0;

fn pt(mm: f32) -> Pt {
    Pt(mm * 72.0 / 25.4)
}

/// Drawing operations for one page, in mm measured from the top-left corner.
pub(crate) struct Canvas {
    ops: Vec<Op>,
    page_h: f32,
    /// Origin of what is being drawn (a label's corner on a sheet), in page mm.
    ox: f32,
    oy: f32,
    font: FontId,
}

impl Canvas {
    pub(crate) fn new(page_h_mm: f32) -> Self {
        Self {
            ops: Vec::new(),
            page_h: page_h_mm,
            ox: 0.0,
            oy: 0.0,
            font: FontId(FONT_RESOURCE.into()),
        }
    }

    pub(crate) fn set_origin(&mut self, x_mm: f32, y_mm: f32) {
        self.ox = x_mm;
        self.oy = y_mm;
    }

    fn point(&self, x: f32, y: f32) -> Point {
        Point {
            x: pt(self.ox + x),
            y: pt(self.page_h - (self.oy + y)),
        }
    }

    /// A rectangle with its top left corner at (`x`, `y`) from the origin; PDF places
    /// a rectangle by its lower left corner.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, mode: PaintMode) {
        let ll = self.point(x, y + h);
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: ll.x,
                y: ll.y,
                width: pt(w),
                height: pt(h),
                mode: Some(mode),
                winding_order: None,
            },
        });
    }

    /// A rectangle outline with its stroke centred on the edges.
    pub(crate) fn rect_stroke(&mut self, x: f32, y: f32, w: f32, h: f32, thickness: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: pt(thickness) });
        self.rect(x, y, w, h, PaintMode::Stroke);
    }

    /// A filled rectangle (e.g. a table header band).
    pub(crate) fn rect_fill(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        self.ops.push(Op::SetFillColor {
            col: printpdf::Color::Greyscale(printpdf::Greyscale {
                percent: grey,
                icc_profile: None,
            }),
        });
        self.rect(x, y, w, h, PaintMode::Fill);
        self.ops.push(Op::SetFillColor {
            col: printpdf::Color::Greyscale(printpdf::Greyscale {
                percent: 0.0,
                icc_profile: None,
            }),
        });
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: pt(thickness) });
        let points = vec![
            LinePoint {
                p: self.point(x1, y1),
                bezier: false,
            },
            LinePoint {
                p: self.point(x2, y2),
                bezier: false,
            },
        ];
        self.ops.push(Op::DrawLine {
            line: Line {
                points,
                is_closed: false,
            },
        });
    }

    /// Lines of text as `(x, baseline, size_pt, text)`, in one text object.
    pub(crate) fn text_lines<'a>(
        &mut self,
        lines: impl IntoIterator<Item = (f32, f32, f32, &'a str)>,
    ) {
        let mut started = false;
        let mut size = 0.0;
        // `Td` moves relative to the previous line's start: track it in PDF points.
        let mut at = Point {
            x: Pt(0.0),
            y: Pt(0.0),
        };
        for (x, baseline, size_pt, text) in lines {
            if text.is_empty() {
                continue;
            }
            if !started {
                self.ops.push(Op::StartTextSection);
                started = true;
            }
            if size_pt != size {
                size = size_pt;
                self.ops.push(Op::SetFont {
                    font: PdfFontHandle::External(self.font.clone()),
                    size: Pt(size_pt),
                });
            }
            let p = self.point(x, baseline);
            self.ops.push(Op::SetTextCursor {
                pos: Point {
                    x: Pt(p.x.0 - at.x.0),
                    y: Pt(p.y.0 - at.y.0),
                },
            });
            at = p;
            // Glyph ids resolved here (with the text for extraction) instead of letting
            // printpdf look each character up twice in its slower cmap.
            let glyphs = text
                .chars()
                .filter(|c| !c.is_control())
                .map(|c| Codepoint::with_cid(fonts::glyph_id(c), 0.0, c.to_string()))
                .collect();
            self.ops.push(Op::ShowText {
                items: vec![TextItem::GlyphIds(glyphs)],
            });
        }
        if started {
            self.ops.push(Op::EndTextSection);
        }
    }

    /// The QR code of `text` in the `size` square at (x, y), quiet zone included. The symbol
    /// itself is drawn once per document (see [`QrForms`]) and placed here by a matrix that
    /// maps its module grid onto the page.
    pub(crate) fn qr(
        &mut self,
        forms: &mut QrForms,
        text: &str,
        ecc: Ecc,
        x: f32,
        y: f32,
        size: f32,
    ) -> Result<(), DocError> {
        let (id, width) = forms.get(text, ecc)?;
        // Modules are a whole number of printer dots and start on the dot grid of the
        // page, so every module prints (and rasterises) at the same width: uneven modules
        // made real decoders fail on some codes.
        let n = (width + 2 * QUIET_ZONE) as f32;
        let module_mm = (size / n / QR_GRID_MM).floor().max(1.0) * QR_GRID_MM;
        let margin = (size - module_mm * n) / 2.0 + QUIET_ZONE as f32 * module_mm;
        let snap = |v: f32| (v / QR_GRID_MM).round() * QR_GRID_MM;
        let (left, top) = (snap(self.ox + x + margin), snap(self.oy + y + margin));
        let scale = pt(module_mm).0;
        self.ops.push(Op::SaveGraphicsState);
        // Module space: x to the right, y downwards, one unit per module.
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([
                scale,
                0.0,
                0.0,
                -scale,
                pt(left).0,
                pt(self.page_h - top).0,
            ]),
        });
        self.ops.push(Op::UseXobject {
            id,
            transform: XObjectTransform::default(),
        });
        self.ops.push(Op::RestoreGraphicsState);
        Ok(())
    }

    pub(crate) fn into_page(self, width_mm: f32, height_mm: f32) -> PdfPage {
        PdfPage::new(Mm(width_mm), Mm(height_mm), self.ops)
    }
}

/// The QR codes of one document, each drawn once as a form XObject and shown wherever it
/// is needed: a portion's label and seal share one symbol, which halves the QR data of a
/// batch. Names are numbered in order of first use, so output stays deterministic.
#[derive(Default)]
pub(crate) struct QrForms {
    index: HashMap<(String, Ecc), usize>,
    /// Per symbol: modules per side (quiet zone excluded) and the path in module units.
    forms: Vec<(usize, Vec<u8>)>,
    /// Raster images (`pdf/image.rs`), named `IM0`, `IM1`, … in order of first use.
    images: Vec<Image>,
}

impl QrForms {
    fn name(i: usize) -> String {
        format!("QR{i}")
    }

    fn get(&mut self, text: &str, ecc: Ecc) -> Result<(XObjectId, usize), DocError> {
        if let Some(&i) = self.index.get(&(text.to_string(), ecc)) {
            return Ok((XObjectId(Self::name(i)), self.forms[i].0));
        }
        self.add(text, ecc, QrMatrix::encode(text, ecc)?);
        self.get(text, ecc)
    }

    fn add(&mut self, text: &str, ecc: Ecc, m: QrMatrix) {
        let rects = m.rects();
        let mut path = String::with_capacity(rects.len() * 14 + 2);
        for r in rects {
            let _ = writeln!(path, "{} {} {} {} re", r.x, r.y, r.w, r.h);
        }
        path.push('f');
        self.index.insert((text.to_string(), ecc), self.forms.len());
        self.forms.push((m.width(), path.into_bytes()));
    }

    /// Encodes the symbols of a batch up front, on two threads, in order of first use (the
    /// order `get` would have numbered them in).
    fn prepare(&mut self, keys: Vec<(&str, Ecc)>) -> Result<(), DocError> {
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<(&str, Ecc)> = keys
            .into_iter()
            .filter(|k| !self.index.contains_key(&(k.0.to_string(), k.1)) && seen.insert(*k))
            .collect();
        let encoded = map_in_halves(&keys, |(text, ecc)| QrMatrix::encode(text, *ecc));
        for ((text, ecc), m) in keys.into_iter().zip(encoded) {
            self.add(text, ecc, m?);
        }
        Ok(())
    }

    /// Adds the forms to the saved document, in the XObject dictionary every page uses.
    fn install(self, lo: &mut lopdf::Document) -> Result<(), DocError> {
        use lopdf::Object;
        if self.forms.is_empty() && self.images.is_empty() {
            return Ok(());
        }
        let missing = || DocError::Pdf("no XObject dictionary on the first page".into());
        let page = *lo.get_pages().values().next().ok_or_else(missing)?;
        let resources = match lo.get_dictionary(page).and_then(|p| p.get(b"Resources")) {
            Ok(Object::Dictionary(d)) => d.clone(),
            Ok(Object::Reference(r)) => lo.get_dictionary(*r).map_err(|_| missing())?.clone(),
            _ => return Err(missing()),
        };
        let dict_id = resources
            .get(b"XObject")
            .and_then(Object::as_reference)
            .map_err(|_| missing())?;
        for (i, (width, path)) in self.forms.into_iter().enumerate() {
            let w = width as i64;
            let dict = lopdf::Dictionary::from_iter(vec![
                ("Type", Object::Name(b"XObject".to_vec())),
                ("Subtype", Object::Name(b"Form".to_vec())),
                ("FormType", Object::Integer(1)),
                (
                    "BBox",
                    Object::Array(vec![0.into(), 0.into(), w.into(), w.into()]),
                ),
            ]);
            let id = lo.add_object(lopdf::Stream::new(dict, path));
            lo.get_dictionary_mut(dict_id)
                .map_err(|_| missing())?
                .set(Self::name(i), Object::Reference(id));
        }
        for (i, image) in self.images.iter().enumerate() {
            let id = lo.add_object(image.stream());
            lo.get_dictionary_mut(dict_id)
                .map_err(|_| missing())?
                .set(format!("IM{i}"), Object::Reference(id));
        }
        Ok(())
    }
}

/// The bundled font as printpdf wants it, parsed once per process; clone it into each
/// document.
fn pdf_font() -> Result<&'static printpdf::ParsedFont, DocError> {
    static FONT: OnceLock<Result<printpdf::ParsedFont, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut warnings = Vec::new();
        printpdf::ParsedFont::from_bytes(fonts::FONT_BYTES, 0, &mut warnings)
            .ok_or_else(|| format!("printpdf could not parse the font: {warnings:?}"))
    })
    .as_ref()
    .map_err(|e| DocError::Font(e.clone()))
}

/// A document with the bundled font registered under a fixed resource name.
pub(crate) fn new_document(title: &str) -> Result<PdfDocument, DocError> {
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.producer = "lims".into();
    doc.metadata.info.creator = "lims".into();
    doc.resources.fonts.map.insert(
        FontId(FONT_RESOURCE.into()),
        PdfFont::new(pdf_font()?.clone()),
    );
    Ok(doc)
}

/// Serialises deterministically: dates are fixed by the document info, and the random file
/// identifier printpdf writes is replaced by one derived from the content.
pub(crate) fn save(doc: &PdfDocument, forms: QrForms) -> Result<Vec<u8>, DocError> {
    save_with_level(doc, forms, COMPRESSION_LEVEL)
}

/// [`save`] with streams deflated at `level` (0–9).
fn save_with_level(doc: &PdfDocument, forms: QrForms, level: u32) -> Result<Vec<u8>, DocError> {
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let lo = doc.to_lopdf_document(&opts, &mut warnings);
    finish(lo, forms, level)
}

/// Forms installed, dates removed, a content-derived file identifier, streams deflated at
/// `level`, written with compressed object and cross-reference streams.
fn finish(mut lo: lopdf::Document, forms: QrForms, level: u32) -> Result<Vec<u8>, DocError> {
    forms.install(&mut lo)?;
    // printpdf dates every document 1970-01-01; a document without a clock has no date.
    if let Ok(info) = lo
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
    {
        if let Ok(dict) = lo.get_dictionary_mut(info) {
            dict.remove(b"CreationDate");
            dict.remove(b"ModDate");
        }
    }
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
    for (id, obj) in &lo.objects {
        if let Ok(stream) = obj.as_stream() {
            for b in id.0.to_le_bytes().iter().chain(stream.content.iter()) {
                h1 = (h1 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
                h2 = (h2 ^ u64::from(*b))
                    .wrapping_mul(0x0000_0100_0000_01b3)
                    .rotate_left(5);
            }
        }
    }
    let id = format!("{h1:016x}{h2:016x}").into_bytes();
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    compress(&mut lo, level)?;
    let mut out = Vec::new();
    // Page dictionaries and the cross-reference table packed into compressed streams
    // (PDF 1.5): a thousand small page objects were otherwise 40 % of a label file.
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .compression_level(level)
        .build();
    lo.save_with_options(&mut out, options)
        .map_err(|e| DocError::Pdf(e.to_string()))?;
    Ok(out)
}

/// Saves like [`save`], but embeds the font subset itself instead of leaving it to
/// printpdf, and deflates at `level` (level 1 packs a text page's font subset, which barely
/// compresses further, in a third of level 6's time for 1 % more bytes).
///
/// Why: for every glyph of a subset printpdf decodes the glyph's outline to read its
/// advance width, and each decode parses the subset's whole CFF table again, so its cost
/// grows with the square of the glyph count: about 3 ms of a 300-glyph report page. Here
/// the subset is cut by the same printpdf function (`subset_font`), and the PDF objects
/// printpdf would write for it are written directly: the CID-keyed CFF program, glyph
/// codes that are the subset's CIDs, /W from the font's advances and a /ToUnicode map. The
/// text operators become plain `Tf`/`Tj` operators carrying those codes.
pub(crate) fn save_with_own_font(
    mut doc: PdfDocument,
    forms: QrForms,
    level: u32,
) -> Result<Vec<u8>, DocError> {
    let font = pdf_font()?;
    let mut used: BTreeMap<u16, String> = BTreeMap::new();
    for op in doc.pages.iter().flat_map(|p| p.ops.iter()) {
        if let Op::ShowText { items } = op {
            for item in items {
                if let TextItem::GlyphIds(glyphs) = item {
                    for g in glyphs {
                        used.entry(g.gid)
                            .or_insert_with(|| g.cid.clone().unwrap_or_default());
                    }
                }
            }
        }
    }
    if used.is_empty() {
        return save_with_level(&doc, forms, level);
    }
    let subset = printpdf::subset_font(font, &used).map_err(DocError::Pdf)?;
    let program = printpdf::extract_cid_keyed_cff(&subset.bytes, 0)
        .ok_or_else(|| DocError::Font("the font subset is not a CID-keyed CFF".into()))?;
    let cids = printpdf::cff_charset_gid_to_cid_map(&subset.bytes, 0).unwrap_or_default();
    // Original glyph id -> the code shown (the subset's CID), width and text of the code.
    let code_of: HashMap<u16, u16> = subset
        .glyph_mapping
        .iter()
        .map(|(gid, (new, _))| (*gid, cids.get(new).copied().unwrap_or(*new)))
        .collect();
    let upem = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    let mut codes: Vec<(u16, i64, &str)> = used
        .iter()
        .filter_map(|(gid, text)| {
            let width = f32::from(font.get_horizontal_advance(*gid)) * 1000.0 / upem;
            code_of.get(gid).map(|c| (*c, width as i64, text.as_str()))
        })
        .collect();
    codes.sort_by_key(|c| c.0);

    for page in &mut doc.pages {
        for op in &mut page.ops {
            match op {
                Op::SetFont {
                    font: PdfFontHandle::External(id),
                    size,
                } if id.0 == FONT_RESOURCE => {
                    *op = Op::Unknown {
                        key: "Tf".into(),
                        value: vec![DictItem::Name(FONT_RESOURCE.into()), DictItem::Real(size.0)],
                    };
                }
                Op::ShowText { items } => {
                    let mut bytes = Vec::new();
                    for item in items.iter() {
                        if let TextItem::GlyphIds(glyphs) = item {
                            for g in glyphs {
                                let code = code_of.get(&g.gid).copied().unwrap_or(0);
                                bytes.extend_from_slice(&code.to_be_bytes());
                            }
                        }
                    }
                    *op = Op::Unknown {
                        key: "Tj".into(),
                        value: vec![DictItem::String {
                            data: bytes,
                            literal: false,
                        }],
                    };
                }
                _ => {}
            }
        }
    }
    doc.resources
        .fonts
        .map
        .remove(&FontId(FONT_RESOURCE.into()));
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        // Lets the `Tf`/`Tj` operators above through (printpdf drops unknown operators
        // when secure); every other operator is one of ours.
        secure: false,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let font_dict = add_font(&mut lo, font, program, &codes);
    let font_id = lo.add_object(font_dict);
    let missing = || DocError::Pdf("no font dictionary on the first page".into());
    let page = *lo.get_pages().values().next().ok_or_else(missing)?;
    let resources = match lo.get_dictionary(page).and_then(|p| p.get(b"Resources")) {
        Ok(lopdf::Object::Dictionary(d)) => d.clone(),
        Ok(lopdf::Object::Reference(r)) => lo.get_dictionary(*r).map_err(|_| missing())?.clone(),
        _ => return Err(missing()),
    };
    let fonts_id = resources
        .get(b"Font")
        .and_then(lopdf::Object::as_reference)
        .map_err(|_| missing())?;
    lo.get_dictionary_mut(fonts_id)
        .map_err(|_| missing())?
        .set(FONT_RESOURCE, lopdf::Object::Reference(font_id));
    finish(lo, forms, level)
}

/// The Type 0 font dictionary of the subset, its program, descriptor and /ToUnicode
/// added to `lo`: the objects printpdf writes for a subset, with the same values.
fn add_font(
    lo: &mut lopdf::Document,
    font: &printpdf::ParsedFont,
    program: Vec<u8>,
    codes: &[(u16, i64, &str)],
) -> lopdf::Dictionary {
    use lopdf::Object::{Array, Dictionary, Integer, Name, Reference};
    let name = font
        .font_name
        .clone()
        .unwrap_or_else(|| FONT_RESOURCE.to_string());
    let face = format!("{FONT_RESOURCE}+{name}").into_bytes();
    let m = &font.pdf_font_metrics;
    let scale = 1000.0 / f32::from(m.units_per_em.max(1));
    let scaled = |v: f32| (v * scale).round() as i64;
    let ascent = scaled(font.font_metrics.ascent);
    let cap_height = font.font_metrics.cap_height.map_or(ascent, scaled);
    let italic_angle = if m.caret_slope_rise == 0 {
        0
    } else {
        (-f32::from(m.caret_slope_run))
            .atan2(f32::from(m.caret_slope_rise))
            .to_degrees()
            .round() as i64
    };
    let flags = (1 << 5) | if italic_angle != 0 { 1 << 6 } else { 0 };
    let stem_v = if m.us_weight_class == 0 {
        80
    } else {
        50 + (f32::from(m.us_weight_class) / 65.0).powi(2).round() as i64
    };
    let program = lopdf::Stream::new(
        lopdf::Dictionary::from_iter(vec![("Subtype", Name(b"CIDFontType0C".to_vec()))]),
        program,
    );
    let program_id = lo.add_object(program);
    let descriptor = lopdf::Dictionary::from_iter(vec![
        ("Type", Name(b"FontDescriptor".to_vec())),
        ("FontName", Name(face.clone())),
        ("Ascent", Integer(ascent)),
        ("Descent", Integer(scaled(font.font_metrics.descent))),
        ("CapHeight", Integer(cap_height)),
        ("ItalicAngle", Integer(italic_angle)),
        ("Flags", Integer(flags)),
        ("StemV", Integer(stem_v)),
        (
            "FontBBox",
            Array(
                [m.x_min, m.y_min, m.x_max, m.y_max]
                    .iter()
                    .map(|v| Integer(scaled(f32::from(*v))))
                    .collect(),
            ),
        ),
        ("FontFile3", Reference(program_id)),
    ]);
    let descriptor_id = lo.add_object(descriptor);
    // /W: runs of consecutive codes, each `first [w1 w2 …]`.
    let mut widths: Vec<lopdf::Object> = Vec::new();
    let mut run: Vec<lopdf::Object> = Vec::new();
    let mut next = None;
    for (code, width, _) in codes {
        if next != Some(*code) && !run.is_empty() {
            widths.push(Array(std::mem::take(&mut run)));
        }
        if run.is_empty() {
            widths.push(Integer(i64::from(*code)));
        }
        run.push(Integer(*width));
        next = code.checked_add(1);
    }
    if !run.is_empty() {
        widths.push(Array(run));
    }
    let to_unicode = printpdf::ToUnicodeCMap {
        mappings: codes
            .iter()
            .map(|(code, _, text)| (u32::from(*code), text.chars().map(u32::from).collect()))
            .collect(),
    }
    .to_cmap_string(FONT_RESOURCE);
    let to_unicode_id = lo.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        to_unicode.into_bytes(),
    ));
    let cid_font = lopdf::Dictionary::from_iter(vec![
        ("Type", Name(b"Font".to_vec())),
        ("BaseFont", Name(face.clone())),
        ("Subtype", Name(b"CIDFontType0".to_vec())),
        (
            "CIDSystemInfo",
            Dictionary(lopdf::Dictionary::from_iter(vec![
                ("Registry", lopdf::Object::string_literal("Adobe")),
                ("Ordering", lopdf::Object::string_literal("Identity")),
                ("Supplement", Integer(0)),
            ])),
        ),
        ("W", Array(widths)),
        ("DW", Integer(1000)),
        ("FontDescriptor", Reference(descriptor_id)),
    ]);
    lopdf::Dictionary::from_iter(vec![
        ("Type", Name(b"Font".to_vec())),
        ("Subtype", Name(b"Type0".to_vec())),
        ("BaseFont", Name(face)),
        ("Encoding", Name(b"Identity-H".to_vec())),
        ("ToUnicode", Reference(to_unicode_id)),
        ("DescendantFonts", Array(vec![Dictionary(cid_font)])),
    ])
}

/// Deflates every stream not yet filtered. lopdf's own `compress` uses the slowest level,
/// which took a third of a 1,000-label PDF's time for a few per cent of size.
fn compress(lo: &mut lopdf::Document, level: u32) -> Result<(), DocError> {
    use std::io::Write as _;
    let todo: Vec<(lopdf::ObjectId, &[u8])> = lo
        .objects
        .iter()
        .filter_map(|(id, obj)| match obj {
            lopdf::Object::Stream(s) if s.allows_compression && s.dict.get(b"Filter").is_err() => {
                Some((*id, s.content.as_slice()))
            }
            _ => None,
        })
        .collect();
    let packed = map_in_halves(&todo, |(_, content)| {
        let mut z = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(content.len() / 2),
            flate2::Compression::new(level),
        );
        z.write_all(content)?;
        z.finish()
    });
    let ids: Vec<lopdf::ObjectId> = todo.iter().map(|(id, _)| *id).collect();
    for (id, packed) in ids.into_iter().zip(packed) {
        let packed = packed.map_err(|e| DocError::Pdf(e.to_string()))?;
        if let Ok(stream) = lo.get_object_mut(id).and_then(lopdf::Object::as_stream_mut) {
            if packed.len() < stream.content.len() {
                stream.dict.set("Filter", "FlateDecode");
                stream.set_content(packed);
            }
        }
    }
    Ok(())
}

/// `items.iter().map(f)`, the second half on another thread when the list is long. The
/// result is in input order whatever the machine, so output stays deterministic.
fn map_in_halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| second.iter().map(&f).collect::<Vec<R>>());
        let mut out: Vec<R> = first.iter().map(&f).collect();
        match other.join() {
            Ok(rest) => out.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        out
    })
}

const COMPRESSION_LEVEL: u32 = 6;

/// Label pages: one label per page on a roll; row by row, page after page, on a sheet.
pub(crate) fn render_labels(
    template: &LabelTemplate,
    labels: &[Label],
) -> Result<Vec<u8>, DocError> {
    if labels.is_empty() {
        return Err(DocError::NoLabels);
    }
    let mut doc = new_document(&format!("Labels ({})", template.name))?;
    let per_page = template.labels_per_page();
    let mut forms = QrForms::default();
    forms.prepare(
        labels
            .iter()
            .flat_map(|l| {
                template
                    .layout(l.part)
                    .qrs
                    .iter()
                    .map(|q| (l.qr_text.as_str(), q.ecc))
            })
            .collect(),
    )?;
    let mut pages = Vec::with_capacity(labels.len().div_ceil(per_page));
    for chunk in labels.chunks(per_page) {
        let mut canvas = Canvas::new(template.height_mm);
        for (slot, label) in chunk.iter().enumerate() {
            let (ox, oy) = template.slot_origin_mm(slot);
            canvas.set_origin(ox, oy);
            draw_label(&mut canvas, template, label, &mut forms)?;
        }
        pages.push(canvas.into_page(template.width_mm, template.height_mm));
    }
    doc.pages = pages;
    save(&doc, forms)
}

fn draw_label(
    canvas: &mut Canvas,
    template: &LabelTemplate,
    label: &Label,
    forms: &mut QrForms,
) -> Result<(), DocError> {
    let pieces = pieces(template, label);
    for p in &pieces {
        match p {
            Piece::Box {
                x,
                y,
                w,
                h,
                thickness,
            } => canvas.rect_stroke(*x, *y, *w, *h, *thickness),
            Piece::Line {
                x1,
                y1,
                x2,
                y2,
                thickness,
            } => canvas.line(*x1, *y1, *x2, *y2, *thickness),
            Piece::Qr {
                x,
                y,
                size,
                ecc,
                text,
            } => canvas.qr(forms, text, *ecc, *x, *y, *size)?,
            Piece::Text { .. } => {}
        }
    }
    canvas.text_lines(pieces.iter().filter_map(|p| match p {
        Piece::Text {
            x,
            baseline,
            size_pt,
            text,
            ..
        } => Some((*x, *baseline, *size_pt, text.as_str())),
        _ => None,
    }));
    Ok(())
}

/// Size of `text` at `size_pt`, for callers laying out forms.
pub(crate) fn text_width(text: &str, size_pt: f32) -> f32 {
    fonts::text_width_em(text) * size_pt * MM_PER_PT
}

#[cfg(test)]
mod tests;
