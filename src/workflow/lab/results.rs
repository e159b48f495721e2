//! Result entry: the text as written, checked and judged against the copied limit.

use chrono::NaiveDateTime;

use super::{maybe_to_review, visible_test, BulkResultRow, ResultInput, SampleTest, TestRow};
use crate::db::samples::SampleRow;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::judgment::{read_and_judge, Dec, Judgment};
use crate::domain::role::Role;
use crate::domain::states::TestStatus;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{Actor, Ctx};

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

/// One checked result to write: the test as read, its sample, the text and the version
/// read.
struct Entry<'a> {
    t: &'a TestRow,
    sample_no: &'a str,
    text: &'a str,
    checked: CheckedResult,
    version: i32,
}

/// Writes one checked result inside a transaction.
fn write_result(cx: &mut Ctx<'_>, e: Entry<'_>) -> AppResult<TestRow> {
    let Entry {
        t,
        sample_no,
        text,
        checked,
        version,
    } = e;
    let CheckedResult {
        value,
        judgment,
        unit,
        lod,
    } = checked;
    let n = db::tests::write_result(
        cx.conn,
        t.id,
        version,
        db::tests::NewResult {
            text,
            value: value.map(|v| v.to_string()),
            unit: unit.clone().or(Some(t.unit.clone())),
            lod: lod.map(|l| l.to_string()),
            judgment: judgment.as_str(),
            entered_by: cx.actor.id,
        },
        cx.now,
    )?;
    AppError::stale_unless(n)?;
    let after = super::load_test(cx.conn, t.id)?;
    audit::append(
        cx.conn,
        cx.now,
        cx.actor,
        Change {
            action: "test.result",
            entity_kind: "test",
            entity_id: t.id.to_string(),
            before: Some(serde_json::json!({
                "status": t.status, "result_text": t.result_text, "judgment": t.judgment, "attempt": t.attempt,
            })),
            after: Some(serde_json::json!({
                "sample_no": sample_no, "status": TestStatus::Entered.as_str(), "result_text": text, "result_value": after.result_value,
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
    if t.state()?.enter().is_err() {
        return Err(AppError::Conflict(Msg::new(
            "结果已审核通过，不能修改",
            "The result was accepted and can no longer change",
        )));
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
    let lod = input.lod.as_ref().map(crate::forms::QuantityValue::text);
    let checked = check_result(
        &t,
        &input.result_text,
        input.unit.as_deref(),
        lod.as_deref(),
    )
    .map_err(AppError::invalid)?;
    write_tx(conn, |conn| {
        let cx = &mut Ctx::new(conn, now, actor);
        let after = write_result(
            cx,
            Entry {
                t: &t,
                sample_no: &s.sample_no,
                text: &input.result_text,
                checked,
                version: input.version,
            },
        )?;
        maybe_to_review(cx, &s)?;
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
        let lod = r.lod.as_ref().map(crate::forms::QuantityValue::text);
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
        let cx = &mut Ctx::new(conn, now, actor);
        let mut out = Vec::new();
        let mut samples_touched: Vec<SampleRow> = Vec::new();
        for (t, s, r, c) in checked {
            let after = write_result(
                cx,
                Entry {
                    t: &t,
                    sample_no: &s.sample_no,
                    text: &r.result_text,
                    checked: c,
                    version: r.version,
                },
            )?;
            out.push(after.to_test(&s.sample_no));
            if !samples_touched.iter().any(|x| x.id == s.id) {
                samples_touched.push(s);
            }
        }
        for s in &samples_touched {
            maybe_to_review(cx, s)?;
        }
        Ok(out)
    })
}
