//! Retention (留样): the custodian records where a sample's backup portion is kept; it
//! is kept until a date that follows from the conclusion, the rule profile and the
//! shelf life (`domain::retention::keep_until`); discarding it before that date is
//! refused, and so is discarding it while a disposal case of the sample is open or a
//! re-examination is pending ([`HELD_BY_CASE`]); a list shows what may be discarded
//! soon.
//! Invariant: every write is one transaction with its audit row (entity `sample`, so
//! it shows on the sample's timeline); a discarded backup portion is never changed; a
//! backup portion that a disposal case may still need is neither discarded nor listed
//! as discardable.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::samples::SampleRow;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::calendar::add_calendar_days;
use crate::domain::disposal::CaseStatus;
use crate::domain::local_time::{local_date, to_local};
use crate::domain::retention;
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind, RuleUnit};
use crate::domain::sample::{Conclusion, SampleStatus};
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;
use crate::workflow::{clean_text, Actor};

pub use crate::db::retention::{RetentionRow, HELD_BY_CASE};

/// How long "what may be discarded this week" looks ahead, in days.
pub const DEFAULT_WITHIN_DAYS: i64 = 7;

/// The retention of a sample's backup portion, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Retention {
    pub sample_no: String,
    /// Where the backup portion is kept (fridge, shelf, room).
    pub place: String,
    /// Kept at least until this date; `null` while the sample has no conclusion.
    pub keep_until: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub recorded_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub discarded_at: Option<DateTime<FixedOffset>>,
    pub discard_reason: Option<String>,
    pub version: i32,
}

/// One line of the list of backup portions that may be discarded soon.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RetentionLine {
    pub sample_no: String,
    pub product_name: String,
    /// compliant | non_compliant
    pub conclusion: String,
    pub place: String,
    pub keep_until: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub recorded_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub discarded_at: Option<DateTime<FixedOffset>>,
    pub discard_reason: Option<String>,
    pub version: i32,
}

impl RetentionRow {
    pub fn to_retention(&self, sample_no: &str) -> Retention {
        Retention {
            sample_no: sample_no.to_string(),
            place: self.place.clone(),
            keep_until: self.keep_until,
            recorded_at: to_local(self.recorded_at),
            discarded_at: self.discarded_at.map(to_local),
            discard_reason: self.discard_reason.clone(),
            version: self.version,
        }
    }
}

/// `PUT /api/v1/samples/{sample_no}/retention`. `version`, when sent, must be the one
/// read (409 otherwise); without it the place is simply set.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionInput {
    pub place: String,
    #[serde(default)]
    pub version: Option<i32>,
}

/// `POST /api/v1/samples/{sample_no}/retention/discard`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscardInput {
    /// Why it is discarded (required).
    #[serde(default)]
    pub reason: Option<String>,
}

fn load(conn: &mut DbConnection, sample_id: i64) -> AppResult<Option<RetentionRow>> {
    db::retention::find(conn, sample_id)
}

/// A sample the actor may see (its region within the actor's scope), else 404.
fn visible_row(conn: &mut DbConnection, actor: &Actor, sample_no: &str) -> AppResult<SampleRow> {
    db::samples::visible_by_no(conn, actor.region.as_ref(), sample_no)
}

fn no_retention() -> AppError {
    AppError::not_found("留样记录", "Retention record")
}

fn already_discarded(row: &RetentionRow) -> AppError {
    let on = row.discarded_at.map(local_date);
    AppError::Conflict(Msg::new(
        format!(
            "该留样已于{}处理，不能再更改",
            on.map(|d| d.to_string()).unwrap_or_default()
        ),
        format!(
            "This backup portion was discarded on {}; it cannot be changed",
            on.map(|d| d.to_string()).unwrap_or_default()
        ),
    ))
}

/// Why a keep-until date cannot be set yet.
enum NotYet {
    /// The sample has no conclusion yet.
    NoConclusion,
    /// The rule profile lacks the months rule (an admin must add it).
    NoRule(&'static str),
}

impl NotYet {
    fn refusal(&self) -> AppError {
        match self {
            NotYet::NoConclusion => AppError::Conflict(Msg::new(
                "样品尚无检验结论，留样期限未定，不能处理",
                "The sample has no conclusion yet, so its keep-until date is not set: it cannot be discarded",
            )),
            NotYet::NoRule(key) => AppError::Conflict(Msg::new(
                format!("规则配置缺少“{key}”，留样期限无法计算，不能处理；请管理员补充"),
                format!(
                    "The rule profile has no `{key}` rule, so the keep-until date is unknown and it cannot be discarded; ask an admin to add it"
                ),
            )),
        }
    }
}

/// Until when this sample's backup portion is kept: the rule profile's months after
/// the conclusion date (Shanghai), capped by the product's expiry.
fn keep_until_of(conn: &mut DbConnection, s: &SampleRow) -> AppResult<Result<NaiveDate, NotYet>> {
    let conclusion: Conclusion = s.conclusion.parse().map_err(AppError::internal)?;
    let key = match conclusion {
        Conclusion::Pending => return Ok(Err(NotYet::NoConclusion)),
        Conclusion::Compliant => "backup_keep_compliant",
        Conclusion::NonCompliant => "backup_keep_non_compliant",
    };
    let Some(reported_at) = s.reported_at else {
        return Ok(Err(NotYet::NoConclusion));
    };
    let domain: Domain = s.domain.parse().map_err(AppError::internal)?;
    let kind: PlanKind = db::plans::kind_of(conn, s.plan_id)?
        .parse()
        .map_err(AppError::internal)?;
    let months = db::reference::get_profile(conn, domain, kind)?.and_then(|p| {
        p.profile()
            .get(key)
            .filter(|r| r.unit == RuleUnit::Months)
            .and_then(|r| r.value.as_u64())
            .and_then(|n| u32::try_from(n).ok())
    });
    let Some(months) = months else {
        return Ok(Err(NotYet::NoRule(key)));
    };
    Ok(Ok(retention::keep_until(
        local_date(reported_at),
        months,
        s.production_date,
        s.shelf_life.as_deref(),
    )))
}

/// The refusal to discard a backup portion that case `id` still needs.
fn held_by(id: i64, report_no: &str, status: &str) -> AppError {
    if status.parse::<CaseStatus>() == Ok(CaseStatus::Open) {
        AppError::Conflict(Msg::new(
            format!(
                "该样品的核查处置案件 #{id}（报告 {report_no}）尚未结案，复检备份样品须保留至结案后方可处理"
            ),
            format!(
                "The sample's disposal case #{id} (report {report_no}) is still open: the backup portion must be kept until the case is closed"
            ),
        ))
    } else {
        AppError::Conflict(Msg::new(
            format!(
                "该样品的核查处置案件 #{id}（报告 {report_no}）的复检尚未完成，复检备份样品须保留"
            ),
            format!(
                "A re-examination in the sample's disposal case #{id} (report {report_no}) is still pending: the backup portion must be kept for it"
            ),
        ))
    }
}

fn snapshot(r: &RetentionRow) -> serde_json::Value {
    serde_json::json!({ "place": r.place, "keep_until": r.keep_until, "version": r.version })
}

/// The custodian records (or moves) where the backup portion of a received sample is
/// kept. Samples without a backup portion (risk monitoring) are refused (409). The
/// keep-until date is set at once if the sample is concluded, else at approval. Every
/// move is audited with the place before and after.
pub fn set_place(cx: &mut Ctx, sample_no: &str, input: RetentionInput) -> AppResult<Retention> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Custodian])?;
    let recorder = actor.id.ok_or_else(AppError::forbidden)?;
    let place = clean_text(&input.place, 200, true)
        .and_then(|p| {
            if p.chars().any(char::is_control) {
                Err(Msg::new("不能包含换行或制表符", "must be one line"))
            } else {
                Ok(p)
            }
        })
        .map_err(|m| AppError::field("place", m))?;
    let s = visible_row(conn, actor, sample_no)?;
    if s.backup_quantity.is_none() {
        return Err(AppError::Conflict(Msg::new(
            "该样品没有复检备份样品（如风险监测），无需留样",
            "This sample has no backup portion (e.g. risk monitoring): there is nothing to retain",
        )));
    }
    let status = s.status()?;
    if matches!(status, SampleStatus::Registered | SampleStatus::Rejected) {
        return Err(AppError::Conflict(Msg::new(
            format!(
                "样品状态为“{}”，实验室未接收，不能登记留样",
                status.label_zh()
            ),
            format!(
                "The sample is {}: the lab has not received it, so its backup portion cannot be recorded",
                status.as_str()
            ),
        )));
    }
    write_tx(conn, |conn| {
        let existing = load(conn, s.id)?;
        if let Some(row) = &existing {
            if row.discarded_at.is_some() {
                return Err(already_discarded(row));
            }
            if input.version.is_some_and(|v| v != row.version) {
                return Err(AppError::stale());
            }
        }
        // A date already set stays as it was set at the conclusion: moving the
        // portion does not re-read a rule profile edited since.
        let keep_until = match existing.as_ref().and_then(|r| r.keep_until) {
            Some(d) => Some(d),
            None => {
                let fresh = visible_row(conn, actor, &s.sample_no)?;
                keep_until_of(conn, &fresh)?.ok()
            }
        };
        match &existing {
            Some(row) => {
                let n = db::retention::move_place(
                    conn,
                    s.id,
                    row.version,
                    &place,
                    keep_until,
                    recorder,
                    now,
                )?;
                AppError::stale_unless(n)?;
            }
            None => {
                db::retention::insert(conn, s.id, &place, keep_until, recorder, now)?;
            }
        }
        let row = load(conn, s.id)?.ok_or_else(no_retention)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "retention.place_set",
                entity_kind: "sample",
                entity_id: s.sample_no.clone(),
                before: existing.as_ref().map(snapshot),
                after: Some(snapshot(&row)),
                reason: None,
            },
        )?;
        Ok(row.to_retention(&s.sample_no))
    })
}

/// The retention of a sample the actor may see; 404 if none was recorded.
pub fn get(conn: &mut DbConnection, actor: &Actor, sample_no: &str) -> AppResult<Retention> {
    let s = visible_row(conn, actor, sample_no)?;
    let row = load(conn, s.id)?.ok_or_else(no_retention)?;
    Ok(row.to_retention(&s.sample_no))
}

/// Sets the keep-until date of a sample's recorded backup portion from its conclusion,
/// when it changed (at approval). Runs inside the caller's transaction and audits the
/// change there; does nothing when no place is recorded, the portion is discarded or
/// the date cannot be known yet.
pub fn refresh_keep_until(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_id: i64,
) -> AppResult<()> {
    let Some(row) = load(conn, sample_id)? else {
        return Ok(());
    };
    if row.discarded_at.is_some() {
        return Ok(());
    }
    let s = db::samples::by_id(conn, sample_id)?;
    let Ok(keep_until) = keep_until_of(conn, &s)? else {
        return Ok(());
    };
    if row.keep_until == Some(keep_until) {
        return Ok(());
    }
    let n = db::retention::set_keep_until(conn, sample_id, row.version, keep_until)?;
    AppError::stale_unless(n)?;
    audit::append(
        conn,
        now,
        actor,
        Change {
            action: "retention.keep_until_set",
            entity_kind: "sample",
            entity_id: s.sample_no.clone(),
            before: Some(serde_json::json!({ "keep_until": row.keep_until })),
            after: Some(
                serde_json::json!({ "keep_until": keep_until, "conclusion": s.conclusion }),
            ),
            reason: None,
        },
    )
}

/// The custodian discards a backup portion, with a reason. Refused (409) before its
/// keep-until date, which the message names, while that date is not known (no
/// conclusion yet), and while a disposal case of the sample is open or has a pending
/// re-examination (the message names the case); a discard is final.
pub fn discard(cx: &mut Ctx, sample_no: &str, reason: String) -> AppResult<Retention> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Custodian])?;
    let by = actor.id.ok_or_else(AppError::forbidden)?;
    let reason = clean_text(&reason, 1000, true).map_err(|m| AppError::field("reason", m))?;
    let s = visible_row(conn, actor, sample_no)?;
    write_tx(conn, |conn| {
        let row = load(conn, s.id)?.ok_or_else(no_retention)?;
        if row.discarded_at.is_some() {
            return Err(already_discarded(&row));
        }
        let keep_until = match row.keep_until {
            Some(d) => d,
            None => {
                let fresh = visible_row(conn, actor, &s.sample_no)?;
                keep_until_of(conn, &fresh)?.map_err(|why| why.refusal())?
            }
        };
        if let Some((id, report_no, status)) = db::retention::holding_case(conn, s.id)? {
            return Err(held_by(id, &report_no, &status));
        }
        let today = local_date(now);
        if today < keep_until {
            return Err(AppError::Conflict(Msg::new(
                format!("留样须保存至{keep_until}，此前不能处理"),
                format!(
                    "The backup portion must be kept until {keep_until}; it cannot be discarded before then"
                ),
            )));
        }
        let n = db::retention::discard(conn, s.id, row.version, keep_until, by, &reason, now)?;
        AppError::stale_unless(n)?;
        let after = load(conn, s.id)?.ok_or_else(no_retention)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "retention.discard",
                entity_kind: "sample",
                entity_id: s.sample_no.clone(),
                before: Some(snapshot(&row)),
                after: Some(serde_json::json!({
                    "place": after.place, "keep_until": after.keep_until, "discarded": true, "version": after.version,
                })),
                reason: Some(&reason),
            },
        )?;
        Ok(after.to_retention(&s.sample_no))
    })
}

/// Backup portions still kept whose keep-until date falls within `within_days` from
/// today (or has passed): what may be discarded, soonest first, in the actor's scope.
/// A sample whose disposal case still needs its backup portion ([`HELD_BY_CASE`]) is
/// left out until the case lets it go.
pub fn discardable(cx: &mut Ctx, within_days: i64) -> AppResult<Vec<RetentionLine>> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Custodian, Role::Supervisor, Role::Admin])?;
    if !(0..=366).contains(&within_days) {
        return Err(AppError::field(
            "within_days",
            Msg::new("应为0至366天", "must be from 0 to 366 days"),
        ));
    }
    let until = add_calendar_days(local_date(now), within_days);
    let rows = db::retention::discardable(conn, until, actor.region.as_ref())?;
    Ok(rows
        .into_iter()
        .map(|(r, sample_no, product_name, conclusion)| RetentionLine {
            sample_no,
            product_name,
            conclusion,
            place: r.place,
            keep_until: r.keep_until,
            recorded_at: to_local(r.recorded_at),
            discarded_at: r.discarded_at.map(to_local),
            discard_reason: r.discard_reason,
            version: r.version,
        })
        .collect())
}
