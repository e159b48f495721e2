//! The admin pages for regions (population per year) and holidays (a calendar year
//! loaded from CSV).

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::{ok, render, require_admin, Nav};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_status, refusal, CsrfForm, Shown};
use crate::web::i18n::word;
use crate::workflow::reference::{self, CalendarYear, Holiday, PopulationInput, Region};

#[derive(Template)]
#[template(path = "admin/regions.html")]
struct RegionsPage {
    nav: Nav,
    regions: Vec<Region>,
    this_year: i32,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl RegionsPage {
    fn level_word(&self, level: &str) -> &'static str {
        self.nav.t(&format!("level.{level}"))
    }
}

pub(super) async fn regions_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let regions = ctx.state.db.run(reference::list_regions).await?;
    ok(
        &ctx,
        &RegionsPage {
            this_year: crate::domain::local_time::local_date(ctx.state.now()).year(),
            nav: Nav::new(&ctx),
            regions,
            errors: Vec::new(),
            notice: None,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct PopulationForm {
    population: String,
    year: String,
    source: Option<String>,
}

pub(super) async fn population_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<PopulationForm>,
) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let code = path.into_inner();
    let mut fields = FieldErrors::new();
    let population = form
        .population
        .trim()
        .replace([',', '，'], "")
        .parse::<i64>()
        .unwrap_or_else(|_| {
            fields.insert(
                "population".into(),
                Msg::new("应为整数", "must be a whole number"),
            );
            0
        });
    let year = form.year.trim().parse::<i32>().unwrap_or_else(|_| {
        fields.insert("year".into(), Msg::new("应为年份", "must be a year"));
        0
    });
    let result = if fields.is_empty() {
        let input = PopulationInput {
            population,
            year,
            source: form.source.clone(),
        };
        let c2 = code.clone();
        ctx.state
            .call(actor, move |cx| reference::set_population(cx, &c2, input))
            .await
            .map(|_| ())
    } else {
        Err(AppError::invalid(fields))
    };
    let (errors, notice) = match result {
        Ok(()) => (
            Vec::new(),
            Some(format!("{} · {code}", word(ctx.lang, "common.saved"))),
        ),
        Err(e) => (
            refusal(e, &[Shown::Invalid])?
                .field_messages(ctx.lang)
                .into_iter()
                .map(|(k, v)| (format!("{code} {k}"), v))
                .collect(),
            None,
        ),
    };
    let failed = !errors.is_empty();
    let regions = ctx.state.db.run(reference::list_regions).await?;
    let page = RegionsPage {
        this_year: crate::domain::local_time::local_date(ctx.state.now()).year(),
        nav: Nav::new(&ctx),
        regions,
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    nav: Nav,
    year: i32,
    years: Vec<CalendarYear>,
    days: Vec<Holiday>,
    form_source: String,
    form_csv: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct HolidayQuery {
    year: Option<i32>,
}

async fn holidays_view(ctx: &PageCtx, year: i32) -> AppResult<(Vec<CalendarYear>, Vec<Holiday>)> {
    ctx.state
        .db
        .run(move |c| {
            Ok((
                reference::list_calendar_years(c)?,
                reference::list_holidays(c, Some(year))?,
            ))
        })
        .await
}

pub(super) async fn holidays_page(
    ctx: PageCtx,
    q: web::Query<HolidayQuery>,
) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| crate::domain::local_time::local_date(ctx.state.now()).year());
    let (years, days) = holidays_view(&ctx, year).await?;
    ok(
        &ctx,
        &HolidaysPage {
            nav: Nav::new(&ctx),
            year,
            years,
            days,
            form_source: String::new(),
            form_csv: "date,kind,name\n".to_string(),
            errors: Vec::new(),
            notice: None,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct HolidayForm {
    year: String,
    source: String,
    csv: String,
}

pub(super) async fn holidays_submit(
    ctx: PageCtx,
    form: CsrfForm<HolidayForm>,
) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let form = form.into_inner();
    let year: i32 = form.year.trim().parse().unwrap_or(0);
    let (s, t) = (form.source.clone(), form.csv.clone());
    let result = ctx
        .state
        .call(actor, move |cx| {
            crate::workflow::calendar::load_year(cx, year, &s, &t)
        })
        .await;
    let (errors, notice) = match result {
        Ok(n) => (
            Vec::new(),
            Some(format!("{} · {year}: {n}", word(ctx.lang, "common.saved"))),
        ),
        Err(e) => (
            refusal(e, &[Shown::Invalid])?.field_messages(ctx.lang),
            None,
        ),
    };
    let failed = !errors.is_empty();
    let shown = if (2000..=2100).contains(&year) {
        year
    } else {
        crate::domain::local_time::local_date(ctx.state.now()).year()
    };
    let (years, days) = holidays_view(&ctx, shown).await?;
    let page = HolidaysPage {
        nav: Nav::new(&ctx),
        year: shown,
        years,
        days,
        form_source: if failed { form.source } else { String::new() },
        form_csv: if failed {
            form.csv
        } else {
            "date,kind,name\n".to_string()
        },
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}
