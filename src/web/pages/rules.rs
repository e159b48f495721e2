//! The admin pages for rule profiles: the list, and the edit page of one profile's
//! rules. Each rule shows its words, its key (small, for admins), its basis (the
//! formal citation documents print) and its notes (the provenance only admins see).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{ok, render, require_admin, Nav};
use crate::error::{AppError, AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, form_status, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::workflow::reference::{self, ProfileInput, StoredProfile};

/// One profile as the list shows it.
struct ProfileView {
    domain: String,
    plan_kind: String,
    version: i32,
    rules: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    nav: Nav,
    profiles: Vec<ProfileView>,
}

pub(super) async fn rules_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let profiles = ctx.state.db.run(reference::list_profiles).await?;
    let profiles = profiles
        .iter()
        .map(|p| ProfileView {
            domain: p.domain.as_str().to_string(),
            plan_kind: p.plan_kind.as_str().to_string(),
            version: p.version,
            rules: rule_rows(ctx.lang, p),
        })
        .collect();
    ok(
        &ctx,
        &RulesPage {
            nav: Nav::new(&ctx),
            profiles,
        },
    )
}

/// One rule as the list and the edit form show it.
struct RuleRow {
    /// The rule in words (never only the key).
    word: String,
    key: String,
    value: String,
    unit: String,
    calendar: String,
    basis: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "admin/rule_edit.html")]
struct RuleEditPage {
    nav: Nav,
    domain: String,
    kind: String,
    version: i32,
    rows: Vec<RuleRow>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn rule_rows(lang: Lang, p: &StoredProfile) -> Vec<RuleRow> {
    p.rules
        .iter()
        .map(|r| RuleRow {
            word: {
                let (zh, en) = crate::domain::rules::rule_label(&r.key);
                match lang {
                    Lang::Zh => zh,
                    Lang::En => en,
                }
                .to_string()
            },
            key: r.key.clone(),
            value: value_text(&r.value),
            unit: r.unit.as_str().to_string(),
            calendar: r.calendar.as_str().to_string(),
            basis: r.basis.clone(),
            notes: r.notes.clone(),
        })
        .collect()
}

async fn load_profile(ctx: &PageCtx, domain: &str, kind: &str) -> AppResult<StoredProfile> {
    let d = domain
        .parse()
        .map_err(|_| AppError::not_found("领域", "Domain"))?;
    let k = kind
        .parse()
        .map_err(|_| AppError::not_found("计划类型", "Plan kind"))?;
    let p = ctx
        .state
        .db
        .run(move |c| reference::get_profile(c, d, k))
        .await?;
    p.filter(|p| p.plan_kind == k)
        .ok_or_else(|| AppError::not_found("规则配置", "Rule profile"))
}

pub(super) async fn rule_edit_page(
    ctx: PageCtx,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let (domain, kind) = path.into_inner();
    let p = load_profile(&ctx, &domain, &kind).await?;
    ok(
        &ctx,
        &RuleEditPage {
            nav: Nav::new(&ctx),
            domain,
            kind,
            version: p.version,
            rows: rule_rows(ctx.lang, &p),
            errors: Vec::new(),
            notice: None,
        },
    )
}

/// Reads the edited value of a rule back into JSON of the type its unit needs.
fn parse_rule_value(unit: crate::domain::rules::RuleUnit, text: &str) -> serde_json::Value {
    use crate::domain::rules::RuleUnit;
    let t = text.trim();
    match unit {
        RuleUnit::List => serde_json::Value::Array(
            t.split([',', '，', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| serde_json::Value::from(s.to_string()))
                .collect(),
        ),
        RuleUnit::Flag => match t {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            other => serde_json::Value::from(other.to_string()),
        },
        _ => serde_json::from_str::<serde_json::Number>(t)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| serde_json::Value::from(t.to_string())),
    }
}

pub(super) async fn rule_edit_submit(
    ctx: PageCtx,
    path: web::Path<(String, String)>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let (domain, kind) = path.into_inner();
    let current = load_profile(&ctx, &domain, &kind).await?;
    let version = form_get(&form, "version").and_then(|v| v.parse().ok());
    let rules = current
        .rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(v) = form_get(&form, &format!("value.{}", r.key)) {
                r.value = parse_rule_value(r.unit, v);
            }
            if let Some(b) = form_get(&form, &format!("basis.{}", r.key)) {
                r.basis = b.trim().to_string();
            }
            if let Some(n) = form_get(&form, &format!("notes.{}", r.key)) {
                r.notes = n.trim().to_string();
            }
            r
        })
        .collect();
    let reason = form_get(&form, "reason")
        .map(str::to_string)
        .filter(|r| !r.trim().is_empty());
    let input = ProfileInput {
        domain: None,
        plan_kind: None,
        rules,
        version,
    };
    let (d, k) = (domain.clone(), kind.clone());
    let result = ctx
        .state
        .call(actor, move |cx| {
            reference::put_profile(cx, &d, &k, input, reason.as_deref())
        })
        .await;
    let (errors, notice, shown) = match result {
        Ok(p) => (
            Vec::new(),
            Some(word(ctx.lang, "common.saved").to_string()),
            p,
        ),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            (r.messages(ctx.lang, "version"), None, current)
        }
    };
    let failed = !errors.is_empty();
    let mut rows = rule_rows(ctx.lang, &shown);
    if failed {
        for row in &mut rows {
            if let Some(v) = form_get(&form, &format!("value.{}", row.key)) {
                row.value = v.to_string();
            }
            if let Some(b) = form_get(&form, &format!("basis.{}", row.key)) {
                row.basis = b.to_string();
            }
            if let Some(n) = form_get(&form, &format!("notes.{}", row.key)) {
                row.notes = n.to_string();
            }
        }
    }
    let page = RuleEditPage {
        nav: Nav::new(&ctx),
        domain,
        kind,
        version: shown.version,
        rows,
        errors,
        notice,
    };
    let status = form_status(failed);
    render(&ctx, status, &page)
}
