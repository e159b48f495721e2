//! The inspection report (检验报告): A4, one or more pages. See rules.md §d.1 for what it
//! must carry. Invariants: the same `ReportDoc` always gives the same bytes; the report
//! number and "第 x 页 共 y 页" are on every page; a results table that does not fit
//! continues on the next page with its header repeated.

use serde::{Deserialize, Serialize};

use super::DocError;

/// The laboratory as printed in the report head (configured by the lab's admin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabIdentity {
    /// e.g. 青海省食品检验检测院.
    pub name: String,
    pub address: String,
    /// The qualification mark text, e.g. "CMA 资质认定证书编号：201963000123".
    pub cma_no: String,
    /// Telephone, postcode or similar contact line; may be empty.
    pub contact: String,
    /// The disclaimer block (声明), one paragraph per entry, printed at the end.
    pub disclaimer: Vec<String>,
}

/// One row of the results table, already formatted for people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// 检验项目, e.g. 铅(以Pb计).
    pub item: String,
    /// 检验方法 (method standard), e.g. GB 5009.12-2023.
    pub method: String,
    /// 标准指标 (the limit as a person reads it), e.g. "≤0.2" or "不得检出".
    pub limit: String,
    /// The standard the limit comes from (判定依据), e.g. GB 2762-2022.
    pub limit_standard: String,
    /// 检验结果, exactly as entered, e.g. "0.05" or "未检出(<0.01)".
    pub result: String,
    /// 单位, e.g. mg/kg (may be empty for qualitative items).
    pub unit: String,
    /// 单项判定 in the domain's words, e.g. 合格 / 不合格 / 符合规定.
    pub judgment: String,
}

/// Everything the report prints, already formatted (dates, enums, names in Chinese), so
/// this module knows nothing of the database. Stored as JSON with the issued report, so a
/// report can always be rendered again exactly as issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDoc {
    pub report_no: String,
    /// Title, e.g. 检验报告.
    pub title: String,
    pub lab: LabIdentity,
    /// The report this one replaces, printed as a remark ("本报告替代……").
    pub supersedes: Option<String>,
    // Sample.
    pub sample_no: String,
    pub product_name: String,
    pub brand: String,
    pub specification: String,
    /// Batch number and/or production date, e.g. "20260115A / 2026-01-15".
    pub batch: String,
    /// e.g. 肉制品 / 熟肉制品.
    pub category: String,
    /// Quantity tested, e.g. "4 袋".
    pub quantity: String,
    /// 样品状态 on receipt, e.g. 包装完好.
    pub condition: String,
    // Parties.
    /// 委托单位 / 任务来源: the organising bureau.
    pub organiser: String,
    /// 被抽样单位.
    pub entity_name: String,
    pub entity_address: String,
    /// 标称生产者 and address.
    pub manufacturer: String,
    pub manufacturer_address: String,
    pub sampling_place: String,
    // Plan.
    pub plan_name: String,
    /// 检验类别, e.g. 监督抽检.
    pub plan_kind: String,
    // Dates (YYYY-MM-DD or a range "2026-03-02 至 2026-03-05").
    pub sampled_on: String,
    pub received_on: String,
    pub tested_on: String,
    pub issued_on: String,
    // Results.
    pub rows: Vec<ReportRow>,
    /// The conclusion sentence in the domain's words, e.g.
    /// "经抽样检验，所检项目符合 GB 2762-2022 要求，检验结论为合格。"
    pub conclusion: String,
    /// 判定依据: the judgment standards, joined.
    pub basis: String,
    // People.
    pub tester: String,
    pub reviewer: String,
    pub signatory: String,
    /// 备注; may be empty.
    pub remarks: String,
    /// The verification URL for the QR code; `None` leaves its square blank (the
    /// content hash the verification code is keyed on is taken of that rendering).
    pub verify_url: Option<String>,
}

/// Renders the report as an A4 PDF.
pub fn render_report(doc: &ReportDoc) -> Result<Vec<u8>, DocError> {
    let _ = doc;
    Err(DocError::Invalid("the report renderer is not built yet".into()))
}
