//! The JSON API of disposal (API.md: Disposal): the case list, one case with its steps
//! and deadlines, and recording a step.

use actix_web::{web, HttpResponse};

use crate::error::AppResult;
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

#[utoipa::path(get, path = "/api/v1/disposals", params(DisposalFilter, Paging),
    responses((status = 200, body = Page<Disposal>), (status = 403), (status = 422)))]
pub async fn list(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<DisposalFilter>,
    paging: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
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
