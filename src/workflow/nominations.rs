//! 你点我检 (SPEC §8, rules.md §a.1): residents nominate a product to test without an
//! account and follow it by a tracking code; supervisors accept it into a public_request
//! plan, merge duplicates or decline with a reason, and link the samples taken for it,
//! whose results the public sees once published. A resident's contact is for the
//! supervisors only (not admins); no public answer carries it or any staff name.
//! Public input cannot bury a real nomination: the triage list pages through every one
//! in SQL with filters, supervisors mark spam in bulk, and supports are counted per
//! client address and nomination per day in the database.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    nomination_samples, nomination_spam, nomination_supports, nominations, plans, regions, samples,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::nomination::{parse_tracking_code, valid_contact, NominationStatus};
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::intake::{local_date, to_local};
use crate::workflow::reports::{public_results_of, PublicResult};
use crate::workflow::{clean_text, Actor};

pub use crate::forms::{NominationInput, CONTACT_MAX, PLACE_MAX, PRODUCT_MAX, REASON_MAX};

/// What the public sees of a nomination: no contact, no staff names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicNomination {
    pub tracking_code: String,
    /// received | accepted | sampled | declined | merged
    pub status: String,
    pub status_text: String,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub submitted_on: NaiveDate,
    pub supports: i32,
    /// The reason given when declined, or the note of the decision.
    pub decision_note: Option<String>,
    /// The nomination this one was merged into.
    pub merged_into: Option<String>,
    /// The published results of the samples taken for it.
    pub results: Vec<PublicResult>,
}

/// A nomination as supervisors see it, with the contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Nomination {
    pub id: i64,
    pub tracking_code: String,
    pub status: String,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub reason: String,
    pub contact: Option<String>,
    pub plan_id: Option<i64>,
    pub merged_into: Option<i64>,
    pub decision_note: Option<String>,
    pub supports: i32,
    #[schema(value_type = String)]
    pub submitted_at: chrono::DateTime<chrono::FixedOffset>,
    /// The samples taken for it.
    pub sample_nos: Vec<String>,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = nominations)]
struct Row {
    id: i64,
    tracking_code: String,
    product: String,
    place: String,
    region_code: Option<String>,
    reason: String,
    contact: Option<String>,
    status: String,
    plan_id: Option<i64>,
    merged_into: Option<i64>,
    decision_note: Option<String>,
    supports: i32,
    submitted_at: NaiveDateTime,
    version: i32,
}

fn status_of(row: &Row) -> AppResult<NominationStatus> {
    row.status.parse().map_err(AppError::internal)
}

fn not_found() -> AppError {
    AppError::not_found("点检建议", "Nomination")
}

fn by_code(conn: &mut DbConnection, code: &str) -> AppResult<Row> {
    let code = parse_tracking_code(code).ok_or_else(not_found)?;
    nominations::table
        .filter(nominations::tracking_code.eq(code))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

fn sample_ids(conn: &mut DbConnection, id: i64) -> AppResult<Vec<i64>> {
    Ok(nomination_samples::table
        .filter(nomination_samples::nomination_id.eq(id))
        .select(nomination_samples::sample_id)
        .load(conn)?)
}

fn public_view(conn: &mut DbConnection, row: Row) -> AppResult<PublicNomination> {
    let status = status_of(&row)?;
    let region_name = match &row.region_code {
        Some(code) => regions::table
            .find(code)
            .select(regions::name_zh)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let merged_into = match row.merged_into {
        Some(id) => nominations::table
            .find(id)
            .select(nominations::tracking_code)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let ids = sample_ids(conn, row.id)?;
    Ok(PublicNomination {
        tracking_code: row.tracking_code,
        status: status.as_str().to_string(),
        status_text: status.label_zh().to_string(),
        product: row.product,
        place: row.place,
        region_code: row.region_code,
        region_name,
        submitted_on: local_date(row.submitted_at),
        supports: row.supports,
        decision_note: row.decision_note,
        merged_into,
        results: public_results_of(conn, &ids)?,
    })
}

/// The checked fields of a submission, every problem at once.
fn checked(conn: &mut DbConnection, input: &NominationInput) -> AppResult<NominationInput> {
    let mut errors = FieldErrors::new();
    let mut text =
        |name: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(t) => t,
            Err(m) => {
                errors.insert(name.to_string(), m);
                String::new()
            }
        };
    let product = text("product", &input.product, PRODUCT_MAX, true);
    let place = text("place", &input.place, PLACE_MAX, true);
    let reason = text("reason", &input.reason, REASON_MAX, false);
    let contact = text(
        "contact",
        input.contact.as_deref().unwrap_or(""),
        CONTACT_MAX,
        false,
    );
    if !contact.is_empty() && !valid_contact(&contact) && !errors.contains_key("contact") {
        errors.insert(
            "contact".to_string(),
            Msg::new(
                "联系方式应为手机号码或电子邮箱",
                "must be a mobile number or an e-mail address",
            ),
        );
    }
    let region = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if let Some(r) = &region {
        let known = RegionCode::parse(r).is_ok()
            && regions::table.find(r).count().get_result::<i64>(conn)? > 0;
        if !known {
            errors.insert(
                "region_code".to_string(),
                Msg::new("行政区划不存在", "is not a known region"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(NominationInput {
        product,
        place,
        reason,
        region_code: region,
        contact: (!contact.is_empty()).then_some(contact),
    })
}

/// A resident submits a nomination (no account). `code` is a fresh tracking code from
/// `domain::nomination::tracking_code`; the answer carries it for the resident to keep.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    input: &NominationInput,
) -> AppResult<PublicNomination> {
    let i = checked(conn, input)?;
    write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(nominations::table)
            .values((
                nominations::tracking_code.eq(code),
                nominations::product.eq(&i.product),
                nominations::place.eq(&i.place),
                nominations::region_code.eq(&i.region_code),
                nominations::reason.eq(&i.reason),
                nominations::contact.eq(&i.contact),
                nominations::status.eq(NominationStatus::Received.as_str()),
                nominations::supports.eq(0),
                nominations::submitted_at.eq(now),
                nominations::updated_at.eq(now),
            ))
            .returning(nominations::id)
            .get_result(conn)?;
        audit::append(
            conn,
            now,
            &public_actor(),
            Change {
                action: "nomination.submit",
                entity_kind: "nomination",
                entity_id: id.to_string(),
                before: None,
                // The contact stays out of the audit trail's readable fields.
                after: Some(serde_json::json!({
                    "tracking_code": code, "product": i.product, "place": i.place,
                    "region_code": i.region_code, "reason": i.reason,
                    "contact_given": i.contact.is_some(),
                })),
                reason: None,
            },
        )?;
        let row = nominations::table
            .find(id)
            .select(Row::as_select())
            .first(conn)?;
        public_view(conn, row)
    })
}

/// The actor recorded for what residents do without an account.
fn public_actor() -> Actor {
    Actor {
        id: None,
        username: "public".to_string(),
        display_name: "public".to_string(),
        roles: Default::default(),
        region: None,
    }
}

/// The public tracking page of one nomination.
pub fn track(conn: &mut DbConnection, code: &str) -> AppResult<PublicNomination> {
    let row = by_code(conn, code)?;
    public_view(conn, row)
}

/// The nominations residents can still support, most supported first (at most 200).
pub fn open_for_support(conn: &mut DbConnection) -> AppResult<Vec<PublicNomination>> {
    let rows: Vec<Row> = nominations::table
        .filter(nominations::status.eq_any(["received", "accepted", "sampled"]))
        .order((nominations::supports.desc(), nominations::id.desc()))
        .limit(200)
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| public_view(conn, r)).collect()
}

/// How many supports one client address may give one nomination in a day (Asia/Shanghai):
/// a household or an office shares an address, a script on one address gets no further.
pub const SUPPORTS_PER_ADDRESS_PER_DAY: i32 = 5;

/// A resident supports a nomination; one device counts once (`device` is the hash of the
/// device's identifier, which the server issued). At most
/// [`SUPPORTS_PER_ADDRESS_PER_DAY`] supports a day from one client address (`client`,
/// a keyed hash of it) for one nomination (429 beyond), counted in the database so the
/// limit holds across instances. Answers the nomination and whether this support was new.
pub fn support(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    device: &str,
    client: &str,
) -> AppResult<(PublicNomination, bool)> {
    let row = by_code(conn, code)?;
    if !status_of(&row)?.open_for_support() {
        return Err(AppError::Conflict(Msg::new(
            "该建议已办结，不再接受支持",
            "This nomination is closed to support",
        )));
    }
    write_tx(conn, |conn| {
        let day = local_date(now);
        if count_support(conn, row.id, client, day)? > SUPPORTS_PER_ADDRESS_PER_DAY {
            // The count rolls back with the refusal.
            return Err(AppError::RateLimited(Msg::new(
                format!(
                    "同一网络地址每天对同一建议最多支持 {SUPPORTS_PER_ADDRESS_PER_DAY} 次，请明天再试"
                ),
                format!(
                    "One network address may support a nomination at most {SUPPORTS_PER_ADDRESS_PER_DAY} times a day; try again tomorrow"
                ),
            )));
        }
        let new = add_support(conn, row.id, device, now)?;
        if new {
            diesel::update(nominations::table.find(row.id))
                .set(nominations::supports.eq(nominations::supports + 1))
                .execute(conn)?;
        }
        let fresh = nominations::table
            .find(row.id)
            .select(Row::as_select())
            .first(conn)?;
        Ok((public_view(conn, fresh)?, new))
    })
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    supports: i32,
}

/// Counts one support of `nomination` from `client` on `day` and answers the day's count
/// so far, this one included. One upsert, so parallel supports from one address are
/// each counted (on PostgreSQL the row lock orders them; SQLite writes one at a time).
/// Rows of days before yesterday are dropped, so the table holds two days at most.
fn count_support(
    conn: &mut DbConnection,
    nomination: i64,
    client: &str,
    day: NaiveDate,
) -> AppResult<i32> {
    use crate::db::schema::nomination_support_counts as counts;
    diesel::delete(counts::table.filter(counts::day.lt(day - chrono::Duration::days(1))))
        .execute(conn)?;
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO nomination_support_counts (nomination_id, client_hash, day, supports) VALUES (?, ?, ?, 1) \
             ON CONFLICT (nomination_id, client_hash, day) DO UPDATE SET supports = nomination_support_counts.supports + 1 \
             RETURNING supports"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO nomination_support_counts (nomination_id, client_hash, day, supports) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (nomination_id, client_hash, day) DO UPDATE SET supports = nomination_support_counts.supports + 1 \
             RETURNING supports"
        }
    };
    let c: Counted = diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(nomination)
        .bind::<diesel::sql_types::Text, _>(client)
        .bind::<diesel::sql_types::Date, _>(day)
        .get_result(conn)?;
    Ok(c.supports)
}

/// Records one device's support unless it is there already; true when it was new.
/// `INSERT … ON CONFLICT DO NOTHING`, so two taps at once from one device count once on
/// both databases (diesel's upsert is not offered over the two-backend connection).
fn add_support(
    conn: &mut DbConnection,
    nomination: i64,
    device: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO nomination_supports (nomination_id, device_hash, supported_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO nomination_supports (nomination_id, device_hash, supported_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        }
    };
    let n = diesel::sql_query(sql)
        .bind::<diesel::sql_types::BigInt, _>(nomination)
        .bind::<diesel::sql_types::Text, _>(device)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(conn)?;
    Ok(n == 1)
}

// ---------------------------------------------------------------- supervisors

/// `GET /api/v1/nominations` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct NominationFilter {
    /// received | accepted | sampled | declined | merged
    pub status: Option<String>,
    /// A region code: nominations naming this region or one inside it.
    pub region: Option<String>,
    /// `true`: only the nominations marked as spam; otherwise they are left out.
    pub spam: Option<bool>,
}

fn visible(actor: &Actor, row: &Row) -> bool {
    match (&actor.region, &row.region_code) {
        (None, _) => true,
        // A nomination without a region is for the provincial bureau to triage, and any
        // supervisor may see it.
        (Some(_), None) => true,
        (Some(scope), Some(code)) => {
            RegionCode::parse(code).is_ok_and(|c| scope_covers(Some(scope), &c))
        }
    }
}

/// Only supervisors read a resident's contact; an admin (who is not also a
/// supervisor) sees the nomination without it.
fn staff_view(conn: &mut DbConnection, actor: &Actor, row: Row) -> AppResult<Nomination> {
    let ids = sample_ids(conn, row.id)?;
    let sample_nos: Vec<String> = samples::table
        .filter(samples::id.eq_any(&ids))
        .order(samples::sample_no.asc())
        .select(samples::sample_no)
        .load(conn)?;
    let contact = if actor.roles.has_any(&[Role::Supervisor]) {
        row.contact
    } else {
        None
    };
    Ok(Nomination {
        id: row.id,
        tracking_code: row.tracking_code,
        status: row.status,
        product: row.product,
        place: row.place,
        region_code: row.region_code,
        reason: row.reason,
        contact,
        plan_id: row.plan_id,
        merged_into: row.merged_into,
        decision_note: row.decision_note,
        supports: row.supports,
        submitted_at: to_local(row.submitted_at),
        sample_nos,
        version: row.version,
    })
}

/// The plans a supervisor may accept nominations into: public-request plans of its own
/// scope (the same rule `decide` enforces), newest first, at most 100, as (id, name).
pub fn acceptable_plans(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<(i64, String)>> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let mut q = plans::table
        .filter(plans::kind.eq("public_request"))
        .into_boxed();
    if let Some(scope) = &actor.region {
        q = q.filter(plans::region_code.like(format!("{}%", scope.like_prefix())));
    }
    Ok(q.order(plans::id.desc())
        .limit(100)
        .select((plans::id, plans::name))
        .load(conn)?)
}

/// The SQL condition "marked as spam" on a `nominations` row.
const IS_SPAM: &str =
    "EXISTS (SELECT 1 FROM nomination_spam s WHERE s.nomination_id = nominations.id)";

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
    use diesel::dsl::{not, sql};
    use diesel::sql_types::Bool;
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
    let spam = f.spam == Some(true);
    let build = || {
        let mut q = nominations::table.into_boxed();
        if let Some(st) = status {
            q = q.filter(nominations::status.eq(st.as_str()));
        }
        if let Some(p) = &scope {
            q = q.filter(
                nominations::region_code
                    .is_null()
                    .or(nominations::region_code.like(p.clone())),
            );
        }
        if let Some(p) = &region {
            q = q.filter(nominations::region_code.like(p.clone()));
        }
        if spam {
            q = q.filter(sql::<Bool>(IS_SPAM));
        } else {
            q = q.filter(not(sql::<Bool>(IS_SPAM)));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<Row> = build()
        .order(nominations::id.desc())
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .select(Row::as_select())
        .load(conn)?;
    let items = rows
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
pub fn mark_spam(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &SpamInput,
) -> AppResult<usize> {
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
        let rows: Vec<Row> = nominations::table
            .filter(nominations::id.eq_any(&ids))
            .select(Row::as_select())
            .load(conn)?;
        for id in &ids {
            let row = rows
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
        for row in &rows {
            let n = diesel::update(
                nominations::table
                    .find(row.id)
                    .filter(nominations::version.eq(row.version)),
            )
            .set((
                nominations::status.eq(NominationStatus::Declined.as_str()),
                nominations::decision_note.eq(Some(SPAM_NOTE)),
                nominations::decided_by.eq(Some(by)),
                nominations::decided_at.eq(Some(now)),
                nominations::version.eq(row.version + 1),
                nominations::updated_at.eq(now),
            ))
            .execute(conn)?;
            if n != 1 {
                return Err(AppError::stale());
            }
            diesel::insert_into(nomination_spam::table)
                .values((
                    nomination_spam::nomination_id.eq(row.id),
                    nomination_spam::marked_by.eq(by),
                    nomination_spam::marked_at.eq(now),
                ))
                .execute(conn)?;
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
        Ok(rows.len())
    })
}

fn visible_row(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Row> {
    actor.require(&[Role::Supervisor])?;
    let row = nominations::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
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

/// What a supervisor does: accept, decline, merge or link a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Decline,
    Merge,
    LinkSample,
}

impl Decision {
    fn action(self) -> &'static str {
        match self {
            Decision::Accept => "nomination.accept",
            Decision::Decline => "nomination.decline",
            Decision::Merge => "nomination.merge",
            Decision::LinkSample => "nomination.link_sample",
        }
    }
}

/// Applies a supervisor's decision; every one is audited.
pub fn decide(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    decision: Decision,
    input: &DecisionInput,
) -> AppResult<Nomination> {
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
    write_tx(conn, |conn| {
        let set_status;
        let (mut plan_id, mut merged_into) = (row.plan_id, row.merged_into);
        let mut detail = serde_json::json!({});
        match decision {
            Decision::Accept => {
                if !status.awaits_decision() {
                    return Err(already());
                }
                let plan = input.plan_id.ok_or_else(|| {
                    AppError::field("plan_id", Msg::new("请选择抽检计划", "choose the plan"))
                })?;
                let found: Option<(String, String)> = plans::table
                    .find(plan)
                    .select((plans::kind, plans::region_code))
                    .first(conn)
                    .optional()?;
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
                match found.as_ref().map(|(k, _)| k.as_str()) {
                    Some("public_request") => {}
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
                set_status = NominationStatus::Accepted;
                detail = serde_json::json!({ "plan_id": plan });
            }
            Decision::Decline => {
                if !status.awaits_decision() {
                    return Err(already());
                }
                set_status = NominationStatus::Declined;
            }
            Decision::Merge => {
                if !status.awaits_decision() {
                    return Err(already());
                }
                let into = input.into_id.ok_or_else(|| {
                    AppError::field(
                        "into_id",
                        Msg::new("请选择相同的建议", "choose the nomination"),
                    )
                })?;
                let target = nominations::table
                    .find(into)
                    .select(Row::as_select())
                    .first(conn)
                    .optional()?
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
                let devices: Vec<String> = nomination_supports::table
                    .filter(nomination_supports::nomination_id.eq(row.id))
                    .select(nomination_supports::device_hash)
                    .load(conn)?;
                let mut moved = 0;
                for d in devices {
                    moved += usize::from(add_support(conn, target.id, &d, now)?);
                }
                // The duplicate itself counts as one more voice for the original.
                let moved = i32::try_from(moved).unwrap_or(i32::MAX).saturating_add(1);
                diesel::update(nominations::table.find(target.id))
                    .set(nominations::supports.eq(nominations::supports + moved))
                    .execute(conn)?;
                merged_into = Some(target.id);
                set_status = NominationStatus::Merged;
                detail = serde_json::json!({ "into": target.tracking_code });
            }
            Decision::LinkSample => {
                if !status.takes_samples() {
                    return Err(AppError::Conflict(Msg::new(
                        "建议采纳后才能关联样品",
                        "Accept the nomination before linking samples",
                    )));
                }
                let no = input.sample_no.as_deref().map(str::trim).unwrap_or("");
                let found: Option<(i64, String)> = samples::table
                    .filter(samples::sample_no.eq(no))
                    .select((samples::id, samples::region_code))
                    .first(conn)
                    .optional()?;
                let (sample_id, region) = found
                    .filter(|(_, r)| {
                        RegionCode::parse(r).is_ok_and(|c| scope_covers(actor.region.as_ref(), &c))
                    })
                    .ok_or_else(|| {
                        AppError::field("sample_no", Msg::new("样品不存在", "no such sample"))
                    })?;
                let linked: i64 = nomination_samples::table
                    .filter(nomination_samples::nomination_id.eq(row.id))
                    .filter(nomination_samples::sample_id.eq(sample_id))
                    .count()
                    .get_result(conn)?;
                if linked == 0 {
                    diesel::insert_into(nomination_samples::table)
                        .values((
                            nomination_samples::nomination_id.eq(row.id),
                            nomination_samples::sample_id.eq(sample_id),
                            nomination_samples::linked_at.eq(now),
                        ))
                        .execute(conn)?;
                }
                set_status = NominationStatus::Sampled;
                detail = serde_json::json!({ "sample_no": no, "region_code": region });
            }
        }
        let keep_note = decision != Decision::LinkSample;
        let n = diesel::update(
            nominations::table
                .find(row.id)
                .filter(nominations::version.eq(row.version)),
        )
        .set((
            nominations::status.eq(set_status.as_str()),
            nominations::plan_id.eq(plan_id),
            nominations::merged_into.eq(merged_into),
            nominations::version.eq(row.version + 1),
            nominations::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        if keep_note {
            diesel::update(nominations::table.find(row.id))
                .set((
                    nominations::decision_note.eq((!note.is_empty()).then_some(&note)),
                    nominations::decided_by.eq(actor.id),
                    nominations::decided_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: decision.action(),
                entity_kind: "nomination",
                entity_id: row.id.to_string(),
                before: Some(serde_json::json!({ "status": status.as_str() })),
                after: Some(serde_json::json!({
                    "status": set_status.as_str(), "note": note, "detail": detail,
                })),
                reason: None,
            },
        )?;
        let fresh = nominations::table
            .find(row.id)
            .select(Row::as_select())
            .first(conn)?;
        staff_view(conn, actor, fresh)
    })
}

// ---------------------------------------------------------------- figures

/// Nominations by month and region (SPEC §7 dashboard): received, accepted (including
/// those since sampled), sampled, and with at least one published result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NominationFigure {
    /// `YYYY-MM` (Asia/Shanghai) of submission.
    pub month: String,
    /// The county named by the resident, or "" when none was.
    pub region_code: String,
    pub received: u64,
    pub accepted: u64,
    pub sampled: u64,
    pub declined: u64,
    pub published: u64,
}

/// `GET /api/v1/stats/nominations?year=` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct FigureFilter {
    pub year: Option<i32>,
}

/// The figures of the nominations the supervisor may see, submitted in `year` (default
/// the current one), one row per month and region, in order.
pub fn figures(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &FigureFilter,
) -> AppResult<Vec<NominationFigure>> {
    use chrono::Datelike;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let year = f.year.unwrap_or_else(|| local_date(now).year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field(
            "year",
            Msg::new("年份应在 2000 至 2100 之间", "must be from 2000 to 2100"),
        ));
    }
    let (from, to) = crate::workflow::reports::year_range(year);
    let rows: Vec<Row> = nominations::table
        .filter(nominations::submitted_at.ge(from))
        .filter(nominations::submitted_at.lt(to))
        .select(Row::as_select())
        .load(conn)?;
    let rows: Vec<Row> = rows.into_iter().filter(|r| visible(actor, r)).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Nominations with a sample whose report is published and valid.
    let mut published = std::collections::HashSet::new();
    for chunk in ids.chunks(5_000) {
        use crate::db::schema::reports;
        let found: Vec<i64> = nomination_samples::table
            .inner_join(reports::table.on(reports::sample_id.eq(nomination_samples::sample_id)))
            .filter(nomination_samples::nomination_id.eq_any(chunk))
            .filter(reports::status.eq("valid"))
            .filter(reports::published_at.is_not_null())
            .select(nomination_samples::nomination_id)
            .load(conn)?;
        published.extend(found);
    }
    let mut out: std::collections::BTreeMap<(String, String), NominationFigure> =
        Default::default();
    for r in &rows {
        let month = local_date(r.submitted_at).format("%Y-%m").to_string();
        let region = r.region_code.clone().unwrap_or_default();
        let e = out
            .entry((month.clone(), region.clone()))
            .or_insert_with(|| NominationFigure {
                month,
                region_code: region,
                ..Default::default()
            });
        e.received += 1;
        match status_of(r)? {
            NominationStatus::Accepted => e.accepted += 1,
            NominationStatus::Sampled => {
                e.accepted += 1;
                e.sampled += 1;
            }
            NominationStatus::Declined => e.declined += 1,
            NominationStatus::Received | NominationStatus::Merged => {}
        }
        if published.contains(&r.id) {
            e.published += 1;
        }
    }
    Ok(out.into_values().collect())
}
