//! The HTML pages: login, the account page (own sessions and password), the home page
//! for each role, and the admin pages for users, regions and population, holidays,
//! rule profiles, test items and the audit log.
//! Server-rendered (askama, templates/), Chinese by default, usable on a phone. Every
//! form carries the CSRF token; every change goes through the same use cases as the API.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Lang, Msg};
use crate::web::auth::{cookie, user_agent, PageCtx};
use crate::web::i18n::{self, word};
use crate::web::redirect::safe_next;
use crate::web::session::{LANG_COOKIE, SESSION_COOKIE};
use crate::workflow::accounts::{self, NewUser, PasswordChange, SessionInfo, User, UserPatch};
use crate::workflow::audit::AuditRow;
use crate::workflow::reference::{
    self, CalendarYear, Category, Holiday, PopulationInput, ProfileInput, Region, SetupHealth,
    StoredProfile, TestItem, TestItemPatch,
};
use crate::workflow::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/app.css", web::get().to(css))
        .route("/static/app.js", web::get().to(crate::web::headers::script))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout))
        .route("/account", web::get().to(account_page))
        .route("/account/password", web::post().to(account_password))
        .route(
            "/account/sessions/{id}/revoke",
            web::post().to(account_revoke),
        )
        .route("/lang/{code}", web::get().to(switch_lang))
        .route("/", web::get().to(home))
        .route("/admin/users", web::get().to(users_page))
        .route("/admin/users", web::post().to(users_create))
        .route("/admin/users/{id}", web::get().to(user_edit_page))
        .route("/admin/users/{id}", web::post().to(user_edit_submit))
        .route("/admin/regions", web::get().to(regions_page))
        .route(
            "/admin/regions/{code}/population",
            web::post().to(population_submit),
        )
        .route("/admin/holidays", web::get().to(holidays_page))
        .route("/admin/holidays", web::post().to(holidays_submit))
        .route("/admin/rules", web::get().to(rules_page))
        .route(
            "/admin/rules/{domain}/{kind}",
            web::get().to(rule_edit_page),
        )
        .route(
            "/admin/rules/{domain}/{kind}",
            web::post().to(rule_edit_submit),
        )
        .route("/admin/test-items", web::get().to(items_page))
        .route("/admin/test-items", web::post().to(item_create))
        .route("/admin/test-items/{id}", web::get().to(item_edit_page))
        .route("/admin/test-items/{id}", web::post().to(item_edit_submit))
        .route("/admin/audit", web::get().to(audit_page));
}

const CSS: &str = include_str!("../../templates/static/app.css");

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

/// A link in the navigation bar.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What the layout shows on every page: language, user, roles, scope, links, CSRF.
pub struct Nav {
    pub lang: Lang,
    pub csrf: String,
    /// The page's path and query, where switching the language comes back to.
    pub here: String,
    pub user_name: Option<String>,
    pub roles: Vec<&'static str>,
    pub scope: Option<String>,
    pub links: Vec<NavLink>,
}

impl Nav {
    pub fn new(ctx: &PageCtx) -> Nav {
        let lang = ctx.lang;
        let mut links = Vec::new();
        let mut roles = Vec::new();
        if let Some(u) = &ctx.user {
            let mut add = |href: &'static str, key: &str| {
                let active = match href {
                    "/" => ctx.path == "/",
                    "/samples" => {
                        ctx.path.starts_with("/samples") && !ctx.path.starts_with("/samples/new")
                    }
                    _ => ctx.path.starts_with(href),
                };
                links.push(NavLink {
                    href,
                    label: word(lang, key),
                    active,
                });
            };
            add("/", "nav.home");
            if u.roles.has(Role::Sampler) {
                add("/samples/new", "nav.new_sample");
            }
            if u.roles.has(Role::Custodian) {
                add("/receipts", "nav.receipts");
                add("/retention", "nav.retention");
                add("/screenings", "nav.screenings");
            }
            if u.roles
                .has_any(&[Role::Custodian, Role::Reviewer, Role::Admin])
            {
                add("/assign", "nav.assign");
            }
            if u.roles.has(Role::Technician) {
                add("/worklist", "nav.worklist");
            }
            if u.roles.has(Role::Reviewer) {
                add("/review", "nav.review");
            }
            if u.roles.has(Role::Signatory) {
                add("/approvals", "nav.approvals");
            }
            if u.roles
                .has_any(&[Role::Signatory, Role::Supervisor, Role::Admin])
            {
                add("/reports", "nav.reports");
            }
            if u.roles.has_any(&[Role::Supervisor, Role::Admin]) {
                add("/disposals", "nav.disposals");
                add("/nominations", "nav.nominations");
                add("/stats", "nav.stats");
            }
            add("/samples", "nav.samples");
            add("/account", "nav.account");
            if u.roles
                .has_any(&[Role::Sampler, Role::Supervisor, Role::Admin])
            {
                add("/entities", "nav.entities");
                add("/plans", "nav.plans");
            }
            if u.roles.has(Role::Admin) {
                add("/admin/users", "nav.users");
                add("/admin/regions", "nav.regions");
                add("/admin/holidays", "nav.holidays");
                add("/admin/rules", "nav.rules");
                add("/admin/test-items", "nav.test_items");
                add("/admin/audit", "nav.audit");
                add("/admin/lab", "nav.lab_profile");
            }
            roles = u
                .roles
                .iter()
                .map(|r| match lang {
                    Lang::Zh => r.label_zh(),
                    Lang::En => r.label_en(),
                })
                .collect();
        }
        Nav {
            lang,
            csrf: ctx.csrf.clone(),
            here: if ctx.query.is_empty() {
                ctx.path.clone()
            } else {
                format!("{}?{}", ctx.path, ctx.query)
            },
            user_name: ctx.user.as_ref().map(|u| u.display_name.clone()),
            roles,
            scope: ctx.user.as_ref().map(|u| match &u.region {
                Some(r) => r.as_str().to_string(),
                None => word(lang, "common.whole_province").to_string(),
            }),
            links,
        }
    }

    /// The word for `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        word(self.lang, key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The link that switches to the other language and comes back here.
    pub fn other_lang_href(&self) -> String {
        let code = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh-CN",
        };
        format!("/lang/{code}?next={}", i18n::url_encode(&self.here))
    }

    /// A bilingual message in the page's language.
    pub fn msg<'a>(&self, m: &'a Msg) -> &'a str {
        m.get(self.lang)
    }
}

/// The status of a page shown again after a form: 422 when refused, else 200.
pub(crate) fn form_status(failed: bool) -> StatusCode {
    if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// The HTTP status of a refusal shown on a page.
pub(crate) fn error_status(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The field messages of an error, or its message under `fallback`.
pub(crate) fn errors_of(e: &AppError, lang: Lang, fallback: &str) -> Vec<(String, String)> {
    let mut f = field_messages(e, lang);
    if f.is_empty() {
        f.push((fallback.to_string(), e.message().get(lang).to_string()));
    }
    f
}

/// Renders a template into a page, setting the CSRF cookie on first visit.
pub(crate) fn render(
    ctx: &PageCtx,
    status: actix_web::http::StatusCode,
    tpl: &impl Template,
) -> AppResult<HttpResponse> {
    let html = tpl.render().map_err(AppError::internal)?;
    let mut resp = HttpResponse::build(status);
    resp.content_type("text/html; charset=utf-8");
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(c) = &ctx.new_csrf_cookie {
        resp.cookie(c.clone());
    }
    Ok(resp.body(html))
}

fn ok(ctx: &PageCtx, tpl: &impl Template) -> AppResult<HttpResponse> {
    render(ctx, actix_web::http::StatusCode::OK, tpl)
}

pub(crate) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

pub(crate) fn field_messages(err: &AppError, lang: Lang) -> Vec<(String, String)> {
    err.fields()
        .map(|f| {
            f.iter()
                .map(|(k, m)| (k.clone(), m.get(lang).to_string()))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Nav,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(ctx: PageCtx, q: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(redirect(&safe_next(q.next.as_deref())));
    }
    ok(
        &ctx,
        &LoginPage {
            nav: Nav::new(&ctx),
            next: safe_next(q.next.as_deref()),
            username: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_submit(
    ctx: PageCtx,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let client = user_agent(&req);
    // A session already on this browser ends: one browser, one session.
    let (old, old_user) = (ctx.credential, ctx.user.clone());
    let checked =
        crate::web::login::check_password(&ctx.state, &req, &form.username, form.password.clone())
            .await;
    let result = match checked {
        Ok(row) => {
            let now = ctx.now();
            ctx.state
                .db
                .run(move |c| {
                    if let (Some(via), Some(actor)) = (old, old_user) {
                        accounts::logout(c, now, &actor, &via)?;
                    }
                    accounts::login_session(c, now, row, client.as_deref())
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((secret, _)) => {
            let mut resp = redirect(&safe_next(form.next.as_deref()));
            resp.add_cookie(&ctx.session_cookie(&secret))
                .map_err(AppError::internal)?;
            Ok(resp)
        }
        Err(e @ (AppError::Unauthenticated(_) | AppError::RateLimited(_))) => render(
            &ctx,
            actix_web::http::StatusCode::from_u16(e.status())
                .unwrap_or(actix_web::http::StatusCode::UNAUTHORIZED),
            &LoginPage {
                nav: Nav::new(&ctx),
                next: safe_next(form.next.as_deref()),
                username: form.username,
                error: Some(e.message().get(ctx.lang).to_string()),
            },
        ),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(ctx: PageCtx, form: web::Form<CsrfForm>) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    if let (Some(via), Some(actor)) = (ctx.credential, ctx.user.clone()) {
        let now = ctx.now();
        ctx.state
            .db
            .run(move |c| accounts::logout(c, now, &actor, &via))
            .await?;
    }
    let mut resp = redirect("/login");
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    gone.make_removal();
    resp.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(resp)
}

async fn switch_lang(
    ctx: PageCtx,
    path: web::Path<String>,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let lang = Lang::parse(&path).ok_or_else(|| AppError::not_found("语言", "Language"))?;
    let mut resp = redirect(&safe_next(q.next.as_deref()));
    let c = cookie(
        LANG_COOKIE,
        lang.code().to_string(),
        ctx.state.secure_cookies(),
        Some(365 * 86400),
    );
    resp.add_cookie(&c).map_err(AppError::internal)?;
    Ok(resp)
}

// ---------------------------------------------------------------- account

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    nav: Nav,
    username: String,
    sessions: Vec<SessionInfo>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl AccountPage {
    fn when(&self, t: &chrono::DateTime<chrono::FixedOffset>) -> String {
        t.format("%Y-%m-%d %H:%M").to_string()
    }

    fn kind_word(&self, s: &SessionInfo) -> &'static str {
        match s.kind {
            accounts::CredentialKind::Session => self.nav.t("account.kind_session"),
            accounts::CredentialKind::Token => self.nav.t("account.kind_token"),
        }
    }
}

async fn account_view(
    ctx: &PageCtx,
    status: StatusCode,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let username = actor.username.clone();
    let now = ctx.now();
    let via = ctx.credential;
    let sessions = ctx
        .state
        .db
        .run(move |c| accounts::list_sessions(c, now, &actor, via.as_ref()))
        .await?;
    render(
        ctx,
        status,
        &AccountPage {
            nav: Nav::new(ctx),
            username,
            sessions,
            errors,
            notice,
        },
    )
}

/// The user's own sessions and tokens, and the form to change its password.
async fn account_page(ctx: PageCtx, q: web::Query<NoticeQuery>) -> AppResult<HttpResponse> {
    let notice = match q.done.as_deref() {
        Some("password") => Some(word(ctx.lang, "account.password_changed").to_string()),
        Some("revoked") => Some(word(ctx.lang, "account.revoked").to_string()),
        _ => None,
    };
    account_view(&ctx, StatusCode::OK, Vec::new(), notice).await
}

#[derive(Deserialize)]
struct NoticeQuery {
    done: Option<String>,
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    old_password: String,
    new_password: String,
}

async fn account_password(
    ctx: PageCtx,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    let actor = ctx.user()?.clone();
    let form = form.into_inner();
    let input = PasswordChange {
        old_password: form.old_password,
        new_password: form.new_password,
    };
    let own = crate::web::login::own_password(
        &ctx.state,
        &req,
        &actor,
        Some(input.old_password.as_str()),
    )
    .await;
    let result = match own {
        Ok(own) => {
            let now = ctx.now();
            let via = ctx.credential;
            ctx.state
                .db
                .run(move |c| accounts::change_password(c, now, &actor, via.as_ref(), own, input))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect("/account?done=password")),
        Err(e @ AppError::Invalid(..)) => {
            let errors = errors_of(&e, ctx.lang, "new_password")
                .into_iter()
                .map(|(field, m)| {
                    let label = match field.as_str() {
                        "old_password" => word(ctx.lang, "account.old_password"),
                        _ => word(ctx.lang, "account.new_password"),
                    };
                    (label.to_string(), m)
                })
                .collect();
            account_view(&ctx, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
        }
        Err(e) => Err(e),
    }
}

async fn account_revoke(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let now = ctx.now();
    ctx.state
        .db
        .run(move |c| accounts::revoke_session(c, now, &actor, id))
        .await?;
    Ok(redirect("/account?done=revoked"))
}

// ---------------------------------------------------------------- home

/// What a role can do, for the home page.
struct RoleCard {
    title: &'static str,
    does: &'static str,
    links: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    nav: Nav,
    cards: Vec<RoleCard>,
    health: Option<SetupHealth>,
    panels: Vec<Panel>,
}

/// A list on the home page: what needs the user's attention, with a link to all of it.
pub struct Panel {
    pub title: &'static str,
    pub total: i64,
    pub href: String,
    pub rows: Vec<(String, String, String, bool)>,
}

/// The home page's lists for the user's roles (SPEC §8a), five rows each.
fn home_panels(
    conn: &mut crate::db::DbConnection,
    now: chrono::NaiveDateTime,
    user: &Actor,
    lang: Lang,
) -> AppResult<Vec<Panel>> {
    use crate::workflow::intake::{self, is_overdue, local_date, SampleFilter};
    use crate::workflow::lab::{self, TestFilter};
    let today = local_date(now);
    let mut panels = Vec::new();
    let mut samples = |title: &'static str,
                       f: SampleFilter,
                       href: &str,
                       conn: &mut crate::db::DbConnection|
     -> AppResult<()> {
        let (items, total) = intake::list_samples(conn, now, user, &f, 1, 5)?;
        let rows = items
            .iter()
            .map(|s| {
                let due = if s.status == "registered" {
                    s.delivery_due_on
                } else {
                    s.due_on
                };
                (
                    s.sample_no.clone(),
                    s.product_name.clone(),
                    due.map(|d| d.to_string()).unwrap_or_default(),
                    is_overdue(s, today),
                )
            })
            .collect();
        panels.push(Panel {
            title: word(lang, title),
            total,
            href: href.to_string(),
            rows,
        });
        Ok(())
    };
    if user.roles.has(Role::Sampler) {
        let week = SampleFilter {
            from: Some(today - chrono::Duration::days(7)),
            ..SampleFilter::default()
        };
        samples("home.my_week", week, "/samples", conn)?;
        let waiting = SampleFilter {
            status: Some("registered".into()),
            ..SampleFilter::default()
        };
        samples(
            "home.not_delivered",
            waiting,
            "/samples?status=registered",
            conn,
        )?;
    }
    if user.roles.has(Role::Custodian) {
        let due = SampleFilter {
            status: Some("registered".into()),
            ..SampleFilter::default()
        };
        samples("home.due_in", due, "/receipts", conn)?;
        let rejected = SampleFilter {
            status: Some("rejected".into()),
            ..SampleFilter::default()
        };
        samples("home.rejected", rejected, "/samples?status=rejected", conn)?;
    }
    if user.roles.has_any(&[Role::Supervisor, Role::Admin]) {
        let overdue = SampleFilter {
            overdue: Some(true),
            ..SampleFilter::default()
        };
        samples("home.overdue", overdue, "/samples?overdue=true", conn)?;
    }
    let tests = |title: &'static str, list: Vec<lab::SampleTest>, total: i64, href: &str| Panel {
        title: word(lang, title),
        total,
        href: href.to_string(),
        rows: list
            .iter()
            .take(5)
            .map(|t| {
                let overdue = t.is_overdue(today);
                (
                    t.sample_no.clone(),
                    t.name.clone(),
                    t.due_on.map(|d| d.to_string()).unwrap_or_default(),
                    overdue,
                )
            })
            .collect(),
    };
    if user.roles.has(Role::Technician) {
        let f = TestFilter {
            assignee: Some("me".into()),
            status: Some("open".into()),
            sample_no: None,
        };
        let (list, total) = lab::list_tests(conn, user, &f, 1, 5)?;
        panels.push(tests("nav.worklist", list, total, "/worklist"));
    }
    if user.roles.has(Role::Reviewer) {
        let list = lab::review_queue(conn, user)?;
        let total = i64::try_from(list.len()).unwrap_or(0);
        panels.push(tests("lab.review", list, total, "/review"));
    }
    if user.roles.has(Role::Signatory) {
        let list = lab::ready_to_approve(conn, user)?;
        panels.push(Panel {
            title: word(lang, "lab.approvals"),
            total: i64::try_from(list.len()).unwrap_or(0),
            href: "/approvals".into(),
            rows: list
                .iter()
                .take(5)
                .map(|s| {
                    (
                        s.sample_no.clone(),
                        s.product_name.clone(),
                        s.due_on.map(|d| d.to_string()).unwrap_or_default(),
                        false,
                    )
                })
                .collect(),
        });
    }
    Ok(panels)
}

async fn home(ctx: PageCtx) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let lang = ctx.lang;
    let cards = user
        .roles
        .iter()
        .map(|r| {
            let key = format!("role.{}.does", r.as_str());
            let links = match r {
                Role::Admin => vec![
                    ("/admin/users", word(lang, "nav.users")),
                    ("/admin/regions", word(lang, "nav.regions")),
                    ("/admin/holidays", word(lang, "nav.holidays")),
                    ("/admin/rules", word(lang, "nav.rules")),
                    ("/admin/test-items", word(lang, "nav.test_items")),
                ],
                Role::Sampler => vec![
                    ("/samples/new", word(lang, "nav.new_sample")),
                    (
                        "/samples?status=registered",
                        word(lang, "home.not_delivered"),
                    ),
                    ("/entities", word(lang, "nav.entities")),
                    ("/plans", word(lang, "nav.plans")),
                ],
                Role::Custodian => vec![
                    ("/receipts", word(lang, "nav.receipts")),
                    ("/samples?status=registered", word(lang, "home.due_in")),
                    ("/samples?status=rejected", word(lang, "home.rejected")),
                ],
                Role::Supervisor => vec![
                    ("/plans", word(lang, "nav.plans")),
                    ("/samples?overdue=true", word(lang, "home.overdue")),
                ],
                Role::Technician => vec![("/worklist", word(lang, "nav.worklist"))],
                Role::Reviewer => vec![
                    ("/review", word(lang, "nav.review")),
                    ("/assign", word(lang, "nav.assign")),
                ],
                Role::Signatory => vec![("/approvals", word(lang, "nav.approvals"))],
            };
            RoleCard {
                title: match lang {
                    Lang::Zh => r.label_zh(),
                    Lang::En => r.label_en(),
                },
                does: word(lang, &key),
                links,
            }
        })
        .collect();
    let (u, now) = (user.clone(), ctx.now());
    let panels = ctx
        .state
        .db
        .run(move |c| home_panels(c, now, &u, lang))
        .await?;
    let health = if user.roles.has(Role::Admin) {
        let today = ctx.state.clock.now().date_naive();
        Some(
            ctx.state
                .db
                .run(move |c| reference::setup_health(c, today))
                .await?,
        )
    } else {
        None
    };
    ok(
        &ctx,
        &HomePage {
            nav: Nav::new(&ctx),
            cards,
            health,
            panels,
        },
    )
}

// ---------------------------------------------------------------- users

fn require_admin(ctx: &PageCtx) -> AppResult<Actor> {
    let u = ctx.user()?.clone();
    u.require(&[Role::Admin])?;
    Ok(u)
}

/// The regions an admin may give as a scope: those inside its own.
pub(crate) fn regions_in_scope(actor: &Actor, regions: Vec<Region>) -> Vec<Region> {
    regions
        .into_iter()
        .filter(|r| {
            RegionCode::parse(&r.code).is_ok_and(|c| scope_covers(actor.region.as_ref(), &c))
        })
        .collect()
}

struct RoleBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// A user as the list shows it: roles and region in words, never keys or bare codes.
struct UserLine {
    id: i64,
    username: String,
    display_name: String,
    roles: String,
    region: String,
    active: bool,
}

fn user_lines(lang: Lang, users: Vec<User>, regions: &[Region]) -> Vec<UserLine> {
    users
        .into_iter()
        .map(|u| UserLine {
            roles: u
                .roles
                .iter()
                .map(|r| match lang {
                    Lang::Zh => r.label_zh(),
                    Lang::En => r.label_en(),
                })
                .collect::<Vec<_>>()
                .join(match lang {
                    Lang::Zh => "、",
                    Lang::En => ", ",
                }),
            region: match &u.region_code {
                None => i18n::word(lang, "common.whole_province").to_string(),
                Some(code) => regions
                    .iter()
                    .find(|r| &r.code == code)
                    .map(|r| match lang {
                        Lang::Zh => r.name_zh.clone(),
                        Lang::En => r.name_en.clone(),
                    })
                    .unwrap_or_else(|| code.clone()),
            },
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            active: u.active,
        })
        .collect()
}

fn role_boxes(lang: Lang, chosen: &[String]) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .map(|r| RoleBox {
            value: r.as_str(),
            label: match lang {
                Lang::Zh => r.label_zh(),
                Lang::En => r.label_en(),
            },
            checked: chosen.iter().any(|c| c == r.as_str()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    nav: Nav,
    /// Whether the admin may give the whole province as a scope.
    province_wide: bool,
    users: Vec<UserLine>,
    regions: Vec<Region>,
    role_boxes: Vec<RoleBox>,
    form_username: String,
    form_display_name: String,
    form_region: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

async fn users_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let (users, regions) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                accounts::list_users(c, &actor, 1, 500)?.0,
                regions_in_scope(&actor, reference::list_regions(c)?),
            ))
        })
        .await?;
    ok(
        &ctx,
        &UsersPage {
            province_wide: ctx.user.as_ref().is_some_and(|u| u.region.is_none()),
            role_boxes: role_boxes(ctx.lang, &[]),
            nav: Nav::new(&ctx),
            users: user_lines(ctx.lang, users, &regions),
            regions,
            form_username: String::new(),
            form_display_name: String::new(),
            form_region: String::new(),
            errors: Vec::new(),
            notice: None,
        },
    )
}

/// Reads a form of repeated keys (checkboxes) into a list of pairs.
pub(crate) fn form_get<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(crate) fn form_all(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

async fn users_create(
    ctx: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(form_get(&form, "csrf").unwrap_or(""))?;
    let actor = require_admin(&ctx)?;
    let input = NewUser {
        username: form_get(&form, "username").unwrap_or("").to_string(),
        display_name: form_get(&form, "display_name").unwrap_or("").to_string(),
        password: form_get(&form, "password").unwrap_or("").to_string(),
        roles: form_all(&form, "roles"),
        region_code: form_get(&form, "region_code").map(str::to_string),
    };
    let now = ctx.now();
    let a = actor.clone();
    let i = input.clone();
    let result = ctx
        .state
        .db
        .run(move |c| accounts::create_user(c, now, &a, i))
        .await;
    let (errors, notice) = match result {
        Ok(u) => (
            Vec::new(),
            Some(format!(
                "{} · {}",
                word(ctx.lang, "common.saved"),
                u.username
            )),
        ),
        Err(e @ (AppError::Invalid(..) | AppError::Conflict(_))) => {
            (errors_of(&e, ctx.lang, "username"), None)
        }
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let (users, regions) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                accounts::list_users(c, &actor, 1, 500)?.0,
                regions_in_scope(&actor, reference::list_regions(c)?),
            ))
        })
        .await?;
    let page = UsersPage {
        province_wide: ctx.user.as_ref().is_some_and(|u| u.region.is_none()),
        role_boxes: role_boxes(ctx.lang, if failed { &input.roles } else { &[] }),
        nav: Nav::new(&ctx),
        users: user_lines(ctx.lang, users, &regions),
        regions,
        form_username: if failed {
            input.username
        } else {
            String::new()
        },
        form_display_name: if failed {
            input.display_name
        } else {
            String::new()
        },
        form_region: if failed {
            input.region_code.unwrap_or_default()
        } else {
            String::new()
        },
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
struct UserEditPage {
    nav: Nav,
    province_wide: bool,
    user: User,
    regions: Vec<Region>,
    role_boxes: Vec<RoleBox>,
    region: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

async fn user_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let id = path.into_inner();
    let (user, regions) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                accounts::get_user(c, &actor, id)?,
                regions_in_scope(&actor, reference::list_regions(c)?),
            ))
        })
        .await?;
    let chosen: Vec<String> = user.roles.iter().map(|r| r.as_str().to_string()).collect();
    ok(
        &ctx,
        &UserEditPage {
            province_wide: ctx.user.as_ref().is_some_and(|u| u.region.is_none()),
            role_boxes: role_boxes(ctx.lang, &chosen),
            region: user.region_code.clone().unwrap_or_default(),
            nav: Nav::new(&ctx),
            user,
            regions,
            errors: Vec::new(),
            notice: None,
        },
    )
}

async fn user_edit_submit(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(form_get(&form, "csrf").unwrap_or(""))?;
    let actor = require_admin(&ctx)?;
    let id = path.into_inner();
    let version = form_get(&form, "version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest(Msg::new("缺少版本号", "The form has no version")))?;
    let password = form_get(&form, "password")
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let region = form_get(&form, "region_code").unwrap_or("").to_string();
    let patch = UserPatch {
        display_name: form_get(&form, "display_name").map(str::to_string),
        password,
        roles: Some(form_all(&form, "roles")),
        region_code: Some(Some(region.clone()).filter(|r| !r.is_empty())),
        active: Some(form_get(&form, "active").is_some()),
        current_password: form_get(&form, "current_password")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        version,
    };
    let own = crate::web::login::own_password(
        &ctx.state,
        &req,
        &actor,
        patch.current_password.as_deref(),
    )
    .await;
    let a = actor.clone();
    let via = ctx.credential;
    let result = match own {
        Ok(own) => {
            let now = ctx.now();
            ctx.state
                .db
                .run(move |c| accounts::update_user(c, now, &a, via.as_ref(), own, id, patch))
                .await
        }
        Err(e) => Err(e),
    };
    let (errors, notice, status) = match result {
        Ok(_) => (
            Vec::new(),
            Some(word(ctx.lang, "common.saved").to_string()),
            StatusCode::OK,
        ),
        Err(e @ (AppError::Invalid(..) | AppError::Conflict(_))) => (
            errors_of(&e, ctx.lang, "version"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // A refusal of the change (scope, re-authentication) shows the form again.
        Err(e @ AppError::Forbidden(_)) => (
            errors_of(&e, ctx.lang, "current_password"),
            None,
            StatusCode::FORBIDDEN,
        ),
        Err(e) => return Err(e),
    };
    let (user, regions) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                accounts::get_user(c, &actor, id)?,
                regions_in_scope(&actor, reference::list_regions(c)?),
            ))
        })
        .await?;
    let failed = !errors.is_empty();
    let chosen = if failed {
        form_all(&form, "roles")
    } else {
        user.roles.iter().map(|r| r.as_str().to_string()).collect()
    };
    let page = UserEditPage {
        province_wide: ctx.user.as_ref().is_some_and(|u| u.region.is_none()),
        role_boxes: role_boxes(ctx.lang, &chosen),
        region: if failed {
            region
        } else {
            user.region_code.clone().unwrap_or_default()
        },
        nav: Nav::new(&ctx),
        user,
        regions,
        errors,
        notice,
    };
    render(&ctx, status, &page)
}

// ---------------------------------------------------------------- regions

#[derive(Template)]
#[template(path = "admin/regions.html")]
struct RegionsPage {
    nav: Nav,
    regions: Vec<Region>,
    this_year: i32,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl RegionsPage {
    fn level_word(&self, level: &str) -> &'static str {
        self.nav.t(&format!("level.{level}"))
    }
}

async fn regions_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let regions = ctx.state.db.run(reference::list_regions).await?;
    ok(
        &ctx,
        &RegionsPage {
            this_year: ctx.state.clock.now().year(),
            nav: Nav::new(&ctx),
            regions,
            errors: Vec::new(),
            notice: None,
        },
    )
}

#[derive(Deserialize)]
struct PopulationForm {
    csrf: String,
    population: String,
    year: String,
    source: Option<String>,
}

async fn population_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: web::Form<PopulationForm>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    let actor = require_admin(&ctx)?;
    let code = path.into_inner();
    let mut fields = FieldErrors::new();
    let population = form
        .population
        .trim()
        .replace([',', '，'], "")
        .parse::<i64>()
        .unwrap_or_else(|_| {
            fields.insert(
                "population".into(),
                Msg::new("应为整数", "must be a whole number"),
            );
            0
        });
    let year = form.year.trim().parse::<i32>().unwrap_or_else(|_| {
        fields.insert("year".into(), Msg::new("应为年份", "must be a year"));
        0
    });
    let now = ctx.now();
    let result = if fields.is_empty() {
        let input = PopulationInput {
            population,
            year,
            source: form.source.clone(),
        };
        let c2 = code.clone();
        ctx.state
            .db
            .run(move |c| reference::set_population(c, now, &actor, &c2, input))
            .await
            .map(|_| ())
    } else {
        Err(AppError::invalid(fields))
    };
    let (errors, notice) = match result {
        Ok(()) => (
            Vec::new(),
            Some(format!("{} · {code}", word(ctx.lang, "common.saved"))),
        ),
        Err(e @ AppError::Invalid(..)) => (
            field_messages(&e, ctx.lang)
                .into_iter()
                .map(|(k, v)| (format!("{code} {k}"), v))
                .collect(),
            None,
        ),
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let regions = ctx.state.db.run(reference::list_regions).await?;
    let page = RegionsPage {
        this_year: ctx.state.clock.now().year(),
        nav: Nav::new(&ctx),
        regions,
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}

// ---------------------------------------------------------------- holidays

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    nav: Nav,
    year: i32,
    years: Vec<CalendarYear>,
    days: Vec<Holiday>,
    form_source: String,
    form_csv: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct HolidayQuery {
    year: Option<i32>,
}

async fn holidays_view(ctx: &PageCtx, year: i32) -> AppResult<(Vec<CalendarYear>, Vec<Holiday>)> {
    ctx.state
        .db
        .run(move |c| {
            Ok((
                reference::list_calendar_years(c)?,
                reference::list_holidays(c, Some(year))?,
            ))
        })
        .await
}

async fn holidays_page(ctx: PageCtx, q: web::Query<HolidayQuery>) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| ctx.state.clock.now().year());
    let (years, days) = holidays_view(&ctx, year).await?;
    ok(
        &ctx,
        &HolidaysPage {
            nav: Nav::new(&ctx),
            year,
            years,
            days,
            form_source: String::new(),
            form_csv: "date,kind,name\n".to_string(),
            errors: Vec::new(),
            notice: None,
        },
    )
}

#[derive(Deserialize)]
struct HolidayForm {
    csrf: String,
    year: String,
    source: String,
    csv: String,
}

async fn holidays_submit(ctx: PageCtx, form: web::Form<HolidayForm>) -> AppResult<HttpResponse> {
    ctx.check_csrf(&form.csrf)?;
    let actor = require_admin(&ctx)?;
    let form = form.into_inner();
    let year: i32 = form.year.trim().parse().unwrap_or(0);
    let now = ctx.now();
    let (s, t) = (form.source.clone(), form.csv.clone());
    let result = ctx
        .state
        .db
        .run(move |c| crate::workflow::calendar::load_year(c, now, &actor, year, &s, &t))
        .await;
    let (errors, notice) = match result {
        Ok(n) => (
            Vec::new(),
            Some(format!("{} · {year}: {n}", word(ctx.lang, "common.saved"))),
        ),
        Err(e @ AppError::Invalid(..)) => (field_messages(&e, ctx.lang), None),
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let shown = if (2000..=2100).contains(&year) {
        year
    } else {
        ctx.state.clock.now().year()
    };
    let (years, days) = holidays_view(&ctx, shown).await?;
    let page = HolidaysPage {
        nav: Nav::new(&ctx),
        year: shown,
        years,
        days,
        form_source: if failed { form.source } else { String::new() },
        form_csv: if failed {
            form.csv
        } else {
            "date,kind,name\n".to_string()
        },
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}

// ---------------------------------------------------------------- rule profiles

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    nav: Nav,
    profiles: Vec<StoredProfile>,
}

async fn rules_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let profiles = ctx.state.db.run(reference::list_profiles).await?;
    ok(
        &ctx,
        &RulesPage {
            nav: Nav::new(&ctx),
            profiles,
        },
    )
}

/// One rule as the edit form shows it.
struct RuleRow {
    key: String,
    value: String,
    unit: String,
    calendar: String,
    citation: String,
}

#[derive(Template)]
#[template(path = "admin/rule_edit.html")]
struct RuleEditPage {
    nav: Nav,
    domain: String,
    kind: String,
    version: i32,
    rows: Vec<RuleRow>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn rule_rows(p: &StoredProfile) -> Vec<RuleRow> {
    p.rules
        .iter()
        .map(|r| RuleRow {
            key: r.key.clone(),
            value: value_text(&r.value),
            unit: r.unit.as_str().to_string(),
            calendar: r.calendar.as_str().to_string(),
            citation: r.citation.clone(),
        })
        .collect()
}

async fn load_profile(ctx: &PageCtx, domain: &str, kind: &str) -> AppResult<StoredProfile> {
    let d = domain
        .parse()
        .map_err(|_| AppError::not_found("领域", "Domain"))?;
    let k = kind
        .parse()
        .map_err(|_| AppError::not_found("计划类型", "Plan kind"))?;
    let p = ctx
        .state
        .db
        .run(move |c| reference::get_profile(c, d, k))
        .await?;
    p.filter(|p| p.plan_kind == k)
        .ok_or_else(|| AppError::not_found("规则配置", "Rule profile"))
}

async fn rule_edit_page(
    ctx: PageCtx,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let (domain, kind) = path.into_inner();
    let p = load_profile(&ctx, &domain, &kind).await?;
    ok(
        &ctx,
        &RuleEditPage {
            nav: Nav::new(&ctx),
            domain,
            kind,
            version: p.version,
            rows: rule_rows(&p),
            errors: Vec::new(),
            notice: None,
        },
    )
}

/// Reads the edited value of a rule back into JSON of the type its unit needs.
fn parse_rule_value(unit: crate::domain::rules::RuleUnit, text: &str) -> serde_json::Value {
    use crate::domain::rules::RuleUnit;
    let t = text.trim();
    match unit {
        RuleUnit::List => serde_json::Value::Array(
            t.split([',', '，', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| serde_json::Value::from(s.to_string()))
                .collect(),
        ),
        RuleUnit::Flag => match t {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            other => serde_json::Value::from(other.to_string()),
        },
        _ => serde_json::from_str::<serde_json::Number>(t)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| serde_json::Value::from(t.to_string())),
    }
}

async fn rule_edit_submit(
    ctx: PageCtx,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    ctx.check_csrf(form_get(&form, "csrf").unwrap_or(""))?;
    let actor = require_admin(&ctx)?;
    let (domain, kind) = path.into_inner();
    let current = load_profile(&ctx, &domain, &kind).await?;
    let version = form_get(&form, "version").and_then(|v| v.parse().ok());
    let rules = current
        .rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(v) = form_get(&form, &format!("value.{}", r.key)) {
                r.value = parse_rule_value(r.unit, v);
            }
            if let Some(c) = form_get(&form, &format!("citation.{}", r.key)) {
                r.citation = c.trim().to_string();
            }
            r
        })
        .collect();
    let reason = form_get(&form, "reason")
        .map(str::to_string)
        .filter(|r| !r.trim().is_empty());
    let input = ProfileInput {
        domain: None,
        plan_kind: None,
        rules,
        version,
    };
    let now = ctx.now();
    let (d, k) = (domain.clone(), kind.clone());
    let result = ctx
        .state
        .db
        .run(move |c| reference::put_profile(c, now, &actor, &d, &k, input, reason.as_deref()))
        .await;
    let (errors, notice, shown) = match result {
        Ok(p) => (
            Vec::new(),
            Some(word(ctx.lang, "common.saved").to_string()),
            p,
        ),
        Err(e @ (AppError::Invalid(..) | AppError::Conflict(_))) => {
            (errors_of(&e, ctx.lang, "version"), None, current)
        }
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let mut rows = rule_rows(&shown);
    if failed {
        for row in &mut rows {
            if let Some(v) = form_get(&form, &format!("value.{}", row.key)) {
                row.value = v.to_string();
            }
        }
    }
    let page = RuleEditPage {
        nav: Nav::new(&ctx),
        domain,
        kind,
        version: shown.version,
        rows,
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}

// ---------------------------------------------------------------- test items

#[derive(Template)]
#[template(path = "admin/test_items.html")]
struct ItemsPage {
    nav: Nav,
    categories: Vec<Category>,
    category: String,
    items: Vec<TestItem>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct ItemQuery {
    category: Option<String>,
}

async fn items_page(ctx: PageCtx, q: web::Query<ItemQuery>) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let category = q.into_inner().category.filter(|c| !c.is_empty());
    let cat = category.clone();
    let (categories, items) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                reference::list_categories(c, None)?,
                reference::list_test_items(c, cat.as_deref())?,
            ))
        })
        .await?;
    ok(
        &ctx,
        &ItemsPage {
            nav: Nav::new(&ctx),
            categories,
            category: category.unwrap_or_default(),
            items,
            errors: Vec::new(),
            notice: None,
        },
    )
}

/// An admin adds a test item from the catalogue page.
async fn item_create(
    ctx: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    use crate::workflow::reference::{LimitValue, TestItemInput};
    ctx.check_csrf(form_get(&form, "csrf").unwrap_or(""))?;
    let actor = require_admin(&ctx)?;
    let text = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let limit = |k: &str| {
        Some(text(k))
            .filter(|v| !v.trim().is_empty())
            .map(LimitValue::Text)
    };
    let input = TestItemInput {
        category_code: text("category_code"),
        name: text("name"),
        method_standard: text("method_standard"),
        judgment_standard: text("judgment_standard"),
        limit_kind: text("limit_kind"),
        limit_min: limit("limit_min"),
        limit_max: limit("limit_max"),
        unit: text("unit"),
        lod: limit("lod"),
        note: Some(text("note")).filter(|n| !n.trim().is_empty()),
        verification: None,
    };
    let category = input.category_code.clone();
    let now = ctx.now();
    let result = ctx
        .state
        .db
        .run(move |c| reference::create_test_item(c, now, &actor, input))
        .await;
    let (errors, notice) = match result {
        Ok(item) => (
            Vec::new(),
            Some(format!(
                "{} · {}",
                word(ctx.lang, "common.saved"),
                item.name
            )),
        ),
        Err(e @ (AppError::Invalid(..) | AppError::Conflict(_))) => {
            (errors_of(&e, ctx.lang, "name"), None)
        }
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let cat = category.clone();
    let (categories, items) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                reference::list_categories(c, None)?,
                reference::list_test_items(c, Some(&cat))?,
            ))
        })
        .await?;
    let status = form_status(failed);
    render(
        &ctx,
        status,
        &ItemsPage {
            nav: Nav::new(&ctx),
            categories,
            category,
            items,
            errors,
            notice,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/test_item_edit.html")]
struct ItemEditPage {
    nav: Nav,
    item: TestItem,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

async fn item_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let id = path.into_inner();
    let item = ctx
        .state
        .db
        .run(move |c| reference::get_test_item(c, id))
        .await?;
    ok(
        &ctx,
        &ItemEditPage {
            nav: Nav::new(&ctx),
            item,
            errors: Vec::new(),
            notice: None,
        },
    )
}

async fn item_edit_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    use crate::workflow::reference::LimitValue;
    ctx.check_csrf(form_get(&form, "csrf").unwrap_or(""))?;
    let actor = require_admin(&ctx)?;
    let id = path.into_inner();
    let text = |k: &str| form_get(&form, k).map(str::to_string);
    let limit = |k: &str| {
        form_get(&form, k).map(|v| {
            Some(v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(LimitValue::Text)
        })
    };
    let patch = TestItemPatch {
        name: text("name"),
        method_standard: text("method_standard"),
        judgment_standard: text("judgment_standard"),
        limit_kind: text("limit_kind"),
        limit_min: limit("limit_min"),
        limit_max: limit("limit_max"),
        unit: text("unit"),
        lod: limit("lod"),
        note: text("note"),
        verification: text("verification"),
        active: Some(form_get(&form, "active").is_some()),
        version: form_get(&form, "version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1),
    };
    let now = ctx.now();
    let result = ctx
        .state
        .db
        .run(move |c| reference::update_test_item(c, now, &actor, id, patch))
        .await;
    let (errors, notice) = match result {
        Ok(_) => (Vec::new(), Some(word(ctx.lang, "common.saved").to_string())),
        Err(e @ (AppError::Invalid(..) | AppError::Conflict(_))) => {
            (errors_of(&e, ctx.lang, "version"), None)
        }
        Err(e) => return Err(e),
    };
    let failed = !errors.is_empty();
    let item = ctx
        .state
        .db
        .run(move |c| reference::get_test_item(c, id))
        .await?;
    let status = form_status(failed);
    render(
        &ctx,
        status,
        &ItemEditPage {
            nav: Nav::new(&ctx),
            item,
            errors,
            notice,
        },
    )
}

// ---------------------------------------------------------------- audit

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    rows: Vec<AuditLine>,
}

/// An audit row as the page shows it: local time, the action and record in words.
struct AuditLine {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    reason: Option<String>,
}

fn audit_lines(lang: Lang, rows: Vec<AuditRow>) -> Vec<AuditLine> {
    use crate::web::audit_words;
    rows.into_iter()
        .map(|r| AuditLine {
            id: r.id,
            at: crate::domain::local_time::to_local(r.at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor,
            action: audit_words::action(&r.action, lang),
            entity: format!(
                "{} {}",
                audit_words::kind(&r.entity_kind, lang),
                r.entity_id
            )
            .trim()
            .to_string(),
            reason: r.reason,
        })
        .collect()
}

async fn audit_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let rows = ctx
        .state
        .db
        .run(move |c| accounts::visible_audit_rows(c, &actor, 200))
        .await?;
    ok(
        &ctx,
        &AuditPage {
            nav: Nav::new(&ctx),
            rows: audit_lines(ctx.lang, rows),
        },
    )
}
