//! The shipped files parse, what they leave unknown stays unknown, and every shipped
//! rule can be printed.

use super::*;

#[test]
fn every_shipped_file_parses() {
    assert!(
        read_csv::<RegionRec>("regions.csv", REGIONS_CSV)
            .unwrap()
            .len()
            >= 54
    );
    assert!(!read_csv::<PopulationRec>("p", POPULATION_RECENT_CSV)
        .unwrap()
        .is_empty());
    assert!(read_csv::<YearRec>("y", CALENDAR_YEARS_CSV).unwrap().len() >= 3);
    assert!(read_csv::<CategoryRec>("c", CATEGORIES_CSV).unwrap().len() >= 34);
    assert!(read_csv::<TestItemRec>("t", TEST_ITEMS_CSV).unwrap().len() >= 80);
    assert!(parse_holiday_csv(HOLIDAYS_CSV).unwrap().len() >= 100);
    for (name, text) in RULE_FILES {
        assert!(
            !parse_profile_file(name, text).unwrap().is_empty(),
            "{name}"
        );
    }
}

#[test]
fn a_missing_population_stays_missing_never_zero() {
    let regions: Vec<RegionRec> = read_csv("regions.csv", REGIONS_CSV).unwrap();
    assert!(regions.iter().all(|r| r.population != Some(0)));
    assert!(regions.iter().any(|r| r.population.is_none()));
    assert!(regions
        .iter()
        .all(|r| r.population.is_some() == r.population_year.is_some()));
}

/// Every shipped rule has words for people and a basis fit to print: a formal Chinese
/// citation, with no tags, abbreviations or references to working documents; its
/// provenance stays in the notes.
#[test]
fn every_shipped_rule_has_words_and_a_printable_basis() {
    const NOT_ON_PAPER: [&str; 12] = [
        "[V]", "[S]", "[M]", "FSL", "FSSM", "DQSM", "DAL", "Art ", "rules.md", "SPEC", "§", "(",
    ];
    for (name, text) in RULE_FILES {
        for p in parse_profile_file(name, text).unwrap() {
            for r in &p.rules {
                let at = format!("{name} {} {}", p.plan_kind, r.key);
                assert!(
                    crate::domain::rules::rule_words(&r.key).is_some(),
                    "{at}: no words"
                );
                assert!(
                    r.basis.contains('《') || r.basis.contains("本系统工作规则"),
                    "{at}: {}",
                    r.basis
                );
                for m in NOT_ON_PAPER {
                    assert!(!r.basis.contains(m), "{at}: `{m}` in {}", r.basis);
                }
                assert!(!r.notes.trim().is_empty(), "{at}: the notes were kept");
            }
        }
    }
}
