//! 你送我检 (SPEC §8, rules.md §a.1): a custodian registers a resident's own item for
//! rapid tests, records the results and prints a slip that says it is not a statutory
//! report. A screening is not a sample: no entity, no plan, no legal conclusion, no
//! disposal case, and it never enters the sampling statistics.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::db::lab_profile::load as lab_profile;
use crate::db::screening::{NewResult, ScreeningRecord as Row};
use crate::db::{self, write_tx, DbConnection};
use crate::documents::screening::{render_screening_slip, ScreeningRow, ScreeningSlip};
use crate::domain::local_time::{local_date, to_local};
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::domain::screening::ScreeningVerdict;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;
use crate::workflow::{clean_text, Actor};

/// `POST /api/v1/screenings`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningInput {
    #[serde(default)]
    pub item_name: String,
    /// Where the resident bought it.
    #[serde(default)]
    pub item_source: String,
    #[serde(default)]
    pub region_code: String,
}

/// `POST /api/v1/screenings/{no}/results`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningResultInput {
    #[serde(default)]
    pub test_name: String,
    /// The rapid method or kit.
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub result_text: String,
    /// negative | positive | suspicious
    #[serde(default)]
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScreeningResult {
    pub test_name: String,
    pub method: String,
    pub result_text: String,
    pub verdict: String,
    pub verdict_text: String,
    pub recorded_by: String,
    #[schema(value_type = String)]
    pub recorded_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Screening {
    pub screening_no: String,
    pub item_name: String,
    pub item_source: String,
    pub region_code: String,
    pub region_name: String,
    pub received_by: String,
    #[schema(value_type = String)]
    pub received_at: chrono::DateTime<chrono::FixedOffset>,
    pub results: Vec<ScreeningResult>,
    /// Always true: a screening is not a statutory inspection.
    pub not_a_statutory_report: bool,
}

const ROLES: [Role; 3] = [Role::Custodian, Role::Technician, Role::Supervisor];

impl ScreeningResult {
    /// Whether the screening found nothing (the page shows the word plainly).
    pub fn is_negative(&self) -> bool {
        self.verdict.parse() == Ok(ScreeningVerdict::Negative)
    }
}

/// The Chinese word of a verdict; `None` for anything else.
pub fn verdict_text(v: &str) -> Option<&'static str> {
    v.parse::<ScreeningVerdict>()
        .ok()
        .map(ScreeningVerdict::label_zh)
}

fn name_of(conn: &mut DbConnection, id: i64) -> AppResult<String> {
    Ok(db::users::display_name(conn, id)?.unwrap_or_default())
}

fn view(conn: &mut DbConnection, row: Row) -> AppResult<Screening> {
    let rows = db::screening::results_of(conn, row.id)?;
    let mut results = Vec::with_capacity(rows.len());
    for (test_name, method, result_text, verdict, by, at) in rows {
        results.push(ScreeningResult {
            verdict_text: verdict_text(&verdict).unwrap_or_default().to_string(),
            test_name,
            method,
            result_text,
            verdict,
            recorded_by: name_of(conn, by)?,
            recorded_at: to_local(at),
        });
    }
    let region_name = db::reference::find_region_name(conn, &row.region_code)?.unwrap_or_default();
    Ok(Screening {
        screening_no: row.screening_no,
        item_name: row.item_name,
        item_source: row.item_source,
        region_code: row.region_code,
        region_name,
        received_by: name_of(conn, row.received_by)?,
        received_at: to_local(row.received_at),
        results,
        not_a_statutory_report: true,
    })
}

fn visible(conn: &mut DbConnection, actor: &Actor, no: &str) -> AppResult<Row> {
    actor.require(&ROLES)?;
    let row = db::screening::by_no(conn, no.trim())?;
    row.filter(|r| {
        RegionCode::parse(&r.region_code).is_ok_and(|c| scope_covers(actor.region.as_ref(), &c))
    })
    .ok_or_else(|| AppError::not_found("快检登记", "Screening"))
}

/// A custodian registers a resident's item for rapid tests.
pub fn register(cx: &mut Ctx, input: &ScreeningInput) -> AppResult<Screening> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Custodian])?;
    let mut errors = FieldErrors::new();
    let mut text =
        |name: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(t) => t,
            Err(m) => {
                errors.insert(name.to_string(), m);
                String::new()
            }
        };
    let item_name = text("item_name", &input.item_name, 100, true);
    let item_source = text("item_source", &input.item_source, 200, false);
    let region = input.region_code.trim().to_string();
    let known = RegionCode::parse(&region)
        .ok()
        .filter(|c| scope_covers(actor.region.as_ref(), c));
    let known = match known {
        Some(c) => db::reference::region_exists(conn, c.as_str())?,
        None => false,
    };
    if !known {
        errors.insert(
            "region_code".to_string(),
            Msg::new(
                "行政区划不存在或不在您的辖区",
                "is not a region in your scope",
            ),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let by = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        // Stored under a placeholder first: the number is made from the id.
        let id = db::screening::insert(conn, &item_name, &item_source, &region, by, now)?;
        let no = format!("SJ{}{id:06}", local_date(now).year());
        db::screening::set_number(conn, id, &no)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "screening.register",
                entity_kind: "screening",
                entity_id: no.clone(),
                before: None,
                after: Some(serde_json::json!({
                    "item_name": item_name, "item_source": item_source, "region_code": region,
                })),
                reason: None,
            },
        )?;
        let row = db::screening::by_id(conn, id)?;
        view(conn, row)
    })
}

/// A rapid-test result for a screening.
pub fn add_result(cx: &mut Ctx, no: &str, input: &ScreeningResultInput) -> AppResult<Screening> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let row = visible(conn, actor, no)?;
    actor.require(&[Role::Custodian, Role::Technician])?;
    let mut errors = FieldErrors::new();
    let mut text = |name: &str, v: &str, max: usize| match clean_text(v, max, true) {
        Ok(t) => t,
        Err(m) => {
            errors.insert(name.to_string(), m);
            String::new()
        }
    };
    let test_name = text("test_name", &input.test_name, 100);
    let method = text("method", &input.method, 100);
    let result_text = text("result_text", &input.result_text, 100);
    let verdict = input.verdict.trim().to_string();
    if verdict_text(&verdict).is_none() {
        errors.insert(
            "verdict".to_string(),
            Msg::new(
                "判定应为 negative（阴性）、positive（阳性）或 suspicious（可疑）",
                "must be negative, positive or suspicious",
            ),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let by = actor.id.ok_or_else(AppError::forbidden)?;
    write_tx(conn, |conn| {
        let result = NewResult {
            test_name: &test_name,
            method: &method,
            result_text: &result_text,
            verdict: &verdict,
        };
        db::screening::insert_result(conn, row.id, &result, by, now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "screening.result",
                entity_kind: "screening",
                entity_id: row.screening_no.clone(),
                before: None,
                after: Some(serde_json::json!({
                    "test_name": test_name, "method": method,
                    "result_text": result_text, "verdict": verdict,
                })),
                reason: None,
            },
        )?;
        let fresh = db::screening::by_id(conn, row.id)?;
        view(conn, fresh)
    })
}

pub fn get(conn: &mut DbConnection, actor: &Actor, no: &str) -> AppResult<Screening> {
    let row = visible(conn, actor, no)?;
    view(conn, row)
}

/// The latest screenings in the actor's region, newest first (at most 200).
pub fn list(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<Screening>> {
    actor.require(&ROLES)?;
    let rows = db::screening::latest(conn, actor.region.as_ref(), 200)?;
    rows.into_iter().map(|r| view(conn, r)).collect()
}

/// The slip (PDF, Chinese) for the resident; refused (409) before any result is recorded.
pub fn slip(cx: &mut Ctx, no: &str) -> AppResult<Vec<u8>> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let s = get(conn, actor, no)?;
    if s.results.is_empty() {
        return Err(AppError::Conflict(Msg::new(
            "尚无检测结果，不能打印告知单",
            "Record a result before printing the slip",
        )));
    }
    let lab = lab_profile(conn)?;
    let date = |d: chrono::NaiveDate| format!("{}年{}月{}日", d.year(), d.month(), d.day());
    let doc = ScreeningSlip {
        screening_no: s.screening_no,
        lab_name: lab.name,
        item_name: s.item_name,
        item_source: s.item_source,
        region_name: s.region_name,
        received_on: date(s.received_at.date_naive()),
        rows: s
            .results
            .into_iter()
            .map(|r| ScreeningRow {
                test: r.test_name,
                method: r.method,
                result: r.result_text,
                verdict: r.verdict_text,
            })
            .collect(),
        printed_on: date(local_date(now)),
    };
    render_screening_slip(&doc).map_err(AppError::internal)
}
