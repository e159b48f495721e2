//! The JSON API of API.md (Conventions, Auth and users, Reference data, Rules).
//! Handlers are thin: read the input, call one use case, shape the output.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::web::auth::{user_agent, ApiUser};
use crate::web::AppState;
use crate::workflow::accounts::{self, NewUser, PasswordChange, SessionInfo, User, UserPatch};
use crate::workflow::audit;
use crate::workflow::reference::{
    self, Category, Holiday, PopulationInput, ProfileInput, Region, StoredProfile, TestItem,
    TestItemInput, TestItemPatch,
};

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(super::openapi::openapi_json))
        .route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/password", web::post().to(change_password))
        .route("/auth/sessions", web::get().to(list_sessions))
        .route("/auth/sessions/{id}", web::delete().to(revoke_session))
        .route("/me", web::get().to(me))
        .route("/users", web::get().to(list_users))
        .route("/users", web::post().to(create_user))
        .route("/users/{id}", web::get().to(get_user))
        .route("/users/{id}", web::patch().to(update_user))
        .route("/regions", web::get().to(list_regions))
        .route("/regions/{code}/population", web::put().to(set_population))
        .route("/categories", web::get().to(list_categories))
        .route("/test-items", web::get().to(list_test_items))
        .route("/test-items", web::post().to(create_test_item))
        .route("/test-items/{id}", web::get().to(get_test_item))
        .route("/test-items/{id}", web::patch().to(update_test_item))
        .route("/holidays", web::get().to(list_holidays))
        .route("/calendar-years", web::get().to(list_calendar_years))
        .route("/calendar-years/{year}", web::put().to(load_calendar_year))
        .route("/rule-profiles", web::get().to(list_profiles))
        .route(
            "/rule-profiles/{domain}/{plan_kind}",
            web::put().to(put_profile),
        )
        .route("/audit/verify", web::get().to(verify_audit));
}

/// A page of a list, as API.md's conventions say.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    /// The page (from 1) and page size (1 to 500, default 50), or 422.
    pub fn checked(&self) -> AppResult<(i64, i64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::field(
                "page",
                Msg::new("页码应从1开始", "must be 1 or more"),
            ));
        }
        if !(1..=500).contains(&per_page) {
            return Err(AppError::field(
                "per_page",
                Msg::new("每页条数应为1至500", "must be from 1 to 500"),
            ));
        }
        Ok((page, per_page))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// sqlite | postgres
    pub database: &'static str,
}

/// Liveness and the backend in use; 500 if the database does not answer.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz(st: web::Data<AppState>) -> AppResult<HttpResponse> {
    st.db.run(crate::db::health::ping).await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: st.db.backend().name(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginOutput {
    pub token: String,
    pub user: User,
}

/// Logs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginInput,
    responses((status = 200, body = LoginOutput), (status = 401), (status = 429)))]
pub async fn login(
    st: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> AppResult<HttpResponse> {
    let LoginInput { username, password } = body.into_inner();
    let row = crate::web::login::check_password(&st, &req, &username, password).await?;
    let client = user_agent(&req);
    let now = st.now();
    let (token, user) = st
        .db
        .run(move |c| accounts::login(c, now, &row, client.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(LoginOutput { token, user }))
}

/// Ends the bearer token or the cookie session in use, on every server instance.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204)))]
pub async fn logout(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let (actor, via) = (user.actor, user.credential);
    st.call(actor, move |cx| accounts::logout(cx, &via)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller changes its own password; its other sessions and tokens end.
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordChange,
    responses((status = 204), (status = 401), (status = 422), (status = 429)))]
pub async fn change_password(
    st: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
    body: web::Json<PasswordChange>,
) -> AppResult<HttpResponse> {
    let (actor, via) = (user.actor, user.credential);
    let input = body.into_inner();
    let own = crate::web::login::own_password(&st, &req, &actor, Some(input.old_password.as_str()))
        .await?;
    st.call(actor, move |cx| {
        accounts::change_password(cx, Some(&via), own, input)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's live sessions and tokens, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions",
    responses((status = 200, body = Vec<SessionInfo>), (status = 401)))]
pub async fn list_sessions(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let (actor, via) = (user.actor, user.credential);
    let r = st
        .call(actor, move |cx| accounts::list_sessions(cx, Some(&via)))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Ends one of the caller's own sessions or tokens (another user's is 404).
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}",
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn revoke_session(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    st.call(actor, move |cx| accounts::revoke_session(cx, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = User), (status = 401)))]
pub async fn me(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = actor
        .id
        .ok_or_else(|| AppError::internal("an API caller has an id"))?;
    let u = st
        .db
        .run(move |c| accounts::get_user(c, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(u))
}

#[utoipa::path(get, path = "/api/v1/users", params(Paging),
    responses((status = 200, body = Page<User>), (status = 403)))]
pub async fn list_users(
    st: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<Paging>,
) -> AppResult<HttpResponse> {
    let (page, per_page) = q.checked()?;
    let actor = user.actor;
    let (items, total) = st
        .db
        .run(move |c| accounts::list_users(c, &actor, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403), (status = 409), (status = 422)))]
pub async fn create_user(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewUser>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let input = body.into_inner();
    let u = st
        .call(actor, move |cx| accounts::create_user(cx, input))
        .await?;
    Ok(HttpResponse::Created().json(u))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", responses((status = 200, body = User), (status = 404)))]
pub async fn get_user(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let u = st
        .db
        .run(move |c| accounts::get_user(c, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(u))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", request_body = UserPatch,
    responses((status = 200, body = User), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_user(
    st: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> AppResult<HttpResponse> {
    let (actor, via) = (user.actor, user.credential);
    let id = path.into_inner();
    let patch = body.into_inner();
    let own = crate::web::login::own_password(&st, &req, &actor, patch.current_password.as_deref())
        .await?;
    let u = st
        .call(actor, move |cx| {
            accounts::update_user(cx, Some(&via), own, id, patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(u))
}

#[utoipa::path(get, path = "/api/v1/regions", responses((status = 200, body = Vec<Region>)))]
pub async fn list_regions(st: web::Data<AppState>, _user: ApiUser) -> AppResult<HttpResponse> {
    let r = st.db.run(reference::list_regions).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(put, path = "/api/v1/regions/{code}/population", request_body = PopulationInput,
    responses((status = 200, body = Region), (status = 404), (status = 422)))]
pub async fn set_population(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<PopulationInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let code = path.into_inner();
    let input = body.into_inner();
    let r = st
        .call(actor, move |cx| reference::set_population(cx, &code, input))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CategoryQuery {
    /// food | drug | cosmetic | device
    pub domain: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/categories", params(CategoryQuery),
    responses((status = 200, body = Vec<Category>)))]
pub async fn list_categories(
    st: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<CategoryQuery>,
) -> AppResult<HttpResponse> {
    let domain = q.into_inner().domain;
    let r = st
        .db
        .run(move |c| reference::list_categories(c, domain.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TestItemQuery {
    pub category: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/test-items", params(TestItemQuery),
    responses((status = 200, body = Vec<TestItem>)))]
pub async fn list_test_items(
    st: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<TestItemQuery>,
) -> AppResult<HttpResponse> {
    let cat = q.into_inner().category;
    let r = st
        .db
        .run(move |c| reference::list_test_items(c, cat.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/test-items/{id}", responses((status = 200, body = TestItem), (status = 404)))]
pub async fn get_test_item(
    st: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let r = st.db.run(move |c| reference::get_test_item(c, id)).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(post, path = "/api/v1/test-items", request_body = TestItemInput,
    responses((status = 201, body = TestItem), (status = 403), (status = 409), (status = 422)))]
pub async fn create_test_item(
    st: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TestItemInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let input = body.into_inner();
    let r = st
        .call(actor, move |cx| reference::create_test_item(cx, input))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

#[utoipa::path(patch, path = "/api/v1/test-items/{id}", request_body = TestItemPatch,
    responses((status = 200, body = TestItem), (status = 409), (status = 422)))]
pub async fn update_test_item(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<TestItemPatch>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let id = path.into_inner();
    let patch = body.into_inner();
    let r = st
        .call(actor, move |cx| reference::update_test_item(cx, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    pub year: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/holidays", params(YearQuery), responses((status = 200, body = Vec<Holiday>)))]
pub async fn list_holidays(
    st: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let year = q.year;
    let r = st
        .db
        .run(move |c| reference::list_holidays(c, year))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(get, path = "/api/v1/calendar-years", responses((status = 200, body = Vec<reference::CalendarYear>)))]
pub async fn list_calendar_years(
    st: web::Data<AppState>,
    _user: ApiUser,
) -> AppResult<HttpResponse> {
    let r = st.db.run(reference::list_calendar_years).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearInput {
    /// The State Council notice the days come from.
    pub source: String,
    /// `date,kind,name` lines with that header.
    pub csv: String,
}

/// Loads (or reloads) one year's official holiday calendar (admin).
#[utoipa::path(put, path = "/api/v1/calendar-years/{year}", request_body = CalendarYearInput,
    responses((status = 200), (status = 422)))]
pub async fn load_calendar_year(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i32>,
    body: web::Json<CalendarYearInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let year = path.into_inner();
    let input = body.into_inner();
    let n = st
        .call(actor, move |cx| {
            crate::workflow::calendar::load_year(cx, year, &input.source, &input.csv)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "year": year, "days": n })))
}

#[utoipa::path(get, path = "/api/v1/rule-profiles", responses((status = 200, body = Vec<StoredProfile>)))]
pub async fn list_profiles(st: web::Data<AppState>, _user: ApiUser) -> AppResult<HttpResponse> {
    let r = st.db.run(reference::list_profiles).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReasonQuery {
    pub reason: Option<String>,
}

/// Replaces one rule profile (admin), sent as GET returns it, with its `version`.
#[utoipa::path(put, path = "/api/v1/rule-profiles/{domain}/{plan_kind}", request_body = ProfileInput,
    params(ReasonQuery),
    responses((status = 200, body = StoredProfile), (status = 409), (status = 422)))]
pub async fn put_profile(
    st: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    q: web::Query<ReasonQuery>,
    body: web::Json<ProfileInput>,
) -> AppResult<HttpResponse> {
    let actor = user.actor;
    let (domain, kind) = path.into_inner();
    let input = body.into_inner();
    let reason = q.into_inner().reason;
    let r = st
        .call(actor, move |cx| {
            reference::put_profile(cx, &domain, &kind, input, reason.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Walks the audit chain (admin) and names the first broken row, if any.
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200)))]
pub async fn verify_audit(st: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    user.actor.require(&[Role::Admin])?;
    let r = st.db.run(audit::verify).await?;
    Ok(HttpResponse::Ok().json(r))
}
