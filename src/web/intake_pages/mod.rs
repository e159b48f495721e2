//! Intake pages: plans, entities, the phone-first sample form, sample lists and the
//! sample page, the scan page for receipt, `/s/{sample_no}` and the search box (one file
//! per topic); here the route table and what several of them show (select options, a
//! sample's line in a list, the words for plan kinds and domains).

mod entities;
mod plans;
mod receipt;
mod sample_form;
mod samples;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::SampleStatus;
use crate::error::{AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::forms::{refusal, Shown};
use crate::web::i18n::word;
use crate::web::pages::render;
use crate::workflow::intake::{is_overdue, Sample};
use crate::workflow::reference::{self, Region};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plans", web::get().to(plans::plans_page))
        .route("/plans", web::post().to(plans::plan_create))
        .route("/plans/{id}", web::get().to(plans::plan_edit_page))
        .route("/plans/{id}", web::post().to(plans::plan_edit_submit))
        .route("/entities", web::get().to(entities::entities_page))
        .route("/entities", web::post().to(entities::entity_create))
        .route("/entities/{id}", web::get().to(entities::entity_edit_page))
        .route(
            "/entities/{id}",
            web::post().to(entities::entity_edit_submit),
        )
        .route("/samples", web::get().to(samples::samples_page))
        .route("/samples/new", web::get().to(sample_form::sample_new_page))
        .route(
            "/samples/new",
            web::post().to(sample_form::sample_new_submit),
        )
        .route("/samples/{no}", web::get().to(samples::sample_page))
        .route(
            "/samples/{no}/edit",
            web::get().to(sample_form::sample_edit_page),
        )
        .route(
            "/samples/{no}/edit",
            web::post().to(sample_form::sample_edit_submit),
        )
        .route("/s/{no}", web::get().to(samples::short_link))
        .route("/receipts", web::get().to(receipt::receipt_page))
        .route("/receipts", web::post().to(receipt::receipt_submit))
        .route("/search", web::get().to(samples::search));
}

fn ok(ctx: &PageCtx, tpl: &impl Template) -> AppResult<HttpResponse> {
    render(ctx, StatusCode::OK, tpl)
}

/// An option of a select: value, label, selected.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts<'a>(items: impl IntoIterator<Item = (&'a str, String)>, chosen: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(v, l)| Opt {
            value: v.to_string(),
            label: l,
            selected: v == chosen,
        })
        .collect()
}

fn enum_label(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

pub fn plan_kind_label(lang: Lang, k: PlanKind) -> String {
    enum_label(lang, k.label_zh(), k.as_str())
}

pub fn domain_label(lang: Lang, d: Domain) -> String {
    enum_label(lang, d.label_zh(), d.as_str())
}

async fn regions(ctx: &PageCtx) -> AppResult<Vec<Region>> {
    let scope = ctx.user.as_ref().and_then(|u| u.region.clone());
    let all = ctx.state.db.run(reference::list_regions).await?;
    Ok(all
        .into_iter()
        .filter(|r| {
            crate::domain::region::RegionCode::parse(&r.code)
                .is_ok_and(|rc| crate::domain::region::scope_overlaps(scope.as_ref(), &rc))
        })
        .collect())
}

#[derive(Deserialize)]
pub(super) struct QQuery {
    q: Option<String>,
}

/// One row of a sample list.
pub struct SampleLine {
    pub sample: Sample,
    pub status_label: String,
    pub overdue: bool,
}

fn status_label(lang: Lang, s: &str) -> String {
    match s.parse::<SampleStatus>() {
        Ok(st) => enum_label(lang, st.label_zh(), st.label_en()),
        Err(_) => s.to_string(),
    }
}

/// The status word of a sample, 待签发 (awaiting approval) for one in review whose
/// tests are all accepted (`awaiting_approval`); the stored status stays `review`.
fn status_word(lang: Lang, s: &str, awaiting_approval: bool) -> String {
    if awaiting_approval && s == SampleStatus::Review.as_str() {
        return crate::web::i18n::word(lang, "samples.awaiting_approval").to_string();
    }
    status_label(lang, s)
}

/// The rows of a sample list; `awaiting` names the samples that wait for approval.
fn lines(lang: Lang, items: Vec<Sample>, today: NaiveDate, awaiting: &[i64]) -> Vec<SampleLine> {
    items
        .into_iter()
        .map(|s| SampleLine {
            overdue: is_overdue(&s, today),
            status_label: status_word(lang, &s.status, awaiting.contains(&s.id)),
            sample: s,
        })
        .collect()
}

/// An edit form drawn again: the form, the reasons of a refusal (field, message), the
/// notice of a success.
type Redrawn<F> = (F, Vec<(String, String)>, Option<String>);

/// What an edit page (plan, entity) shows after its form is sent: on success the stored
/// values again with "saved"; on a refusal the values as entered with the reasons. Any
/// other error is raised.
fn after_edit<V, I, F>(
    lang: Lang,
    result: AppResult<V>,
    entered: &I,
    input_of: impl Fn(&V) -> I,
    form_of: impl Fn(&I) -> F,
) -> AppResult<Redrawn<F>> {
    Ok(match result {
        Ok(v) => (
            form_of(&input_of(&v)),
            Vec::new(),
            Some(word(lang, "common.saved").to_string()),
        ),
        Err(e) => (
            form_of(entered),
            refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Duplicate])?
                .messages(lang, "version"),
            None,
        ),
    })
}
