//! Drug producer coverage: producers sampled at least once in the period ÷ all of them.

use chrono::NaiveDate;
use serde::Serialize;

use super::{check_filter, Scope, StatsFilter};
use crate::db::stats as q;
use crate::db::DbConnection;
use crate::domain::licence::{check_licence, LicenceCheck};
use crate::domain::rules::Domain;
use crate::domain::stats as f;
use crate::error::AppResult;
use crate::workflow::Ctx;

/// A drug producer in scope and whether it was sampled in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Producer {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub license_no: Option<String>,
}

/// `GET /api/v1/stats/coverage`: drug producers (entities of kind producer holding a
/// drug production licence, or sampled in the drug domain at any time) sampled at least
/// once in the period ÷ all of them, with those not yet sampled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub producers: i64,
    pub sampled: i64,
    pub coverage: Option<f64>,
    pub not_sampled: Vec<Producer>,
}

pub fn coverage(cx: &mut Ctx, input: &StatsFilter) -> AppResult<Coverage> {
    let s = check_filter(cx, input, Some(Domain::Drug))?;
    coverage_of(cx.conn, &s)
}

fn coverage_of(conn: &mut DbConnection, s: &Scope) -> AppResult<Coverage> {
    let rows = q::producers(conn, &s.slice())?;
    let mut producers = 0;
    let mut sampled = 0;
    let mut not_sampled = Vec::new();
    for r in rows {
        let licensed = r
            .license_no
            .as_deref()
            .is_some_and(|l| check_licence(l) == LicenceCheck::DrugProduction);
        if !(licensed || r.drug_ever) {
            continue;
        }
        producers += 1;
        if r.sampled {
            sampled += 1;
        } else {
            not_sampled.push(Producer {
                id: r.id,
                name: r.name,
                region_code: r.region_code,
                license_no: r.license_no,
            });
        }
    }
    Ok(Coverage {
        from: s.from,
        to: s.to,
        producers,
        sampled,
        coverage: f::coverage(sampled, producers),
        not_sampled,
    })
}
