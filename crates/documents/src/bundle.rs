//! Many documents as one: a ZIP archive of files, or one PDF with the pages of several.
//! Invariant: both are deterministic — the same inputs always give the same bytes (the ZIP
//! carries a fixed date; the merged PDF a file identifier derived from its inputs).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use lopdf::{Dictionary, Object, ObjectId};

use super::DocError;

/// The DOS date of every entry, 1980-01-01 (the earliest a ZIP can hold); the time is 00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// General-purpose flag bit 11: names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;
/// Version needed to extract: 2.0.
const VERSION: u16 = 20;
const METHOD_STORE: u16 = 0;

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A size or offset as ZIP's 32-bit field; 0xFFFF_FFFF and above would need ZIP64.
fn zip32(v: usize, what: &str) -> Result<u32, DocError> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v < u32::MAX)
        .ok_or_else(|| DocError::Invalid(format!("{what} too large for a ZIP archive")))
}

/// The checks a name must pass: not empty, unique, and a plain relative path (no leading
/// "/", no "..", no backslash) so unpacking cannot write outside the target folder.
fn check_name(name: &str, seen: &mut HashSet<String>) -> Result<(), DocError> {
    if name.is_empty() || name.len() > usize::from(u16::MAX) {
        return Err(DocError::Invalid(format!(
            "ZIP entry name must be 1 to 65,535 bytes: {name:?}"
        )));
    }
    if name.starts_with('/') || name.contains('\\') || name.split('/').any(|p| p == "..") {
        return Err(DocError::Invalid(format!(
            "ZIP entry name is not a plain relative path: {name:?}"
        )));
    }
    if !seen.insert(name.to_string()) {
        return Err(DocError::Invalid(format!(
            "duplicate ZIP entry name {name:?}"
        )));
    }
    Ok(())
}

/// A ZIP archive (stored entries, since PDFs are already compressed) of `(name, bytes)`,
/// in the order given. Names are UTF-8 (flag bit 11) and every entry is dated 1980-01-01
/// 00:00, so the same files always give the same bytes. Refused as `DocError::Invalid`:
/// duplicate or unsafe names, more than 65,535 entries, and anything needing ZIP64 (an
/// entry or the archive reaching 4 GiB).
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, DocError> {
    let count = u16::try_from(files.len())
        .map_err(|_| DocError::Invalid("more than 65,535 files for one ZIP archive".into()))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(
        files
            .iter()
            .map(|(n, b)| 30 + 46 + 2 * n.len() + b.len())
            .sum::<usize>()
            + 22,
    );
    let mut central = Vec::new();
    for (name, bytes) in files {
        check_name(name, &mut seen)?;
        let size = zip32(bytes.len(), "a file")?;
        let offset = zip32(out.len(), "the archive")?;
        let crc = crc32fast::hash(bytes);
        let name_len = name.len() as u16; // Checked by `check_name`.

        // Local file header.
        put32(&mut out, 0x0403_4b50);
        put16(&mut out, VERSION);
        put16(&mut out, UTF8_NAMES);
        put16(&mut out, METHOD_STORE);
        put16(&mut out, DOS_TIME);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);

        // Its central directory entry (made by MS-DOS 2.0: no Unix permissions to fix).
        put32(&mut central, 0x0201_4b50);
        put16(&mut central, VERSION);
        put16(&mut central, VERSION);
        put16(&mut central, UTF8_NAMES);
        put16(&mut central, METHOD_STORE);
        put16(&mut central, DOS_TIME);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = zip32(out.len(), "the archive")?;
    let central_size = zip32(central.len(), "the central directory")?;
    out.extend_from_slice(&central);
    zip32(out.len(), "the archive")?;

    // End of central directory record.
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk of the central directory
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0); // comment length
    Ok(out)
}

/// Page attributes a page may inherit from its ancestors in the page tree (ISO 32000-1
/// 7.7.3.4); copied onto each page, since the old trees are dropped.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// One input PDF, renumbered from a given id, reduced to its pages and what they use.
struct Part {
    pages: Vec<ObjectId>,
    objects: BTreeMap<ObjectId, Object>,
    max_id: u32,
}

/// Loads input `n`, renumbers its objects from `first_id`, copies inherited attributes onto
/// its pages, and drops the catalog, page-tree nodes, document information and
/// cross-reference/object streams.
fn part(n: usize, bytes: &[u8], first_id: u32) -> Result<Part, DocError> {
    let bad = |m: String| DocError::Pdf(format!("input {} of the merge: {m}", n + 1));
    let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| bad(e.to_string()))?;
    doc.renumber_objects_with(first_id);
    let pages: Vec<ObjectId> = doc.page_iter().collect();
    if pages.is_empty() {
        return Err(bad("no pages".into()));
    }
    // Inherited attributes, from the nearest ancestor that has them.
    for &page in &pages {
        let page_dict = doc.get_dictionary(page).map_err(|e| bad(e.to_string()))?;
        let mut found: Vec<(&[u8], Object)> = Vec::new();
        let mut node = page_dict;
        let mut depth = 0;
        while let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) {
            depth += 1;
            if depth > 256 {
                return Err(bad("page tree too deep or cyclic".into()));
            }
            let Ok(p) = doc.get_dictionary(parent) else {
                break;
            };
            for key in INHERITED {
                if page_dict.get(key).is_err() && !found.iter().any(|(k, _)| *k == key) {
                    if let Ok(v) = p.get(key) {
                        found.push((key, v.clone()));
                    }
                }
            }
            node = p;
        }
        let dict = doc
            .get_dictionary_mut(page)
            .map_err(|e| bad(e.to_string()))?;
        for (key, value) in found {
            dict.set(key, value);
        }
    }
    let mut dropped: BTreeSet<ObjectId> = BTreeSet::new();
    for key in [b"Root".as_slice(), b"Info".as_slice()] {
        if let Ok(id) = doc.trailer.get(key).and_then(Object::as_reference) {
            dropped.insert(id);
        }
    }
    for (id, obj) in &doc.objects {
        let kind = match obj {
            Object::Dictionary(d) => d.get_type().ok(),
            Object::Stream(s) => s.dict.get_type().ok(),
            _ => None,
        };
        if matches!(kind, Some(b"Catalog" | b"Pages" | b"ObjStm" | b"XRef")) {
            dropped.insert(*id);
        }
    }
    let max_id = doc.max_id.max(first_id);
    let objects = doc
        .objects
        .into_iter()
        .filter(|(id, _)| !dropped.contains(id))
        .collect();
    Ok(Part {
        pages,
        objects,
        max_id,
    })
}

/// The subset tag of a font name ("ABCDEF+Name" → "ABCDEF").
fn subset_tag(name: &[u8]) -> Option<[u8; 6]> {
    let tag: [u8; 6] = name.get(..6)?.try_into().ok()?;
    (name.get(6) == Some(&b'+') && tag.iter().all(u8::is_ascii_uppercase)).then_some(tag)
}

/// The font names carrying a subset tag: `BaseFont` of fonts, `FontName` of descriptors.
fn font_names(objects: &mut BTreeMap<ObjectId, Object>) -> impl Iterator<Item = &mut Vec<u8>> {
    objects.values_mut().flat_map(|obj| {
        let dict = match obj {
            Object::Dictionary(d) => Some(d),
            Object::Stream(s) => Some(&mut s.dict),
            _ => None,
        };
        let key: &[u8] = match dict.as_ref().and_then(|d| d.get_type().ok()) {
            Some(b"Font") => b"BaseFont",
            Some(b"FontDescriptor") => b"FontName",
            _ => b"",
        };
        dict.and_then(|d| match d.get_mut(key) {
            Ok(Object::Name(n)) if subset_tag(n).is_some() => Some(n),
            _ => None,
        })
    })
}

/// Gives the font subsets of input `n` tags no earlier input used: every input embeds its
/// own subset of the bundled font under the same tag, and different subsets in one file
/// must have different tags (ISO 32000-1 9.6.4), or a viewer may draw one input's text
/// with another's glyphs. New tags are derived from the old tag and `n`, so deterministic.
fn retag_fonts(objects: &mut BTreeMap<ObjectId, Object>, n: usize, used: &mut BTreeSet<[u8; 6]>) {
    let tags: BTreeSet<[u8; 6]> = font_names(objects)
        .filter_map(|name| subset_tag(name))
        .collect();
    let mut rename: BTreeMap<[u8; 6], [u8; 6]> = BTreeMap::new();
    for tag in tags {
        let mut new = tag;
        let mut attempt: u64 = 0;
        while used.contains(&new) {
            attempt += 1;
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in tag
                .iter()
                .copied()
                .chain((n as u64).to_le_bytes())
                .chain(attempt.to_le_bytes())
            {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            for c in &mut new {
                *c = b'A' + (h % 26) as u8;
                h /= 26;
            }
        }
        used.insert(new);
        if new != tag {
            rename.insert(tag, new);
        }
    }
    if rename.is_empty() {
        return;
    }
    for name in font_names(objects) {
        if let Some(new) = subset_tag(name).and_then(|t| rename.get(&t)) {
            name[..6].copy_from_slice(new);
        }
    }
}

/// Ids of the objects reachable from `roots` (references to missing objects ignored).
fn reachable(objects: &BTreeMap<ObjectId, Object>, roots: &[ObjectId]) -> BTreeSet<ObjectId> {
    fn refs(obj: &Object, todo: &mut Vec<ObjectId>) {
        match obj {
            Object::Reference(id) => todo.push(*id),
            Object::Array(a) => a.iter().for_each(|o| refs(o, todo)),
            Object::Dictionary(d) => d.iter().for_each(|(_, o)| refs(o, todo)),
            Object::Stream(s) => s.dict.iter().for_each(|(_, o)| refs(o, todo)),
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    let mut todo: Vec<ObjectId> = roots.to_vec();
    while let Some(id) = todo.pop() {
        if let Some(obj) = objects.get(&id) {
            if seen.insert(id) {
                refs(obj, &mut todo);
            }
        }
    }
    seen
}

/// A 128-bit FNV-style hash of the inputs, as the merged file's identifier.
fn file_id(pdfs: &[Vec<u8>]) -> Vec<u8> {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
    for pdf in pdfs {
        for b in (pdf.len() as u64).to_le_bytes().iter().chain(pdf) {
            h1 = (h1 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            h2 = (h2 ^ u64::from(*b))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    }
    format!("{h1:016x}{h2:016x}").into_bytes()
}

/// One PDF holding every page of `pdfs`, in order (each input's pages in its own order).
/// Bookmarks, forms and other document-level parts of the inputs are not carried over.
/// No input is `DocError::Invalid`; an input that cannot be read (or has no pages) is
/// `DocError::Pdf`. The same inputs always give the same bytes.
pub fn merge_pdfs(pdfs: &[Vec<u8>]) -> Result<Vec<u8>, DocError> {
    if pdfs.is_empty() {
        return Err(DocError::Invalid("no PDF to merge".into()));
    }
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut pages: Vec<ObjectId> = Vec::new();
    let mut next_id = 1;
    let mut tags = BTreeSet::new();
    for (n, bytes) in pdfs.iter().enumerate() {
        // lopdf parses untrusted bytes: a panic in it becomes an error, not a crash.
        let part = std::panic::catch_unwind(|| part(n, bytes, next_id)).map_err(|_| {
            DocError::Pdf(format!(
                "input {} of the merge: the PDF reader failed on it",
                n + 1
            ))
        })??;
        let mut part_objects = part.objects;
        retag_fonts(&mut part_objects, n, &mut tags);
        next_id = part.max_id + 1;
        pages.extend(part.pages);
        objects.extend(part_objects);
    }
    let pages_id: ObjectId = (next_id, 0);
    let catalog_id: ObjectId = (next_id + 1, 0);
    for page in &pages {
        if let Some(Object::Dictionary(d)) = objects.get_mut(page) {
            d.set("Parent", Object::Reference(pages_id));
        }
    }
    let count = i64::try_from(pages.len())
        .map_err(|_| DocError::Invalid("too many pages to merge".into()))?;
    objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Count", Object::Integer(count)),
            (
                "Kids",
                Object::Array(pages.iter().map(|p| Object::Reference(*p)).collect()),
            ),
        ])),
    );
    objects.insert(
        catalog_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(pages_id)),
        ])),
    );
    // Drop what only the old catalogs used (outlines, metadata, name trees...).
    let keep = reachable(&objects, &[catalog_id]);
    objects.retain(|id, _| keep.contains(id));

    let mut doc = lopdf::Document::with_version("1.5");
    doc.objects = objects;
    doc.max_id = catalog_id.0;
    doc.trailer.set("Root", Object::Reference(catalog_id));
    let id = file_id(pdfs);
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    doc.compress();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    let mut out = Vec::new();
    doc.save_with_options(&mut out, options)
        .map_err(|e| DocError::Pdf(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::render_notice;
    use crate::sampling_form::{render_sampling_form, SamplingForm};
    use crate::test_support::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Reads an archive back through its central directory, checking each local header
    /// against it and each entry's CRC: `(name, bytes)` in directory order.
    fn unzip(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let end = archive.len() - 22;
        assert_eq!(u32_at(archive, end), 0x0605_4b50, "no end record");
        let count = usize::from(u16_at(archive, end + 10));
        assert_eq!(u16_at(archive, end + 8), u16_at(archive, end + 10));
        let size = u32_at(archive, end + 12) as usize;
        let mut at = u32_at(archive, end + 16) as usize;
        assert_eq!(
            at + size,
            end,
            "central directory not just before the end record"
        );
        let mut files = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(archive, at), 0x0201_4b50);
            assert_eq!(u16_at(archive, at + 8), 1 << 11, "UTF-8 flag");
            assert_eq!(u16_at(archive, at + 10), 0, "stored");
            assert_eq!(
                (u16_at(archive, at + 12), u16_at(archive, at + 14)),
                (0, 33),
                "1980-01-01 00:00"
            );
            let crc = u32_at(archive, at + 16);
            let len = u32_at(archive, at + 20) as usize;
            assert_eq!(u32_at(archive, at + 24) as usize, len);
            let name_len = usize::from(u16_at(archive, at + 28));
            let local = u32_at(archive, at + 42) as usize;
            let name = String::from_utf8(archive[at + 46..at + 46 + name_len].to_vec())
                .expect("utf-8 name");
            at += 46 + name_len;

            assert_eq!(u32_at(archive, local), 0x0403_4b50);
            assert_eq!(archive[local + 6..local + 26], {
                let c = at - 46 - name_len;
                archive[c + 8..c + 28].to_vec()
            });
            let data = local + 30 + usize::from(u16_at(archive, local + 26));
            assert_eq!(&archive[local + 30..local + 30 + name_len], name.as_bytes());
            let bytes = archive[data..data + len].to_vec();
            assert_eq!(crc32fast::hash(&bytes), crc, "{name}: CRC");
            files.push((name, bytes));
        }
        files
    }

    #[test]
    fn zip_reads_back_with_names_sizes_crcs_and_bytes() {
        let files = vec![
            (
                "抽样单-F202663010200123.pdf".to_string(),
                b"%PDF-1.7 one".to_vec(),
            ),
            ("labels/标签.zpl".to_string(), vec![0u8; 1000]),
            ("empty.txt".to_string(), Vec::new()),
        ];
        let archive = zip(&files).expect("zip");
        assert_eq!(unzip(&archive), files);
        assert!(archive == zip(&files).expect("zip"), "not deterministic");
        // The system unzip agrees, when installed.
        if let Ok(dir) = tempfile::tempdir() {
            let path = dir.path().join("a.zip");
            std::fs::write(&path, &archive).expect("write");
            if let Ok(out) = std::process::Command::new("unzip")
                .arg("-t")
                .arg(&path)
                .output()
            {
                assert!(
                    out.status.success(),
                    "unzip -t: {}",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
        }
    }

    #[test]
    fn empty_zip_is_a_valid_empty_archive() {
        let archive = zip(&[]).expect("zip");
        assert_eq!(archive.len(), 22);
        assert!(unzip(&archive).is_empty());
    }

    #[test]
    fn duplicate_or_unsafe_zip_names_are_refused() {
        for names in [
            vec!["a.pdf", "a.pdf"],
            vec![""],
            vec!["../a.pdf"],
            vec!["/etc/a.pdf"],
            vec!["a\\b.pdf"],
        ] {
            let files: Vec<(String, Vec<u8>)> =
                names.iter().map(|n| (n.to_string(), vec![1])).collect();
            assert!(
                matches!(zip(&files), Err(DocError::Invalid(_))),
                "{names:?} accepted"
            );
        }
    }

    fn form(sample_no: &str, product: &str) -> SamplingForm {
        SamplingForm {
            sample_no: sample_no.into(),
            plan_code: "QH-2026-SJ-001".into(),
            plan_name: "2026年青海省食品安全监督抽检".into(),
            plan_kind: "监督抽检".into(),
            plan_level: "省级".into(),
            domain: "食品".into(),
            category: "肉制品".into(),
            stage: "流通".into(),
            entity_name: "西宁市城中区某某超市有限公司".into(),
            entity_uscc: "91630100MA7XXXXX0X".into(),
            entity_kind: "经营者".into(),
            entity_address: "青海省西宁市城中区南大街1号".into(),
            product_name: product.into(),
            sampled_at: "2026-03-01 10:30".into(),
            sampling_place: "超市货架".into(),
            samplers: vec!["张三".into(), "李四".into()],
            inspection_quantity: "4 袋".into(),
            storage: "常温".into(),
            sampling_unit: "青海省食品检验检测院".into(),
            ..SamplingForm::default()
        }
    }

    fn inputs() -> Vec<Vec<u8>> {
        let a = render_sampling_form(&form("F202663010200001", "青海牦牛肉干"), "https://x/s/1")
            .expect("pdf");
        let b = render_sampling_form(&form("F202663010200002", "黑枸杞原浆"), "https://x/s/2")
            .expect("pdf");
        let notice = crate::notice::NoticeDoc {
            notice_no: "QHJ2026000009-TZ".into(),
            issuer: "青海省市场监督管理局".into(),
            entity_name: "西宁市城中区某某超市有限公司".into(),
            product_name: "青稞酒".into(),
            failed: vec![crate::notice::FailedItem {
                item: "酒精度".into(),
                limit: "52±1.0".into(),
                result: "49.6".into(),
                unit: "%vol".into(),
                standard: "GB/T 10781.1-2021".into(),
            }],
            ..Default::default()
        };
        vec![a, render_notice(&notice).expect("notice"), b]
    }

    #[test]
    fn merged_pdf_has_every_page_in_order_and_is_deterministic() {
        let pdfs = inputs();
        let started = std::time::Instant::now();
        let merged = merge_pdfs(&pdfs).expect("merge");
        let took = started.elapsed();
        let want: usize = pdfs.iter().map(|p| pdf_pages(p)).sum();
        assert_eq!(want, 4);
        assert_eq!(pdf_pages(&merged), want);
        let text: String = pdf_text(&merged).split_whitespace().collect();
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} not in the merged text:\n{text}"))
        };
        let order = [
            at("F202663010200001"),
            at("QHJ2026000009-TZ"),
            at("送达回证"),
            at("F202663010200002"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(at("青海牦牛肉干") < at("黑枸杞原浆"));
        assert!(
            merged == merge_pdfs(&pdfs).expect("merge"),
            "not deterministic"
        );
        // A merge of one is still a valid PDF of the same pages.
        assert_eq!(pdf_pages(&merge_pdfs(&pdfs[..1]).expect("merge")), 1);
        eprintln!(
            "merged {} + {} + {} bytes into {} bytes in {took:?}",
            pdfs[0].len(),
            pdfs[1].len(),
            pdfs[2].len(),
            merged.len()
        );
    }

    #[test]
    fn merging_nothing_or_garbage_is_an_error() {
        assert!(matches!(merge_pdfs(&[]), Err(DocError::Invalid(_))));
        let good = inputs().remove(0);
        for bad in [
            b"not a pdf at all".to_vec(),
            Vec::new(),
            good[..good.len() / 2].to_vec(),
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
                .to_vec(),
        ] {
            let r = merge_pdfs(&[good.clone(), bad]);
            assert!(matches!(r, Err(DocError::Pdf(_))), "{r:?}");
        }
    }
}
