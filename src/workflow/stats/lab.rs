//! Lab figures: turnaround in working days (median, 90th percentile), reports and
//! deliveries on time, the overdue list; and storing each report's turnaround, which
//! the rollups count (SQL cannot count working days).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::{check_filter, OverdueSample, Scope, StatsFilter, OVERDUE_LIST};
use crate::db::reference::work_calendar;
use crate::db::stats as q;
use crate::db::DbConnection;
use crate::domain::calendar::WorkCalendar;
use crate::domain::local_time::{utc_after_local_day, utc_of_local_midnight};
use crate::domain::stats::{self as f, turnaround_of};
use crate::error::AppResult;
use crate::workflow::Ctx;

/// `GET /api/v1/stats/lab`: turnaround of the reports issued in the period in working
/// days from receipt (median, 90th percentile), the share on time (reported on or
/// before the sample's deadline), delivery to the lab on time, and the overdue list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lab {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reports: i64,
    pub median_working_days: Option<f64>,
    pub p90_working_days: Option<i64>,
    /// Whether a count touched a year whose holiday calendar is not loaded.
    pub provisional: bool,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
    pub received: i64,
    pub delivered_on_time: i64,
    pub delivery_on_time_rate: Option<f64>,
    pub overdue_count: i64,
    pub overdue: Vec<OverdueSample>,
}

pub fn lab(cx: &mut Ctx, input: &StatsFilter) -> AppResult<Lab> {
    let s = check_filter(cx, input, None)?;
    lab_of(cx.conn, &s)
}

pub(super) fn lab_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Lab> {
    let slice = s.slice();
    let turns = q::turnarounds(conn, &slice)?;
    let mut dist: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut reports, mut on_time, mut provisional) = (0, 0, false);
    for r in &turns {
        provisional |= r.provisional;
        *dist.entry(r.turnaround_days).or_insert(0) += r.reports;
        reports += r.reports;
        if r.on_time {
            on_time += r.reports;
        }
    }
    // Reports written before their turnaround was stored are counted from their dates.
    let uncounted = q::uncounted_reports(conn, &slice)?;
    // The calendar is read only when some report needs it (hardly ever).
    let cal = match uncounted.is_empty() {
        true => WorkCalendar::new(std::iter::empty(), Vec::new()),
        false => work_calendar(conn)?,
    };
    for r in &uncounted {
        let (days, prov) = f::turnaround_days(&cal, r.received_on, r.reported_on);
        provisional |= prov;
        *dist.entry(days).or_insert(0) += r.n;
        reports += r.n;
        if r.due_on.is_some_and(|d| r.reported_on <= d) {
            on_time += r.n;
        }
    }
    let dist: Vec<(i64, i64)> = dist.into_iter().collect();
    let delivered = q::deliveries(conn, &slice)?;
    let received: i64 = delivered.iter().map(|d| d.received).sum();
    let late: i64 = delivered
        .iter()
        .filter(|d| d.late)
        .map(|d| d.received)
        .sum();
    let (overdue_count, overdue) = q::overdue(conn, &slice, s.today, OVERDUE_LIST)?;
    let delivered_on_time = received - late;
    Ok(Lab {
        from: s.from,
        to: s.to,
        reports,
        median_working_days: f::median(&dist),
        p90_working_days: f::percentile(&dist, 90.0),
        provisional,
        on_time,
        on_time_rate: f::ratio(on_time, reports),
        received,
        delivered_on_time,
        delivery_on_time_rate: f::ratio(delivered_on_time, received),
        overdue_count,
        overdue,
    })
}

/// Which reports `store_turnaround` looks at.
enum Reports {
    /// Those without a stored turnaround (issued before migration 000009).
    Missing,
    /// Those reported from `.0` and received before `.1`.
    Touching(NaiveDateTime, NaiveDateTime),
}

/// Stores the turnaround of `which` reports on today's calendar where it differs.
/// Returns how many changed. Writes through the caller's transaction; the triggers of
/// migration 000009 move the counts.
fn store_turnaround(conn: &mut DbConnection, which: Reports) -> AppResult<usize> {
    let mut cal: Option<WorkCalendar> = None;
    let mut changed = 0;
    let mut after = 0_i64;
    loop {
        let rows = match which {
            Reports::Missing => q::missing_turnaround(conn, TURNAROUND_CHUNK)?,
            Reports::Touching(reported_from, received_before) => q::reports_touching(
                conn,
                after,
                reported_from,
                received_before,
                TURNAROUND_CHUNK,
            )?,
        };
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.0;
        let cal = match &mut cal {
            Some(c) => c,
            slot @ None => slot.insert(work_calendar(conn)?),
        };
        for (id, received, reported, days, prov) in rows {
            let (Some(received), Some(reported)) = (received, reported) else {
                continue;
            };
            let (d, p) = turnaround_of(cal, received, reported);
            if days != Some(d) || prov != p {
                q::set_turnaround(conn, id, d, p)?;
                changed += 1;
            }
        }
    }
}

/// How many reports `store_turnaround` reads at a time.
const TURNAROUND_CHUNK: i64 = 10_000;

/// Stores the turnaround of every report that has none (those issued before migration
/// 000009); run when reference data is loaded at start. Returns how many were stored.
pub fn fill_missing_turnaround(conn: &mut DbConnection) -> AppResult<usize> {
    store_turnaround(conn, Reports::Missing)
}

/// Recounts the turnaround of the reports whose days from receipt to report touch
/// calendar `year`, after that year's holidays were loaded or reloaded.
pub fn recount_turnaround(conn: &mut DbConnection, year: i32) -> AppResult<usize> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(0);
    };
    store_turnaround(
        conn,
        Reports::Touching(utc_of_local_midnight(first), utc_after_local_day(last)),
    )
}
