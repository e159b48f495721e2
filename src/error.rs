//! The one error type of the use cases, and its mapping to HTTP.
//!
//! Policy:
//! - Use cases return `AppError`. Domain functions return their own small error types
//!   and the use case turns them into `AppError::Invalid` with a message per field.
//! - Every message exists in Chinese and English (`Msg`); the response picks one from
//!   `Accept-Language` (or the language cookie on pages). Chinese is the default.
//! - Client mistakes are 4xx with the JSON shape of API.md:
//!   `{"error": {"code", "message", "fields"}}`, `fields` an object on every status
//!   (empty when no field is at fault). They are never logged as errors.
//! - Database and internal failures are 500: the cause is logged, the client gets an
//!   opaque message. A 500 is a bug to fix, never an expected outcome of bad input.
//! - Diesel's unique violations become 409 `conflict`; a missing row is 404.

use std::collections::BTreeMap;
use std::fmt;

pub use crate::msg::{Lang, Msg};

/// Messages for the fields of one invalid input, keyed by field name.
pub type FieldErrors = BTreeMap<String, Msg>;

#[derive(Debug)]
pub enum AppError {
    /// Unreadable input: malformed JSON, wrong types (400).
    BadRequest(Msg),
    /// No or bad credentials (401).
    Unauthenticated(Msg),
    /// Role, region scope or separation of duties refuses (403).
    Forbidden(Msg),
    /// No such thing, or not visible to this user (404).
    NotFound(Msg),
    /// Stale version, wrong state for the action, duplicate (409).
    Conflict(Msg),
    /// A duplicate of an existing record, which the response links (409).
    Duplicate(Msg, serde_json::Value),
    /// Well-formed but invalid; each bad field named (422).
    Invalid(Msg, FieldErrors),
    /// Too many attempts (429).
    RateLimited(Msg),
    /// The database failed in a way the client cannot fix (500).
    /// (The cause as text: `db` converts diesel's errors, so this layer names no driver.)
    Database(String),
    /// Anything else that is our fault (500).
    Internal(String),
}

impl AppError {
    pub fn not_found(what_zh: &str, what_en: &str) -> AppError {
        AppError::NotFound(Msg::new(
            format!("未找到{what_zh}"),
            format!("{what_en} not found"),
        ))
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden(Msg::new("无权执行此操作", "You are not allowed to do this"))
    }

    pub fn stale() -> AppError {
        AppError::Conflict(Msg::new(
            "记录已被他人修改，请刷新后重试",
            "The record was changed by someone else; reload and try again",
        ))
    }

    /// A versioned write (`… WHERE id = ? AND version = ?`) changed exactly one row;
    /// none means someone changed the record in between (409, [`AppError::stale`]).
    pub fn stale_unless(rows_changed: usize) -> AppResult<()> {
        if rows_changed == 1 {
            Ok(())
        } else {
            Err(AppError::stale())
        }
    }

    /// One invalid field.
    pub fn field(field: &str, msg: Msg) -> AppError {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), msg);
        AppError::invalid(fields)
    }

    pub fn invalid(fields: FieldErrors) -> AppError {
        AppError::Invalid(
            Msg::new("输入有误，请检查标出的字段", "Some fields are invalid"),
            fields,
        )
    }

    pub fn internal(e: impl fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) | AppError::Duplicate(..) => 409,
            AppError::Invalid(..) => 422,
            AppError::RateLimited(_) => 429,
            AppError::Database(_) | AppError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) | AppError::Duplicate(..) => "conflict",
            AppError::Invalid(..) => "validation",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Database(_) | AppError::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> Msg {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Duplicate(m, _)
            | AppError::Invalid(m, _)
            | AppError::RateLimited(m) => m.clone(),
            AppError::Database(_) | AppError::Internal(_) => {
                Msg::new("服务器内部错误", "Internal server error")
            }
        }
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(_, f) => Some(f),
            _ => None,
        }
    }

    /// The JSON body of API.md for this error, in `lang`.
    pub fn to_json(&self, lang: Lang) -> serde_json::Value {
        // `fields` is on every status (API.md), empty when no field is at fault.
        let fields: serde_json::Map<String, serde_json::Value> = self
            .fields()
            .into_iter()
            .flatten()
            .map(|(k, m)| (k.clone(), serde_json::Value::from(m.get(lang))))
            .collect();
        let mut err = serde_json::json!({
            "code": self.code(),
            "message": self.message().get(lang),
            "fields": fields,
        });
        if let AppError::Duplicate(_, existing) = self {
            err["existing"] = existing.clone();
        }
        serde_json::json!({ "error": err })
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Database(e) => write!(f, "database error: {e}"),
            AppError::Internal(e) => write!(f, "internal error: {e}"),
            other => write!(f, "{}: {}", other.code(), other.message().en),
        }
    }
}

impl std::error::Error for AppError {}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> AppError {
        AppError::Internal(format!("connection pool: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_has_the_api_shape() {
        let e = AppError::field("uscc", Msg::new("校验位错误", "wrong check character"));
        let j = e.to_json(Lang::En);
        assert_eq!(j["error"]["code"], "validation");
        assert_eq!(j["error"]["fields"]["uscc"], "wrong check character");
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn every_error_json_has_a_fields_object() {
        for e in [
            AppError::BadRequest(Msg::new("坏", "bad")),
            AppError::forbidden(),
            AppError::stale(),
            AppError::RateLimited(Msg::new("多", "many")),
            AppError::internal("x"),
        ] {
            assert_eq!(
                e.to_json(Lang::Zh)["error"]["fields"],
                serde_json::json!({})
            );
        }
    }
}
