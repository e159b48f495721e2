//! The JSON API of statistics (API.md: Statistics): the sampling rate per thousand
//! residents, the summary, quality, lab and coverage figures; `?format=csv` answers the
//! figure's main table as CSV (UTF-8 with a byte-order mark), `?format=xlsx` all its
//! tables as a workbook.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::documents::table::Table;
use crate::error::AppResult;
use crate::web::auth::ApiUser;
use crate::web::export::{download, Format};
use crate::web::AppState;
use crate::workflow::stats::{self, Coverage, Lab, Quality, RateRow, StatsFilter, Summary};
use crate::workflow::Ctx;

/// The routes of this file, inside the `/api/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats/sampling-rate", web::get().to(sampling_rate))
        .route("/stats/summary", web::get().to(summary))
        .route("/stats/quality", web::get().to(quality))
        .route("/stats/lab", web::get().to(lab))
        .route("/stats/coverage", web::get().to(coverage));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default), `csv` (the figure's main table, UTF-8 with a byte-order mark)
    /// or `xlsx` (a workbook with a sheet per table).
    pub format: Option<String>,
}

/// Batches per thousand residents per region (food by default), against the target.
#[utoipa::path(get, path = "/api/v1/stats/sampling-rate", params(StatsFilter, FormatQuery),
    responses((status = 200, body = Vec<RateRow>), (status = 403), (status = 422)))]
pub async fn sampling_rate(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    figure(
        st,
        user,
        filter,
        format,
        stats::sampling_rate,
        "sampling-rate",
        |r| vec![tables::sampling_rate(r)],
    )
    .await
}

/// Pass rate, turnaround and counts for a region and period.
#[utoipa::path(get, path = "/api/v1/stats/summary", params(StatsFilter, FormatQuery),
    responses((status = 200, body = Summary), (status = 403), (status = 422)))]
pub async fn summary(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    figure(st, user, filter, format, stats::summary, "summary", |s| {
        vec![tables::summary(s)]
    })
    .await
}

/// Pass and failure rates by category, stage, plan level and region; risk monitoring
/// apart; the most frequent failing items; the months.
#[utoipa::path(get, path = "/api/v1/stats/quality", params(StatsFilter, FormatQuery),
    responses((status = 200, body = Quality), (status = 403), (status = 422)))]
pub async fn quality(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    figure(
        st,
        user,
        filter,
        format,
        stats::quality,
        "quality",
        tables::quality_tables,
    )
    .await
}

/// Lab turnaround in working days, reports on time, delivery on time, overdue samples.
#[utoipa::path(get, path = "/api/v1/stats/lab", params(StatsFilter, FormatQuery),
    responses((status = 200, body = Lab), (status = 403), (status = 422)))]
pub async fn lab(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    figure(st, user, filter, format, stats::lab, "lab", |l| {
        vec![tables::lab_summary(l), tables::lab_overdue(l)]
    })
    .await
}

/// Drug producers sampled at least once in the period, and those not yet sampled.
#[utoipa::path(get, path = "/api/v1/stats/coverage", params(StatsFilter, FormatQuery),
    responses((status = 200, body = Coverage), (status = 403), (status = 422)))]
pub async fn coverage(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    figure(st, user, filter, format, stats::coverage, "coverage", |c| {
        vec![tables::coverage(c), tables::not_sampled(c)]
    })
    .await
}

/// The use case every figure is: a bad `format` is refused before the figure is
/// computed; JSON answers the figure, CSV and XLSX its tables under the name `stem`.
async fn figure<T: Serialize + Send + 'static>(
    st: web::Data<AppState>,
    user: ApiUser,
    filter: web::Query<StatsFilter>,
    format: web::Query<FormatQuery>,
    compute: fn(&mut Ctx, &StatsFilter) -> AppResult<T>,
    stem: &str,
    as_tables: impl FnOnce(&T) -> Vec<Table>,
) -> AppResult<HttpResponse> {
    let fmt = Format::parse(format.format.as_deref())?;
    let f = filter.into_inner();
    let value = st.call(user.actor, move |cx| compute(cx, &f)).await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(value)),
        Format::Csv | Format::Xlsx => download(&as_tables(&value), fmt, stem),
    }
}

/// Each figure as tables (`documents::table`): CSV and XLSX downloads, and the CLI's
/// `table` format, all come from these.
pub mod tables {
    use crate::documents::table::{Cell, Table};
    use crate::workflow::stats::{Coverage, Lab, OutcomeRow, Quality, RateRow, Summary};

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    /// A per-thousand value; the text "unknown" when the population is.
    fn rate(v: Option<f64>) -> Cell {
        v.map_or_else(|| text("unknown"), Cell::from)
    }

    pub fn sampling_rate(rows: &[RateRow]) -> Table {
        let mut t = Table::new(
            "sampling_rate",
            &[
                "region_code",
                "region_name",
                "population",
                "population_year",
                "population_rolled_up",
                "batches",
                "batches_counted",
                "per_thousand",
                "target_per_thousand",
                "target_to_date_per_thousand",
                "left_out",
                "plan_kinds",
            ],
        );
        for r in rows {
            t.push(vec![
                text(&r.region_code),
                text(&r.region_name),
                r.population.map_or_else(|| text("unknown"), Cell::from),
                r.population_year.map(i64::from).into(),
                text(if r.population_rolled_up { "yes" } else { "no" }),
                r.batches.into(),
                r.batches_counted.into(),
                rate(r.per_thousand),
                r.target_per_thousand.into(),
                r.target_to_date_per_thousand.into(),
                text(
                    &r.left_out
                        .iter()
                        .map(|l| format!("{} {} ({})", l.region_code, l.region_name, l.batches))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                text(&r.plan_kinds.join(" ")),
            ]);
        }
        t
    }

    fn outcomes(name: &str, rows: &[OutcomeRow]) -> Table {
        let mut t = Table::new(
            name,
            &[
                "key",
                "name",
                "batches",
                "concluded",
                "compliant",
                "non_compliant",
                "pass_rate",
                "failure_rate",
            ],
        );
        for r in rows {
            t.push(vec![
                text(&r.key),
                text(&r.name),
                r.batches.into(),
                r.concluded.into(),
                r.compliant.into(),
                r.non_compliant.into(),
                r.pass_rate.into(),
                r.failure_rate.into(),
            ]);
        }
        t
    }

    /// The quality figure: by category (first, the CSV), stage, plan level, plan kind,
    /// region, then the failing items and the months.
    pub fn quality_tables(q: &Quality) -> Vec<Table> {
        let mut items = Table::new("failing_items", &["name", "failures"]);
        for i in &q.failing_items {
            items.push(vec![text(&i.name), i.failures.into()]);
        }
        let mut months = Table::new("monthly", &["month", "batches", "non_compliant"]);
        for m in &q.monthly {
            months.push(vec![
                text(&m.month),
                m.batches.into(),
                m.non_compliant.into(),
            ]);
        }
        vec![
            outcomes("by_category", &q.by_category),
            outcomes("by_stage", &q.by_stage),
            outcomes("by_plan_level", &q.by_plan_level),
            outcomes("by_plan_kind", &q.by_plan_kind),
            outcomes("by_region", &q.by_region),
            items,
            months,
        ]
    }

    fn figures(name: &str, rows: Vec<(&str, Cell)>) -> Table {
        let mut t = Table::new(name, &["figure", "value"]);
        for (k, v) in rows {
            t.push(vec![text(k), v]);
        }
        t
    }

    pub fn summary(s: &Summary) -> Table {
        let own = s.sampling_rate.as_ref();
        figures(
            "summary",
            vec![
                ("from", text(&s.from.to_string())),
                ("to", text(&s.to.to_string())),
                ("region_code", text(&s.region_code)),
                ("region_name", text(&s.region_name)),
                ("batches", s.batches.into()),
                ("concluded", s.concluded.into()),
                ("compliant", s.compliant.into()),
                ("non_compliant", s.non_compliant.into()),
                ("pass_rate", s.pass_rate.into()),
                ("failure_rate", s.failure_rate.into()),
                ("risk_monitoring_batches", s.risk_monitoring_batches.into()),
                ("risk_problem_rate", s.risk_problem_rate.into()),
                ("reports", s.reports.into()),
                ("median_working_days", s.median_working_days.into()),
                ("p90_working_days", s.p90_working_days.into()),
                ("reports_on_time_rate", s.reports_on_time_rate.into()),
                ("overdue", s.overdue.into()),
                ("delivery_on_time_rate", s.delivery_on_time_rate.into()),
                ("per_thousand", rate(own.and_then(|r| r.per_thousand))),
                ("population", own.and_then(|r| r.population).into()),
                (
                    "target_per_thousand",
                    own.and_then(|r| r.target_per_thousand).into(),
                ),
                (
                    "sampling_rate_plan_kinds",
                    text(&s.sampling_rate_plan_kinds.join(" ")),
                ),
            ],
        )
    }

    pub fn lab_summary(l: &Lab) -> Table {
        figures(
            "lab",
            vec![
                ("reports", l.reports.into()),
                ("median_working_days", l.median_working_days.into()),
                ("p90_working_days", l.p90_working_days.into()),
                ("on_time", l.on_time.into()),
                ("on_time_rate", l.on_time_rate.into()),
                ("received", l.received.into()),
                ("delivered_on_time", l.delivered_on_time.into()),
                ("delivery_on_time_rate", l.delivery_on_time_rate.into()),
                ("overdue", l.overdue_count.into()),
                (
                    "provisional",
                    text(if l.provisional { "yes" } else { "no" }),
                ),
            ],
        )
    }

    pub fn lab_overdue(l: &Lab) -> Table {
        let mut t = Table::new(
            "overdue",
            &[
                "sample_no",
                "product_name",
                "region_code",
                "status",
                "due_on",
            ],
        );
        for o in &l.overdue {
            t.push(vec![
                text(&o.sample_no),
                text(&o.product_name),
                text(&o.region_code),
                text(&o.status),
                o.due_on.map(|d| d.to_string()).into(),
            ]);
        }
        t
    }

    pub fn coverage(c: &Coverage) -> Table {
        figures(
            "coverage",
            vec![
                ("from", text(&c.from.to_string())),
                ("to", text(&c.to.to_string())),
                ("producers", c.producers.into()),
                ("sampled", c.sampled.into()),
                ("coverage", c.coverage.into()),
            ],
        )
    }

    pub fn not_sampled(c: &Coverage) -> Table {
        let mut t = Table::new("not_sampled", &["id", "name", "region_code", "license_no"]);
        for p in &c.not_sampled {
            t.push(vec![
                p.id.into(),
                text(&p.name),
                text(&p.region_code),
                p.license_no.clone().into(),
            ]);
        }
        t
    }

    /// Aligned plain text for a terminal (CJK characters take two columns); numbers
    /// with at most 4 decimals.
    pub fn text_table(t: &Table) -> String {
        let cell = |c: &Cell| match c {
            Cell::Text(s) => s.clone(),
            Cell::Number(v) if v.fract() == 0.0 => format!("{v:.0}"),
            Cell::Number(v) => format!("{v:.4}"),
            Cell::Empty => String::new(),
        };
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        let width = |s: &str| -> usize {
            s.chars()
                .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
                .sum()
        };
        let mut widths: Vec<usize> = t.header.iter().map(|h| width(h)).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(width(c));
                }
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(width(c));
                    format!("{c}{}", " ".repeat(pad))
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = line(&t.header);
        out.push('\n');
        for r in &rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }
}
