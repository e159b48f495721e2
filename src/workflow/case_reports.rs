//! Use cases that drive a disposal case and a report together (an orchestrating use
//! case: it calls the `disposal` and `reports` stages, which never call each other).
//!
//! A re-examination that does not uphold the result closes the case as overturned and,
//! in the same transaction, retires the report with a replacement that states the
//! re-examination conclusion.

use crate::error::AppResult;
use crate::workflow::disposal::{self, Disposal, EventInput};
use crate::workflow::reports::{self, Issuer, Reissue};
use crate::workflow::Ctx;

/// A supervisor records a step of a disposal case (`POST /api/v1/disposals/{id}/events`).
/// The rules of `disposal` decide whether it may be recorded; when it overturns the
/// result, the case's report is retired and replaced, signed by the original signatory.
pub fn record_event(
    cx: &mut Ctx,
    issuer: &Issuer,
    id: i64,
    input: &EventInput,
) -> AppResult<Disposal> {
    let (now, actor) = (cx.now, cx.actor);
    disposal::record_event_with(cx, id, input, |conn, old| {
        let signatory = crate::db::cases::report_signatory(conn, old.report_no)?;
        let out = reports::retire(
            &mut Ctx::new(conn, now, actor),
            issuer,
            old.report_no,
            old.sample_id,
            "复检结论未维持原检验结论",
            Some(Reissue {
                remarks: format!("本报告依据复检结论更正原报告 {}。", old.report_no),
                signatory: Some(signatory),
                overturned: true,
                layout: reports::LayoutChoice::Original,
            }),
        )?;
        Ok(out
            .reissued
            .map_or_else(|| old.report_no.to_string(), |r| r.report_no))
    })
}
