//! The admin page of the lab's report layout (`/admin/lab`): every setting, the logo and
//! CMA mark uploads (a multipart form, CSRF-checked by `CsrfForm`), a preview PDF of the
//! unsaved values (`/admin/lab/preview.pdf`, a read), and the list of versions, each
//! viewable. Every save is a new version (`workflow::reports::save_layout`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use base64::Engine;
use serde::Deserialize;

use super::{render, require_admin, Nav};
use crate::error::AppResult;
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::labels::pdf_response;
use crate::workflow::reports::{self, ImageInput, LabProfile, LabProfileInput, LayoutVersion};

#[derive(Template)]
#[template(path = "admin/lab.html")]
struct LabPage {
    nav: Nav,
    lab: LabProfile,
    /// The version in force (the form saves on top of it).
    current: i32,
    /// Viewing an older version, read only.
    viewing_old: bool,
    disclaimer: String,
    header_lines: String,
    prefix: String,
    versions: Vec<LayoutVersion>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

impl LabPage {
    fn when(&self, v: &LayoutVersion) -> String {
        v.created_at.format("%Y-%m-%d %H:%M").to_string()
    }

    fn who(&self, v: &LayoutVersion) -> String {
        v.created_by_name
            .clone()
            .unwrap_or_else(|| self.nav.t("layout.carried_over").to_string())
    }
}

#[derive(Deserialize)]
pub(super) struct ViewQuery {
    version: Option<i32>,
}

async fn lab_view(
    ctx: &PageCtx,
    status: StatusCode,
    typed: Option<LabProfile>,
    view: Option<i32>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = require_admin(ctx)?;
    let (current, shown, versions) = ctx
        .state
        .db
        .run(move |c| {
            let current = reports::lab_profile(c)?;
            let shown = match view {
                Some(v) if v != current.version => Some(reports::layout_version(c, &actor, v)?),
                _ => None,
            };
            let versions = reports::layout_versions(c, &actor)?;
            Ok((current, shown, versions))
        })
        .await?;
    let viewing_old = shown.is_some();
    let version = current.version;
    // A refused form shows what was typed, with the images of the version in force.
    let typed = typed.map(|t| LabProfile {
        logo_sha256: current.logo_sha256.clone(),
        cma_sha256: current.cma_sha256.clone(),
        ..t
    });
    let lab = shown.or(typed).unwrap_or(current);
    render(
        ctx,
        status,
        &LabPage {
            nav: Nav::new(ctx),
            current: version,
            viewing_old,
            disclaimer: lab.disclaimer.join("\n"),
            header_lines: lab.header_lines.join("\n"),
            prefix: if lab.number_prefix.is_empty() {
                "QHJ".to_string()
            } else {
                lab.number_prefix.clone()
            },
            lab,
            versions,
            notice,
            errors,
        },
    )
}

pub(super) async fn lab_page(ctx: PageCtx, q: web::Query<ViewQuery>) -> AppResult<HttpResponse> {
    lab_view(&ctx, StatusCode::OK, None, q.version, None, Vec::new()).await
}

fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The settings a form (posted, or the preview's query) gives; a field the form does not
/// carry keeps the value of the version in force (the cover page box is part of the page).
fn input_of(form: &[(String, String)]) -> LabProfileInput {
    let g = |k: &str| form_get(form, k).unwrap_or("").to_string();
    let opt = |k: &str| form_get(form, k).map(str::to_string);
    let has_form_of_page = form_get(form, "number_prefix").is_some();
    LabProfileInput {
        name: g("name"),
        address: g("address"),
        cma_no: g("cma_no"),
        contact: g("contact"),
        report_title: Some(g("report_title")),
        disclaimer: lines(&g("disclaimer")),
        version: g("version").trim().parse().unwrap_or(-1),
        header_lines: opt("header_lines").map(|v| lines(&v)),
        phone: opt("phone"),
        tester_title: opt("tester_title"),
        reviewer_title: opt("reviewer_title"),
        signatory_title: opt("signatory_title"),
        cover_page: has_form_of_page.then(|| form_get(form, "cover_page") == Some("on")),
        number_prefix: opt("number_prefix").map(|p| p.trim().to_ascii_uppercase()),
        notice_contact: opt("notice_contact"),
        reexam_where: opt("reexam_where"),
        logo_png: None,
        cma_png: None,
    }
}

/// The change of image `file` (base64 from the multipart form) or its remove box.
fn image_input(form: &[(String, String)], file: &str, remove: &str) -> ImageInput {
    if form_get(form, remove) == Some("on") {
        return ImageInput::Remove;
    }
    match form_get(form, file) {
        Some(b64) if !b64.is_empty() => {
            // A file part that is not base64 cannot come from `web::multipart`; an
            // empty image is refused by the PNG check.
            ImageInput::Set(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_default(),
            )
        }
        _ => ImageInput::Keep,
    }
}

pub(super) async fn lab_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let input = input_of(&form);
    let logo = image_input(&form, "logo", "logo_remove");
    let cma = image_input(&form, "cma_image", "cma_remove");
    let typed = LabProfile {
        name: input.name.clone(),
        address: input.address.clone(),
        cma_no: input.cma_no.clone(),
        contact: input.contact.clone(),
        report_title: input.report_title.clone().unwrap_or_default(),
        disclaimer: input.disclaimer.clone(),
        configured: true,
        version: input.version,
        header_lines: input.header_lines.clone().unwrap_or_default(),
        phone: input.phone.clone().unwrap_or_default(),
        tester_title: input.tester_title.clone().unwrap_or_default(),
        reviewer_title: input.reviewer_title.clone().unwrap_or_default(),
        signatory_title: input.signatory_title.clone().unwrap_or_default(),
        cover_page: input.cover_page.unwrap_or_default(),
        number_prefix: input.number_prefix.clone().unwrap_or_default(),
        notice_contact: input.notice_contact.clone().unwrap_or_default(),
        reexam_where: input.reexam_where.clone().unwrap_or_default(),
        logo_sha256: None,
        cma_sha256: None,
    };
    let now = ctx.now();
    match ctx
        .state
        .db
        .run(move |c| reports::save_layout(c, now, &actor, &input, logo, cma))
        .await
    {
        Ok(_) => {
            let saved = crate::web::i18n::word(ctx.lang, "common.saved").to_string();
            lab_view(&ctx, StatusCode::OK, None, None, Some(saved), Vec::new()).await
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            let errors = r.messages(ctx.lang, "name");
            lab_view(&ctx, r.status(), Some(typed), None, None, errors).await
        }
    }
}

/// `GET /admin/lab/preview.pdf?…` (the form's fields): a report printed with them.
pub(super) async fn lab_preview(ctx: PageCtx, q: web::Query<FormMap>) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let mut input = input_of(&q);
    let now = ctx.now();
    let pdf = ctx
        .state
        .db
        .run(move |c| {
            // The preview is checked against the version in force, whatever the form read.
            input.version = reports::lab_profile(c)?.version;
            reports::preview_layout(c, &actor, now, &input)
        })
        .await?;
    let mut resp = pdf_response(pdf, "layout-preview.pdf");
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// `GET /admin/lab/images/{sha256}`: an image of a layout version.
pub(super) async fn lab_image(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let sha = path.into_inner();
    let png = ctx
        .state
        .db
        .run(move |c| reports::layout_image(c, &actor, &sha))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .body(png))
}
