//! Statistics use cases (SPEC §7): the sampling rate per thousand residents, quality
//! and lab figures, drug producer coverage. Invariant: every figure is aggregated by the
//! database (GROUP BY in [`crate::db::stats`]), never by loading every sample; the
//! formulas are `domain::stats`; supervisors and admins see their own region scope only.

mod coverage;
mod lab;
mod quality;
mod rate;
mod summary;

pub use coverage::{coverage, Coverage, Producer};
pub use lab::{fill_missing_turnaround, lab, recount_turnaround, Lab};
pub use quality::{quality, MonthRow, OutcomeRow, Quality};
pub use rate::{sampling_rate, LeftOutRow, RateRow};
pub use summary::{summary, Summary};

pub use crate::db::stats::{FailingItem, OverdueSample};
pub use crate::domain::stats::turnaround_of;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::db::reference::get_profile;
use crate::db::stats::{self as q, PlanInfo, Slice};
use crate::db::DbConnection;
use crate::domain::local_time::local_date;
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::stats as f;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::Ctx;

/// The rule that lists the plan kinds counted by the sampling rate.
pub const PLAN_KINDS_RULE: &str = "sampling_rate_plan_kinds";
/// The rule that holds the annual target per thousand residents.
pub const TARGET_RULE: &str = "sampling_rate_target";
/// SPEC §7's default when a profile has no `sampling_rate_plan_kinds` rule (profiles
/// stored before the rule was shipped).
pub const DEFAULT_PLAN_KINDS: [PlanKind; 3] = [
    PlanKind::Supervision,
    PlanKind::Evaluation,
    PlanKind::PublicRequest,
];
const PLAN_LEVELS: [&str; 4] = ["national", "provincial", "prefectural", "county"];
/// How many failing test items and overdue samples a figure lists.
const TOP_ITEMS: i64 = 10;
const OVERDUE_LIST: i64 = 200;

/// The filters every figure takes, as the query string or the CLI gives them. All are
/// text so that a bad value becomes a 422 naming its field, never a 400 or a 500.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct StatsFilter {
    /// A calendar year (Asia/Shanghai); default the current year. Not with from/to.
    pub year: Option<String>,
    /// First day (YYYY-MM-DD), default 1 January of `to`'s year.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, inclusive), default today.
    pub to: Option<String>,
    /// Rows per region at `province`, `prefecture` or `county` level.
    pub level: Option<String>,
    /// A region code: the figures of this region (within the user's scope).
    pub region: Option<String>,
    /// `food` (default for the sampling rate), `drug`, `cosmetic` or `device`.
    pub domain: Option<String>,
    /// A category code (e.g. `01` or `01.01`); a category includes its subcategories.
    pub category: Option<String>,
    /// Plan level: national, provincial, prefectural or county.
    pub plan_level: Option<String>,
    /// Plan kind: supervision, risk_monitoring, evaluation or public_request.
    pub plan_kind: Option<String>,
}

/// A checked filter.
#[derive(Debug, Clone)]
pub struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    /// The region the figures cover (the user's scope when none was asked for).
    pub region: Option<RegionCode>,
    pub level: RegionLevel,
    pub domain: Option<Domain>,
    pub category: Option<String>,
    pub plan_level: Option<String>,
    pub plan_kind: Option<PlanKind>,
}

impl Scope {
    /// The period, region, domain and category every query is restricted to.
    fn slice(&self) -> Slice {
        Slice {
            from: self.from,
            to: self.to,
            region: self.region.clone(),
            domain: self.domain,
            category: self.category.clone(),
        }
    }
    /// Whether a plan passes the plan filters.
    fn plan_passes(&self, p: &PlanInfo) -> bool {
        self.plan_level.as_ref().is_none_or(|l| &p.level == l)
            && self.plan_kind.is_none_or(|k| p.kind == k.as_str())
    }
}

fn invalid(field: &str, zh: &str, en: &str) -> AppError {
    AppError::field(field, Msg::new(zh, en))
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_date(field: &str, v: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            "日期格式应为 YYYY-MM-DD",
            "must be a date YYYY-MM-DD",
        )
    })
}

/// Checks a filter against the actor's scope. `default_domain` is the domain used when
/// none is given (`Some(Food)` for the sampling rate, `None` for all domains).
pub fn check_filter(
    cx: &mut Ctx,
    input: &StatsFilter,
    default_domain: Option<Domain>,
) -> AppResult<Scope> {
    let (now, actor) = (cx.now, cx.actor);
    let conn = &mut *cx.conn;
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let today = local_date(now);
    let mut errors = FieldErrors::new();
    let mut note = |field: &str, zh: &str, en: &str| {
        errors.insert(field.to_string(), Msg::new(zh, en));
    };
    let year = match nonempty(&input.year) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                note(
                    "year",
                    "年份应为 2000 至 2100 的整数",
                    "must be a year from 2000 to 2100",
                );
                None
            }
        },
    };
    let from = nonempty(&input.from).map(|v| parse_date("from", v));
    let to = nonempty(&input.to).map(|v| parse_date("to", v));
    let mut take = |r: Option<AppResult<NaiveDate>>, field: &str| match r {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            note(
                field,
                "日期格式应为 YYYY-MM-DD",
                "must be a date YYYY-MM-DD",
            );
            None
        }
        None => None,
    };
    let (from, to) = (take(from, "from"), take(to, "to"));
    let mut note = |field: &str, zh: &str, en: &str| {
        errors.insert(field.to_string(), Msg::new(zh, en));
    };
    if year.is_some() && (from.is_some() || to.is_some()) {
        note(
            "year",
            "年份与起止日期只能选一种",
            "give a year or from/to, not both",
        );
    }
    let (period_from, period_to) = match (year, from, to) {
        (Some(y), _, _) => f::year_bounds(y).unwrap_or((today, today)),
        (None, None, None) => f::year_bounds(today.year()).unwrap_or((today, today)),
        (None, from, to) => {
            let to = to.unwrap_or(today);
            let from =
                from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
            (from, to)
        }
    };
    if period_from > period_to {
        note("from", "开始日期不能晚于结束日期", "must not be after `to`");
    }
    if (period_to - period_from).num_days() > 366 * 10 {
        note(
            "to",
            "期间不能超过十年",
            "the period must not exceed ten years",
        );
    }
    let region = match nonempty(&input.region) {
        None => actor.region.clone(),
        Some(r) => match RegionCode::parse(r) {
            Err(_) => {
                note("region", "行政区划代码无效", "is not a region code");
                None
            }
            Ok(code) => {
                if !crate::db::reference::region_exists(conn, code.as_str())? {
                    note("region", "没有这个行政区划", "is not a known region");
                    None
                } else {
                    if let Some(scope) = &actor.region {
                        if !scope.contains(&code) {
                            return Err(AppError::Forbidden(Msg::new(
                                "该地区不在您的管辖范围内",
                                "This region is outside your scope",
                            )));
                        }
                    }
                    Some(code)
                }
            }
        },
    };
    let base_level = region
        .as_ref()
        .map_or(RegionLevel::Province, RegionCode::level);
    let level = match nonempty(&input.level) {
        None => match base_level {
            RegionLevel::Province => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        },
        Some(l) => match l.parse::<RegionLevel>() {
            Ok(l) if l >= base_level => l,
            Ok(_) => {
                note(
                    "level",
                    "层级不能高于所选地区",
                    "must be at or below the region's level",
                );
                RegionLevel::County
            }
            Err(_) => {
                note(
                    "level",
                    "层级应为 province、prefecture 或 county",
                    "must be province, prefecture or county",
                );
                RegionLevel::County
            }
        },
    };
    let domain = match nonempty(&input.domain) {
        None => default_domain,
        Some(d) => match d.parse::<Domain>() {
            Ok(d) => Some(d),
            Err(_) => {
                note(
                    "domain",
                    "领域应为 food、drug、cosmetic 或 device",
                    "must be food, drug, cosmetic or device",
                );
                None
            }
        },
    };
    let category = match nonempty(&input.category) {
        None => None,
        Some(c) => {
            if !q::category_exists(conn, c)? {
                note("category", "没有这个食品类别", "is not a known category");
            }
            Some(c.to_string())
        }
    };
    let plan_level = match nonempty(&input.plan_level) {
        None => None,
        Some(l) if PLAN_LEVELS.contains(&l) => Some(l.to_string()),
        Some(_) => {
            note(
                "plan_level",
                "计划层级应为 national、provincial、prefectural 或 county",
                "must be national, provincial, prefectural or county",
            );
            None
        }
    };
    let plan_kind = match nonempty(&input.plan_kind) {
        None => None,
        Some(k) => match k.parse::<PlanKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                note(
                    "plan_kind",
                    "计划类型应为 supervision、risk_monitoring、evaluation 或 public_request",
                    "must be supervision, risk_monitoring, evaluation or public_request",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(Scope {
        from: period_from,
        to: period_to,
        today,
        region,
        level,
        domain,
        category,
        plan_level,
        plan_kind,
    })
}

/// The plan kinds the sampling rate counts for `domain` and the annual target, from
/// the domain's supervision profile (SPEC §7).
pub fn rate_definition(
    conn: &mut DbConnection,
    domain: Domain,
) -> AppResult<(Vec<PlanKind>, Option<f64>, &'static str)> {
    let profile = get_profile(conn, domain, PlanKind::Supervision)?.map(|p| p.profile());
    let listed: Vec<PlanKind> = profile
        .as_ref()
        .map(|p| p.list(PLAN_KINDS_RULE))
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect();
    let target = profile.as_ref().and_then(|p| p.number(TARGET_RULE));
    Ok(if listed.is_empty() {
        (DEFAULT_PLAN_KINDS.to_vec(), target, "spec_default")
    } else {
        (listed, target, "rule_profile")
    })
}
