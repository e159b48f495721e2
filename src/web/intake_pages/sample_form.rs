//! The phone-first sample form, new and edit: the form's text read into the use case's
//! input, and shown again as typed when refused.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use super::{domain_label, enum_label, ok, opts, Opt};
use crate::domain::role::Role;
use crate::domain::rules::Domain;
use crate::domain::sample::{Stage, Storage};
use crate::domain::sample_fields::{
    AreaType, Packaging, PhysicalForm, SampleSource, SamplingMethod, Vocabulary,
};
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_all, form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::pages::{redirect, render, Nav};
use crate::workflow::accounts::{self, User};
use crate::workflow::intake::{
    self, shanghai, Entity, Plan, PlanFilter, QuantityValue, Sample, SampleInput,
};
use crate::workflow::reference::{self, Category};

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
    base_quantity: String,
    standard: String,
    manufacturer_licence_no: String,
    packaging: Vec<Opt>,
    sample_form: Vec<Opt>,
    sample_attribute: String,
    sample_source: Vec<Opt>,
    sampling_method: Vec<Opt>,
    unit_price: String,
    area_type: Vec<Opt>,
    approval_no: String,
    expiry_date: String,
    mah: String,
    dosage_form: String,
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
    base_quantity: String,
    standard: String,
    manufacturer_licence_no: String,
    packaging: String,
    sample_form: String,
    sample_attribute: String,
    sample_source: String,
    sampling_method: String,
    unit_price: String,
    area_type: String,
    approval_no: String,
    expiry_date: String,
    mah: String,
    dosage_form: String,
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
        base_quantity: g("base_quantity"),
        standard: g("standard"),
        manufacturer_licence_no: g("manufacturer_licence_no"),
        packaging: g("packaging"),
        sample_form: g("sample_form"),
        sample_attribute: g("sample_attribute"),
        sample_source: g("sample_source"),
        sampling_method: g("sampling_method"),
        unit_price: g("unit_price"),
        area_type: g("area_type"),
        approval_no: g("approval_no"),
        expiry_date: g("expiry_date"),
        mah: g("mah"),
        dosage_form: g("dosage_form"),
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
        base_quantity: s.base_quantity.clone().unwrap_or_default(),
        standard: s.standard.clone().unwrap_or_default(),
        manufacturer_licence_no: s.manufacturer_licence_no.clone().unwrap_or_default(),
        packaging: s.packaging.clone().unwrap_or_default(),
        sample_form: s.sample_form.clone().unwrap_or_default(),
        sample_attribute: s.sample_attribute.clone().unwrap_or_default(),
        sample_source: s.sample_source.clone().unwrap_or_default(),
        sampling_method: s.sampling_method.clone().unwrap_or_default(),
        unit_price: s.unit_price.clone().unwrap_or_default(),
        area_type: s.area_type.clone().unwrap_or_default(),
        approval_no: s.approval_no.clone().unwrap_or_default(),
        expiry_date: s.expiry_date.map(|d| d.to_string()).unwrap_or_default(),
        mah: s.mah.clone().unwrap_or_default(),
        dosage_form: s.dosage_form.clone().unwrap_or_default(),
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
    let date = |v: &str, field: &str, errs: &mut Vec<(String, Msg)>| {
        if v.trim().is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| {
                errs.push((
                    field.to_string(),
                    Msg::new("日期格式应为 年-月-日", "must be a date YYYY-MM-DD"),
                ))
            })
            .ok()
    };
    let production_date = date(&f.production_date, "production_date", &mut errs);
    let expiry_date = date(&f.expiry_date, "expiry_date", &mut errs);
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
        base_quantity: opt(&f.base_quantity),
        standard: opt(&f.standard),
        manufacturer_licence_no: opt(&f.manufacturer_licence_no),
        packaging: opt(&f.packaging),
        sample_form: opt(&f.sample_form),
        sample_attribute: opt(&f.sample_attribute),
        sample_source: opt(&f.sample_source),
        sampling_method: opt(&f.sampling_method),
        unit_price: opt(&f.unit_price).map(QuantityValue::Text),
        area_type: opt(&f.area_type),
        approval_no: opt(&f.approval_no),
        expiry_date,
        mah: opt(&f.mah),
        dosage_form: opt(&f.dosage_form),
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
        base_quantity: f.base_quantity.clone(),
        standard: f.standard.clone(),
        manufacturer_licence_no: f.manufacturer_licence_no.clone(),
        packaging: vocab_opts::<Packaging>(lang, &f.packaging),
        sample_form: vocab_opts::<PhysicalForm>(lang, &f.sample_form),
        sample_attribute: f.sample_attribute.clone(),
        sample_source: vocab_opts::<SampleSource>(lang, &f.sample_source),
        sampling_method: vocab_opts::<SamplingMethod>(lang, &f.sampling_method),
        unit_price: f.unit_price.clone(),
        area_type: vocab_opts::<AreaType>(lang, &f.area_type),
        approval_no: f.approval_no.clone(),
        expiry_date: f.expiry_date.clone(),
        mah: f.mah.clone(),
        dosage_form: f.dosage_form.clone(),
    }
}

/// The choices of a vocabulary in words, the chosen key selected.
fn vocab_opts<T: Vocabulary>(lang: Lang, chosen: &str) -> Vec<Opt> {
    opts(
        T::all()
            .iter()
            .map(|v| (v.key(), enum_label(lang, v.label_zh(), v.label_en()))),
        chosen,
    )
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

pub(super) async fn sample_new_page(ctx: PageCtx) -> AppResult<HttpResponse> {
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

pub(super) async fn sample_new_submit(
    ctx: PageCtx,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
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

pub(super) async fn sample_edit_page(
    ctx: PageCtx,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
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

pub(super) async fn sample_edit_submit(
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
