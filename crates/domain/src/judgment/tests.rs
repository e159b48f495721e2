//! Unit tests of reading results and judging them.

use super::*;

fn d(s: &str) -> Dec {
    Dec::parse(s).unwrap()
}

/// Builds a limit from a short description:
/// "max 0.2 mg/kg", "min 2.9 g/100g", "range 12 18 °T", "nd μg/kg",
/// "qual", "plan 5 2 5000 50000 CFU/mL", "ndplan 5 0 CFU/250mL";
/// any of them may end in "lod 0.5".
fn limit(description: &str) -> Limit {
    let mut words: Vec<&str> = description.split(' ').collect();
    let mut lod = None;
    if let Some(i) = words.iter().position(|w| *w == "lod") {
        lod = Some(d(words[i + 1]));
        words.truncate(i);
    }
    let unit = |i: usize| words.get(i).map_or(String::new(), |u| (*u).to_string());
    let base = Limit {
        kind: LimitKind::Max,
        min: None,
        max: None,
        unit: String::new(),
        lod,
        micro: None,
    };
    match words[0] {
        "max" => Limit {
            max: Some(d(words[1])),
            unit: unit(2),
            ..base
        },
        "min" => Limit {
            kind: LimitKind::Min,
            min: Some(d(words[1])),
            unit: unit(2),
            ..base
        },
        "range" => Limit {
            kind: LimitKind::Range,
            min: Some(d(words[1])),
            max: Some(d(words[2])),
            unit: unit(3),
            ..base
        },
        "nd" => Limit {
            kind: LimitKind::NotDetected,
            unit: unit(1),
            ..base
        },
        "qual" => Limit {
            kind: LimitKind::Qualitative,
            ..base
        },
        "plan" => Limit {
            min: Some(d(words[3])),
            max: Some(d(words[4])),
            unit: unit(5),
            micro: Some(MicroPlan {
                n: words[1].parse().unwrap(),
                c: words[2].parse().unwrap(),
            }),
            ..base
        },
        "ndplan" => Limit {
            kind: LimitKind::NotDetected,
            unit: unit(3),
            micro: Some(MicroPlan {
                n: words[1].parse().unwrap(),
                c: words[2].parse().unwrap(),
            }),
            ..base
        },
        "nomax" => base,
        "badrange" => Limit {
            kind: LimitKind::Range,
            min: Some(d("18")),
            max: Some(d("12")),
            ..base
        },
        other => panic!("unknown limit description {other}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Pass,
    Fail,
    Err(&'static str),
}
use Want::{Err as E, Fail as F, Pass as P};

struct Case {
    limit: &'static str,
    text: String,
    unit: Option<&'static str>,
    lod: Option<&'static str>,
    want: Want,
}

fn c(
    limit: &'static str,
    text: impl Into<String>,
    unit: Option<&'static str>,
    lod: Option<&'static str>,
    want: Want,
) -> Case {
    Case {
        limit,
        text: text.into(),
        unit,
        lod,
        want,
    }
}

fn error_kind(e: &ResultError) -> &'static str {
    match e {
        ResultError::Empty => "Empty",
        ResultError::TooLong(_) => "TooLong",
        ResultError::Unreadable(_) => "Unreadable",
        ResultError::Negative => "Negative",
        ResultError::WrongCount { .. } => "WrongCount",
        ResultError::Unit { .. } => "Unit",
        ResultError::LodAboveLimit { .. } => "LodAboveLimit",
        ResultError::BadLimit(_) => "BadLimit",
        ResultError::Mismatch { .. } => "Mismatch",
    }
}

const MAX_PB: &str = "max 0.2 mg/kg";
const MIN_PROTEIN: &str = "min 2.9 g/100g";
const RANGE_ACIDITY: &str = "range 12 18 °T";
const ND_DRUG: &str = "nd μg/kg lod 0.5";
const ND_NO_LOD: &str = "nd μg/kg";
const QUAL: &str = "qual";
const PLAN: &str = "plan 5 2 5000 50000 CFU/mL";
const WATER: &str = "ndplan 5 0 CFU/250mL";

fn cases() -> Vec<Case> {
    let u = Some;
    vec![
        // Max: at, under, over the limit; exact decimals.
        c(MAX_PB, "0.2", None, None, P),
        c(MAX_PB, "0.200", None, None, P),
        c(MAX_PB, "0.19", None, None, P),
        c(MAX_PB, "0.2000001", None, None, F),
        c(MAX_PB, "0.21", None, None, F),
        c(MAX_PB, "0", None, None, P),
        c(MAX_PB, " 0.2 ", None, None, P),
        // Max with unit conversion (μ, µ, u spellings).
        c(MAX_PB, "200", u("μg/kg"), None, P),
        c(MAX_PB, "201", u("μg/kg"), None, F),
        c(MAX_PB, "200", u("µg/kg"), None, P),
        c(MAX_PB, "200.0001", u("ug/kg"), None, F),
        c(MAX_PB, "0.2", u("MG / KG"), None, P),
        c(MAX_PB, "0.2", u(""), None, P),
        c("max 10 μg/kg", "0.01", u("mg/kg"), None, P),
        c("max 10 μg/kg", "0.0101", u("mg/kg"), None, F),
        c("max 10 µg/kg", "10", u("ug/kg"), None, P),
        c("max 0.25 g/100g", "2.5", u("g/kg"), None, P),
        c("max 0.25 g/100g", "2.6", u("g/kg"), None, F),
        c("max 2.5 g/kg", "0.25", u("g/100g"), None, P),
        c("max 2.5 g/kg", "0.26", u("%"), None, F),
        c("max 2500 mg/kg", "0.25", u("%"), None, P),
        c("max 0.25 %", "2500", u("mg/kg"), None, P),
        c("max 0.25 %", "2501", u("mg/kg"), None, F),
        c("max 1.0 g/kg", "1000", u("mg/kg"), None, P),
        c("max 15 mg/100g", "150", u("mg/kg"), None, P),
        c("max 0.6 g/L", "600", u("mg/L"), None, P),
        c("max 0.6 g/L", "0.601", u("mg/mL"), None, F),
        c("max 0.05 mg/L", "50", u("μg/L"), None, P),
        c(MAX_PB, "0.2", u("mg/L"), None, E("Unit")),
        c(MAX_PB, "0.2", u("CFU/g"), None, E("Unit")),
        // Max against "<", "<LOD", "ND".
        c(MAX_PB, "<0.01", None, None, P),
        c(MAX_PB, "< 0.01", None, None, P),
        c(MAX_PB, "＜0.01", None, None, P),
        c(MAX_PB, "<0.2", None, None, P),
        c(MAX_PB, "<0.3", None, None, E("LodAboveLimit")),
        c(MAX_PB, "<LOD", None, u("0.01"), P),
        c(MAX_PB, "<lod", None, None, P),
        c("max 0.2 mg/kg lod 0.01", "<检出限", None, None, P),
        c(MAX_PB, "低于检出限", None, u("0.5"), E("LodAboveLimit")),
        c(MAX_PB, "<LOD", u("μg/kg"), u("10"), P),
        c(MAX_PB, "ND", None, None, P),
        c(MAX_PB, "未检出", None, u("-0.1"), E("Negative")),
        c(MAX_PB, "阴性", None, None, E("Mismatch")),
        // Comma decimals, scientific notation, full-width digits.
        c(MAX_PB, "0,05", None, None, P),
        c(MAX_PB, "0,25", None, None, F),
        c(MAX_PB, "1,000", None, None, E("Unreadable")),
        c(MAX_PB, "2E-1", None, None, P),
        c(MAX_PB, "2.1e-1", None, None, F),
        c(MAX_PB, "1.5×10^-1", None, None, P),
        c(MAX_PB, "2 x 10⁻¹", None, None, P),
        c(MAX_PB, "2.01*10^-1", None, None, F),
        c(MAX_PB, "０.２", None, None, P),
        c(MAX_PB, "０．２１", None, None, F),
        // Unreadable and hostile texts.
        c(MAX_PB, "abc", None, None, E("Unreadable")),
        c(MAX_PB, "--", None, None, E("Unreadable")),
        c(MAX_PB, "-", None, None, E("Unreadable")),
        c(MAX_PB, "1..2", None, None, E("Unreadable")),
        c(MAX_PB, "1 2", None, None, E("Unreadable")),
        c(MAX_PB, "", None, None, E("Empty")),
        c(MAX_PB, " \u{3000} ", None, None, E("Empty")),
        c(MAX_PB, "1".repeat(1 << 20), None, None, E("TooLong")),
        c(MAX_PB, "NaN", None, None, E("Unreadable")),
        c(MAX_PB, "inf", None, None, E("Unreadable")),
        c(MAX_PB, "1e309", None, None, E("Unreadable")),
        c(MAX_PB, "1×10^31", None, None, E("Unreadable")),
        c(MAX_PB, "<0", None, None, E("Unreadable")),
        c(MAX_PB, "-0.5", None, None, E("Negative")),
        c(MAX_PB, "−0.5", None, None, E("Negative")),
        c(MAX_PB, "<-1", None, None, E("Negative")),
        c(MAX_PB, "0.2mg/kg", None, None, E("Unreadable")),
        // Min.
        c(MIN_PROTEIN, "2.9", None, None, P),
        c(MIN_PROTEIN, "2.89", None, None, F),
        c(MIN_PROTEIN, "3.0", None, None, P),
        c(MIN_PROTEIN, "29", u("g/kg"), None, P),
        c(MIN_PROTEIN, "28.99", u("g/kg"), None, F),
        c(MIN_PROTEIN, "<0.5", None, None, F),
        c(MIN_PROTEIN, "未检出", None, None, F),
        c(MIN_PROTEIN, "<5", None, None, E("LodAboveLimit")),
        c(MIN_PROTEIN, "合格", None, None, E("Mismatch")),
        c("min 0.4 g/100mL", "4", u("g/L"), None, P),
        // Range, both ends inclusive.
        c(RANGE_ACIDITY, "12", None, None, P),
        c(RANGE_ACIDITY, "18", None, None, P),
        c(RANGE_ACIDITY, "15", u("°t"), None, P),
        c(RANGE_ACIDITY, "11.99", None, None, F),
        c(RANGE_ACIDITY, "18.01", None, None, F),
        c(RANGE_ACIDITY, "ND", None, None, F),
        c(RANGE_ACIDITY, "<5", None, None, F),
        c(RANGE_ACIDITY, "<13", None, None, E("LodAboveLimit")),
        c("range 0 18 °T", "<13", None, None, P),
        c("range 0 18 °T", "<19", None, None, E("LodAboveLimit")),
        c("badrange", "15", None, None, E("BadLimit")),
        c("nomax", "0.1", None, None, E("BadLimit")),
        // Not detected (不得检出).
        c(ND_DRUG, "未检出", None, None, P),
        c(ND_DRUG, "ND", None, None, P),
        c(ND_DRUG, "N.D.", None, None, P),
        c(ND_DRUG, "n.d", None, None, P),
        c(ND_DRUG, "not detected", None, None, P),
        c(ND_DRUG, "Not  Detected", None, None, P),
        c(ND_DRUG, "<LOD", None, None, P),
        c(ND_DRUG, "<0.5", None, None, P),
        c(ND_DRUG, "<0.3", None, None, P),
        c(ND_DRUG, "<1", None, None, E("LodAboveLimit")),
        c(ND_DRUG, "未检出(<0.5)", None, None, P),
        c(ND_DRUG, "未检出（<1）", None, None, E("LodAboveLimit")),
        c(ND_DRUG, "ND (检出限: 0.2)", None, None, P),
        c(ND_DRUG, "0.49", None, None, P),
        c(ND_DRUG, "0.5", None, None, F),
        c(ND_DRUG, "1.2", None, None, F),
        c(ND_DRUG, "0", None, None, P),
        c(ND_DRUG, "0.4", None, u("0.3"), F),
        c(ND_DRUG, "0.0004", u("mg/kg"), u("0.0005"), P),
        c(ND_DRUG, "0.0005", u("mg/kg"), None, F),
        c(ND_DRUG, "阴性", None, None, P),
        c(ND_DRUG, "阳性", None, None, F),
        c(ND_DRUG, "检出", None, None, F),
        c(ND_NO_LOD, "0", None, None, P),
        c(ND_NO_LOD, "0.001", None, None, F),
        c(ND_NO_LOD, "<0.1", None, None, P),
        c(ND_NO_LOD, "未检出", None, None, P),
        c(ND_NO_LOD, "10;20", None, None, E("Unreadable")),
        // Qualitative, both languages, both ways.
        c(QUAL, "阴性", None, None, P),
        c(QUAL, "negative", None, None, P),
        c(QUAL, "Negative", None, None, P),
        c(QUAL, "符合", None, None, P),
        c(QUAL, "符合要求", None, None, P),
        c(QUAL, "合格", None, None, P),
        c(QUAL, "符合规定", None, None, P),
        c(QUAL, "未检出", None, None, P),
        c(QUAL, "阳性", None, None, F),
        c(QUAL, "POSITIVE", None, None, F),
        c(QUAL, "不符合", None, None, F),
        c(QUAL, "不合格", None, None, F),
        c(QUAL, "不符合规定", None, None, F),
        c(QUAL, "检出", None, None, F),
        c(QUAL, "0.5", None, None, E("Mismatch")),
        c(QUAL, "<0.5", None, None, E("Mismatch")),
        c(QUAL, "阴性", u("mg/kg"), u("0.1"), P),
        // Sampling plan n=5, c=2, m=5000, M=50000.
        c(PLAN, "100;200;300;400;500", None, None, P),
        c(PLAN, "6000;7000;100;200;300", None, None, P),
        c(PLAN, "6000;7000;8000;200;300", None, None, F),
        c(PLAN, "60000;100;100;100;100", None, None, F),
        c(PLAN, "50000;50000;100;100;100", None, None, P),
        c(PLAN, "5000;5000;5000;5000;5000", None, None, P),
        c(PLAN, "100;200;300;400", None, None, E("WrongCount")),
        c(PLAN, "100;200;300;400;500;600", None, None, E("WrongCount")),
        c(PLAN, "100", None, None, E("WrongCount")),
        c(PLAN, "<10", None, None, E("WrongCount")),
        c(PLAN, "<10;<10;<10;<10;<10", None, None, P),
        c(PLAN, "<10、20、30、40、50", None, None, P),
        c(PLAN, "10 20 30 40 50", None, None, P),
        c(PLAN, "10,20,30,40,50", None, None, P),
        c(PLAN, "10，20；30 ;40/50;", None, None, P),
        c(PLAN, "1.2×10^4;5.5×10³;100;<10;未检出", None, None, P),
        c(
            PLAN,
            "1.2 × 10^4 ; 5.5×10³; 6x10^3; <10; 未检出",
            None,
            None,
            F,
        ),
        c(PLAN, "5.1E4;1;1;1;1", None, None, F),
        c(PLAN, "未检出", None, None, P),
        c(PLAN, "阴性", None, None, E("Mismatch")),
        c(PLAN, "10;20;abc;40;50", None, None, E("Unreadable")),
        c(PLAN, "10;20;-3;40;50", None, None, E("Negative")),
        c(PLAN, "<6000;100;100;100;100", None, None, P),
        c(
            PLAN,
            "<6000;<6000;<6000;100;100",
            None,
            None,
            E("LodAboveLimit"),
        ),
        c(
            PLAN,
            "<6000;6000;6000;100;100",
            None,
            None,
            E("LodAboveLimit"),
        ),
        c(PLAN, "<6000;6000;6000;6000;100", None, None, F),
        c(
            PLAN,
            "<60000;100;100;100;100",
            None,
            None,
            E("LodAboveLimit"),
        ),
        c("plan 5 2 5 50 CFU/g", "<10;1;1;1;1", None, None, P),
        c(
            "plan 5 0 5 50 CFU/g",
            "<10;1;1;1;1",
            None,
            None,
            E("LodAboveLimit"),
        ),
        c(PLAN, "10;20;30;40;50", u("CFU/g"), None, E("Unit")),
        c(
            "plan 5 2 50000 100000 CFU/g(mL)",
            "1;2;3;4;5",
            u("CFU/g"),
            None,
            P,
        ),
        c(
            "plan 5 2 50000 100000 CFU/g(mL)",
            "1;2;3;4;5",
            u("CFU/mL"),
            None,
            P,
        ),
        c("plan 1 0 100 1000 CFU/g", "150", None, None, F),
        // Not-detected plan: drinking-water coliforms, n=5, c=0.
        c(WATER, "未检出;未检出;未检出;未检出;未检出", None, None, P),
        c(WATER, "未检出", None, None, P),
        c(WATER, "ND ND ND ND ND", None, None, P),
        c(WATER, "0;0;0;0;0", None, None, P),
        c(WATER, "未检出;未检出;1;未检出;未检出", None, None, F),
        c(WATER, "阳性", None, None, F),
        c(WATER, "未检出;未检出", None, None, E("WrongCount")),
        c(WATER, "0", None, None, E("WrongCount")),
    ]
}

#[test]
fn every_case_in_the_table_is_judged_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let lim = limit(case.limit);
        let lod = case.lod.map(d);
        let got = match read_and_judge(&case.text, case.unit, lod, &lim) {
            Ok((_, Judgment::Pass)) => P,
            Ok((_, Judgment::Fail)) => F,
            Err(e) => E(error_kind(&e)),
        };
        if got != case.want {
            let shown: String = case.text.chars().take(40).collect();
            wrong.push(format!(
                "{} | {shown:?} | unit {:?} | lod {:?}: want {:?}, got {got:?}",
                case.limit, case.unit, case.lod, case.want
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_text_is_kept_exactly_as_entered() {
    let lim = limit(MAX_PB);
    for text in [
        "0.050",
        " 0.050 ",
        "0,050",
        "＜0.01",
        "N.D.",
        "1.2×10³",
        "未检出(<0.01)",
    ] {
        let parsed = parse_result(text, &lim).unwrap();
        assert_eq!(parsed.text, text);
    }
    let parsed = parse_result("0.050", &lim).unwrap();
    assert_eq!(parsed.reading, Reading::Number(d("0.05")));
    assert_eq!(parsed.number, Some(d("0.05")));
    assert_eq!(parsed.number.unwrap().to_string(), "0.05");
}

#[test]
fn readings_have_the_expected_shape() {
    let lim = limit(MAX_PB);
    let read = |t: &str| parse_result(t, &lim).unwrap();
    assert_eq!(read("<LOD").reading, Reading::BelowLod);
    assert_eq!(read("<LOD").number, None);
    assert_eq!(read("＜0.01").reading, Reading::LessThan(d("0.01")));
    assert_eq!(read("＜0.01").number, Some(d("0.01")));
    assert_eq!(read("未检出(<0.01)").reading, Reading::LessThan(d("0.01")));
    assert_eq!(read("未检出(<LOD)").reading, Reading::BelowLod);
    assert_eq!(read("n.d.").reading, Reading::NotDetected);
    assert_eq!(read("1.2×10³").reading, Reading::Number(d("1200")));
    assert_eq!(read("1.2X10^-3").reading, Reading::Number(d("0.0012")));
    assert_eq!(read("10^3").reading, Reading::Number(d("1000")));
    assert_eq!(read("符合规定").reading, Reading::Negative);
    assert_eq!(read("不符合规定").reading, Reading::Positive);
    let plan = limit(PLAN);
    let counts = parse_result("<10; 2.5×10^3; 未检出; 40; 7", &plan).unwrap();
    assert_eq!(
        counts.reading,
        Reading::Counts(vec![
            Reading::LessThan(d("10")),
            Reading::Number(d("2500")),
            Reading::NotDetected,
            Reading::Number(d("40")),
            Reading::Number(d("7")),
        ])
    );
    assert_eq!(counts.number, Some(d("2500")));
    // With a plan, a comma separates counts; without, it is a decimal mark.
    assert_eq!(
        parse_result("0,5", &plan).unwrap().reading,
        Reading::Counts(vec![Reading::Number(Dec::ZERO), Reading::Number(d("5"))])
    );
    assert_eq!(read("0,5").reading, Reading::Number(d("0.5")));
}

#[test]
fn decimals_are_parsed_and_compared_exactly() {
    assert_eq!(d("0.3"), d("0.30"));
    assert_eq!(d("1e-3"), d("0.001"));
    assert_eq!(d("2E4"), d("20000"));
    assert_eq!(d("1.5e-3"), d("0.0015"));
    assert_eq!(d("-0"), Dec::ZERO);
    assert_eq!(d("000.000"), Dec::ZERO);
    assert_eq!(d(".5"), d("0.5"));
    assert_eq!(d("+7"), d("7"));
    // The float pitfall does not arise: 0.1 + 0.2 as floats is not 0.3.
    assert_ne!(d("0.30000000000000004"), d("0.3"));
    assert_eq!(
        d("0.30000000000000004").cmp_exact(&d("0.3")),
        Ordering::Greater
    );
    assert_eq!(d("0.2").cmp_exact(&d("0.2000001")), Ordering::Less);
    assert_eq!(d("-1").cmp_exact(&d("-0.5")), Ordering::Less);
    assert_eq!(d("-1").cmp_exact(&d("0")), Ordering::Less);
    assert!(d("1e30") > d("1e-30"));
    assert!(d("170141183460469231731687303715884105727") > d("1e-30"));
    assert!(d("0.000000000000000000000000000001") < d("99999999999999999999999999999999999999"));
    assert!(d("12") == d("12.000"));
    // Canonical text.
    assert_eq!(d("0.050").to_string(), "0.05");
    assert_eq!(d("2E4").to_string(), "20000");
    assert_eq!(d("1.5e-3").to_string(), "0.0015");
    assert_eq!(d("-12.340").to_string(), "-12.34");
    assert_eq!(d("0").to_string(), "0");
    assert_eq!(d("0.050").to_f64(), 0.05);
    // Exact scaling.
    assert_eq!(d("0.2").mul_pow10(3), Some(d("200")));
    assert_eq!(d("200").mul_pow10(-3), Some(d("0.2")));
    assert_eq!(d("20000").mul_pow10(-2), Some(d("200")));
    assert_eq!(d("1e30").mul_pow10(30), None);
    assert_eq!(Dec::ZERO.mul_pow10(i32::MIN), Some(Dec::ZERO));
    assert_eq!(d("1").mul_pow10(i32::MIN), None);
    assert!(d("-0.5").is_negative());
    assert!(!d("0.5").is_negative());
    // Refused.
    for bad in [
        "",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "1e31",
        "1e-31",
        "1e309",
        ".",
        "e3",
        "1e",
        "1.2.3",
        "1 ",
        " 1",
        "+-1",
        "0x10",
        "1,5",
        "999999999999999999999999999999999999999999",
    ] {
        assert_eq!(Dec::parse(bad), None, "{bad:?}");
    }
    // Long but small is fine: trailing zeros do not overflow.
    assert_eq!(d(&format!("1.{}", "0".repeat(100))), Dec::ONE);
}

#[test]
fn units_convert_exactly_both_ways() {
    let conv = |v: &str, from: &str, to: &str| convert(d(v), from, to);
    assert_eq!(conv("0.2", "mg/kg", "μg/kg"), Some(d("200")));
    assert_eq!(conv("200", "μg/kg", "mg/kg"), Some(d("0.2")));
    assert_eq!(conv("200", "µg/kg", "mg/kg"), Some(d("0.2")));
    assert_eq!(conv("200", "ug/kg", "mg/kg"), Some(d("0.2")));
    assert_eq!(conv("5", "µg/kg", "μg/kg"), Some(d("5")));
    assert_eq!(conv("0.25", "g/100g", "g/kg"), Some(d("2.5")));
    assert_eq!(conv("2.5", "g/kg", "g/100g"), Some(d("0.25")));
    assert_eq!(conv("1", "%", "mg/kg"), Some(d("10000")));
    assert_eq!(conv("10000", "mg/kg", "%"), Some(d("1")));
    assert_eq!(conv("1", "%", "g/100g"), Some(d("1")));
    assert_eq!(conv("15", "mg/100g", "mg/kg"), Some(d("150")));
    assert_eq!(conv("1", "ng/kg", "g/kg"), Some(d("1e-9")));
    assert_eq!(conv("1", "mg/mL", "g/L"), Some(d("1")));
    assert_eq!(conv("0.05", "mg/L", "μg/L"), Some(d("50")));
    assert_eq!(conv("3", "CFU/g", "cfu/g"), Some(d("3")));
    assert_eq!(conv("3", "MPN/100mL", "MPN/100 mL"), Some(d("3")));
    assert_eq!(conv("3", "CFU/g", "CFU/g(mL)"), Some(d("3")));
    assert_eq!(conv("3", "°T", "°T"), Some(d("3")));
    assert_eq!(conv("3", "ｍｇ／ｋｇ", "mg/kg"), Some(d("3")));
    assert_eq!(conv("3", "CFU/g", "CFU/mL"), None);
    assert_eq!(conv("3", "MPN/g", "CFU/g"), None);
    assert_eq!(conv("3", "mg/kg", "mg/L"), None);
    assert_eq!(conv("3", "%", "g/100mL"), None);
    assert_eq!(conv("3", "mg/kg", ""), None);
    assert_eq!(conv("3", "furlong", "mg/kg"), None);
}

#[test]
fn limit_kinds_and_plans_read_their_words() {
    for kind in [
        LimitKind::Max,
        LimitKind::Min,
        LimitKind::Range,
        LimitKind::NotDetected,
        LimitKind::Qualitative,
    ] {
        assert_eq!(LimitKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(
        LimitKind::parse("not_permitted"),
        Some(LimitKind::NotDetected)
    );
    assert_eq!(LimitKind::parse("n5_c2_m_M"), Some(LimitKind::Max));
    assert_eq!(LimitKind::parse("maximum"), None);
    assert_eq!(
        MicroPlan::from_comparison("n5_c2_m_M"),
        Some(MicroPlan { n: 5, c: 2 })
    );
    assert_eq!(MicroPlan::from_comparison("n_c2_m_M"), None);
    assert_eq!(Judgment::Pass.as_str(), "pass");
    assert_eq!(Judgment::Fail.as_str(), "fail");
}

#[test]
fn every_error_has_a_chinese_message() {
    let errors = [
        ResultError::Empty,
        ResultError::TooLong(300),
        ResultError::Unreadable("abc".into()),
        ResultError::Negative,
        ResultError::WrongCount {
            expected: 5,
            got: 4,
        },
        ResultError::Unit {
            from: "mg/L".into(),
            to: "mg/kg".into(),
        },
        ResultError::LodAboveLimit {
            lod: "0.5 mg/kg".into(),
            limit: "0.2 mg/kg".into(),
        },
        ResultError::BadLimit(LimitProblem::NoMax.en().into()),
        ResultError::Mismatch {
            kind: "max",
            reading: "a qualitative word",
        },
    ];
    for e in &errors {
        let zh = e.message_zh();
        assert!(
            zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
            "{e}: {zh}"
        );
        assert!(!e.to_string().is_empty());
    }
    for problem in LimitProblem::ALL {
        let zh = problem.error().message_zh();
        assert!(zh.contains(problem.zh()), "{zh}");
    }
}

#[test]
fn odd_texts_never_panic() {
    let pieces = [
        "",
        " ",
        "<",
        "＜",
        "0",
        "1",
        ".",
        ",",
        ";",
        "、",
        "/",
        "-",
        "+",
        "e",
        "E",
        "×",
        "x",
        "*",
        "^",
        "10",
        "³",
        "⁻",
        "(",
        ")",
        "未检出",
        "ND",
        "lod",
        "检出限",
        "阴性",
        "9",
        "\u{0}",
        "é",
        "1e30",
        "99999999999999999999999999999999999999",
    ];
    let limits = [
        MAX_PB,
        MIN_PROTEIN,
        RANGE_ACIDITY,
        ND_DRUG,
        ND_NO_LOD,
        QUAL,
        PLAN,
        WATER,
    ]
    .map(limit);
    let mut seen = 0usize;
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let text = format!("{a}{b}{c}");
                for lim in &limits {
                    let _ = read_and_judge(&text, None, None, lim);
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 0);
}
