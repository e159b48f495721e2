//! The formulas of the statistics (SPEC §7, rules.md §e.4): batches per thousand
//! residents, roll-ups over regions of unknown population, annual and pro-rated
//! targets, pass and non-compliance rates, working-day turnaround (median and 90th
//! percentile) and coverage. Invariant: a figure with an unknown or zero denominator is
//! `None` ("unknown"), never zero or a guess; every value is the full value, rounding is
//! for display only.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::calendar::WorkCalendar;
use super::local_time::local_date;

/// Batches per thousand residents: `batches / (population / 1000)`. Unknown (`None`)
/// when the population is unknown or not positive.
pub fn per_thousand(batches: i64, population: Option<i64>) -> Option<f64> {
    let p = population.filter(|p| *p > 0)?;
    Some(batches as f64 * 1000.0 / p as f64)
}

/// `numerator / denominator` as a fraction from 0 to 1; unknown when nothing was counted.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// A fraction as a percentage rounded to `decimals` places, for display
/// (0.027356 → 2.74 with 2 decimals).
pub fn percent(fraction: f64, decimals: i32) -> f64 {
    round_to(fraction * 100.0, decimals)
}

/// `x` rounded half away from zero to `decimals` places, for display.
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// A population figure and the year it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub population: i64,
    pub year: i32,
}

/// The figure a period ending in `year` uses: the newest figure of that year or
/// before; when every figure is later (a period before the census), the oldest one.
pub fn figure_for_year(figures: &[Figure], year: i32) -> Option<Figure> {
    figures
        .iter()
        .filter(|f| f.year <= year)
        .max_by_key(|f| f.year)
        .or_else(|| figures.iter().min_by_key(|f| f.year))
        .copied()
}

/// One part of a region for a roll-up: a county (or a prefecture inside a province),
/// its population if known (its own figure or its own roll-up), the batches counted in
/// it, and what its own roll-up left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub code: String,
    pub population: Option<i64>,
    pub batches: i64,
    pub left_out: Vec<LeftOut>,
}

/// A part a roll-up left out because its population is unknown, with the batches that
/// were therefore not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub code: String,
    pub batches: i64,
}

/// The population and batches a region's rate uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    /// Unknown when the region has no figure and none of its parts has one.
    pub population: Option<i64>,
    /// The batches over that population: all of the region's batches with its own
    /// figure; with a roll-up, only those in the parts of known population.
    pub batches: i64,
    /// Whether the population is the sum of its parts' figures.
    pub rolled_up: bool,
    /// The parts (at any depth) left out of the roll-up.
    pub left_out: Vec<LeftOut>,
}

impl Basis {
    pub fn per_thousand(&self) -> Option<f64> {
        per_thousand(self.batches, self.population)
    }
}

/// The basis of a region's rate (SPEC §7): a region with its own figure uses it over
/// all its batches (`total_batches`); one without is rolled up from its parts of known
/// population, counting only their batches, and names the parts left out. A region
/// whose parts are all unknown stays unknown.
pub fn basis(own: Option<i64>, total_batches: i64, parts: &[Part]) -> Basis {
    if let Some(p) = own.filter(|p| *p > 0) {
        return Basis {
            population: Some(p),
            batches: total_batches,
            rolled_up: false,
            left_out: Vec::new(),
        };
    }
    let mut population = 0;
    let mut batches = 0;
    let mut known = false;
    let mut left_out = Vec::new();
    for part in parts {
        match part.population.filter(|p| *p > 0) {
            Some(p) => {
                known = true;
                population += p;
                batches += part.batches;
                left_out.extend(part.left_out.iter().cloned());
            }
            // A part of unknown population is left out whole (its batches are all the
            // batches in it).
            None => left_out.push(LeftOut {
                code: part.code.clone(),
                batches: part.batches,
            }),
        }
    }
    Basis {
        population: known.then_some(population),
        batches: if known { batches } else { total_batches },
        rolled_up: known,
        left_out,
    }
}

/// The annual target pro-rated to `today` over the period `[from, to]` (inclusive
/// dates): `annual × covered days / days in the year of from`, where the covered days
/// run from `from` to the earlier of `to` and `today`. A period still to come has a
/// target of zero to date; a year that is over has its whole target.
pub fn prorated_target(annual: f64, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> f64 {
    let end = to.min(today);
    if end < from {
        return 0.0;
    }
    let covered = (end - from).num_days() + 1;
    let year_days = if from.leap_year() { 366 } else { 365 };
    annual * covered as f64 / f64::from(year_days)
}

/// Compliant and non-compliant counts of concluded samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub batches: i64,
    pub concluded: i64,
    pub compliant: i64,
    pub non_compliant: i64,
}

impl Outcomes {
    /// `batches` samples of one conclusion (`pending`, `compliant`, `non_compliant`);
    /// any conclusion but `pending` counts as concluded.
    pub fn of_conclusion(conclusion: &str, batches: i64) -> Outcomes {
        let concluded = if conclusion == "pending" { 0 } else { batches };
        let non_compliant = if conclusion == "non_compliant" {
            batches
        } else {
            0
        };
        Outcomes {
            batches,
            concluded,
            compliant: concluded - non_compliant,
            non_compliant,
        }
    }

    pub fn add(&mut self, o: &Outcomes) {
        self.batches += o.batches;
        self.concluded += o.concluded;
        self.compliant += o.compliant;
        self.non_compliant += o.non_compliant;
    }

    /// 合格率: compliant ÷ concluded batches.
    pub fn pass_rate(&self) -> Option<f64> {
        ratio(self.compliant, self.concluded)
    }

    /// 不合格率 (a.k.a. 不合格检出率; for risk monitoring 问题样品检出率):
    /// non-compliant ÷ concluded batches.
    pub fn failure_rate(&self) -> Option<f64> {
        ratio(self.non_compliant, self.concluded)
    }
}

/// Working days from receipt to report, on the official calendar: the day of receipt
/// does not count, the day of the report does (a report the next working day took 1).
/// The flag says the count touched a year whose calendar is not loaded.
pub fn turnaround_days(
    cal: &WorkCalendar,
    received: NaiveDate,
    reported: NaiveDate,
) -> (i64, bool) {
    cal.working_days_between(received, reported)
}

/// The turnaround the lab figures count for a report: working days from the local day
/// of receipt to the local day of the report (stored UTC times), and whether a day in an
/// unknown calendar year made that count provisional.
pub fn turnaround_of(
    cal: &WorkCalendar,
    received_at: NaiveDateTime,
    reported_at: NaiveDateTime,
) -> (i64, bool) {
    turnaround_days(cal, local_date(received_at), local_date(reported_at))
}

/// The median of a distribution given as (value, how many) pairs: the middle value, or
/// the mean of the two middle values for an even count. Unknown when empty.
pub fn median(counts: &[(i64, i64)]) -> Option<f64> {
    let mut v = sorted(counts);
    v.retain(|(_, n)| *n > 0);
    let total: i64 = v.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let lower = nth(&v, (total - 1) / 2)?;
    let upper = nth(&v, total / 2)?;
    Some((lower + upper) as f64 / 2.0)
}

/// The `p`-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest value
/// with at least p % of the distribution at or below it. Unknown when empty.
pub fn percentile(counts: &[(i64, i64)], p: f64) -> Option<i64> {
    let v = sorted(counts);
    let total: i64 = v.iter().map(|(_, n)| (*n).max(0)).sum();
    if total == 0 || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let rank = ((p / 100.0) * total as f64).ceil() as i64;
    nth(&v, rank.max(1) - 1)
}

fn sorted(counts: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = counts.to_vec();
    v.sort_unstable();
    v
}

/// The value at 0-based position `i` of the expanded, sorted distribution.
fn nth(sorted: &[(i64, i64)], i: i64) -> Option<i64> {
    let mut seen = 0;
    for (value, n) in sorted {
        seen += (*n).max(0);
        if i < seen {
            return Some(*value);
        }
    }
    None
}

/// Coverage (覆盖率): entities sampled at least once in the period ÷ entities in scope.
pub fn coverage(sampled: i64, in_scope: i64) -> Option<f64> {
    ratio(sampled, in_scope)
}

/// The first and last day (inclusive) of a calendar year.
pub fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

/// The year a period's population figure is taken for: the year of its last day.
pub fn population_year(to: NaiveDate) -> i32 {
    to.year()
}

/// A period split for the monthly counts: the whole months it covers (first and last,
/// `YYYY-MM`, inclusive) and the days at its ends outside them (inclusive date ranges,
/// at most two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSpan {
    pub months: Option<(String, String)>,
    pub edges: Vec<(NaiveDate, NaiveDate)>,
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn first_of_next_month(d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// Splits `from..=to` into whole months and the days at its ends.
pub fn month_span(from: NaiveDate, to: NaiveDate) -> MonthSpan {
    if from > to {
        return MonthSpan {
            months: None,
            edges: Vec::new(),
        };
    }
    // The first whole month starts on or after `from`; the last ends on or before `to`.
    let first = if from.day() == 1 {
        Some(from)
    } else {
        first_of_next_month(from)
    };
    let after_to = to.succ_opt();
    let last_end = match after_to {
        Some(n) if n.day() == 1 => Some(n),
        _ => Some(first_of_month(to)),
    };
    match (first, last_end) {
        (Some(first), Some(end)) if first < end => {
            let mut edges = Vec::new();
            if from < first {
                edges.push((from, first.pred_opt().unwrap_or(first)));
            }
            if end <= to {
                edges.push((end, to));
            }
            let last_month = end.pred_opt().unwrap_or(end);
            MonthSpan {
                months: Some((month_key(first), month_key(last_month))),
                edges,
            }
        }
        _ => MonthSpan {
            months: None,
            edges: vec![(from, to)],
        },
    }
}

#[cfg(test)]
mod tests {
    fn ymd(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn span(from: &str, to: &str) -> MonthSpan {
        month_span(ymd(from), ymd(to))
    }

    #[test]
    fn a_whole_year_is_twelve_months_and_no_edges() {
        let s = span("2026-01-01", "2026-12-31");
        assert_eq!(s.months, Some(("2026-01".into(), "2026-12".into())));
        assert!(s.edges.is_empty());
    }

    #[test]
    fn a_year_to_date_reads_the_current_month_from_its_days() {
        let s = span("2026-01-01", "2026-11-28");
        assert_eq!(s.months, Some(("2026-01".into(), "2026-10".into())));
        assert_eq!(s.edges, vec![(ymd("2026-11-01"), ymd("2026-11-28"))]);
    }

    #[test]
    fn both_ends_of_a_period_may_be_partial_months() {
        let s = span("2025-12-15", "2026-02-10");
        assert_eq!(s.months, Some(("2026-01".into(), "2026-01".into())));
        assert_eq!(
            s.edges,
            vec![
                (ymd("2025-12-15"), ymd("2025-12-31")),
                (ymd("2026-02-01"), ymd("2026-02-10"))
            ]
        );
    }

    #[test]
    fn a_period_inside_one_month_is_all_edge() {
        let s = span("2026-02-02", "2026-02-27");
        assert_eq!(s.months, None);
        assert_eq!(s.edges, vec![(ymd("2026-02-02"), ymd("2026-02-27"))]);
        let s = span("2026-02-01", "2026-02-28");
        assert_eq!(s.months, Some(("2026-02".into(), "2026-02".into())));
        assert!(s.edges.is_empty());
        let s = span("2026-03-31", "2026-04-01");
        assert_eq!(s.months, None);
        assert_eq!(s.edges, vec![(ymd("2026-03-31"), ymd("2026-04-01"))]);
        assert!(span("2026-04-02", "2026-04-01").edges.is_empty());
    }

    use super::*;
    use crate::calendar::DayKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn the_national_failure_rate_of_2025_is_2_74_percent() {
        // SAMR, to mid-November 2025: 5,702,600 batches, 156,000 non-compliant.
        let o = Outcomes {
            batches: 5_702_600,
            concluded: 5_702_600,
            compliant: 5_702_600 - 156_000,
            non_compliant: 156_000,
        };
        let rate = o.failure_rate().expect("known");
        assert_eq!(percent(rate, 2), 2.74);
        assert!((rate - 0.027_355_9).abs() < 1e-7);
        assert_eq!(percent(o.pass_rate().expect("known"), 2), 97.26);
        // Risk monitoring, the same bulletin: 10,200 of 234,400 is 4.35 % by this
        // formula; rules.md quotes 4.36 %, from unrounded counts.
        assert_eq!(percent(ratio(10_200, 234_400).expect("known"), 2), 4.35);
    }

    #[test]
    fn per_thousand_divides_by_thousands_of_residents() {
        // 城东区 (2020 census 489,372), 2,447 batches → 5.0003 per thousand.
        let r = per_thousand(2_447, Some(489_372)).expect("known");
        assert_eq!(round_to(r, 4), 5.0003);
        assert_eq!(per_thousand(10, None), None);
        assert_eq!(per_thousand(10, Some(0)), None);
        assert_eq!(per_thousand(0, Some(1000)), Some(0.0));
    }

    #[test]
    fn a_region_with_its_own_figure_uses_it_over_all_its_batches() {
        let parts = [Part {
            code: "632221".into(),
            population: None,
            batches: 7,
            left_out: vec![],
        }];
        let b = basis(Some(265_322), 10, &parts);
        assert_eq!(b.population, Some(265_322));
        assert_eq!(b.batches, 10);
        assert!(!b.rolled_up);
        assert!(b.left_out.is_empty());
    }

    #[test]
    fn a_roll_up_counts_only_parts_of_known_population_and_names_the_rest() {
        let part = |code: &str, population, batches| Part {
            code: code.into(),
            population,
            batches,
            left_out: vec![],
        };
        let parts = [
            part("632301", None, 4),
            part("632322", Some(58_173), 300),
            part("632323", None, 0),
            part("632324", Some(40_864), 200),
        ];
        let b = basis(None, 504, &parts);
        assert_eq!(b.population, Some(99_037));
        assert_eq!(b.batches, 500);
        assert!(b.rolled_up);
        assert_eq!(
            b.left_out,
            vec![
                LeftOut {
                    code: "632301".into(),
                    batches: 4
                },
                LeftOut {
                    code: "632323".into(),
                    batches: 0
                },
            ]
        );
        assert_eq!(round_to(b.per_thousand().expect("known"), 4), 5.0486);
        // Nested: a province without a figure over that prefecture keeps the list.
        let prefecture = Part {
            code: "632300".into(),
            population: b.population,
            batches: b.batches,
            left_out: b.left_out.clone(),
        };
        let p = basis(None, 600, &[prefecture, part("632200", None, 96)]);
        assert_eq!(p.population, Some(99_037));
        assert_eq!(p.batches, 500);
        assert_eq!(p.left_out.len(), 3);
        // Nothing known: unknown, never zero.
        let none = basis(None, 5, &[part("632221", None, 5)]);
        assert_eq!(none.population, None);
        assert_eq!(none.per_thousand(), None);
    }

    #[test]
    fn the_newest_figure_up_to_the_year_is_used() {
        let figs = [
            Figure {
                population: 5_923_957,
                year: 2020,
            },
            Figure {
                population: 5_930_000,
                year: 2024,
            },
        ];
        assert_eq!(figure_for_year(&figs, 2026).map(|f| f.year), Some(2024));
        assert_eq!(figure_for_year(&figs, 2023).map(|f| f.year), Some(2020));
        assert_eq!(figure_for_year(&figs, 2019).map(|f| f.year), Some(2020));
        assert_eq!(figure_for_year(&[], 2026), None);
    }

    #[test]
    fn the_target_is_pro_rated_by_the_days_covered() {
        let (from, to) = year_bounds(2026).expect("year");
        assert_eq!(prorated_target(5.0, from, to, d(2027, 1, 5)), 5.0);
        // 2026-03-02 is day 61 of 365.
        let t = prorated_target(5.0, from, to, d(2026, 3, 2));
        assert!((t - 5.0 * 61.0 / 365.0).abs() < 1e-12);
        assert_eq!(prorated_target(5.0, from, to, d(2025, 12, 31)), 0.0);
        // A leap year has 366 days.
        let (f24, t24) = year_bounds(2024).expect("year");
        assert_eq!(prorated_target(5.0, f24, t24, d(2024, 12, 31)), 5.0);
    }

    #[test]
    fn median_and_ninetieth_percentile_of_a_distribution() {
        // 1,2,3,4,5,6,7,8,9,10 working days.
        let flat: Vec<(i64, i64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(median(&flat), Some(5.5));
        assert_eq!(percentile(&flat, 90.0), Some(9));
        // 3 × 5 days, 1 × 20 days.
        let lumpy = [(20, 1), (5, 3)];
        assert_eq!(median(&lumpy), Some(5.0));
        assert_eq!(percentile(&lumpy, 90.0), Some(20));
        assert_eq!(percentile(&lumpy, 75.0), Some(5));
        assert_eq!(median(&[]), None);
        assert_eq!(percentile(&[], 90.0), None);
    }

    #[test]
    fn turnaround_counts_working_days_after_receipt() {
        // 2026-04-03 (Fri) to 2026-04-07 (Tue), with Monday 2026-04-06 a holiday.
        let cal = WorkCalendar::new([(d(2026, 4, 6), DayKind::Holiday)], [2026]);
        assert_eq!(
            turnaround_days(&cal, d(2026, 4, 3), d(2026, 4, 7)),
            (1, false)
        );
        assert_eq!(
            turnaround_days(&cal, d(2026, 4, 3), d(2026, 4, 3)),
            (0, false)
        );
    }

    #[test]
    fn coverage_is_unknown_without_entities_in_scope() {
        assert_eq!(coverage(3, 4), Some(0.75));
        assert_eq!(coverage(0, 0), None);
    }
}
