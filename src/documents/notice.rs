//! The notice of a non-compliant result (不合格检验结论通知书) served on the sampled entity:
//! the failed items, the entity's rights with their deadlines, and a return receipt
//! (送达回证) to be signed and sent back. Invariant: the same `NoticeDoc` always gives the
//! same bytes.

use serde::{Deserialize, Serialize};

use super::DocError;

/// One failed item as the notice lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedItem {
    pub item: String,
    /// The limit as read, e.g. "≤0.2".
    pub limit: String,
    pub result: String,
    pub unit: String,
    /// The standard the limit comes from, e.g. GB 2762-2022.
    pub standard: String,
}

/// A right of the entity with its window: e.g. 申请复检, "自收到本通知书之日起 7 个工作日内",
/// deadline "2026年3月11日", citation "食品安全法第八十八条".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightLine {
    pub what: String,
    pub window: String,
    pub deadline: String,
    pub citation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDoc {
    /// The notice number, e.g. "QHJ2026000001-TZ".
    pub notice_no: String,
    /// Who issues it (the organising bureau), printed as the sender and in the seal line.
    pub issuer: String,
    pub entity_name: String,
    pub entity_address: String,
    pub sample_no: String,
    pub report_no: String,
    pub product_name: String,
    pub brand: String,
    pub specification: String,
    pub batch: String,
    pub manufacturer: String,
    pub plan_name: String,
    pub plan_kind: String,
    pub sampled_on: String,
    pub lab_name: String,
    pub failed: Vec<FailedItem>,
    /// The conclusion sentence, e.g. "经抽样检验，……检验结论为不合格。"
    pub conclusion: String,
    pub rights: Vec<RightLine>,
    /// The entity's duties in the meantime (seal, stop sale, recall, rectify, report), one per
    /// entry; the law says they continue during re-examination and objection.
    pub duties: Vec<String>,
    /// The date of service the deadlines were computed from, e.g. "2026年3月4日".
    pub served_on: String,
    /// Issue date printed under the issuer, e.g. "2026年3月4日".
    pub issued_on: String,
}

/// Renders the notice (one or more A4 pages) followed by its return receipt.
pub fn render_notice(doc: &NoticeDoc) -> Result<Vec<u8>, DocError> {
    let _ = doc;
    Err(DocError::Invalid("the notice renderer is not built yet".into()))
}
