//! Assigning tests to samples, reassigning and removing them.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::{is_active_technician, maybe_to_review, set_sample_status, visible_test, SampleTest};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::role::Role;
use crate::domain::sample::{transition, SampleAction, SampleStatus};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{Actor, Ctx};

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
    let sample = super::visible_sample(conn, actor, sample_no)?;
    let status = sample.status()?;
    transition(status, SampleAction::Assign).map_err(|_| {
        AppError::Conflict(Msg::new(
            format!("样品状态为“{}”，不能分配检验项目", status.label_zh()),
            format!("A {} sample cannot be assigned tests", status.as_str()),
        ))
    })?;
    let wanted: Vec<AssignmentInput> = match input.assignments {
        Some(list) => list,
        None => db::tests::default_items(conn, &sample.category_code)?
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
    let items = db::tests::items(
        conn,
        &wanted.iter().map(|a| a.test_item_id).collect::<Vec<_>>(),
    )?;
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
        let fresh = db::tests::sample_of(conn, sample.id)?;
        if fresh.version != sample.version {
            return Err(AppError::stale());
        }
        let existing = db::tests::assigned_items(conn, sample.id)?;
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
            let row = db::tests::insert(
                conn,
                sample.id,
                item,
                a.assignee_id,
                a.due_on.or(fresh.due_on),
                now,
            )?;
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
            &mut Ctx::new(conn, now, actor),
            &fresh,
            SampleStatus::Testing,
            "sample.testing",
        )?;
        Ok(created)
    })
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
    if !t.state()?.is_open() {
        return Err(AppError::Conflict(Msg::new(
            "结果已录入，不能改派",
            "A result has been entered; the test cannot be reassigned",
        )));
    }
    write_tx(conn, |conn| {
        let n = db::tests::reassign(
            conn,
            id,
            patch.version,
            patch.assignee_id,
            patch.due_on.or(t.due_on),
            now,
        )?;
        AppError::stale_unless(n)?;
        let after = super::load_test(conn, id)?;
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
    if t.state()? != crate::domain::states::TestStatus::Assigned || t.attempt != 1 {
        return Err(AppError::Conflict(Msg::new(
            "已有结果的检验任务不能删除",
            "A test with a result cannot be removed",
        )));
    }
    write_tx(conn, |conn| {
        let n = db::tests::delete(conn, id, t.version)?;
        AppError::stale_unless(n)?;
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
        maybe_to_review(&mut Ctx::new(conn, now, actor), &s)
    })
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
        let s = match super::visible_sample(conn, actor, no) {
            Ok(s) => s,
            Err(e) => {
                out.push((no.clone(), Err(e)));
                continue;
            }
        };
        let items = db::tests::default_items(conn, &s.category_code)?;
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
