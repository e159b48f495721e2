//! The working-day calendar's tests.

use super::*;

/// The 2025 and 2026 rows of data/cn_holidays_2024_2026.csv, as published
/// by the State Council.
const HOLIDAYS_2025_2026: &str = "date,kind,name
2025-01-01,holiday,元旦
2025-01-26,workday,春节
2025-01-28,holiday,春节
2025-01-29,holiday,春节
2025-01-30,holiday,春节
2025-01-31,holiday,春节
2025-02-01,holiday,春节
2025-02-02,holiday,春节
2025-02-03,holiday,春节
2025-02-04,holiday,春节
2025-02-08,workday,春节
2025-04-04,holiday,清明节
2025-04-05,holiday,清明节
2025-04-06,holiday,清明节
2025-04-27,workday,劳动节
2025-05-01,holiday,劳动节
2025-05-02,holiday,劳动节
2025-05-03,holiday,劳动节
2025-05-04,holiday,劳动节
2025-05-05,holiday,劳动节
2025-05-31,holiday,端午节
2025-06-01,holiday,端午节
2025-06-02,holiday,端午节
2025-09-28,workday,国庆节、中秋节
2025-10-01,holiday,国庆节、中秋节
2025-10-02,holiday,国庆节、中秋节
2025-10-03,holiday,国庆节、中秋节
2025-10-04,holiday,国庆节、中秋节
2025-10-05,holiday,国庆节、中秋节
2025-10-06,holiday,国庆节、中秋节
2025-10-07,holiday,国庆节、中秋节
2025-10-08,holiday,国庆节、中秋节
2025-10-11,workday,国庆节、中秋节
2026-01-01,holiday,元旦
2026-01-02,holiday,元旦
2026-01-03,holiday,元旦
2026-01-04,workday,元旦
2026-02-14,workday,春节
2026-02-15,holiday,春节
2026-02-16,holiday,春节
2026-02-17,holiday,春节
2026-02-18,holiday,春节
2026-02-19,holiday,春节
2026-02-20,holiday,春节
2026-02-21,holiday,春节
2026-02-22,holiday,春节
2026-02-23,holiday,春节
2026-02-28,workday,春节
2026-04-04,holiday,清明节
2026-04-05,holiday,清明节
2026-04-06,holiday,清明节
2026-05-01,holiday,劳动节
2026-05-02,holiday,劳动节
2026-05-03,holiday,劳动节
2026-05-04,holiday,劳动节
2026-05-05,holiday,劳动节
2026-05-09,workday,劳动节
2026-06-19,holiday,端午节
2026-06-20,holiday,端午节
2026-06-21,holiday,端午节
2026-09-20,workday,国庆节
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节
";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

fn calendar() -> WorkCalendar {
    let rows = parse_holiday_csv(HOLIDAYS_2025_2026).expect("test rows parse");
    WorkCalendar::new(
        rows.into_iter().map(|(date, kind, _)| (date, kind)),
        [2025, 2026],
    )
}

#[test]
fn the_official_rows_parse_with_the_published_counts() {
    let rows = parse_holiday_csv(HOLIDAYS_2025_2026).expect("parses");
    let count = |year: i32, kind: DayKind| {
        rows.iter()
            .filter(|(date, k, _)| date.year() == year && *k == kind)
            .count()
    };
    assert_eq!(count(2025, DayKind::Holiday), 28);
    assert_eq!(count(2025, DayKind::Workday), 5);
    assert_eq!(count(2026, DayKind::Holiday), 33);
    assert_eq!(count(2026, DayKind::Workday), 6);
    assert_eq!(
        rows[1],
        (d(2025, 1, 26), DayKind::Workday, "春节".to_owned())
    );
}

#[test]
fn adjusted_sunday_2025_01_26_is_a_working_day() {
    let cal = calendar();
    assert_eq!(d(2025, 1, 26).weekday(), Weekday::Sun);
    assert!(cal.is_working_day(d(2025, 1, 26)));
    assert_eq!(cal.day_kind(d(2025, 1, 26)), Some(DayKind::Workday));
}

#[test]
fn no_day_of_the_2025_spring_festival_block_is_a_working_day() {
    let cal = calendar();
    for date in d(2025, 1, 28)
        .iter_days()
        .take_while(|x| *x <= d(2025, 2, 4))
    {
        assert!(!cal.is_working_day(date), "{date} should be a holiday");
    }
    assert!(cal.is_working_day(d(2025, 1, 27)));
    assert!(cal.is_working_day(d(2025, 2, 5)));
    assert_eq!(d(2025, 2, 8).weekday(), Weekday::Sat);
    assert!(cal.is_working_day(d(2025, 2, 8)));
}

#[test]
fn ordinary_weekends_are_not_working_days_and_weekdays_are() {
    let cal = calendar();
    assert!(!cal.is_working_day(d(2025, 10, 12))); // Sunday
    assert!(!cal.is_working_day(d(2025, 3, 1))); // Saturday
    assert!(cal.is_working_day(d(2025, 3, 3))); // Monday
    assert_eq!(cal.day_kind(d(2025, 3, 3)), None);
}

#[test]
fn one_working_day_after_2025_09_30_is_2025_10_09() {
    let cal = calendar();
    assert_eq!(
        cal.add_working_days(d(2025, 9, 30), 1),
        Deadline {
            date: d(2025, 10, 9),
            provisional: false
        }
    );
}

#[test]
fn the_adjusted_saturday_after_national_day_counts() {
    let cal = calendar();
    // 10-09 Thu, 10-10 Fri, 10-11 Sat (adjusted workday), 10-13 Mon.
    assert_eq!(
        cal.add_working_days(d(2025, 9, 30), 3).date,
        d(2025, 10, 11)
    );
    assert_eq!(
        cal.add_working_days(d(2025, 9, 30), 4).date,
        d(2025, 10, 13)
    );
}

#[test]
fn counting_from_a_holiday_starts_on_the_next_working_day() {
    let cal = calendar();
    assert_eq!(cal.add_working_days(d(2025, 10, 3), 1).date, d(2025, 10, 9));
    assert_eq!(cal.add_working_days(d(2025, 1, 29), 1).date, d(2025, 2, 5));
}

#[test]
fn zero_working_days_is_the_start_itself() {
    let cal = calendar();
    assert_eq!(
        cal.add_working_days(d(2025, 10, 4), 0),
        Deadline {
            date: d(2025, 10, 4),
            provisional: false
        }
    );
    assert_eq!(
        cal.add_working_days(d(2027, 3, 1), 0),
        Deadline {
            date: d(2027, 3, 1),
            provisional: true
        }
    );
}

#[test]
fn counting_into_2027_is_provisional_and_counts_monday_to_friday() {
    let cal = calendar();
    assert!(!cal.is_known_year(2027));
    // 2026-12-31 Thu (known), 2027-01-01 Fri (unknown, counted as a
    // weekday even though it will surely be 元旦), 2027-01-04 Mon.
    assert_eq!(
        cal.add_working_days(d(2026, 12, 30), 3),
        Deadline {
            date: d(2027, 1, 4),
            provisional: true
        }
    );
    // A count that stays inside 2026 is not provisional.
    assert!(!cal.add_working_days(d(2026, 12, 30), 1).provisional);
    // Ten working days in unknown 2027 are exactly two Monday-to-Friday weeks.
    assert_eq!(
        cal.add_working_days(d(2027, 2, 5), 10),
        Deadline {
            date: d(2027, 2, 19),
            provisional: true
        }
    );
}

#[test]
fn counting_through_an_unknown_earlier_year_is_provisional() {
    let cal = calendar();
    // 2024 is not loaded in this calendar.
    let deadline = cal.add_working_days(d(2024, 12, 30), 2);
    assert_eq!(deadline.date, d(2025, 1, 2));
    assert!(deadline.provisional);
    // From the last day of 2024 only 2025 dates are counted.
    let deadline = cal.add_working_days(d(2024, 12, 31), 1);
    assert_eq!(deadline.date, d(2025, 1, 2));
    assert!(!deadline.provisional);
}

#[test]
fn an_empty_calendar_counts_monday_to_friday_and_is_always_provisional() {
    let cal = WorkCalendar::empty();
    assert_eq!(cal.known_years().count(), 0);
    assert_eq!(
        cal.add_working_days(d(2025, 9, 30), 1),
        Deadline {
            date: d(2025, 10, 1),
            provisional: true
        }
    );
    assert_eq!(
        cal.working_days_between(d(2025, 9, 26), d(2025, 10, 3)),
        (5, true)
    );
}

#[test]
fn known_years_are_only_the_listed_years() {
    let cal = WorkCalendar::new([(d(2027, 1, 1), DayKind::Holiday)], [2025, 2026]);
    assert_eq!(cal.known_years().collect::<Vec<_>>(), vec![2025, 2026]);
    assert!(!cal.is_known_year(2027));
    // The entry still applies, but counting over it stays provisional.
    assert!(!cal.is_working_day(d(2027, 1, 1)));
    assert_eq!(
        cal.add_working_days(d(2026, 12, 31), 1),
        Deadline {
            date: d(2027, 1, 4),
            provisional: true
        }
    );
}

#[test]
fn working_days_between_counts_the_half_open_interval() {
    let cal = calendar();
    assert_eq!(
        cal.working_days_between(d(2025, 9, 30), d(2025, 10, 9)),
        (1, false)
    );
    assert_eq!(
        cal.working_days_between(d(2025, 10, 9), d(2025, 9, 30)),
        (-1, false)
    );
    assert_eq!(
        cal.working_days_between(d(2025, 9, 30), d(2025, 10, 8)),
        (0, false)
    );
    assert_eq!(
        cal.working_days_between(d(2025, 9, 30), d(2025, 9, 30)),
        (0, false)
    );
    assert_eq!(
        cal.working_days_between(d(2027, 1, 5), d(2027, 1, 5)),
        (0, true)
    );
    // The adjusted Sunday 01-26, Monday 01-27, 02-05..02-07 after the
    // Spring Festival block, and the adjusted Saturday 02-08.
    assert_eq!(
        cal.working_days_between(d(2025, 1, 25), d(2025, 2, 8)),
        (6, false)
    );
    assert_eq!(
        cal.working_days_between(d(2026, 12, 30), d(2027, 1, 4)),
        (3, true)
    );
}

#[test]
fn working_days_between_undoes_add_working_days() {
    let cal = calendar();
    for start in d(2024, 12, 1)
        .iter_days()
        .take_while(|x| *x <= d(2027, 1, 31))
    {
        for n in 0..40 {
            let deadline = cal.add_working_days(start, n);
            assert!(deadline.date >= start);
            assert!(n == 0 || cal.is_working_day(deadline.date));
            assert_eq!(
                cal.working_days_between(start, deadline.date),
                (i64::from(n), deadline.provisional),
                "start {start}, n {n}"
            );
            assert_eq!(
                cal.working_days_between(deadline.date, start),
                (-i64::from(n), deadline.provisional),
                "start {start}, n {n}, reversed"
            );
        }
    }
}

#[test]
fn add_months_clamps_to_the_end_of_a_shorter_month() {
    assert_eq!(add_months(d(2025, 8, 31), 6), d(2026, 2, 28));
    assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
    assert_eq!(add_months(d(2025, 12, 31), 2), d(2026, 2, 28));
    assert_eq!(add_months(d(2025, 3, 15), 12), d(2026, 3, 15));
    assert_eq!(add_months(d(2025, 3, 15), 0), d(2025, 3, 15));
    assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
}

#[test]
fn add_calendar_days_moves_both_ways_and_saturates() {
    assert_eq!(add_calendar_days(d(2025, 12, 30), 3), d(2026, 1, 2));
    assert_eq!(add_calendar_days(d(2025, 3, 1), -1), d(2025, 2, 28));
    assert_eq!(add_calendar_days(d(2025, 3, 1), 0), d(2025, 3, 1));
    assert_eq!(add_calendar_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    assert_eq!(add_calendar_days(NaiveDate::MIN, -1), NaiveDate::MIN);
    assert_eq!(add_calendar_days(d(2025, 1, 1), i64::MIN), NaiveDate::MIN);
}

#[test]
fn calendar_methods_match_the_free_functions() {
    let cal = calendar();
    let start = d(2025, 9, 30);
    assert_eq!(cal.add_calendar_days(start, 1), d(2025, 10, 1));
    assert_eq!(cal.add_months(d(2025, 8, 31), 6), d(2026, 2, 28));
    let at = start.and_hms_opt(9, 0, 0).expect("valid time");
    assert_eq!(cal.add_hours(at, 24), add_hours(at, 24));
}

#[test]
fn add_hours_crosses_midnight_and_saturates() {
    let start = d(2025, 9, 30).and_hms_opt(16, 30, 0).expect("valid time");
    assert_eq!(
        add_hours(start, 48),
        d(2025, 10, 2).and_hms_opt(16, 30, 0).expect("valid time")
    );
    assert_eq!(
        add_hours(start, -17),
        d(2025, 9, 29).and_hms_opt(23, 30, 0).expect("valid time")
    );
    assert_eq!(add_hours(start, i64::MAX), NaiveDateTime::MAX);
    assert_eq!(add_hours(start, i64::MIN), NaiveDateTime::MIN);
}

#[test]
fn day_kind_words_round_trip() {
    for kind in [DayKind::Holiday, DayKind::Workday] {
        assert_eq!(kind.as_str().parse::<DayKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    assert_eq!(
        "Holiday".parse::<DayKind>(),
        Err(UnknownDayKind("Holiday".to_owned()))
    );
}

#[test]
fn day_kind_deserializes_from_lowercase_words() {
    use serde::de::value::{Error as ValueError, StrDeserializer};
    let kind = DayKind::deserialize(StrDeserializer::<ValueError>::new("workday"));
    assert_eq!(kind.ok(), Some(DayKind::Workday));
    let kind = DayKind::deserialize(StrDeserializer::<ValueError>::new("Workday"));
    assert!(kind.is_err());
}

#[test]
fn parser_accepts_bom_crlf_blank_lines_and_spaces() {
    let text =
        "\u{feff}date,kind,name\r\n2025-01-01, holiday ,元旦\r\n\r\n2025-01-26,workday,春节\r\n";
    let rows = parse_holiday_csv(text).expect("parses");
    assert_eq!(
        rows,
        vec![
            (d(2025, 1, 1), DayKind::Holiday, "元旦".to_owned()),
            (d(2025, 1, 26), DayKind::Workday, "春节".to_owned()),
        ]
    );
    assert_eq!(parse_holiday_csv("date,kind,name\n"), Ok(vec![]));
}

#[test]
fn parser_requires_the_header() {
    assert_eq!(
        parse_holiday_csv(""),
        Err(CalendarError::Header {
            line: 1,
            found: String::new()
        })
    );
    assert_eq!(
        parse_holiday_csv("2025-01-01,holiday,元旦\n"),
        Err(CalendarError::Header {
            line: 1,
            found: "2025-01-01,holiday,元旦".to_owned()
        })
    );
}

#[test]
fn parser_errors_name_the_line() {
    let bad_date = "date,kind,name\n2025-01-01,holiday,元旦\n2025-02-30,holiday,x\n";
    assert_eq!(
        parse_holiday_csv(bad_date),
        Err(CalendarError::Date {
            line: 3,
            value: "2025-02-30".to_owned()
        })
    );
    let bad_kind = "date,kind,name\n2025-01-01,vacation,元旦\n";
    assert_eq!(
        parse_holiday_csv(bad_kind),
        Err(CalendarError::Kind {
            line: 2,
            value: "vacation".to_owned()
        })
    );
    let short = "date,kind,name\n\n2025-01-01,holiday\n";
    assert_eq!(
        parse_holiday_csv(short),
        Err(CalendarError::Fields { line: 3, found: 2 })
    );
    let long = "date,kind,name\n2025-01-01,holiday,元旦,extra\n";
    assert_eq!(
        parse_holiday_csv(long),
        Err(CalendarError::Fields { line: 2, found: 4 })
    );
    let err = parse_holiday_csv(bad_kind).expect_err("bad kind");
    assert!(err.to_string().starts_with("line 2:"), "{err}");
}

#[test]
fn parser_refuses_duplicates_and_weekday_workdays() {
    let duplicate = "date,kind,name\n2025-01-01,holiday,元旦\n2025-01-01,holiday,元旦\n";
    assert_eq!(
        parse_holiday_csv(duplicate),
        Err(CalendarError::Duplicate {
            line: 3,
            date: d(2025, 1, 1),
            first_line: 2
        })
    );
    // 2025-01-27 is a Monday: an adjusted workday there is a typing error.
    let weekday = "date,kind,name\n2025-01-27,workday,春节\n";
    assert_eq!(
        parse_holiday_csv(weekday),
        Err(CalendarError::WorkdayNotWeekend {
            line: 2,
            date: d(2025, 1, 27)
        })
    );
}
