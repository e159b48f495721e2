//! The notice of a non-compliant result served on the sampled party.

use chrono::NaiveDate;

use super::issue::context;
use super::public::failed_rows;
use crate::db::reference::{get_profile, work_calendar};
use crate::db::{self, DbConnection};
use crate::documents::notice::{NoticeDoc, RightLine};
use crate::domain::calendar::Deadline;
use crate::domain::sample::Conclusion;
use crate::error::{AppError, AppResult, Msg};
use crate::workflow::Actor;

fn cn_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn window_text(r: &crate::domain::rules::Rule) -> String {
    let rule = crate::domain::disposal::rule_text_zh(r.value.as_u64().unwrap_or(0), r.unit);
    format!("自收到本通知书之日起{}内", rule.replace(' ', ""))
}

/// The notice of a non-compliant result for the sample's valid report, with the entity's
/// windows computed from the rule profile as if served on `served_on`.
pub fn notice(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
    served_on: NaiveDate,
) -> AppResult<NoticeDoc> {
    let s = super::visible_sample(conn, actor, sample_no)?;
    let report = db::reports::valid_of_sample(conn, s.id)?;
    let Some(r) = report else {
        return Err(AppError::Conflict(Msg::new(
            "该样品还没有有效的检验报告",
            "This sample has no valid report yet",
        )));
    };
    if r.conclusion != Conclusion::NonCompliant.as_str() {
        return Err(AppError::Conflict(Msg::new(
            "检验结论为合格，没有不合格检验结论通知书",
            "The conclusion is compliant: there is no notice of a non-compliant result",
        )));
    }
    let d = r.doc()?;
    let ctx = context(conn, &s)?;
    // The bureau's contact and where to file: from the layout the report was issued with.
    let layout = super::layout::chosen(
        conn,
        Some(&r.report_no),
        super::layout::LayoutChoice::Original,
    )?;
    let profile = get_profile(conn, ctx.domain, ctx.plan_kind)?.map(|p| p.profile());
    let cal = work_calendar(conn)?;
    let mut rights = Vec::new();
    if let Some(p) = &profile {
        for (key, what) in [
            ("recheck_request_window", "申请复检"),
            ("objection_window", "对检验方法、标准适用等提出异议"),
        ] {
            let (Some(rule), Some(Deadline { date, provisional })) =
                (p.get(key), p.deadline(key, served_on, &cal))
            else {
                continue;
            };
            rights.push(RightLine {
                what: what.to_string(),
                window: window_text(rule),
                deadline: if provisional {
                    format!("{}（节假日安排未载入，暂按周末计算）", cn_date(date))
                } else {
                    cn_date(date)
                },
                citation: rule.basis.clone(),
            });
        }
    }
    Ok(NoticeDoc {
        notice_no: format!("{}-TZ", r.report_no),
        issuer: ctx.organiser,
        entity_name: d.entity_name.clone(),
        entity_address: d.entity_address.clone(),
        sample_no: s.sample_no.clone(),
        report_no: r.report_no.clone(),
        product_name: d.product_name.clone(),
        brand: d.brand.clone(),
        specification: d.specification.clone(),
        batch: d.batch.clone(),
        manufacturer: d.manufacturer.clone(),
        plan_name: d.plan_name.clone(),
        plan_kind: d.plan_kind.clone(),
        sampled_on: d.sampled_on.clone(),
        lab_name: d.lab.name.clone(),
        failed: failed_rows(&d),
        conclusion: d.conclusion.clone(),
        rights,
        duties: crate::domain::report::entity_duties(ctx.domain),
        served_on: cn_date(served_on),
        issued_on: cn_date(served_on),
        contact: layout.notice_contact,
        reexam_where: layout.reexam_where,
    })
}
