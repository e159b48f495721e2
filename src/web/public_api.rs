//! The public participation API (API.md: Public): nominations without a login, rate
//! limited per client address, supported once per device; and the supervisors' triage.

use actix_web::{web, HttpRequest, HttpResponse};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::documents::table::{Cell, Table};
use crate::domain::nomination::{tracking_code, CODE_LEN};
use crate::error::{AppError, AppResult, Msg};
use crate::web::auth::ApiUser;
use crate::web::disposal_api::FormatQuery;
use crate::web::export::{download, Format};
use crate::web::AppState;
use crate::workflow::nominations::{
    self, Decision, DecisionInput, FigureFilter, Nomination, NominationFigure, NominationFilter,
    NominationInput, PublicNomination,
};

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
        .route("/nominations/{id}/accept", web::post().to(accept))
        .route("/nominations/{id}/decline", web::post().to(decline))
        .route("/nominations/{id}/merge", web::post().to(merge))
        .route("/nominations/{id}/samples", web::post().to(link_sample))
        .route("/stats/nominations", web::get().to(figures));
}

/// The cookie that identifies a browser for supports (a random value, no account).
pub const DEVICE_COOKIE: &str = "lims_device";
/// The header an app sends instead of the cookie.
pub const DEVICE_HEADER: &str = "X-Device-Id";

/// Refuses the request with 429 when this client address has used its minute.
pub async fn check_nominate_rate(st: &AppState, req: &HttpRequest) -> AppResult<()> {
    st.nominate_limiter
        .check(
            req,
            st.clock.now_naive(),
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

/// A fresh device identifier for the cookie: 24 random bytes, hex.
pub fn new_device_id() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `id` can be a device identifier: 16 to 128 letters, digits, `-` or `_`.
pub fn valid_device_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored for a device: a keyed hash, so the identifier itself is never kept.
pub fn device_hash(st: &AppState, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(&st.config.secret);
    h.update(b"\0nomination-device\0");
    h.update(id.as_bytes());
    hex::encode(h.finalize())
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
    let now = st.clock.now_naive();
    let input = body.into_inner();
    let code = new_code();
    let n = st
        .db
        .run(move |c| nominations::submit(c, now, &code, &input))
        .await?;
    Ok(HttpResponse::Created().json(n))
}

/// The nominations residents can still support.
#[utoipa::path(get, path = "/api/v1/public/nominations",
    responses((status = 200, body = Vec<PublicNomination>)))]
pub async fn open_list(st: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = st.db.run(nominations::open_for_support).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A nomination by its tracking code: status and, once published, its results.
#[utoipa::path(get, path = "/api/v1/public/nominations/{code}",
    responses((status = 200, body = PublicNomination), (status = 404)))]
pub async fn track(st: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let n = st.db.run(move |c| nominations::track(c, &code)).await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Supports a nomination once per device (the `X-Device-Id` header or the device cookie).
#[utoipa::path(post, path = "/api/v1/public/nominations/{code}/support",
    responses((status = 200, body = PublicNomination), (status = 404), (status = 409),
        (status = 422), (status = 429)))]
pub async fn support(
    st: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    check_nominate_rate(&st, &req).await?;
    let device = req
        .headers()
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.cookie(DEVICE_COOKIE).map(|c| c.value().to_string()))
        .filter(|d| valid_device_id(d))
        .ok_or_else(|| {
            AppError::field(
                "device",
                Msg::new(
                    "缺少设备标识（X-Device-Id，16至128位字母数字）",
                    "an X-Device-Id of 16 to 128 letters or digits is needed",
                ),
            )
        })?;
    let hash = device_hash(&st, &device);
    let now = st.clock.now_naive();
    let code = path.into_inner();
    let (n, _) = st
        .db
        .run(move |c| nominations::support(c, now, &code, &hash))
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Nominations for triage, with the residents' contacts (supervisors).
#[utoipa::path(get, path = "/api/v1/nominations", params(NominationFilter),
    responses((status = 200, body = Vec<Nomination>), (status = 403), (status = 422)))]
pub async fn list(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<NominationFilter>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let f = q.into_inner();
    let list = st.db.run(move |c| nominations::list(c, &actor, &f)).await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn decide(
    st: web::Data<AppState>,
    user: ApiUser,
    id: i64,
    decision: Decision,
    input: DecisionInput,
) -> AppResult<HttpResponse> {
    let now = st.clock.now_naive();
    let actor = user.actor;
    let n = st
        .db
        .run(move |c| nominations::decide(c, now, &actor, id, decision, &input))
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
    decide(
        st,
        user,
        path.into_inner(),
        Decision::Accept,
        body.into_inner(),
    )
    .await
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
    decide(
        st,
        user,
        path.into_inner(),
        Decision::Decline,
        body.into_inner(),
    )
    .await
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
    decide(
        st,
        user,
        path.into_inner(),
        Decision::Merge,
        body.into_inner(),
    )
    .await
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
    decide(
        st,
        user,
        path.into_inner(),
        Decision::LinkSample,
        body.into_inner(),
    )
    .await
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
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = q.into_inner();
    let format = Format::parse(format.format.as_deref())?;
    let rows = st
        .db
        .run(move |c| nominations::figures(c, now, &actor, &f))
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
