//! Intake (抽样): plans, sampled entities, sample registration with its number and
//! delivery deadline, edits while registered, and receipt at the lab by scan.
//! Every write is one transaction with its audit row; lists respect region scope.

mod check;
mod deadlines;
mod entities;
mod list;
mod plans;
mod receipt;
mod samples;
mod sheet;

use serde::Serialize;

use crate::db::{self, DbConnection};
use crate::domain::region::RegionCode;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::clean_text;

pub use crate::db::entities::Entity;
pub use crate::db::plans::Plan;
pub use crate::db::samples::SampleRow;
pub use crate::domain::local_time::{local_date, shanghai, to_local};
pub use crate::forms::{QuantityValue, SampleInput, SamplePatch};
pub use deadlines::recompute_provisional_deadlines;
pub use entities::{create_entity, get_entity, list_entities, update_entity, EntityInput};
pub use list::{is_overdue, list_samples, SampleFilter};
pub use plans::{
    create_plan, get_plan, list_plans, plan_in_reach, update_plan, PlanFilter, PlanInput,
};
pub use receipt::{find_by_scan, receive, ReceiptInput};
pub use samples::{get_sample, patch_sample, register_sample, update_sample, visible_row, Sample};
pub use sheet::{record_labels_printed, sample_sheet, SampleSheet};

fn to_json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

fn parse_enum<T: std::str::FromStr<Err = String>>(
    f: &mut FieldErrors,
    field: &str,
    v: &str,
) -> Option<T> {
    match v.trim().parse::<T>() {
        Ok(x) => Some(x),
        Err(e) => {
            f.insert(field.to_string(), Msg::new(format!("取值无效：{e}"), e));
            None
        }
    }
}

fn text_field(f: &mut FieldErrors, field: &str, v: &str, max: usize, required: bool) -> String {
    clean_text(v, max, required).unwrap_or_else(|m| {
        f.insert(field.to_string(), m);
        String::new()
    })
}

fn opt_text(f: &mut FieldErrors, field: &str, v: &Option<String>, max: usize) -> Option<String> {
    let t = text_field(f, field, v.as_deref().unwrap_or(""), max, false);
    Some(t).filter(|t| !t.is_empty())
}

/// Checks that `code` is a known region; returns it.
fn known_region(
    conn: &mut DbConnection,
    f: &mut FieldErrors,
    field: &str,
    code: &str,
) -> AppResult<Option<RegionCode>> {
    let Ok(rc) = RegionCode::parse(code.trim()) else {
        f.insert(
            field.into(),
            Msg::new("区划代码应为6位数字", "must be a 6-digit region code"),
        );
        return Ok(None);
    };
    if !db::reference::region_exists(conn, rc.as_str())? {
        f.insert(field.into(), Msg::new("没有这个行政区划", "no such region"));
        return Ok(None);
    }
    Ok(Some(rc))
}

fn out_of_scope() -> AppError {
    AppError::Forbidden(Msg::new(
        "超出您的管辖区域",
        "This is outside your region scope",
    ))
}

/// The version an edit names: a plan, an entity or a sample is edited with the version
/// the editor read, so that an edit made meanwhile by someone else is not overwritten.
fn version_sent(version: Option<i32>) -> AppResult<i32> {
    version.ok_or_else(|| {
        AppError::field(
            "version",
            Msg::new("修改时须提供版本号", "is required to edit"),
        )
    })
}
