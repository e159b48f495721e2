//! The public disposal information of a case (rules.md §e.2): what a supervisor writes,
//! and the frozen copy published with the result.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::published_of;
use crate::db::DbConnection;
use crate::error::AppResult;

/// What a supervisor writes for the public disposal notice (rules.md §e.2); each field
/// at most 500 characters. The served date, the re-examination and objection requests and
/// the closing date come from the case's steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicInfoInput {
    /// 进货来源: where the entity bought the product.
    #[serde(default)]
    pub supply_source: String,
    /// 购进、销售、库存数量.
    #[serde(default)]
    pub quantity_bought: String,
    #[serde(default)]
    pub quantity_sold: String,
    #[serde(default)]
    pub quantity_remaining: String,
    /// 风险控制措施 (stop sale, seal, recall …).
    #[serde(default)]
    pub measures: String,
    /// 违法行为定性, e.g. 违反《食品安全法》第三十四条.
    #[serde(default)]
    pub legal_basis: String,
    /// 行政处罚 (or the decision not to penalise).
    #[serde(default)]
    pub penalty: String,
    /// 免予处罚的理由, e.g. a seller's proven lawful source (FSL Art 136).
    #[serde(default)]
    pub exemption: String,
}

/// The published disposal information, frozen when published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicDisposal {
    #[serde(flatten)]
    pub info: PublicInfoInput,
    /// The date the notice of the result was served on the entity.
    pub served_on: Option<NaiveDate>,
    pub recheck_requested: bool,
    pub objection_filed: bool,
    pub closed_on: Option<NaiveDate>,
    pub published_on: NaiveDate,
}

/// The published disposal information of these samples, by sample id.
pub fn published_info(
    conn: &mut DbConnection,
    sample_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, PublicDisposal>> {
    let mut out = std::collections::HashMap::new();
    for (sample, json) in published_of(conn, sample_ids)? {
        if let Some(p) = json.and_then(|j| serde_json::from_str(&j).ok()) {
            out.insert(sample, p);
        }
    }
    Ok(out)
}
