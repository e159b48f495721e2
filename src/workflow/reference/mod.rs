//! Reference data: regions and their population, the holiday calendar, food and drug
//! categories, test items and rule profiles. Read by every stage; changed by admins,
//! each change audited.

mod catalogue;
mod profiles;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::{self, write_tx, DbConnection};
use crate::domain::calendar::{parse_holiday_csv, DayKind};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;
use crate::workflow::{clean_text, Actor};

pub use crate::db::reference::{CalendarYear, Category, Region, StoredProfile};
// The loaders every stage reads from `db::reference`, offered here as this module's
// reads for the web layer.
pub use crate::db::reference::{get_profile, work_calendar, TestItemRow};
pub use catalogue::{
    create_test_item, get_test_item, list_categories, list_test_items, update_test_item,
    LimitValue, TestItem, TestItemInput, TestItemPatch,
};
pub use profiles::{list_profiles, put_profile, setup_health, ProfileInput, SetupHealth};

// ---------------------------------------------------------------- regions

pub fn list_regions(conn: &mut DbConnection) -> AppResult<Vec<Region>> {
    db::reference::list_regions(conn)
}

/// `PUT /api/v1/regions/{code}/population`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationInput {
    pub population: i64,
    pub year: i32,
    #[serde(default)]
    pub source: Option<String>,
}

/// An admin records a resident population figure for a region and year. The region
/// shows its newest figure; older figures are kept for earlier years' statistics.
pub fn set_population(cx: &mut Ctx, code: &str, input: PopulationInput) -> AppResult<Region> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Admin])?;
    let mut fields = FieldErrors::new();
    if !(1..=100_000_000).contains(&input.population) {
        fields.insert(
            "population".into(),
            Msg::new(
                "人口应为1至1亿之间的整数",
                "must be a whole number from 1 to 100,000,000",
            ),
        );
    }
    let this_year = now.year();
    if !(1950..=this_year).contains(&input.year) {
        fields.insert(
            "year".into(),
            Msg::new(
                format!("年份应在1950至{this_year}之间"),
                format!("must be from 1950 to {this_year}"),
            ),
        );
    }
    let source = clean_text(input.source.as_deref().unwrap_or(""), 200, false)
        .map_err(|m| fields.insert("source".into(), m))
        .ok();
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }
    let source = source
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("entered by {}", actor.username));
    write_tx(conn, |conn| {
        let before = db::reference::find_region(conn, code)?
            .ok_or_else(|| AppError::not_found("行政区划", "Region"))?;
        db::reference::put_population(conn, code, input.year, input.population, &source)?;
        let newest = before.population_year.is_none_or(|y| input.year >= y);
        if newest {
            db::reference::show_population(
                conn,
                code,
                input.year,
                input.population,
                &source,
                before.version + 1,
            )?;
        }
        let after = db::reference::find_region(conn, code)?
            .ok_or_else(|| AppError::not_found("行政区划", "Region"))?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "region.population_set",
                entity_kind: "region",
                entity_id: code.to_string(),
                before: Some(serde_json::to_value(&before).map_err(AppError::internal)?),
                after: Some(serde_json::json!({
                    "population": input.population, "year": input.year, "source": source,
                    "shown": { "population": after.population, "year": after.population_year }
                })),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Holiday {
    pub date: NaiveDate,
    /// holiday | workday (an adjusted working weekend day, 调休)
    pub kind: String,
    pub name: String,
}

impl Holiday {
    /// Whether the day is an adjusted working day (调休) rather than a holiday.
    pub fn is_workday(&self) -> bool {
        self.kind.parse() == Ok(DayKind::Workday)
    }
}

/// January 1st and December 31st of `year`, if it is a year chrono can hold.
fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

fn invalid_year() -> AppError {
    AppError::field("year", Msg::new("年份无效", "is not a valid year"))
}

pub fn list_holidays(conn: &mut DbConnection, year: Option<i32>) -> AppResult<Vec<Holiday>> {
    let range = match year {
        Some(y) => Some(year_bounds(y).ok_or_else(invalid_year)?),
        None => None,
    };
    Ok(db::reference::holidays(conn, range)?
        .into_iter()
        .map(|(date, kind, name)| Holiday { date, kind, name })
        .collect())
}

pub fn list_calendar_years(conn: &mut DbConnection) -> AppResult<Vec<CalendarYear>> {
    db::reference::list_calendar_years(conn)
}

/// One year's official calendar, checked and ready to store.
pub struct CalendarLoad {
    pub year: i32,
    pub source: String,
    bounds: (NaiveDate, NaiveDate),
    pub days: Vec<(NaiveDate, DayKind, String)>,
}

/// Checks that an admin may load `year`'s calendar from CSV text (`date,kind,name`)
/// and that the text holds that year's days only.
pub fn check_calendar_year(
    actor: &Actor,
    year: i32,
    source: &str,
    csv_text: &str,
) -> AppResult<CalendarLoad> {
    actor.require(&[Role::Admin])?;
    let mut fields = FieldErrors::new();
    if !(2000..=2100).contains(&year) {
        fields.insert(
            "year".into(),
            Msg::new("年份应在2000至2100之间", "must be from 2000 to 2100"),
        );
    }
    let source = clean_text(source, 200, true)
        .map_err(|m| fields.insert("source".into(), m))
        .ok();
    let days = match parse_holiday_csv(csv_text) {
        Ok(rows) => rows,
        Err(e) => {
            fields.insert(
                "csv".into(),
                Msg::new(format!("日历数据有误：{e}"), e.to_string()),
            );
            Vec::new()
        }
    };
    if let Some((d, _, _)) = days.iter().find(|(d, _, _)| d.year() != year) {
        fields.insert(
            "csv".into(),
            Msg::new(
                format!("{d} 不属于 {year} 年"),
                format!("{d} is not in {year}"),
            ),
        );
    }
    let (Some(source), true) = (source, fields.is_empty()) else {
        return Err(AppError::invalid(fields));
    };
    let bounds = year_bounds(year).ok_or_else(invalid_year)?;
    Ok(CalendarLoad {
        year,
        source,
        bounds,
        days,
    })
}

/// Replaces the year's days with the loaded ones, inside the caller's write
/// transaction; returns the year's days before and after.
pub fn store_calendar_year(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    load: &CalendarLoad,
) -> AppResult<(Vec<Holiday>, Vec<Holiday>)> {
    let before = list_holidays(conn, Some(load.year))?;
    db::reference::replace_calendar_year(
        conn,
        load.year,
        load.bounds,
        &load.days,
        &load.source,
        now,
    )?;
    let after = list_holidays(conn, Some(load.year))?;
    Ok((before, after))
}

/// Counts rows per table for reports (seed summaries).
pub fn counts(conn: &mut DbConnection) -> AppResult<BTreeMap<&'static str, i64>> {
    db::reference::counts(conn)
}
