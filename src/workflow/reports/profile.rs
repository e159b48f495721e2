//! The lab identity printed on every report, edited by an admin.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::to_json;
use crate::db::lab_profile::LabProfileRow;
pub use crate::db::lab_profile::{load as lab_profile, LabProfile};
use crate::db::{self, write_tx, DbConnection};
use crate::documents::report::LabIdentity;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor};

impl LabProfile {
    pub(crate) fn identity(&self) -> LabIdentity {
        LabIdentity {
            name: self.name.clone(),
            address: self.address.clone(),
            cma_no: self.cma_no.clone(),
            contact: self.contact.clone(),
            disclaimer: self.disclaimer.clone(),
            ..Default::default()
        }
    }
}

/// `PUT /api/v1/settings/lab`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabProfileInput {
    pub name: String,
    pub address: String,
    pub cma_no: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub report_title: Option<String>,
    #[serde(default)]
    pub disclaimer: Vec<String>,
    /// The version read (0 while only the defaults exist).
    pub version: i32,
}

/// Sets the lab identity printed on reports issued from now on (issued reports keep theirs).
pub fn put_lab_profile(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &LabProfileInput,
) -> AppResult<LabProfile> {
    actor.require(&[Role::Admin])?;
    let mut errors = FieldErrors::new();
    let mut check =
        |field: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(v) => v,
            Err(m) => {
                errors.insert(field.to_string(), m);
                String::new()
            }
        };
    let name = check("name", &input.name, 100, true);
    let address = check("address", &input.address, 200, true);
    let cma_no = check("cma_no", &input.cma_no, 100, true);
    let contact = check("contact", &input.contact, 200, false);
    let title = check(
        "report_title",
        input.report_title.as_deref().unwrap_or("检验报告"),
        30,
        true,
    );
    let mut disclaimer = Vec::new();
    for p in &input.disclaimer {
        let p = check("disclaimer", p, 300, false);
        if !p.is_empty() {
            disclaimer.push(p);
        }
    }
    if disclaimer.len() > 12 {
        errors.insert(
            "disclaimer".into(),
            Msg::new("声明不能超过12条", "at most 12 paragraphs"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let disclaimer_json = serde_json::to_string(&disclaimer).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        let before = lab_profile(conn)?;
        if before.version != input.version {
            return Err(AppError::stale());
        }
        let row = LabProfileRow {
            name: name.clone(),
            address: address.clone(),
            cma_no: cma_no.clone(),
            contact: contact.clone(),
            report_title: title.clone(),
            disclaimer: disclaimer_json.clone(),
            version: before.version + 1,
        };
        db::lab_profile::put(conn, &row, before.configured, now)?;
        let after = lab_profile(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "lab_profile.put",
                entity_kind: "lab_profile",
                entity_id: "1".into(),
                before: before.configured.then(|| to_json(&before)).transpose()?,
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// Sets a demo lab identity (marked as such) when none is configured; `serve --demo`.
pub fn seed_demo_lab_profile(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<bool> {
    if lab_profile(conn)?.configured {
        return Ok(false);
    }
    let mut system = Actor::system();
    system.roles = crate::domain::role::Roles::from_iter([Role::Admin]);
    put_lab_profile(
        conn,
        now,
        &system,
        &LabProfileInput {
            name: "青海省食品检验检测院（演示）".into(),
            address: "青海省西宁市城西区（演示地址）".into(),
            cma_no: "CMA 资质认定证书编号：演示000000".into(),
            contact: "电话：0971-0000000（演示）".into(),
            report_title: Some("检验报告".into()),
            disclaimer: LabProfile::defaults().disclaimer,
            version: 0,
        },
    )?;
    Ok(true)
}
