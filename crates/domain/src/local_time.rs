//! The bureaus' clock: China Standard Time (Asia/Shanghai, UTC+8, no daylight saving
//! since 1991). Times are stored in UTC; dates, deadlines, sample years and the periods
//! of the statistics are local.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Hours between UTC and Asia/Shanghai time.
pub const OFFSET_HOURS: i64 = 8;

/// China Standard Time as a chrono offset.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt((OFFSET_HOURS * 3600) as i32)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// A stored UTC time as shown to people: RFC 3339 in +08:00.
pub fn to_local(t: NaiveDateTime) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&t).with_timezone(&shanghai())
}

/// The local date of a stored UTC time: the date people in the bureau see on their
/// calendar.
pub fn local_date(t: NaiveDateTime) -> NaiveDate {
    to_local(t).date_naive()
}

/// The UTC instant at which local day `d` begins (16:00 UTC the day before).
pub fn utc_of_local_midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN) - chrono::Duration::hours(OFFSET_HOURS)
}

/// The UTC instant at which local day `d` ends (exclusive): the next local midnight.
pub fn utc_after_local_day(d: NaiveDate) -> NaiveDateTime {
    utc_of_local_midnight(d.succ_opt().unwrap_or(d))
}

/// The UTC bounds of local calendar year `year`: from its first local midnight
/// (inclusive) to the next year's (exclusive).
pub fn year_range(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(utc_of_local_midnight)
            .unwrap_or_default()
    };
    (start(year), start(year + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn a_local_day_runs_from_16_00_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        assert_eq!(utc_of_local_midnight(d), at("2025-12-31 16:00:00"));
        assert_eq!(utc_after_local_day(d), at("2026-01-01 16:00:00"));
        assert_eq!(
            local_date(at("2025-12-31 15:59:59")).to_string(),
            "2025-12-31"
        );
        assert_eq!(
            local_date(at("2025-12-31 16:00:00")).to_string(),
            "2026-01-01"
        );
        assert_eq!(
            to_local(at("2026-03-01 04:00:00")).to_rfc3339(),
            "2026-03-01T12:00:00+08:00"
        );
    }

    #[test]
    fn a_local_year_runs_from_16_00_utc_on_new_years_eve() {
        let (from, to) = year_range(2026);
        assert_eq!(from, at("2025-12-31 16:00:00"));
        assert_eq!(to, at("2026-12-31 16:00:00"));
    }
}
