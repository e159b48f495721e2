//! The JSON API of reports (API.md: Reports and verification, Public): report records and
//! PDFs, revoke and reissue, publication, the notice PDF, the lab identity, batch
//! downloads, and the public verification and results endpoints (no login).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::documents::notice::render_notice;
use crate::domain::states::BatchStatus;
use crate::error::{AppError, AppResult, Msg};
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::labels::pdf_response;
use crate::web::AppState;
use crate::workflow::intake::local_date;
use crate::workflow::report_batch::{self, Batch, BatchInput};
use crate::workflow::reports::{
    self, LabProfile, LabProfileInput, LayoutVersion, PublicFilter, PublicResult, Report,
    ReportFilter, RevokeInput, RevokeOutcome, Verification,
};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(list_reports))
        .route("/reports/batch", web::post().to(create_batch))
        .route("/reports/{report_no}", web::get().to(get_report))
        .route("/reports/{report_no}/revoke", web::post().to(revoke))
        .route("/reports/{report_no}/publish", web::post().to(publish))
        .route("/reports/{report_no}/unpublish", web::post().to(unpublish))
        .route("/samples/{no}/reports", web::get().to(sample_reports))
        .route("/samples/{no}/notice.pdf", web::get().to(notice_pdf))
        .route("/report-batches/{id}", web::get().to(batch_status))
        .route(
            "/report-batches/{id}/download",
            web::get().to(batch_download),
        )
        .route("/settings/lab", web::get().to(get_lab))
        .route("/settings/lab", web::put().to(put_lab))
        .route("/settings/lab/versions", web::get().to(lab_versions))
        .route(
            "/settings/lab/versions/{version}",
            web::get().to(lab_version),
        )
        .route("/verify/{report_no}", web::get().to(verify))
        .route("/public/results", web::get().to(public_results));
}

#[utoipa::path(get, path = "/api/v1/reports", params(ReportFilter, Paging),
    responses((status = 200, body = Page<Report>), (status = 422)))]
pub async fn list_reports(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<ReportFilter>,
    paging: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let issuer = st.issuer();
    let actor = user.actor;
    let f = filter.into_inner();
    let (items, total) = st
        .db
        .run(move |c| reports::list_reports(c, &actor, &issuer, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// The record, or with `.pdf` after the number the PDF exactly as issued.
#[utoipa::path(get, path = "/api/v1/reports/{report_no}",
    responses((status = 200, body = Report), (status = 404)))]
pub async fn get_report(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    if let Some(no) = no.strip_suffix(".pdf").map(str::to_string) {
        let n = no.clone();
        let bytes = st
            .db
            .run(move |c| reports::report_pdf(c, &actor, &n))
            .await?;
        return Ok(pdf_response(bytes, &format!("{no}.pdf")));
    }
    let issuer = st.issuer();
    let r = st
        .db
        .run(move |c| reports::get_report(c, &actor, &issuer, &no))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(post, path = "/api/v1/reports/{report_no}/revoke", request_body = RevokeInput,
    responses((status = 200, body = RevokeOutcome), (status = 403), (status = 404),
        (status = 409), (status = 422)))]
pub async fn revoke(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<RevokeInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let issuer = st.issuer();
    let actor = user.actor;
    let no = path.into_inner();
    let input = body.into_inner();
    let r = st
        .db
        .run(move |c| reports::revoke(c, now, &actor, &issuer, &no, &input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

async fn set_published(
    st: web::Data<AppState>,
    user: ApiUser,
    no: String,
    publish: bool,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let issuer = st.issuer();
    let actor = user.actor;
    let r = st
        .db
        .run(move |c| reports::set_published(c, now, &actor, &issuer, &no, publish))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Marks a valid report for the public results list (supervisor).
#[utoipa::path(post, path = "/api/v1/reports/{report_no}/publish",
    responses((status = 200, body = Report), (status = 403), (status = 409)))]
pub async fn publish(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_published(st, user, path.into_inner(), true).await
}

/// Takes a report off the public results list (supervisor).
#[utoipa::path(post, path = "/api/v1/reports/{report_no}/unpublish",
    responses((status = 200, body = Report), (status = 403)))]
pub async fn unpublish(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_published(st, user, path.into_inner(), false).await
}

/// Every report of a sample, newest first (a reissue names the one it replaces).
#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/reports",
    responses((status = 200, body = Vec<Report>), (status = 404)))]
pub async fn sample_reports(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let issuer = st.issuer();
    let actor = user.actor;
    let no = path.into_inner();
    let r = st
        .db
        .run(move |c| reports::reports_of_sample(c, &actor, &issuer, &no))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NoticeQuery {
    /// The day the notice is served (YYYY-MM-DD); the entity's windows run from it.
    /// Default: today.
    pub served_on: Option<String>,
}

/// Parses an optional `YYYY-MM-DD` query value, or 422 naming the field.
pub(crate) fn date_param(field: &str, v: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::field(
                    field,
                    Msg::new("日期格式应为 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
                )
            }),
    }
}

/// The notice of a non-compliant result (不合格检验结论通知书) for the sampled entity.
#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/notice.pdf", params(NoticeQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 409)))]
pub async fn notice_pdf(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let served_on =
        date_param("served_on", query.served_on.as_deref())?.unwrap_or(local_date(st.now()));
    let actor = user.actor;
    let no = path.into_inner();
    let n = no.clone();
    let bytes = st
        .db
        .run(move |c| {
            let doc = reports::notice(c, &actor, &n, served_on)?;
            render_notice(&doc).map_err(AppError::internal)
        })
        .await?;
    Ok(pdf_response(bytes, &format!("notice-{no}.pdf")))
}

#[utoipa::path(get, path = "/api/v1/settings/lab", responses((status = 200, body = LabProfile)))]
pub async fn get_lab(st: web::Data<AppState>, _user: ApiUser) -> AppResult<HttpResponse> {
    let r = st.db.run(reports::lab_profile).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(put, path = "/api/v1/settings/lab", request_body = LabProfileInput,
    responses((status = 200, body = LabProfile), (status = 403), (status = 409), (status = 422)))]
pub async fn put_lab(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<LabProfileInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let r = st
        .db
        .run(move |c| reports::put_lab_profile(c, now, &actor, &input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/settings/lab/versions",
    responses((status = 200, body = Vec<LayoutVersion>), (status = 403)))]
pub async fn lab_versions(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let r = st
        .db
        .run(move |c| reports::layout_versions(c, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/settings/lab/versions/{version}",
    responses((status = 200, body = LabProfile), (status = 403), (status = 404)))]
pub async fn lab_version(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let v = path.into_inner();
    let r = st
        .db
        .run(move |c| reports::layout_version(c, &actor, v))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Starts the background worker of batch `id` (or, with `resume`, of one a stopped
/// server left unfinished).
pub(crate) fn spawn_batch(st: &AppState, id: i64, resume: bool) {
    let db = st.db.clone();
    let clock = st.clock.clone();
    std::thread::spawn(move || {
        let outcome = db
            .get()
            .and_then(|mut c| report_batch::run(&mut c, &|| clock.now_naive(), id, resume));
        if let Err(e) = outcome {
            log::error!("report batch {id} failed: {e}");
        }
    });
}

/// Picks up the batches a stopped server left unfinished, after deleting those kept
/// past `batch_keep_days`.
pub fn resume_batches(st: &AppState) {
    let now = st.now();
    match st
        .db
        .get()
        .and_then(|mut c| report_batch::expire(&mut c, now, &st.config.quotas))
    {
        Ok(0) => {}
        Ok(n) => log::info!("{n} expired report batches deleted"),
        Err(e) => log::error!("cannot delete expired report batches: {e}"),
    }
    match st
        .db
        .get()
        .and_then(|mut c| report_batch::unfinished(&mut c))
    {
        Ok(ids) => {
            for id in ids {
                spawn_batch(st, id, true);
            }
        }
        Err(e) => log::error!("cannot list unfinished report batches: {e}"),
    }
}

/// Batches up to this many reports are built in the request; larger ones in the background.
const INLINE_BATCH: i32 = 10;

/// Many reports as one ZIP or one merged PDF. A small batch is built at once (201); a
/// large one is queued (202) and its progress followed at `/api/v1/report-batches/{id}`.
#[utoipa::path(post, path = "/api/v1/reports/batch", request_body = BatchInput,
    responses((status = 201, body = Batch), (status = 202, body = Batch), (status = 422), (status = 429)))]
pub async fn create_batch(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<BatchInput>,
) -> AppResult<HttpResponse> {
    let now = st.now();
    let actor = user.actor;
    let input = body.into_inner();
    let clock = st.clock.clone();
    let quotas = st.config.quotas;
    let b = st
        .db
        .run(move |c| {
            let b = report_batch::create(c, now, &actor, &input, &quotas)?;
            if b.total > INLINE_BATCH {
                return Ok(b);
            }
            report_batch::run(c, &|| clock.now_naive(), b.id, false)?;
            report_batch::status(c, &actor, b.id)
        })
        .await?;
    let location = (header::LOCATION, format!("/api/v1/report-batches/{}", b.id));
    if b.state() == BatchStatus::Queued {
        spawn_batch(&st, b.id, false);
        return Ok(HttpResponse::Accepted().insert_header(location).json(b));
    }
    Ok(HttpResponse::Created().insert_header(location).json(b))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WaitQuery {
    /// Wait up to this many seconds (at most 60) for the batch to finish before answering.
    pub wait: Option<u64>,
}

/// A batch's progress; with `wait`, answered once it has finished (or the wait is over).
#[utoipa::path(get, path = "/api/v1/report-batches/{id}", params(WaitQuery),
    responses((status = 200, body = Batch), (status = 404)))]
pub async fn batch_status(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    query: web::Query<WaitQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let wait = std::time::Duration::from_secs(query.wait.unwrap_or(0).min(60));
    let until = std::time::Instant::now() + wait;
    loop {
        let actor = user.actor.clone();
        let b = st
            .db
            .run(move |c| report_batch::status(c, &actor, id))
            .await?;
        if b.state().is_finished() || std::time::Instant::now() >= until {
            return Ok(HttpResponse::Ok().json(b));
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The finished ZIP or merged PDF (409 until done).
#[utoipa::path(get, path = "/api/v1/report-batches/{id}/download",
    responses((status = 200), (status = 404), (status = 409)))]
pub async fn batch_download(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let (bytes, format) = st
        .db
        .run(move |c| report_batch::result(c, &actor, id))
        .await?;
    Ok(batch_response(id, bytes, &format))
}

pub(crate) fn batch_response(id: i64, bytes: Vec<u8>, format: &str) -> HttpResponse {
    if format == "pdf" {
        return pdf_response(bytes, &format!("reports-{id}.pdf"));
    }
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"reports-{id}.zip\""),
        ))
        .body(bytes)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CodeQuery {
    /// The verification code from the report's QR code.
    pub k: Option<String>,
}

/// Counts a public verification against the client's limit (429 over it).
pub(crate) async fn check_rate(st: &AppState, req: &HttpRequest) -> AppResult<()> {
    st.verify_limiter
        .check(
            req,
            st.now(),
            Msg::new(
                "核验请求过于频繁，请稍后再试",
                "Too many verification requests; try again in a minute",
            ),
        )
        .await
}

/// Public: is this report genuine, and what is its status? No login; rate limited.
#[utoipa::path(get, path = "/api/v1/verify/{report_no}", params(CodeQuery),
    responses((status = 200, body = Verification), (status = 404), (status = 429)))]
pub async fn verify(
    st: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
) -> AppResult<HttpResponse> {
    check_rate(&st, &req).await?;
    let issuer = st.issuer();
    let no = path.into_inner();
    let k = query.into_inner().k.unwrap_or_default();
    let v = st
        .db
        .run(move |c| reports::verify(c, &issuer, &no, &k))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Public: the results the bureau marked for publication (抽检信息公布).
#[utoipa::path(get, path = "/api/v1/public/results", params(PublicFilter, Paging),
    responses((status = 200, body = Page<PublicResult>), (status = 422)))]
pub async fn public_results(
    st: web::Data<AppState>,
    filter: web::Query<PublicFilter>,
    paging: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let f = filter.into_inner();
    let (items, total) = st
        .db
        .run(move |c| reports::public_results(c, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}
