//! Where every error becomes a response: JSON in the shape of API.md for `/api/…`, a
//! readable page elsewhere, in the language the client asked for. Extractor failures
//! are never a 500: an unreadable body or path is 400 `bad_request`; a query value
//! that cannot be read is 422 `validation` naming its field when the query tells
//! which. Invariant: every error answer under `/api/` has API.md's shape with
//! `fields`, including those actix makes itself (a method the path does not take).

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
        let status = res.status();
        if wants_json(&path) && (status.is_client_error() || status.is_server_error()) {
            return Ok(reshape(res, lang));
        }
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

/// An error answer that actix made itself (no `AppError` behind it, e.g. 405 for a
/// method the path does not take) in API.md's shape, keeping its status and headers
/// such as `Allow`.
fn reshape<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    lang: Lang,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (code, msg) = match status.as_u16() {
        400 => (
            "bad_request",
            Msg::new("请求无法解析", "The request cannot be read"),
        ),
        401 => ("unauthenticated", Msg::new("请先登录", "Please log in")),
        403 => (
            "forbidden",
            Msg::new("无权执行此操作", "You are not allowed to do this"),
        ),
        404 => (
            "not_found",
            Msg::new("没有这个页面或接口", "No such page or endpoint"),
        ),
        405 => (
            "method_not_allowed",
            Msg::new(
                "该接口不支持此请求方法",
                "This endpoint does not take this method",
            ),
        ),
        413 => (
            "payload_too_large",
            Msg::new("请求内容过大", "The request body is too large"),
        ),
        415 => (
            "unsupported_media_type",
            Msg::new("不支持的内容类型", "The content type is not supported"),
        ),
        s if s < 500 => (
            "bad_request",
            Msg::new("请求无法处理", "The request cannot be handled"),
        ),
        _ => (
            "internal",
            Msg::new("服务器内部错误", "Internal server error"),
        ),
    };
    let (req, old) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let body = serde_json::json!({"error": {
        "code": code,
        "message": msg.get(lang),
        "fields": {},
    }});
    ServiceResponse::new(req, builder.json(body))
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(Msg::new(
        "没有这个页面或接口",
        "No such page or endpoint",
    )))
}

pub(crate) fn bad_request(detail: String) -> actix_web::Error {
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

/// A query string that cannot be read is a value the client got wrong (422), named
/// by its field when the query tells which (see [`query_field`]).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req| {
        let detail = match &err {
            actix_web::error::QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        let msg = Msg::new(
            format!("无法识别：{detail}"),
            format!("cannot be read: {detail}"),
        );
        match query_field(req.query_string(), &detail) {
            Some(field) => AppError::field(&field, msg).into(),
            // Which parameter is unclear: the message carries the detail instead.
            None => AppError::Invalid(
                Msg::new(
                    format!("查询参数无法识别：{detail}"),
                    format!("A query parameter cannot be read: {detail}"),
                ),
                Default::default(),
            )
            .into(),
        }
    })
}

/// The query parameter that a deserialisation error is about, when the query string
/// tells it: the field the message names (unknown or missing field), the parameter
/// holding the unknown variant the message quotes, the one parameter whose value is
/// not of the kind the message says (a whole number, a decimal, true/false, a date),
/// or the only parameter there is. `None` when more than one could be meant.
pub fn query_field(query: &str, detail: &str) -> Option<String> {
    let quoted = |after: &str| -> Option<String> {
        let rest = &detail[detail.find(after)? + after.len()..];
        Some(rest[..rest.find('`')?].to_string())
    };
    if let Some(f) = quoted("field `") {
        return Some(f);
    }
    let pairs: Vec<(String, String)> = web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let unique = |bad: &dyn Fn(&str) -> bool| -> Option<String> {
        let mut hits = pairs.iter().filter(|(_, v)| bad(v.as_str()));
        match (hits.next(), hits.next()) {
            (Some((k, _)), None) => Some(k.clone()),
            _ => None,
        }
    };
    let found = if let Some(v) = quoted("variant `") {
        unique(&|x| x == v)
    } else if detail.contains("integer")
        || detail.contains("digit")
        || detail.contains("number too")
    {
        unique(&|x| x.trim().parse::<i32>().is_err())
    } else if detail.contains("float") {
        unique(&|x| x.trim().parse::<f64>().is_err())
    } else if detail.contains("`true` or `false`") {
        unique(&|x| x != "true" && x != "false")
    } else if detail.contains("input") {
        // chrono's messages: a date or time that does not parse.
        unique(&|x| {
            x.parse::<chrono::NaiveDate>().is_err()
                && x.parse::<chrono::DateTime<chrono::FixedOffset>>().is_err()
        })
    } else {
        None
    };
    found.or_else(|| match pairs.as_slice() {
        [(k, _)] => Some(k.clone()),
        _ => None,
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| bad_request(err.to_string()))
}

pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(1 << 20)
        .error_handler(|err, _req| bad_request(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::query_field;

    #[test]
    fn a_query_error_names_the_parameter_it_is_about() {
        let cases = [
            (
                "page=1&per_page=ten",
                "invalid digit found in string",
                Some("per_page"),
            ),
            (
                "year=99999999999",
                "number too large to fit in target type",
                Some("year"),
            ),
            (
                "q=%E7%89%9B&status=lost",
                "unknown variant `lost`, expected one of `a`",
                Some("status"),
            ),
            (
                "a=1&colour=red",
                "unknown field `colour`, expected `a`",
                Some("colour"),
            ),
            (
                "from=2026-01-01&to=2026-02-30",
                "input is out of range",
                Some("to"),
            ),
            (
                "overdue=maybe&page=true",
                "provided string was not `true` or `false`",
                Some("overdue"),
            ),
            ("q=abc&page=x", "invalid digit found in string", None),
            ("", "missing field `year`", Some("year")),
        ];
        for (q, detail, want) in cases {
            assert_eq!(query_field(q, detail).as_deref(), want, "{q}: {detail}");
        }
    }
}
