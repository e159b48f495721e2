//! The scan page for receipt: find a sample by its label or number, receive or reject
//! it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{lines, status_label, SampleLine};
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::web::auth::PageCtx;
use crate::web::forms::{errors_of, form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::pages::{render, Nav};
use crate::workflow::intake::{self, local_date, ReceiptInput, SampleFilter};

#[derive(Template)]
#[template(path = "intake/receipt.html")]
struct ReceiptPage {
    nav: Nav,
    scan: String,
    found: Option<SampleLine>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    recent: Vec<SampleLine>,
}

#[derive(Deserialize)]
pub(super) struct ScanQuery {
    scan: Option<String>,
}

async fn receipt_view(
    ctx: &PageCtx,
    scan: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Custodian])?;
    let now = ctx.now();
    let lang = ctx.lang;
    let s2 = scan.clone();
    let (found, recent) = ctx
        .state
        .db
        .run(move |c| {
            let found = if s2.trim().is_empty() {
                None
            } else {
                Some(intake::find_by_scan(c, &actor, &s2))
            };
            let f = SampleFilter {
                status: Some("registered".into()),
                ..SampleFilter::default()
            };
            let recent = intake::list_samples(c, now, &actor, &f, 1, 20)?.0;
            Ok((found, recent))
        })
        .await?;
    let today = local_date(now);
    let mut errors = errors;
    let found = match found {
        Some(Ok(s)) => lines(lang, vec![s], today, &[]).pop(),
        Some(Err(e)) => {
            errors.extend(errors_of(&e, lang, "scan"));
            None
        }
        None => None,
    };
    let status = if status == StatusCode::OK && !errors.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    render(
        ctx,
        status,
        &ReceiptPage {
            nav: Nav::new(ctx),
            scan,
            found,
            errors,
            notice,
            recent: lines(lang, recent, today, &[]),
        },
    )
}

pub(super) async fn receipt_page(
    ctx: PageCtx,
    q: web::Query<ScanQuery>,
) -> AppResult<HttpResponse> {
    receipt_view(
        &ctx,
        q.into_inner().scan.unwrap_or_default(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub(super) async fn receipt_submit(
    ctx: PageCtx,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let input = ReceiptInput {
        scan: form_get(&form, "scan").unwrap_or("").to_string(),
        seal_intact: form_get(&form, "seal_intact").is_some(),
        condition_ok: form_get(&form, "condition_ok").is_some(),
        note: form_get(&form, "note")
            .map(str::to_string)
            .filter(|v| !v.trim().is_empty()),
        reject_reason: form_get(&form, "reject_reason")
            .map(str::to_string)
            .filter(|v| !v.trim().is_empty()),
    };
    let scan = input.scan.clone();
    let now = ctx.now();
    let result = ctx
        .state
        .db
        .run(move |c| intake::receive(c, now, &actor, input))
        .await;
    match result {
        Ok(s) => {
            let msg = format!(
                "{} · {} · {}",
                s.sample_no,
                status_label(ctx.lang, &s.status),
                word(ctx.lang, "common.saved")
            );
            receipt_view(&ctx, String::new(), Vec::new(), Some(msg), StatusCode::OK).await
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::NotFound])?;
            let errors = r.messages(ctx.lang, "scan");
            receipt_view(&ctx, scan, errors, None, r.status()).await
        }
    }
}
