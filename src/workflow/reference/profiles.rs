//! Rule profiles: every deadline, window and flag the stages read, stored per domain
//! and plan kind and replaced by admins; and the setup health of the admin home page.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::StoredProfile;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind, Rule, RuleProfile};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::Ctx;

pub fn list_profiles(conn: &mut DbConnection) -> AppResult<Vec<StoredProfile>> {
    db::reference::list_profiles(conn)
}

/// `PUT /api/v1/rule-profiles/{domain}/{plan_kind}`: one profile as GET returns it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ProfileInput {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub plan_kind: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Rule>,
    pub version: Option<i32>,
}

/// An admin replaces a rule profile (or creates one for a new domain and plan kind,
/// with no version). Every rule is checked; the change is audited with before and
/// after.
pub fn put_profile(
    cx: &mut Ctx,
    domain: &str,
    plan_kind: &str,
    input: ProfileInput,
    reason: Option<&str>,
) -> AppResult<StoredProfile> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Admin])?;
    let domain: Domain = domain
        .parse()
        .map_err(|e: String| AppError::NotFound(Msg::new(format!("没有这个领域：{e}"), e)))?;
    let plan_kind: PlanKind = plan_kind
        .parse()
        .map_err(|e: String| AppError::NotFound(Msg::new(format!("没有这个计划类型：{e}"), e)))?;
    let mut f = FieldErrors::new();
    if input
        .domain
        .as_deref()
        .is_some_and(|d| d != domain.as_str())
    {
        f.insert(
            "domain".into(),
            Msg::new("与路径不一致", "does not match the path"),
        );
    }
    if input
        .plan_kind
        .as_deref()
        .is_some_and(|k| k != plan_kind.as_str())
    {
        f.insert(
            "plan_kind".into(),
            Msg::new("与路径不一致", "does not match the path"),
        );
    }
    // A client written before rules had a basis sends them without one: a rule the
    // stored profile has keeps its basis, so such a client keeps working.
    let mut rules = input.rules;
    if rules.iter().any(|r| r.basis.trim().is_empty()) {
        if let Some(stored) = db::reference::stored_profile(conn, domain, plan_kind)? {
            for r in rules.iter_mut().filter(|r| r.basis.trim().is_empty()) {
                if let Some(s) = stored.rules.iter().find(|s| s.key == r.key) {
                    r.basis.clone_from(&s.basis);
                }
            }
        }
    }
    let profile = RuleProfile {
        domain,
        plan_kind,
        rules,
    };
    for e in profile.validate() {
        f.insert(
            e.field.clone(),
            Msg::new(format!("规则有误：{}", e.message), e.message.clone()),
        );
    }
    if !f.is_empty() {
        return Err(AppError::invalid(f));
    }
    let rules_json = serde_json::to_string(&profile.rules).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        let before = db::reference::stored_profile(conn, domain, plan_kind)?;
        match (&before, input.version) {
            (Some(b), Some(v)) if b.version == v => {
                let n =
                    db::reference::update_profile(conn, domain, plan_kind, v, &rules_json, now)?;
                AppError::stale_unless(n)?;
            }
            (Some(_), Some(_)) => return Err(AppError::stale()),
            (Some(_), None) => {
                return Err(AppError::field(
                    "version",
                    Msg::new("修改时须提供版本号", "is required to change a profile"),
                ))
            }
            (None, _) => {
                db::reference::insert_profile(conn, domain, plan_kind, &rules_json, now)?;
            }
        }
        let after = db::reference::get_profile(conn, domain, plan_kind)?
            .ok_or_else(|| AppError::internal("profile vanished"))?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "rule_profile.put",
                entity_kind: "rule_profile",
                entity_id: format!("{domain}/{plan_kind}"),
                before: before
                    .map(|b| serde_json::to_value(b.rules))
                    .transpose()
                    .map_err(AppError::internal)?,
                after: Some(serde_json::to_value(&after.rules).map_err(AppError::internal)?),
                reason,
            },
        )?;
        Ok(after)
    })
}

/// Setup health for the admin home page: which calendar years are loaded, which
/// regions lack a population, how many test items are unverified.
#[derive(Debug, Clone, Serialize)]
pub struct SetupHealth {
    pub calendar_years: Vec<i32>,
    pub current_year_loaded: bool,
    pub next_year_loaded: bool,
    pub regions_without_population: Vec<(String, String)>,
    pub unverified_test_items: i64,
    pub test_items: i64,
}

pub fn setup_health(conn: &mut DbConnection, today: NaiveDate) -> AppResult<SetupHealth> {
    let years = db::reference::loaded_years(conn)?;
    let missing = db::reference::regions_without_population(conn)?;
    let (total, unverified) = db::reference::test_item_counts(conn)?;
    Ok(SetupHealth {
        current_year_loaded: years.contains(&today.year()),
        next_year_loaded: years.contains(&(today.year() + 1)),
        calendar_years: years,
        regions_without_population: missing,
        unverified_test_items: unverified,
        test_items: total,
    })
}
