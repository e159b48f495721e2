//! Evidence filed with a recorded step (served notice, penalty decision, recall
//! records): PDF, PNG or JPEG told by content, at most [`MAX_ATTACHMENT_BYTES`], its
//! SHA-256 kept and audited, within the uploader's daily quota.

use chrono::NaiveDateTime;

use super::{attachment_view, visible_case, Attachment};
use crate::db::cases::{self as rows, AttachmentRow};
use crate::db::{write_tx, DbConnection};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{Actor, Ctx};

/// The largest file a step accepts: a scanned decision of a few pages fits; a video does not.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The file types a step accepts, told by their first bytes (never by the name or the
/// declared type alone): PDF, PNG and JPEG.
pub fn sniff_attachment(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The error for a file over [`MAX_ATTACHMENT_BYTES`] (also used while the upload streams).
pub fn attachment_too_large() -> AppError {
    AppError::field(
        "file",
        Msg::new(
            format!("附件不能超过 {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
            format!("must not exceed {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        ),
    )
}

/// A file name as stored: the last path segment, control characters dropped, at most
/// 200 characters; an empty name becomes `attachment`.
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The `lock_user_quota` purpose of evidence uploads.
const UPLOAD_QUOTA_LOCK: i32 = 0x4556_4944;

/// A user uploads at most `upload_bytes_per_day` bytes of evidence per local day
/// (Beijing time); a file that would pass it is refused (429) naming the limit.
fn check_upload_quota(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    uploader: i64,
    size: i64,
    quotas: &crate::config::Quotas,
) -> AppResult<()> {
    crate::db::lock_user_quota(conn, UPLOAD_QUOTA_LOCK, uploader)?;
    let day_start = crate::domain::local_time::utc_of_local_midnight(
        crate::domain::local_time::local_date(now),
    );
    let used = rows::uploaded_since(conn, uploader, day_start)?;
    let limit = quotas.upload_bytes_per_day;
    let after = u64::try_from(used.saturating_add(size)).unwrap_or(u64::MAX);
    if after > limit {
        let mb = |b: u64| format!("{:.1} MB", b as f64 / (1024.0 * 1024.0));
        let left = limit.saturating_sub(u64::try_from(used).unwrap_or(u64::MAX));
        return Err(AppError::RateLimited(Msg::new(
            format!(
                "每位用户每天最多上传 {} 的证据文件（upload_bytes_per_day），今天还可上传 {}",
                mb(limit),
                mb(left)
            ),
            format!(
                "Each user may upload at most {} of evidence per day (upload_bytes_per_day); {} left today",
                mb(limit),
                mb(left)
            ),
        )));
    }
    Ok(())
}

/// A file sent to be filed with a step of a case.
pub struct AttachmentUpload<'a> {
    pub case_id: i64,
    pub event_id: i64,
    /// The name the sender gave; cleaned before it is stored.
    pub file_name: &'a str,
    /// The `Content-Type` the sender declared, if any.
    pub declared_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// `POST /api/v1/disposals/{id}/events/{event_id}/attachments`: a supervisor files
/// evidence with a recorded step. The bytes must be a PDF, PNG or JPEG (told by their
/// content, and matching the declared type when one is given) of at most
/// [`MAX_ATTACHMENT_BYTES`]; their SHA-256 is stored and audited.
pub fn add_attachment(
    cx: &mut Ctx,
    input: &AttachmentUpload,
    quotas: &crate::config::Quotas,
) -> AppResult<Attachment> {
    use sha2::{Digest, Sha256};
    let (now, actor) = (cx.now, cx.actor);
    let (case_id, event_id, bytes) = (input.case_id, input.event_id, input.bytes);
    actor.require(&[Role::Supervisor])?;
    visible_case(cx.conn, actor, case_id)?;
    if bytes.is_empty() {
        return Err(AppError::field("file", Msg::new("附件为空", "is empty")));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(attachment_too_large());
    }
    let Some(content_type) = sniff_attachment(bytes) else {
        return Err(AppError::field(
            "file",
            Msg::new(
                "附件应为 PDF、PNG 或 JPEG 文件",
                "must be a PDF, PNG or JPEG file",
            ),
        ));
    };
    if let Some(declared) = input
        .declared_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty() && t != "application/octet-stream")
    {
        let same =
            declared == content_type || (declared == "image/jpg" && content_type == "image/jpeg");
        if !same {
            return Err(AppError::field(
                "file",
                Msg::new(
                    format!("声明的类型 {declared} 与文件内容（{content_type}）不符"),
                    format!("is declared as {declared} but holds {content_type}"),
                ),
            ));
        }
    }
    let name = clean_file_name(input.file_name);
    let sha = hex::encode(Sha256::digest(bytes));
    let uploader = actor.id.ok_or_else(AppError::forbidden)?;
    let size = i64::try_from(bytes.len()).map_err(AppError::internal)?;
    write_tx(cx.conn, |conn| {
        check_upload_quota(conn, now, uploader, size, quotas)?;
        if rows::event_case(conn, event_id)? != Some(case_id) {
            return Err(AppError::NotFound(Msg::new(
                "该案件没有这个步骤",
                "The case has no such step",
            )));
        }
        let id = rows::insert_attachment(
            conn,
            &rows::NewAttachment {
                case_id,
                event_id,
                file_name: &name,
                content_type,
                size_bytes: size,
                sha256: &sha,
                content: bytes,
                uploaded_by: uploader,
                now,
            },
        )?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "disposal.attachment",
                entity_kind: "disposal",
                entity_id: case_id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "attachment_id": id, "event_id": event_id, "file_name": name,
                    "content_type": content_type, "size_bytes": size, "sha256": sha,
                })),
                reason: None,
            },
        )?;
        let by = crate::db::users::display_name(conn, uploader)?;
        Ok(attachment_view(
            AttachmentRow {
                id,
                event_id,
                file_name: name.clone(),
                content_type: content_type.to_string(),
                size_bytes: size,
                sha256: sha.clone(),
                uploaded_by: uploader,
                uploaded_at: now,
            },
            by,
        ))
    })
}

/// One filed file with its bytes, for a supervisor who may see the case.
pub fn attachment(
    conn: &mut DbConnection,
    actor: &Actor,
    case_id: i64,
    id: i64,
) -> AppResult<(Attachment, Vec<u8>)> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    visible_case(conn, actor, case_id)?;
    let (row, bytes) = rows::attachment(conn, case_id, id)?
        .ok_or_else(|| AppError::NotFound(Msg::new("附件不存在", "No such attachment")))?;
    Ok((attachment_view(row, None), bytes))
}
