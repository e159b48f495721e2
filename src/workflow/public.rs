//! The public view of nominations (你点我检), an orchestrating use case: what a resident
//! sees of a nomination is the nominations stage's record joined with the published
//! results of the samples taken for it, which the reports stage answers. Neither stage
//! calls the other; this module calls both.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::db::DbConnection;
use crate::domain::nomination::NominationStatus;
use crate::error::AppResult;
use crate::workflow::nominations::{self, NominationInput, Tracked};
use crate::workflow::reports::{public_results_of, PublicResult};

/// What the public sees of a nomination: no contact, no staff names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicNomination {
    pub tracking_code: String,
    /// received | accepted | sampled | declined | merged
    pub status: String,
    pub status_text: String,
    pub product: String,
    pub place: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub submitted_on: NaiveDate,
    pub supports: i32,
    /// The reason given when declined, or the note of the decision.
    pub decision_note: Option<String>,
    /// The nomination this one was merged into.
    pub merged_into: Option<String>,
    /// The published results of the samples taken for it.
    pub results: Vec<PublicResult>,
}

impl PublicNomination {
    /// Residents may still add their support.
    pub fn open_for_support(&self) -> bool {
        self.status
            .parse::<NominationStatus>()
            .is_ok_and(NominationStatus::open_for_support)
    }
}

/// A nomination as the public sees it, with the published results of its samples.
fn view(conn: &mut DbConnection, t: Tracked) -> AppResult<PublicNomination> {
    let results = public_results_of(conn, &t.sample_ids)?;
    Ok(PublicNomination {
        tracking_code: t.tracking_code,
        status: t.status.as_str().to_string(),
        status_text: t.status.label_zh().to_string(),
        product: t.product,
        place: t.place,
        region_code: t.region_code,
        region_name: t.region_name,
        submitted_on: t.submitted_on,
        supports: t.supports,
        decision_note: t.decision_note,
        merged_into: t.merged_into,
        results,
    })
}

/// A resident submits a nomination (no account); see [`nominations::submit`].
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    input: &NominationInput,
) -> AppResult<PublicNomination> {
    let t = nominations::submit(conn, now, code, input)?;
    view(conn, t)
}

/// The public tracking page of one nomination.
pub fn track(conn: &mut DbConnection, code: &str) -> AppResult<PublicNomination> {
    let t = nominations::track(conn, code)?;
    view(conn, t)
}

/// The nominations residents can still support, most supported first (at most 200).
pub fn open_for_support(conn: &mut DbConnection) -> AppResult<Vec<PublicNomination>> {
    let list = nominations::open_for_support(conn)?;
    list.into_iter().map(|t| view(conn, t)).collect()
}

/// A resident supports a nomination; see [`nominations::support`]. Answers the
/// nomination and whether this support was new.
pub fn support(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    device: &str,
    client: &str,
) -> AppResult<(PublicNomination, bool)> {
    let (t, new) = nominations::support(conn, now, code, device, client)?;
    Ok((view(conn, t)?, new))
}
