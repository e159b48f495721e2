//! The forms of the pages: [`CsrfForm`], the one way a page handler receives a posted
//! form, already checked against the request's CSRF token; reading a form of pairs; and
//! [`refusal`], how a form shows a refusal on its own page.
//! Invariant: every POST page handler takes a `CsrfForm` (`tests/tidy/csrf.rs` checks
//! the route tables), so no handler can forget the check.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, Lang};
use crate::web::auth::check_form_token;
use crate::web::errors::bad_request;

/// A form read as its pairs, in the order sent (checkboxes repeat their key).
pub type FormMap = Vec<(String, String)>;

/// A urlencoded form whose `csrf` field matched the request's CSRF cookie, read as `T`
/// (a struct, or [`FormMap`]). A form that cannot be read is 400, as `web::Form`
/// answers (the body is read first); a missing or wrong token is 403 "the form has
/// expired", in the request's language.
pub struct CsrfForm<T>(pub T);

/// The largest `multipart/form-data` form read (two 256 KB images and the fields).
const MULTIPART_LIMIT: usize = 1 << 20;

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CsrfForm<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // A form with a file input (`web::multipart`): the same pairs, files in base64.
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(boundary) = crate::web::multipart::boundary(content_type) {
            let body = web::Payload::from_request(req, payload);
            let req = req.clone();
            return Box::pin(async move {
                let mut body = body.await?;
                let mut bytes = Vec::new();
                while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
                    let chunk = chunk?;
                    if bytes.len() + chunk.len() > MULTIPART_LIMIT {
                        return Err(bad_request("the form is too large".into()));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let pairs = crate::web::multipart::pairs(&boundary, &bytes).map_err(bad_request)?;
                let form = typed::<T>(&pairs)?;
                check_form_token(&req, form_get(&pairs, "csrf").unwrap_or(""))?;
                Ok(CsrfForm(form))
            });
        }
        // The body through `web::Form`, so the app's form limit, content type check and
        // error answer stay the ones every form had.
        let pairs = web::Form::<FormMap>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let pairs = pairs.await?.into_inner();
            let form = typed::<T>(&pairs)?;
            check_form_token(&req, form_get(&pairs, "csrf").unwrap_or(""))?;
            Ok(CsrfForm(form))
        })
    }
}

/// The pairs read as `T`, with the error `web::Form<T>` gives for a form it cannot read.
fn typed<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, actix_web::Error> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    match web::Query::<T>::from_query(&body) {
        Ok(q) => Ok(q.into_inner()),
        Err(QueryPayloadError::Deserialize(e)) => {
            Err(bad_request(UrlencodedError::Parse(e).to_string()))
        }
        Err(e) => Err(bad_request(e.to_string())),
    }
}

/// The first value of `key` in a form of pairs.
pub(crate) fn form_get<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Every value of a repeated key (checkboxes), in the order sent.
pub(crate) fn form_all(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

// ---------------------------------------------------------------- refusals

/// The kinds of refusal a form may show on its own page (one per `AppError` variant a
/// person can act on).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Duplicate,
    Invalid,
    RateLimited,
}

impl Shown {
    fn of(e: &AppError) -> Option<Shown> {
        Some(match e {
            AppError::BadRequest(_) => Shown::BadRequest,
            AppError::Unauthenticated(_) => Shown::Unauthenticated,
            AppError::Forbidden(_) => Shown::Forbidden,
            AppError::NotFound(_) => Shown::NotFound,
            AppError::Conflict(_) => Shown::Conflict,
            AppError::Duplicate(..) => Shown::Duplicate,
            AppError::Invalid(..) => Shown::Invalid,
            AppError::RateLimited(_) => Shown::RateLimited,
            AppError::Database(_) | AppError::Internal(_) => return None,
        })
    }
}

/// A refusal that a form's page shows again, beside what was typed.
pub(crate) struct Refused(AppError);

impl Refused {
    /// The messages by field; a refusal that names no field puts its message under
    /// `main_field`.
    pub fn messages(&self, lang: Lang, main_field: &str) -> Vec<(String, String)> {
        errors_of(&self.0, lang, main_field)
    }

    /// Only the messages of the fields the refusal names (none for a refusal of the
    /// whole form).
    pub fn field_messages(&self, lang: Lang) -> Vec<(String, String)> {
        field_messages(&self.0, lang)
    }

    /// The refusal's own status (403, 404, 409, 422, 429…).
    pub fn status(&self) -> StatusCode {
        error_status(&self.0)
    }

    /// The refusal's message, in the page's language.
    pub fn message(&self, lang: Lang) -> String {
        self.0.message().get(lang).to_string()
    }

    pub fn error(&self) -> &AppError {
        &self.0
    }
}

/// A form's refusal that its page shows again, with the form as typed, when it is of
/// one of the `shown` kinds; any other error (not logged in, the page's own 404, our
/// fault) stays an error and becomes the error page. The one way a form handler
/// decides between the two:
/// `Err(e) => { let r = refusal(e, &[Shown::Invalid])?; /* render with r.messages(…) */ }`.
pub(crate) fn refusal(e: AppError, shown: &[Shown]) -> AppResult<Refused> {
    match Shown::of(&e) {
        Some(k) if shown.contains(&k) => Ok(Refused(e)),
        _ => Err(e),
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

/// The messages of the fields an error names, in the page's language.
pub(crate) fn field_messages(err: &AppError, lang: Lang) -> Vec<(String, String)> {
    err.fields()
        .map(|f| {
            f.iter()
                .map(|(k, m)| (k.clone(), m.get(lang).to_string()))
                .collect()
        })
        .unwrap_or_default()
}
