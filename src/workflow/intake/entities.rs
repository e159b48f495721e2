//! Sampled entities (被抽样单位): registered by samplers, supervisors and admins; one
//! entity per USCC; seen within the actor's region scope.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{
    known_region, opt_text, out_of_scope, parse_enum, text_field, to_json, version_sent, Entity,
};
use crate::db::entities::EntityValues;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::licence::licence_error;
use crate::domain::region::{scope_covers, RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::sample::EntityKind;
use crate::domain::uscc::Uscc;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

/// `POST /api/v1/entities`, and a full edit with `version`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    pub name: String,
    pub uscc: String,
    #[serde(default)]
    pub license_no: Option<String>,
    pub kind: String,
    pub address: String,
    pub region_code: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// 法定代表人/负责人.
    #[serde(default)]
    pub legal_rep: Option<String>,
    /// 年销售额, as written (e.g. "50万元").
    #[serde(default)]
    pub annual_sales: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
}

struct CheckedEntity {
    name: String,
    uscc: Uscc,
    license_no: Option<String>,
    kind: EntityKind,
    address: String,
    region: RegionCode,
    contact: Option<String>,
    legal_rep: Option<String>,
    annual_sales: Option<String>,
}

fn check_entity(
    conn: &mut DbConnection,
    actor: &Actor,
    i: &EntityInput,
) -> AppResult<CheckedEntity> {
    let mut f = FieldErrors::new();
    let name = text_field(&mut f, "name", &i.name, 200, true);
    let uscc = match Uscc::parse(&i.uscc) {
        Ok(u) => Some(u),
        Err(e) => {
            f.insert("uscc".into(), Msg::new(e.message_zh(), e.to_string()));
            None
        }
    };
    let license_no = opt_text(&mut f, "license_no", &i.license_no, 40).map(|l| l.to_uppercase());
    if let Some(err) = license_no.as_deref().and_then(licence_error) {
        f.insert(
            "license_no".into(),
            Msg::new(
                err,
                "does not match the licence number format (SC/JY + 14 digits)",
            ),
        );
    }
    let kind = parse_enum::<EntityKind>(&mut f, "kind", &i.kind);
    let address = text_field(&mut f, "address", &i.address, 300, true);
    let region = known_region(conn, &mut f, "region_code", &i.region_code)?;
    if region
        .as_ref()
        .is_some_and(|r| r.level() != RegionLevel::County)
    {
        f.insert(
            "region_code".into(),
            Msg::new("请选择县级行政区划", "must be a county-level region"),
        );
    }
    let contact = opt_text(&mut f, "contact", &i.contact, 100);
    let legal_rep = opt_text(&mut f, "legal_rep", &i.legal_rep, 50);
    let annual_sales = opt_text(&mut f, "annual_sales", &i.annual_sales, 50);
    let (Some(uscc), Some(kind), Some(region), true) = (uscc, kind, region, f.is_empty()) else {
        return Err(AppError::invalid(f));
    };
    if !scope_covers(actor.region.as_ref(), &region) {
        return Err(out_of_scope());
    }
    Ok(CheckedEntity {
        name,
        uscc,
        license_no,
        kind,
        address,
        region,
        contact,
        legal_rep,
        annual_sales,
    })
}

fn duplicate_uscc(id: i64, uscc: &str) -> AppError {
    AppError::Duplicate(
        Msg::new(
            format!("统一社会信用代码 {uscc} 已登记（单位编号 {id}）"),
            format!("An entity with USCC {uscc} exists (id {id})"),
        ),
        serde_json::json!({ "id": id, "href": format!("/api/v1/entities/{id}"), "page": format!("/entities/{id}") }),
    )
}

impl CheckedEntity {
    fn values(&self) -> EntityValues<'_> {
        EntityValues {
            name: &self.name,
            uscc: self.uscc.as_str(),
            license_no: self.license_no.as_deref(),
            kind: self.kind.as_str(),
            address: &self.address,
            region_code: self.region.as_str(),
            contact: self.contact.as_deref(),
            legal_rep: self.legal_rep.as_deref(),
            annual_sales: self.annual_sales.as_deref(),
        }
    }
}

/// A sampler, supervisor or admin registers a sampled entity (被抽样单位). A USCC that
/// exists already is a conflict that names the existing entity.
pub fn create_entity(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: EntityInput,
) -> AppResult<Entity> {
    actor.require(&[Role::Sampler, Role::Supervisor, Role::Admin])?;
    let c = check_entity(conn, actor, &input)?;
    write_tx(conn, |conn| {
        if let Some(id) = db::entities::id_by_uscc(conn, c.uscc.as_str(), None)? {
            return Err(duplicate_uscc(id, c.uscc.as_str()));
        }
        let e = db::entities::insert(conn, &c.values(), now)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "entity.create",
                entity_kind: "entity",
                entity_id: e.id.to_string(),
                after: Some(to_json(&e)?),
                ..Change::default()
            },
        )?;
        Ok(e)
    })
}

pub fn update_entity(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: EntityInput,
) -> AppResult<Entity> {
    actor.require(&[Role::Sampler, Role::Supervisor, Role::Admin])?;
    let version = version_sent(input.version)?;
    let c = check_entity(conn, actor, &input)?;
    write_tx(conn, |conn| {
        let before = get_entity(conn, actor, id)?;
        if before.version != version {
            return Err(AppError::stale());
        }
        if let Some(other) = db::entities::id_by_uscc(conn, c.uscc.as_str(), Some(id))? {
            return Err(duplicate_uscc(other, c.uscc.as_str()));
        }
        db::entities::update(conn, id, version, &c.values(), now)?;
        let after = get_entity(conn, actor, id)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "entity.update",
                entity_kind: "entity",
                entity_id: id.to_string(),
                before: Some(to_json(&before)?),
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

pub fn get_entity(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Entity> {
    let e =
        db::entities::find(conn, id)?.ok_or_else(|| AppError::not_found("被抽样单位", "Entity"))?;
    let inside = actor.covers(&e.region_code);
    if !inside {
        return Err(AppError::not_found("被抽样单位", "Entity"));
    }
    Ok(e)
}

/// Entities in the actor's scope whose name or USCC contains `q`.
pub fn list_entities(
    conn: &mut DbConnection,
    actor: &Actor,
    q: Option<&str>,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Entity>, i64)> {
    let text = q.map(str::trim).filter(|t| !t.is_empty());
    db::entities::list(conn, actor.region.as_ref(), text, page, per_page)
}
