//! The entity pages: the list with search and the form to add an entity (a duplicate
//! USCC links the existing one), and the edit page.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{after_edit, enum_label, ok, opts, regions, Opt, QQuery};
use crate::domain::role::Role;
use crate::domain::sample::EntityKind;
use crate::error::{AppError, AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, form_status, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::pages::{render, Nav};
use crate::workflow::intake::{self, Entity, EntityInput};
use crate::workflow::reference::Region;

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
    legal_rep: String,
    annual_sales: String,
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
        legal_rep: e.legal_rep.clone().unwrap_or_default(),
        annual_sales: e.annual_sales.clone().unwrap_or_default(),
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
        legal_rep: opt("legal_rep"),
        annual_sales: opt("annual_sales"),
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
        legal_rep: e.legal_rep.clone(),
        annual_sales: e.annual_sales.clone(),
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

pub(super) async fn entities_page(ctx: PageCtx, q: web::Query<QQuery>) -> AppResult<HttpResponse> {
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

pub(super) async fn entity_create(
    ctx: PageCtx,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
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

pub(super) async fn entity_edit_page(
    ctx: PageCtx,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
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

pub(super) async fn entity_edit_submit(
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
    let (form, errors, notice) = after_edit(ctx.lang, result, &input, entity_to_input, |i| {
        entity_form(ctx.lang, &regions, i, format!("/entities/{id}"))
    })?;
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
