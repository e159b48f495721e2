//! The HTML pages' shell (the navigation bar, rendering, redirects) and the pages of
//! login and the account (`account`), the home page (`home`) and the admin pages for
//! users, regions and holidays, rule profiles, test items, the audit log and the lab's
//! report layout (one file each); the route table of all of them is here.
//! Server-rendered (askama, templates/), Chinese by default, usable on a phone. Every
//! form is taken through `web::forms::CsrfForm`; every change goes through the same use
//! cases as the API.

mod account;
mod audit;
mod home;
mod lab_settings;
mod regions;
mod rules;
mod test_items;
mod users;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::i18n::{self, word};
use crate::workflow::reference::Region;
use crate::workflow::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/app.css", web::get().to(css))
        .route("/static/app.js", web::get().to(crate::web::headers::script))
        .route("/login", web::get().to(account::login_page))
        .route("/login", web::post().to(account::login_submit))
        .route("/logout", web::post().to(account::logout))
        .route("/account", web::get().to(account::account_page))
        .route(
            "/account/password",
            web::post().to(account::account_password),
        )
        .route(
            "/account/sessions/{id}/revoke",
            web::post().to(account::account_revoke),
        )
        .route("/lang/{code}", web::get().to(account::switch_lang))
        .route("/", web::get().to(home::home))
        .route("/admin/users", web::get().to(users::users_page))
        .route("/admin/users", web::post().to(users::users_create))
        .route("/admin/users/{id}", web::get().to(users::user_edit_page))
        .route("/admin/users/{id}", web::post().to(users::user_edit_submit))
        .route("/admin/regions", web::get().to(regions::regions_page))
        .route(
            "/admin/regions/{code}/population",
            web::post().to(regions::population_submit),
        )
        .route("/admin/holidays", web::get().to(regions::holidays_page))
        .route("/admin/holidays", web::post().to(regions::holidays_submit))
        .route("/admin/rules", web::get().to(rules::rules_page))
        .route(
            "/admin/rules/{domain}/{kind}",
            web::get().to(rules::rule_edit_page),
        )
        .route(
            "/admin/rules/{domain}/{kind}",
            web::post().to(rules::rule_edit_submit),
        )
        .route("/admin/test-items", web::get().to(test_items::items_page))
        .route("/admin/test-items", web::post().to(test_items::item_create))
        .route(
            "/admin/test-items/{id}",
            web::get().to(test_items::item_edit_page),
        )
        .route(
            "/admin/test-items/{id}",
            web::post().to(test_items::item_edit_submit),
        )
        .route("/admin/audit", web::get().to(audit::audit_page))
        .route("/admin/lab", web::get().to(lab_settings::lab_page))
        .route("/admin/lab", web::post().to(lab_settings::lab_submit))
        .route(
            "/admin/lab/preview.pdf",
            web::get().to(lab_settings::lab_preview),
        )
        .route(
            "/admin/lab/images/{sha256}",
            web::get().to(lab_settings::lab_image),
        );
}

const CSS: &str = include_str!("../../../templates/static/app.css");

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

/// The logged-in admin, for the admin pages.
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
