//! Tables as downloads: `?format=json|csv|xlsx` on list and statistics endpoints
//! (API.md: "Each stats endpoint answers CSV with `?format=csv` and XLSX with
//! `?format=xlsx`"). The tables themselves come from `documents::table`.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::documents::table::{self, Table, CSV_MIME, XLSX_MIME};
use crate::error::{AppError, AppResult, Msg};

/// What a list or statistics endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    /// `json` (or nothing), `csv` or `xlsx`; anything else is a 422 on `format`.
    pub fn parse(s: Option<&str>) -> AppResult<Format> {
        match s.map(str::trim) {
            None | Some("") | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(_) => Err(AppError::field(
                "format",
                Msg::new("格式应为 json、csv 或 xlsx", "must be json, csv or xlsx"),
            )),
        }
    }
}

/// The tables as a download named `<stem>.csv` (the first table) or `<stem>.xlsx` (a
/// sheet per table). `stem` is ASCII chosen by the caller.
pub fn download(tables: &[Table], format: Format, stem: &str) -> AppResult<HttpResponse> {
    let (bytes, mime, ext) = match format {
        Format::Xlsx => (
            table::xlsx(tables).map_err(AppError::internal)?,
            XLSX_MIME,
            "xlsx",
        ),
        Format::Csv | Format::Json => {
            let first = tables
                .first()
                .ok_or_else(|| AppError::internal("nothing to export"))?;
            (
                table::csv(first).map_err(AppError::internal)?,
                CSV_MIME,
                "csv",
            )
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{ext}\""),
        ))
        .body(bytes))
}
