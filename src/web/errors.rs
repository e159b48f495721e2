//! Where every error becomes a response: JSON in the shape of API.md for `/api/…`, a
//! readable page elsewhere, in the language the client asked for. Extractor failures
//! (malformed JSON, bad query or path) are 400 `bad_request`, never a 500.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::error::{AppError, Lang, Msg};
use crate::web::i18n;
use crate::web::session::LANG_COOKIE;

/// What an error response carries until it is rendered in the request's language.
#[derive(Clone)]
struct PendingError {
    status: StatusCode,
    zh: serde_json::Value,
    en: serde_json::Value,
    message: Msg,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status() >= 500 {
            log::error!("{self}");
        }
        let pending = PendingError {
            status: self.status_code(),
            zh: self.to_json(Lang::Zh),
            en: self.to_json(Lang::En),
            message: self.message(),
        };
        let mut resp = HttpResponse::build(pending.status).json(&pending.zh);
        resp.extensions_mut().insert(pending);
        resp
    }
}

/// The language of a request: the language cookie, else `Accept-Language`, else
/// Chinese.
pub fn request_lang(req: &HttpRequest) -> Lang {
    if let Some(l) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return l;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

fn wants_json(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz"
}

/// Re-renders error responses for the request: JSON in its language for the API; a
/// page (or, for a page that needs a login, a redirect to the login page) otherwise.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = request_lang(req.request());
    let path = req.path().to_string();
    let query = req.query_string().to_string();
    let res = next.call(req).await?;
    let pending = res.response().extensions().get::<PendingError>().cloned();
    let Some(p) = pending else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, _) = res.into_parts();
    let resp = if wants_json(&path) {
        HttpResponse::build(p.status).json(match lang {
            Lang::Zh => &p.zh,
            Lang::En => &p.en,
        })
    } else if p.status == StatusCode::UNAUTHORIZED {
        let next = crate::web::redirect::safe_next(Some(&if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }));
        HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/login?next={}", i18n::url_encode(&next)),
            ))
            .finish()
    } else {
        HttpResponse::build(p.status)
            .content_type("text/html; charset=utf-8")
            .body(i18n::error_page(
                lang,
                p.status.as_u16(),
                p.message.get(lang),
            ))
    };
    Ok(ServiceResponse::new(req, resp))
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(Msg::new(
        "没有这个页面或接口",
        "No such page or endpoint",
    )))
}

fn bad_request(detail: String) -> actix_web::Error {
    AppError::BadRequest(Msg::new(
        format!("请求无法解析：{detail}"),
        format!("The request cannot be read: {detail}"),
    ))
    .into()
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _req| bad_request(err.to_string()))
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| bad_request(err.to_string()))
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| bad_request(err.to_string()))
}

pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _req| bad_request(err.to_string()))
}
