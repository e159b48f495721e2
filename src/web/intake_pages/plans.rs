//! The plan pages: the list with the form to add a plan, and the edit page.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use super::{after_edit, domain_label, enum_label, ok, opts, plan_kind_label, regions, Opt};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::PlanLevel;
use crate::error::{AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, form_status, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::pages::{render, Nav};
use crate::workflow::intake::{self, shanghai, Plan, PlanFilter, PlanInput};
use crate::workflow::reference::Region;

#[derive(Template)]
#[template(path = "intake/plans.html")]
struct PlansPage {
    nav: Nav,
    plans: Vec<Plan>,
    can_edit: bool,
    form: PlanForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

/// The plan form as the page shows it.
struct PlanForm {
    action: String,
    version: Option<i32>,
    code: String,
    name: String,
    year: String,
    level: Vec<Opt>,
    kind: Vec<Opt>,
    domain: Vec<Opt>,
    region: Vec<Opt>,
    target_batches: String,
    starts_on: String,
    ends_on: String,
}

fn plan_form(lang: Lang, regions: &[Region], p: &PlanInput, action: String) -> PlanForm {
    PlanForm {
        action,
        version: p.version,
        code: p.code.clone(),
        name: p.name.clone(),
        year: p.year.to_string(),
        level: opts(
            PlanLevel::ALL
                .iter()
                .map(|l| (l.as_str(), enum_label(lang, l.label_zh(), l.as_str()))),
            &p.level,
        ),
        kind: opts(
            PlanKind::ALL
                .iter()
                .map(|k| (k.as_str(), plan_kind_label(lang, *k))),
            &p.kind,
        ),
        domain: opts(
            Domain::ALL
                .iter()
                .map(|d| (d.as_str(), domain_label(lang, *d))),
            &p.domain,
        ),
        region: opts(
            regions
                .iter()
                .map(|r| (r.code.as_str(), format!("{} {}", r.code, r.name_zh))),
            &p.region_code,
        ),
        target_batches: p.target_batches.to_string(),
        starts_on: p.starts_on.map(|d| d.to_string()).unwrap_or_default(),
        ends_on: p.ends_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

fn parse_plan_form(form: &[(String, String)]) -> PlanInput {
    let g = |k: &str| form_get(form, k).unwrap_or("").to_string();
    PlanInput {
        code: g("code"),
        name: g("name"),
        year: g("year").trim().parse().unwrap_or(0),
        level: g("level"),
        kind: g("kind"),
        domain: g("domain"),
        region_code: g("region_code"),
        target_batches: g("target_batches").trim().parse().unwrap_or(-1),
        starts_on: NaiveDate::parse_from_str(g("starts_on").trim(), "%Y-%m-%d").ok(),
        ends_on: NaiveDate::parse_from_str(g("ends_on").trim(), "%Y-%m-%d").ok(),
        version: form_get(form, "version").and_then(|v| v.parse().ok()),
    }
}

fn default_plan(ctx: &PageCtx) -> PlanInput {
    let year = ctx
        .state
        .clock
        .now()
        .with_timezone(&shanghai())
        .format("%Y")
        .to_string();
    PlanInput {
        year: year.parse().unwrap_or(2026),
        level: "county".into(),
        kind: "supervision".into(),
        domain: "food".into(),
        region_code: ctx
            .user
            .as_ref()
            .and_then(|u| u.region.as_ref().map(|r| r.as_str().to_string()))
            .unwrap_or_else(|| "630000".into()),
        ..PlanInput::default()
    }
}

async fn plans_view(
    ctx: &PageCtx,
    form: PlanForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    failed: bool,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let can_edit = actor.roles.has_any(&[Role::Supervisor, Role::Admin]);
    let (plans, _) = ctx
        .state
        .db
        .run(move |c| intake::list_plans(c, &actor, &PlanFilter::default(), 1, 500))
        .await?;
    render(
        ctx,
        form_status(failed),
        &PlansPage {
            nav: Nav::new(ctx),
            plans,
            can_edit,
            form,
            errors,
            notice,
        },
    )
}

pub(super) async fn plans_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    ctx.user()?;
    let regions = regions(&ctx).await?;
    let form = plan_form(ctx.lang, &regions, &default_plan(&ctx), "/plans".into());
    plans_view(&ctx, form, Vec::new(), None, false).await
}

pub(super) async fn plan_create(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let input = parse_plan_form(&form);
    let (now, i) = (ctx.now(), input.clone());
    let result = ctx
        .state
        .db
        .run(move |c| intake::create_plan(c, now, &actor, i))
        .await;
    let regions = regions(&ctx).await?;
    match result {
        Ok(p) => {
            let form = plan_form(ctx.lang, &regions, &default_plan(&ctx), "/plans".into());
            plans_view(
                &ctx,
                form,
                Vec::new(),
                Some(format!("{} · {}", word(ctx.lang, "common.saved"), p.code)),
                false,
            )
            .await
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Duplicate])?;
            let errors = r.messages(ctx.lang, "code");
            plans_view(
                &ctx,
                plan_form(ctx.lang, &regions, &input, "/plans".into()),
                errors,
                None,
                true,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "intake/plan_edit.html")]
struct PlanEditPage {
    nav: Nav,
    form: PlanForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

fn plan_to_input(p: &Plan) -> PlanInput {
    PlanInput {
        code: p.code.clone(),
        name: p.name.clone(),
        year: p.year,
        level: p.level.clone(),
        kind: p.kind.clone(),
        domain: p.domain.clone(),
        region_code: p.region_code.clone(),
        target_batches: i64::from(p.target_batches),
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        version: Some(p.version),
    }
}

pub(super) async fn plan_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let plan = ctx
        .state
        .db
        .run(move |c| intake::get_plan(c, &actor, id))
        .await?;
    let regions = regions(&ctx).await?;
    let form = plan_form(
        ctx.lang,
        &regions,
        &plan_to_input(&plan),
        format!("/plans/{id}"),
    );
    ok(
        &ctx,
        &PlanEditPage {
            nav: Nav::new(&ctx),
            form,
            errors: Vec::new(),
            notice: None,
        },
    )
}

pub(super) async fn plan_edit_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let input = parse_plan_form(&form);
    let (now, i) = (ctx.now(), input.clone());
    let result = ctx
        .state
        .db
        .run(move |c| intake::update_plan(c, now, &actor, id, i))
        .await;
    let regions = regions(&ctx).await?;
    let (form, errors, notice) = after_edit(ctx.lang, result, &input, plan_to_input, |i| {
        plan_form(ctx.lang, &regions, i, format!("/plans/{id}"))
    })?;
    let failed = !errors.is_empty();
    render(
        &ctx,
        form_status(failed),
        &PlanEditPage {
            nav: Nav::new(&ctx),
            form,
            errors,
            notice,
        },
    )
}
