//! The JSON API of statistics (API.md: Statistics): the sampling rate per thousand
//! residents, the summary, quality, lab and coverage figures; `?format=csv` answers the
//! figure's main table as CSV (UTF-8 with a byte-order mark).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, AppResult, Msg};
use crate::web::auth::ApiUser;
use crate::web::AppState;
use crate::workflow::stats::{self, Coverage, Lab, Quality, RateRow, StatsFilter, Summary};

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
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// What a figure answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: Option<&str>) -> AppResult<Format> {
        match s.map(str::trim) {
            None | Some("") | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(AppError::field(
                "format",
                Msg::new("格式应为 json 或 csv", "must be json or csv"),
            )),
        }
    }
}

fn csv_response(table: &tables::Table, stem: &str) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.csv\""),
        ))
        .body(table.csv()?))
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
    let fmt = Format::parse(format.format.as_deref())?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let rows = st
        .db
        .run(move |c| stats::sampling_rate(c, now, &actor, &f))
        .await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(rows)),
        Format::Csv => csv_response(&tables::sampling_rate(&rows), "sampling-rate"),
    }
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
    let fmt = Format::parse(format.format.as_deref())?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let s = st
        .db
        .run(move |c| stats::summary(c, now, &actor, &f))
        .await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(s)),
        Format::Csv => csv_response(&tables::summary(&s), "summary"),
    }
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
    let fmt = Format::parse(format.format.as_deref())?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let q = st
        .db
        .run(move |c| stats::quality(c, now, &actor, &f))
        .await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(q)),
        Format::Csv => csv_response(&tables::quality(&q), "quality"),
    }
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
    let fmt = Format::parse(format.format.as_deref())?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let l = st.db.run(move |c| stats::lab(c, now, &actor, &f)).await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(l)),
        Format::Csv => csv_response(&tables::lab_overdue(&l), "lab-overdue"),
    }
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
    let fmt = Format::parse(format.format.as_deref())?;
    let now = st.clock.now_naive();
    let actor = user.actor;
    let f = filter.into_inner();
    let c = st
        .db
        .run(move |c| stats::coverage(c, now, &actor, &f))
        .await?;
    match fmt {
        Format::Json => Ok(HttpResponse::Ok().json(c)),
        Format::Csv => csv_response(&tables::not_sampled(&c), "coverage"),
    }
}

/// Each figure as plain tables (a header and rows of text), for CSV now and for any
/// other tabular export (XLSX, the CLI's `table` format) later.
pub mod tables {
    use crate::error::{AppError, AppResult};
    use crate::workflow::stats::{Coverage, Lab, OutcomeRow, Quality, RateRow, Summary};

    /// A named table of text cells.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Table {
        pub name: String,
        pub header: Vec<String>,
        pub rows: Vec<Vec<String>>,
    }

    impl Table {
        fn new(name: &str, header: &[&str]) -> Table {
            Table {
                name: name.to_string(),
                header: header.iter().map(|h| h.to_string()).collect(),
                rows: Vec::new(),
            }
        }

        /// UTF-8 CSV with a byte-order mark, so spreadsheet programs read the Chinese.
        pub fn csv(&self) -> AppResult<Vec<u8>> {
            let mut out = "\u{feff}".as_bytes().to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(&self.header).map_err(AppError::internal)?;
                for r in &self.rows {
                    w.write_record(r).map_err(AppError::internal)?;
                }
                w.flush().map_err(AppError::internal)?;
            }
            Ok(out)
        }

        /// Aligned plain text for a terminal.
        pub fn text(&self) -> String {
            let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
            for r in &self.rows {
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
            let mut out = line(&self.header);
            out.push('\n');
            for r in &self.rows {
                out.push_str(&line(r));
                out.push('\n');
            }
            out
        }
    }

    /// Terminal columns: CJK characters take two.
    fn width(s: &str) -> usize {
        s.chars()
            .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
            .sum()
    }

    fn opt<T: ToString>(v: Option<T>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }

    /// A number for a cell, rounded to `decimals` (the JSON keeps the full value).
    fn num(v: Option<f64>, decimals: usize) -> String {
        v.map(|v| format!("{v:.decimals$}"))
            .unwrap_or_else(|| "unknown".into())
    }

    fn pct(v: Option<f64>) -> String {
        v.map(|v| format!("{:.2}", v * 100.0)).unwrap_or_default()
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
            ],
        );
        for r in rows {
            t.rows.push(vec![
                r.region_code.clone(),
                r.region_name.clone(),
                r.population
                    .map_or_else(|| "unknown".into(), |p| p.to_string()),
                opt(r.population_year),
                r.population_rolled_up.to_string(),
                r.batches.to_string(),
                r.batches_counted.to_string(),
                num(r.per_thousand, 4),
                num(r.target_per_thousand, 2),
                num(r.target_to_date_per_thousand, 4),
                r.left_out
                    .iter()
                    .map(|l| format!("{} {} ({})", l.region_code, l.region_name, l.batches))
                    .collect::<Vec<_>>()
                    .join("; "),
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
                "pass_rate_percent",
                "failure_rate_percent",
            ],
        );
        for r in rows {
            t.rows.push(vec![
                r.key.clone(),
                r.name.clone(),
                r.batches.to_string(),
                r.concluded.to_string(),
                r.compliant.to_string(),
                r.non_compliant.to_string(),
                pct(r.pass_rate),
                pct(r.failure_rate),
            ]);
        }
        t
    }

    /// The quality figure as its tables: by category, stage, plan level, plan kind,
    /// region, then the failing items and the months.
    pub fn quality_tables(q: &Quality) -> Vec<Table> {
        let mut items = Table::new("failing_items", &["name", "failures"]);
        for i in &q.failing_items {
            items
                .rows
                .push(vec![i.name.clone(), i.failures.to_string()]);
        }
        let mut months = Table::new("monthly", &["month", "batches", "non_compliant"]);
        for m in &q.monthly {
            months.rows.push(vec![
                m.month.clone(),
                m.batches.to_string(),
                m.non_compliant.to_string(),
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

    /// The quality figure's main table: by category.
    pub fn quality(q: &Quality) -> Table {
        outcomes("by_category", &q.by_category)
    }

    pub fn summary(s: &Summary) -> Table {
        let mut t = Table::new("summary", &["figure", "value"]);
        let rate = s.sampling_rate.as_ref();
        let rows: Vec<(&str, String)> = vec![
            ("from", s.from.to_string()),
            ("to", s.to.to_string()),
            ("region_code", s.region_code.clone()),
            ("region_name", s.region_name.clone()),
            ("batches", s.batches.to_string()),
            ("concluded", s.concluded.to_string()),
            ("compliant", s.compliant.to_string()),
            ("non_compliant", s.non_compliant.to_string()),
            ("pass_rate_percent", pct(s.pass_rate)),
            ("failure_rate_percent", pct(s.failure_rate)),
            (
                "risk_monitoring_batches",
                s.risk_monitoring_batches.to_string(),
            ),
            ("risk_problem_rate_percent", pct(s.risk_problem_rate)),
            ("reports", s.reports.to_string()),
            ("median_working_days", opt(s.median_working_days)),
            ("p90_working_days", opt(s.p90_working_days)),
            ("reports_on_time_percent", pct(s.reports_on_time_rate)),
            ("overdue", s.overdue.to_string()),
            ("delivery_on_time_percent", pct(s.delivery_on_time_rate)),
            ("per_thousand", num(rate.and_then(|r| r.per_thousand), 4)),
            ("population", opt(rate.and_then(|r| r.population))),
            (
                "target_per_thousand",
                num(rate.and_then(|r| r.target_per_thousand), 2),
            ),
            (
                "sampling_rate_plan_kinds",
                s.sampling_rate_plan_kinds.join(" "),
            ),
        ];
        for (k, v) in rows {
            t.rows.push(vec![k.to_string(), v]);
        }
        t
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
            t.rows.push(vec![
                o.sample_no.clone(),
                o.product_name.clone(),
                o.region_code.clone(),
                o.status.clone(),
                opt(o.due_on),
            ]);
        }
        t
    }

    pub fn lab_summary(l: &Lab) -> Table {
        let mut t = Table::new("lab", &["figure", "value"]);
        for (k, v) in [
            ("reports", l.reports.to_string()),
            ("median_working_days", opt(l.median_working_days)),
            ("p90_working_days", opt(l.p90_working_days)),
            ("on_time", l.on_time.to_string()),
            ("on_time_percent", pct(l.on_time_rate)),
            ("received", l.received.to_string()),
            ("delivered_on_time", l.delivered_on_time.to_string()),
            ("delivery_on_time_percent", pct(l.delivery_on_time_rate)),
            ("overdue", l.overdue_count.to_string()),
            ("provisional", l.provisional.to_string()),
        ] {
            t.rows.push(vec![k.to_string(), v]);
        }
        t
    }

    pub fn not_sampled(c: &Coverage) -> Table {
        let mut t = Table::new("not_sampled", &["id", "name", "region_code", "license_no"]);
        for p in &c.not_sampled {
            t.rows.push(vec![
                p.id.to_string(),
                p.name.clone(),
                p.region_code.clone(),
                p.license_no.clone().unwrap_or_default(),
            ]);
        }
        t
    }
}
