//! The login form, logout, the language switch and the account page (own sessions and
//! tokens, password change).

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{ok, redirect, render, Nav};
use crate::error::{AppError, AppResult, Lang};
use crate::web::auth::{cookie, user_agent, PageCtx};
use crate::web::forms::{refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::redirect::safe_next;
use crate::web::session::{LANG_COOKIE, SESSION_COOKIE};
use crate::workflow::accounts::{self, PasswordChange, SessionInfo};
use crate::workflow::Ctx;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Nav,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

pub(super) async fn login_page(ctx: PageCtx, q: web::Query<NextQuery>) -> AppResult<HttpResponse> {
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
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub(super) async fn login_submit(
    ctx: PageCtx,
    req: HttpRequest,
    form: CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
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
                        accounts::logout(&mut Ctx::new(c, now, &actor), &via)?;
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
        Err(e) => {
            let r = refusal(e, &[Shown::Unauthenticated, Shown::RateLimited])?;
            render(
                &ctx,
                r.status(),
                &LoginPage {
                    nav: Nav::new(&ctx),
                    next: safe_next(form.next.as_deref()),
                    username: form.username,
                    error: Some(r.message(ctx.lang)),
                },
            )
        }
    }
}

/// A form that carries nothing but its CSRF token.
pub(super) async fn logout(ctx: PageCtx, _form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    if let (Some(via), Some(actor)) = (ctx.credential, ctx.user.clone()) {
        ctx.state
            .call(actor, move |cx| accounts::logout(cx, &via))
            .await?;
    }
    let mut resp = redirect("/login");
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    gone.make_removal();
    resp.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(resp)
}

pub(super) async fn switch_lang(
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
    let via = ctx.credential;
    let sessions = ctx
        .state
        .call(actor, move |cx| accounts::list_sessions(cx, via.as_ref()))
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
pub(super) async fn account_page(
    ctx: PageCtx,
    q: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let notice = match q.done.as_deref() {
        Some("password") => Some(word(ctx.lang, "account.password_changed").to_string()),
        Some("revoked") => Some(word(ctx.lang, "account.revoked").to_string()),
        _ => None,
    };
    account_view(&ctx, StatusCode::OK, Vec::new(), notice).await
}

#[derive(Deserialize)]
pub(super) struct NoticeQuery {
    done: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    old_password: String,
    new_password: String,
}

pub(super) async fn account_password(
    ctx: PageCtx,
    req: HttpRequest,
    form: CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
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
            let via = ctx.credential;
            ctx.state
                .call(actor, move |cx| {
                    accounts::change_password(cx, via.as_ref(), own, input)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect("/account?done=password")),
        Err(e) => {
            let errors = refusal(e, &[Shown::Invalid])?
                .messages(ctx.lang, "new_password")
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
    }
}

pub(super) async fn account_revoke(
    ctx: PageCtx,
    path: web::Path<i64>,
    _form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    ctx.state
        .call(actor, move |cx| accounts::revoke_session(cx, id))
        .await?;
    Ok(redirect("/account?done=revoked"))
}
