//! The statistics dashboard (`/stats`) for supervisors and admins, in their region
//! scope: the sampling rate per thousand residents as an inline SVG bar chart with the
//! target line, the monthly trend, the quality, lab and coverage figures as tables, each
//! with CSV links; printable.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::AppResult;
use crate::web::auth::PageCtx;
use crate::web::pages::{render, Nav};
use crate::workflow::stats::{
    self, Coverage, Lab, MonthRow, OutcomeRow, Quality, RateRow, StatsFilter,
};

/// The routes of this file.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats", web::get().to(dashboard));
}

#[derive(Template)]
#[template(path = "stats/dashboard.html")]
struct DashboardPage {
    nav: Nav,
    filter: StatsFilter,
    /// The query string of the filter, for the export links.
    query: String,
    rates: Vec<RateRow>,
    quality: Quality,
    lab: Lab,
    coverage: Coverage,
    rate_chart: String,
    trend_chart: String,
    /// The disposal rates of the same year and region (SPEC §6).
    disposal: crate::workflow::disposal::DisposalStats,
    /// 你点我检 by month and region.
    nominations: Vec<crate::workflow::nominations::NominationFigure>,
    /// The year of the disposal and nomination figures.
    year: i32,
}

impl DashboardPage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map_or("—".to_string(), |x| format!("{:.2}%", x * 100.0))
    }
    fn num(&self, v: &Option<f64>) -> String {
        v.map_or("—".to_string(), |x| format!("{x:.2}"))
    }
    fn val<T: std::fmt::Display>(&self, v: &Option<T>) -> String {
        v.as_ref().map_or("—".to_string(), |x| x.to_string())
    }
    fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
    /// The quality tables under their word keys.
    fn breakdowns(&self) -> Vec<(&'static str, &[OutcomeRow])> {
        vec![
            ("stats.by_category", &self.quality.by_category),
            ("stats.by_stage", &self.quality.by_stage),
            ("stats.by_plan_level", &self.quality.by_plan_level),
            ("stats.by_region", &self.quality.by_region),
        ]
    }
}

async fn dashboard(ctx: PageCtx, q: web::Query<StatsFilter>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let now = ctx.now();
    let filter = q.into_inner();
    let f = filter.clone();
    let year = filter
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .unwrap_or_else(|| chrono::Datelike::year(&crate::workflow::intake::local_date(now)));
    let region = filter.region.clone();
    let (rates, quality, lab, coverage, disposal, nominations) = ctx
        .state
        .call(actor, move |cx| {
            // Each figure's time, for `RUST_LOG=lims=debug` (BENCHMARKS.md, "Statistics").
            let mut took = Vec::new();
            let mut lap = std::time::Instant::now();
            let mut mark = |name: &'static str| {
                took.push((name, lap.elapsed()));
                lap = std::time::Instant::now();
            };
            let rates = stats::sampling_rate(cx, &f)?;
            mark("rate");
            let quality = stats::quality(cx, &f)?;
            mark("quality");
            let lab = stats::lab(cx, &f)?;
            mark("lab");
            let coverage = stats::coverage(
                cx,
                &StatsFilter {
                    domain: None,
                    category: None,
                    ..f.clone()
                },
            )?;
            mark("coverage");
            let disposal = crate::workflow::disposal::stats(
                cx,
                &crate::workflow::disposal::StatsFilter {
                    year: Some(year.to_string()),
                    region,
                    ..Default::default()
                },
            )?;
            let nominations = crate::workflow::nominations::figures(
                cx,
                &crate::workflow::nominations::FigureFilter { year: Some(year) },
            )?;
            mark("disposal and nominations");
            log::debug!("dashboard figures: {took:?}");
            Ok((rates, quality, lab, coverage, disposal, nominations))
        })
        .await?;
    let query = query_of(&filter);
    let rate_chart = rate_svg(&rates, ctx.lang == crate::error::Lang::En);
    let trend_chart = trend_svg(&quality.monthly);
    render(
        &ctx,
        StatusCode::OK,
        &DashboardPage {
            nav: Nav::new(&ctx),
            filter,
            query,
            rates,
            quality,
            lab,
            coverage,
            rate_chart,
            trend_chart,
            disposal,
            nominations,
            year,
        },
    )
}

fn query_of(f: &StatsFilter) -> String {
    let pairs = [
        ("year", &f.year),
        ("from", &f.from),
        ("to", &f.to),
        ("level", &f.level),
        ("region", &f.region),
        ("domain", &f.domain),
        ("category", &f.category),
        ("plan_level", &f.plan_level),
        ("plan_kind", &f.plan_kind),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{k}={}", crate::web::i18n::url_encode(v.trim())))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar per region (per thousand residents; "unknown" when the population
/// is), a solid line at the annual target and a dashed one at the target to date.
pub fn rate_svg(rows: &[RateRow], english: bool) -> String {
    let bar_h = 18.0;
    let gap = 6.0;
    let left = 170.0;
    let width = 640.0;
    let plot = width - left - 60.0;
    let target = rows.iter().find_map(|r| r.target_per_thousand);
    let to_date = rows.iter().find_map(|r| r.target_to_date_per_thousand);
    let max = rows
        .iter()
        .filter_map(|r| r.per_thousand)
        .chain(target)
        .fold(1.0_f64, f64::max)
        * 1.1;
    let x = |v: f64| left + plot * v / max;
    let height = 30.0 + rows.len() as f64 * (bar_h + gap);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" class=\"chart\" role=\"img\" aria-label=\"{}\">",
        if english { "Batches per thousand residents by region" } else { "各地区每千人抽检批次" }
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 10.0 + i as f64 * (bar_h + gap);
        let name = if english {
            &r.region_name_en
        } else {
            &r.region_name
        };
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            left - 6.0,
            y + bar_h * 0.75,
            esc(name)
        ));
        match r.per_thousand {
            Some(v) => {
                let below = target.is_some_and(|t| v < t);
                s.push_str(&format!(
                    "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_h}\" fill=\"{}\"><title>{} {v:.4}</title></rect>",
                    (x(v) - left).max(0.5),
                    if below { "#d9822b" } else { "#2b7bd9" },
                    esc(name)
                ));
                s.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{v:.2}</text>",
                    x(v) + 4.0,
                    y + bar_h * 0.75
                ));
            }
            None => s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#888\">{}</text>",
                left + 4.0,
                y + bar_h * 0.75,
                if english {
                    "population unknown"
                } else {
                    "人口未知"
                }
            )),
        }
    }
    let bottom = height - 14.0;
    if let Some(t) = target {
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" y1=\"4\" x2=\"{0:.1}\" y2=\"{bottom:.1}\" stroke=\"#c00\" stroke-width=\"2\"/><text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"11\" fill=\"#c00\" text-anchor=\"middle\">{2} {t:.1}</text>",
            x(t),
            height - 2.0,
            if english { "target" } else { "目标" }
        ));
    }
    if let Some(t) = to_date {
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" y1=\"4\" x2=\"{0:.1}\" y2=\"{bottom:.1}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>",
            x(t)
        ));
    }
    s.push_str("</svg>");
    s
}

/// Batches per month as columns, the non-compliant part darker.
pub fn trend_svg(months: &[MonthRow]) -> String {
    let width = 640.0;
    let height = 200.0;
    let base = height - 24.0;
    let n = months.len().max(1) as f64;
    let col = (width - 40.0) / n;
    let max = months.iter().map(|m| m.batches).max().unwrap_or(1).max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" class=\"chart\" role=\"img\" aria-label=\"monthly trend\">"
    );
    for (i, m) in months.iter().enumerate() {
        let x = 30.0 + i as f64 * col;
        let h = (base - 10.0) * m.batches as f64 / max;
        let hf = (base - 10.0) * m.non_compliant as f64 / max;
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#2b7bd9\"><title>{} {} / {}</title></rect>",
            base - h,
            col * 0.7,
            esc(&m.month),
            m.batches,
            m.non_compliant
        ));
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hf:.1}\" fill=\"#c00\"/>",
            base - hf,
            col * 0.7
        ));
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + col * 0.35,
            height - 8.0,
            esc(m.month.get(5..).unwrap_or(&m.month))
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, per_thousand: Option<f64>) -> RateRow {
        RateRow {
            region_code: code.into(),
            region_name: format!("地区<{code}>"),
            region_name_en: code.into(),
            level: "county".into(),
            population: per_thousand.map(|_| 1000),
            population_year: Some(2020),
            population_rolled_up: false,
            batches: 5,
            batches_counted: 5,
            per_thousand,
            target_per_thousand: Some(5.0),
            target_to_date_per_thousand: Some(2.5),
            left_out: vec![],
            plan_kinds: vec![],
        }
    }

    #[test]
    fn the_rate_chart_has_a_bar_per_known_region_and_the_target_lines() {
        let svg = rate_svg(&[row("630102", Some(5.2)), row("632221", None)], false);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 1);
        assert!(svg.contains("人口未知"));
        assert!(svg.contains("地区&lt;630102&gt;"), "names are escaped");
        assert_eq!(svg.matches("<line").count(), 2);
        assert!(svg.contains("stroke-dasharray"));
    }
}
