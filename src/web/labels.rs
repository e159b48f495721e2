//! Label and sampling-form output over HTTP: per sample and in batch, as PDF, ZPL and
//! an SVG preview. Rendering runs on the blocking pool with the database work.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::documents::labels::{self, Label, LabelSample, LabelTemplate, Portion};
use crate::documents::sampling_form::{render_sampling_form, FormKind, SamplingForm};
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{EntityKind, PlanLevel, Stage, Storage};
use crate::domain::sample_fields::{
    parse_vocab, AreaType, Packaging, PhysicalForm, SampleSource, SamplingMethod, Vocabulary,
};
use crate::error::{AppError, AppResult, FieldErrors, Lang, Msg};
use crate::web::auth::{ApiUser, PageCtx};
use crate::web::forms::{form_all, form_get, CsrfForm, FormMap};
use crate::web::AppState;
use crate::workflow::intake::{self, SampleSheet};
use crate::workflow::Actor;

/// The API routes of this file, inside the `/api/v1` scope.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/label-templates", web::get().to(list_templates))
        .route("/samples/{no}/labels.pdf", web::get().to(sample_labels_pdf))
        .route("/samples/{no}/labels.zpl", web::get().to(sample_labels_zpl))
        .route("/samples/{no}/label.svg", web::get().to(sample_label_svg))
        .route(
            "/samples/{no}/sampling-form.pdf",
            web::get().to(sampling_form_pdf),
        )
        .route("/labels.pdf", web::post().to(batch_pdf));
}

/// The page routes of this file.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/labels/batch", web::post().to(batch_pdf_form));
}

/// The most labels one batch request may ask for.
pub const MAX_BATCH_SAMPLES: usize = 1000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateInfo {
    pub name: String,
    pub width_mm: f32,
    pub height_mm: f32,
    /// roll | sheet
    pub kind: String,
    pub description: String,
}

/// The shipped templates and the lab's own (`<data dir>/label_templates/*.toml`).
pub fn templates(st: &AppState) -> Vec<LabelTemplate> {
    let (list, errors) = labels::load_templates(Some(&st.config.data_dir.join("label_templates")));
    for e in errors {
        log::warn!("label template refused: {e}");
    }
    list
}

fn find_template(st: &AppState, name: Option<&str>) -> AppResult<LabelTemplate> {
    let all = templates(st);
    let name = name.unwrap_or("thermal-50x30");
    all.into_iter().find(|t| t.name == name).ok_or_else(|| {
        AppError::field(
            "template",
            Msg::new(
                format!("没有名为“{name}”的标签模板"),
                format!("no label template named `{name}`"),
            ),
        )
    })
}

#[utoipa::path(get, path = "/api/v1/label-templates", responses((status = 200, body = Vec<TemplateInfo>)))]
pub async fn list_templates(st: web::Data<AppState>, _user: ApiUser) -> AppResult<HttpResponse> {
    let list: Vec<TemplateInfo> = templates(&st)
        .into_iter()
        .map(|t| TemplateInfo {
            kind: match t.kind {
                labels::TemplateKind::Roll => "roll".into(),
                labels::TemplateKind::Sheet => "sheet".into(),
            },
            name: t.name,
            width_mm: t.width_mm,
            height_mm: t.height_mm,
            description: t.description,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// What a label prints about a sample (labels are printed in Chinese).
pub fn label_sample(sheet: &SampleSheet) -> LabelSample {
    let s = &sheet.sample;
    LabelSample {
        sample_no: s.sample_no.clone(),
        product_name: s.product_name.clone(),
        sampled_on: s.sampled_at.date_naive(),
        storage: s
            .storage
            .parse::<Storage>()
            .map(|x| x.label_zh().to_string())
            .unwrap_or_default(),
        entity_name: sheet.entity.name.clone(),
        has_backup: sheet.has_backup,
    }
}

fn doc_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("document rendering failed: {e}"))
}

/// The labels of several samples, in the order asked, each sample's four (or two).
fn labels_of(
    conn: &mut crate::db::DbConnection,
    actor: &Actor,
    base_url: &str,
    nos: &[String],
) -> AppResult<Vec<Label>> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for no in nos {
        match intake::sample_sheet(conn, actor, no) {
            Ok(sheet) => out.extend(labels::labels_for(&label_sample(&sheet), base_url)),
            Err(AppError::NotFound(_)) => missing.push(no.clone()),
            Err(e) => return Err(e),
        }
    }
    if !missing.is_empty() {
        return Err(AppError::NotFound(Msg::new(
            format!("没有这些样品：{}", missing.join("、")),
            format!("No such samples: {}", missing.join(", ")),
        )));
    }
    Ok(out)
}

pub(crate) fn pdf_response(bytes: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(bytes)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TemplateQuery {
    /// A template name from `/api/v1/label-templates` (default thermal-50x30).
    pub template: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/labels.pdf", params(TemplateQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 404)))]
pub async fn sample_labels_pdf(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    q: web::Query<TemplateQuery>,
) -> AppResult<HttpResponse> {
    let tpl = find_template(&st, q.template.as_deref())?;
    let no = path.into_inner();
    let bytes = print(&st, user.actor, no.clone(), tpl, "pdf", labels::render_pdf).await?;
    Ok(pdf_response(bytes, &format!("labels-{no}.pdf")))
}

/// Renders the four labels of sample `no` with `render` and records that they were
/// printed in `format`.
async fn print<T: Send + 'static>(
    st: &AppState,
    actor: Actor,
    no: String,
    tpl: LabelTemplate,
    format: &'static str,
    render: fn(&LabelTemplate, &[Label]) -> Result<T, crate::documents::DocError>,
) -> AppResult<T> {
    let base = st.config.base_url.clone();
    let now = st.now();
    st.db
        .run(move |c| {
            let labels = labels_of(c, &actor, &base, std::slice::from_ref(&no))?;
            let out = render(&tpl, &labels).map_err(doc_error)?;
            intake::record_labels_printed(c, now, &actor, &[no], &tpl.name, format)?;
            Ok(out)
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/labels.zpl", params(TemplateQuery),
    responses((status = 200, content_type = "text/plain"), (status = 404)))]
pub async fn sample_labels_zpl(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    q: web::Query<TemplateQuery>,
) -> AppResult<HttpResponse> {
    let tpl = find_template(&st, q.template.as_deref())?;
    let no = path.into_inner();
    let zpl = print(&st, user.actor, no, tpl, "zpl", labels::render_zpl).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(zpl))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SvgQuery {
    pub template: Option<String>,
    /// inspection (default) | backup
    pub portion: Option<String>,
    /// label (default) | seal
    pub part: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/label.svg", params(SvgQuery),
    responses((status = 200, content_type = "image/svg+xml"), (status = 404), (status = 422)))]
pub async fn sample_label_svg(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    q: web::Query<SvgQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let tpl = find_template(&st, q.template.as_deref())?;
    let portion = match q.portion.as_deref().unwrap_or("inspection") {
        "inspection" => Portion::Inspection,
        "backup" => Portion::Backup,
        _ => {
            return Err(AppError::field(
                "portion",
                Msg::new("应为 inspection 或 backup", "must be inspection or backup"),
            ))
        }
    };
    let seal = match q.part.as_deref().unwrap_or("label") {
        "label" => false,
        "seal" => true,
        _ => {
            return Err(AppError::field(
                "part",
                Msg::new("应为 label 或 seal", "must be label or seal"),
            ))
        }
    };
    let no = path.into_inner();
    let base = st.config.base_url.clone();
    let actor = user.actor;
    let svg = st
        .db
        .run(move |c| {
            let labels = labels_of(c, &actor, &base, &[no])?;
            let label = labels
                .iter()
                .find(|l| l.portion == portion && matches!(l.part, labels::LabelPart::Seal) == seal)
                .ok_or_else(|| {
                    AppError::NotFound(Msg::new(
                        "该样品没有复检备份样品",
                        "This sample has no backup portion",
                    ))
                })?;
            labels::render_svg(&tpl, label).map_err(doc_error)
        })
        .await?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// The on-page previews of a sample's labels in `tpl`, with captions.
pub fn previews(
    st: &AppState,
    tpl: Option<&LabelTemplate>,
    sheet: &SampleSheet,
    lang: Lang,
) -> AppResult<Vec<(String, String)>> {
    let Some(tpl) = tpl else {
        return Ok(Vec::new());
    };
    labels::labels_for(&label_sample(sheet), &st.config.base_url)
        .iter()
        .map(|l| {
            let caption = match (l.portion, matches!(l.part, labels::LabelPart::Seal), lang) {
                (Portion::Inspection, false, Lang::Zh) => "检验样品标签",
                (Portion::Inspection, true, Lang::Zh) => "检验样品封条",
                (Portion::Backup, false, Lang::Zh) => "复检备份样品标签",
                (Portion::Backup, true, Lang::Zh) => "复检备份样品封条",
                (Portion::Inspection, false, Lang::En) => "Inspection portion label",
                (Portion::Inspection, true, Lang::En) => "Inspection portion seal",
                (Portion::Backup, false, Lang::En) => "Backup portion label",
                (Portion::Backup, true, Lang::En) => "Backup portion seal",
            };
            Ok((
                format!("{caption} · {}", tpl.name),
                labels::render_svg(tpl, l).map_err(doc_error)?,
            ))
        })
        .collect()
}

/// `POST /api/v1/labels.pdf`: many samples, one PDF, labels in the order asked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    pub sample_nos: Vec<String>,
    pub template: Option<String>,
}

fn check_batch(nos: &[String]) -> AppResult<()> {
    let mut f = FieldErrors::new();
    if nos.is_empty() {
        f.insert(
            "sample_nos".into(),
            Msg::new("请至少选择一个样品", "needs at least one sample"),
        );
    } else if nos.len() > MAX_BATCH_SAMPLES {
        f.insert(
            "sample_nos".into(),
            Msg::new(
                format!("一次最多{MAX_BATCH_SAMPLES}个样品"),
                format!("at most {MAX_BATCH_SAMPLES} samples at once"),
            ),
        );
    }
    if f.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(f))
    }
}

async fn batch(
    st: &web::Data<AppState>,
    actor: Actor,
    nos: Vec<String>,
    template: Option<String>,
) -> AppResult<HttpResponse> {
    check_batch(&nos)?;
    let tpl = find_template(st, template.as_deref())?;
    let base = st.config.base_url.clone();
    let now = st.now();
    let bytes = st
        .db
        .run(move |c| {
            let labels = labels_of(c, &actor, &base, &nos)?;
            let pdf = labels::render_pdf(&tpl, &labels).map_err(doc_error)?;
            intake::record_labels_printed(c, now, &actor, &nos, &tpl.name, "pdf")?;
            Ok(pdf)
        })
        .await?;
    Ok(pdf_response(bytes, "labels.pdf"))
}

#[utoipa::path(post, path = "/api/v1/labels.pdf", request_body = BatchInput,
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 422)))]
pub async fn batch_pdf(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<BatchInput>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    batch(&st, user.actor, b.sample_nos, b.template).await
}

/// The sample list's "print the selected labels" button.
async fn batch_pdf_form(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let nos = form_all(&form, "sample_nos");
    let template = form_get(&form, "template").map(str::to_string);
    batch(&ctx.state, actor, nos, template).await
}

/// The sampling form (抽样单) of one sample, filled from the records.
pub fn sampling_form_of(sheet: &SampleSheet) -> SamplingForm {
    let s = &sheet.sample;
    let p = &sheet.plan;
    let e = &sheet.entity;
    let zh = |d: Option<&str>| d.map(str::to_string);
    SamplingForm {
        sample_no: s.sample_no.clone(),
        plan_code: p.code.clone(),
        plan_name: p.name.clone(),
        plan_kind: p
            .kind
            .parse::<PlanKind>()
            .map(|k| crate::web::intake_pages::plan_kind_label(Lang::Zh, k))
            .unwrap_or_default(),
        plan_level: p
            .level
            .parse::<PlanLevel>()
            .map(|l| l.label_zh().to_string())
            .unwrap_or_default(),
        domain: s
            .domain
            .parse::<Domain>()
            .map(|d| crate::web::intake_pages::domain_label(Lang::Zh, d))
            .unwrap_or_default(),
        category: format!("{} {}", s.category_code, sheet.category_name),
        stage: s
            .stage
            .parse::<Stage>()
            .map(|x| x.label_zh().to_string())
            .unwrap_or_default(),
        entity_name: e.name.clone(),
        entity_uscc: e.uscc.clone(),
        entity_licence_no: e.license_no.clone(),
        entity_kind: e
            .kind
            .parse::<EntityKind>()
            .map(|k| k.label_zh().to_string())
            .unwrap_or_default(),
        entity_address: e.address.clone(),
        entity_contact: e.contact.clone(),
        product_name: s.product_name.clone(),
        brand: s.brand.clone(),
        specification: s.specification.clone(),
        batch_no: s.batch_no.clone(),
        production_date: s.production_date.map(|d| d.to_string()),
        shelf_life: zh(s.shelf_life.as_deref()),
        manufacturer: s.manufacturer.clone(),
        manufacturer_address: s.manufacturer_address.clone(),
        sampled_at: s.sampled_at.format("%Y-%m-%d %H:%M").to_string(),
        sampling_place: s.place.clone().unwrap_or_else(|| e.address.clone()),
        samplers: sheet.sampler_names.clone(),
        inspection_quantity: format!("{} {}", s.quantity, s.unit),
        backup_quantity: s
            .backup_quantity
            .as_ref()
            .map(|q| format!("{q} {}", s.unit)),
        storage: s
            .storage
            .parse::<Storage>()
            .map(|x| x.label_zh().to_string())
            .unwrap_or_default(),
        price: s.price.as_ref().map(|p| format!("{p} 元")),
        notes: s.notes.clone(),
        sampling_unit: crate::domain::region::bureau_name(&sheet.plan_region_name),
        kind: match s.domain.parse::<Domain>() {
            Ok(Domain::Drug) => FormKind::Drug,
            Ok(Domain::Cosmetic) => FormKind::Cosmetic,
            _ => FormKind::Food,
        },
        base_quantity: s.base_quantity.clone(),
        standard: s.standard.clone(),
        manufacturer_licence_no: s.manufacturer_licence_no.clone(),
        packaging: words::<Packaging>(s.packaging.as_deref()),
        sample_form: words::<PhysicalForm>(s.sample_form.as_deref()),
        sample_attribute: s.sample_attribute.clone(),
        sample_source: words::<SampleSource>(s.sample_source.as_deref()),
        sampling_method: words::<SamplingMethod>(s.sampling_method.as_deref()),
        unit_price: s.unit_price.as_ref().map(|p| format!("{p} 元/{}", s.unit)),
        area_type: words::<AreaType>(s.area_type.as_deref()),
        entity_legal_rep: e.legal_rep.clone(),
        entity_annual_sales: e.annual_sales.clone(),
        lab_name: Some(sheet.lab_name.clone()).filter(|n| !n.trim().is_empty()),
        lab_address: Some(sheet.lab_address.clone()).filter(|a| !a.trim().is_empty()),
        send_by: s.delivery_due_on.map(|d| d.to_string()),
        approval_no: s.approval_no.clone(),
        expiry_date: s.expiry_date.map(|d| d.to_string()),
        mah: s.mah.clone(),
        dosage_form: s.dosage_form.clone(),
        copies: Vec::new(),
    }
}

/// The Chinese words of a stored vocabulary key (the form is a Chinese document); an
/// unknown key, which the use cases never store, prints as written.
fn words<T: Vocabulary>(key: Option<&str>) -> Option<String> {
    key.map(|k| match parse_vocab::<T>(k) {
        Ok(v) => v.label_zh().to_string(),
        Err(_) => k.to_string(),
    })
}

/// The copies of the sampling form (一式四联), each a page that states which it is.
pub const FORM_COPIES: [&str; 4] = [
    "第一联 抽样单位留存",
    "第二联 被抽样单位留存",
    "第三联 随样品送检验机构",
    "第四联 组织抽检部门留存",
];

/// `?copies=4` prints the form 一式四联, each copy a page stating which it is; 1 (the
/// default) prints one page without a copy line.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormCopies {
    pub copies: Option<u8>,
}

#[utoipa::path(get, path = "/api/v1/samples/{sample_no}/sampling-form.pdf", params(FormCopies),
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 422)))]
pub async fn sampling_form_pdf(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    q: web::Query<FormCopies>,
) -> AppResult<HttpResponse> {
    let copies = match q.copies {
        None | Some(1) => Vec::new(),
        Some(4) => FORM_COPIES.iter().map(|c| c.to_string()).collect(),
        Some(_) => {
            let mut f = FieldErrors::new();
            f.insert(
                "copies".into(),
                Msg::new("联数只能是 1 或 4", "copies must be 1 or 4"),
            );
            return Err(AppError::invalid(f));
        }
    };
    let no = path.into_inner();
    let base = st.config.base_url.clone();
    let actor = user.actor;
    let n = no.clone();
    let bytes = st
        .db
        .run(move |c| {
            let sheet = intake::sample_sheet(c, &actor, &n)?;
            let mut form = sampling_form_of(&sheet);
            form.copies = copies;
            render_sampling_form(&form, &format!("{base}/s/{}", sheet.sample.sample_no))
                .map_err(doc_error)
        })
        .await?;
    Ok(pdf_response(bytes, &format!("sampling-form-{no}.pdf")))
}
