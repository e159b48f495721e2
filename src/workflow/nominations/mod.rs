//! 你点我检 (SPEC §8, rules.md §a.1): residents nominate a product to test without an
//! account and follow it by a tracking code; supervisors accept it into a public_request
//! plan, merge duplicates or decline with a reason, and link the samples taken for it,
//! whose results the public sees once published. A resident's contact is for the
//! supervisors only (not admins); no public answer carries it or any staff name.
//! Public input cannot bury a real nomination: the triage list pages through every one
//! in SQL with filters, supervisors mark spam in bulk, and supports are counted per
//! client address and nomination per day in the database.
//!
//! This stage never reads reports: the public view of a nomination with the published
//! results of its samples is `workflow::public`'s, which calls this module and `reports`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::nominations::NominationRow;
use crate::db::DbConnection;
use crate::domain::local_time::{local_date, to_local};
use crate::domain::msg::Lang;
use crate::domain::nomination::NominationStatus;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::workflow::Actor;

mod figures;
mod residents;
mod triage;

pub use crate::forms::{NominationInput, CONTACT_MAX, PLACE_MAX, PRODUCT_MAX, REASON_MAX};
pub use figures::{figures, FigureFilter, NominationFigure};
pub use residents::{open_for_support, submit, support, track, SUPPORTS_PER_ADDRESS_PER_DAY};
pub use triage::{
    acceptable_plans, decide, list, mark_spam, Decision, DecisionInput, SpamInput, SPAM_BATCH_MAX,
};

/// What the public may see of one nomination, short of the results of its samples
/// (`workflow::public` adds them): no contact, no staff names.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub tracking_code: String,
    pub status: NominationStatus,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub submitted_on: NaiveDate,
    pub supports: i32,
    /// The reason given when declined, or the note of the decision.
    pub decision_note: Option<String>,
    /// The tracking code of the nomination this one was merged into.
    pub merged_into: Option<String>,
    /// The samples taken for it, whose published results the public sees.
    pub sample_ids: Vec<i64>,
}

/// A nomination as supervisors see it, with the contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Nomination {
    pub id: i64,
    pub tracking_code: String,
    pub status: String,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub reason: String,
    pub contact: Option<String>,
    pub plan_id: Option<i64>,
    pub merged_into: Option<i64>,
    pub decision_note: Option<String>,
    pub supports: i32,
    #[schema(value_type = String)]
    pub submitted_at: chrono::DateTime<chrono::FixedOffset>,
    /// The samples taken for it.
    pub sample_nos: Vec<String>,
    pub version: i32,
}

impl Nomination {
    /// Its state: `status` is always written from one.
    fn state(&self) -> Option<NominationStatus> {
        self.status.parse().ok()
    }

    /// A supervisor may still accept, merge, decline or mark it as spam.
    pub fn awaits_decision(&self) -> bool {
        self.state().is_some_and(NominationStatus::awaits_decision)
    }

    /// Samples taken for it may be linked.
    pub fn takes_samples(&self) -> bool {
        self.state().is_some_and(NominationStatus::takes_samples)
    }

    /// Its status in words, in `lang` (by reference, as templates pass it).
    pub fn status_label(&self, lang: &Lang) -> &'static str {
        self.state().map_or("", |s| s.label(*lang))
    }
}

/// `GET /api/v1/nominations` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct NominationFilter {
    /// received | accepted | sampled | declined | merged
    pub status: Option<String>,
    /// A region code: nominations naming this region or one inside it.
    pub region: Option<String>,
    /// `true`: only the nominations marked as spam; otherwise they are left out.
    pub spam: Option<bool>,
}

/// The state of a stored nomination.
fn status_of(row: &NominationRow) -> AppResult<NominationStatus> {
    row.status.parse().map_err(AppError::internal)
}

/// The 404 of a nomination.
fn not_found() -> AppError {
    AppError::not_found("点检建议", "Nomination")
}

/// Whether the supervisor may see the nomination: one of its region, or one without.
fn visible(actor: &Actor, row: &NominationRow) -> bool {
    match (&actor.region, &row.region_code) {
        (None, _) => true,
        // A nomination without a region is for the provincial bureau to triage, and any
        // supervisor may see it.
        (Some(_), None) => true,
        (Some(scope), Some(code)) => {
            RegionCode::parse(code).is_ok_and(|c| scope_covers(Some(scope), &c))
        }
    }
}

/// What the public may see of a stored nomination.
fn tracked(conn: &mut DbConnection, row: NominationRow) -> AppResult<Tracked> {
    let status = status_of(&row)?;
    let region_name = match &row.region_code {
        Some(code) => crate::db::nominations::region_name(conn, code)?,
        None => None,
    };
    let merged_into = match row.merged_into {
        Some(id) => crate::db::nominations::tracking_code_of(conn, id)?,
        None => None,
    };
    let sample_ids = crate::db::nominations::sample_ids(conn, row.id)?;
    Ok(Tracked {
        tracking_code: row.tracking_code,
        status,
        product: row.product,
        place: row.place,
        region_code: row.region_code,
        region_name,
        submitted_on: local_date(row.submitted_at),
        supports: row.supports,
        decision_note: row.decision_note,
        merged_into,
        sample_ids,
    })
}

/// Only supervisors read a resident's contact; an admin (who is not also a
/// supervisor) sees the nomination without it.
fn staff_view(conn: &mut DbConnection, actor: &Actor, row: NominationRow) -> AppResult<Nomination> {
    let ids = crate::db::nominations::sample_ids(conn, row.id)?;
    let sample_nos = crate::db::nominations::sample_nos(conn, &ids)?;
    let contact = if actor.roles.has_any(&[Role::Supervisor]) {
        row.contact
    } else {
        None
    };
    Ok(Nomination {
        id: row.id,
        tracking_code: row.tracking_code,
        status: row.status,
        product: row.product,
        place: row.place,
        region_code: row.region_code,
        reason: row.reason,
        contact,
        plan_id: row.plan_id,
        merged_into: row.merged_into,
        decision_note: row.decision_note,
        supports: row.supports,
        submitted_at: to_local(row.submitted_at),
        sample_nos,
        version: row.version,
    })
}
