//! diesel's errors in the application's terms: a missing row is 404, a duplicate 409, a
//! broken reference 422 naming the column, anything else a 500 whose cause is logged.

use crate::error::{AppError, Msg};

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound(Msg::new("未找到记录", "Not found")),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(Msg::new("记录已存在", "It already exists"))
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                AppError::Invalid(
                    Msg::new("引用的记录不存在", "A referenced record does not exist"),
                    [(
                        info.column_name().unwrap_or("reference").to_string(),
                        Msg::new("引用的记录不存在", "does not exist"),
                    )]
                    .into_iter()
                    .collect(),
                )
            }
            other => AppError::Database(other.to_string()),
        }
    }
}
