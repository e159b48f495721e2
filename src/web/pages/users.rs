//! The admin pages for users: the list with the form to add one, and the edit page
//! (roles, scope, password, deactivation).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{ok, regions_in_scope, render, require_admin, Nav};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_all, form_get, form_status, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::{self, word};
use crate::workflow::accounts::{self, NewUser, User, UserPatch};
use crate::workflow::reference::{self, Region};

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

pub(super) async fn users_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let page = users_view(&ctx, actor, None, Vec::new(), None).await?;
    ok(&ctx, &page)
}

pub(super) async fn users_create(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let input = NewUser {
        username: form_get(&form, "username").unwrap_or("").to_string(),
        display_name: form_get(&form, "display_name").unwrap_or("").to_string(),
        password: form_get(&form, "password").unwrap_or("").to_string(),
        roles: form_all(&form, "roles"),
        region_code: form_get(&form, "region_code").map(str::to_string),
    };
    let i = input.clone();
    let result = ctx
        .state
        .call(actor.clone(), move |cx| accounts::create_user(cx, i))
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
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            (r.messages(ctx.lang, "username"), None)
        }
    };
    let failed = !errors.is_empty();
    let page = users_view(&ctx, actor, failed.then_some(input), errors, notice).await?;
    render(&ctx, form_status(failed), &page)
}

/// The users page: the users and the regions in the admin's scope, and the new-user
/// form, holding what a refused form sent (`kept`) or empty.
async fn users_view(
    ctx: &PageCtx,
    actor: crate::workflow::Actor,
    kept: Option<NewUser>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> AppResult<UsersPage> {
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
    let kept_roles = kept.as_ref().map(|k| k.roles.clone()).unwrap_or_default();
    Ok(UsersPage {
        province_wide: ctx.user.as_ref().is_some_and(|u| u.region.is_none()),
        role_boxes: role_boxes(ctx.lang, &kept_roles),
        nav: Nav::new(ctx),
        users: user_lines(ctx.lang, users, &regions),
        regions,
        form_username: kept
            .as_ref()
            .map(|k| k.username.clone())
            .unwrap_or_default(),
        form_display_name: kept
            .as_ref()
            .map(|k| k.display_name.clone())
            .unwrap_or_default(),
        form_region: kept.and_then(|k| k.region_code).unwrap_or_default(),
        errors,
        notice,
    })
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

pub(super) async fn user_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
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

pub(super) async fn user_edit_submit(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
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
            ctx.state
                .call(a, move |cx| {
                    accounts::update_user(cx, via.as_ref(), own, id, patch)
                })
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
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Forbidden])?;
            if let AppError::Forbidden(_) = r.error() {
                // A refusal of the change (scope, re-authentication) shows the form again.
                (
                    r.messages(ctx.lang, "current_password"),
                    None,
                    StatusCode::FORBIDDEN,
                )
            } else {
                (
                    r.messages(ctx.lang, "version"),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
        }
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
