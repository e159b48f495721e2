//! Nominations' rows (你点我检): the nomination, its supports (one per device, counted
//! per client address and day), the samples linked to it, spam marks, and the lookups
//! of plans, samples, regions and published reports its use cases need. No role or
//! scope is checked here; `workflow::nominations` does that.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{not, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Text, Timestamp};

use crate::db::schema::{
    nomination_samples, nomination_spam, nomination_support_counts as counts, nomination_supports,
    nominations, plans, regions, reports, samples,
};
use crate::db::{placeholders, DbConnection};
use crate::error::AppResult;

/// A stored nomination. `status` is a `domain::nomination::NominationStatus` as text.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = nominations)]
pub struct NominationRow {
    pub id: i64,
    pub tracking_code: String,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub reason: String,
    pub contact: Option<String>,
    pub status: String,
    pub plan_id: Option<i64>,
    pub merged_into: Option<i64>,
    pub decision_note: Option<String>,
    pub supports: i32,
    pub submitted_at: NaiveDateTime,
    pub version: i32,
}

/// The checked fields of a submission.
pub struct NewNomination<'a> {
    pub tracking_code: &'a str,
    pub product: &'a str,
    pub place: &'a str,
    pub region_code: Option<&'a str>,
    pub reason: &'a str,
    pub contact: Option<&'a str>,
    pub status: &'a str,
}

/// Inserts a nomination without supports, submitted at `now`; answers its id.
pub fn insert(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    n: &NewNomination<'_>,
) -> AppResult<i64> {
    Ok(diesel::insert_into(nominations::table)
        .values((
            nominations::tracking_code.eq(n.tracking_code),
            nominations::product.eq(n.product),
            nominations::place.eq(n.place),
            nominations::region_code.eq(n.region_code),
            nominations::reason.eq(n.reason),
            nominations::contact.eq(n.contact),
            nominations::status.eq(n.status),
            nominations::supports.eq(0),
            nominations::submitted_at.eq(now),
            nominations::updated_at.eq(now),
        ))
        .returning(nominations::id)
        .get_result(conn)?)
}

/// The nomination with this id.
pub fn by_id(conn: &mut DbConnection, id: i64) -> AppResult<Option<NominationRow>> {
    Ok(nominations::table
        .find(id)
        .select(NominationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The nominations with these ids.
pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<NominationRow>> {
    Ok(nominations::table
        .filter(nominations::id.eq_any(ids))
        .select(NominationRow::as_select())
        .load(conn)?)
}

/// The nomination with this tracking code (as stored).
pub fn by_code(conn: &mut DbConnection, code: &str) -> AppResult<Option<NominationRow>> {
    Ok(nominations::table
        .filter(nominations::tracking_code.eq(code))
        .select(NominationRow::as_select())
        .first(conn)
        .optional()?)
}

/// The tracking code of the nomination `id`.
pub fn tracking_code_of(conn: &mut DbConnection, id: i64) -> AppResult<Option<String>> {
    Ok(nominations::table
        .find(id)
        .select(nominations::tracking_code)
        .first(conn)
        .optional()?)
}

/// The nominations in one of `statuses`, most supported first, at most `limit`.
pub fn most_supported(
    conn: &mut DbConnection,
    statuses: &[&str],
    limit: i64,
) -> AppResult<Vec<NominationRow>> {
    Ok(nominations::table
        .filter(nominations::status.eq_any(statuses))
        .order((nominations::supports.desc(), nominations::id.desc()))
        .limit(limit)
        .select(NominationRow::as_select())
        .load(conn)?)
}

/// The nominations submitted from `from` (inclusive) to `to` (exclusive).
pub fn submitted_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<NominationRow>> {
    Ok(nominations::table
        .filter(nominations::submitted_at.ge(from))
        .filter(nominations::submitted_at.lt(to))
        .select(NominationRow::as_select())
        .load(conn)?)
}

/// The Chinese name of a region.
pub fn region_name(conn: &mut DbConnection, code: &str) -> AppResult<Option<String>> {
    Ok(regions::table
        .find(code)
        .select(regions::name_zh)
        .first(conn)
        .optional()?)
}

/// The ids of the samples linked to the nomination `id`.
pub fn sample_ids(conn: &mut DbConnection, id: i64) -> AppResult<Vec<i64>> {
    Ok(nomination_samples::table
        .filter(nomination_samples::nomination_id.eq(id))
        .select(nomination_samples::sample_id)
        .load(conn)?)
}

/// The numbers of these samples, in order.
pub fn sample_nos(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<String>> {
    Ok(samples::table
        .filter(samples::id.eq_any(ids))
        .order(samples::sample_no.asc())
        .select(samples::sample_no)
        .load(conn)?)
}

/// The id and region of the sample numbered `no`.
pub fn sample_by_no(conn: &mut DbConnection, no: &str) -> AppResult<Option<(i64, String)>> {
    Ok(samples::table
        .filter(samples::sample_no.eq(no))
        .select((samples::id, samples::region_code))
        .first(conn)
        .optional()?)
}

/// Links a sample to a nomination unless it is linked already.
pub fn link_sample(
    conn: &mut DbConnection,
    nomination: i64,
    sample: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let linked: i64 = nomination_samples::table
        .filter(nomination_samples::nomination_id.eq(nomination))
        .filter(nomination_samples::sample_id.eq(sample))
        .count()
        .get_result(conn)?;
    if linked == 0 {
        diesel::insert_into(nomination_samples::table)
            .values((
                nomination_samples::nomination_id.eq(nomination),
                nomination_samples::sample_id.eq(sample),
                nomination_samples::linked_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The kind and region of the plan `id`.
pub fn plan_kind_and_region(
    conn: &mut DbConnection,
    id: i64,
) -> AppResult<Option<(String, String)>> {
    Ok(plans::table
        .find(id)
        .select((plans::kind, plans::region_code))
        .first(conn)
        .optional()?)
}

/// The plans of `kind` (with `region_like`, a `LIKE` pattern, those of such a region),
/// newest first, at most 100, as (id, name).
pub fn plans_of_kind(
    conn: &mut DbConnection,
    kind: &str,
    region_like: Option<String>,
) -> AppResult<Vec<(i64, String)>> {
    let mut q = plans::table.filter(plans::kind.eq(kind)).into_boxed();
    if let Some(p) = region_like {
        q = q.filter(plans::region_code.like(p));
    }
    Ok(q.order(plans::id.desc())
        .limit(100)
        .select((plans::id, plans::name))
        .load(conn)?)
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    supports: i32,
}

/// Counts one support of `nomination` from `client` on `day` and answers the day's count
/// so far, this one included. One upsert, so parallel supports from one address are
/// each counted (on PostgreSQL the row lock orders them; SQLite writes one at a time).
/// Rows of days before yesterday are dropped, so the table holds two days at most.
pub fn count_support(
    conn: &mut DbConnection,
    nomination: i64,
    client: &str,
    day: NaiveDate,
) -> AppResult<i32> {
    diesel::delete(counts::table.filter(counts::day.lt(day - chrono::Duration::days(1))))
        .execute(conn)?;
    let sql = placeholders(
        conn,
        "INSERT INTO nomination_support_counts (nomination_id, client_hash, day, supports) VALUES (?, ?, ?, 1) \
         ON CONFLICT (nomination_id, client_hash, day) DO UPDATE SET supports = nomination_support_counts.supports + 1 \
         RETURNING supports",
    );
    let c: Counted = diesel::sql_query(sql)
        .bind::<BigInt, _>(nomination)
        .bind::<Text, _>(client)
        .bind::<Date, _>(day)
        .get_result(conn)?;
    Ok(c.supports)
}

/// Records one device's support unless it is there already; true when it was new.
/// `INSERT … ON CONFLICT DO NOTHING`, so two taps at once from one device count once on
/// both databases (diesel's upsert is not offered over the two-backend connection).
pub fn add_support(
    conn: &mut DbConnection,
    nomination: i64,
    device: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let sql = placeholders(
        conn,
        "INSERT INTO nomination_supports (nomination_id, device_hash, supported_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    let n = diesel::sql_query(sql)
        .bind::<BigInt, _>(nomination)
        .bind::<Text, _>(device)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    Ok(n == 1)
}

/// Adds `by` to the nomination's count of supports.
pub fn add_to_supports(conn: &mut DbConnection, id: i64, by: i32) -> AppResult<()> {
    diesel::update(nominations::table.find(id))
        .set(nominations::supports.eq(nominations::supports + by))
        .execute(conn)?;
    Ok(())
}

/// The devices that supported the nomination `id`.
pub fn devices_of(conn: &mut DbConnection, id: i64) -> AppResult<Vec<String>> {
    Ok(nomination_supports::table
        .filter(nomination_supports::nomination_id.eq(id))
        .select(nomination_supports::device_hash)
        .load(conn)?)
}

/// A decision's new state of a nomination.
pub struct DecisionRow<'a> {
    pub status: &'a str,
    pub plan_id: Option<i64>,
    pub merged_into: Option<i64>,
}

/// Writes a decision over the nomination still at `version`; answers the rows changed
/// (0 when the version is stale).
pub fn set_decision(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    id: i64,
    version: i32,
    d: &DecisionRow<'_>,
) -> AppResult<usize> {
    Ok(diesel::update(
        nominations::table
            .find(id)
            .filter(nominations::version.eq(version)),
    )
    .set((
        nominations::status.eq(d.status),
        nominations::plan_id.eq(d.plan_id),
        nominations::merged_into.eq(d.merged_into),
        nominations::version.eq(version + 1),
        nominations::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Records the public note of a decision and who made it, when.
pub fn set_note(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    id: i64,
    note: Option<&str>,
    by: Option<i64>,
) -> AppResult<()> {
    diesel::update(nominations::table.find(id))
        .set((
            nominations::decision_note.eq(note),
            nominations::decided_by.eq(by),
            nominations::decided_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the nomination still at `version` as spam: `status` with the public `note`,
/// decided by `by`, and a row in `nomination_spam`. Answers the rows changed (0 when
/// the version is stale, and then nothing is marked).
pub fn mark_spam(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    id: i64,
    version: i32,
    status: &str,
    note: &str,
    by: i64,
) -> AppResult<usize> {
    let n = diesel::update(
        nominations::table
            .find(id)
            .filter(nominations::version.eq(version)),
    )
    .set((
        nominations::status.eq(status),
        nominations::decision_note.eq(Some(note)),
        nominations::decided_by.eq(Some(by)),
        nominations::decided_at.eq(Some(now)),
        nominations::version.eq(version + 1),
        nominations::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n == 1 {
        diesel::insert_into(nomination_spam::table)
            .values((
                nomination_spam::nomination_id.eq(id),
                nomination_spam::marked_by.eq(by),
                nomination_spam::marked_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

/// The SQL condition "marked as spam" on a `nominations` row.
const IS_SPAM: &str =
    "EXISTS (SELECT 1 FROM nomination_spam s WHERE s.nomination_id = nominations.id)";

/// What the triage list selects; patterns are `LIKE` patterns on region codes.
pub struct ListQuery<'a> {
    pub status: Option<&'a str>,
    /// The actor's scope: nominations of such a region, or of none.
    pub scope_like: Option<String>,
    /// The region asked for: nominations of such a region.
    pub region_like: Option<String>,
    /// Only the nominations marked as spam (otherwise they are left out).
    pub spam: bool,
}

/// One page of the nominations `q` selects, newest first, with the number of all.
pub fn page(
    conn: &mut DbConnection,
    q: &ListQuery<'_>,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<NominationRow>, i64)> {
    let build = || {
        let mut b = nominations::table.into_boxed();
        if let Some(st) = q.status {
            b = b.filter(nominations::status.eq(st.to_string()));
        }
        if let Some(p) = &q.scope_like {
            b = b.filter(
                nominations::region_code
                    .is_null()
                    .or(nominations::region_code.like(p.clone())),
            );
        }
        if let Some(p) = &q.region_like {
            b = b.filter(nominations::region_code.like(p.clone()));
        }
        if q.spam {
            b = b.filter(sql::<Bool>(IS_SPAM));
        } else {
            b = b.filter(not(sql::<Bool>(IS_SPAM)));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order(nominations::id.desc())
        .offset(offset)
        .limit(limit)
        .select(NominationRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Of the nominations `ids`, those with a sample whose report is valid and published.
pub fn with_published_report(conn: &mut DbConnection, ids: &[i64]) -> AppResult<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        let found: Vec<i64> = nomination_samples::table
            .inner_join(reports::table.on(reports::sample_id.eq(nomination_samples::sample_id)))
            .filter(nomination_samples::nomination_id.eq_any(chunk))
            .filter(reports::status.eq("valid"))
            .filter(reports::published_at.is_not_null())
            .select(nomination_samples::nomination_id)
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}
