//! The JSON API of intake (API.md: Plans and entities, Samples, receipts).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::AppResult;
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::AppState;
use crate::workflow::intake::{
    self, Entity, EntityInput, Plan, PlanFilter, PlanInput, ReceiptInput, Sample, SampleFilter,
    SampleInput, SamplePatch,
};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plans", web::get().to(list_plans))
        .route("/plans", web::post().to(create_plan))
        .route("/plans/{id}", web::get().to(get_plan))
        .route("/plans/{id}", web::patch().to(update_plan))
        .route("/entities", web::get().to(list_entities))
        .route("/entities", web::post().to(create_entity))
        .route("/entities/{id}", web::get().to(get_entity))
        .route("/entities/{id}", web::patch().to(update_entity))
        .route("/samples", web::get().to(list_samples))
        .route("/samples", web::post().to(register_sample))
        .route("/samples/{sample_no}", web::get().to(get_sample))
        .route("/samples/{sample_no}", web::patch().to(update_sample))
        .route("/receipts", web::post().to(receive))
        .route("/scan", web::get().to(scan));
}

#[utoipa::path(get, path = "/api/v1/plans", params(PlanFilter, Paging),
    responses((status = 200, body = Page<Plan>)))]
pub async fn list_plans(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<PlanFilter>,
    p: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = p.checked()?;
    let f = q.into_inner();
    let actor = user.actor;
    let (items, total) = st
        .db
        .run(move |c| intake::list_plans(c, &actor, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/api/v1/plans", request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 403), (status = 409), (status = 422)))]
pub async fn create_plan(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PlanInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let p = st
        .db
        .run(move |c| intake::create_plan(c, now, &actor, input))
        .await?;
    Ok(HttpResponse::Created().json(p))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", responses((status = 200, body = Plan), (status = 404)))]
pub async fn get_plan(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let p = st.db.run(move |c| intake::get_plan(c, &actor, id)).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[utoipa::path(patch, path = "/api/v1/plans/{id}", request_body = PlanInput,
    responses((status = 200, body = Plan), (status = 409), (status = 422)))]
pub async fn update_plan(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<PlanInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let p = st
        .db
        .run(move |c| intake::update_plan(c, now, &actor, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EntityQuery {
    /// Name or USCC contains this.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/entities", params(EntityQuery, Paging),
    responses((status = 200, body = Page<Entity>)))]
pub async fn list_entities(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<EntityQuery>,
    p: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = p.checked()?;
    let text = q.into_inner().q;
    let actor = user.actor;
    let (items, total) = st
        .db
        .run(move |c| intake::list_entities(c, &actor, text.as_deref(), page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/api/v1/entities", request_body = EntityInput,
    responses((status = 201, body = Entity), (status = 409), (status = 422)))]
pub async fn create_entity(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<EntityInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let e = st
        .db
        .run(move |c| intake::create_entity(c, now, &actor, input))
        .await?;
    Ok(HttpResponse::Created().json(e))
}

#[utoipa::path(get, path = "/api/v1/entities/{id}", responses((status = 200, body = Entity), (status = 404)))]
pub async fn get_entity(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let e = st
        .db
        .run(move |c| intake::get_entity(c, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

#[utoipa::path(patch, path = "/api/v1/entities/{id}", request_body = EntityInput,
    responses((status = 200, body = Entity), (status = 409), (status = 422)))]
pub async fn update_entity(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EntityInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let e = st
        .db
        .run(move |c| intake::update_entity(c, now, &actor, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

#[utoipa::path(get, path = "/api/v1/samples", params(SampleFilter, Paging),
    responses((status = 200, body = Page<Sample>)))]
pub async fn list_samples(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<SampleFilter>,
    p: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = p.checked()?;
    let f = q.into_inner();
    let now = st.now();
    let actor = user.actor;
    let (items, total) = st
        .db
        .run(move |c| intake::list_samples(c, now, &actor, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/api/v1/samples", request_body = SampleInput,
    responses((status = 201, body = Sample), (status = 403), (status = 422)))]
pub async fn register_sample(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<SampleInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let s = st
        .db
        .run(move |c| intake::register_sample(c, now, &actor, input))
        .await?;
    Ok(HttpResponse::Created().json(s))
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}", responses((status = 200, body = Sample), (status = 404)))]
pub async fn get_sample(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let s = st
        .db
        .run(move |c| intake::get_sample(c, &actor, &no))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

#[utoipa::path(patch, path = "/api/v1/samples/{sample_no}", request_body = SamplePatch,
    responses((status = 200, body = Sample), (status = 409), (status = 422)))]
pub async fn update_sample(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<SamplePatch>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let no = path.into_inner();
    let input = body.into_inner();
    let s = st
        .db
        .run(move |c| intake::patch_sample(c, now, &actor, &no, input))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Receives (or rejects) a sample by what the scanner read.
#[utoipa::path(post, path = "/api/v1/receipts", request_body = ReceiptInput,
    responses((status = 200, body = Sample), (status = 404), (status = 409), (status = 422)))]
pub async fn receive(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ReceiptInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let s = st
        .db
        .run(move |c| intake::receive(c, now, &actor, input))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScanQuery {
    /// What the scanner read.
    pub code: String,
}

/// Looks a scanned label up without changing anything.
#[utoipa::path(get, path = "/api/v1/scan", params(ScanQuery), responses((status = 200, body = Sample), (status = 404)))]
pub async fn scan(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ScanQuery>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let code = q.into_inner().code;
    let s = st
        .db
        .run(move |c| intake::find_by_scan(c, &actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}
