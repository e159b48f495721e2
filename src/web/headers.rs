//! Security headers on every answer, and the one script file the pages use.
//!
//! Invariant: every response carries a Content-Security-Policy that allows scripts
//! only from this site (no inline script, no `eval`) and no framing, plus
//! `Referrer-Policy: same-origin` and `X-Content-Type-Options: nosniff`; HSTS is added
//! when the public address (`LIMS_BASE_URL`) is https. Page behaviour therefore lives
//! in `templates/static/app.js`, never in a template.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::web::AppState;

/// Scripts and styles only from this site; images also as `data:` (label previews);
/// no plugins, no `<base>` elsewhere, forms only to this site, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// One year, as browsers' preload lists expect.
pub const HSTS: &str = "max-age=31536000";

/// Adds the security headers to the response of every request.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|st| st.secure_cookies());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}

const SCRIPT: &str = include_str!("../../templates/static/app.js");

/// `GET /static/app.js`: the behaviour of the pages.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}
