//! The public participation API (API.md: Public): nominations without a login, rate
//! limited per client address, supported once per device and a few times a day per
//! address; and the supervisors' triage (paged, filtered, spam marked in bulk).
//! A device is known only by the first-party cookie that our pages set (a random value
//! signed under the server secret); no client-chosen identifier counts.

use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::documents::table::{Cell, Table};
use crate::domain::nomination::{tracking_code, CODE_LEN};
use crate::error::{AppError, AppResult, Msg};
use crate::web::api::{Page, Paging};
use crate::web::auth::ApiUser;
use crate::web::disposal_api::FormatQuery;
use crate::web::export::{download, Format};
use crate::web::AppState;
use crate::workflow::nominations::{
    self, Decision, DecisionInput, FigureFilter, Nomination, NominationFigure, NominationFilter,
    NominationInput, SpamInput,
};
use crate::workflow::public::{self, PublicNomination};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/public/nominations", web::post().to(submit))
        .route("/public/nominations", web::get().to(open_list))
        .route("/public/nominations/{code}", web::get().to(track))
        .route(
            "/public/nominations/{code}/support",
            web::post().to(support),
        )
        .route("/nominations", web::get().to(list))
        .route("/nominations/spam", web::post().to(mark_spam))
        .route("/nominations/{id}/accept", web::post().to(accept))
        .route("/nominations/{id}/decline", web::post().to(decline))
        .route("/nominations/{id}/merge", web::post().to(merge))
        .route("/nominations/{id}/samples", web::post().to(link_sample))
        .route("/stats/nominations", web::get().to(figures));
}

/// The cookie that identifies a browser for supports: a random value and its signature,
/// set by the public nomination pages (no account).
pub const DEVICE_COOKIE: &str = "lims_device";

/// Refuses the request with 429 when this client address has used its minute.
pub async fn check_nominate_rate(st: &AppState, req: &HttpRequest) -> AppResult<()> {
    st.nominate_limiter
        .check(
            req,
            st.now(),
            Msg::new(
                "提交过于频繁，请一分钟后再试",
                "Too many submissions; try again in a minute",
            ),
        )
        .await
}

/// A fresh tracking code.
pub fn new_code() -> String {
    let mut bytes = [0u8; CODE_LEN];
    rand::rng().fill_bytes(&mut bytes);
    tracking_code(&bytes)
}

fn device_mac(st: &AppState, id: &str) -> String {
    // HMAC takes a key of any length; the error case cannot happen.
    match Hmac::<Sha256>::new_from_slice(&st.config.secret) {
        Ok(mut mac) => {
            mac.update(b"nomination-device|");
            mac.update(id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// A fresh device cookie value: 24 random bytes (hex) and their signature, so that only
/// an identifier this server issued counts as a device.
pub fn new_device_cookie(st: &AppState) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    let mac = device_mac(st, &id);
    format!("{id}.{mac}")
}

/// The device identifier of a genuine device cookie value, or `None` for a value this
/// server did not sign.
pub fn device_of(st: &AppState, value: &str) -> Option<String> {
    let (id, mac) = value.split_once('.')?;
    if id.len() != 48 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Checked by the MAC itself, in constant time.
    let sig = hex::decode(mac).ok()?;
    let mut check = Hmac::<Sha256>::new_from_slice(&st.config.secret).ok()?;
    check.update(b"nomination-device|");
    check.update(id.as_bytes());
    check.verify_slice(&sig).ok()?;
    Some(id.to_string())
}

/// The device of a request: its genuine device cookie, if any.
pub fn device_of_request(st: &AppState, req: &HttpRequest) -> Option<String> {
    req.cookie(DEVICE_COOKIE)
        .and_then(|c| device_of(st, c.value()))
}

/// What is stored for a device: a keyed hash, so the identifier itself is never kept.
pub fn device_hash(st: &AppState, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(&st.config.secret);
    h.update(b"\0nomination-device\0");
    h.update(id.as_bytes());
    hex::encode(h.finalize())
}

/// What is stored for a client address (per-address support counts): a keyed hash.
pub fn client_hash(st: &AppState, req: &HttpRequest) -> String {
    let ip = crate::web::client::client_ip(req);
    let mut h = Sha256::new();
    h.update(&st.config.secret);
    h.update(b"\0nomination-client\0");
    h.update(ip.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The refusal of a support without a genuine device cookie.
pub fn no_device() -> AppError {
    AppError::field(
        "device",
        Msg::new(
            "请先打开建议页面再点支持（需要启用 Cookie）",
            "open the nomination's page first, then support it (cookies must be enabled)",
        ),
    )
}

/// A resident's nomination: no login, at most `LIMS_NOMINATE_PER_MINUTE` a minute from
/// one address (429 beyond), each field size-limited.
#[utoipa::path(post, path = "/api/v1/public/nominations", request_body = NominationInput,
    responses((status = 201, body = PublicNomination), (status = 422), (status = 429)))]
pub async fn submit(
    st: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<NominationInput>,
) -> AppResult<HttpResponse> {
    check_nominate_rate(&st, &req).await?;
    let now = st.now();
    let input = body.into_inner();
    let code = new_code();
    let n = st
        .db
        .run(move |c| public::submit(c, now, &code, &input))
        .await?;
    Ok(HttpResponse::Created().json(n))
}

/// The nominations residents can still support.
#[utoipa::path(get, path = "/api/v1/public/nominations",
    responses((status = 200, body = Vec<PublicNomination>)))]
pub async fn open_list(st: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = st.db.run(public::open_for_support).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A nomination by its tracking code: status and, once published, its results.
#[utoipa::path(get, path = "/api/v1/public/nominations/{code}",
    responses((status = 200, body = PublicNomination), (status = 404)))]
pub async fn track(st: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let n = st.db.run(move |c| public::track(c, &code)).await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Supports a nomination once per device: the device cookie that the public pages set
/// (422 without a genuine one); at most a few supports a day per client address and
/// nomination (429 beyond).
#[utoipa::path(post, path = "/api/v1/public/nominations/{code}/support",
    responses((status = 200, body = PublicNomination), (status = 404), (status = 409),
        (status = 422), (status = 429)))]
pub async fn support(
    st: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    check_nominate_rate(&st, &req).await?;
    let device = device_of_request(&st, &req).ok_or_else(no_device)?;
    let hash = device_hash(&st, &device);
    let client = client_hash(&st, &req);
    let now = st.now();
    let code = path.into_inner();
    let (n, _) = st
        .db
        .run(move |c| public::support(c, now, &code, &hash, &client))
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Nominations for triage, a page at a time, newest first, filtered by `status`,
/// `region` and `spam`; residents' contacts for supervisors only.
#[utoipa::path(get, path = "/api/v1/nominations", params(NominationFilter, Paging),
    responses((status = 200, body = Page<Nomination>), (status = 403), (status = 422)))]
pub async fn list(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<NominationFilter>,
    paging: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = paging.checked()?;
    let actor = user.actor;
    let f = q.into_inner();
    let (items, total) = st
        .db
        .run(move |c| nominations::list(c, &actor, &f, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

/// Marks nominations as spam in one go (`{ids: [..]}`, 1 to 500, supervisors): each is
/// declined with a fixed public note and audited; all or nothing.
#[utoipa::path(post, path = "/api/v1/nominations/spam", request_body = SpamInput,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409),
        (status = 422)))]
pub async fn mark_spam(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<SpamInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let input = body.into_inner();
    let marked = st
        .call(actor, move |cx| nominations::mark_spam(cx, &input))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "marked": marked })))
}

async fn decide(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionInput>,
    decision: Decision,
) -> AppResult<HttpResponse> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let n = st
        .call(user.actor, move |cx| {
            nominations::decide(cx, id, decision, &input)
        })
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Accepts a nomination into a public_request plan (`{plan_id, note?}`).
#[utoipa::path(post, path = "/api/v1/nominations/{id}/accept", request_body = DecisionInput,
    responses((status = 200, body = Nomination), (status = 409), (status = 422)))]
pub async fn accept(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> AppResult<HttpResponse> {
    decide(st, user, path, body, Decision::Accept).await
}

/// Declines a nomination with a reason shown publicly (`{note}`).
#[utoipa::path(post, path = "/api/v1/nominations/{id}/decline", request_body = DecisionInput,
    responses((status = 200, body = Nomination), (status = 409), (status = 422)))]
pub async fn decline(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> AppResult<HttpResponse> {
    decide(st, user, path, body, Decision::Decline).await
}

/// Merges a duplicate into the nomination it repeats (`{into_id}`); supports carry over.
#[utoipa::path(post, path = "/api/v1/nominations/{id}/merge", request_body = DecisionInput,
    responses((status = 200, body = Nomination), (status = 409), (status = 422)))]
pub async fn merge(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> AppResult<HttpResponse> {
    decide(st, user, path, body, Decision::Merge).await
}

/// Links a sample taken for an accepted nomination (`{sample_no}`).
#[utoipa::path(post, path = "/api/v1/nominations/{id}/samples", request_body = DecisionInput,
    responses((status = 200, body = Nomination), (status = 409), (status = 422)))]
pub async fn link_sample(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> AppResult<HttpResponse> {
    decide(st, user, path, body, Decision::LinkSample).await
}

/// 你点我检 by month and region: received, accepted, sampled, declined, with published
/// results (supervisors); `?format=csv|xlsx` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/stats/nominations", params(FigureFilter, FormatQuery),
    responses((status = 200, body = Vec<NominationFigure>), (status = 403), (status = 422)))]
pub async fn figures(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<FigureFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let f = q.into_inner();
    let format = Format::parse(format.format.as_deref())?;
    let rows = st
        .call(actor, move |cx| nominations::figures(cx, &f))
        .await?;
    if format != Format::Json {
        let mut t = Table::new(
            "nominations",
            &[
                "month",
                "region_code",
                "received",
                "accepted",
                "sampled",
                "declined",
                "published",
            ],
        );
        for r in &rows {
            t.push(vec![
                r.month.clone().into(),
                r.region_code.clone().into(),
                Cell::from(r.received),
                Cell::from(r.accepted),
                Cell::from(r.sampled),
                Cell::from(r.declined),
                Cell::from(r.published),
            ]);
        }
        return download(&[t], format, "nominations");
    }
    Ok(HttpResponse::Ok().json(rows))
}
