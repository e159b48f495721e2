//! Intake (抽样): plans, sampled entities, sample registration with its number and
//! delivery deadline, edits while registered, and receipt at the lab by scan.
//! Every write is one transaction with its audit row; lists respect region scope.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    categories, entities, plans, regions, sample_samplers, sample_sequences, samples, users,
};
use crate::db::{write_tx, DbConnection};
use crate::domain::licence::licence_error;
use crate::domain::region::{scope_covers, scope_overlaps, RegionCode, RegionLevel};
use crate::domain::role::{Role, Roles};
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{
    check_quantity, parse_scan, sample_no, transition, EntityKind, PlanLevel, SampleAction,
    SampleStatus, Stage, Storage,
};
use crate::domain::uscc::Uscc;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::reference::{get_profile, work_calendar};
use crate::workflow::{clean_text, Actor};

pub use crate::domain::local_time::{local_date, shanghai, to_local};
pub use crate::forms::{QuantityValue, SampleInput, SamplePatch};

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
    let n: i64 = regions::table
        .filter(regions::code.eq(rc.as_str()))
        .count()
        .get_result(conn)?;
    if n == 0 {
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

// ---------------------------------------------------------------- plans

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub level: String,
    pub kind: String,
    pub domain: String,
    pub region_code: String,
    pub target_batches: i32,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// `POST /api/v1/plans`, and a full edit with `version`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub level: String,
    pub kind: String,
    pub domain: String,
    pub region_code: String,
    pub target_batches: i64,
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    /// Required to edit; ignored on create.
    #[serde(default)]
    pub version: Option<i32>,
}

struct CheckedPlan {
    code: String,
    name: String,
    level: PlanLevel,
    kind: PlanKind,
    domain: Domain,
    region: RegionCode,
    target: i32,
}

fn check_plan(
    conn: &mut DbConnection,
    actor: &Actor,
    i: &PlanInput,
    this_year: i32,
) -> AppResult<CheckedPlan> {
    let mut f = FieldErrors::new();
    let code = text_field(&mut f, "code", &i.code, 40, true);
    if !code.is_empty()
        && !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        f.insert(
            "code".into(),
            Msg::new(
                "编号只能包含字母、数字和 - _ . /",
                "may hold letters, digits and - _ . / only",
            ),
        );
    }
    let name = text_field(&mut f, "name", &i.name, 200, true);
    if !(2000..=this_year + 1).contains(&i.year) {
        f.insert(
            "year".into(),
            Msg::new(
                format!("年份应在2000至{}之间", this_year + 1),
                format!("must be from 2000 to {}", this_year + 1),
            ),
        );
    }
    let level = parse_enum::<PlanLevel>(&mut f, "level", &i.level);
    let kind = parse_enum::<PlanKind>(&mut f, "kind", &i.kind);
    let domain = parse_enum::<Domain>(&mut f, "domain", &i.domain);
    let region = known_region(conn, &mut f, "region_code", &i.region_code)?;
    if !(0..=10_000_000).contains(&i.target_batches) {
        f.insert(
            "target_batches".into(),
            Msg::new("目标批次应为0至一千万", "must be from 0 to 10,000,000"),
        );
    }
    if let (Some(a), Some(b)) = (i.starts_on, i.ends_on) {
        if b < a {
            f.insert(
                "ends_on".into(),
                Msg::new("结束日期不能早于开始日期", "must not be before starts_on"),
            );
        }
    }
    for (field, d) in [("starts_on", i.starts_on), ("ends_on", i.ends_on)] {
        if d.is_some_and(|d| (d.year() - i.year).abs() > 1) {
            f.insert(
                field.into(),
                Msg::new("日期与计划年度不符", "is far from the plan's year"),
            );
        }
    }
    let (Some(level), Some(kind), Some(domain), Some(region), true) =
        (level, kind, domain, region, f.is_empty())
    else {
        return Err(AppError::invalid(f));
    };
    if !scope_covers(actor.region.as_ref(), &region) {
        return Err(out_of_scope());
    }
    Ok(CheckedPlan {
        code,
        name,
        level,
        kind,
        domain,
        region,
        target: i32::try_from(i.target_batches).unwrap_or(0),
    })
}

/// A supervisor or admin creates a sampling plan (抽检计划/任务).
pub fn create_plan(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: PlanInput,
) -> AppResult<Plan> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let c = check_plan(conn, actor, &input, to_local(now).year())?;
    write_tx(conn, |conn| {
        let dup: Option<i64> = plans::table
            .filter(plans::code.eq(&c.code))
            .select(plans::id)
            .first(conn)
            .optional()?;
        if let Some(id) = dup {
            return Err(AppError::Duplicate(
                Msg::new(
                    format!("计划编号“{}”已存在", c.code),
                    format!("A plan with code `{}` exists", c.code),
                ),
                serde_json::json!({ "id": id, "href": format!("/api/v1/plans/{id}") }),
            ));
        }
        diesel::insert_into(plans::table)
            .values((
                plans::code.eq(&c.code),
                plans::name.eq(&c.name),
                plans::year.eq(input.year),
                plans::level.eq(c.level.as_str()),
                plans::kind.eq(c.kind.as_str()),
                plans::domain.eq(c.domain.as_str()),
                plans::region_code.eq(c.region.as_str()),
                plans::target_batches.eq(c.target),
                plans::starts_on.eq(input.starts_on),
                plans::ends_on.eq(input.ends_on),
                plans::version.eq(1),
                plans::created_at.eq(now),
                plans::updated_at.eq(now),
            ))
            .execute(conn)?;
        let plan: Plan = plans::table
            .filter(plans::code.eq(&c.code))
            .select(Plan::as_select())
            .first(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "plan.create",
                entity_kind: "plan",
                entity_id: plan.id.to_string(),
                after: Some(to_json(&plan)?),
                ..Change::default()
            },
        )?;
        Ok(plan)
    })
}

/// A supervisor or admin edits a plan, with the version it read.
pub fn update_plan(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    id: i64,
    input: PlanInput,
) -> AppResult<Plan> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let Some(version) = input.version else {
        return Err(AppError::field(
            "version",
            Msg::new("修改时须提供版本号", "is required to edit"),
        ));
    };
    let c = check_plan(conn, actor, &input, to_local(now).year())?;
    write_tx(conn, |conn| {
        let before = get_plan(conn, actor, id)?;
        if before.version != version {
            return Err(AppError::stale());
        }
        let clash: Option<i64> = plans::table
            .filter(plans::code.eq(&c.code))
            .filter(plans::id.ne(id))
            .select(plans::id)
            .first(conn)
            .optional()?;
        if clash.is_some() {
            return Err(AppError::Conflict(Msg::new(
                "计划编号已被其他计划使用",
                "Another plan has that code",
            )));
        }
        diesel::update(plans::table.find(id).filter(plans::version.eq(version)))
            .set((
                plans::code.eq(&c.code),
                plans::name.eq(&c.name),
                plans::year.eq(input.year),
                plans::level.eq(c.level.as_str()),
                plans::kind.eq(c.kind.as_str()),
                plans::domain.eq(c.domain.as_str()),
                plans::region_code.eq(c.region.as_str()),
                plans::target_batches.eq(c.target),
                plans::starts_on.eq(input.starts_on),
                plans::ends_on.eq(input.ends_on),
                plans::version.eq(version + 1),
                plans::updated_at.eq(now),
            ))
            .execute(conn)?;
        let after = get_plan(conn, actor, id)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "plan.update",
                entity_kind: "plan",
                entity_id: id.to_string(),
                before: Some(to_json(&before)?),
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// Whether a scoped user may work a plan: the plan's region and the user's scope
/// overlap (a provincial plan is worked by county officers; another county's plan is
/// not).
pub fn plan_in_reach(actor: &Actor, plan_region: &str) -> bool {
    RegionCode::parse(plan_region).is_ok_and(|r| scope_overlaps(actor.region.as_ref(), &r))
}

pub fn get_plan(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<Plan> {
    let plan: Plan = plans::table
        .find(id)
        .select(Plan::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("抽检计划", "Plan"))?;
    if !plan_in_reach(actor, &plan.region_code) {
        return Err(AppError::not_found("抽检计划", "Plan"));
    }
    Ok(plan)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PlanFilter {
    pub year: Option<i32>,
    pub domain: Option<String>,
    pub kind: Option<String>,
    pub q: Option<String>,
}

/// Plans the actor can work, newest year first.
pub fn list_plans(
    conn: &mut DbConnection,
    actor: &Actor,
    f: &PlanFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Plan>, i64)> {
    let build = || {
        let mut q = plans::table.into_boxed();
        if let Some(y) = f.year {
            q = q.filter(plans::year.eq(y));
        }
        if let Some(d) = f.domain.as_deref().filter(|d| !d.is_empty()) {
            q = q.filter(plans::domain.eq(d.to_string()));
        }
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            q = q.filter(plans::kind.eq(k.to_string()));
        }
        if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            q = q.filter(plans::code.like(pat.clone()).or(plans::name.like(pat)));
        }
        if let Some(scope) = &actor.region {
            // The plan's region contains the scope (its prefix) or lies inside it.
            let ancestors: Vec<String> = ancestors_of(scope);
            q = q.filter(
                plans::region_code
                    .like(format!("{}%", scope.like_prefix()))
                    .or(plans::region_code.eq_any(ancestors)),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order((plans::year.desc(), plans::code.asc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Plan::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The province and prefecture codes above a region (and itself).
fn ancestors_of(r: &RegionCode) -> Vec<String> {
    let s = r.as_str();
    vec![
        format!("{}0000", &s[..2]),
        format!("{}00", &s[..4]),
        s.to_string(),
    ]
}

// ---------------------------------------------------------------- entities

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = entities)]
pub struct Entity {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub license_no: Option<String>,
    pub kind: String,
    pub address: String,
    pub region_code: String,
    pub contact: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

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
        let dup: Option<i64> = entities::table
            .filter(entities::uscc.eq(c.uscc.as_str()))
            .select(entities::id)
            .first(conn)
            .optional()?;
        if let Some(id) = dup {
            return Err(duplicate_uscc(id, c.uscc.as_str()));
        }
        diesel::insert_into(entities::table)
            .values((
                entities::name.eq(&c.name),
                entities::uscc.eq(c.uscc.as_str()),
                entities::license_no.eq(&c.license_no),
                entities::kind.eq(c.kind.as_str()),
                entities::address.eq(&c.address),
                entities::region_code.eq(c.region.as_str()),
                entities::contact.eq(&c.contact),
                entities::version.eq(1),
                entities::created_at.eq(now),
                entities::updated_at.eq(now),
            ))
            .execute(conn)?;
        let e: Entity = entities::table
            .filter(entities::uscc.eq(c.uscc.as_str()))
            .select(Entity::as_select())
            .first(conn)?;
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
    let Some(version) = input.version else {
        return Err(AppError::field(
            "version",
            Msg::new("修改时须提供版本号", "is required to edit"),
        ));
    };
    let c = check_entity(conn, actor, &input)?;
    write_tx(conn, |conn| {
        let before = get_entity(conn, actor, id)?;
        if before.version != version {
            return Err(AppError::stale());
        }
        let dup: Option<i64> = entities::table
            .filter(entities::uscc.eq(c.uscc.as_str()))
            .filter(entities::id.ne(id))
            .select(entities::id)
            .first(conn)
            .optional()?;
        if let Some(other) = dup {
            return Err(duplicate_uscc(other, c.uscc.as_str()));
        }
        diesel::update(
            entities::table
                .find(id)
                .filter(entities::version.eq(version)),
        )
        .set((
            entities::name.eq(&c.name),
            entities::uscc.eq(c.uscc.as_str()),
            entities::license_no.eq(&c.license_no),
            entities::kind.eq(c.kind.as_str()),
            entities::address.eq(&c.address),
            entities::region_code.eq(c.region.as_str()),
            entities::contact.eq(&c.contact),
            entities::version.eq(version + 1),
            entities::updated_at.eq(now),
        ))
        .execute(conn)?;
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
    let e: Entity = entities::table
        .find(id)
        .select(Entity::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("被抽样单位", "Entity"))?;
    let inside =
        RegionCode::parse(&e.region_code).is_ok_and(|r| scope_covers(actor.region.as_ref(), &r));
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
    let build = || {
        let mut query = entities::table.into_boxed();
        if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            query = query.filter(
                entities::name
                    .like(pat.clone())
                    .or(entities::uscc.like(pat.to_uppercase())),
            );
        }
        if let Some(scope) = &actor.region {
            query = query.filter(entities::region_code.like(format!("{}%", scope.like_prefix())));
        }
        query
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(entities::name.asc())
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(Entity::as_select())
        .load(conn)?;
    Ok((items, total))
}

// ---------------------------------------------------------------- samples

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = samples)]
pub struct SampleRow {
    pub id: i64,
    pub sample_no: String,
    pub plan_id: i64,
    pub entity_id: i64,
    pub domain: String,
    pub category_code: String,
    pub product_name: String,
    pub brand: Option<String>,
    pub specification: Option<String>,
    pub batch_no: Option<String>,
    pub production_date: Option<NaiveDate>,
    pub shelf_life: Option<String>,
    pub manufacturer: Option<String>,
    pub manufacturer_address: Option<String>,
    pub stage: String,
    pub sampled_at: NaiveDateTime,
    pub place: Option<String>,
    pub quantity: String,
    pub unit: String,
    pub backup_quantity: Option<String>,
    pub storage: String,
    pub price: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub conclusion: String,
    pub region_code: String,
    pub registered_by: i64,
    pub registered_at: NaiveDateTime,
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    pub received_at: Option<NaiveDateTime>,
    pub received_by: Option<i64>,
    pub seal_intact: Option<bool>,
    pub condition_ok: Option<bool>,
    pub receipt_note: Option<String>,
    pub reject_reason: Option<String>,
    pub delivered_late: Option<bool>,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    pub reported_at: Option<NaiveDateTime>,
    pub report_no: Option<String>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

/// A sample as the API shows it (API.md `sample`), with its deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sample {
    pub id: i64,
    pub sample_no: String,
    pub plan_id: i64,
    pub entity_id: i64,
    pub domain: String,
    pub category_code: String,
    pub product_name: String,
    pub brand: Option<String>,
    pub specification: Option<String>,
    pub batch_no: Option<String>,
    pub production_date: Option<NaiveDate>,
    pub shelf_life: Option<String>,
    pub manufacturer: Option<String>,
    pub manufacturer_address: Option<String>,
    pub stage: String,
    #[schema(value_type = String)]
    pub sampled_at: DateTime<FixedOffset>,
    pub place: Option<String>,
    pub sampler_ids: Vec<i64>,
    pub quantity: String,
    pub unit: String,
    pub backup_quantity: Option<String>,
    pub storage: String,
    pub price: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub conclusion: String,
    pub region_code: String,
    pub registered_by: i64,
    #[schema(value_type = String)]
    pub registered_at: DateTime<FixedOffset>,
    /// Samples reach the lab by this date (rule `delivery_to_lab`).
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    #[schema(value_type = Option<String>)]
    pub received_at: Option<DateTime<FixedOffset>>,
    pub received_by: Option<i64>,
    pub seal_intact: Option<bool>,
    pub condition_ok: Option<bool>,
    pub receipt_note: Option<String>,
    pub reject_reason: Option<String>,
    pub delivered_late: Option<bool>,
    /// The report is due by this date (rule `report_after_receipt`), once received.
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    #[schema(value_type = Option<String>)]
    pub reported_at: Option<DateTime<FixedOffset>>,
    pub report_no: Option<String>,
    pub version: i32,
}

impl SampleRow {
    pub fn to_sample(&self, sampler_ids: Vec<i64>) -> Sample {
        Sample {
            id: self.id,
            sample_no: self.sample_no.clone(),
            plan_id: self.plan_id,
            entity_id: self.entity_id,
            domain: self.domain.clone(),
            category_code: self.category_code.clone(),
            product_name: self.product_name.clone(),
            brand: self.brand.clone(),
            specification: self.specification.clone(),
            batch_no: self.batch_no.clone(),
            production_date: self.production_date,
            shelf_life: self.shelf_life.clone(),
            manufacturer: self.manufacturer.clone(),
            manufacturer_address: self.manufacturer_address.clone(),
            stage: self.stage.clone(),
            sampled_at: to_local(self.sampled_at),
            place: self.place.clone(),
            sampler_ids,
            quantity: self.quantity.clone(),
            unit: self.unit.clone(),
            backup_quantity: self.backup_quantity.clone(),
            storage: self.storage.clone(),
            price: self.price.clone(),
            notes: self.notes.clone(),
            status: self.status.clone(),
            conclusion: self.conclusion.clone(),
            region_code: self.region_code.clone(),
            registered_by: self.registered_by,
            registered_at: to_local(self.registered_at),
            delivery_due_on: self.delivery_due_on,
            delivery_due_provisional: self.delivery_due_provisional,
            received_at: self.received_at.map(to_local),
            received_by: self.received_by,
            seal_intact: self.seal_intact,
            condition_ok: self.condition_ok,
            receipt_note: self.receipt_note.clone(),
            reject_reason: self.reject_reason.clone(),
            delivered_late: self.delivered_late,
            due_on: self.due_on,
            due_provisional: self.due_provisional,
            reported_at: self.reported_at.map(to_local),
            report_no: self.report_no.clone(),
            version: self.version,
        }
    }

    pub fn status(&self) -> AppResult<SampleStatus> {
        self.status.parse().map_err(AppError::internal)
    }
}

/// The checked values of a sample, ready to store.
struct CheckedSample {
    /// The rule profile of the sample's domain and plan kind, read once.
    profile: Option<crate::domain::rules::RuleProfile>,
    plan: Plan,
    entity: Entity,
    domain: Domain,
    category_code: String,
    product_name: String,
    brand: Option<String>,
    specification: Option<String>,
    batch_no: Option<String>,
    shelf_life: Option<String>,
    manufacturer: Option<String>,
    manufacturer_address: Option<String>,
    stage: Stage,
    sampled_at: NaiveDateTime,
    place: Option<String>,
    samplers: Vec<i64>,
    quantity: String,
    unit: String,
    backup_quantity: Option<String>,
    storage: Storage,
    price: Option<String>,
    notes: Option<String>,
}

fn check_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    i: &SampleInput,
) -> AppResult<CheckedSample> {
    let mut f = FieldErrors::new();
    let product_name = text_field(&mut f, "product_name", &i.product_name, 200, true);
    let brand = opt_text(&mut f, "brand", &i.brand, 100);
    let specification = opt_text(&mut f, "specification", &i.specification, 100);
    let batch_no = opt_text(&mut f, "batch_no", &i.batch_no, 100);
    let shelf_life = opt_text(&mut f, "shelf_life", &i.shelf_life, 50);
    let manufacturer = opt_text(&mut f, "manufacturer", &i.manufacturer, 200);
    let manufacturer_address =
        opt_text(&mut f, "manufacturer_address", &i.manufacturer_address, 300);
    let place = opt_text(&mut f, "place", &i.place, 300);
    let notes = opt_text(&mut f, "notes", &i.notes, 2000);
    let unit = text_field(&mut f, "unit", &i.unit, 20, true);
    let domain = parse_enum::<Domain>(&mut f, "domain", &i.domain);
    let stage = parse_enum::<Stage>(&mut f, "stage", &i.stage);
    let storage = parse_enum::<Storage>(&mut f, "storage", &i.storage);
    let quantity = check_quantity(&i.quantity.text()).unwrap_or_else(|| {
        f.insert(
            "quantity".into(),
            Msg::new("数量应为大于0的数", "must be a number greater than 0"),
        );
        String::new()
    });
    let backup_quantity = match &i.backup_quantity {
        Some(q) => check_quantity(&q.text()).map(Some).unwrap_or_else(|| {
            f.insert(
                "backup_quantity".into(),
                Msg::new("数量应为大于0的数", "must be a number greater than 0"),
            );
            None
        }),
        None => None,
    };
    let price = match &i.price {
        Some(p) => {
            let t = p.text();
            let ok = t.trim() == "0" || check_quantity(&t).is_some();
            if !ok {
                f.insert(
                    "price".into(),
                    Msg::new("价格应为非负数", "must be a number ≥ 0"),
                );
            }
            Some(t.trim().to_string()).filter(|_| ok)
        }
        None => None,
    };
    let sampled_at = i.sampled_at.with_timezone(&Utc).naive_utc();
    if sampled_at > now + chrono::Duration::minutes(10) {
        f.insert(
            "sampled_at".into(),
            Msg::new("抽样时间不能晚于现在", "must not be in the future"),
        );
    } else if sampled_at < now - chrono::Duration::days(366) {
        f.insert(
            "sampled_at".into(),
            Msg::new("抽样时间过早（超过一年）", "is more than a year ago"),
        );
    }
    if let Some(pd) = i.production_date {
        if pd > local_date(sampled_at) {
            f.insert(
                "production_date".into(),
                Msg::new(
                    "生产日期不能晚于抽样日期",
                    "must not be after the sampling date",
                ),
            );
        } else if pd.year() < 1990 {
            f.insert(
                "production_date".into(),
                Msg::new("生产日期无效", "is not a plausible date"),
            );
        }
    }
    // Samplers: at least two different, active users holding the sampler role.
    let mut samplers: Vec<i64> = Vec::new();
    for id in &i.sampler_ids {
        if !samplers.contains(id) {
            samplers.push(*id);
        }
    }
    if samplers.len() < 2 {
        f.insert(
            "sampler_ids".into(),
            Msg::new("至少需要两名抽样人员", "needs at least two samplers"),
        );
    } else if samplers.len() > 10 {
        f.insert(
            "sampler_ids".into(),
            Msg::new("抽样人员过多", "too many samplers"),
        );
    } else {
        let found: Vec<(i64, String, bool)> = users::table
            .filter(users::id.eq_any(&samplers))
            .select((users::id, users::roles, users::active))
            .load(conn)?;
        let bad: Vec<String> = samplers
            .iter()
            .filter(|id| {
                !found.iter().any(|(uid, roles, active)| {
                    uid == *id
                        && *active
                        && Roles::parse_list(roles).is_ok_and(|r| r.has(Role::Sampler))
                })
            })
            .map(|id| id.to_string())
            .collect();
        if !bad.is_empty() {
            f.insert(
                "sampler_ids".into(),
                Msg::new(
                    format!("以下用户不是在职的抽样人员：{}", bad.join("、")),
                    format!("these are not active samplers: {}", bad.join(", ")),
                ),
            );
        }
    }
    // The plan, the entity and the category.
    let plan: Option<Plan> = plans::table
        .find(i.plan_id)
        .select(Plan::as_select())
        .first(conn)
        .optional()?;
    if plan.is_none() {
        f.insert(
            "plan_id".into(),
            Msg::new("没有这个抽检计划", "no such plan"),
        );
    }
    let entity: Option<Entity> = entities::table
        .find(i.entity_id)
        .select(Entity::as_select())
        .first(conn)
        .optional()?;
    if entity.is_none() {
        f.insert(
            "entity_id".into(),
            Msg::new("没有这个被抽样单位", "no such entity"),
        );
    }
    let category: Option<(String, String)> = categories::table
        .find(i.category_code.trim())
        .select((categories::code, categories::domain))
        .first(conn)
        .optional()?;
    match (&category, domain) {
        (None, _) => {
            f.insert(
                "category_code".into(),
                Msg::new("没有这个类别", "no such category"),
            );
        }
        (Some((_, cd)), Some(d)) if cd != d.as_str() => {
            f.insert(
                "category_code".into(),
                Msg::new("类别与领域不符", "belongs to another domain"),
            );
        }
        _ => {}
    }
    let plan_kind = plan.as_ref().and_then(|p| p.kind.parse::<PlanKind>().ok());
    if let (Some(p), Some(d)) = (&plan, domain) {
        if p.domain != d.as_str() {
            f.insert(
                "domain".into(),
                Msg::new("与抽检计划的领域不符", "does not match the plan's domain"),
            );
        }
    }
    // The backup portion follows the rule profile (risk monitoring has none).
    let profile = match (domain, plan_kind) {
        (Some(d), Some(k)) => get_profile(conn, d, k)?.map(|p| p.profile()),
        _ => None,
    };
    if let (Some(_), Some(_)) = (domain, plan_kind) {
        let has_backup = profile
            .as_ref()
            .and_then(|p| p.flag("has_backup_portion"))
            .unwrap_or(true);
        match (has_backup, &backup_quantity) {
            (true, None) if !f.contains_key("backup_quantity") => {
                f.insert(
                    "backup_quantity".into(),
                    Msg::new(
                        "须填写复检备份样品数量",
                        "is required: this plan keeps a backup portion",
                    ),
                );
            }
            (false, Some(_)) => {
                f.insert(
                    "backup_quantity".into(),
                    Msg::new(
                        "风险监测不留复检备份样品",
                        "must be empty: this plan keeps no backup portion",
                    ),
                );
            }
            _ => {}
        }
    }
    let (Some(plan), Some(entity), Some(domain), Some(_), Some(stage), Some(storage), true) = (
        plan,
        entity,
        domain,
        plan_kind,
        stage,
        storage,
        f.is_empty(),
    ) else {
        return Err(AppError::invalid(f));
    };
    // Region scope: the plan must be one the user works, the entity in its region.
    if !plan_in_reach(actor, &plan.region_code) {
        return Err(AppError::Forbidden(Msg::new(
            "该抽检计划不属于您的管辖区域",
            "This plan belongs to another region",
        )));
    }
    let entity_region = RegionCode::parse(&entity.region_code)
        .map_err(|_| AppError::internal("bad entity region"))?;
    if !scope_covers(actor.region.as_ref(), &entity_region) {
        return Err(AppError::Forbidden(Msg::new(
            "该被抽样单位不在您的管辖区域",
            "This entity is outside your region scope",
        )));
    }
    Ok(CheckedSample {
        profile,
        plan,
        entity,
        domain,
        category_code: i.category_code.trim().to_string(),
        product_name,
        brand,
        specification,
        batch_no,
        shelf_life,
        manufacturer,
        manufacturer_address,
        stage,
        sampled_at,
        place,
        samplers,
        quantity,
        unit,
        backup_quantity,
        storage,
        price,
        notes,
    })
}

/// The next number of the per-year, per-county sequence. Runs inside the write
/// transaction, so the number is gap-free: a rolled-back registration rolls the
/// sequence back too, and concurrent registrations queue on the sequence row.
fn next_sequence(conn: &mut DbConnection, year: i32, county: &str) -> AppResult<u32> {
    let insert = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO sample_sequences (year, county_code, last_value) VALUES (?, ?, 0) ON CONFLICT DO NOTHING"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO sample_sequences (year, county_code, last_value) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING"
        }
    };
    diesel::sql_query(insert)
        .bind::<diesel::sql_types::Integer, _>(year)
        .bind::<diesel::sql_types::Text, _>(county)
        .execute(conn)?;
    diesel::update(
        sample_sequences::table
            .filter(sample_sequences::year.eq(year))
            .filter(sample_sequences::county_code.eq(county)),
    )
    .set(sample_sequences::last_value.eq(sample_sequences::last_value + 1))
    .execute(conn)?;
    let v: i32 = sample_sequences::table
        .filter(sample_sequences::year.eq(year))
        .filter(sample_sequences::county_code.eq(county))
        .select(sample_sequences::last_value)
        .first(conn)?;
    if v > 99_999 {
        return Err(AppError::Conflict(Msg::new(
            "本县本年度样品编号已用尽",
            "This county's sample numbers for the year are used up",
        )));
    }
    u32::try_from(v).map_err(AppError::internal)
}

fn sampler_ids(conn: &mut DbConnection, sample_id: i64) -> AppResult<Vec<i64>> {
    Ok(sample_samplers::table
        .filter(sample_samplers::sample_id.eq(sample_id))
        .order(sample_samplers::position.asc())
        .select(sample_samplers::user_id)
        .load(conn)?)
}

fn load_row(conn: &mut DbConnection, sample_no: &str) -> AppResult<SampleRow> {
    samples::table
        .filter(samples::sample_no.eq(sample_no))
        .select(SampleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("样品", "Sample"))
}

/// A sample the actor may see (its region within the actor's scope), else 404.
pub fn visible_row(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<SampleRow> {
    let row = load_row(conn, sample_no.trim())?;
    let inside =
        RegionCode::parse(&row.region_code).is_ok_and(|r| scope_covers(actor.region.as_ref(), &r));
    if inside {
        Ok(row)
    } else {
        Err(AppError::not_found("样品", "Sample"))
    }
}

pub fn get_sample(conn: &mut DbConnection, actor: &Actor, sample_no: &str) -> AppResult<Sample> {
    let row = visible_row(conn, actor, sample_no)?;
    let ids = sampler_ids(conn, row.id)?;
    Ok(row.to_sample(ids))
}

/// A sampler registers a sample. The sample number comes from the county's sequence
/// for the sampling year; the delivery deadline from the rule profile.
pub fn register_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: SampleInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    let registered_by = actor.id.ok_or_else(AppError::forbidden)?;
    let c = check_sample(conn, now, actor, &input)?;
    let cal = work_calendar(conn)?;
    let delivery = c
        .profile
        .as_ref()
        .and_then(|p| p.deadline("delivery_to_lab", local_date(c.sampled_at), &cal));
    write_tx(conn, |conn| {
        let year = local_date(c.sampled_at).year();
        let seq = next_sequence(conn, year, &c.entity.region_code)?;
        let no = sample_no(c.domain, year, &c.entity.region_code, seq);
        diesel::insert_into(samples::table)
            .values((
                samples::sample_no.eq(&no),
                samples::plan_id.eq(c.plan.id),
                samples::entity_id.eq(c.entity.id),
                samples::domain.eq(c.domain.as_str()),
                samples::category_code.eq(&c.category_code),
                samples::product_name.eq(&c.product_name),
                samples::brand.eq(&c.brand),
                samples::specification.eq(&c.specification),
                samples::batch_no.eq(&c.batch_no),
                samples::production_date.eq(input.production_date),
                samples::shelf_life.eq(&c.shelf_life),
                samples::manufacturer.eq(&c.manufacturer),
                samples::manufacturer_address.eq(&c.manufacturer_address),
                samples::stage.eq(c.stage.as_str()),
                samples::sampled_at.eq(c.sampled_at),
                samples::place.eq(&c.place),
                samples::quantity.eq(&c.quantity),
                samples::unit.eq(&c.unit),
                samples::backup_quantity.eq(&c.backup_quantity),
                samples::storage.eq(c.storage.as_str()),
                samples::price.eq(&c.price),
                samples::notes.eq(&c.notes),
                samples::status.eq(SampleStatus::Registered.as_str()),
                samples::conclusion.eq("pending"),
                samples::region_code.eq(&c.entity.region_code),
                samples::registered_by.eq(registered_by),
                samples::registered_at.eq(now),
                samples::delivery_due_on.eq(delivery.as_ref().map(|d| d.date)),
                samples::delivery_due_provisional
                    .eq(delivery.as_ref().is_some_and(|d| d.provisional)),
                samples::due_provisional.eq(false),
                samples::version.eq(1),
                samples::updated_at.eq(now),
            ))
            .execute(conn)?;
        let row = load_row(conn, &no)?;
        for (pos, uid) in c.samplers.iter().enumerate() {
            diesel::insert_into(sample_samplers::table)
                .values((
                    sample_samplers::sample_id.eq(row.id),
                    sample_samplers::user_id.eq(uid),
                    sample_samplers::position.eq(i32::try_from(pos).unwrap_or(0)),
                ))
                .execute(conn)?;
        }
        let sample = row.to_sample(c.samplers.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.register",
                entity_kind: "sample",
                entity_id: no.clone(),
                after: Some(to_json(&sample)?),
                ..Change::default()
            },
        )?;
        Ok(sample)
    })
}

/// The body that registers `s` as it stands, for applying a partial edit to it.
fn input_of(s: &Sample) -> SampleInput {
    SampleInput {
        plan_id: s.plan_id,
        entity_id: s.entity_id,
        domain: s.domain.clone(),
        category_code: s.category_code.clone(),
        product_name: s.product_name.clone(),
        brand: s.brand.clone(),
        specification: s.specification.clone(),
        batch_no: s.batch_no.clone(),
        production_date: s.production_date,
        shelf_life: s.shelf_life.clone(),
        manufacturer: s.manufacturer.clone(),
        manufacturer_address: s.manufacturer_address.clone(),
        stage: s.stage.clone(),
        sampled_at: s.sampled_at,
        place: s.place.clone(),
        sampler_ids: s.sampler_ids.clone(),
        quantity: QuantityValue::Text(s.quantity.clone()),
        unit: s.unit.clone(),
        backup_quantity: s.backup_quantity.clone().map(QuantityValue::Text),
        storage: s.storage.clone(),
        price: s.price.clone().map(QuantityValue::Text),
        notes: s.notes.clone(),
        version: Some(s.version),
    }
}

/// A sampler changes some fields of a sample (API.md's PATCH): the fields sent are
/// laid over the sample as it stands and the whole is checked and stored as by
/// [`update_sample`], which also compares the version sent inside its transaction.
pub fn patch_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_no: &str,
    patch: SamplePatch,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    if patch.version.is_none() {
        return Err(AppError::field(
            "version",
            Msg::new("修改时须提供版本号", "is required to edit"),
        ));
    }
    let row = visible_row(conn, actor, sample_no)?;
    let current = row.to_sample(sampler_ids(conn, row.id)?);
    update_sample(conn, now, actor, sample_no, patch.apply(input_of(&current)))
}

/// A sampler edits a sample while it is still `registered`, with the version it read.
/// The sample number, plan domain and county stay as registered.
pub fn update_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    sample_no: &str,
    input: SampleInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Sampler])?;
    let Some(version) = input.version else {
        return Err(AppError::field(
            "version",
            Msg::new("修改时须提供版本号", "is required to edit"),
        ));
    };
    let current = visible_row(conn, actor, sample_no)?;
    transition(current.status()?, SampleAction::Edit).map_err(|_| {
        AppError::Conflict(Msg::new(
            "样品已接收，不能再修改",
            "The sample has left `registered` and can no longer be edited",
        ))
    })?;
    let c = check_sample(conn, now, actor, &input)?;
    if c.entity.region_code != current.region_code || c.domain.as_str() != current.domain {
        return Err(AppError::field(
            "entity_id",
            Msg::new(
                "不能改为其他县区的单位或其他领域（样品编号已按县区生成）",
                "cannot move to another county or domain: the sample number was issued for them",
            ),
        ));
    }
    let cal = work_calendar(conn)?;
    let delivery = c
        .profile
        .as_ref()
        .and_then(|p| p.deadline("delivery_to_lab", local_date(c.sampled_at), &cal));
    write_tx(conn, |conn| {
        let before_row = load_row(conn, &current.sample_no)?;
        if before_row.version != version {
            return Err(AppError::stale());
        }
        let before = before_row.to_sample(sampler_ids(conn, before_row.id)?);
        let n = diesel::update(
            samples::table
                .find(before_row.id)
                .filter(samples::version.eq(version))
                .filter(samples::status.eq("registered")),
        )
        .set((
            samples::plan_id.eq(c.plan.id),
            samples::entity_id.eq(c.entity.id),
            samples::category_code.eq(&c.category_code),
            samples::product_name.eq(&c.product_name),
            samples::brand.eq(&c.brand),
            samples::specification.eq(&c.specification),
            samples::batch_no.eq(&c.batch_no),
            samples::production_date.eq(input.production_date),
            samples::shelf_life.eq(&c.shelf_life),
            samples::manufacturer.eq(&c.manufacturer),
            samples::manufacturer_address.eq(&c.manufacturer_address),
            samples::stage.eq(c.stage.as_str()),
            samples::sampled_at.eq(c.sampled_at),
            samples::place.eq(&c.place),
            samples::quantity.eq(&c.quantity),
            samples::unit.eq(&c.unit),
            samples::backup_quantity.eq(&c.backup_quantity),
            samples::storage.eq(c.storage.as_str()),
            samples::price.eq(&c.price),
            samples::notes.eq(&c.notes),
            samples::delivery_due_on.eq(delivery.as_ref().map(|d| d.date)),
            samples::delivery_due_provisional.eq(delivery.as_ref().is_some_and(|d| d.provisional)),
            samples::version.eq(version + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        diesel::delete(sample_samplers::table.filter(sample_samplers::sample_id.eq(before_row.id)))
            .execute(conn)?;
        for (pos, uid) in c.samplers.iter().enumerate() {
            diesel::insert_into(sample_samplers::table)
                .values((
                    sample_samplers::sample_id.eq(before_row.id),
                    sample_samplers::user_id.eq(uid),
                    sample_samplers::position.eq(i32::try_from(pos).unwrap_or(0)),
                ))
                .execute(conn)?;
        }
        let after = load_row(conn, &current.sample_no)?.to_sample(c.samplers.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.update",
                entity_kind: "sample",
                entity_id: current.sample_no.clone(),
                before: Some(to_json(&before)?),
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// Filters of `GET /api/v1/samples`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct SampleFilter {
    pub status: Option<String>,
    pub conclusion: Option<String>,
    /// A region code: that region and everything below it.
    pub region: Option<String>,
    pub plan_id: Option<i64>,
    /// Sampled on or after this date (Shanghai).
    pub from: Option<NaiveDate>,
    /// Sampled on or before this date (Shanghai).
    pub to: Option<NaiveDate>,
    /// Sample number, product name, brand or entity name contains this.
    pub q: Option<String>,
    /// Only samples past a deadline: not delivered by `delivery_due_on`, or no report
    /// by `due_on`.
    pub overdue: Option<bool>,
}

use crate::domain::local_time::utc_of_local_midnight as start_of_local_day;

/// Samples the actor may see, filtered and paged, newest first.
pub fn list_samples(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    f: &SampleFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Sample>, i64)> {
    let mut fields = FieldErrors::new();
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        parse_enum::<SampleStatus>(&mut fields, "status", s);
    }
    if let Some(c) = f.conclusion.as_deref().filter(|s| !s.is_empty()) {
        parse_enum::<crate::domain::sample::Conclusion>(&mut fields, "conclusion", c);
    }
    let region = match f.region.as_deref().filter(|s| !s.is_empty()) {
        Some(r) => match RegionCode::parse(r) {
            Ok(rc) => Some(rc),
            Err(_) => {
                fields.insert(
                    "region".into(),
                    Msg::new("区划代码应为6位数字", "must be a 6-digit region code"),
                );
                None
            }
        },
        None => None,
    };
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }
    let today = local_date(now);
    let entity_ids: Option<Vec<i64>> = match f.q.as_deref().map(str::trim).filter(|t| !t.is_empty())
    {
        Some(text) => {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            Some(
                entities::table
                    .filter(entities::name.like(pat))
                    .select(entities::id)
                    .limit(1000)
                    .load(conn)?,
            )
        }
        None => None,
    };
    let build = || {
        let mut q = samples::table.into_boxed();
        if let Some(scope) = &actor.region {
            q = q.filter(samples::region_code.like(format!("{}%", scope.like_prefix())));
        }
        if let Some(r) = &region {
            q = q.filter(samples::region_code.like(format!("{}%", r.like_prefix())));
        }
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(samples::status.eq(s.to_string()));
        }
        if let Some(c) = f.conclusion.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(samples::conclusion.eq(c.to_string()));
        }
        if let Some(p) = f.plan_id {
            q = q.filter(samples::plan_id.eq(p));
        }
        if let Some(d) = f.from {
            q = q.filter(samples::sampled_at.ge(start_of_local_day(d)));
        }
        if let Some(d) = f.to {
            q = q.filter(samples::sampled_at.lt(start_of_local_day(d + chrono::Duration::days(1))));
        }
        if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pat = format!("%{}%", text.replace(['%', '_'], ""));
            let ids = entity_ids.clone().unwrap_or_default();
            q = q.filter(
                samples::sample_no
                    .like(pat.to_uppercase())
                    .or(samples::product_name.like(pat.clone()))
                    .or(samples::brand.like(pat))
                    .or(samples::entity_id.eq_any(ids)),
            );
        }
        if f.overdue == Some(true) {
            q = q.filter(
                samples::status
                    .eq("registered")
                    .and(samples::delivery_due_on.lt(today))
                    .or(samples::status
                        .eq_any(["received", "testing", "review"])
                        .and(samples::due_on.lt(today))),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<SampleRow> = build()
        .order((samples::registered_at.desc(), samples::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page)
        .select(SampleRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(i64, i64, i32)> = sample_samplers::table
        .filter(sample_samplers::sample_id.eq_any(&ids))
        .select((
            sample_samplers::sample_id,
            sample_samplers::user_id,
            sample_samplers::position,
        ))
        .load(conn)?;
    let items = rows
        .iter()
        .map(|r| {
            let mut mine: Vec<(i32, i64)> = pairs
                .iter()
                .filter(|p| p.0 == r.id)
                .map(|p| (p.2, p.1))
                .collect();
            mine.sort();
            r.to_sample(mine.into_iter().map(|p| p.1).collect())
        })
        .collect();
    Ok((items, total))
}

/// Whether a sample is past a deadline today.
pub fn is_overdue(s: &Sample, today: NaiveDate) -> bool {
    match s.status.as_str() {
        "registered" => s.delivery_due_on.is_some_and(|d| d < today),
        "received" | "testing" | "review" => s.due_on.is_some_and(|d| d < today),
        _ => false,
    }
}

// ---------------------------------------------------------------- receipt

/// `POST /api/v1/receipts`: what the scanner read and what the custodian saw.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    pub scan: String,
    pub seal_intact: bool,
    pub condition_ok: bool,
    #[serde(default)]
    pub note: Option<String>,
    /// Rejects the sample (拒收) with this reason.
    #[serde(default)]
    pub reject_reason: Option<String>,
}

/// Finds the sample a scan names (full label URL, with or without `#B`, or the bare
/// number). 404 when no such sample is visible; 422 when the scan is not a label.
pub fn find_by_scan(conn: &mut DbConnection, actor: &Actor, scan: &str) -> AppResult<Sample> {
    let Some((no, _portion)) = parse_scan(scan) else {
        return Err(AppError::field(
            "scan",
            Msg::new("无法识别的扫码内容", "is not a sample label or number"),
        ));
    };
    get_sample(conn, actor, &no)
}

/// The custodian receives a scanned sample, recording seal and condition; or rejects
/// it with a reason. A broken seal or a bad condition needs a reason. Receipt starts
/// the lab's report deadline; a delivery after its deadline is flagged.
pub fn receive(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: ReceiptInput,
) -> AppResult<Sample> {
    actor.require(&[Role::Custodian])?;
    let receiver = actor.id.ok_or_else(AppError::forbidden)?;
    let mut f = FieldErrors::new();
    let note = opt_text(&mut f, "note", &input.note, 1000);
    let reason = opt_text(&mut f, "reject_reason", &input.reject_reason, 1000);
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    let found = find_by_scan(conn, actor, &input.scan)?;
    let reject = reason.is_some();
    if !reject && (!input.seal_intact || !input.condition_ok) {
        return Err(AppError::field(
            "reject_reason",
            Msg::new(
                "封条破损或样品状态异常时，须填写拒收原因",
                "is required when the seal is broken or the condition is not fit",
            ),
        ));
    }
    let action = if reject {
        SampleAction::RejectAtReceipt
    } else {
        SampleAction::Receive
    };
    let cal = work_calendar(conn)?;
    let domain: Domain = found.domain.parse().map_err(AppError::internal)?;
    let plan_kind: PlanKind = plans::table
        .find(found.plan_id)
        .select(plans::kind)
        .first::<String>(conn)?
        .parse()
        .map_err(AppError::internal)?;
    let profile = get_profile(conn, domain, plan_kind)?.map(|p| p.profile());
    write_tx(conn, |conn| {
        let row = load_row(conn, &found.sample_no)?;
        let from = row.status()?;
        let to = transition(from, action).map_err(|_| {
            AppError::Conflict(Msg::new(
                format!("样品状态为“{}”，不能接收", from.label_zh()),
                format!(
                    "The sample is {}, not registered: it cannot be received again",
                    from.as_str()
                ),
            ))
        })?;
        let today = local_date(now);
        let late = row.delivery_due_on.map(|d| today > d);
        let due = if reject {
            None
        } else {
            profile
                .as_ref()
                .and_then(|p| p.deadline("report_after_receipt", today, &cal))
        };
        let before = row.to_sample(sampler_ids(conn, row.id)?);
        let n = diesel::update(
            samples::table
                .find(row.id)
                .filter(samples::version.eq(row.version)),
        )
        .set((
            samples::status.eq(to.as_str()),
            samples::received_at.eq(Some(now)),
            samples::received_by.eq(Some(receiver)),
            samples::seal_intact.eq(Some(input.seal_intact)),
            samples::condition_ok.eq(Some(input.condition_ok)),
            samples::receipt_note.eq(&note),
            samples::reject_reason.eq(&reason),
            samples::delivered_late.eq(late),
            samples::due_on.eq(due.as_ref().map(|d| d.date)),
            samples::due_provisional.eq(due.as_ref().is_some_and(|d| d.provisional)),
            samples::version.eq(row.version + 1),
            samples::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::stale());
        }
        let after = load_row(conn, &row.sample_no)?.to_sample(before.sampler_ids.clone());
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: if reject {
                    "sample.reject"
                } else {
                    "sample.receive"
                },
                entity_kind: "sample",
                entity_id: row.sample_no.clone(),
                before: Some(
                    serde_json::json!({ "status": before.status, "version": before.version }),
                ),
                after: Some(serde_json::json!({
                    "status": after.status, "seal_intact": input.seal_intact, "condition_ok": input.condition_ok,
                    "note": note, "delivered_late": late, "due_on": after.due_on, "version": after.version,
                })),
                reason: reason.as_deref(),
            },
        )?;
        Ok(after)
    })
}

// ---------------------------------------------------------------- for documents

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
}

pub fn sample_sheet(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_no: &str,
) -> AppResult<SampleSheet> {
    let sample = get_sample(conn, actor, sample_no)?;
    let plan: Plan = plans::table
        .find(sample.plan_id)
        .select(Plan::as_select())
        .first(conn)?;
    let entity: Entity = entities::table
        .find(sample.entity_id)
        .select(Entity::as_select())
        .first(conn)?;
    let category_name: String = categories::table
        .find(&sample.category_code)
        .select(categories::name_zh)
        .first(conn)?;
    let plan_region_name: String = regions::table
        .find(&plan.region_code)
        .select(regions::name_zh)
        .first(conn)?;
    let names: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(&sample.sampler_ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    let sampler_names = sample
        .sampler_ids
        .iter()
        .filter_map(|id| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()))
        .collect();
    Ok(SampleSheet {
        plan_region_name,
        has_backup: sample.backup_quantity.is_some(),
        sample,
        plan,
        entity,
        category_name,
        sampler_names,
    })
}

/// Recomputes every provisional deadline of samples with the calendar as it now
/// stands (after an admin loaded a year), inside the caller's write transaction.
/// Returns how many samples changed; each change is audited.
pub fn recompute_provisional_deadlines(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
) -> AppResult<usize> {
    let cal = work_calendar(conn)?;
    let rows: Vec<SampleRow> = samples::table
        .filter(
            samples::delivery_due_provisional
                .eq(true)
                .or(samples::due_provisional.eq(true)),
        )
        .select(SampleRow::as_select())
        .load(conn)?;
    let mut changed = 0;
    for row in rows {
        let domain: Domain = row.domain.parse().map_err(AppError::internal)?;
        let kind: PlanKind = plans::table
            .find(row.plan_id)
            .select(plans::kind)
            .first::<String>(conn)?
            .parse()
            .map_err(AppError::internal)?;
        let Some(profile) = get_profile(conn, domain, kind)?.map(|p| p.profile()) else {
            continue;
        };
        let delivery = if row.delivery_due_provisional {
            profile.deadline("delivery_to_lab", local_date(row.sampled_at), &cal)
        } else {
            None
        };
        let report = match (row.due_provisional, row.received_at) {
            (true, Some(r)) => profile.deadline("report_after_receipt", local_date(r), &cal),
            _ => None,
        };
        let new_delivery = delivery
            .as_ref()
            .map_or(row.delivery_due_on, |d| Some(d.date));
        let new_delivery_prov = delivery
            .as_ref()
            .map_or(row.delivery_due_provisional, |d| d.provisional);
        let new_due = report.as_ref().map_or(row.due_on, |d| Some(d.date));
        let new_due_prov = report
            .as_ref()
            .map_or(row.due_provisional, |d| d.provisional);
        if (new_delivery, new_delivery_prov, new_due, new_due_prov)
            == (
                row.delivery_due_on,
                row.delivery_due_provisional,
                row.due_on,
                row.due_provisional,
            )
        {
            continue;
        }
        diesel::update(samples::table.find(row.id))
            .set((
                samples::delivery_due_on.eq(new_delivery),
                samples::delivery_due_provisional.eq(new_delivery_prov),
                samples::due_on.eq(new_due),
                samples::due_provisional.eq(new_due_prov),
                samples::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "sample.deadlines_recomputed",
                entity_kind: "sample",
                entity_id: row.sample_no.clone(),
                before: Some(serde_json::json!({
                    "delivery_due_on": row.delivery_due_on, "delivery_due_provisional": row.delivery_due_provisional,
                    "due_on": row.due_on, "due_provisional": row.due_provisional,
                })),
                after: Some(serde_json::json!({
                    "delivery_due_on": new_delivery, "delivery_due_provisional": new_delivery_prov,
                    "due_on": new_due, "due_provisional": new_due_prov,
                })),
                reason: Some("calendar year loaded"),
            },
        )?;
        changed += 1;
    }
    Ok(changed)
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
