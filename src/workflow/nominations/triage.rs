//! What supervisors do with nominations: the triage list, spam marks in bulk, and the
//! decisions (accept into a plan, decline, merge, link a sample), each audited.

use serde::Deserialize;

use super::{not_found, staff_view, status_of, visible, Nomination, NominationFilter};
use crate::db::nominations::{self as rows, DecisionRow, ListQuery, NominationRow};
use crate::db::{write_tx, DbConnection};
use crate::domain::nomination::NominationStatus;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::domain::rules::PlanKind;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;
use crate::workflow::{clean_text, Actor};

/// The plans a supervisor may accept nominations into: public-request plans of its own
/// scope (the same rule `decide` enforces), newest first, at most 100, as (id, name).
pub fn acceptable_plans(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<(i64, String)>> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    rows::plans_of_kind(conn, PlanKind::PublicRequest.as_str(), scope)
}

/// One page of the nominations in the supervisor's region (and those without one),
/// newest first, with the number of all that match: the filters, the scope and the
/// paging are SQL, so no number of submissions hides an older one.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    f: &NominationFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Nomination>, i64)> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let mut errors = FieldErrors::new();
    let status = match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<NominationStatus>() {
            Ok(st) => Some(st),
            Err(_) => {
                errors.insert(
                    "status".into(),
                    Msg::new("状态无效", "is not a nomination status"),
                );
                None
            }
        },
        None => None,
    };
    let region = crate::workflow::region_filter(f.region.as_deref(), "region", &mut errors)
        .map(|code| format!("{}%", code.like_prefix()));
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let (found, total) = rows::page(
        conn,
        &ListQuery {
            status: status.map(NominationStatus::as_str),
            scope_like: scope,
            region_like: region,
            spam: f.spam == Some(true),
        },
        (page - 1).saturating_mul(per_page),
        per_page,
    )?;
    let items = found
        .into_iter()
        .map(|r| staff_view(conn, actor, r))
        .collect::<AppResult<Vec<_>>>()?;
    Ok((items, total))
}

/// At most this many nominations are marked as spam in one request.
pub const SPAM_BATCH_MAX: usize = 500;

/// `POST /api/v1/nominations/spam`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpamInput {
    /// The nominations to mark (1 to 500), each still awaiting a decision.
    pub ids: Vec<i64>,
}

/// The public note of a nomination marked as spam.
const SPAM_NOTE: &str = "经核实为无效信息，不予受理";

/// A supervisor marks nominations as spam, many at once: each must be visible to it and
/// still awaiting a decision, or nothing is marked (404 / 409 naming it). Each becomes
/// `declined` with a fixed public note, leaves the triage list (see [`list`]'s `spam`)
/// and the public support list, and gets its own audit row; all in one transaction.
pub fn mark_spam(cx: &mut Ctx, input: &SpamInput) -> AppResult<usize> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Supervisor])?;
    let by = actor.id.ok_or_else(AppError::forbidden)?;
    let mut ids = input.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > SPAM_BATCH_MAX {
        return Err(AppError::field(
            "ids",
            Msg::new(
                format!("应选择 1 至 {SPAM_BATCH_MAX} 条建议"),
                format!("must name 1 to {SPAM_BATCH_MAX} nominations"),
            ),
        ));
    }
    write_tx(conn, |conn| {
        let found = rows::by_ids(conn, &ids)?;
        for id in &ids {
            let row = found
                .iter()
                .find(|r| r.id == *id)
                .filter(|r| visible(actor, r))
                .ok_or_else(|| {
                    AppError::NotFound(Msg::new(
                        format!("点检建议 #{id} 不存在"),
                        format!("Nomination #{id} was not found"),
                    ))
                })?;
            let status = status_of(row)?;
            if !status.awaits_decision() {
                return Err(AppError::Conflict(Msg::new(
                    format!(
                        "点检建议 #{id} 已处理（{}），未作任何标记",
                        status.label_zh()
                    ),
                    format!(
                        "Nomination #{id} was already handled ({}); nothing was marked",
                        status.label_en()
                    ),
                )));
            }
        }
        for row in &found {
            let n = rows::mark_spam(
                conn,
                now,
                row.id,
                row.version,
                NominationStatus::Declined.as_str(),
                SPAM_NOTE,
                by,
            )?;
            AppError::stale_unless(n)?;
            audit::append(
                conn,
                now,
                actor,
                Change {
                    action: "nomination.spam",
                    entity_kind: "nomination",
                    entity_id: row.id.to_string(),
                    before: Some(serde_json::json!({ "status": row.status })),
                    after: Some(serde_json::json!({
                        "status": NominationStatus::Declined.as_str(), "spam": true,
                    })),
                    reason: None,
                },
            )?;
        }
        Ok(found.len())
    })
}

/// The nomination `id` if the supervisor may see it, else 404.
fn visible_row(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<NominationRow> {
    actor.require(&[Role::Supervisor])?;
    let row = rows::by_id(conn, id)?.ok_or_else(not_found)?;
    if visible(actor, &row) {
        Ok(row)
    } else {
        Err(not_found())
    }
}

/// A supervisor's decision on a nomination.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// accept: the public_request plan it goes into.
    #[serde(default)]
    pub plan_id: Option<i64>,
    /// merge: the nomination it duplicates.
    #[serde(default)]
    pub into_id: Option<i64>,
    /// decline: the reason, shown publicly; accept and merge: an optional public note.
    #[serde(default)]
    pub note: Option<String>,
    /// link: a sample taken for it.
    #[serde(default)]
    pub sample_no: Option<String>,
}

pub use crate::domain::nomination::Decision;

/// The audit action of a decision.
fn action(decision: Decision) -> &'static str {
    match decision {
        Decision::Accept => "nomination.accept",
        Decision::Decline => "nomination.decline",
        Decision::Merge => "nomination.merge",
        Decision::LinkSample => "nomination.link_sample",
    }
}

/// Applies a supervisor's decision; every one is audited.
pub fn decide(
    cx: &mut Ctx,
    id: i64,
    decision: Decision,
    input: &DecisionInput,
) -> AppResult<Nomination> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    let row = visible_row(conn, actor, id)?;
    let status = status_of(&row)?;
    let note = clean_text(
        input.note.as_deref().unwrap_or(""),
        500,
        decision == Decision::Decline,
    )
    .map_err(|m| AppError::field("note", m))?;
    let already = || {
        AppError::Conflict(Msg::new(
            format!("该建议已处理（{}）", status.label_zh()),
            format!("The nomination was already handled ({})", status.label_en()),
        ))
    };
    // Whether the decision may be taken in this status, and the status it leads to.
    let set_status = status.after(decision).ok_or_else(|| {
        if decision == Decision::LinkSample {
            AppError::Conflict(Msg::new(
                "建议采纳后才能关联样品",
                "Accept the nomination before linking samples",
            ))
        } else {
            already()
        }
    })?;
    write_tx(conn, |conn| {
        let (mut plan_id, mut merged_into) = (row.plan_id, row.merged_into);
        let mut detail = serde_json::json!({});
        match decision {
            Decision::Accept => {
                let plan = input.plan_id.ok_or_else(|| {
                    AppError::field("plan_id", Msg::new("请选择抽检计划", "choose the plan"))
                })?;
                let found = rows::plan_kind_and_region(conn, plan)?;
                if let Some((_, region)) = &found {
                    let inside = RegionCode::parse(region)
                        .is_ok_and(|c| scope_covers(actor.region.as_ref(), &c));
                    if !inside {
                        return Err(AppError::Forbidden(Msg::new(
                            format!("抽检计划的区域（{region}）不在您的管辖范围内，不能将建议列入该计划"),
                            format!(
                                "The plan's region ({region}) is outside your scope: you cannot accept a nomination into it"
                            ),
                        )));
                    }
                }
                match found.as_ref().map(|(k, _)| k.parse::<PlanKind>()) {
                    Some(Ok(PlanKind::PublicRequest)) => {}
                    Some(_) => {
                        return Err(AppError::field(
                            "plan_id",
                            Msg::new(
                                "应选择“你点我检”类计划",
                                "must be a public-request (你点我检) plan",
                            ),
                        ))
                    }
                    None => {
                        return Err(AppError::field(
                            "plan_id",
                            Msg::new("抽检计划不存在", "no such plan"),
                        ))
                    }
                }
                plan_id = Some(plan);
                detail = serde_json::json!({ "plan_id": plan });
            }
            Decision::Decline => {}
            Decision::Merge => {
                let into = input.into_id.ok_or_else(|| {
                    AppError::field(
                        "into_id",
                        Msg::new("请选择相同的建议", "choose the nomination"),
                    )
                })?;
                let target = rows::by_id(conn, into)?
                    .filter(|t| t.id != row.id && visible(actor, t))
                    .ok_or_else(|| {
                        AppError::field(
                            "into_id",
                            Msg::new("要合并到的建议不存在", "no such other nomination"),
                        )
                    })?;
                if !status_of(&target)?.open_for_support() {
                    return Err(AppError::field(
                        "into_id",
                        Msg::new(
                            "只能合并到尚在办理的建议",
                            "must be a nomination still in progress",
                        ),
                    ));
                }
                // Supports carry over, each device once.
                let devices = rows::devices_of(conn, row.id)?;
                let mut moved = 0;
                for d in devices {
                    moved += usize::from(rows::add_support(conn, target.id, &d, now)?);
                }
                // The duplicate itself counts as one more voice for the original.
                let moved = i32::try_from(moved).unwrap_or(i32::MAX).saturating_add(1);
                rows::add_to_supports(conn, target.id, moved)?;
                merged_into = Some(target.id);
                detail = serde_json::json!({ "into": target.tracking_code });
            }
            Decision::LinkSample => {
                let no = input.sample_no.as_deref().map(str::trim).unwrap_or("");
                let found = rows::sample_by_no(conn, no)?;
                let (sample_id, region) = found
                    .filter(|(_, r)| {
                        RegionCode::parse(r).is_ok_and(|c| scope_covers(actor.region.as_ref(), &c))
                    })
                    .ok_or_else(|| {
                        AppError::field("sample_no", Msg::new("样品不存在", "no such sample"))
                    })?;
                rows::link_sample(conn, row.id, sample_id, now)?;
                detail = serde_json::json!({ "sample_no": no, "region_code": region });
            }
        }
        let keep_note = decision != Decision::LinkSample;
        let n = rows::set_decision(
            conn,
            now,
            row.id,
            row.version,
            &DecisionRow {
                status: set_status.as_str(),
                plan_id,
                merged_into,
            },
        )?;
        AppError::stale_unless(n)?;
        if keep_note {
            let kept = (!note.is_empty()).then_some(note.as_str());
            rows::set_note(conn, now, row.id, kept, actor.id)?;
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: action(decision),
                entity_kind: "nomination",
                entity_id: row.id.to_string(),
                before: Some(serde_json::json!({ "status": status.as_str() })),
                after: Some(serde_json::json!({
                    "status": set_status.as_str(), "note": note, "detail": detail,
                })),
                reason: None,
            },
        )?;
        let fresh = rows::by_id(conn, row.id)?.ok_or_else(not_found)?;
        staff_view(conn, actor, fresh)
    })
}
