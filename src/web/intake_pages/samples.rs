//! The sample list with its filters, the sample page (deadlines, tests, labels),
//! `/s/{sample_no}` and the search box.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{enum_label, lines, ok, opts, plan_kind_label, status_word, Opt, QQuery, SampleLine};
use crate::domain::role::Role;
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{
    looks_like_sample_no, parse_scan, PlanLevel, SampleStatus, Stage, Storage,
};
use crate::domain::sample_fields::{
    parse_vocab, AreaType, Packaging, PhysicalForm, SampleSource, SamplingMethod, Vocabulary,
};
use crate::error::{AppError, AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::forms::form_get;
use crate::web::i18n::{url_encode, word};
use crate::web::pages::{redirect, Nav};
use crate::workflow::intake::{self, is_overdue, local_date, SampleFilter, SampleSheet};
use crate::workflow::reference::{self};
use crate::workflow::Actor;

#[derive(Template)]
#[template(path = "intake/samples.html")]
struct SamplesPage {
    nav: Nav,
    lines: Vec<SampleLine>,
    total: i64,
    page: i64,
    pages: i64,
    query: String,
    f: SampleFilter,
    statuses: Vec<Opt>,
    templates: Vec<(String, String)>,
}

pub(super) async fn samples_page(
    ctx: PageCtx,
    q: web::Query<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    // Read the query leniently: an empty field means "any".
    let g = |k: &str| {
        form_get(&q, k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let f = SampleFilter {
        status: g("status"),
        conclusion: g("conclusion"),
        region: g("region"),
        plan_id: g("plan_id").and_then(|v| v.parse().ok()),
        from: g("from").and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()),
        to: g("to").and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()),
        q: g("q"),
        overdue: g("overdue").map(|v| v == "true" || v == "on"),
    };
    let page = g("page")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = 50;
    let now = ctx.now();
    let f2 = f.clone();
    let (items, total, awaiting) = ctx
        .state
        .db
        .run(move |c| {
            let (items, total) = intake::list_samples(c, now, &actor, &f2, page, per_page)?;
            let review: Vec<i64> = items
                .iter()
                .filter(|s| s.status == SampleStatus::Review.as_str())
                .map(|s| s.id)
                .collect();
            let awaiting = crate::workflow::approval::awaiting_approval(c, &review)?;
            Ok((items, total, awaiting))
        })
        .await?;
    let query = serde_urlencoded_filter(&f);
    let statuses = opts(
        SampleStatus::ALL
            .iter()
            .map(|s| (s.as_str(), enum_label(ctx.lang, s.label_zh(), s.label_en()))),
        f.status.as_deref().unwrap_or(""),
    );
    let templates = crate::web::labels::templates(&ctx.state)
        .into_iter()
        .map(|t| (t.name.clone(), t.name))
        .collect();
    let lines = lines(ctx.lang, items, local_date(now), &awaiting);
    ok(
        &ctx,
        &SamplesPage {
            nav: Nav::new(&ctx),
            lines,
            total,
            page,
            pages: (total + per_page - 1) / per_page,
            query,
            f,
            statuses,
            templates,
        },
    )
}

fn serde_urlencoded_filter(f: &SampleFilter) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={}", url_encode(&v)));
        }
    };
    push("status", f.status.clone());
    push("conclusion", f.conclusion.clone());
    push("region", f.region.clone());
    push("plan_id", f.plan_id.map(|v| v.to_string()));
    push("from", f.from.map(|v| v.to_string()));
    push("to", f.to.map(|v| v.to_string()));
    push("q", f.q.clone());
    push(
        "overdue",
        f.overdue.filter(|o| *o).map(|_| "true".to_string()),
    );
    parts.join("&")
}

/// A deadline as the sample page shows it: the rule in words with its period, the
/// rule's formal citation (basis), date, days left.
pub struct DeadlineView {
    pub label: &'static str,
    pub rule: String,
    pub basis: String,
    pub date: NaiveDate,
    pub provisional: bool,
    pub days_left: i64,
    pub met: Option<bool>,
}

/// The words of a sample's vocabulary fields (empty when not given), and whether the
/// drug and cosmetic fields are shown.
pub struct FormWords {
    pub packaging: String,
    pub sample_form: String,
    pub sample_source: String,
    pub sampling_method: String,
    pub area_type: String,
    /// A drug or cosmetic sample, or one with any of their fields filled.
    pub drug_fields: bool,
}

/// The word of a stored key in `lang`; empty when none is stored.
fn vocab_word<T: Vocabulary>(lang: Lang, key: Option<&str>) -> String {
    key.and_then(|k| parse_vocab::<T>(k).ok())
        .map(|v| enum_label(lang, v.label_zh(), v.label_en()))
        .unwrap_or_default()
}

impl FormWords {
    fn of(lang: Lang, s: &intake::Sample) -> FormWords {
        let drug_domain = matches!(
            s.domain.parse::<Domain>(),
            Ok(Domain::Drug | Domain::Cosmetic)
        );
        FormWords {
            packaging: vocab_word::<Packaging>(lang, s.packaging.as_deref()),
            sample_form: vocab_word::<PhysicalForm>(lang, s.sample_form.as_deref()),
            sample_source: vocab_word::<SampleSource>(lang, s.sample_source.as_deref()),
            sampling_method: vocab_word::<SamplingMethod>(lang, s.sampling_method.as_deref()),
            area_type: vocab_word::<AreaType>(lang, s.area_type.as_deref()),
            drug_fields: drug_domain
                || s.approval_no.is_some()
                || s.expiry_date.is_some()
                || s.mah.is_some()
                || s.dosage_form.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "intake/sample.html")]
struct SamplePage {
    nav: Nav,
    sheet: SampleSheet,
    words: FormWords,
    status_label: String,
    storage_label: String,
    stage_label: String,
    plan_label: String,
    deadlines: Vec<DeadlineView>,
    templates: Vec<(String, String)>,
    previews: Vec<(String, String)>,
    can_edit: bool,
    created: bool,
    overdue: bool,
    tests: Vec<crate::web::lab_pages::TestLine>,
    /// The domain's words for pass and fail (合格/不合格, 符合规定/不符合规定).
    pass_term: String,
    fail_term: String,
    can_assign: bool,
    can_approve: bool,
}

#[derive(Deserialize)]
pub(super) struct SamplePageQuery {
    created: Option<String>,
}

pub(super) async fn sample_page(
    ctx: PageCtx,
    path: web::Path<String>,
    q: web::Query<SamplePageQuery>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let a = actor.clone();
    let now = ctx.now();
    let (sheet, profile, cal, tests) = ctx
        .state
        .db
        .run(move |c| {
            let sheet = intake::sample_sheet(c, &a, &no)?;
            let d: Domain = sheet.sample.domain.parse().map_err(AppError::internal)?;
            let k: PlanKind = sheet.plan.kind.parse().map_err(AppError::internal)?;
            let profile = reference::get_profile(c, d, k)?.map(|p| p.profile());
            Ok((
                sheet,
                profile,
                reference::work_calendar(c)?,
                crate::workflow::lab::list_sample_tests(c, &a, &no)?,
            ))
        })
        .await?;
    let today = local_date(now);
    let lang = ctx.lang;
    let mut deadlines = Vec::new();
    // The rule in words and its period ("送达检验机构时限 · 5 个工作日"), and its basis.
    let rule = |key: &str| {
        let (zh, en) = crate::domain::rules::rule_label(key);
        let words = enum_label(lang, zh, en);
        let Some(r) = profile.as_ref().and_then(|p| p.get(key)) else {
            return (words, String::new());
        };
        let n = r.value.as_u64().unwrap_or(0);
        let period = match lang {
            crate::error::Lang::Zh => crate::domain::disposal::rule_text_zh(n, r.unit),
            crate::error::Lang::En => crate::domain::disposal::rule_text_en(n, r.unit),
        };
        (format!("{words} · {period}"), r.basis.clone())
    };
    let s = &sheet.sample;
    if let Some(d) = s.delivery_due_on {
        let received = s.received_at.map(|t| t.date_naive());
        deadlines.push(DeadlineView {
            label: word(lang, "deadline.delivery"),
            rule: rule("delivery_to_lab").0,
            basis: rule("delivery_to_lab").1,
            date: d,
            provisional: s.delivery_due_provisional,
            days_left: cal.working_days_between(today, d).0,
            met: received.map(|r| r <= d),
        });
    }
    if let Some(d) = s.due_on {
        deadlines.push(DeadlineView {
            label: word(lang, "deadline.report"),
            rule: rule("report_after_receipt").0,
            basis: rule("report_after_receipt").1,
            date: d,
            provisional: s.due_provisional,
            days_left: cal.working_days_between(today, d).0,
            met: s.reported_at.map(|r| r.date_naive() <= d),
        });
    }
    let all_templates = crate::web::labels::templates(&ctx.state);
    let previews = crate::web::labels::previews(&ctx.state, all_templates.first(), &sheet, lang)?;
    let templates: Vec<(String, String)> = all_templates
        .into_iter()
        .map(|t| (t.name.clone(), t.name))
        .collect();
    let storage_label = s
        .storage
        .parse::<Storage>()
        .map(|x| enum_label(lang, x.label_zh(), x.label_en()))
        .unwrap_or_default();
    let stage_label = s
        .stage
        .parse::<Stage>()
        .map(|x| enum_label(lang, x.label_zh(), x.as_str()))
        .unwrap_or_default();
    let plan_label = format!(
        "{}, {}",
        sheet
            .plan
            .kind
            .parse::<PlanKind>()
            .map(|k| plan_kind_label(lang, k))
            .unwrap_or_default(),
        sheet
            .plan
            .level
            .parse::<PlanLevel>()
            .map(|l| enum_label(lang, l.label_zh(), l.as_str()))
            .unwrap_or_default()
    );
    let tests = crate::web::lab_pages::lines(tests, today, lang);
    let all_accepted = !tests.is_empty() && tests.iter().all(|l| l.test.is_accepted());
    let term = |key: &str, fallback: &str| {
        profile
            .as_ref()
            .and_then(|p| p.text(key))
            .map(str::to_string)
            .unwrap_or_else(|| word(lang, fallback).to_string())
    };
    let (pass_term, fail_term) = (term("pass_term", "lab.pass"), term("fail_term", "lab.fail"));
    let page = SamplePage {
        pass_term,
        fail_term,
        can_assign: matches!(s.status.as_str(), "received" | "testing")
            && actor
                .roles
                .has_any(&[Role::Custodian, Role::Reviewer, Role::Admin]),
        can_approve: s.state() == Some(SampleStatus::Review)
            && all_accepted
            && actor.roles.has(Role::Signatory),
        tests,
        plan_label,
        status_label: status_word(lang, &s.status, all_accepted),
        can_edit: s.is_registered() && actor.roles.has(Role::Sampler),
        overdue: is_overdue(s, today),
        storage_label,
        stage_label,
        deadlines,
        templates,
        previews,
        created: q.created.is_some(),
        nav: Nav::new(&ctx),
        words: FormWords::of(lang, &sheet.sample),
        sheet,
    };
    ok(&ctx, &page)
}

/// `/s/{sample_no}`: what a label's QR code opens. Logged in: the sample page.
pub(super) async fn short_link(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.user()?;
    let no = path.into_inner().to_ascii_uppercase();
    if !looks_like_sample_no(&no) {
        return Err(AppError::not_found("样品", "Sample"));
    }
    Ok(redirect(&format!("/samples/{no}")))
}

/// The search box: a sample number or a scan opens the sample; other text lists the
/// samples and entities that match.
pub(super) async fn search(ctx: PageCtx, q: web::Query<QQuery>) -> AppResult<HttpResponse> {
    let actor: Actor = ctx.user()?.clone();
    let text = q.into_inner().q.unwrap_or_default();
    if let Some((no, _)) = parse_scan(&text) {
        let n = no.clone();
        let a = actor.clone();
        let found = ctx
            .state
            .db
            .run(move |c| intake::get_sample(c, &a, &n))
            .await;
        if found.is_ok() {
            return Ok(redirect(&format!("/samples/{no}")));
        }
    }
    let t = text.trim();
    // A report number, typed or scanned from a report's verification QR code.
    let report_no = t
        .split_once("/verify/")
        .map_or(t, |(_, rest)| rest.split(['?', '/']).next().unwrap_or(""))
        .to_ascii_uppercase();
    // Any prefix a lab layout set (1–8 letters or digits), then year and six digits.
    let prefix_len = report_no.len().saturating_sub(10);
    if (11..=18).contains(&report_no.len())
        && report_no
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && report_no
            .bytes()
            .skip(prefix_len)
            .all(|b| b.is_ascii_digit())
    {
        let issuer = ctx.state.issuer();
        let a = actor.clone();
        let n = report_no.clone();
        let found = ctx
            .state
            .db
            .run(move |c| crate::workflow::reports::get_report(c, &a, &issuer, &n))
            .await;
        if found.is_ok() {
            return Ok(redirect(&format!("/reports/{report_no}")));
        }
    }
    if t.len() == 18 && t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(redirect(&format!("/entities?q={}", url_encode(t))));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/samples?q={}", url_encode(t))))
        .finish())
}
