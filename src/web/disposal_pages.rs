//! Disposal pages for supervisors: the board (open, due within 5 working days, overdue,
//! closed, with the three rates) and the case page (steps with deadlines, what is still
//! required, recording a step, extension and reopening).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;

use crate::domain::disposal::StepKind;
use crate::error::{AppError, AppResult};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::pages::{redirect, render, Nav};
use crate::workflow::disposal::{
    self, Disposal, DisposalFilter, DisposalStats, EventInput, ExtensionInput, LaggingCase,
    PublicInfoInput, RateRow, Reminder, ReopenInput, StatsFilter,
};
use crate::workflow::intake::{local_date, shanghai};
use crate::workflow::reference::work_calendar;
use crate::workflow::{case_reports, Ctx};

/// The routes of this file.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/disposals", web::get().to(board))
        .route("/disposals/reminders", web::get().to(reminders_page))
        .route("/disposals/{id}", web::get().to(case_page))
        .route("/disposals/{id}/events", web::post().to(event_submit))
        .route(
            "/disposals/{id}/extension",
            web::post().to(extension_submit),
        )
        .route("/disposals/{id}/reopen", web::post().to(reopen_submit))
        .route("/disposals/{id}/publish", web::post().to(publish_submit))
        .route(
            "/disposals/{id}/unpublish",
            web::post().to(unpublish_submit),
        )
        .route(
            "/disposals/{id}/attachments/{attachment_id}",
            web::get().to(attachment_download),
        );
}

/// A case on the board with how many working days are left to its completion deadline.
struct Line {
    case: Disposal,
    days_left: Option<i64>,
}

#[derive(Template)]
#[template(path = "disposal/board.html")]
struct BoardPage {
    nav: Nav,
    /// (word key of the heading, cases), most urgent first.
    sections: Vec<(&'static str, Vec<Line>)>,
    stats: DisposalStats,
    year: i32,
}

impl BoardPage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map_or("—".to_string(), |x| format!("{:.1}%", x * 100.0))
    }

    /// Each rate with the cases keeping it below 100 %.
    fn lagging(&self) -> Vec<(&'static str, &[LaggingCase])> {
        vec![
            ("disposal.disposal_rate", &self.stats.not_started),
            ("disposal.completion_rate", &self.stats.not_completed),
            ("disposal.on_time_rate", &self.stats.not_on_time),
        ]
    }

    /// The rates by region and by plan level.
    fn breakdowns(&self) -> Vec<(&'static str, &[RateRow])> {
        vec![
            ("disposal.by_region", &self.stats.by_region),
            ("disposal.by_level", &self.stats.by_level),
        ]
    }
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    year: Option<i32>,
}

async fn board(ctx: PageCtx, q: web::Query<BoardQuery>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let now = ctx.now();
    let year = q
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&local_date(now)));
    let (cases, stats, cal) = ctx
        .state
        .call(actor, move |cx| {
            let (cases, _) = disposal::list_cases(
                cx,
                &DisposalFilter {
                    year: Some(year),
                    ..Default::default()
                },
                1,
                500,
            )?;
            let stats = disposal::stats(
                cx,
                &StatsFilter {
                    year: Some(year.to_string()),
                    ..Default::default()
                },
            )?;
            Ok((cases, stats, work_calendar(cx.conn)?))
        })
        .await?;
    let today = local_date(now);
    let (mut overdue, mut due_soon, mut open, mut closed) = (vec![], vec![], vec![], vec![]);
    for case in cases {
        let days_left = case
            .due_on
            .filter(|_| case.is_open())
            .map(|d| signed_working_days(&cal, today, d));
        let line = Line { case, days_left };
        if !line.case.is_open() {
            closed.push(line);
        } else if line.case.overdue {
            overdue.push(line);
        } else if line
            .days_left
            .is_some_and(|d| d <= crate::domain::disposal::DUE_SOON_WORKING_DAYS)
        {
            due_soon.push(line);
        } else {
            open.push(line);
        }
    }
    render(
        &ctx,
        StatusCode::OK,
        &BoardPage {
            nav: Nav::new(&ctx),
            sections: vec![
                ("disposal.overdue", overdue),
                ("disposal.due_soon", due_soon),
                ("disposal.open", open),
                ("disposal.closed", closed),
            ],
            stats,
            year,
        },
    )
}

fn signed_working_days(
    cal: &crate::domain::calendar::WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> i64 {
    if to >= from {
        cal.working_days_between(from, to).0
    } else {
        -cal.working_days_between(to, from).0
    }
}

#[derive(Template)]
#[template(path = "disposal/case.html")]
struct CasePage {
    nav: Nav,
    case: Disposal,
    kinds: Vec<(&'static str, &'static str)>,
    now_local: String,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn case_view(
    ctx: &PageCtx,
    id: i64,
    status: StatusCode,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let now = ctx.now();
    let case = ctx
        .state
        .call(actor, move |cx| disposal::get_case(cx, id))
        .await?;
    let kinds = StepKind::ALL
        .iter()
        .filter(|k| **k != StepKind::Reopened)
        .map(|k| (k.as_str(), k.label_zh()))
        .collect();
    render(
        ctx,
        status,
        &CasePage {
            nav: Nav::new(ctx),
            case,
            kinds,
            now_local: shanghai()
                .from_utc_datetime(&now)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            notice: None,
            errors,
        },
    )
}

async fn case_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    case_view(&ctx, path.into_inner(), StatusCode::OK, Vec::new()).await
}

/// A `datetime-local` value read as Asia/Shanghai.
fn local_input(v: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let t = NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M").ok()?;
    shanghai().from_local_datetime(&t).single()
}

async fn after_write(
    ctx: &PageCtx,
    id: i64,
    result: AppResult<Disposal>,
    field: &str,
) -> AppResult<HttpResponse> {
    match result {
        Ok(_) => Ok(redirect(&format!("/disposals/{id}"))),
        Err(e) => {
            let shown = [
                Shown::Invalid,
                Shown::Conflict,
                Shown::Forbidden,
                Shown::BadRequest,
            ];
            let r = refusal(e, &shown)?;
            case_view(ctx, id, r.status(), r.messages(ctx.lang, field)).await
        }
    }
}

fn flag(v: Option<&str>) -> Option<bool> {
    match v {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

async fn event_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let Some(at) = local_input(form_get(&form, "at").unwrap_or("")) else {
        let e = AppError::field(
            "at",
            crate::error::Msg::new("请填写发生时间", "enter when it happened"),
        );
        return after_write(&ctx, id, Err(e), "at").await;
    };
    let input = EventInput {
        kind: form_get(&form, "kind").unwrap_or("").to_string(),
        at,
        note: form_get(&form, "note").map(str::to_string),
        upheld: flag(form_get(&form, "upheld")),
        accepted: flag(form_get(&form, "accepted")),
        recall_level: form_get(&form, "recall_level").and_then(|v| v.parse().ok()),
    };
    let now = ctx.now();
    let issuer = ctx.state.issuer();
    let r = ctx
        .state
        .db
        .run(move |c| {
            case_reports::record_event(&mut Ctx::new(c, now, &actor), &issuer, id, &input)
        })
        .await;
    after_write(&ctx, id, r, "kind").await
}

async fn extension_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let Some(until) =
        form_get(&form, "until").and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
    else {
        let e = AppError::field(
            "until",
            crate::error::Msg::new("请填写日期", "enter a date"),
        );
        return after_write(&ctx, id, Err(e), "until").await;
    };
    let input = ExtensionInput {
        until,
        reason: form_get(&form, "reason").unwrap_or("").to_string(),
    };
    let approve = form_get(&form, "approve") == Some("yes");
    let r = ctx
        .state
        .call(actor, move |cx| {
            if approve {
                disposal::approve_extension(cx, id, &input)
            } else {
                disposal::request_extension(cx, id, &input)
            }
        })
        .await;
    after_write(&ctx, id, r, "until").await
}

async fn reopen_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    with_reason(ctx, path, form, disposal::reopen).await
}

async fn publish_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let get = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let input = PublicInfoInput {
        supply_source: get("supply_source"),
        quantity_bought: get("quantity_bought"),
        quantity_sold: get("quantity_sold"),
        quantity_remaining: get("quantity_remaining"),
        measures: get("measures"),
        legal_basis: get("legal_basis"),
        penalty: get("penalty"),
        exemption: get("exemption"),
    };
    let r = ctx
        .state
        .call(actor, move |cx| disposal::publish_info(cx, id, &input))
        .await;
    after_write(&ctx, id, r, "measures").await
}

async fn unpublish_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    with_reason(ctx, path, form, disposal::unpublish_info).await
}

/// A supervisor's step on a case whose form is a reason alone (reopen, unpublish).
async fn with_reason(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
    step: fn(&mut Ctx, i64, &ReopenInput) -> AppResult<Disposal>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let input = ReopenInput {
        reason: form_get(&form, "reason").unwrap_or("").to_string(),
    };
    let r = ctx.state.call(actor, move |cx| step(cx, id, &input)).await;
    after_write(&ctx, id, r, "reason").await
}

async fn attachment_download(ctx: PageCtx, path: web::Path<(i64, i64)>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let (id, attachment_id) = path.into_inner();
    let (a, bytes) = ctx
        .state
        .db
        .run(move |c| disposal::attachment(c, &actor, id, attachment_id))
        .await?;
    Ok(crate::web::disposal_api::attachment_response(&a, bytes))
}

#[derive(Template)]
#[template(path = "disposal/reminders.html")]
struct RemindersPage {
    nav: Nav,
    today: NaiveDate,
    reminders: Vec<Reminder>,
}

async fn reminders_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let now = ctx.now();
    let reminders = ctx.state.call(actor, disposal::reminders).await?;
    render(
        &ctx,
        StatusCode::OK,
        &RemindersPage {
            nav: Nav::new(&ctx),
            today: local_date(now),
            reminders,
        },
    )
}
