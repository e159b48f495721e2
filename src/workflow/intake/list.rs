//! The sample list: filters checked, paged, newest first; and whether a sample is
//! overdue.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::{local_date, parse_enum, Sample};
use crate::db::samples::SampleQuery;
use crate::db::{self, DbConnection};
use crate::domain::region::RegionCode;
use crate::domain::sample::{Conclusion, SampleStatus};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::Actor;

/// Filters of `GET /api/v1/samples`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct SampleFilter {
    pub status: Option<String>,
    pub conclusion: Option<String>,
    /// A region code: that region and everything below it.
    pub region: Option<String>,
    pub plan_id: Option<i64>,
    /// Sampled on or after this date (Shanghai).
    pub from: Option<NaiveDate>,
    /// Sampled on or before this date (Shanghai).
    pub to: Option<NaiveDate>,
    /// Sample number, product name, brand or entity name contains this.
    pub q: Option<String>,
    /// Only samples past a deadline: not delivered by `delivery_due_on`, or no report
    /// by `due_on`.
    pub overdue: Option<bool>,
}

/// Samples the actor may see, filtered and paged, newest first.
pub fn list_samples(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &SampleFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Sample>, i64)> {
    let mut fields = FieldErrors::new();
    let status = f.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status {
        parse_enum::<SampleStatus>(&mut fields, "status", s);
    }
    let conclusion = f.conclusion.as_deref().filter(|s| !s.is_empty());
    if let Some(c) = conclusion {
        parse_enum::<Conclusion>(&mut fields, "conclusion", c);
    }
    let region = match f.region.as_deref().filter(|s| !s.is_empty()) {
        Some(r) => match RegionCode::parse(r) {
            Ok(rc) => Some(rc),
            Err(_) => {
                fields.insert(
                    "region".into(),
                    Msg::new("区划代码应为6位数字", "must be a 6-digit region code"),
                );
                None
            }
        },
        None => None,
    };
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }
    let text = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let entity_ids = match text {
        Some(text) => db::entities::ids_named_like(conn, text)?,
        None => Vec::new(),
    };
    let query = SampleQuery {
        scope: actor.region.as_ref(),
        region: region.as_ref(),
        status,
        conclusion,
        plan_id: f.plan_id,
        from: f.from,
        to: f.to,
        text,
        entity_ids: &entity_ids,
        overdue_on: (f.overdue == Some(true)).then(|| local_date(now)),
    };
    let (rows, total) = db::samples::list(conn, &query, page, per_page)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let pairs = db::samples::samplers_of(conn, &ids)?;
    let items = rows
        .iter()
        .map(|r| {
            let mut mine: Vec<(i32, i64)> = pairs
                .iter()
                .filter(|p| p.0 == r.id)
                .map(|p| (p.2, p.1))
                .collect();
            mine.sort();
            r.to_sample(mine.into_iter().map(|p| p.1).collect())
        })
        .collect();
    Ok((items, total))
}

/// Whether a sample is past a deadline today.
pub fn is_overdue(s: &Sample, today: NaiveDate) -> bool {
    match s.status.parse::<SampleStatus>() {
        Ok(SampleStatus::Registered) => s.delivery_due_on.is_some_and(|d| d < today),
        Ok(SampleStatus::Received | SampleStatus::Testing | SampleStatus::Review) => {
            s.due_on.is_some_and(|d| d < today)
        }
        _ => false,
    }
}
