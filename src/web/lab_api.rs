//! The JSON API of lab work (API.md: Tests and results, approve) and the timeline.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::AppResult;
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::AppState;
use crate::workflow::approval;
use crate::workflow::lab::{
    self, AssignInput, Attempt, ResultInput, ReviewInput, SampleTest, TestFilter, TestPatch,
    TimelineEvent,
};
use crate::workflow::reports::Report;

pub use crate::forms::BulkInput;

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/samples/{no}/tests", web::post().to(assign))
        .route("/samples/{no}/tests", web::get().to(sample_tests))
        .route("/samples/{no}/approve", web::post().to(approve))
        .route(
            "/samples/{no}/report-draft.pdf",
            web::get().to(report_draft),
        )
        .route("/samples/{no}/timeline", web::get().to(timeline))
        .route("/tests", web::get().to(list_tests))
        .route("/tests/results", web::post().to(enter_results))
        .route("/tests/{id}", web::patch().to(update_test))
        .route("/tests/{id}", web::delete().to(remove_test))
        .route("/tests/{id}/result", web::put().to(enter_result))
        .route("/tests/{id}/review", web::post().to(review))
        .route("/tests/{id}/attempts", web::get().to(attempts));
}

/// Assigns tests; without a body (or without `assignments`), the category's defaults.
#[utoipa::path(post, path = "/api/v1/samples/{sample_no}/tests", request_body = AssignInput,
    responses((status = 201, body = Vec<SampleTest>), (status = 409), (status = 422)))]
pub async fn assign(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let input: AssignInput = if body.iter().all(|b| b.is_ascii_whitespace()) {
        AssignInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            crate::error::AppError::BadRequest(crate::error::Msg::new(
                format!("请求无法解析：{e}"),
                format!("The request cannot be read: {e}"),
            ))
        })?
    };
    let now = st.now();
    let actor = user.actor;
    let no = path.into_inner();
    let r = st
        .db
        .run(move |c| lab::assign(c, now, &actor, &no, input))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/tests", responses((status = 200, body = Vec<SampleTest>)))]
pub async fn sample_tests(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let r = st
        .db
        .run(move |c| lab::list_sample_tests(c, &actor, &no))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/tests", params(TestFilter, Paging), responses((status = 200, body = Page<SampleTest>)))]
pub async fn list_tests(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<TestFilter>,
    p: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = p.checked()?;
    let f = q.into_inner();
    let actor = user.actor;
    let (items, total) = st
        .db
        .run(move |c| lab::list_tests(c, &actor, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(patch, path = "/api/v1/tests/{id}", request_body = TestPatch, responses((status = 200, body = SampleTest)))]
pub async fn update_test(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<TestPatch>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let patch = body.into_inner();
    let r = st
        .db
        .run(move |c| lab::update_test(c, now, &actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReasonQuery {
    pub reason: Option<String>,
}

#[utoipa::path(delete, path = "/api/v1/tests/{id}", params(ReasonQuery), responses((status = 204), (status = 409)))]
pub async fn remove_test(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    q: web::Query<ReasonQuery>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let reason = q.into_inner().reason;
    st.db
        .run(move |c| lab::remove_test(c, now, &actor, id, reason.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/api/v1/tests/{id}/result", request_body = ResultInput,
    responses((status = 200, body = SampleTest), (status = 403), (status = 409), (status = 422)))]
pub async fn enter_result(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ResultInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let r = st
        .db
        .run(move |c| lab::enter_result(c, now, &actor, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(post, path = "/api/v1/tests/results", request_body = BulkInput,
    responses((status = 200, body = Vec<SampleTest>), (status = 422)))]
pub async fn enter_results(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<BulkInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let rows = body.into_inner().results;
    let r = st
        .db
        .run(move |c| lab::enter_results(c, now, &actor, rows))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(post, path = "/api/v1/tests/{id}/review", request_body = ReviewInput,
    responses((status = 200, body = SampleTest), (status = 403), (status = 409), (status = 422)))]
pub async fn review(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ReviewInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let id = path.into_inner();
    let input = body.into_inner();
    let r = st
        .db
        .run(move |c| lab::review(c, now, &actor, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/tests/{id}/attempts", responses((status = 200, body = Vec<Attempt>)))]
pub async fn attempts(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let r = st.db.run(move |c| lab::attempts(c, &actor, id)).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(post, path = "/api/v1/samples/{sample_no}/approve",
    responses((status = 201, body = Report), (status = 403), (status = 409)))]
pub async fn approve(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let issuer = st.issuer();
    let no = path.into_inner();
    let r = st
        .call(user.actor, move |cx| approval::approve(cx, &issuer, &no))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// The report a sample waiting for approval would get now, as a draft: the issued
/// layout, no number taken, nothing stored (signatories, reviewers and technicians in
/// scope; 409 unless every test is accepted).
#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/report-draft.pdf",
    responses((status = 200, content_type = "application/pdf"), (status = 403), (status = 404), (status = 409)))]
pub async fn report_draft(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let no = path.into_inner();
    let n = no.clone();
    let bytes = st
        .call(user.actor, move |cx| approval::draft_pdf(cx, &n))
        .await?;
    Ok(crate::web::labels::pdf_response(
        bytes,
        &format!("{no}-draft.pdf"),
    ))
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/timeline", responses((status = 200, body = Vec<TimelineEvent>)))]
pub async fn timeline(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let r = st.db.run(move |c| lab::timeline(c, &actor, &no)).await?;
    Ok(HttpResponse::Ok().json(r))
}
