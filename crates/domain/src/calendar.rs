//! The official working-day calendar (放假调休) and deadline arithmetic. Invariant: a count that touches a year whose official calendar is not loaded is never silent: it is counted Monday to Friday and marked provisional.
//!
//! The State Council publishes each year's holiday arrangement in November or
//! December, so a deadline may reach into a year nobody can know yet. Such a
//! deadline never blocks work; it is shown as provisional and recomputed once an
//! admin loads that year.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a State Council notice says about one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A day off inside a holiday block, weekends included (放假).
    Holiday,
    /// An adjusted working Saturday or Sunday (调休上班日).
    Workday,
}

impl DayKind {
    /// The word used in the CSV file and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A day kind other than `holiday` or `workday`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown day kind \"{0}\": expected \"holiday\" or \"workday\"")]
pub struct UnknownDayKind(pub String);

impl FromStr for DayKind {
    type Err = UnknownDayKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "holiday" => Ok(DayKind::Holiday),
            "workday" => Ok(DayKind::Workday),
            other => Err(UnknownDayKind(other.to_owned())),
        }
    }
}

/// A date by which something must happen, counted in working days.
///
/// `provisional` is true when the count passed through a year whose official
/// calendar is not loaded: those days were counted Monday to Friday, and the
/// date must be recomputed once that year is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// The official calendar: holiday blocks and adjusted working weekends of the
/// years that have been loaded.
///
/// A date is a working day unless it is listed as a holiday; a listed workday
/// (a Saturday or Sunday worked in exchange for a holiday) is a working day;
/// any other date is a working day from Monday to Friday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    entries: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// Builds a calendar from dated entries and the years whose official
    /// calendar they make up.
    ///
    /// A year is known only if it is listed in `years`: a year with no
    /// entries at all is unknown, not "a year without holidays". Entries are
    /// applied whatever their year; if a date appears twice, the last entry
    /// wins (`parse_holiday_csv` refuses duplicates before this point).
    pub fn new(
        entries: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        years: impl IntoIterator<Item = i32>,
    ) -> Self {
        WorkCalendar {
            entries: entries.into_iter().collect(),
            years: years.into_iter().collect(),
        }
    }

    /// A calendar with no year loaded: every count is provisional.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The notice's entry for `date`, if there is one.
    pub fn day_kind(&self, date: NaiveDate) -> Option<DayKind> {
        self.entries.get(&date).copied()
    }

    /// Whether staff work on `date`: a listed holiday is not a working day, a
    /// listed adjusted workday is, and any other date is a working day from
    /// Monday to Friday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.entries.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => is_monday_to_friday(date),
        }
    }

    /// Whether the official calendar of `year` is loaded.
    pub fn is_known_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The loaded years, in ascending order.
    pub fn known_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The `n`-th working day strictly after `start`.
    ///
    /// `start` itself never counts, whatever its kind: a sample received on a
    /// holiday with one working day to go is due on the next working day.
    /// With `n == 0` the result is `start` itself, provisional if and only if
    /// `start`'s year is unknown. Otherwise the result is provisional if any
    /// date after `start` up to and including the result lies in an unknown
    /// year. The cost is linear in the number of days walked.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Deadline {
        if n == 0 {
            return Deadline {
                date: start,
                provisional: !self.is_known_year(start.year()),
            };
        }
        let mut remaining = n;
        let mut provisional = false;
        for date in start.iter_days().skip(1) {
            provisional |= !self.is_known_year(date.year());
            if self.is_working_day(date) {
                remaining -= 1;
                if remaining == 0 {
                    return Deadline { date, provisional };
                }
            }
        }
        // Only reachable at the end of chrono's date range, which lies in no
        // loaded year.
        Deadline {
            date: NaiveDate::MAX,
            provisional: true,
        }
    }

    /// The number of working days in the half-open interval `(from, to]`,
    /// and whether that count is provisional.
    ///
    /// Convention: `from` never counts and `to` does, so that
    /// `working_days_between(a, add_working_days(a, n).date) == (n, provisional)`
    /// with the same provisional flag. If `to` is before `from` the count is
    /// the negative of `working_days_between(to, from)`: a sample three
    /// working days overdue gives -3 from its due date to today read the
    /// other way round. With `from == to` the count is 0, provisional if and
    /// only if that date's year is unknown. Otherwise the count is
    /// provisional if any counted date lies in an unknown year.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> (i64, bool) {
        if from == to {
            return (0, !self.is_known_year(from.year()));
        }
        let (low, high, sign) = if from < to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0_i64;
        let mut provisional = false;
        for date in low.iter_days().skip(1).take_while(|d| *d <= high) {
            provisional |= !self.is_known_year(date.year());
            if self.is_working_day(date) {
                count += 1;
            }
        }
        (sign * count, provisional)
    }
}

/// Plain-calendar arithmetic, as methods so that a rule profile can count
/// every unit on the one calendar it is given. None of them depends on the
/// holidays; see the free functions of the same names.
impl WorkCalendar {
    /// See [`add_calendar_days`].
    pub fn add_calendar_days(&self, start: NaiveDate, n: i64) -> NaiveDate {
        add_calendar_days(start, n)
    }

    /// See [`add_months`].
    pub fn add_months(&self, start: NaiveDate, n: u32) -> NaiveDate {
        add_months(start, n)
    }

    /// See [`add_hours`].
    pub fn add_hours(&self, start: NaiveDateTime, n: i64) -> NaiveDateTime {
        add_hours(start, n)
    }
}

fn is_monday_to_friday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `start` moved by `n` calendar days (backwards if `n` is negative).
/// Saturates at the ends of chrono's date range instead of panicking.
pub fn add_calendar_days(start: NaiveDate, n: i64) -> NaiveDate {
    let days = Days::new(n.unsigned_abs());
    if n >= 0 {
        start.checked_add_days(days).unwrap_or(NaiveDate::MAX)
    } else {
        start.checked_sub_days(days).unwrap_or(NaiveDate::MIN)
    }
}

/// `start` moved forward by `n` calendar months, clamped to the end of a
/// shorter month: 2025-08-31 plus 6 months is 2026-02-28. Saturates at the
/// end of chrono's date range.
pub fn add_months(start: NaiveDate, n: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// `start` moved by `n` hours (backwards if `n` is negative), for limits
/// such as "deliver within 48 hours of sampling". Saturates at the ends of
/// chrono's range.
pub fn add_hours(start: NaiveDateTime, n: i64) -> NaiveDateTime {
    let saturated = if n >= 0 {
        NaiveDateTime::MAX
    } else {
        NaiveDateTime::MIN
    };
    TimeDelta::try_hours(n)
        .and_then(|delta| start.checked_add_signed(delta))
        .unwrap_or(saturated)
}

/// A holiday file that cannot be loaded; each variant names the line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("line {line}: expected the header \"date,kind,name\", found \"{found}\"")]
    Header { line: usize, found: String },
    #[error("line {line}: expected 3 fields \"date,kind,name\", found {found}")]
    Fields { line: usize, found: usize },
    #[error("line {line}: \"{value}\" is not a date of the form YYYY-MM-DD")]
    Date { line: usize, value: String },
    #[error("line {line}: unknown kind \"{value}\", expected \"holiday\" or \"workday\"")]
    Kind { line: usize, value: String },
    #[error(
        "line {line}: {date} is listed as an adjusted workday but is not a Saturday or Sunday"
    )]
    WorkdayNotWeekend { line: usize, date: NaiveDate },
    #[error("line {line}: {date} is already listed on line {first_line}")]
    Duplicate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
}

/// Parses a holiday file: a header line `date,kind,name`, then one line per
/// date such as `2025-01-26,workday,春节`.
///
/// Line numbers in errors are 1-based and count the header. Blank lines are
/// skipped, a leading byte-order mark and CRLF line ends are accepted, and
/// fields are trimmed. A date listed twice is refused, and so is an adjusted
/// workday that is not a Saturday or Sunday, since either is a typing error
/// that would silently move deadlines.
pub fn parse_holiday_csv(text: &str) -> Result<Vec<(NaiveDate, DayKind, String)>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());

    let Some((header_line, header)) = lines.next() else {
        return Err(CalendarError::Header {
            line: 1,
            found: String::new(),
        });
    };
    let header_fields: Vec<&str> = header.split(',').map(str::trim).collect();
    if header_fields != ["date", "kind", "name"] {
        return Err(CalendarError::Header {
            line: header_line,
            found: header.to_owned(),
        });
    }

    let mut rows = Vec::new();
    let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (line, text) in lines {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let [date, kind, name] = fields[..] else {
            return Err(CalendarError::Fields {
                line,
                found: fields.len(),
            });
        };
        let date =
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| CalendarError::Date {
                line,
                value: date.to_owned(),
            })?;
        let kind: DayKind = kind.parse().map_err(|_| CalendarError::Kind {
            line,
            value: kind.to_owned(),
        })?;
        if kind == DayKind::Workday && is_monday_to_friday(date) {
            return Err(CalendarError::WorkdayNotWeekend { line, date });
        }
        if let Some(first_line) = seen.insert(date, line) {
            return Err(CalendarError::Duplicate {
                line,
                date,
                first_line,
            });
        }
        rows.push((date, kind, name.to_owned()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
