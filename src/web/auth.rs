//! Who is calling: extractors for the API (bearer token, or session cookie with the
//! CSRF header) and for pages (session cookie, CSRF field on every form). Both look the
//! session or token up in the database on every request, so one that ended on any
//! instance is refused at once. A page's form is checked by `web::forms::CsrfForm`.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};

use crate::error::{AppError, Lang, Msg};
use crate::web::errors::request_lang;
use crate::web::session::{CSRF_COOKIE, SESSION_COOKIE, SESSION_HOURS};
use crate::web::AppState;
use crate::workflow::accounts::{self, Credential, CredentialKind};
use crate::workflow::Actor;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated(Msg::new("请先登录", "Please log in"))
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The CSRF token of the request's genuine CSRF cookie.
pub fn csrf_token(req: &HttpRequest, st: &AppState) -> Option<String> {
    let c = req.cookie(CSRF_COOKIE)?;
    st.signer.check_csrf(c.value()).map(str::to_string)
}

/// Refuses a form whose CSRF field does not match the request's genuine CSRF cookie
/// (a request without one has never been shown a form). Only `web::forms::CsrfForm`
/// calls it.
pub(crate) fn check_form_token(req: &HttpRequest, sent: &str) -> Result<(), AppError> {
    let st = state(req)?;
    match csrf_token(req, &st) {
        Some(token) if !sent.is_empty() && sent == token => Ok(()),
        _ => Err(AppError::Forbidden(Msg::new(
            "表单已过期，请返回刷新后重试",
            "The form has expired; go back, reload and try again",
        ))),
    }
}

/// The session secret of the request's genuine session cookie.
fn session_secret(req: &HttpRequest, st: &AppState) -> Option<String> {
    let c = req.cookie(SESSION_COOKIE)?;
    st.signer.check_session(c.value()).map(str::to_string)
}

/// The active user and credential behind a live session or token, if any.
async fn lookup(
    st: &web::Data<AppState>,
    kind: CredentialKind,
    secret: String,
) -> Result<Option<(Actor, Credential)>, AppError> {
    let now = st.now();
    let found = st
        .db
        .run(move |c| accounts::authenticate(c, now, kind, &secret))
        .await?;
    Ok(found.map(|(row, cred)| (row.to_actor(), cred)))
}

/// The User-Agent of the request, for the list of a user's sessions.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

/// An API caller: a bearer token, or a session cookie (whose unsafe requests must
/// carry the CSRF token in `X-CSRF-Token`).
pub struct ApiUser {
    pub actor: Actor,
    /// The token or session the call came with (logout ends it).
    pub credential: Credential,
}

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let st = state(&req)?;
            if let Some(token) = bearer(&req) {
                return match lookup(&st, CredentialKind::Token, token).await? {
                    Some((actor, credential)) => Ok(ApiUser { actor, credential }),
                    None => Err(AppError::Unauthenticated(Msg::new(
                        "令牌无效或已过期",
                        "The token is invalid, revoked or expired",
                    ))),
                };
            }
            let secret = session_secret(&req, &st).ok_or_else(unauthenticated)?;
            if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
                let sent = req
                    .headers()
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok());
                if sent.is_none() || sent.map(str::to_string) != csrf_token(&req, &st) {
                    return Err(AppError::Forbidden(Msg::new(
                        "缺少或错误的 X-CSRF-Token",
                        "Missing or wrong X-CSRF-Token header",
                    )));
                }
            }
            let (actor, credential) = lookup(&st, CredentialKind::Session, secret)
                .await?
                .ok_or_else(unauthenticated)?;
            Ok(ApiUser { actor, credential })
        })
    }
}

/// What every page needs: the language, the user if logged in, and the CSRF token
/// (issued as a cookie on first visit).
pub struct PageCtx {
    pub lang: Lang,
    pub user: Option<Actor>,
    /// The session of the logged-in user.
    pub credential: Option<Credential>,
    pub csrf: String,
    /// A CSRF cookie to set, when the request had none.
    pub new_csrf_cookie: Option<Cookie<'static>>,
    pub path: String,
    /// The query string (without `?`), empty when there is none.
    pub query: String,
    pub state: web::Data<AppState>,
}

impl PageCtx {
    /// The logged-in user, or 401 (which the error renderer turns into a redirect to
    /// the login page).
    pub fn user(&self) -> Result<&Actor, AppError> {
        self.user.as_ref().ok_or_else(unauthenticated)
    }

    pub fn now(&self) -> chrono::NaiveDateTime {
        self.state.now()
    }

    /// The session cookie for a session's secret.
    pub fn session_cookie(&self, secret: &str) -> Cookie<'static> {
        let value = self.state.signer.session_value(secret);
        cookie(
            SESSION_COOKIE,
            value,
            self.state.secure_cookies(),
            Some(SESSION_HOURS * 3600),
        )
    }
}

/// An HttpOnly, SameSite=Lax cookie for the whole site.
pub fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_secs: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    if let Some(s) = max_age_secs {
        c.set_max_age(time::Duration::seconds(s));
    }
    c
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let st = state(&req)?;
            let lang = request_lang(&req);
            let (csrf, new_csrf_cookie) = match csrf_token(&req, &st) {
                Some(t) => (t, None),
                None => {
                    let value = st.signer.new_csrf();
                    let token = st.signer.check_csrf(&value).unwrap_or_default().to_string();
                    (
                        token,
                        Some(cookie(CSRF_COOKIE, value, st.secure_cookies(), None)),
                    )
                }
            };
            let found = match session_secret(&req, &st) {
                Some(secret) => lookup(&st, CredentialKind::Session, secret).await?,
                None => None,
            };
            let (user, credential) = found.unzip();
            Ok(PageCtx {
                lang,
                user,
                credential,
                csrf,
                new_csrf_cookie,
                path: req.path().to_string(),
                query: req.query_string().to_string(),
                state: st,
            })
        })
    }
}
