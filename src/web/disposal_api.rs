//! The JSON API of disposal (API.md: Disposal): the case list, one case with its steps
//! and deadlines, and recording a step.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::documents::table::{Cell, Table};
use crate::error::{AppError, AppResult, Msg};
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::export::{download, Format};
use crate::web::AppState;
use crate::workflow::disposal::{
    self, Attachment, AttachmentUpload, Disposal, DisposalFilter, DisposalStats, EventInput,
    ExtensionInput, PublicInfoInput, RateRow, Reminder, ReopenInput, StatsFilter,
};
use crate::workflow::{case_reports, Ctx};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/disposals", web::get().to(list))
        .route("/disposals/reminders", web::get().to(reminders))
        .route("/disposals/{id}", web::get().to(get))
        .route("/disposals/{id}/events", web::post().to(record_event))
        .route(
            "/disposals/{id}/extension",
            web::post().to(request_extension),
        )
        .route(
            "/disposals/{id}/extension/approve",
            web::post().to(approve_extension),
        )
        .route("/disposals/{id}/reopen", web::post().to(reopen))
        .route("/disposals/{id}/publish", web::post().to(publish))
        .route("/disposals/{id}/unpublish", web::post().to(unpublish))
        .route(
            "/disposals/{id}/events/{event_id}/attachments",
            web::post().to(add_attachment),
        )
        .route(
            "/disposals/{id}/attachments/{attachment_id}",
            web::get().to(get_attachment),
        )
        .route("/stats/disposal", web::get().to(stats));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default), `csv` (UTF-8 with a byte-order mark so spreadsheet programs
    /// read the Chinese) or `xlsx`. CSV and XLSX hold every matching row.
    pub format: Option<String>,
}

/// Cases the supervisor may see, most urgent first; `?format=csv|xlsx` exports them all.
#[utoipa::path(get, path = "/api/v1/disposals", params(DisposalFilter, Paging, FormatQuery),
    responses((status = 200, body = Page<Disposal>), (status = 403), (status = 422)))]
pub async fn list(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<DisposalFilter>,
    paging: web::Query<Paging>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let actor = user.actor;
    let f = filter.into_inner();
    let format = Format::parse(format.format.as_deref())?;
    if format != Format::Json {
        let cases = st
            .call(actor, move |cx| {
                let mut all = Vec::new();
                let mut page = 1;
                loop {
                    let (items, total) = disposal::list_cases(cx, &f, page, 500)?;
                    all.extend(items);
                    if page * 500 >= total {
                        return Ok(all);
                    }
                    page += 1;
                }
            })
            .await?;
        return download(&[cases_table(&cases)], format, "disposals");
    }
    let (items, total) = st
        .call(actor, move |cx| {
            disposal::list_cases(cx, &f, page, per_page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// The cases as a table, one row per case.
fn cases_table(cases: &[Disposal]) -> Table {
    let mut t = Table::new(
        "disposals",
        &[
            "id",
            "sample_no",
            "report_no",
            "region_code",
            "product_name",
            "entity_name",
            "kind",
            "status",
            "outcome",
            "opened_at",
            "closed_at",
            "due_on",
            "overdue",
            "missing_steps",
        ],
    );
    for c in cases {
        t.push(vec![
            Cell::from(c.id),
            c.sample_no.clone().into(),
            c.report_no.clone().into(),
            c.region_code.clone().into(),
            c.product_name.clone().into(),
            c.entity_name.clone().into(),
            c.kind.clone().into(),
            c.status.clone().into(),
            c.outcome.clone().unwrap_or_default().into(),
            c.opened_at.to_rfc3339().into(),
            c.closed_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default()
                .into(),
            c.due_on.map(|d| d.to_string()).unwrap_or_default().into(),
            c.overdue.to_string().into(),
            c.missing.join(" ").into(),
        ]);
    }
    t
}

/// The rates as tables: by region, by plan level, the lagging cases, the definitions.
pub fn stats_tables(s: &DisposalStats) -> Vec<Table> {
    let header = [
        "key",
        "name",
        "non_compliant",
        "started",
        "closed",
        "closed_on_time",
        "due_or_closed",
        "disposal_rate",
        "completion_rate",
        "on_time_rate",
        "open",
        "overdue",
        "overturned",
    ];
    let row = |r: &RateRow| {
        vec![
            r.key.clone().into(),
            r.name.clone().into(),
            r.non_compliant.into(),
            r.started.into(),
            r.closed.into(),
            r.closed_on_time.into(),
            r.due_or_closed.into(),
            r.disposal_rate.into(),
            r.completion_rate.into(),
            r.on_time_rate.into(),
            r.open.into(),
            r.overdue.into(),
            r.overturned.into(),
        ]
    };
    let total = RateRow {
        key: "all".into(),
        name: "合计".into(),
        non_compliant: s.non_compliant,
        started: s.by_region.iter().map(|r| r.started).sum(),
        closed: s.closed,
        closed_on_time: s.closed_on_time,
        due_or_closed: s.by_region.iter().map(|r| r.due_or_closed).sum(),
        disposal_rate: s.disposal_rate,
        completion_rate: s.completion_rate,
        on_time_rate: s.on_time_rate,
        open: s.open,
        overdue: s.overdue,
        overturned: s.overturned,
    };
    let mut regions = Table::new("by_region", &header);
    for r in s.by_region.iter().chain([&total]) {
        regions.push(row(r));
    }
    let mut levels = Table::new("by_level", &header);
    for r in &s.by_level {
        levels.push(row(r));
    }
    let mut lagging = Table::new(
        "lagging_cases",
        &[
            "rate",
            "case_id",
            "sample_no",
            "report_no",
            "region_code",
            "due_on",
        ],
    );
    for (rate, list) in [
        ("disposal_rate", &s.not_started),
        ("completion_rate", &s.not_completed),
        ("on_time_rate", &s.not_on_time),
    ] {
        for c in list {
            lagging.push(vec![
                rate.into(),
                Cell::from(c.id),
                c.sample_no.clone().into(),
                c.report_no.clone().into(),
                c.region_code.clone().into(),
                c.due_on.map(|d| d.to_string()).into(),
            ]);
        }
    }
    let mut defs = Table::new("definitions", &["rate", "zh", "en"]);
    for key in ["disposal_rate", "completion_rate", "on_time_rate"] {
        let d = &s.definitions[key];
        defs.push(vec![
            key.into(),
            d["zh"].as_str().unwrap_or_default().into(),
            d["en"].as_str().unwrap_or_default().into(),
        ]);
    }
    vec![regions, levels, lagging, defs]
}

#[utoipa::path(get, path = "/api/v1/disposals/{id}",
    responses((status = 200, body = Disposal), (status = 404)))]
pub async fn get(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let d = st.call(actor, move |cx| disposal::get_case(cx, id)).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Records a step (supervisor): 422 for a bad time or a request after its window (the
/// deadline named), 409 for a step out of order or closing with a required step missing.
#[utoipa::path(post, path = "/api/v1/disposals/{id}/events", request_body = EventInput,
    responses((status = 200, body = Disposal), (status = 404), (status = 409), (status = 422)))]
pub async fn record_event(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EventInput>,
) -> AppResult<HttpResponse> {
    let issuer = st.issuer();
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st
        .call(user.actor, move |cx| {
            case_reports::record_event(cx, &issuer, id, &input)
        })
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Publishes the disposal information (rules.md §e.2) of a case closed as completed whose
/// result is published; it then shows with the result on the public pages.
#[utoipa::path(post, path = "/api/v1/disposals/{id}/publish", request_body = PublicInfoInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn publish(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<PublicInfoInput>,
) -> AppResult<HttpResponse> {
    case_step(st, user, path, body, disposal::publish_info).await
}

/// One step on case `id` with a JSON body, answering the case as it then stands.
async fn case_step<I: Send + 'static>(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<I>,
    step: fn(&mut Ctx, i64, &I) -> AppResult<Disposal>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.into_inner();
    let d = st.call(user.actor, move |cx| step(cx, id, &input)).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// Withdraws the published disposal information, with a reason.
#[utoipa::path(post, path = "/api/v1/disposals/{id}/unpublish", request_body = ReopenInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn unpublish(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ReopenInput>,
) -> AppResult<HttpResponse> {
    case_step(st, user, path, body, disposal::unpublish_info).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AttachmentQuery {
    /// The file's name as the user knows it (the last path segment is kept).
    pub file_name: Option<String>,
}

/// Reads a request body of at most [`disposal::MAX_ATTACHMENT_BYTES`], refusing a larger
/// one with 422 as soon as it is known to be larger (from Content-Length or while reading).
pub async fn read_limited(req: &HttpRequest, mut payload: web::Payload) -> AppResult<Vec<u8>> {
    use futures_util::StreamExt;
    let max = disposal::MAX_ATTACHMENT_BYTES;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(disposal::attachment_too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0).min(max));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            AppError::BadRequest(Msg::new("上传中断", "The upload was interrupted"))
        })?;
        if out.len() + chunk.len() > max {
            return Err(disposal::attachment_too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Files evidence with a recorded step: the request body is the file (PDF, PNG or JPEG,
/// at most 10 MB), its Content-Type the declared type, `?file_name=` its name.
#[utoipa::path(post, path = "/api/v1/disposals/{id}/events/{event_id}/attachments",
    params(AttachmentQuery), request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = Attachment), (status = 404), (status = 422), (status = 429)))]
pub async fn add_attachment(
    st: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
    q: web::Query<AttachmentQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let (id, event_id) = path.into_inner();
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = read_limited(&req, payload).await?;
    let name = q.into_inner().file_name.unwrap_or_default();
    let quotas = st.config.quotas;
    let a = st
        .call(user.actor, move |cx| {
            let upload = AttachmentUpload {
                case_id: id,
                event_id,
                file_name: &name,
                declared_type: declared.as_deref(),
                bytes: &bytes,
            };
            disposal::add_attachment(cx, &upload, &quotas)
        })
        .await?;
    Ok(HttpResponse::Created().json(a))
}

/// The bytes of a filed file, exactly as received.
#[utoipa::path(get, path = "/api/v1/disposals/{id}/attachments/{attachment_id}",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
pub async fn get_attachment(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let (id, attachment_id) = path.into_inner();
    let (a, bytes) = st
        .db
        .run(move |c| disposal::attachment(c, &actor, id, attachment_id))
        .await?;
    Ok(attachment_response(&a, bytes))
}

/// A filed file as a download, named as uploaded (RFC 6266 with a UTF-8 name).
pub fn attachment_response(a: &Attachment, bytes: Vec<u8>) -> HttpResponse {
    let ascii: String = a
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .content_type(a.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                url::form_urlencoded::byte_serialize(a.file_name.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            ),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

#[utoipa::path(post, path = "/api/v1/disposals/{id}/extension", request_body = ExtensionInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn request_extension(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ExtensionInput>,
) -> AppResult<HttpResponse> {
    case_step(st, user, path, body, disposal::request_extension).await
}

/// A second supervisor approves the requested date (403 for the one who asked).
#[utoipa::path(post, path = "/api/v1/disposals/{id}/extension/approve", request_body = ExtensionInput,
    responses((status = 200, body = Disposal), (status = 403), (status = 409), (status = 422)))]
pub async fn approve_extension(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ExtensionInput>,
) -> AppResult<HttpResponse> {
    case_step(st, user, path, body, disposal::approve_extension).await
}

#[utoipa::path(post, path = "/api/v1/disposals/{id}/reopen", request_body = ReopenInput,
    responses((status = 200, body = Disposal), (status = 409), (status = 422)))]
pub async fn reopen(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ReopenInput>,
) -> AppResult<HttpResponse> {
    case_step(st, user, path, body, disposal::reopen).await
}

/// The three disposal rates of SPEC §6 with their definitions and the cases below 100 %.
#[utoipa::path(get, path = "/api/v1/stats/disposal", params(StatsFilter, FormatQuery),
    responses((status = 200, body = DisposalStats), (status = 403), (status = 422)))]
pub async fn stats(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let f = filter.into_inner();
    let format = Format::parse(format.format.as_deref())?;
    let s = st.call(actor, move |cx| disposal::stats(cx, &f)).await?;
    if format != Format::Json {
        return download(&stats_tables(&s), format, "disposal-rates");
    }
    Ok(HttpResponse::Ok().json(s))
}

/// The morning reminder list: duties overdue or due within 5 working days, most urgent
/// first (for a mail or SMS gateway to poll).
#[utoipa::path(get, path = "/api/v1/disposals/reminders",
    responses((status = 200, body = Vec<Reminder>), (status = 403)))]
pub async fn reminders(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let r = st.call(actor, disposal::reminders).await?;
    Ok(HttpResponse::Ok().json(r))
}
