//! Report pages: the report list (with batch download and, for supervisors, publication),
//! the report page (PDF, verification link, notice, revoke and reissue), batch progress,
//! and the public verification and published-results pages (no login). The lab identity
//! settings are `web::pages::lab_settings`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::documents::notice::render_notice;
use crate::domain::role::Role;
use crate::domain::states::ReportStatus;
use crate::error::{AppError, AppResult};
use crate::web::api::Paging;
use crate::web::auth::PageCtx;
use crate::web::forms::{form_all, form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::url_encode;
use crate::web::labels::pdf_response;
use crate::web::pages::{redirect, render, Nav};
use crate::web::reports_api::{batch_response, check_rate, date_param, CodeQuery};
use crate::workflow::intake::local_date;
use crate::workflow::report_batch::{self, Batch, BatchInput};
use crate::workflow::reports::{
    self, PublicFilter, PublicResult, Report, ReportFilter, RevokeInput, Verification,
};

/// The routes of this file.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(list_page))
        .route("/reports/batch", web::post().to(batch_submit))
        .route("/reports/batches/{id}", web::get().to(batch_page))
        .route(
            "/reports/batches/{id}/download",
            web::get().to(batch_download),
        )
        .route("/reports/{no}", web::get().to(report_page))
        .route("/reports/{no}/pdf", web::get().to(report_pdf))
        .route("/reports/{no}/notice.pdf", web::get().to(notice_pdf))
        .route("/reports/{no}/revoke", web::post().to(revoke_submit))
        .route("/reports/{no}/publish", web::post().to(publish_submit))
        .route("/verify/{no}", web::get().to(verify_page))
        .route("/verify/{no}/pdf", web::get().to(verify_pdf))
        .route("/public/results", web::get().to(public_page));
}

fn status_word(nav: &Nav, status: &str) -> &'static str {
    match status.parse() {
        Ok(ReportStatus::Valid) => nav.t("report.status.valid"),
        Ok(ReportStatus::Superseded) => nav.t("report.status.superseded"),
        _ => nav.t("report.status.revoked"),
    }
}

fn conclusion_word(nav: &Nav, c: &str) -> &'static str {
    match c {
        "compliant" => nav.t("report.compliant"),
        _ => nav.t("report.non_compliant"),
    }
}

// ---------------------------------------------------------------- list

#[derive(Template)]
#[template(path = "reports/list.html")]
struct ListPage {
    nav: Nav,
    reports: Vec<Report>,
    total: i64,
    page: i64,
    pages: i64,
    status: String,
    year: String,
    conclusion: String,
    published: String,
    query: String,
    can_publish: bool,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

impl ListPage {
    fn status_word(&self, s: &str) -> &'static str {
        status_word(&self.nav, s)
    }
    /// The status filter's choices: value, word, whether chosen.
    fn status_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        ReportStatus::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    self.status_word(s.as_str()),
                    self.status == s.as_str(),
                )
            })
            .collect()
    }
    fn conclusion_word(&self, c: &str) -> &'static str {
        conclusion_word(&self.nav, c)
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
    year: Option<String>,
    conclusion: Option<String>,
    published: Option<String>,
    page: Option<i64>,
}

async fn list_page(ctx: PageCtx, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let q = q.into_inner();
    let filter = ReportFilter {
        status: q.status.clone().filter(|s| !s.is_empty()),
        year: q.year.as_deref().and_then(|y| y.trim().parse().ok()),
        conclusion: q.conclusion.clone().filter(|s| !s.is_empty()),
        published: match q.published.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
    };
    let (page, per_page) = Paging {
        page: q.page,
        per_page: Some(50),
    }
    .checked()?;
    let issuer = ctx.state.issuer();
    let can_publish = actor.roles.has(Role::Supervisor);
    let f = filter.clone();
    let result = ctx
        .state
        .db
        .run(move |c| reports::list_reports(c, &actor, &issuer, &f, page, per_page))
        .await;
    let (reports, total, errors) = match result {
        Ok((r, t)) => (r, t, Vec::new()),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid])?;
            (Vec::new(), 0, r.messages(ctx.lang, "filter"))
        }
    };
    let query = [
        ("status", q.status.clone().unwrap_or_default()),
        ("year", q.year.clone().unwrap_or_default()),
        ("conclusion", q.conclusion.clone().unwrap_or_default()),
        ("published", q.published.clone().unwrap_or_default()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", url_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    render(
        &ctx,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ListPage {
            nav: Nav::new(&ctx),
            reports,
            total,
            page,
            pages: ((total + per_page - 1) / per_page).max(1),
            status: q.status.unwrap_or_default(),
            year: q.year.unwrap_or_default(),
            conclusion: q.conclusion.unwrap_or_default(),
            published: q.published.unwrap_or_default(),
            query,
            can_publish,
            notice: None,
            errors,
        },
    )
}

// ---------------------------------------------------------------- batch

async fn batch_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let input = BatchInput {
        report_nos: form_all(&form, "report_nos"),
        format: form_get(&form, "format").unwrap_or("zip").to_string(),
    };
    let now = ctx.now();
    let quotas = ctx.state.config.quotas;
    let b = ctx
        .state
        .db
        .run(move |c| report_batch::create(c, now, &actor, &input, &quotas))
        .await?;
    crate::web::reports_api::spawn_batch(&ctx.state, b.id, false);
    Ok(redirect(&format!("/reports/batches/{}", b.id)))
}

#[derive(Template)]
#[template(path = "reports/batch.html")]
struct BatchPage {
    nav: Nav,
    batch: Batch,
    percent: i64,
}

async fn batch_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let batch = ctx
        .state
        .db
        .run(move |c| report_batch::status(c, &actor, id))
        .await?;
    let percent = if batch.total > 0 {
        i64::from(batch.done) * 100 / i64::from(batch.total)
    } else {
        0
    };
    render(
        &ctx,
        StatusCode::OK,
        &BatchPage {
            nav: Nav::new(&ctx),
            batch,
            percent,
        },
    )
}

async fn batch_download(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let (bytes, format) = ctx
        .state
        .db
        .run(move |c| report_batch::result(c, &actor, id))
        .await?;
    Ok(batch_response(id, bytes, &format))
}

// ---------------------------------------------------------------- one report

#[derive(Template)]
#[template(path = "reports/show.html")]
struct ReportPage {
    nav: Nav,
    report: Report,
    history: Vec<Report>,
    can_revoke: bool,
    can_publish: bool,
    today: String,
    reason: String,
    remarks: String,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

impl ReportPage {
    fn status_word(&self, s: &str) -> &'static str {
        status_word(&self.nav, s)
    }
    fn conclusion_word(&self, c: &str) -> &'static str {
        conclusion_word(&self.nav, c)
    }
}

async fn report_view(
    ctx: &PageCtx,
    no: String,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<(String, String)>,
    typed: (String, String),
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let issuer = ctx.state.issuer();
    let can_revoke = actor.roles.has(Role::Signatory);
    let can_publish = actor.roles.has(Role::Supervisor);
    let (report, history) = ctx
        .state
        .db
        .run(move |c| {
            let r = reports::get_report(c, &actor, &issuer, &no)?;
            let h = reports::reports_of_sample(c, &actor, &issuer, &r.sample_no)?;
            Ok((r, h))
        })
        .await?;
    render(
        ctx,
        status,
        &ReportPage {
            nav: Nav::new(ctx),
            report,
            history,
            can_revoke,
            can_publish,
            today: local_date(ctx.now()).to_string(),
            reason: typed.0,
            remarks: typed.1,
            notice,
            errors,
        },
    )
}

async fn report_page(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    report_view(
        &ctx,
        path.into_inner(),
        StatusCode::OK,
        None,
        Vec::new(),
        Default::default(),
    )
    .await
}

async fn report_pdf(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let n = no.clone();
    let bytes = ctx
        .state
        .db
        .run(move |c| reports::report_pdf(c, &actor, &n))
        .await?;
    Ok(pdf_response(bytes, &format!("{no}.pdf")))
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    served_on: Option<String>,
}

async fn notice_pdf(
    ctx: PageCtx,
    path: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let served_on =
        date_param("served_on", q.served_on.as_deref())?.unwrap_or(local_date(ctx.now()));
    let issuer = ctx.state.issuer();
    let no = path.into_inner();
    let (bytes, sample_no) = ctx
        .state
        .db
        .run(move |c| {
            let r = reports::get_report(c, &actor, &issuer, &no)?;
            let doc = reports::notice(c, &actor, &r.sample_no, served_on)?;
            Ok((
                render_notice(&doc).map_err(AppError::internal)?,
                r.sample_no,
            ))
        })
        .await?;
    Ok(pdf_response(bytes, &format!("notice-{sample_no}.pdf")))
}

async fn revoke_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let input = RevokeInput {
        reason: form_get(&form, "reason").unwrap_or("").to_string(),
        reissue: form_get(&form, "reissue") == Some("on"),
        remarks: form_get(&form, "remarks").map(str::to_string),
        layout: (form_get(&form, "layout") == Some("current")).then(|| "current".to_string()),
    };
    let typed = (
        input.reason.clone(),
        input.remarks.clone().unwrap_or_default(),
    );
    let now = ctx.now();
    let issuer = ctx.state.issuer();
    let n = no.clone();
    match ctx
        .state
        .db
        .run(move |c| reports::revoke(c, now, &actor, &issuer, &n, &input))
        .await
    {
        Ok(out) => {
            let to = out.reissued.map_or(no, |r| r.report_no);
            Ok(redirect(&format!("/reports/{to}")))
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Forbidden])?;
            let errors = r.messages(ctx.lang, "reason");
            report_view(&ctx, no, r.status(), None, errors, typed).await
        }
    }
}

async fn publish_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let publish = form_get(&form, "publish") != Some("no");
    let now = ctx.now();
    let issuer = ctx.state.issuer();
    let n = no.clone();
    match ctx
        .state
        .db
        .run(move |c| reports::set_published(c, now, &actor, &issuer, &n, publish))
        .await
    {
        Ok(_) => {
            let back = form_get(&form, "back").filter(|b| b.starts_with("/reports"));
            Ok(redirect(back.unwrap_or(&format!("/reports/{no}"))))
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Conflict, Shown::Forbidden])?;
            let errors = r.messages(ctx.lang, "publish");
            report_view(&ctx, no, r.status(), None, errors, Default::default()).await
        }
    }
}

// ---------------------------------------------------------------- public

#[derive(Template)]
#[template(path = "public/verify.html")]
struct VerifyPage {
    nav: Nav,
    v: Verification,
}

impl VerifyPage {
    fn status_word(&self, s: &str) -> &'static str {
        status_word(&self.nav, s)
    }
    /// The verified report's state (read from the database, so it parses).
    fn report_state(&self) -> Option<ReportStatus> {
        self.v.status.as_deref().and_then(|s| s.parse().ok())
    }
    fn conclusion_word(&self, c: &str) -> &'static str {
        conclusion_word(&self.nav, c)
    }
}

async fn verify_page(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<CodeQuery>,
) -> AppResult<HttpResponse> {
    check_rate(&ctx.state, &req).await?;
    let issuer = ctx.state.issuer();
    let no = path.into_inner();
    let k = q.into_inner().k.unwrap_or_default();
    let v = ctx
        .state
        .db
        .run(move |c| reports::verify(c, &issuer, &no, &k))
        .await?;
    render(
        &ctx,
        StatusCode::OK,
        &VerifyPage {
            nav: Nav::new(&ctx),
            v,
        },
    )
}

async fn verify_pdf(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<CodeQuery>,
) -> AppResult<HttpResponse> {
    check_rate(&ctx.state, &req).await?;
    let issuer = ctx.state.issuer();
    let no = path.into_inner();
    let k = q.into_inner().k.unwrap_or_default();
    let n = no.clone();
    let bytes = ctx
        .state
        .db
        .run(move |c| reports::verified_pdf(c, &issuer, &n, &k))
        .await?;
    Ok(pdf_response(bytes, &format!("{no}.pdf")))
}

#[derive(Template)]
#[template(path = "public/results.html")]
struct PublicPage {
    nav: Nav,
    results: Vec<PublicResult>,
    total: i64,
    page: i64,
    pages: i64,
    year: String,
    category: String,
    errors: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
struct PublicQuery {
    year: Option<String>,
    category: Option<String>,
    page: Option<i64>,
}

async fn public_page(ctx: PageCtx, q: web::Query<PublicQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let year = q.year.clone().unwrap_or_default();
    let f = PublicFilter {
        year: year.trim().parse().ok(),
        category: q.category.clone().filter(|c| !c.trim().is_empty()),
    };
    let (page, per_page) = Paging {
        page: q.page,
        per_page: Some(50),
    }
    .checked()?;
    let (results, total) = ctx
        .state
        .db
        .run(move |c| reports::public_results(c, &f, page, per_page))
        .await?;
    let mut errors = Vec::new();
    if !year.trim().is_empty() && year.trim().parse::<i32>().is_err() {
        errors.push((
            "year".to_string(),
            crate::web::i18n::word(ctx.lang, "public.bad_year").to_string(),
        ));
    }
    render(
        &ctx,
        StatusCode::OK,
        &PublicPage {
            nav: Nav::new(&ctx),
            results,
            total,
            page,
            pages: ((total + per_page - 1) / per_page).max(1),
            year,
            category: q.category.unwrap_or_default(),
            errors,
        },
    )
}
