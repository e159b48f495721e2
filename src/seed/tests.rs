//! The shipped files parse, and what they leave unknown stays unknown.

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
