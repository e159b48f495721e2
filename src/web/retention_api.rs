//! The JSON API of retention (API.md: Retention): where a backup portion is kept, its
//! discard, and what may be discarded soon.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::AppResult;
use crate::web::auth::ApiUser;
use crate::web::AppState;
use crate::workflow::retention::{
    self, DiscardInput, Retention, RetentionInput, RetentionLine, DEFAULT_WITHIN_DAYS,
};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/samples/{no}/retention", web::put().to(set_place))
        .route("/samples/{no}/retention", web::get().to(get_retention))
        .route("/samples/{no}/retention/discard", web::post().to(discard))
        .route("/retention/discardable", web::get().to(discardable));
}

/// Records (or moves) the place of the backup portion (custodian).
#[utoipa::path(put, path = "/api/v1/samples/{sample_no}/retention", request_body = RetentionInput,
    responses((status = 200, body = Retention), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn set_place(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<RetentionInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let input = body.into_inner();
    let r = st
        .call(actor, move |cx| retention::set_place(cx, &no, input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/retention",
    responses((status = 200, body = Retention), (status = 404)))]
pub async fn get_retention(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let r = st.db.run(move |c| retention::get(c, &actor, &no)).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Discards the backup portion (custodian), with a reason; 409 before `keep_until`.
#[utoipa::path(post, path = "/api/v1/samples/{sample_no}/retention/discard", request_body = DiscardInput,
    responses((status = 200, body = Retention), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn discard(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<DiscardInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let reason = body.into_inner().reason.unwrap_or_default();
    let r = st
        .call(actor, move |cx| retention::discard(cx, &no, reason))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DiscardableQuery {
    /// Days ahead of today (0 to 366; default 7: this week).
    pub within_days: Option<i64>,
}

/// Backup portions still kept whose keep-until date falls within `within_days`.
#[utoipa::path(get, path = "/api/v1/retention/discardable", params(DiscardableQuery),
    responses((status = 200, body = Vec<RetentionLine>), (status = 403), (status = 422)))]
pub async fn discardable(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<DiscardableQuery>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let within = q.into_inner().within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
    let r = st
        .call(actor, move |cx| retention::discardable(cx, within))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
