//! What is printed about a sample (labels, sampling form), and the audit note that
//! labels were printed.

use chrono::NaiveDateTime;

use super::{get_sample, Entity, Plan, Sample};
use crate::db::{self, write_tx, DbConnection};
use crate::error::AppResult;
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// Everything printed about a sample (labels, sampling form), read in one go.
#[derive(Debug, Clone)]
pub struct SampleSheet {
    pub sample: Sample,
    pub plan: Plan,
    pub entity: Entity,
    pub category_name: String,
    pub sampler_names: Vec<String>,
    pub has_backup: bool,
    /// The name of the plan's organising region (for the sampling unit's name).
    pub plan_region_name: String,
    /// 承检机构: the lab's name and address as its report layout in force gives them.
    pub lab_name: String,
    pub lab_address: String,
}

pub fn sample_sheet(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<SampleSheet> {
    let sample = get_sample(conn, actor, sample_no)?;
    let plan = db::plans::get(conn, sample.plan_id)?;
    let entity = db::entities::get(conn, sample.entity_id)?;
    let category_name = db::reference::category_name(conn, &sample.category_code)?;
    let plan_region_name = db::reference::region_name(conn, &plan.region_code)?;
    let names = db::users::display_names(conn, &sample.sampler_ids)?;
    let sampler_names = sample
        .sampler_ids
        .iter()
        .filter_map(|id| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()))
        .collect();
    let lab = db::lab_profile::load(conn)?;
    Ok(SampleSheet {
        plan_region_name,
        lab_name: lab.name,
        lab_address: lab.address,
        has_backup: sample.backup_quantity.is_some(),
        sample,
        plan,
        entity,
        category_name,
        sampler_names,
    })
}

/// Records in the audit log that labels of these samples were printed (the timeline
/// shows it), in one transaction.
pub fn record_labels_printed(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_nos: &[String],
    template: &str,
    format: &str,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        for no in sample_nos {
            audit::append(
                conn,
                now,
                actor,
                Change {
                    action: "sample.labels_printed",
                    entity_kind: "sample",
                    entity_id: no.clone(),
                    after: Some(serde_json::json!({ "template": template, "format": format })),
                    ..Change::default()
                },
            )?;
        }
        Ok(())
    })
}
