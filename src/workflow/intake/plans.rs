//! Sampling plans (抽检计划): created and edited by supervisors and admins, worked by
//! the users whose scope overlaps the plan's region.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::{
    known_region, out_of_scope, parse_enum, text_field, to_json, to_local, version_sent, Plan,
};
use crate::db::plans::{PlanQuery, PlanValues};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::region::{scope_covers, scope_overlaps, RegionCode};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::PlanLevel;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Actor;

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

impl CheckedPlan {
    fn values<'a>(&'a self, i: &PlanInput) -> PlanValues<'a> {
        PlanValues {
            code: &self.code,
            name: &self.name,
            year: i.year,
            level: self.level.as_str(),
            kind: self.kind.as_str(),
            domain: self.domain.as_str(),
            region_code: self.region.as_str(),
            target_batches: self.target,
            starts_on: i.starts_on,
            ends_on: i.ends_on,
        }
    }
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
        if let Some(id) = db::plans::id_by_code(conn, &c.code, None)? {
            return Err(AppError::Duplicate(
                Msg::new(
                    format!("计划编号“{}”已存在", c.code),
                    format!("A plan with code `{}` exists", c.code),
                ),
                serde_json::json!({ "id": id, "href": format!("/api/v1/plans/{id}") }),
            ));
        }
        let plan = db::plans::insert(conn, &c.values(&input), now)?;
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
    let version = version_sent(input.version)?;
    let c = check_plan(conn, actor, &input, to_local(now).year())?;
    write_tx(conn, |conn| {
        let before = get_plan(conn, actor, id)?;
        if before.version != version {
            return Err(AppError::stale());
        }
        if db::plans::id_by_code(conn, &c.code, Some(id))?.is_some() {
            return Err(AppError::Conflict(Msg::new(
                "计划编号已被其他计划使用",
                "Another plan has that code",
            )));
        }
        db::plans::update(conn, id, version, &c.values(&input), now)?;
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
    let plan = db::plans::find(conn, id)?.ok_or_else(|| AppError::not_found("抽检计划", "Plan"))?;
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
    let query = PlanQuery {
        year: f.year,
        domain: f.domain.as_deref().filter(|d| !d.is_empty()),
        kind: f.kind.as_deref().filter(|k| !k.is_empty()),
        text: f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        scope: actor.region.as_ref(),
    };
    db::plans::list(conn, &query, page, per_page)
}
