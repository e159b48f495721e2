//! Batch downloads of issued reports: many reports as one ZIP of their PDFs or as one
//! merged PDF. A batch is a row in `report_batches` that a background worker fills while
//! the page polls its progress, so a large batch neither holds a request open nor lives
//! only in one server process: any instance can show its progress and serve the result,
//! and a batch left unfinished by a stopped server is picked up at the next start.
//!
//! Quotas: a user has at most `open_batches_per_user` batches queued or running; a
//! finished batch and its file are deleted `batch_keep_days` after it finished, at the
//! server's start and whenever a batch is created ([`expire`]).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::config::Quotas;
use crate::db::batches::BatchRow;
use crate::db::{self, lock_user_quota, write_tx, DbConnection};
use crate::documents::bundle;
use crate::domain::local_time::to_local;
use crate::domain::role::Role;
use crate::domain::states::BatchStatus;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// The most reports one batch may hold.
pub const MAX_REPORTS: usize = 2_000;
/// Progress is written after every this many reports.
const PROGRESS_STEP: usize = 10;

/// `POST /api/v1/reports/batch`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    pub report_nos: Vec<String>,
    /// zip | pdf (one merged PDF)
    #[serde(default = "default_format")]
    pub format: String,
}

fn default_format() -> String {
    "zip".into()
}

/// A batch and its progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Batch {
    pub id: i64,
    pub format: String,
    pub total: i32,
    pub done: i32,
    /// queued | running | done | failed
    pub status: String,
    pub error: Option<String>,
    #[schema(value_type = String)]
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Where the result is, once done.
    pub download_url: Option<String>,
}

impl Batch {
    /// Where the batch is (its status was checked when it was read).
    pub fn state(&self) -> BatchStatus {
        self.status.parse().unwrap_or(BatchStatus::Failed)
    }
}

fn load(conn: &mut DbConnection, id: i64) -> AppResult<Option<BatchRow>> {
    db::batches::get(conn, id)
}

fn to_batch(r: BatchRow) -> AppResult<Batch> {
    let state = r.state()?;
    let id = r.id;
    Ok(Batch {
        download_url: (state == BatchStatus::Done)
            .then(|| format!("/api/v1/report-batches/{id}/download")),
        id,
        format: r.format,
        total: r.total,
        done: r.done,
        status: state.as_str().to_string(),
        error: r.error,
        created_at: to_local(r.created_at),
        finished_at: r.finished_at.map(to_local),
    })
}

/// Whether the actor may see report `report_no` (its sample within the actor's region)
/// and it has its PDF.
fn pdf_visible(conn: &mut DbConnection, actor: &Actor, report_no: &str) -> AppResult<bool> {
    let Some(r) = db::reports::by_no(conn, report_no.trim())? else {
        return Ok(false);
    };
    let s = db::tests::sample_of(conn, r.sample_id)?;
    let inside = actor.covers(&s.region_code);
    Ok(inside && db::reports::has_pdf(conn, r.id)?)
}

/// The `lock_user_quota` purpose of open batches.
const OPEN_BATCHES_LOCK: i32 = 0x4241_5443;

/// Queues a batch of reports the actor may see. Unknown or invisible numbers are named
/// (422); a user who has `open_batches_per_user` batches queued or running already is
/// refused (429) until one finishes. Expired batches are deleted in the same
/// transaction. The worker is started by the caller with [`run`].
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &BatchInput,
    quotas: &Quotas,
) -> AppResult<Batch> {
    let requester = actor.id.ok_or_else(AppError::forbidden)?;
    let mut errors = FieldErrors::new();
    if !["zip", "pdf"].contains(&input.format.as_str()) {
        errors.insert(
            "format".into(),
            Msg::new("格式应为 zip 或 pdf", "must be zip or pdf"),
        );
    }
    let mut nos: Vec<String> = Vec::new();
    for no in &input.report_nos {
        let no = no.trim().to_string();
        if !no.is_empty() && !nos.contains(&no) {
            nos.push(no);
        }
    }
    if nos.is_empty() {
        errors.insert(
            "report_nos".into(),
            Msg::new("请至少选择一份报告", "choose at least one report"),
        );
    } else if nos.len() > MAX_REPORTS {
        errors.insert(
            "report_nos".into(),
            Msg::new(
                format!("一次最多{MAX_REPORTS}份报告"),
                format!("at most {MAX_REPORTS} reports at once"),
            ),
        );
    }
    if errors.is_empty() {
        let missing: Vec<&str> = nos
            .iter()
            .filter(|no| pdf_visible(conn, actor, no).map(|ok| !ok).unwrap_or(true))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            errors.insert(
                "report_nos".into(),
                Msg::new(format!("未找到报告：{list}"), format!("not found: {list}")),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let list = serde_json::to_string(&nos).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        // The user's quota lock before the audit lock (which expiring may take), as
        // everywhere, so that two writers never wait for each other in a cycle.
        lock_user_quota(conn, OPEN_BATCHES_LOCK, requester)?;
        expire_in(conn, now, quotas)?;
        let open = db::batches::open_count(conn, requester)?;
        let limit = quotas.open_batches_per_user;
        if open >= i64::from(limit) {
            return Err(AppError::RateLimited(Msg::new(
                format!(
                    "每位用户最多同时有 {limit} 个未完成的批量下载（open_batches_per_user），请等其中一个完成后再试"
                ),
                format!(
                    "At most {limit} unfinished batch downloads per user at once (open_batches_per_user); wait for one to finish and try again"
                ),
            )));
        }
        let id = db::batches::insert(conn, requester, &input.format, &list, nos.len() as i32, now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "report_batch.create",
                entity_kind: "report_batch",
                entity_id: id.to_string(),
                after: Some(serde_json::json!({ "format": input.format, "report_nos": nos })),
                ..Change::default()
            },
        )?;
        load(conn, id)?
            .map(to_batch)
            .ok_or_else(|| AppError::internal("batch vanished"))?
    })
}

/// Deletes the batches (and their files) that finished more than `batch_keep_days` ago,
/// with one audit row naming them; returns how many. The server calls it at start;
/// [`create`] does the same in its own transaction.
pub fn expire(conn: &mut DbConnection, now: NaiveDateTime, quotas: &Quotas) -> AppResult<usize> {
    write_tx(conn, |conn| expire_in(conn, now, quotas))
}

fn expire_in(conn: &mut DbConnection, now: NaiveDateTime, quotas: &Quotas) -> AppResult<usize> {
    let before = now - chrono::Duration::days(i64::from(quotas.batch_keep_days));
    let ids = db::batches::finished_before(conn, before)?;
    if ids.is_empty() {
        return Ok(0);
    }
    db::batches::delete(conn, &ids)?;
    audit::append(
        conn,
        now,
        &Actor::system(),
        Change {
            action: "report_batch.expire",
            entity_kind: "report_batch",
            entity_id: String::new(),
            after: Some(serde_json::json!({
                "deleted": ids, "keep_days": quotas.batch_keep_days,
            })),
            ..Change::default()
        },
    )?;
    Ok(ids.len())
}

/// A batch, for the user who asked for it (or a province-wide admin: a batch may hold
/// reports outside a scoped admin's region).
fn visible(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<BatchRow> {
    let row = load(conn, id)?.ok_or_else(|| AppError::not_found("批量下载", "Batch"))?;
    let any_batch = actor.roles.has(Role::Admin) && actor.region.is_none();
    if Some(row.requested_by) != actor.id && !any_batch {
        return Err(AppError::not_found("批量下载", "Batch"));
    }
    Ok(row)
}

pub fn status(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Batch> {
    to_batch(visible(conn, actor, id)?)
}

/// The finished file: (bytes, format). 409 until the batch is done.
pub fn result(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<(Vec<u8>, String)> {
    let row = visible(conn, actor, id)?;
    if row.state()? != BatchStatus::Done {
        return Err(AppError::Conflict(Msg::new(
            "批量下载尚未完成",
            "The batch is not finished yet",
        )));
    }
    let bytes = db::batches::result(conn, id)?;
    Ok((
        bytes.ok_or_else(|| AppError::internal("a finished batch without a result"))?,
        row.format,
    ))
}

/// Batches a stopped server left queued or running, to be picked up again.
pub fn unfinished(conn: &mut DbConnection) -> AppResult<Vec<i64>> {
    db::batches::unfinished(conn)
}

/// Builds batch `id`: reads each report's stored PDF, recording progress, then writes
/// the ZIP or merged PDF. Only one worker wins the claim on a queued batch.
pub fn run(
    conn: &mut DbConnection,
    now: &dyn Fn() -> NaiveDateTime,
    id: i64,
    resume: bool,
) -> AppResult<()> {
    // Only a queued batch may be claimed, or, resuming after a restart, one left
    // running by the stopped server.
    let from: Vec<BatchStatus> = BatchStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.start(resume).is_ok())
        .collect();
    let claimed = write_tx(conn, |conn| db::batches::claim(conn, id, &from))?;
    if claimed != 1 {
        return Ok(());
    }
    let outcome = build(conn, id);
    let ok = outcome.is_ok();
    let status = BatchStatus::Running
        .finish(ok)
        .map_err(|s| AppError::internal(format!("a {} batch finished", s.as_str())))?;
    let (error, result) = match outcome {
        Ok(bytes) => (None, Some(bytes)),
        Err(e) => (Some(e.to_string()), None),
    };
    write_tx(conn, |conn| {
        db::batches::finish(conn, id, status, error.as_deref(), result.as_deref(), now())
    })
}

fn build(conn: &mut DbConnection, id: i64) -> AppResult<Vec<u8>> {
    let (list, format) = db::batches::request(conn, id)?;
    let nos: Vec<String> = serde_json::from_str(&list).map_err(AppError::internal)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(nos.len());
    for (i, no) in nos.iter().enumerate() {
        let pdf = db::reports::pdf_by_no(conn, no)?;
        files.push((format!("{no}.pdf"), pdf));
        if (i + 1) % PROGRESS_STEP == 0 || i + 1 == nos.len() {
            let done = (i + 1) as i32;
            write_tx(conn, |conn| db::batches::set_done(conn, id, done))?;
        }
    }
    let bytes = if format == "pdf" {
        let pdfs: Vec<Vec<u8>> = files.into_iter().map(|(_, b)| b).collect();
        bundle::merge_pdfs(&pdfs)
    } else {
        bundle::zip(&files)
    };
    bytes.map_err(AppError::internal)
}
