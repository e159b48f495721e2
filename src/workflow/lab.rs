//! Lab work: assigning tests (with the limit copied as it stands that day), result
//! entry with judgment, review and retest with history, approval by a signatory who
//! reviewed nothing of the sample, the report number, and the sample's timeline.
//! Separation of duties is checked here, so API and pages cannot differ.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{reports, sample_tests, samples, test_attempts, test_items, users};
use crate::db::{write_tx, DbConnection};
use crate::domain::judgment::{read_and_judge, Dec, Judgment, Limit, LimitKind, MicroPlan};
use crate::domain::role::{Role, Roles};
use crate::domain::sample::{conclude, transition, SampleAction, SampleStatus};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, AuditRow, Change};
use crate::workflow::intake::{self, to_local, SampleRow};
use crate::workflow::reference::work_calendar;
use crate::workflow::reports::{Issuer, Report};
use crate::workflow::{clean_text, Actor};

pub use crate::forms::{BulkResultRow, ResultInput, ReviewInput};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = sample_tests)]
pub struct TestRow {
    pub id: i64,
    pub sample_id: i64,
    pub test_item_id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<String>,
    pub limit_max: Option<String>,
    pub unit: String,
    pub lod: Option<String>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub assignee_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub status: String,
    pub attempt: i32,
    pub result_text: Option<String>,
    pub result_value: Option<String>,
    pub result_unit: Option<String>,
    pub result_lod: Option<String>,
    pub judgment: Option<String>,
    pub entered_by: Option<i64>,
    pub entered_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A test as the API shows it (API.md `test`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SampleTest {
    pub id: i64,
    pub sample_no: String,
    pub test_item_id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub limit_min: Option<f64>,
    pub limit_max: Option<f64>,
    pub limit_min_text: Option<String>,
    pub limit_max_text: Option<String>,
    pub unit: String,
    pub lod: Option<f64>,
    pub micro_n: Option<i32>,
    pub micro_c: Option<i32>,
    pub assignee_id: Option<i64>,
    /// assigned | entered | accepted | retest
    pub status: String,
    /// Exactly as the technician wrote it.
    pub result_text: Option<String>,
    pub result_value: Option<f64>,
    pub result_value_text: Option<String>,
    pub result_unit: Option<String>,
    /// pass | fail, once entered.
    pub judgment: Option<String>,
    pub entered_by: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub entered_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub reviewed_by: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub reviewed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub review_note: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub attempt: i32,
    pub version: i32,
}

impl SampleTest {
    /// Whether the test is past its due date today without an accepted result.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status != "accepted" && self.due_on.is_some_and(|d| d < today)
    }
}

fn num(s: &Option<String>) -> Option<f64> {
    s.as_deref().and_then(Dec::parse).map(Dec::to_f64)
}

impl TestRow {
    pub fn to_test(&self, sample_no: &str) -> SampleTest {
        SampleTest {
            id: self.id,
            sample_no: sample_no.to_string(),
            test_item_id: self.test_item_id,
            name: self.name.clone(),
            method_standard: self.method_standard.clone(),
            judgment_standard: self.judgment_standard.clone(),
            limit_kind: self.limit_kind.clone(),
            limit_min: num(&self.limit_min),
            limit_max: num(&self.limit_max),
            limit_min_text: self.limit_min.clone(),
            limit_max_text: self.limit_max.clone(),
            unit: self.unit.clone(),
            lod: num(&self.lod),
            micro_n: self.micro_n,
            micro_c: self.micro_c,
            assignee_id: self.assignee_id,
            status: self.status.clone(),
            result_text: self.result_text.clone(),
            result_value: num(&self.result_value),
            result_value_text: self.result_value.clone(),
            result_unit: self.result_unit.clone(),
            judgment: self.judgment.clone(),
            entered_by: self.entered_by,
            entered_at: self.entered_at.map(to_local),
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at.map(to_local),
            review_note: self.review_note.clone(),
            due_on: self.due_on,
            attempt: self.attempt,
            version: self.version,
        }
    }

    /// The limit as copied on assignment.
    pub fn limit(&self) -> AppResult<Limit> {
        let kind = LimitKind::parse(&self.limit_kind).ok_or_else(|| {
            AppError::internal(format!(
                "test {} has limit kind {}",
                self.id, self.limit_kind
            ))
        })?;
        let dec = |s: &Option<String>| s.as_deref().and_then(Dec::parse);
        let micro = match (self.micro_n, self.micro_c) {
            (Some(n), Some(c)) if n > 0 && c >= 0 => Some(MicroPlan {
                n: u32::try_from(n).unwrap_or(0),
                c: u32::try_from(c).unwrap_or(0),
            }),
            _ => None,
        };
        Ok(Limit {
            kind,
            min: dec(&self.limit_min),
            max: dec(&self.limit_max),
            unit: self.unit.clone(),
            lod: dec(&self.lod),
            micro,
        })
    }
}

fn load_test(conn: &mut DbConnection, id: i64) -> AppResult<TestRow> {
    sample_tests::table
        .find(id)
        .select(TestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("检验任务", "Test"))
}

pub(crate) fn sample_of(conn: &mut DbConnection, sample_id: i64) -> AppResult<SampleRow> {
    Ok(samples::table
        .find(sample_id)
        .select(SampleRow::as_select())
        .first(conn)?)
}

/// A test and its sample, if the actor may see the sample.
fn visible_test(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(TestRow, SampleRow)> {
    let t = load_test(conn, id)?;
    let s = sample_of(conn, t.sample_id)?;
    intake::visible_row(conn, actor, &s.sample_no)
        .map_err(|_| AppError::not_found("检验任务", "Test"))?;
    Ok((t, s))
}

pub(crate) fn tests_of(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<TestRow>> {
    Ok(sample_tests::table
        .filter(sample_tests::sample_id.eq(sample_id))
        .order(sample_tests::id.asc())
        .select(TestRow::as_select())
        .load(conn)?)
}

/// The tests of a sample.
pub fn list_sample_tests(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<Vec<SampleTest>> {
    let s = intake::visible_row(conn, actor, sample_no)?;
    Ok(tests_of(conn, s.id)?
        .iter()
        .map(|t| t.to_test(&s.sample_no))
        .collect())
}

fn is_active_technician(conn: &mut DbConnection, id: i64) -> AppResult<bool> {
    let row: Option<(String, bool)> = users::table
        .find(id)
        .select((users::roles, users::active))
        .first(conn)
        .optional()?;
    Ok(row.is_some_and(|(r, a)| a && Roles::parse_list(&r).is_ok_and(|r| r.has(Role::Technician))))
}

// ---------------------------------------------------------------- assignment

/// One item to assign: which test item, to whom (optional: assign later).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    pub test_item_id: i64,
    #[serde(default)]
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
}

/// `POST /api/v1/samples/{no}/tests`. Without assignments, the category's default
/// items are assigned, to nobody yet.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    #[serde(default)]
    pub assignments: Option<Vec<AssignmentInput>>,
}

/// Assigns tests to a received sample (or adds tests to one in testing). Each test
/// copies the item's method, limit and unit as they stand now: later catalogue edits
/// never change it. The sample moves to `testing`.
pub fn assign(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_no: &str,
    input: AssignInput,
) -> AppResult<Vec<SampleTest>> {
    actor.require(&[Role::Custodian, Role::Reviewer, Role::Admin])?;
    let sample = intake::visible_row(conn, actor, sample_no)?;
    let status = sample.status()?;
    transition(status, SampleAction::Assign).map_err(|_| {
        AppError::Conflict(Msg::new(
            format!("样品状态为“{}”，不能分配检验项目", status.label_zh()),
            format!("A {} sample cannot be assigned tests", status.as_str()),
        ))
    })?;
    let wanted: Vec<AssignmentInput> = match input.assignments {
        Some(list) => list,
        None => test_items::table
            .filter(test_items::category_code.eq(&sample.category_code))
            .filter(test_items::active.eq(true))
            .order(test_items::id.asc())
            .select(test_items::id)
            .load::<i64>(conn)?
            .into_iter()
            .map(|id| AssignmentInput {
                test_item_id: id,
                assignee_id: None,
                due_on: None,
            })
            .collect(),
    };
    let mut f = FieldErrors::new();
    if wanted.is_empty() {
        f.insert(
            "assignments".into(),
            Msg::new("没有可分配的检验项目", "no test items to assign"),
        );
    }
    if wanted.len() > 200 {
        f.insert(
            "assignments".into(),
            Msg::new("一次最多分配200项", "at most 200 items at once"),
        );
    }
    for (i, a) in wanted.iter().enumerate() {
        if let Some(uid) = a.assignee_id {
            if !is_active_technician(conn, uid)? {
                f.insert(
                    format!("assignments[{i}].assignee_id"),
                    Msg::new("不是在职的检验人员", "is not an active technician"),
                );
            }
        }
        if wanted
            .iter()
            .filter(|b| b.test_item_id == a.test_item_id)
            .count()
            > 1
        {
            f.insert(
                format!("assignments[{i}].test_item_id"),
                Msg::new("重复的检验项目", "is listed twice"),
            );
        }
    }
    let items: Vec<crate::workflow::reference::TestItemRow> = test_items::table
        .filter(test_items::id.eq_any(wanted.iter().map(|a| a.test_item_id).collect::<Vec<_>>()))
        .select(crate::workflow::reference::TestItemRow::as_select())
        .load(conn)?;
    for (i, a) in wanted.iter().enumerate() {
        match items.iter().find(|t| t.id == a.test_item_id) {
            None => {
                f.insert(
                    format!("assignments[{i}].test_item_id"),
                    Msg::new("没有这个检验项目", "no such test item"),
                );
            }
            Some(t) if !t.active => {
                f.insert(
                    format!("assignments[{i}].test_item_id"),
                    Msg::new("该检验项目已停用", "is deactivated"),
                );
            }
            _ => {}
        }
    }
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    write_tx(conn, |conn| {
        let fresh = sample_of(conn, sample.id)?;
        if fresh.version != sample.version {
            return Err(AppError::stale());
        }
        let existing: Vec<i64> = sample_tests::table
            .filter(sample_tests::sample_id.eq(sample.id))
            .select(sample_tests::test_item_id)
            .load(conn)?;
        let mut created = Vec::new();
        for a in &wanted {
            if existing.contains(&a.test_item_id) {
                return Err(AppError::Conflict(Msg::new(
                    format!("检验项目 {} 已分配给该样品", a.test_item_id),
                    format!(
                        "Test item {} is already assigned to this sample",
                        a.test_item_id
                    ),
                )));
            }
            let Some(item) = items.iter().find(|t| t.id == a.test_item_id) else {
                continue;
            };
            diesel::insert_into(sample_tests::table)
                .values((
                    sample_tests::sample_id.eq(sample.id),
                    sample_tests::test_item_id.eq(item.id),
                    sample_tests::name.eq(&item.name),
                    sample_tests::method_standard.eq(&item.method_standard),
                    sample_tests::judgment_standard.eq(&item.judgment_standard),
                    sample_tests::limit_kind.eq(&item.limit_kind),
                    sample_tests::limit_min.eq(&item.limit_min),
                    sample_tests::limit_max.eq(&item.limit_max),
                    sample_tests::unit.eq(&item.unit),
                    sample_tests::lod.eq(&item.lod),
                    sample_tests::micro_n.eq(item.micro_n),
                    sample_tests::micro_c.eq(item.micro_c),
                    sample_tests::assignee_id.eq(a.assignee_id),
                    sample_tests::due_on.eq(a.due_on.or(fresh.due_on)),
                    sample_tests::status.eq("assigned"),
                    sample_tests::attempt.eq(1),
                    sample_tests::version.eq(1),
                    sample_tests::created_at.eq(now),
                    sample_tests::updated_at.eq(now),
                ))
                .execute(conn)?;
            let row: TestRow = sample_tests::table
                .filter(sample_tests::sample_id.eq(sample.id))
                .filter(sample_tests::test_item_id.eq(item.id))
                .select(TestRow::as_select())
                .first(conn)?;
            let t = row.to_test(&sample.sample_no);
            audit::append(
                conn,
                now,
                actor,
                Change {
                    action: "test.assign",
                    entity_kind: "test",
                    entity_id: row.id.to_string(),
                    after: Some(serde_json::json!({
                        "sample_no": sample.sample_no, "name": t.name, "limit_kind": t.limit_kind,
                        "limit_min": t.limit_min_text, "limit_max": t.limit_max_text, "unit": t.unit,
                        "method_standard": t.method_standard, "assignee_id": t.assignee_id, "due_on": t.due_on,
                    })),
                    ..Change::default()
                },
            )?;
            created.push(t);
        }
        set_sample_status(
            conn,
            now,
            actor,
            &fresh,
            SampleStatus::Testing,
            "sample.testing",
        )?;
        Ok(created)
    })
}

/// Moves a sample to `to` (checked by the caller against the transition table) and
/// audits the change.
fn set_sample_status(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    s: &SampleRow,
    to: SampleStatus,
    action: &str,
) -> AppResult<()> {
    let from = s.status()?;
    if from == to {
        return Ok(());
    }
    let current: i32 = samples::table
        .find(s.id)
        .select(samples::version)
        .first(conn)?;
    diesel::update(samples::table.find(s.id))
        .set((
            samples::status.eq(to.as_str()),
            samples::version.eq(current + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        now,
        actor,
        Change {
            action,
            entity_kind: "sample",
            entity_id: s.sample_no.clone(),
            before: Some(serde_json::json!({ "status": from.as_str() })),
            after: Some(serde_json::json!({ "status": to.as_str() })),
            reason: None,
        },
    )
}

/// `PATCH /api/v1/tests/{id}`: (re)assign a test to a technician.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestPatch {
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    pub version: i32,
}

pub fn update_test(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    patch: TestPatch,
) -> AppResult<SampleTest> {
    actor.require(&[Role::Custodian, Role::Reviewer, Role::Admin])?;
    let (t, s) = visible_test(conn, actor, id)?;
    if let Some(uid) = patch.assignee_id {
        if !is_active_technician(conn, uid)? {
            return Err(AppError::field(
                "assignee_id",
                Msg::new("不是在职的检验人员", "is not an active technician"),
            ));
        }
    }
    if !matches!(t.status.as_str(), "assigned" | "retest") {
        return Err(AppError::Conflict(Msg::new(
            "结果已录入，不能改派",
            "A result has been entered; the test cannot be reassigned",
        )));
    }
    write_tx(conn, |conn| {
        let n = diesel::update(
            sample_tests::table
                .find(id)
                .filter(sample_tests::version.eq(patch.version)),
        )
        .set((
            sample_tests::assignee_id.eq(patch.assignee_id),
            sample_tests::due_on.eq(patch.due_on.or(t.due_on)),
            sample_tests::version.eq(patch.version + 1),
            sample_tests::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        let after = load_test(conn, id)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "test.reassign",
                entity_kind: "test",
                entity_id: id.to_string(),
                before: Some(
                    serde_json::json!({ "assignee_id": t.assignee_id, "due_on": t.due_on }),
                ),
                after: Some(
                    serde_json::json!({ "assignee_id": after.assignee_id, "due_on": after.due_on }),
                ),
                reason: None,
            },
        )?;
        Ok(after.to_test(&s.sample_no))
    })
}

/// Removes a test that has no result yet.
pub fn remove_test(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    reason: Option<&str>,
) -> AppResult<()> {
    actor.require(&[Role::Custodian, Role::Reviewer, Role::Admin])?;
    let (t, s) = visible_test(conn, actor, id)?;
    if t.status != "assigned" || t.attempt != 1 {
        return Err(AppError::Conflict(Msg::new(
            "已有结果的检验任务不能删除",
            "A test with a result cannot be removed",
        )));
    }
    write_tx(conn, |conn| {
        let n = diesel::delete(
            sample_tests::table
                .find(id)
                .filter(sample_tests::version.eq(t.version)),
        )
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "test.remove",
                entity_kind: "test",
                entity_id: id.to_string(),
                before: Some(serde_json::json!({ "sample_no": s.sample_no, "name": t.name })),
                reason,
                ..Change::default()
            },
        )?;
        maybe_to_review(conn, now, actor, &s)
    })
}

// ---------------------------------------------------------------- worklist

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TestFilter {
    /// A user id, or `me`.
    pub assignee: Option<String>,
    pub status: Option<String>,
    pub sample_no: Option<String>,
}

/// Tests the actor may see, due first (overdue at the top), newest samples last.
pub fn list_tests(
    conn: &mut DbConnection,
    actor: &Actor,
    f: &TestFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<SampleTest>, i64)> {
    let assignee = match f.assignee.as_deref() {
        Some("me") => Some(actor.id.ok_or_else(AppError::forbidden)?),
        Some(s) if !s.is_empty() => Some(s.parse::<i64>().map_err(|_| {
            AppError::field(
                "assignee",
                Msg::new("应为用户编号或 me", "must be a user id or me"),
            )
        })?),
        _ => None,
    };
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        if !["assigned", "entered", "accepted", "retest", "open"].contains(&s) {
            return Err(AppError::field(
                "status",
                Msg::new(
                    "状态无效",
                    "must be assigned, entered, accepted, retest or open",
                ),
            ));
        }
    }
    let scope = actor
        .region
        .as_ref()
        .map(|r| format!("{}%", r.like_prefix()));
    let build = || {
        let mut q = sample_tests::table.inner_join(samples::table).into_boxed();
        if let Some(a) = assignee {
            q = q.filter(sample_tests::assignee_id.eq(a));
        }
        match f.status.as_deref().filter(|s| !s.is_empty()) {
            Some("open") => q = q.filter(sample_tests::status.eq_any(["assigned", "retest"])),
            Some(s) => q = q.filter(sample_tests::status.eq(s.to_string())),
            None => {}
        }
        if let Some(no) = f.sample_no.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(samples::sample_no.eq(no.to_string()));
        }
        if let Some(p) = &scope {
            q = q.filter(samples::region_code.like(p.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<(TestRow, String)> = build()
        .order((
            sample_tests::due_on.is_null(),
            sample_tests::due_on.asc(),
            sample_tests::id.asc(),
        ))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select((TestRow::as_select(), samples::sample_no))
        .load(conn)?;
    Ok((rows.iter().map(|(t, no)| t.to_test(no)).collect(), total))
}

// ---------------------------------------------------------------- results

/// A result that passed its checks, ready to store.
struct CheckedResult {
    value: Option<Dec>,
    judgment: Judgment,
    unit: Option<String>,
    lod: Option<Dec>,
}

/// Checks a result against the test's copied limit: the parsed value and judgment, or
/// the field messages.
fn check_result(
    t: &TestRow,
    text: &str,
    unit: Option<&str>,
    lod: Option<&str>,
) -> Result<CheckedResult, FieldErrors> {
    let mut f = FieldErrors::new();
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if u.chars().count() > 20 || u.chars().any(char::is_control) => {
            f.insert("unit".into(), Msg::new("单位无效", "is not a unit"));
            None
        }
        other => other.map(str::to_string),
    };
    let lod = match lod.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => match Dec::parse(l).filter(|d| !d.is_negative()) {
            Some(d) => Some(d),
            None => {
                f.insert(
                    "lod".into(),
                    Msg::new("检出限应为非负数", "must be a number ≥ 0"),
                );
                None
            }
        },
        None => None,
    };
    if !f.is_empty() {
        return Err(f);
    }
    let limit = match t.limit() {
        Ok(l) => l,
        Err(_) => {
            f.insert(
                "result_text".into(),
                Msg::new("该检验项目的限量不完整", "this test's limit is incomplete"),
            );
            return Err(f);
        }
    };
    match read_and_judge(text, unit.as_deref(), lod, &limit) {
        Ok((parsed, judgment)) => Ok(CheckedResult {
            value: parsed.number,
            judgment,
            unit,
            lod,
        }),
        Err(e) => {
            let field = match e {
                crate::domain::judgment::ResultError::Unit { .. } => "unit",
                _ => "result_text",
            };
            f.insert(field.into(), Msg::new(e.message_zh(), e.to_string()));
            Err(f)
        }
    }
}

/// Writes one checked result inside a transaction.
#[allow(clippy::too_many_arguments)]
fn write_result(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    t: &TestRow,
    sample_no: &str,
    text: &str,
    checked: CheckedResult,
    version: i32,
) -> AppResult<TestRow> {
    let CheckedResult {
        value,
        judgment,
        unit,
        lod,
    } = checked;
    let n = diesel::update(
        sample_tests::table
            .find(t.id)
            .filter(sample_tests::version.eq(version))
            .filter(sample_tests::status.eq_any(["assigned", "retest", "entered"])),
    )
    .set((
        sample_tests::status.eq("entered"),
        sample_tests::result_text.eq(Some(text)),
        sample_tests::result_value.eq(value.map(|v| v.to_string())),
        sample_tests::result_unit.eq(unit.clone().or(Some(t.unit.clone()))),
        sample_tests::result_lod.eq(lod.map(|l| l.to_string())),
        sample_tests::judgment.eq(Some(judgment.as_str())),
        sample_tests::entered_by.eq(actor.id),
        sample_tests::entered_at.eq(Some(now)),
        sample_tests::version.eq(version + 1),
        sample_tests::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(AppError::stale());
    }
    let after = load_test(conn, t.id)?;
    audit::append(
        conn,
        now,
        actor,
        Change {
            action: "test.result",
            entity_kind: "test",
            entity_id: t.id.to_string(),
            before: Some(serde_json::json!({
                "status": t.status, "result_text": t.result_text, "judgment": t.judgment, "attempt": t.attempt,
            })),
            after: Some(serde_json::json!({
                "sample_no": sample_no, "status": "entered", "result_text": text, "result_value": after.result_value,
                "unit": after.result_unit, "lod": after.result_lod, "judgment": judgment.as_str(), "attempt": after.attempt,
            })),
            reason: None,
        },
    )?;
    Ok(after)
}

/// The test's assignee may enter (or correct, until it is reviewed) its result.
fn check_can_enter(actor: &Actor, t: &TestRow) -> AppResult<()> {
    actor.require(&[Role::Technician])?;
    if t.assignee_id.is_none() || t.assignee_id != actor.id {
        return Err(AppError::Forbidden(Msg::new(
            "该检验任务没有分配给您",
            "This test is not assigned to you",
        )));
    }
    if t.status == "accepted" {
        return Err(AppError::Conflict(Msg::new(
            "结果已审核通过，不能修改",
            "The result was accepted and can no longer change",
        )));
    }
    Ok(())
}

/// When every test of a sample has a result, the sample goes to review.
fn maybe_to_review(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    s: &SampleRow,
) -> AppResult<()> {
    let fresh = sample_of(conn, s.id)?;
    let tests = tests_of(conn, s.id)?;
    let all_entered = !tests.is_empty()
        && tests
            .iter()
            .all(|t| matches!(t.status.as_str(), "entered" | "accepted"));
    if fresh.status()? == SampleStatus::Testing && all_entered {
        set_sample_status(
            conn,
            now,
            actor,
            &fresh,
            SampleStatus::Review,
            "sample.review",
        )?;
    }
    Ok(())
}

/// The assignee enters a result. The text is kept exactly; the judgment comes from
/// the copied limit. A stale version is a conflict.
pub fn enter_result(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: ResultInput,
) -> AppResult<SampleTest> {
    let (t, s) = visible_test(conn, actor, id)?;
    check_can_enter(actor, &t)?;
    if input.result_text.chars().count() > 200 {
        return Err(AppError::field(
            "result_text",
            Msg::new(
                "结果过长（最多200个字符）",
                "is too long (at most 200 characters)",
            ),
        ));
    }
    let lod = input
        .lod
        .as_ref()
        .map(crate::workflow::intake::QuantityValue::text);
    let checked = check_result(
        &t,
        &input.result_text,
        input.unit.as_deref(),
        lod.as_deref(),
    )
    .map_err(AppError::invalid)?;
    write_tx(conn, |conn| {
        let after = write_result(
            conn,
            now,
            actor,
            &t,
            &s.sample_no,
            &input.result_text,
            checked,
            input.version,
        )?;
        maybe_to_review(conn, now, actor, &s)?;
        Ok(after.to_test(&s.sample_no))
    })
}

/// Many results in one save (the worklist page): all are checked first; if any is
/// refused nothing is written, and each refusal is named `results[i].field`.
pub fn enter_results(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    rows: Vec<BulkResultRow>,
) -> AppResult<Vec<SampleTest>> {
    actor.require(&[Role::Technician])?;
    if rows.is_empty() || rows.len() > 2000 {
        return Err(AppError::field(
            "results",
            Msg::new("应提交1至2000条结果", "must hold 1 to 2000 results"),
        ));
    }
    let mut f = FieldErrors::new();
    let mut checked = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (t, s) = match visible_test(conn, actor, r.test_id) {
            Ok(x) => x,
            Err(e) => {
                f.insert(format!("results[{i}].test_id"), e.message());
                continue;
            }
        };
        if let Err(e) = check_can_enter(actor, &t) {
            f.insert(format!("results[{i}].test_id"), e.message());
            continue;
        }
        if r.result_text.chars().count() > 200 {
            f.insert(
                format!("results[{i}].result_text"),
                Msg::new(
                    "结果过长（最多200个字符）",
                    "is too long (at most 200 characters)",
                ),
            );
            continue;
        }
        let lod = r
            .lod
            .as_ref()
            .map(crate::workflow::intake::QuantityValue::text);
        match check_result(&t, &r.result_text, r.unit.as_deref(), lod.as_deref()) {
            Ok(c) => checked.push((t, s, r, c)),
            Err(errs) => {
                for (k, m) in errs {
                    f.insert(format!("results[{i}].{k}"), m);
                }
            }
        }
    }
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    write_tx(conn, |conn| {
        let mut out = Vec::new();
        let mut samples_touched: Vec<SampleRow> = Vec::new();
        for (t, s, r, c) in checked {
            let after = write_result(
                conn,
                now,
                actor,
                &t,
                &s.sample_no,
                &r.result_text,
                c,
                r.version,
            )?;
            out.push(after.to_test(&s.sample_no));
            if !samples_touched.iter().any(|x| x.id == s.id) {
                samples_touched.push(s);
            }
        }
        for s in &samples_touched {
            maybe_to_review(conn, now, actor, s)?;
        }
        Ok(out)
    })
}

// ---------------------------------------------------------------- review

/// A reviewer, never the person who entered the result, accepts it or sends it back
/// for retest with a reason. A retest keeps the earlier result in history.
pub fn review(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: ReviewInput,
) -> AppResult<SampleTest> {
    actor.require(&[Role::Reviewer])?;
    let (t, s) = visible_test(conn, actor, id)?;
    let note = clean_text(input.note.as_deref().unwrap_or(""), 1000, false)
        .map_err(|m| AppError::field("note", m))?;
    let retest = match input.decision.as_str() {
        "accept" => false,
        "retest" => true,
        _ => {
            return Err(AppError::field(
                "decision",
                Msg::new("应为 accept 或 retest", "must be accept or retest"),
            ))
        }
    };
    if retest && note.is_empty() {
        return Err(AppError::field(
            "note",
            Msg::new(
                "退回复测须说明原因",
                "a reason is required to send a test back",
            ),
        ));
    }
    if t.entered_by.is_some() && t.entered_by == actor.id {
        return Err(AppError::Forbidden(Msg::new(
            "不能审核自己录入的结果",
            "You cannot review a result you entered",
        )));
    }
    if t.status != "entered" {
        return Err(AppError::Conflict(Msg::new(
            format!("该检验任务状态为“{}”，不能审核", t.status),
            format!(
                "The test is {}, not entered: it cannot be reviewed",
                t.status
            ),
        )));
    }
    let version = input.version.unwrap_or(t.version);
    write_tx(conn, |conn| {
        let to = if retest { "retest" } else { "accepted" };
        let q = sample_tests::table
            .find(id)
            .filter(sample_tests::version.eq(version))
            .filter(sample_tests::status.eq("entered"));
        let n = if retest {
            diesel::update(q)
                .set((
                    sample_tests::status.eq(to),
                    sample_tests::attempt.eq(t.attempt + 1),
                    sample_tests::result_text.eq(None::<String>),
                    sample_tests::result_value.eq(None::<String>),
                    sample_tests::result_unit.eq(None::<String>),
                    sample_tests::result_lod.eq(None::<String>),
                    sample_tests::judgment.eq(None::<String>),
                    sample_tests::entered_by.eq(None::<i64>),
                    sample_tests::entered_at.eq(None::<NaiveDateTime>),
                    sample_tests::reviewed_by.eq(actor.id),
                    sample_tests::reviewed_at.eq(Some(now)),
                    sample_tests::review_note.eq(Some(&note)),
                    sample_tests::version.eq(version + 1),
                    sample_tests::updated_at.eq(now),
                ))
                .execute(conn)?
        } else {
            diesel::update(q)
                .set((
                    sample_tests::status.eq(to),
                    sample_tests::reviewed_by.eq(actor.id),
                    sample_tests::reviewed_at.eq(Some(now)),
                    sample_tests::review_note.eq(Some(&note).filter(|n| !n.is_empty())),
                    sample_tests::version.eq(version + 1),
                    sample_tests::updated_at.eq(now),
                ))
                .execute(conn)?
        };
        if n != 1 {
            return Err(AppError::Conflict(Msg::new(
                "该结果刚被他人审核或修改",
                "Someone else reviewed or changed this result just now",
            )));
        }
        diesel::insert_into(test_attempts::table)
            .values((
                test_attempts::test_id.eq(id),
                test_attempts::attempt.eq(t.attempt),
                test_attempts::result_text.eq(t.result_text.clone().unwrap_or_default()),
                test_attempts::result_value.eq(&t.result_value),
                test_attempts::result_unit.eq(&t.result_unit),
                test_attempts::result_lod.eq(&t.result_lod),
                test_attempts::judgment.eq(&t.judgment),
                test_attempts::entered_by.eq(t.entered_by.unwrap_or_default()),
                test_attempts::entered_at.eq(t.entered_at.unwrap_or(now)),
                test_attempts::reviewed_by.eq(actor.id.unwrap_or_default()),
                test_attempts::reviewed_at.eq(now),
                test_attempts::decision.eq(if retest { "retest" } else { "accept" }),
                test_attempts::note.eq(Some(&note).filter(|n| !n.is_empty())),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if retest { "test.retest" } else { "test.accept" },
                entity_kind: "test",
                entity_id: id.to_string(),
                before: Some(
                    serde_json::json!({ "status": "entered", "result_text": t.result_text, "judgment": t.judgment, "attempt": t.attempt }),
                ),
                after: Some(serde_json::json!({ "sample_no": s.sample_no, "status": to })),
                reason: Some(&note).filter(|n| !n.is_empty()).map(|n| n.as_str()),
            },
        )?;
        if retest {
            let fresh = sample_of(conn, s.id)?;
            if fresh.status()? == SampleStatus::Review {
                transition(SampleStatus::Review, SampleAction::SendBack)
                    .map_err(AppError::internal)?;
                set_sample_status(
                    conn,
                    now,
                    actor,
                    &fresh,
                    SampleStatus::Testing,
                    "sample.sent_back",
                )?;
            }
        }
        Ok(load_test(conn, id)?.to_test(&s.sample_no))
    })
}

/// The earlier attempts of a test (results sent back, and the accepted one).
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: i32,
    pub result_text: String,
    pub judgment: Option<String>,
    pub entered_by: i64,
    pub entered_at: NaiveDateTime,
    pub reviewed_by: i64,
    pub reviewed_at: NaiveDateTime,
    pub decision: String,
    pub note: Option<String>,
}

pub fn attempts(conn: &mut DbConnection, actor: &Actor, test_id: i64) -> AppResult<Vec<Attempt>> {
    visible_test(conn, actor, test_id)?;
    Ok(test_attempts::table
        .filter(test_attempts::test_id.eq(test_id))
        .order(test_attempts::attempt.asc())
        .select((
            test_attempts::attempt,
            test_attempts::result_text,
            test_attempts::judgment,
            test_attempts::entered_by,
            test_attempts::entered_at,
            test_attempts::reviewed_by,
            test_attempts::reviewed_at,
            test_attempts::decision,
            test_attempts::note,
        ))
        .load(conn)?)
}

// ---------------------------------------------------------------- approval

/// Refuses (403) a signatory who entered or reviewed any result of the sample, now or
/// in an earlier attempt that was sent back (`test_attempts`): the signatory of a report
/// is independent of every result in it.
pub(crate) fn check_independent(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_id: i64,
) -> AppResult<()> {
    let Some(me) = actor.id else {
        return Ok(());
    };
    let tests = tests_of(conn, sample_id)?;
    let earlier: Vec<(i64, i64)> = test_attempts::table
        .filter(test_attempts::test_id.eq_any(tests.iter().map(|t| t.id).collect::<Vec<_>>()))
        .select((test_attempts::entered_by, test_attempts::reviewed_by))
        .load(conn)?;
    let entered =
        tests.iter().any(|t| t.entered_by == Some(me)) || earlier.iter().any(|(by, _)| *by == me);
    if entered {
        return Err(AppError::Forbidden(Msg::new(
            "您录入过该样品的检验结果，不能再批准或签发其报告",
            "You entered results of this sample, so you cannot approve or issue its report",
        )));
    }
    let reviewed =
        tests.iter().any(|t| t.reviewed_by == Some(me)) || earlier.iter().any(|(_, by)| *by == me);
    if reviewed {
        return Err(AppError::Forbidden(Msg::new(
            "您审核过该样品的检验结果，不能再批准或签发其报告",
            "You reviewed results of this sample, so you cannot approve or issue its report",
        )));
    }
    Ok(())
}

/// The signatory approves a sample whose tests are all accepted. The signatory must
/// not have entered or reviewed any of its results. The conclusion follows from the judgments; the
/// sample becomes `reported` and its report is issued (number, PDF, verification code).
pub fn approve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    issuer: &Issuer,
    sample_no: &str,
) -> AppResult<Report> {
    actor.require(&[Role::Signatory])?;
    let s = intake::visible_row(conn, actor, sample_no)?;
    check_independent(conn, actor, s.id)?;
    let tests = tests_of(conn, s.id)?;
    let status = s.status()?;
    if tests.is_empty()
        || tests.iter().any(|t| t.status != "accepted")
        || status != SampleStatus::Review
    {
        return Err(AppError::Conflict(Msg::new(
            "还有检验项目未审核通过，不能批准",
            "Every test must be accepted before approval",
        )));
    }
    transition(status, SampleAction::Approve).map_err(AppError::internal)?;
    let conclusion = conclude(tests.iter().filter_map(|t| t.judgment.as_deref())).as_str();
    write_tx(conn, |conn| {
        let fresh = sample_of(conn, s.id)?;
        if fresh.version != s.version || fresh.status != s.status {
            return Err(AppError::stale());
        }
        let report = crate::workflow::reports::issue(conn, now, actor, issuer, &fresh, None, "")?;
        if report.conclusion != conclusion {
            return Err(AppError::internal(format!(
                "report {} concludes {} but the judgments conclude {conclusion}",
                report.report_no, report.conclusion
            )));
        }
        // The turnaround the lab figures count, on today's calendar (SQL cannot count
        // working days; reloading a calendar year recounts it).
        let turnaround = match fresh.received_at {
            Some(received) => Some(crate::workflow::stats::turnaround_of(
                &work_calendar(conn)?,
                received,
                now,
            )),
            None => None,
        };
        let n = diesel::update(
            samples::table
                .find(s.id)
                .filter(samples::version.eq(s.version))
                .filter(samples::status.eq(SampleStatus::Review.as_str())),
        )
        .set((
            samples::status.eq(SampleStatus::Reported.as_str()),
            samples::conclusion.eq(conclusion),
            samples::reported_at.eq(Some(now)),
            samples::turnaround_days.eq(turnaround.map(|t| t.0)),
            samples::turnaround_provisional.eq(turnaround.is_some_and(|t| t.1)),
            samples::report_no.eq(Some(&report.report_no)),
            samples::version.eq(s.version + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            // Someone approved (or sent a test back) in between: the report row and
            // its number roll back with this transaction.
            return Err(AppError::stale());
        }
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.approve",
                entity_kind: "sample",
                entity_id: s.sample_no.clone(),
                before: Some(serde_json::json!({ "status": "review", "conclusion": "pending" })),
                after: Some(serde_json::json!({
                    "status": "reported", "conclusion": conclusion, "report_no": report.report_no,
                    "turnaround_working_days": turnaround.map(|t| t.0),
                })),
                reason: None,
            },
        )?;
        crate::workflow::retention::refresh_keep_until(conn, now, actor, s.id)?;
        if report.conclusion == "non_compliant" {
            let sample = sample_of(conn, s.id)?;
            crate::workflow::disposal::open_for(conn, now, actor, &sample, &report.report_no)?;
        }
        Ok(report)
    })
}

// ---------------------------------------------------------------- timeline

/// One event of a sample's life, from the audit log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    #[schema(value_type = String)]
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

/// Everything that happened to a sample, its tests and its report, in order.
pub fn timeline(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<Vec<TimelineEvent>> {
    use crate::db::schema::audit_log;
    let s = intake::visible_row(conn, actor, sample_no)?;
    let test_ids: Vec<String> = sample_tests::table
        .filter(sample_tests::sample_id.eq(s.id))
        .select(sample_tests::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(|i| i.to_string())
        .collect();
    let removed: Vec<String> = audit_log::table
        .filter(audit_log::entity_kind.eq("test"))
        .filter(audit_log::action.eq("test.assign"))
        .filter(audit_log::after_json.like(format!("%\"sample_no\":\"{}\"%", s.sample_no)))
        .select(audit_log::entity_id)
        .load(conn)?;
    let report_nos: Vec<String> = reports::table
        .filter(reports::sample_id.eq(s.id))
        .select(reports::report_no)
        .load(conn)?;
    let mut ids = test_ids;
    ids.extend(removed);
    let rows: Vec<AuditRow> = audit_log::table
        .filter(
            audit_log::entity_kind
                .eq("sample")
                .and(audit_log::entity_id.eq(&s.sample_no))
                .or(audit_log::entity_kind
                    .eq("test")
                    .and(audit_log::entity_id.eq_any(&ids)))
                .or(audit_log::entity_kind
                    .eq("report")
                    .and(audit_log::entity_id.eq_any(&report_nos))),
        )
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| TimelineEvent {
            at: to_local(r.at),
            actor: r.actor,
            action: r.action,
            entity_kind: r.entity_kind,
            entity_id: r.entity_id,
            reason: r.reason,
            detail: r.after_json.and_then(|j| serde_json::from_str(&j).ok()),
        })
        .collect())
}

/// Assigns each sample's default items to one technician, many samples in one go
/// (each sample in its own transaction, so one refusal does not undo the others).
/// Returns, per sample, the tests created or the refusal.
pub fn assign_many(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_nos: &[String],
    assignee_id: Option<i64>,
) -> AppResult<Vec<(String, Result<usize, AppError>)>> {
    actor.require(&[Role::Custodian, Role::Reviewer, Role::Admin])?;
    if sample_nos.is_empty() || sample_nos.len() > 500 {
        return Err(AppError::field(
            "sample_nos",
            Msg::new("请选择1至500个样品", "choose 1 to 500 samples"),
        ));
    }
    if let Some(uid) = assignee_id {
        if !is_active_technician(conn, uid)? {
            return Err(AppError::field(
                "assignee_id",
                Msg::new("不是在职的检验人员", "is not an active technician"),
            ));
        }
    }
    let mut out = Vec::new();
    for no in sample_nos {
        let s = match intake::visible_row(conn, actor, no) {
            Ok(s) => s,
            Err(e) => {
                out.push((no.clone(), Err(e)));
                continue;
            }
        };
        let items: Vec<i64> = test_items::table
            .filter(test_items::category_code.eq(&s.category_code))
            .filter(test_items::active.eq(true))
            .order(test_items::id.asc())
            .select(test_items::id)
            .load(conn)?;
        let input = AssignInput {
            assignments: Some(
                items
                    .into_iter()
                    .map(|id| AssignmentInput {
                        test_item_id: id,
                        assignee_id,
                        due_on: None,
                    })
                    .collect(),
            ),
        };
        out.push((
            no.clone(),
            assign(conn, now, actor, no, input).map(|v| v.len()),
        ));
    }
    Ok(out)
}

/// Samples waiting for the signatory: in review, every test accepted, none of their
/// results entered or reviewed by the actor.
pub fn ready_to_approve(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<SampleRow>> {
    let mut q = samples::table
        .filter(samples::status.eq("review"))
        .into_boxed();
    if let Some(scope) = &actor.region {
        q = q.filter(samples::region_code.like(format!("{}%", scope.like_prefix())));
    }
    let rows: Vec<SampleRow> = q
        .order(samples::id.asc())
        .limit(500)
        .select(SampleRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for r in rows {
        let tests = tests_of(conn, r.id)?;
        if !tests.is_empty()
            && tests.iter().all(|t| t.status == "accepted")
            && check_independent(conn, actor, r.id).is_ok()
        {
            out.push(r);
        }
    }
    Ok(out)
}

/// Results waiting for review that the actor did not enter.
pub fn review_queue(conn: &mut DbConnection, actor: &Actor) -> AppResult<Vec<SampleTest>> {
    let me = actor.id.unwrap_or_default();
    let mut q = sample_tests::table
        .inner_join(samples::table)
        .filter(sample_tests::status.eq("entered"))
        .filter(sample_tests::entered_by.ne(me))
        .into_boxed();
    if let Some(scope) = &actor.region {
        q = q.filter(samples::region_code.like(format!("{}%", scope.like_prefix())));
    }
    let rows: Vec<(TestRow, String)> = q
        .order((
            sample_tests::due_on.is_null(),
            sample_tests::due_on.asc(),
            sample_tests::id.asc(),
        ))
        .limit(500)
        .select((TestRow::as_select(), samples::sample_no))
        .load(conn)?;
    Ok(rows.iter().map(|(t, no)| t.to_test(no)).collect())
}
