//! Public pages in one place (SPEC §8), no login, phone-first: a landing page with report
//! verification and published results, 你点我检 nominations (submit, track, support);
//! and the supervisors' triage page. Nothing private is shown to the public: no
//! resident contact, no staff name.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::nomination::parse_tracking_code;
use crate::error::{AppError, AppResult};
use crate::web::auth::{cookie, PageCtx};
use crate::web::forms::{form_get, refusal, CsrfForm, FormMap, Shown};
use crate::web::pages::{redirect, render, Nav};
use crate::web::public_api::{
    check_nominate_rate, client_hash, device_hash, device_of_request, new_code, new_device_cookie,
    no_device, DEVICE_COOKIE,
};
use crate::web::AppState;
use crate::workflow::nominations::{
    self, Decision, DecisionInput, Nomination, NominationFilter, NominationInput, SpamInput,
};
use crate::workflow::public::{self, PublicNomination};

/// The routes of this file.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/public", web::get().to(home))
        .route("/public/verify", web::get().to(verify_lookup))
        .route("/public/nominate", web::get().to(nominate_form))
        .route("/public/nominate", web::post().to(nominate_submit))
        .route("/public/nominations", web::get().to(open_list))
        .route("/public/track", web::get().to(track_lookup))
        .route("/public/nominations/{code}", web::get().to(track_page))
        .route(
            "/public/nominations/{code}/support",
            web::post().to(support_submit),
        )
        .route("/nominations", web::get().to(triage))
        .route("/nominations/spam", web::post().to(spam_submit))
        .route("/nominations/{id}/{action}", web::post().to(triage_submit));
}

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    nav: Nav,
}

async fn home(ctx: PageCtx) -> AppResult<HttpResponse> {
    render(
        &ctx,
        StatusCode::OK,
        &HomePage {
            nav: Nav::new(&ctx),
        },
    )
}

#[derive(Debug, Deserialize)]
struct VerifyQuery {
    no: Option<String>,
    k: Option<String>,
}

/// The landing page's verification box: to the report's public page.
async fn verify_lookup(q: web::Query<VerifyQuery>) -> HttpResponse {
    let no: String =
        q.no.as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
    let k: String =
        q.k.as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
    if no.is_empty() {
        return redirect("/public");
    }
    redirect(&format!("/verify/{no}?k={k}"))
}

#[derive(Template)]
#[template(path = "public/nominate.html")]
struct NominatePage {
    nav: Nav,
    input: NominationInput,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

async fn nominate_form(ctx: PageCtx) -> AppResult<HttpResponse> {
    render(
        &ctx,
        StatusCode::OK,
        &NominatePage {
            nav: Nav::new(&ctx),
            input: NominationInput::default(),
            notice: None,
            errors: Vec::new(),
        },
    )
}

async fn nominate_submit(
    ctx: PageCtx,
    req: HttpRequest,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let get = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let input = NominationInput {
        product: get("product"),
        place: get("place"),
        reason: get("reason"),
        region_code: Some(get("region_code")),
        contact: Some(get("contact")),
    };
    let result = match check_nominate_rate(&ctx.state, &req).await {
        Err(e) => Err(e),
        Ok(()) => {
            let now = ctx.now();
            let code = new_code();
            let i = input.clone();
            ctx.state
                .db
                .run(move |c| public::submit(c, now, &code, &i))
                .await
        }
    };
    match result {
        Ok(n) => Ok(redirect(&format!(
            "/public/nominations/{}?new=1",
            n.tracking_code
        ))),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::RateLimited])?;
            let errors = r.messages(ctx.lang, "product");
            render(
                &ctx,
                r.status(),
                &NominatePage {
                    nav: Nav::new(&ctx),
                    input,
                    notice: None,
                    errors,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "public/nominations.html")]
struct OpenListPage {
    nav: Nav,
    list: Vec<PublicNomination>,
}

/// Gives the browser its device cookie (the only device identifier supports accept)
/// when it has no genuine one: the pages that carry a support button set it.
fn with_device_cookie(
    st: &AppState,
    req: &HttpRequest,
    mut resp: HttpResponse,
) -> AppResult<HttpResponse> {
    if device_of_request(st, req).is_none() {
        let c = cookie(
            DEVICE_COOKIE,
            new_device_cookie(st),
            st.secure_cookies(),
            Some(400 * 24 * 3600),
        );
        resp.add_cookie(&c).map_err(AppError::internal)?;
    }
    Ok(resp)
}

async fn open_list(ctx: PageCtx, req: HttpRequest) -> AppResult<HttpResponse> {
    let list = ctx.state.db.run(public::open_for_support).await?;
    let resp = render(
        &ctx,
        StatusCode::OK,
        &OpenListPage {
            nav: Nav::new(&ctx),
            list,
        },
    )?;
    with_device_cookie(&ctx.state, &req, resp)
}

#[derive(Debug, Deserialize)]
struct TrackQuery {
    code: Option<String>,
    new: Option<String>,
}

async fn track_lookup(q: web::Query<TrackQuery>) -> HttpResponse {
    match q.code.as_deref().and_then(parse_tracking_code) {
        Some(code) => redirect(&format!("/public/nominations/{code}")),
        None => redirect("/public"),
    }
}

#[derive(Template)]
#[template(path = "public/nomination.html")]
struct TrackPage {
    nav: Nav,
    n: PublicNomination,
    created: bool,
}

impl TrackPage {
    /// The status in the page's language.
    fn status_text(&self) -> &'static str {
        status_label(&self.nav, &self.n.status)
    }
}

impl OpenListPage {
    fn label(&self, status: &str) -> &'static str {
        status_label(&self.nav, status)
    }
}

fn status_label(nav: &Nav, status: &str) -> &'static str {
    use crate::domain::nomination::NominationStatus;
    match status.parse::<NominationStatus>() {
        Ok(s) if nav.lang_code() == "en" => s.label_en(),
        Ok(s) => s.label_zh(),
        Err(_) => "",
    }
}

async fn track_page(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<TrackQuery>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let n = ctx.state.db.run(move |c| public::track(c, &code)).await?;
    let resp = render(
        &ctx,
        StatusCode::OK,
        &TrackPage {
            nav: Nav::new(&ctx),
            n,
            created: q.new.is_some(),
        },
    )?;
    with_device_cookie(&ctx.state, &req, resp)
}

/// A support from a browser: the device cookie that the page set counts once; without a
/// genuine one nothing is counted (422).
async fn support_submit(
    ctx: PageCtx,
    req: HttpRequest,
    path: web::Path<String>,
    _form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    check_nominate_rate(&ctx.state, &req).await?;
    // The page that shows the button set the cookie; a browser without it (cookies off,
    // or a script) is refused with words, and nothing is counted.
    let device = device_of_request(&ctx.state, &req).ok_or_else(no_device)?;
    let hash = device_hash(&ctx.state, &device);
    let client = client_hash(&ctx.state, &req);
    let now = ctx.now();
    let code = path.into_inner();
    let c2 = code.clone();
    ctx.state
        .db
        .run(move |c| public::support(c, now, &c2, &hash, &client))
        .await?;
    Ok(redirect(&format!("/public/nominations/{code}")))
}

// ---------------------------------------------------------------- supervisors

#[derive(Template)]
#[template(path = "public/triage.html")]
struct TriagePage {
    nav: Nav,
    list: Vec<Nomination>,
    total: i64,
    page: i64,
    pages: i64,
    /// The filters as a query string (without `page`), for the paging links.
    query: String,
    q: TriageQuery,
    plans: Vec<(i64, String)>,
    /// The regions the supervisor may filter by: (code, name in the page's language).
    regions: Vec<(String, String)>,
    notice: Option<String>,
    errors: Vec<(String, String)>,
}

/// Nominations on one triage page.
const TRIAGE_PER_PAGE: i64 = 100;

#[derive(Debug, Clone, Default, Deserialize)]
struct TriageQuery {
    status: Option<String>,
    region: Option<String>,
    spam: Option<String>,
    page: Option<i64>,
}

impl TriageQuery {
    fn spam(&self) -> bool {
        matches!(self.spam.as_deref(), Some("1" | "true" | "on"))
    }

    /// The filters as a query string, URL-encoded, without the page.
    fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("status", &self.status), ("region", &self.region)] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", crate::web::i18n::url_encode(v)));
            }
        }
        if self.spam() {
            parts.push("spam=1".to_string());
        }
        parts.join("&")
    }
}

async fn triage_view(
    ctx: &PageCtx,
    q: TriageQuery,
    code: StatusCode,
    errors: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let filter = NominationFilter {
        status: q.status.clone(),
        region: q.region.clone(),
        spam: Some(q.spam()),
    };
    let lang = ctx.lang;
    let ((list, total), plans, regions) = ctx
        .state
        .db
        .run(move |c| {
            let listed = nominations::list(c, &actor, &filter, page, TRIAGE_PER_PAGE)?;
            let regions = crate::web::pages::regions_in_scope(
                &actor,
                crate::workflow::reference::list_regions(c)?,
            )
            .into_iter()
            .map(|r| {
                let name = match lang {
                    crate::error::Lang::Zh => r.name_zh,
                    crate::error::Lang::En => r.name_en,
                };
                (r.code, name)
            })
            .collect::<Vec<_>>();
            // Only plans of the supervisor's own scope take its nominations.
            let plans = nominations::acceptable_plans(c, &actor)?;
            Ok((listed, plans, regions))
        })
        .await?;
    render(
        ctx,
        code,
        &TriagePage {
            nav: Nav::new(ctx),
            list,
            total,
            page,
            pages: ((total + TRIAGE_PER_PAGE - 1) / TRIAGE_PER_PAGE).max(1),
            query: q.query(),
            q,
            plans,
            regions,
            notice: None,
            errors,
        },
    )
}

async fn triage(ctx: PageCtx, q: web::Query<TriageQuery>) -> AppResult<HttpResponse> {
    triage_view(&ctx, q.into_inner(), StatusCode::OK, Vec::new()).await
}

/// The bulk form of the triage page: the ticked nominations (`id`, repeated) are
/// marked as spam.
async fn spam_submit(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let mut bad = false;
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| {
            let id = v.trim().parse::<i64>().ok();
            bad |= id.is_none();
            id
        })
        .collect();
    let r = if bad {
        Err(AppError::field(
            "ids",
            crate::error::Msg::new("建议编号无效", "is not a nomination number"),
        ))
    } else {
        let input = SpamInput { ids };
        ctx.state
            .call(actor, move |cx| nominations::mark_spam(cx, &input))
            .await
    };
    match r {
        Ok(_) => Ok(redirect("/nominations")),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict, Shown::NotFound])?;
            let errors = r.messages(ctx.lang, "ids");
            triage_view(&ctx, TriageQuery::default(), r.status(), errors).await
        }
    }
}

async fn triage_submit(
    ctx: PageCtx,
    path: web::Path<(i64, String)>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = ctx.user()?.clone();
    let (id, action) = path.into_inner();
    let decision = match action.as_str() {
        "accept" => Decision::Accept,
        "decline" => Decision::Decline,
        "merge" => Decision::Merge,
        "samples" => Decision::LinkSample,
        _ => return Err(AppError::not_found("操作", "Action")),
    };
    let num = |k: &str| form_get(&form, k).and_then(|v| v.trim().parse::<i64>().ok());
    let input = DecisionInput {
        plan_id: num("plan_id"),
        into_id: num("into_id"),
        note: form_get(&form, "note").map(str::to_string),
        sample_no: form_get(&form, "sample_no").map(str::to_string),
    };
    let r = ctx
        .state
        .call(actor, move |cx| {
            nominations::decide(cx, id, decision, &input)
        })
        .await;
    match r {
        Ok(_) => Ok(redirect("/nominations")),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            let errors = r.messages(ctx.lang, "note");
            triage_view(&ctx, TriageQuery::default(), r.status(), errors).await
        }
    }
}
