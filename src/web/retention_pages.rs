//! The retention page (留样) for custodians: record where a backup portion is kept, by
//! sample number or scan, and discard, with a reason, what may be discarded this week.
//! Every form checks the CSRF token and goes through the same use cases as the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::role::Role;
use crate::domain::sample::parse_scan;
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::pages::{render, Nav};
use crate::workflow::intake::local_date;
use crate::workflow::retention::{self, RetentionInput, RetentionLine, DEFAULT_WITHIN_DAYS};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/retention", web::get().to(retention_page))
        .route("/retention", web::post().to(record_submit))
        .route("/retention/{no}/discard", web::post().to(discard_submit));
}

#[derive(Template)]
#[template(path = "retention/index.html")]
struct RetentionPage {
    nav: Nav,
    scan: String,
    place: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    lines: Vec<Line>,
}

/// One backup portion of the list, as the page shows it.
struct Line {
    sample_no: String,
    product_name: String,
    conclusion_label: &'static str,
    non_compliant: bool,
    place: String,
    keep_until: String,
    /// Its keep-until date has come: it may be discarded today.
    due: bool,
}

fn conclusion_label(lang: Lang, conclusion: &str) -> &'static str {
    let key = match conclusion {
        "compliant" => "retention.compliant",
        "non_compliant" => "retention.non_compliant",
        _ => "retention.pending",
    };
    word(lang, key)
}

fn line(lang: Lang, l: RetentionLine, today: NaiveDate) -> Line {
    Line {
        conclusion_label: conclusion_label(lang, &l.conclusion),
        non_compliant: l.conclusion.parse() == Ok(crate::domain::sample::Conclusion::NonCompliant),
        due: l.keep_until.is_some_and(|d| d <= today),
        keep_until: l.keep_until.map(|d| d.to_string()).unwrap_or_default(),
        sample_no: l.sample_no,
        product_name: l.product_name,
        place: l.place,
    }
}

/// The refusals the page shows next to the form; anything else becomes the error page.
const SHOWN: &[Shown] = &[Shown::Invalid, Shown::Conflict, Shown::NotFound];

#[derive(Deserialize)]
struct PageQuery {
    within_days: Option<i64>,
}

struct View {
    scan: String,
    place: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    status: StatusCode,
}

impl View {
    fn empty() -> View {
        View {
            scan: String::new(),
            place: String::new(),
            errors: Vec::new(),
            notice: None,
            status: StatusCode::OK,
        }
    }
}

async fn show(ctx: &PageCtx, within_days: i64, v: View) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Custodian])?;
    let now = ctx.now();
    let lines = ctx
        .state
        .call(actor, move |cx| retention::discardable(cx, within_days))
        .await?;
    let today = local_date(now);
    render(
        ctx,
        v.status,
        &RetentionPage {
            nav: Nav::new(ctx),
            scan: v.scan,
            place: v.place,
            errors: v.errors,
            notice: v.notice,
            lines: lines
                .into_iter()
                .map(|l| line(ctx.lang, l, today))
                .collect(),
        },
    )
}

async fn retention_page(ctx: PageCtx, q: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let within = q.within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
    show(&ctx, within, View::empty()).await
}

/// Records the place of the backup portion named by a scan or a sample number.
async fn record_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let scan = form_get(&form, "scan").unwrap_or("").to_string();
    let place = form_get(&form, "place").unwrap_or("").to_string();
    let lang = ctx.lang;
    let result = match parse_scan(&scan) {
        None => Err(AppError::field(
            "scan",
            Msg::new("无法识别的扫码内容", "is not a sample label or number"),
        )),
        Some((no, _portion)) => {
            let input = RetentionInput {
                place: place.clone(),
                version: None,
            };
            ctx.state
                .call(actor, move |cx| retention::set_place(cx, &no, input))
                .await
        }
    };
    match result {
        Ok(r) => {
            let until = match r.keep_until {
                Some(d) => format!("{} {d}", word(lang, "retention.keep_until")),
                None => word(lang, "retention.until_conclusion").to_string(),
            };
            let msg = format!(
                "{} · {} · {until} · {}",
                r.sample_no,
                r.place,
                word(lang, "common.saved")
            );
            let v = View {
                notice: Some(msg),
                ..View::empty()
            };
            show(&ctx, DEFAULT_WITHIN_DAYS, v).await
        }
        Err(e) => {
            let r = refusal(e, SHOWN)?;
            let v = View {
                errors: r.messages(lang, "scan"),
                status: r.status(),
                scan,
                place,
                ..View::empty()
            };
            show(&ctx, DEFAULT_WITHIN_DAYS, v).await
        }
    }
}

/// Discards one backup portion, with the reason typed on its row.
async fn discard_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let reason = form_get(&form, "reason").unwrap_or("").to_string();
    let lang = ctx.lang;
    let n = no.clone();
    let result = ctx
        .state
        .call(actor, move |cx| retention::discard(cx, &n, reason))
        .await;
    match result {
        Ok(r) => {
            let msg = format!("{} · {}", r.sample_no, word(lang, "retention.discarded"));
            let v = View {
                notice: Some(msg),
                ..View::empty()
            };
            show(&ctx, DEFAULT_WITHIN_DAYS, v).await
        }
        Err(e) => {
            let r = refusal(e, SHOWN)?;
            let v = View {
                errors: r
                    .messages(lang, "")
                    .into_iter()
                    .map(|(field, m)| (format!("{no} {field}").trim().to_string(), m))
                    .collect(),
                status: r.status(),
                ..View::empty()
            };
            show(&ctx, DEFAULT_WITHIN_DAYS, v).await
        }
    }
}
