//! 你送我检 over HTTP: the JSON API (`/api/v1/screenings…`) and the counter pages
//! (`/screenings…`) where a custodian registers a resident's item, records rapid-test
//! results and prints the slip.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::AppResult;
use crate::web::auth::{ApiUser, PageCtx};
use crate::web::forms::{form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::pages::{redirect, render, Nav};
use crate::web::AppState;
use crate::workflow::screening::{self, Screening, ScreeningInput, ScreeningResultInput};

/// The API routes, inside the `/api/v1` scope.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/screenings", web::post().to(register))
        .route("/screenings", web::get().to(list))
        .route("/screenings/{no}", web::get().to(get))
        .route("/screenings/{no}/results", web::post().to(add_result))
        .route("/screenings/{no}/slip.pdf", web::get().to(slip));
}

/// The page routes.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/screenings", web::get().to(list_page))
        .route("/screenings", web::post().to(register_submit))
        .route("/screenings/{no}", web::get().to(detail_page))
        .route("/screenings/{no}/results", web::post().to(result_submit))
        .route("/screenings/{no}/slip.pdf", web::get().to(slip_page));
}

/// Registers a resident's item for rapid tests (custodian).
#[utoipa::path(post, path = "/api/v1/screenings", request_body = ScreeningInput,
    responses((status = 201, body = Screening), (status = 403), (status = 422)))]
pub async fn register(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ScreeningInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let input = body.into_inner();
    let s = st
        .call(actor, move |cx| screening::register(cx, &input))
        .await?;
    Ok(HttpResponse::Created().json(s))
}

#[utoipa::path(get, path = "/api/v1/screenings",
    responses((status = 200, body = Vec<Screening>), (status = 403)))]
pub async fn list(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let s = st.db.run(move |c| screening::list(c, &actor)).await?;
    Ok(HttpResponse::Ok().json(s))
}

#[utoipa::path(get, path = "/api/v1/screenings/{no}",
    responses((status = 200, body = Screening), (status = 404)))]
pub async fn get(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let s = st.db.run(move |c| screening::get(c, &actor, &no)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Records a rapid-test result (custodian or technician).
#[utoipa::path(post, path = "/api/v1/screenings/{no}/results", request_body = ScreeningResultInput,
    responses((status = 200, body = Screening), (status = 404), (status = 422)))]
pub async fn add_result(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<ScreeningResultInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let input = body.into_inner();
    let s = st
        .call(actor, move |cx| screening::add_result(cx, &no, &input))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

fn pdf(no: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"screening-{no}.pdf\""),
        ))
        .body(bytes)
}

/// The slip for the resident (PDF, Chinese): plainly not a statutory report.
#[utoipa::path(get, path = "/api/v1/screenings/{no}/slip.pdf",
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 409)))]
pub async fn slip(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let no = path.into_inner();
    let n2 = no.clone();
    let bytes = st.call(actor, move |cx| screening::slip(cx, &n2)).await?;
    Ok(pdf(&no, bytes))
}

#[derive(Template)]
#[template(path = "screening/list.html")]
struct ListPage {
    nav: Nav,
    list: Vec<Screening>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn list_view(
    ctx: &PageCtx,
    code: StatusCode,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let list = ctx
        .state
        .db
        .run(move |c| screening::list(c, &actor))
        .await?;
    render(
        ctx,
        code,
        &ListPage {
            nav: Nav::new(ctx),
            list,
            notice: None,
            errors,
        },
    )
}

async fn list_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    list_view(&ctx, StatusCode::OK, Vec::new()).await
}

async fn register_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let get = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let input = ScreeningInput {
        item_name: get("item_name"),
        item_source: get("item_source"),
        region_code: get("region_code"),
    };
    let r = ctx
        .state
        .call(actor, move |cx| screening::register(cx, &input))
        .await;
    match r {
        Ok(s) => Ok(redirect(&format!("/screenings/{}", s.screening_no))),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid])?;
            list_view(&ctx, r.status(), r.messages(ctx.lang, "item_name")).await
        }
    }
}

#[derive(Template)]
#[template(path = "screening/detail.html")]
struct DetailPage {
    nav: Nav,
    s: Screening,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn detail_view(
    ctx: &PageCtx,
    no: String,
    code: StatusCode,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let s = ctx
        .state
        .db
        .run(move |c| screening::get(c, &actor, &no))
        .await?;
    render(
        ctx,
        code,
        &DetailPage {
            nav: Nav::new(ctx),
            s,
            notice: None,
            errors,
        },
    )
}

async fn detail_page(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    detail_view(&ctx, path.into_inner(), StatusCode::OK, Vec::new()).await
}

async fn result_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let get = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let input = ScreeningResultInput {
        test_name: get("test_name"),
        method: get("method"),
        result_text: get("result_text"),
        verdict: get("verdict"),
    };
    let n2 = no.clone();
    let r = ctx
        .state
        .call(actor, move |cx| screening::add_result(cx, &n2, &input))
        .await;
    match r {
        Ok(_) => Ok(redirect(&format!("/screenings/{no}"))),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid])?;
            let errors = r.messages(ctx.lang, "test_name");
            detail_view(&ctx, no, r.status(), errors).await
        }
    }
}

async fn slip_page(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let n2 = no.clone();
    let bytes = ctx
        .state
        .call(actor, move |cx| screening::slip(cx, &n2))
        .await?;
    Ok(pdf(&no, bytes))
}
