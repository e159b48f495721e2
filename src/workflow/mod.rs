//! Use cases, one module per stage. Each pub fn is one use case in one transaction:
//! load → domain check → write → audit. No HTTP here; the web layer is a thin caller.

pub mod accounts;
pub mod approval;
pub mod audit;
pub mod calendar;
pub mod case_reports;
pub mod disposal;
pub mod intake;
pub mod lab;
pub mod nominations;
pub mod public;
pub mod reference;
pub mod report_batch;
pub mod reports;
pub mod retention;
pub mod screening;
pub mod stats;
pub mod throttle;

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::domain::region::RegionCode;
use crate::domain::role::{Role, Roles};
use crate::error::{AppError, AppResult, Msg};

pub use crate::forms::clean_text;

/// What every use case runs with: one connection, the moment it runs at (read once from
/// the injected clock, so every row it writes carries the same time) and who acts.
/// The web layer opens it with `AppState::call`; the CLI, seeding and tests with
/// [`Ctx::new`].
pub struct Ctx<'a> {
    pub conn: &'a mut DbConnection,
    pub now: NaiveDateTime,
    pub actor: &'a Actor,
}

impl<'a> Ctx<'a> {
    pub fn new(conn: &'a mut DbConnection, now: NaiveDateTime, actor: &'a Actor) -> Ctx<'a> {
        Ctx { conn, now, actor }
    }
}

/// Who is acting: a logged-in user, or the system itself (seeding, migrations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    /// The region the user is scoped to; `None` sees the whole province.
    pub region: Option<RegionCode>,
}

impl Actor {
    /// Whether a record of region `region_code` lies within the actor's scope (all of
    /// it for a user with no region); a code that is not a region lies in none.
    pub fn covers(&self, region_code: &str) -> bool {
        RegionCode::parse(region_code)
            .is_ok_and(|r| crate::domain::region::scope_covers(self.region.as_ref(), &r))
    }

    /// The system actor, for work no person started (seed data at first start).
    pub fn system() -> Actor {
        Actor {
            id: None,
            username: "system".to_string(),
            display_name: "system".to_string(),
            roles: Roles::parse_list("admin").unwrap_or_default(),
            region: None,
        }
    }

    /// Refuses (403) unless the actor holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if self.roles.has_any(roles) {
            Ok(())
        } else {
            Err(AppError::Forbidden(Msg::new(
                format!(
                    "需要以下角色之一：{}",
                    roles
                        .iter()
                        .map(|r| r.label_zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                format!(
                    "This needs one of these roles: {}",
                    roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )))
        }
    }
}

/// An optional region filter from a query (`region=`): blank is none; a value that is
/// not a region code is noted in `errors` under `field` (a 422 naming it).
pub fn region_filter(
    value: Option<&str>,
    field: &str,
    errors: &mut crate::error::FieldErrors,
) -> Option<RegionCode> {
    let v = value.map(str::trim).filter(|r| !r.is_empty())?;
    match RegionCode::parse(v) {
        Ok(code) => Some(code),
        Err(_) => {
            errors.insert(
                field.into(),
                Msg::new("行政区划代码无效", "is not a region code"),
            );
            None
        }
    }
}

/// Refuses (403) a signatory who entered or reviewed any result of the sample, now or
/// in an earlier attempt that was sent back (`test_attempts`): the signatory of a report
/// is independent of every result in it.
pub(crate) fn check_independent(
    conn: &mut DbConnection,
    actor: &Actor,
    sample_id: i64,
) -> AppResult<()> {
    let Some(me) = actor.id else {
        return Ok(());
    };
    let people = crate::db::tests::result_people(conn, sample_id)?;
    crate::domain::states::check_independent(me, &people).map_err(|e| AppError::Forbidden(e.msg()))
}
