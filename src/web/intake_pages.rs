//! Intake pages: plans, entities, the phone-first sample form, sample lists and the
//! sample page, the scan page for receipt, `/s/{sample_no}` and the search box.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{
    looks_like_sample_no, parse_scan, EntityKind, PlanLevel, SampleStatus, Stage, Storage,
};
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{
    errors_of, form_all, form_get, form_status, refusal, CsrfForm, FormMap, Shown,
};
use crate::web::i18n::{url_encode, word};
use crate::web::pages::{redirect, render, Nav};
use crate::workflow::accounts::{self, User};
use crate::workflow::intake::{
    self, is_overdue, local_date, shanghai, Entity, EntityInput, Plan, PlanFilter, PlanInput,
    QuantityValue, ReceiptInput, Sample, SampleFilter, SampleInput, SampleSheet,
};
use crate::workflow::reference::{self, Category, Region};
use crate::workflow::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plans", web::get().to(plans_page))
        .route("/plans", web::post().to(plan_create))
        .route("/plans/{id}", web::get().to(plan_edit_page))
        .route("/plans/{id}", web::post().to(plan_edit_submit))
        .route("/entities", web::get().to(entities_page))
        .route("/entities", web::post().to(entity_create))
        .route("/entities/{id}", web::get().to(entity_edit_page))
        .route("/entities/{id}", web::post().to(entity_edit_submit))
        .route("/samples", web::get().to(samples_page))
        .route("/samples/new", web::get().to(sample_new_page))
        .route("/samples/new", web::post().to(sample_new_submit))
        .route("/samples/{no}", web::get().to(sample_page))
        .route("/samples/{no}/edit", web::get().to(sample_edit_page))
        .route("/samples/{no}/edit", web::post().to(sample_edit_submit))
        .route("/s/{no}", web::get().to(short_link))
        .route("/receipts", web::get().to(receipt_page))
        .route("/receipts", web::post().to(receipt_submit))
        .route("/search", web::get().to(search));
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

// ---------------------------------------------------------------- plans

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

pub fn plan_kind_label(lang: Lang, k: PlanKind) -> String {
    enum_label(lang, k.label_zh(), k.as_str())
}

pub fn domain_label(lang: Lang, d: Domain) -> String {
    enum_label(lang, d.label_zh(), d.as_str())
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

async fn plans_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    ctx.user()?;
    let regions = regions(&ctx).await?;
    let form = plan_form(ctx.lang, &regions, &default_plan(&ctx), "/plans".into());
    plans_view(&ctx, form, Vec::new(), None, false).await
}

async fn plan_create(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
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

async fn plan_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
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

async fn plan_edit_submit(
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
    let (form, errors, notice) = match result {
        Ok(p) => (
            plan_form(
                ctx.lang,
                &regions,
                &plan_to_input(&p),
                format!("/plans/{id}"),
            ),
            Vec::new(),
            Some(word(ctx.lang, "common.saved").to_string()),
        ),
        Err(e) => (
            plan_form(ctx.lang, &regions, &input, format!("/plans/{id}")),
            refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Duplicate])?
                .messages(ctx.lang, "version"),
            None,
        ),
    };
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

// ---------------------------------------------------------------- entities

struct EntityForm {
    action: String,
    version: Option<i32>,
    name: String,
    uscc: String,
    license_no: String,
    kind: Vec<Opt>,
    address: String,
    region: Vec<Opt>,
    contact: String,
}

fn entity_form(lang: Lang, regions: &[Region], e: &EntityInput, action: String) -> EntityForm {
    EntityForm {
        action,
        version: e.version,
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        license_no: e.license_no.clone().unwrap_or_default(),
        kind: opts(
            EntityKind::ALL
                .iter()
                .map(|k| (k.as_str(), enum_label(lang, k.label_zh(), k.as_str()))),
            &e.kind,
        ),
        address: e.address.clone(),
        region: opts(
            regions
                .iter()
                .filter(|r| r.level == "county")
                .map(|r| (r.code.as_str(), format!("{} {}", r.code, r.name_zh))),
            &e.region_code,
        ),
        contact: e.contact.clone().unwrap_or_default(),
    }
}

fn parse_entity_form(form: &[(String, String)]) -> EntityInput {
    let g = |k: &str| form_get(form, k).unwrap_or("").to_string();
    let opt = |k: &str| Some(g(k)).filter(|v| !v.trim().is_empty());
    EntityInput {
        name: g("name"),
        uscc: g("uscc"),
        license_no: opt("license_no"),
        kind: g("kind"),
        address: g("address"),
        region_code: g("region_code"),
        contact: opt("contact"),
        version: form_get(form, "version").and_then(|v| v.parse().ok()),
    }
}

fn entity_to_input(e: &Entity) -> EntityInput {
    EntityInput {
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        license_no: e.license_no.clone(),
        kind: e.kind.clone(),
        address: e.address.clone(),
        region_code: e.region_code.clone(),
        contact: e.contact.clone(),
        version: Some(e.version),
    }
}

#[derive(Template)]
#[template(path = "intake/entities.html")]
struct EntitiesPage {
    nav: Nav,
    q: String,
    entities: Vec<Entity>,
    total: i64,
    can_edit: bool,
    form: EntityForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    existing: Option<i64>,
}

#[derive(Deserialize)]
struct QQuery {
    q: Option<String>,
}

async fn entities_view(
    ctx: &PageCtx,
    q: String,
    form: EntityForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    existing: Option<i64>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let can_edit = actor
        .roles
        .has_any(&[Role::Sampler, Role::Supervisor, Role::Admin]);
    let text = q.clone();
    let (entities, total) = ctx
        .state
        .db
        .run(move |c| intake::list_entities(c, &actor, Some(&text), 1, 200))
        .await?;
    let failed = !errors.is_empty();
    render(
        ctx,
        form_status(failed),
        &EntitiesPage {
            nav: Nav::new(ctx),
            q,
            entities,
            total,
            can_edit,
            form,
            errors,
            notice,
            existing,
        },
    )
}

async fn entities_page(ctx: PageCtx, q: web::Query<QQuery>) -> AppResult<HttpResponse> {
    ctx.user()?;
    let regions = regions(&ctx).await?;
    let blank = EntityInput {
        kind: "distributor".into(),
        ..EntityInput::default()
    };
    let form = entity_form(ctx.lang, &regions, &blank, "/entities".into());
    entities_view(
        &ctx,
        q.into_inner().q.unwrap_or_default(),
        form,
        Vec::new(),
        None,
        None,
    )
    .await
}

async fn entity_create(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let input = parse_entity_form(&form);
    let (now, i) = (ctx.now(), input.clone());
    let result = ctx
        .state
        .db
        .run(move |c| intake::create_entity(c, now, &actor, i))
        .await;
    let regions = regions(&ctx).await?;
    match result {
        Ok(e) => {
            let blank = EntityInput {
                kind: "distributor".into(),
                ..EntityInput::default()
            };
            let form = entity_form(ctx.lang, &regions, &blank, "/entities".into());
            entities_view(
                &ctx,
                String::new(),
                form,
                Vec::new(),
                Some(format!("{} · {}", word(ctx.lang, "common.saved"), e.name)),
                None,
            )
            .await
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Duplicate])?;
            let existing = match r.error() {
                AppError::Duplicate(_, v) => v["id"].as_i64(),
                _ => None,
            };
            let form = entity_form(ctx.lang, &regions, &input, "/entities".into());
            entities_view(
                &ctx,
                String::new(),
                form,
                r.messages(ctx.lang, "uscc"),
                None,
                existing,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "intake/entity_edit.html")]
struct EntityEditPage {
    nav: Nav,
    form: EntityForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

async fn entity_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let e = ctx
        .state
        .db
        .run(move |c| intake::get_entity(c, &actor, id))
        .await?;
    let regions = regions(&ctx).await?;
    let form = entity_form(
        ctx.lang,
        &regions,
        &entity_to_input(&e),
        format!("/entities/{id}"),
    );
    ok(
        &ctx,
        &EntityEditPage {
            nav: Nav::new(&ctx),
            form,
            errors: Vec::new(),
            notice: None,
        },
    )
}

async fn entity_edit_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let input = parse_entity_form(&form);
    let (now, i) = (ctx.now(), input.clone());
    let result = ctx
        .state
        .db
        .run(move |c| intake::update_entity(c, now, &actor, id, i))
        .await;
    let regions = regions(&ctx).await?;
    let (form, errors, notice) = match result {
        Ok(e) => (
            entity_form(
                ctx.lang,
                &regions,
                &entity_to_input(&e),
                format!("/entities/{id}"),
            ),
            Vec::new(),
            Some(word(ctx.lang, "common.saved").to_string()),
        ),
        Err(e) => (
            entity_form(ctx.lang, &regions, &input, format!("/entities/{id}")),
            refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Duplicate])?
                .messages(ctx.lang, "version"),
            None,
        ),
    };
    let failed = !errors.is_empty();
    render(
        &ctx,
        form_status(failed),
        &EntityEditPage {
            nav: Nav::new(&ctx),
            form,
            errors,
            notice,
        },
    )
}

// ---------------------------------------------------------------- sample lists

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

fn lines(lang: Lang, items: Vec<Sample>, today: NaiveDate) -> Vec<SampleLine> {
    items
        .into_iter()
        .map(|s| SampleLine {
            overdue: is_overdue(&s, today),
            status_label: status_label(lang, &s.status),
            sample: s,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "intake/samples.html")]
struct SamplesPage {
    nav: Nav,
    lines: Vec<SampleLine>,
    total: i64,
    page: i64,
    pages: i64,
    query: String,
    f: SampleFilter,
    statuses: Vec<Opt>,
    templates: Vec<(String, String)>,
}

async fn samples_page(
    ctx: PageCtx,
    q: web::Query<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    // Read the query leniently: an empty field means "any".
    let g = |k: &str| {
        form_get(&q, k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let f = SampleFilter {
        status: g("status"),
        conclusion: g("conclusion"),
        region: g("region"),
        plan_id: g("plan_id").and_then(|v| v.parse().ok()),
        from: g("from").and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()),
        to: g("to").and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()),
        q: g("q"),
        overdue: g("overdue").map(|v| v == "true" || v == "on"),
    };
    let page = g("page")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = 50;
    let now = ctx.now();
    let f2 = f.clone();
    let (items, total) = ctx
        .state
        .db
        .run(move |c| intake::list_samples(c, now, &actor, &f2, page, per_page))
        .await?;
    let query = serde_urlencoded_filter(&f);
    let statuses = opts(
        SampleStatus::ALL
            .iter()
            .map(|s| (s.as_str(), enum_label(ctx.lang, s.label_zh(), s.label_en()))),
        f.status.as_deref().unwrap_or(""),
    );
    let templates = crate::web::labels::templates(&ctx.state)
        .into_iter()
        .map(|t| (t.name.clone(), t.name))
        .collect();
    let lines = lines(ctx.lang, items, local_date(now));
    ok(
        &ctx,
        &SamplesPage {
            nav: Nav::new(&ctx),
            lines,
            total,
            page,
            pages: (total + per_page - 1) / per_page,
            query,
            f,
            statuses,
            templates,
        },
    )
}

fn serde_urlencoded_filter(f: &SampleFilter) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={}", url_encode(&v)));
        }
    };
    push("status", f.status.clone());
    push("conclusion", f.conclusion.clone());
    push("region", f.region.clone());
    push("plan_id", f.plan_id.map(|v| v.to_string()));
    push("from", f.from.map(|v| v.to_string()));
    push("to", f.to.map(|v| v.to_string()));
    push("q", f.q.clone());
    push(
        "overdue",
        f.overdue.filter(|o| *o).map(|_| "true".to_string()),
    );
    parts.join("&")
}

// ---------------------------------------------------------------- sample form

/// The sample form as the page shows it (all text, as typed).
#[derive(Default)]
struct SampleForm {
    action: String,
    version: Option<i32>,
    plans: Vec<Opt>,
    entities: Vec<Opt>,
    domain: Vec<Opt>,
    categories: Vec<Opt>,
    product_name: String,
    brand: String,
    specification: String,
    batch_no: String,
    production_date: String,
    shelf_life: String,
    manufacturer: String,
    manufacturer_address: String,
    stage: Vec<Opt>,
    sampled_at: String,
    place: String,
    samplers: Vec<Opt>,
    quantity: String,
    unit: String,
    backup_quantity: String,
    storage: Vec<Opt>,
    price: String,
    notes: String,
}

/// What the form holds, as text.
#[derive(Default, Clone)]
struct SampleFields {
    plan_id: String,
    entity_id: String,
    domain: String,
    category_code: String,
    product_name: String,
    brand: String,
    specification: String,
    batch_no: String,
    production_date: String,
    shelf_life: String,
    manufacturer: String,
    manufacturer_address: String,
    stage: String,
    sampled_at: String,
    place: String,
    sampler_ids: Vec<String>,
    quantity: String,
    unit: String,
    backup_quantity: String,
    storage: String,
    price: String,
    notes: String,
    version: Option<i32>,
}

fn fields_from_form(form: &[(String, String)]) -> SampleFields {
    let g = |k: &str| form_get(form, k).unwrap_or("").to_string();
    SampleFields {
        plan_id: g("plan_id"),
        entity_id: g("entity_id"),
        domain: g("domain"),
        category_code: g("category_code"),
        product_name: g("product_name"),
        brand: g("brand"),
        specification: g("specification"),
        batch_no: g("batch_no"),
        production_date: g("production_date"),
        shelf_life: g("shelf_life"),
        manufacturer: g("manufacturer"),
        manufacturer_address: g("manufacturer_address"),
        stage: g("stage"),
        sampled_at: g("sampled_at"),
        place: g("place"),
        sampler_ids: form_all(form, "sampler_ids"),
        quantity: g("quantity"),
        unit: g("unit"),
        backup_quantity: g("backup_quantity"),
        storage: g("storage"),
        price: g("price"),
        notes: g("notes"),
        version: form_get(form, "version").and_then(|v| v.parse().ok()),
    }
}

fn fields_from_sample(s: &Sample) -> SampleFields {
    SampleFields {
        plan_id: s.plan_id.to_string(),
        entity_id: s.entity_id.to_string(),
        domain: s.domain.clone(),
        category_code: s.category_code.clone(),
        product_name: s.product_name.clone(),
        brand: s.brand.clone().unwrap_or_default(),
        specification: s.specification.clone().unwrap_or_default(),
        batch_no: s.batch_no.clone().unwrap_or_default(),
        production_date: s.production_date.map(|d| d.to_string()).unwrap_or_default(),
        shelf_life: s.shelf_life.clone().unwrap_or_default(),
        manufacturer: s.manufacturer.clone().unwrap_or_default(),
        manufacturer_address: s.manufacturer_address.clone().unwrap_or_default(),
        stage: s.stage.clone(),
        sampled_at: s.sampled_at.format("%Y-%m-%dT%H:%M").to_string(),
        place: s.place.clone().unwrap_or_default(),
        sampler_ids: s.sampler_ids.iter().map(|i| i.to_string()).collect(),
        quantity: s.quantity.clone(),
        unit: s.unit.clone(),
        backup_quantity: s.backup_quantity.clone().unwrap_or_default(),
        storage: s.storage.clone(),
        price: s.price.clone().unwrap_or_default(),
        notes: s.notes.clone().unwrap_or_default(),
        version: Some(s.version),
    }
}

/// Turns the form's text into the use case's input. Unreadable numbers and times
/// become field messages here; everything else is checked by the use case.
fn input_from_fields(f: &SampleFields) -> Result<SampleInput, Vec<(String, Msg)>> {
    let mut errs = Vec::new();
    let id = |v: &str, field: &str, errs: &mut Vec<(String, Msg)>| {
        v.trim().parse::<i64>().unwrap_or_else(|_| {
            errs.push((field.to_string(), Msg::new("请选择", "please choose one")));
            0
        })
    };
    let plan_id = id(&f.plan_id, "plan_id", &mut errs);
    let entity_id = id(&f.entity_id, "entity_id", &mut errs);
    // A datetime-local field has no offset: it is Shanghai time.
    let sampled_at = chrono::NaiveDateTime::parse_from_str(f.sampled_at.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| t.and_local_timezone(shanghai()).single());
    let Some(sampled_at) = sampled_at else {
        errs.push((
            "sampled_at".into(),
            Msg::new("请填写抽样时间", "please give the sampling time"),
        ));
        return Err(errs);
    };
    let production_date = if f.production_date.trim().is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(f.production_date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errs.push((
                    "production_date".into(),
                    Msg::new("日期格式应为 年-月-日", "must be a date YYYY-MM-DD"),
                ));
                None
            }
        }
    };
    let mut samplers = Vec::new();
    for s in &f.sampler_ids {
        match s.trim().parse::<i64>() {
            Ok(v) => samplers.push(v),
            Err(_) => errs.push((
                "sampler_ids".into(),
                Msg::new("抽样人员无效", "is not a user"),
            )),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let opt = |s: &str| Some(s.trim().to_string()).filter(|v| !v.is_empty());
    Ok(SampleInput {
        plan_id,
        entity_id,
        domain: f.domain.clone(),
        category_code: f.category_code.clone(),
        product_name: f.product_name.clone(),
        brand: opt(&f.brand),
        specification: opt(&f.specification),
        batch_no: opt(&f.batch_no),
        production_date,
        shelf_life: opt(&f.shelf_life),
        manufacturer: opt(&f.manufacturer),
        manufacturer_address: opt(&f.manufacturer_address),
        stage: f.stage.clone(),
        sampled_at,
        place: opt(&f.place),
        sampler_ids: samplers,
        quantity: QuantityValue::Text(f.quantity.clone()),
        unit: f.unit.clone(),
        backup_quantity: opt(&f.backup_quantity).map(QuantityValue::Text),
        storage: f.storage.clone(),
        price: opt(&f.price).map(QuantityValue::Text),
        notes: opt(&f.notes),
        version: f.version,
    })
}

/// Choices for the sample form: plans, entities, categories, samplers.
struct Choices {
    plans: Vec<Plan>,
    entities: Vec<Entity>,
    categories: Vec<Category>,
    samplers: Vec<User>,
}

async fn choices(ctx: &PageCtx) -> AppResult<Choices> {
    let actor = ctx.user()?.clone();
    ctx.state
        .db
        .run(move |c| {
            Ok(Choices {
                plans: intake::list_plans(c, &actor, &PlanFilter::default(), 1, 500)?.0,
                entities: intake::list_entities(c, &actor, None, 1, 500)?.0,
                categories: reference::list_categories(c, None)?,
                samplers: accounts::active_users_with_role(c, Role::Sampler)?,
            })
        })
        .await
}

fn sample_form(lang: Lang, ch: &Choices, f: &SampleFields, action: String) -> SampleForm {
    SampleForm {
        action,
        version: f.version,
        plans: opts(
            ch.plans
                .iter()
                .map(|p| {
                    (
                        p.id.to_string(),
                        format!("{} {} ({})", p.code, p.name, p.kind),
                    )
                })
                .collect::<Vec<_>>()
                .iter()
                .map(|(a, b)| (a.as_str(), b.clone())),
            &f.plan_id,
        ),
        entities: opts(
            ch.entities
                .iter()
                .map(|e| (e.id.to_string(), format!("{} · {}", e.name, e.uscc)))
                .collect::<Vec<_>>()
                .iter()
                .map(|(a, b)| (a.as_str(), b.clone())),
            &f.entity_id,
        ),
        domain: opts(
            Domain::ALL
                .iter()
                .map(|d| (d.as_str(), domain_label(lang, *d))),
            &f.domain,
        ),
        categories: opts(
            ch.categories.iter().map(|c| {
                let indent = if c.parent_code.is_some() { "　" } else { "" };
                (
                    c.code.as_str(),
                    format!(
                        "{indent}{} {}",
                        c.code,
                        if lang == Lang::En {
                            &c.name_en
                        } else {
                            &c.name_zh
                        }
                    ),
                )
            }),
            &f.category_code,
        ),
        product_name: f.product_name.clone(),
        brand: f.brand.clone(),
        specification: f.specification.clone(),
        batch_no: f.batch_no.clone(),
        production_date: f.production_date.clone(),
        shelf_life: f.shelf_life.clone(),
        manufacturer: f.manufacturer.clone(),
        manufacturer_address: f.manufacturer_address.clone(),
        stage: opts(
            Stage::ALL
                .iter()
                .map(|s| (s.as_str(), enum_label(lang, s.label_zh(), s.as_str()))),
            &f.stage,
        ),
        sampled_at: f.sampled_at.clone(),
        place: f.place.clone(),
        samplers: ch
            .samplers
            .iter()
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.display_name.clone(),
                selected: f.sampler_ids.contains(&u.id.to_string()),
            })
            .collect(),
        quantity: f.quantity.clone(),
        unit: f.unit.clone(),
        backup_quantity: f.backup_quantity.clone(),
        storage: opts(
            Storage::ALL
                .iter()
                .map(|s| (s.as_str(), enum_label(lang, s.label_zh(), s.label_en()))),
            &f.storage,
        ),
        price: f.price.clone(),
        notes: f.notes.clone(),
    }
}

#[derive(Template)]
#[template(path = "intake/sample_form.html")]
struct SampleFormPage {
    nav: Nav,
    title_key: &'static str,
    form: SampleForm,
    errors: Vec<(String, String)>,
    /// The browser draft key; cleared when the server has accepted the form.
    draft_key: String,
}

async fn sample_new_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Sampler])?;
    let ch = choices(&ctx).await?;
    let mut f = SampleFields {
        domain: "food".into(),
        stage: "circulation".into(),
        storage: "ambient".into(),
        unit: "袋".into(),
        sampled_at: ctx
            .state
            .clock
            .now()
            .with_timezone(&shanghai())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        ..SampleFields::default()
    };
    if let Some(id) = actor.id {
        f.sampler_ids.push(id.to_string());
    }
    let form = sample_form(ctx.lang, &ch, &f, "/samples/new".into());
    ok(
        &ctx,
        &SampleFormPage {
            nav: Nav::new(&ctx),
            title_key: "samples.new",
            form,
            errors: Vec::new(),
            draft_key: "lims-draft-new".into(),
        },
    )
}

async fn sample_new_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    // The role before the form is read: a non-sampler gets 403, as on the API.
    actor.require(&[Role::Sampler])?;
    let fields = fields_from_form(&form);
    let result = match input_from_fields(&fields) {
        Ok(input) => {
            let now = ctx.now();
            ctx.state
                .db
                .run(move |c| intake::register_sample(c, now, &actor, input))
                .await
        }
        Err(errs) => Err(AppError::invalid(errs.into_iter().collect())),
    };
    match result {
        Ok(s) => Ok(redirect(&format!("/samples/{}?created=1", s.sample_no))),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Forbidden])?;
            let ch = choices(&ctx).await?;
            let form = sample_form(ctx.lang, &ch, &fields, "/samples/new".into());
            let status = if matches!(r.error(), AppError::Forbidden(_)) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(
                &ctx,
                status,
                &SampleFormPage {
                    nav: Nav::new(&ctx),
                    title_key: "samples.new",
                    form,
                    errors: r.messages(ctx.lang, "plan_id"),
                    draft_key: "lims-draft-new".into(),
                },
            )
        }
    }
}

async fn sample_edit_page(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Sampler])?;
    let no = path.into_inner();
    let s = ctx
        .state
        .db
        .run(move |c| intake::get_sample(c, &actor, &no))
        .await?;
    let ch = choices(&ctx).await?;
    let form = sample_form(
        ctx.lang,
        &ch,
        &fields_from_sample(&s),
        format!("/samples/{}/edit", s.sample_no),
    );
    ok(
        &ctx,
        &SampleFormPage {
            nav: Nav::new(&ctx),
            title_key: "samples.edit",
            form,
            errors: Vec::new(),
            draft_key: format!("lims-draft-{}", s.sample_no),
        },
    )
}

async fn sample_edit_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Sampler])?;
    let no = path.into_inner();
    let fields = fields_from_form(&form);
    let n = no.clone();
    let result = match input_from_fields(&fields) {
        Ok(input) => {
            let now = ctx.now();
            ctx.state
                .db
                .run(move |c| intake::update_sample(c, now, &actor, &n, input))
                .await
        }
        Err(errs) => Err(AppError::invalid(errs.into_iter().collect())),
    };
    match result {
        Ok(s) => Ok(redirect(&format!("/samples/{}", s.sample_no))),
        Err(e) => {
            // 403, 409 or 422: the refusal's own status.
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Forbidden])?;
            let ch = choices(&ctx).await?;
            let form = sample_form(ctx.lang, &ch, &fields, format!("/samples/{no}/edit"));
            render(
                &ctx,
                r.status(),
                &SampleFormPage {
                    nav: Nav::new(&ctx),
                    title_key: "samples.edit",
                    form,
                    errors: r.messages(ctx.lang, "version"),
                    draft_key: format!("lims-draft-{no}"),
                },
            )
        }
    }
}

// ---------------------------------------------------------------- the sample page

/// A deadline as the sample page shows it: rule, citation, date, days left.
pub struct DeadlineView {
    pub label: &'static str,
    pub rule: String,
    pub citation: String,
    pub date: NaiveDate,
    pub provisional: bool,
    pub days_left: i64,
    pub met: Option<bool>,
}

#[derive(Template)]
#[template(path = "intake/sample.html")]
struct SamplePage {
    nav: Nav,
    sheet: SampleSheet,
    status_label: String,
    storage_label: String,
    stage_label: String,
    plan_label: String,
    deadlines: Vec<DeadlineView>,
    templates: Vec<(String, String)>,
    previews: Vec<(String, String)>,
    can_edit: bool,
    created: bool,
    overdue: bool,
    tests: Vec<crate::web::lab_pages::TestLine>,
    /// The domain's words for pass and fail (合格/不合格, 符合规定/不符合规定).
    pass_term: String,
    fail_term: String,
    can_assign: bool,
    can_approve: bool,
}

#[derive(Deserialize)]
struct SamplePageQuery {
    created: Option<String>,
}

async fn sample_page(
    ctx: PageCtx,
    path: web::Path<String>,
    q: web::Query<SamplePageQuery>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let a = actor.clone();
    let now = ctx.now();
    let (sheet, profile, cal, tests) = ctx
        .state
        .db
        .run(move |c| {
            let sheet = intake::sample_sheet(c, &a, &no)?;
            let d: Domain = sheet.sample.domain.parse().map_err(AppError::internal)?;
            let k: PlanKind = sheet.plan.kind.parse().map_err(AppError::internal)?;
            let profile = reference::get_profile(c, d, k)?.map(|p| p.profile());
            Ok((
                sheet,
                profile,
                reference::work_calendar(c)?,
                crate::workflow::lab::list_sample_tests(c, &a, &no)?,
            ))
        })
        .await?;
    let today = local_date(now);
    let lang = ctx.lang;
    let mut deadlines = Vec::new();
    let citation = |key: &str| {
        profile
            .as_ref()
            .and_then(|p| p.get(key))
            .map(|r| r.citation.clone())
            .unwrap_or_default()
    };
    let s = &sheet.sample;
    if let Some(d) = s.delivery_due_on {
        let received = s.received_at.map(|t| t.date_naive());
        deadlines.push(DeadlineView {
            label: word(lang, "deadline.delivery"),
            rule: "delivery_to_lab".into(),
            citation: citation("delivery_to_lab"),
            date: d,
            provisional: s.delivery_due_provisional,
            days_left: cal.working_days_between(today, d).0,
            met: received.map(|r| r <= d),
        });
    }
    if let Some(d) = s.due_on {
        deadlines.push(DeadlineView {
            label: word(lang, "deadline.report"),
            rule: "report_after_receipt".into(),
            citation: citation("report_after_receipt"),
            date: d,
            provisional: s.due_provisional,
            days_left: cal.working_days_between(today, d).0,
            met: s.reported_at.map(|r| r.date_naive() <= d),
        });
    }
    let all_templates = crate::web::labels::templates(&ctx.state);
    let previews = crate::web::labels::previews(&ctx.state, all_templates.first(), &sheet, lang)?;
    let templates: Vec<(String, String)> = all_templates
        .into_iter()
        .map(|t| (t.name.clone(), t.name))
        .collect();
    let storage_label = s
        .storage
        .parse::<Storage>()
        .map(|x| enum_label(lang, x.label_zh(), x.label_en()))
        .unwrap_or_default();
    let stage_label = s
        .stage
        .parse::<Stage>()
        .map(|x| enum_label(lang, x.label_zh(), x.as_str()))
        .unwrap_or_default();
    let plan_label = format!(
        "{}, {}",
        sheet
            .plan
            .kind
            .parse::<PlanKind>()
            .map(|k| plan_kind_label(lang, k))
            .unwrap_or_default(),
        sheet
            .plan
            .level
            .parse::<PlanLevel>()
            .map(|l| enum_label(lang, l.label_zh(), l.as_str()))
            .unwrap_or_default()
    );
    let tests = crate::web::lab_pages::lines(tests, today, lang);
    let all_accepted = !tests.is_empty() && tests.iter().all(|l| l.test.status == "accepted");
    let term = |key: &str, fallback: &str| {
        profile
            .as_ref()
            .and_then(|p| p.text(key))
            .map(str::to_string)
            .unwrap_or_else(|| word(lang, fallback).to_string())
    };
    let (pass_term, fail_term) = (term("pass_term", "lab.pass"), term("fail_term", "lab.fail"));
    let page = SamplePage {
        pass_term,
        fail_term,
        can_assign: matches!(s.status.as_str(), "received" | "testing")
            && actor
                .roles
                .has_any(&[Role::Custodian, Role::Reviewer, Role::Admin]),
        can_approve: s.status == "review" && all_accepted && actor.roles.has(Role::Signatory),
        tests,
        plan_label,
        status_label: status_label(lang, &s.status),
        can_edit: s.status == "registered" && actor.roles.has(Role::Sampler),
        overdue: is_overdue(s, today),
        storage_label,
        stage_label,
        deadlines,
        templates,
        previews,
        created: q.created.is_some(),
        nav: Nav::new(&ctx),
        sheet,
    };
    ok(&ctx, &page)
}

/// `/s/{sample_no}`: what a label's QR code opens. Logged in: the sample page.
async fn short_link(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.user()?;
    let no = path.into_inner().to_ascii_uppercase();
    if !looks_like_sample_no(&no) {
        return Err(AppError::not_found("样品", "Sample"));
    }
    Ok(redirect(&format!("/samples/{no}")))
}

// ---------------------------------------------------------------- receipt

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
struct ScanQuery {
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
        Some(Ok(s)) => lines(lang, vec![s], today).pop(),
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
            recent: lines(lang, recent, today),
        },
    )
}

async fn receipt_page(ctx: PageCtx, q: web::Query<ScanQuery>) -> AppResult<HttpResponse> {
    receipt_view(
        &ctx,
        q.into_inner().scan.unwrap_or_default(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn receipt_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
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

// ---------------------------------------------------------------- search

/// The search box: a sample number or a scan opens the sample; other text lists the
/// samples and entities that match.
async fn search(ctx: PageCtx, q: web::Query<QQuery>) -> AppResult<HttpResponse> {
    let actor: Actor = ctx.user()?.clone();
    let text = q.into_inner().q.unwrap_or_default();
    if let Some((no, _)) = parse_scan(&text) {
        let n = no.clone();
        let a = actor.clone();
        let found = ctx
            .state
            .db
            .run(move |c| intake::get_sample(c, &a, &n))
            .await;
        if found.is_ok() {
            return Ok(redirect(&format!("/samples/{no}")));
        }
    }
    let t = text.trim();
    // A report number, typed or scanned from a report's verification QR code.
    let report_no = t
        .split_once("/verify/")
        .map_or(t, |(_, rest)| rest.split(['?', '/']).next().unwrap_or(""))
        .to_ascii_uppercase();
    if report_no.starts_with("QHJ") && report_no.len() > 3 {
        let issuer = ctx.state.issuer();
        let a = actor.clone();
        let n = report_no.clone();
        let found = ctx
            .state
            .db
            .run(move |c| crate::workflow::reports::get_report(c, &a, &issuer, &n))
            .await;
        if found.is_ok() {
            return Ok(redirect(&format!("/reports/{report_no}")));
        }
    }
    if t.len() == 18 && t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(redirect(&format!("/entities?q={}", url_encode(t))));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/samples?q={}", url_encode(t))))
        .finish())
}
