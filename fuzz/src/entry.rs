//! What each fuzz target does with one input. Each function must never panic, whatever
//! the bytes: a panic is a crash the fuzzer reports. Besides "no panic", each checks a
//! few properties that must hold for every input it accepts.
//!
//! This file is compiled twice: by the fuzz crate (fuzz/), and by the normal test suite
//! (tests/fuzz_replay.rs), which replays the committed corpora and regressions through
//! these same functions. So it uses only `serde_json` and the pure crates, which both
//! depend on (`lims_domain`, `lims_documents`).

use lims_documents::labels::{labels_for, parse_template, render_svg, render_zpl, LabelSample};
use lims_domain::judgment::{parse_result, read_and_judge, Dec, Limit, LimitKind, MicroPlan};
use lims_domain::sample::{check_quantity, looks_like_sample_no, parse_scan, ScannedPortion};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets, by the name of their corpus folder.
pub const TARGETS: [(&str, Target); 4] = [
    ("result", result),
    ("scan", scan),
    ("template", template),
    ("bodies", bodies),
];

fn dec(s: &str) -> Dec {
    Dec::parse(s).expect("a fixed decimal")
}

/// The limits a result is read against: each kind, a range, a microbiological plan.
fn limits() -> Vec<Limit> {
    let base = Limit {
        kind: LimitKind::Max,
        min: None,
        max: None,
        unit: String::new(),
        lod: None,
        micro: None,
    };
    vec![
        Limit {
            max: Some(dec("0.2")),
            unit: "mg/kg".into(),
            ..base.clone()
        },
        Limit {
            kind: LimitKind::Min,
            min: Some(dec("2.9")),
            unit: "g/100g".into(),
            ..base.clone()
        },
        Limit {
            kind: LimitKind::Range,
            min: Some(dec("12")),
            max: Some(dec("18")),
            unit: "°T".into(),
            ..base.clone()
        },
        Limit {
            kind: LimitKind::NotDetected,
            unit: "μg/kg".into(),
            lod: Some(dec("0.5")),
            ..base.clone()
        },
        Limit {
            kind: LimitKind::Qualitative,
            ..base.clone()
        },
        Limit {
            min: Some(dec("5000")),
            max: Some(dec("50000")),
            unit: "CFU/g".into(),
            micro: Some(MicroPlan { n: 5, c: 2 }),
            ..base
        },
    ]
}

/// The units a technician may write beside a result.
const UNITS: [Option<&str>; 5] = [None, Some("mg/kg"), Some("μg/kg"), Some("%"), Some("CFU/g")];

/// Reads `text` against every limit, judges it, and checks that a number read from
/// the text prints as text that reads back as the same number.
fn read_everywhere(text: &str, unit: Option<&str>, lod: Option<Dec>) {
    for limit in limits() {
        if let Ok(parsed) = parse_result(text, &limit) {
            assert_eq!(parsed.text, text, "the entered text is kept unaltered");
            if let Some(n) = parsed.number {
                assert_eq!(Dec::parse(&n.to_string()), Some(n), "{n} reads back");
            }
        }
        let _ = read_and_judge(text, unit, lod, &limit);
    }
}

/// The result parser: the input is a result text (lossy UTF-8), its first byte also
/// picks a unit and whether an LOD is given with it.
pub fn result(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let pick = data.first().copied().unwrap_or(0) as usize;
    let lod = (pick & 8 != 0).then(|| dec("0.01"));
    read_everywhere(&text, UNITS[pick % UNITS.len()], lod);
    if let Some(d) = Dec::parse(&text) {
        assert_eq!(Dec::parse(&d.to_string()), Some(d), "{d} reads back");
    }
}

/// The scan parser: whatever a scanner typed. A number it accepts has the sample
/// number's shape and is read the same when scanned bare or in a label URL.
pub fn scan(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some((no, portion)) = parse_scan(&text) {
        assert!(looks_like_sample_no(&no), "{no:?} has the shape");
        assert_eq!(
            parse_scan(&no),
            Some((no.clone(), ScannedPortion::Inspection))
        );
        let url = format!("https://lims.example/s/{no}");
        assert_eq!(
            parse_scan(&url),
            Some((no.clone(), ScannedPortion::Inspection))
        );
        assert_eq!(
            parse_scan(&format!("{url}#B")),
            Some((no.clone(), ScannedPortion::Backup))
        );
        // Scanned as written, its portion reads back the same in a URL.
        let written = if portion == ScannedPortion::Backup {
            format!("{url}#b")
        } else {
            url
        };
        assert_eq!(parse_scan(&written), Some((no, portion)));
    }
}

/// The label template parser: any text as a template file. A template it accepts has
/// a place for every label on its page.
pub fn template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = parse_template("fuzz.toml", &text) {
        let (w, h) = t.label_size_mm();
        assert!(w > 0.0 && h > 0.0, "a label has a size: {w} × {h}");
        let per_page = t.labels_per_page();
        assert!(per_page >= 1);
        for slot in 0..per_page.min(1000) {
            let (x, y) = t.slot_origin_mm(slot);
            assert!(x.is_finite() && y.is_finite());
        }
        // Whatever it accepts, it prints: as ZPL and as SVG.
        let sample: LabelSample = serde_json::from_str(
            r#"{"sample_no": "F202663010200123", "product_name": "散装白酒（高粱酒）五十二度",
                "sampled_on": "2026-03-02", "storage": "常温", "entity_name": "城中区某某商行",
                "has_backup": true}"#,
        )
        .expect("a fixed sample");
        // One portion (its label and its seal strip): the backup's differ only in words.
        let labels = labels_for(&sample, "https://lims.example");
        let _ = render_zpl(&t, &labels[..2]);
        for label in &labels[..2] {
            let _ = render_svg(&t, label);
        }
    }
}

/// The JSON bodies of the main endpoints: the first byte picks the body type, the rest
/// is the JSON. A body that deserializes goes through the checks the server runs on it
/// before it reads the database.
pub fn bodies(data: &[u8]) {
    use lims_domain::forms::{
        clean_text, BulkInput, EventInput, NominationInput, ResultInput, ReviewInput, SampleInput,
    };

    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    match pick % 6 {
        0 => {
            if let Ok(s) = serde_json::from_slice::<SampleInput>(json) {
                for (v, max) in [
                    (Some(&s.product_name), 200),
                    (s.brand.as_ref(), 100),
                    (s.notes.as_ref(), 2000),
                    (Some(&s.unit), 20),
                ] {
                    let _ = clean_text(v.map_or("", |v| v), max, false);
                }
                let _ = s.domain.parse::<lims_domain::rules::Domain>();
                let _ = s.stage.parse::<lims_domain::sample::Stage>();
                let _ = s.storage.parse::<lims_domain::sample::Storage>();
                {
                    use lims_domain::sample_fields::{self as f, parse_vocab};
                    let key = |v: &Option<String>| v.clone().unwrap_or_default();
                    let _ = parse_vocab::<f::Packaging>(&key(&s.packaging));
                    let _ = parse_vocab::<f::PhysicalForm>(&key(&s.sample_form));
                    let _ = parse_vocab::<f::SampleSource>(&key(&s.sample_source));
                    let _ = parse_vocab::<f::SamplingMethod>(&key(&s.sampling_method));
                    let _ = parse_vocab::<f::AreaType>(&key(&s.area_type));
                    let licence = key(&s.manufacturer_licence_no);
                    let _ = lims_domain::licence::licence_error(&licence);
                }
                for q in [
                    Some(&s.quantity),
                    s.backup_quantity.as_ref(),
                    s.price.as_ref(),
                    s.unit_price.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    if let Some(checked) = check_quantity(&q.text()) {
                        assert_eq!(check_quantity(&checked), Some(checked.clone()));
                    }
                }
                // The dates are compared in China's time.
                let day = lims_domain::local_time::local_date(s.sampled_at.naive_utc());
                std::hint::black_box(s.production_date.map(|produced| produced > day));
            }
        }
        1 => {
            if let Ok(r) = serde_json::from_slice::<ResultInput>(json) {
                let lod = r.lod.as_ref().and_then(|l| Dec::parse(l.text().trim()));
                read_everywhere(&r.result_text, r.unit.as_deref(), lod);
            }
        }
        2 => {
            if let Ok(b) = serde_json::from_slice::<BulkInput>(json) {
                for row in b.results.iter().take(20) {
                    let lod = row.lod.as_ref().and_then(|l| Dec::parse(l.text().trim()));
                    read_everywhere(&row.result_text, row.unit.as_deref(), lod);
                }
            }
        }
        3 => {
            if let Ok(r) = serde_json::from_slice::<ReviewInput>(json) {
                let _ = clean_text(r.note.as_deref().unwrap_or(""), 1000, false);
            }
        }
        4 => {
            if let Ok(e) = serde_json::from_slice::<EventInput>(json) {
                let _ = e.kind.trim().parse::<lims_domain::disposal::StepKind>();
                let _ = clean_text(e.note.as_deref().unwrap_or(""), 1000, false);
                let _ = lims_domain::disposal::local_date(e.at.naive_utc());
            }
        }
        _ => {
            if let Ok(n) = serde_json::from_slice::<NominationInput>(json) {
                use lims_domain::forms::{CONTACT_MAX, PLACE_MAX, PRODUCT_MAX, REASON_MAX};
                let _ = clean_text(&n.product, PRODUCT_MAX, true);
                let _ = clean_text(&n.place, PLACE_MAX, true);
                let _ = clean_text(&n.reason, REASON_MAX, false);
                if let Ok(c) = clean_text(n.contact.as_deref().unwrap_or(""), CONTACT_MAX, false) {
                    let _ = lims_domain::nomination::valid_contact(&c);
                }
                if let Some(r) = &n.region_code {
                    let _ = lims_domain::region::RegionCode::parse(r.trim());
                }
            }
        }
    }
}
