//! The JSON API of disposal (API.md: Disposal): the case list, one case with its steps
//! and deadlines, and recording a step.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::AppState;
use crate::workflow::disposal::{
    self, Disposal, DisposalFilter, DisposalStats, EventInput, ExtensionInput, Reminder,
    ReopenInput, StatsFilter,
};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/disposals", web::get().to(list))
        .route("/disposals/reminders", web::get().to(reminders))
        .route("/disposals/{id}", web::get().to(get))
        .route("/disposals/{id}/events", web::post().to(record_event))
        .route(
            "/disposals/{id}/extension",
            web::post().to(request_extension),
        )
        .route(
            "/disposals/{id}/extension/approve",
            web::post().to(approve_extension),
        )
        .route("/disposals/{id}/reopen", web::post().to(reopen))
        .route("/stats/disposal", web::get().to(stats));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `csv` (every matching case, UTF-8 with a byte-order mark so
    /// spreadsheet programs read the Chinese).
    pub format: Option<String>,
}

/// Cases the supervisor may see, most urgent first; `?format=csv` exports them all.
#[utoipa::path(get, path = "/api/v1/disposals", params(DisposalFilter, Paging, FormatQuery),
    responses((status = 200, body = Page<Disposal>), (status = 403), (status = 422)))]
pub async fn list(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<DisposalFilter>,
    paging: web::Query<Paging>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    match format.format.as_deref() {
        None | Some("") | Some("json") => {}
        Some("csv") => {
            let cases = st
                .db
                .run(move |c| {
                    let mut all = Vec::new();
                    let mut page = 1;
                    loop {
                        let (items, total) = disposal::list_cases(c, now, &actor, &f, page, 500)?;
                        all.extend(items);
                        if page * 500 >= total {
                            return Ok(all);
                        }
                        page += 1;
                    }
                })
                .await?;
            return Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"disposals.csv\"",
                ))
                .body(cases_csv(&cases)?));
        }
        Some(_) => {
            return Err(AppError::field(
                "format",
                Msg::new("格式应为 json 或 csv", "must be json or csv"),
            ))
        }
    }
    let (items, total) = st
        .db
        .run(move |c| disposal::list_cases(c, now, &actor, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// The cases as CSV, one row per case.
fn cases_csv(cases: &[Disposal]) -> AppResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            "id",
            "sample_no",
            "report_no",
            "region_code",
            "product_name",
            "entity_name",
            "kind",
            "status",
            "outcome",
            "opened_at",
            "closed_at",
            "due_on",
            "overdue",
            "missing_steps",
        ])
        .map_err(AppError::internal)?;
        for c in cases {
            w.write_record([
                c.id.to_string(),
                c.sample_no.clone(),
                c.report_no.clone(),
                c.region_code.clone(),
                c.product_name.clone(),
                c.entity_name.clone(),
                c.kind.clone(),
                c.status.clone(),
                c.outcome.clone().unwrap_or_default(),
                c.opened_at.to_rfc3339(),
                c.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                c.due_on.map(|d| d.to_string()).unwrap_or_default(),
                c.overdue.to_string(),
                c.missing.join(" "),
            ])
            .map_err(AppError::internal)?;
        }
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/disposals/{id}",
    responses((status = 200, body = Disposal), (status = 404)))]
pub async fn get(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let id = path.into_inner();
    let d = st
        .db
        .run(move |c| disposal::get_case(c, now, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Records a step (supervisor): 422 for a bad time or a request after its window (the
/// deadline named), 409 for a step out of order or closing with a required step missing.
#[utoipa::path(post, path = "/api/v1/disposals/{id}/events", request_body = EventInput,
    responses((status = 200, body = Disposal), (status = 404), (status = 409), (status = 422)))]
pub async fn record_event(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EventInput>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let issuer = st.issuer();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st
        .db
        .run(move |c| disposal::record_event(c, now, &actor, &issuer, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[utoipa::path(post, path = "/api/v1/disposals/{id}/extension", request_body = ExtensionInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn request_extension(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ExtensionInput>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st
        .db
        .run(move |c| disposal::request_extension(c, now, &actor, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// A second supervisor approves the requested date (403 for the one who asked).
#[utoipa::path(post, path = "/api/v1/disposals/{id}/extension/approve", request_body = ExtensionInput,
    responses((status = 200, body = Disposal), (status = 403), (status = 409), (status = 422)))]
pub async fn approve_extension(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ExtensionInput>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st
        .db
        .run(move |c| disposal::approve_extension(c, now, &actor, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[utoipa::path(post, path = "/api/v1/disposals/{id}/reopen", request_body = ReopenInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn reopen(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ReopenInput>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st
        .db
        .run(move |c| disposal::reopen(c, now, &actor, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The three disposal rates of SPEC §6 with their definitions and the cases below 100 %.
#[utoipa::path(get, path = "/api/v1/stats/disposal", params(StatsFilter),
    responses((status = 200, body = DisposalStats), (status = 403), (status = 422)))]
pub async fn stats(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let s = st
        .db
        .run(move |c| disposal::stats(c, now, &actor, &f))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The morning reminder list: duties overdue or due within 5 working days, most urgent
/// first (for a mail or SMS gateway to poll).
#[utoipa::path(get, path = "/api/v1/disposals/reminders",
    responses((status = 200, body = Vec<Reminder>), (status = 403)))]
pub async fn reminders(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let r = st
        .db
        .run(move |c| disposal::reminders(c, now, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
