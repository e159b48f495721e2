//! Lab pages: the technician's worklist with many-results entry, the review queue,
//! assignment of many samples at once, approval (what is signed, its draft report, a
//! confirmation step), and a sample's timeline.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use crate::domain::role::Role;
use crate::error::{AppError, AppResult, Lang, Msg};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_all, form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::web::pages::{render, Nav};
use crate::workflow::accounts::{self, User};
use crate::workflow::approval;
use crate::workflow::intake::{self, local_date, SampleFilter};
use crate::workflow::lab::{
    self, BulkResultRow, ReviewInput, SampleTest, TestFilter, TimelineEvent,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/worklist", web::get().to(worklist_page))
        .route("/worklist", web::post().to(worklist_submit))
        .route("/review", web::get().to(review_page))
        .route("/review/{id}", web::post().to(review_submit))
        .route("/assign", web::get().to(assign_page))
        .route("/assign", web::post().to(assign_submit))
        .route("/approvals", web::get().to(approvals_page))
        .route("/approvals/{no}", web::post().to(approve_submit))
        .route(
            "/samples/{no}/report-draft.pdf",
            web::get().to(report_draft),
        )
        .route("/samples/{no}/timeline", web::get().to(timeline_page));
}

/// A test row on a page, with what the page needs to show about it.
pub struct TestLine {
    pub test: SampleTest,
    pub overdue: bool,
    pub limit: String,
    /// What the technician typed, when the save was refused.
    pub typed: String,
    pub typed_unit: String,
    pub error: Option<String>,
}

/// The limit as a person reads it: "≤ 0.2 mg/kg", "0.5–1.0 g/100g", "不得检出".
pub fn limit_text(t: &SampleTest, lang: Lang) -> String {
    let min = t.limit_min_text.clone().unwrap_or_default();
    let max = t.limit_max_text.clone().unwrap_or_default();
    let base = match t.limit_kind.as_str() {
        "max" => format!("≤ {max} {}", t.unit),
        "min" => format!("≥ {min} {}", t.unit),
        "range" => format!("{min}–{max} {}", t.unit),
        "not_detected" => word(lang, "lab.not_detected").to_string(),
        _ => word(lang, "lab.qualitative").to_string(),
    };
    match (t.micro_n, t.micro_c) {
        (Some(n), Some(c)) if t.limit_kind == "max" => {
            format!("n={n}, c={c}, m={min}, M={max} {}", t.unit)
        }
        _ => base,
    }
}

pub fn lines(tests: Vec<SampleTest>, today: NaiveDate, lang: Lang) -> Vec<TestLine> {
    tests
        .into_iter()
        .map(|t| TestLine {
            overdue: t.is_overdue(today),
            limit: limit_text(&t, lang),
            typed: String::new(),
            typed_unit: String::new(),
            error: None,
            test: t,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "lab/worklist.html")]
struct WorklistPage {
    nav: Nav,
    lines: Vec<TestLine>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn load_worklist(ctx: &PageCtx) -> AppResult<Vec<TestLine>> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Technician])?;
    let f = TestFilter {
        assignee: Some("me".into()),
        status: Some("open".into()),
        sample_no: None,
    };
    let (tests, _) = ctx
        .state
        .db
        .run(move |c| lab::list_tests(c, &actor, &f, 1, 500))
        .await?;
    Ok(lines(tests, local_date(ctx.now()), ctx.lang))
}

async fn worklist_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let lines = load_worklist(&ctx).await?;
    render(
        &ctx,
        StatusCode::OK,
        &WorklistPage {
            nav: Nav::new(&ctx),
            lines,
            notice: None,
            errors: Vec::new(),
        },
    )
}

/// One save for every filled row of the worklist.
async fn worklist_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let ids = form_all(&form, "test_id");
    let mut rows = Vec::new();
    for id in &ids {
        let text = form_get(&form, &format!("result.{id}"))
            .unwrap_or("")
            .to_string();
        if text.trim().is_empty() {
            continue;
        }
        let (Ok(test_id), Some(Ok(version))) = (
            id.parse::<i64>(),
            form_get(&form, &format!("version.{id}")).map(str::parse::<i32>),
        ) else {
            return Err(AppError::BadRequest(Msg::new(
                "表单数据有误",
                "The form is malformed",
            )));
        };
        rows.push(BulkResultRow {
            test_id,
            result_text: text,
            unit: form_get(&form, &format!("unit.{id}"))
                .map(str::to_string)
                .filter(|u| !u.trim().is_empty()),
            lod: None,
            version,
        });
    }
    if rows.is_empty() {
        let lines = load_worklist(&ctx).await?;
        return render(
            &ctx,
            StatusCode::OK,
            &WorklistPage {
                nav: Nav::new(&ctx),
                lines,
                notice: None,
                errors: Vec::new(),
            },
        );
    }
    let sent = rows.clone();
    let now = ctx.now();
    let result = ctx
        .state
        .db
        .run(move |c| lab::enter_results(c, now, &actor, rows))
        .await;
    let (status, notice, row_errors, errors) = match result {
        Ok(saved) => (
            StatusCode::OK,
            Some(format!(
                "{} · {}",
                word(ctx.lang, "common.saved"),
                saved.len()
            )),
            Vec::new(),
            Vec::new(),
        ),
        Err(e) => {
            // Messages of rows go on their rows; one of the whole save above the list.
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            let f = r.field_messages(ctx.lang);
            let errs = if f.is_empty() {
                r.messages(ctx.lang, "results")
            } else {
                Vec::new()
            };
            (r.status(), None, f, errs)
        }
    };
    let mut lines = load_worklist(&ctx).await?;
    if status != StatusCode::OK {
        // Keep what was typed, and put each message on its row.
        for (i, r) in sent.iter().enumerate() {
            if let Some(l) = lines.iter_mut().find(|l| l.test.id == r.test_id) {
                l.typed = r.result_text.clone();
                l.typed_unit = r.unit.clone().unwrap_or_default();
                let prefix = format!("results[{i}].");
                l.error = row_errors
                    .iter()
                    .find(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, m)| m.clone());
            }
        }
    }
    render(
        &ctx,
        status,
        &WorklistPage {
            nav: Nav::new(&ctx),
            lines,
            notice,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "lab/review.html")]
struct ReviewPage {
    nav: Nav,
    lines: Vec<TestLine>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn review_view(
    ctx: &PageCtx,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Reviewer])?;
    let tests = ctx
        .state
        .db
        .run(move |c| lab::review_queue(c, &actor))
        .await?;
    let lines = lines(tests, local_date(ctx.now()), ctx.lang);
    render(
        ctx,
        status,
        &ReviewPage {
            nav: Nav::new(ctx),
            lines,
            notice,
            errors,
        },
    )
}

async fn review_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    review_view(&ctx, StatusCode::OK, None, Vec::new()).await
}

async fn review_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let id = path.into_inner();
    let input = ReviewInput {
        decision: form_get(&form, "decision").unwrap_or("").to_string(),
        note: form_get(&form, "note").map(str::to_string),
        version: form_get(&form, "version").and_then(|v| v.parse().ok()),
    };
    let now = ctx.now();
    match ctx
        .state
        .db
        .run(move |c| lab::review(c, now, &actor, id, input))
        .await
    {
        Ok(t) => {
            review_view(
                &ctx,
                StatusCode::OK,
                Some(format!("{} · {} · {}", t.sample_no, t.name, t.status)),
                Vec::new(),
            )
            .await
        }
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::Forbidden])?;
            review_view(&ctx, r.status(), None, r.messages(ctx.lang, "decision")).await
        }
    }
}

#[derive(Template)]
#[template(path = "lab/assign.html")]
struct AssignPage {
    nav: Nav,
    samples: Vec<crate::workflow::intake::Sample>,
    technicians: Vec<User>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn assign_view(
    ctx: &PageCtx,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    actor.require(&[Role::Custodian, Role::Reviewer, Role::Admin])?;
    let now = ctx.now();
    let (samples, technicians) = ctx
        .state
        .db
        .run(move |c| {
            let f = SampleFilter {
                status: Some("received".into()),
                ..SampleFilter::default()
            };
            Ok((
                intake::list_samples(c, now, &actor, &f, 1, 500)?.0,
                accounts::active_users_with_role(c, Role::Technician)?,
            ))
        })
        .await?;
    render(
        ctx,
        status,
        &AssignPage {
            nav: Nav::new(ctx),
            samples,
            technicians,
            notice,
            errors,
        },
    )
}

async fn assign_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    assign_view(&ctx, StatusCode::OK, None, Vec::new()).await
}

async fn assign_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let nos = form_all(&form, "sample_nos");
    let assignee = form_get(&form, "assignee_id").and_then(|v| v.parse::<i64>().ok());
    let now = ctx.now();
    match ctx
        .state
        .db
        .run(move |c| lab::assign_many(c, now, &actor, &nos, assignee))
        .await
    {
        Ok(results) => {
            let lang = ctx.lang;
            let ok: Vec<String> = results
                .iter()
                .filter_map(|(no, r)| r.as_ref().ok().map(|n| format!("{no} ({n})")))
                .collect();
            let errors: Vec<(String, String)> = results
                .iter()
                .filter_map(|(no, r)| {
                    r.as_ref()
                        .err()
                        .map(|e| (no.clone(), e.message().get(lang).to_string()))
                })
                .collect();
            let notice = (!ok.is_empty())
                .then(|| format!("{} · {}", word(lang, "common.saved"), ok.join("、")));
            assign_view(&ctx, StatusCode::OK, notice, errors).await
        }
        Err(e) => {
            let f = refusal(e, &[Shown::Invalid])?.field_messages(ctx.lang);
            assign_view(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, f).await
        }
    }
}

// ---------------------------------------------------------------- approvals

/// One result of a waiting sample, in words.
pub struct ApprovalTestLine {
    pub name: String,
    /// The result as entered, with its unit when it is a number.
    pub result: String,
    pub limit: String,
    pub method: String,
    pub judgment: String,
    pub failed: bool,
    pub entered_by: String,
    pub reviewed_by: String,
}

/// A sample waiting for approval, in words: what the signatory signs.
pub struct ApprovalCard {
    pub sample_no: String,
    pub product_name: String,
    pub entity_name: String,
    pub plan_kind: String,
    pub conclusion: String,
    /// The conclusion finds a failure (or, in risk monitoring, a problem).
    pub adverse: bool,
    pub tests: Vec<ApprovalTestLine>,
    /// This card shows its confirmation step.
    pub confirming: bool,
}

/// The flash after an approval: the report number (a link) and the conclusion in words.
pub struct IssuedFlash {
    pub report_no: String,
    pub sample_no: String,
    pub conclusion: String,
    pub case_opened: bool,
}

fn approval_card(p: &approval::Pending, lang: Lang, confirming: bool) -> ApprovalCard {
    let tests = p
        .tests
        .iter()
        .map(|pt| {
            let t = &pt.test;
            let text = t.result_text.clone().unwrap_or_default();
            let unit = t.result_unit.clone().unwrap_or_else(|| t.unit.clone());
            let result = if t.result_value_text.is_some() && !unit.is_empty() {
                format!("{text} {unit}")
            } else {
                text
            };
            ApprovalTestLine {
                name: t.name.clone(),
                result,
                limit: limit_text(t, lang),
                method: t.method_standard.clone(),
                judgment: p.judgment(t).get(lang).to_string(),
                failed: t.failed(),
                entered_by: pt.entered_by.clone(),
                reviewed_by: pt.reviewed_by.clone(),
            }
        })
        .collect();
    ApprovalCard {
        sample_no: p.sample_no.clone(),
        product_name: p.product_name.clone(),
        entity_name: p.entity_name.clone(),
        plan_kind: word(lang, &format!("approvals.kind.{}", p.plan_kind.as_str())).to_string(),
        conclusion: p.conclusion().get(lang).to_string(),
        adverse: p.failed() > 0,
        tests,
        confirming,
    }
}

#[derive(Template)]
#[template(path = "lab/approvals.html")]
struct ApprovalsPage {
    nav: Nav,
    cards: Vec<ApprovalCard>,
    issued: Option<IssuedFlash>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

/// The approvals page; with `confirm`, that sample's card shows its confirmation step
/// (404 outside the scope, 409 unless it waits for approval).
async fn approvals_view(
    ctx: &PageCtx,
    status: StatusCode,
    issued: Option<IssuedFlash>,
    errors: Vec<(String, String)>,
    confirm: Option<String>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let lang = ctx.lang;
    let (pending, confirming) = ctx
        .state
        .call(actor, move |cx| {
            let confirming = match confirm {
                Some(no) => Some(approval::preview(cx, &no)?),
                None => None,
            };
            Ok((approval::pending(cx)?, confirming))
        })
        .await?;
    let mut cards: Vec<ApprovalCard> = pending
        .iter()
        .map(|p| {
            let c = confirming
                .as_ref()
                .is_some_and(|c| c.sample_no == p.sample_no);
            approval_card(p, lang, c)
        })
        .collect();
    if let Some(c) = confirming.as_ref() {
        if !cards.iter().any(|card| card.sample_no == c.sample_no) {
            cards.insert(0, approval_card(c, lang, true));
        }
    }
    render(
        ctx,
        status,
        &ApprovalsPage {
            nav: Nav::new(ctx),
            cards,
            issued,
            notice: None,
            errors,
        },
    )
}

#[derive(serde::Deserialize)]
struct ApprovalsQuery {
    confirm: Option<String>,
}

async fn approvals_page(ctx: PageCtx, q: web::Query<ApprovalsQuery>) -> AppResult<HttpResponse> {
    let confirm = q.into_inner().confirm.filter(|c| !c.trim().is_empty());
    match approvals_view(&ctx, StatusCode::OK, None, Vec::new(), confirm).await {
        Ok(r) => Ok(r),
        Err(e) => {
            // The sample to confirm no longer waits (approved meanwhile): say so on the page.
            let r = refusal(e, &[Shown::Conflict, Shown::Forbidden])?;
            let m = vec![("approve".to_string(), r.message(ctx.lang))];
            approvals_view(&ctx, r.status(), None, m, None).await
        }
    }
}

/// Approves after the confirmation step: a post without `confirm=yes` shows the step.
async fn approve_submit(
    ctx: PageCtx,
    path: web::Path<String>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    if form_get(&form, "confirm") != Some("yes") {
        return match approvals_view(&ctx, StatusCode::OK, None, Vec::new(), Some(no)).await {
            Ok(r) => Ok(r),
            Err(e) => {
                let r = refusal(e, &[Shown::Conflict, Shown::Forbidden])?;
                let m = vec![("approve".to_string(), r.message(ctx.lang))];
                approvals_view(&ctx, r.status(), None, m, None).await
            }
        };
    }
    let issuer = ctx.state.issuer();
    match ctx
        .state
        .call(actor, move |cx| {
            // The conclusion in words, as the confirmation step named it.
            let words = approval::preview(cx, &no)?.conclusion();
            Ok((approval::approve_opening(cx, &issuer, &no)?, words))
        })
        .await
    {
        Ok((a, words)) => {
            let flash = IssuedFlash {
                report_no: a.report.report_no.clone(),
                sample_no: a.report.sample_no.clone(),
                conclusion: words.get(ctx.lang).to_string(),
                case_opened: a.case_id.is_some(),
            };
            approvals_view(&ctx, StatusCode::OK, Some(flash), Vec::new(), None).await
        }
        Err(e) => {
            // A refusal of the whole approval: no field of its own.
            let r = refusal(e, &[Shown::Conflict, Shown::Forbidden])?;
            let m = vec![("approve".to_string(), r.message(ctx.lang))];
            approvals_view(&ctx, r.status(), None, m, None).await
        }
    }
}

/// `GET /samples/{no}/report-draft.pdf`: the report as it would be issued now, marked
/// a draft, with no number (see `approval::draft_pdf`).
async fn report_draft(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let n = no.clone();
    let bytes = ctx
        .state
        .call(actor, move |cx| approval::draft_pdf(cx, &n))
        .await?;
    Ok(crate::web::labels::pdf_response(
        bytes,
        &format!("{no}-draft.pdf"),
    ))
}

#[derive(Template)]
#[template(path = "lab/timeline.html")]
struct TimelinePage {
    nav: Nav,
    sample_no: String,
    events: Vec<TimelineEvent>,
}

async fn timeline_page(ctx: PageCtx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let no = path.into_inner();
    let n = no.clone();
    let events = ctx
        .state
        .db
        .run(move |c| lab::timeline(c, &actor, &n))
        .await?;
    render(
        &ctx,
        StatusCode::OK,
        &TimelinePage {
            nav: Nav::new(&ctx),
            sample_no: no,
            events,
        },
    )
}
