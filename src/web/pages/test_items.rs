//! The admin pages for the test item catalogue: the list by category with the form to
//! add one, and the edit page.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{ok, render, require_admin, Nav};
use crate::error::AppResult;
use crate::web::auth::PageCtx;
use crate::web::forms::{form_get, form_status, refusal, CsrfForm, FormMap, Shown};
use crate::web::i18n::word;
use crate::workflow::reference::{self, Category, TestItem, TestItemPatch};

#[derive(Template)]
#[template(path = "admin/test_items.html")]
struct ItemsPage {
    nav: Nav,
    categories: Vec<Category>,
    category: String,
    items: Vec<TestItem>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ItemQuery {
    category: Option<String>,
}

pub(super) async fn items_page(ctx: PageCtx, q: web::Query<ItemQuery>) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let category = q.into_inner().category.filter(|c| !c.is_empty());
    let cat = category.clone();
    let (categories, items) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                reference::list_categories(c, None)?,
                reference::list_test_items(c, cat.as_deref())?,
            ))
        })
        .await?;
    ok(
        &ctx,
        &ItemsPage {
            nav: Nav::new(&ctx),
            categories,
            category: category.unwrap_or_default(),
            items,
            errors: Vec::new(),
            notice: None,
        },
    )
}

/// A limit field of a test item form: `None` when the form lacks it, `Some(None)` when
/// it is blank (no limit), else the limit as typed (its digits kept).
fn form_limit(form: &FormMap, key: &str) -> Option<Option<crate::workflow::reference::LimitValue>> {
    form_get(form, key).map(|v| {
        Some(v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(crate::workflow::reference::LimitValue::Text)
    })
}

/// An admin adds a test item from the catalogue page.
pub(super) async fn item_create(ctx: PageCtx, form: CsrfForm<FormMap>) -> AppResult<HttpResponse> {
    use crate::workflow::reference::TestItemInput;
    let actor = require_admin(&ctx)?;
    let text = |k: &str| form_get(&form, k).unwrap_or("").to_string();
    let limit = |k: &str| form_limit(&form, k).flatten();
    let input = TestItemInput {
        category_code: text("category_code"),
        name: text("name"),
        method_standard: text("method_standard"),
        judgment_standard: text("judgment_standard"),
        limit_kind: text("limit_kind"),
        limit_min: limit("limit_min"),
        limit_max: limit("limit_max"),
        unit: text("unit"),
        lod: limit("lod"),
        note: Some(text("note")).filter(|n| !n.trim().is_empty()),
        verification: None,
    };
    let category = input.category_code.clone();
    let result = ctx
        .state
        .call(actor, move |cx| reference::create_test_item(cx, input))
        .await;
    let (errors, notice) = match result {
        Ok(item) => (
            Vec::new(),
            Some(format!(
                "{} · {}",
                word(ctx.lang, "common.saved"),
                item.name
            )),
        ),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            (r.messages(ctx.lang, "name"), None)
        }
    };
    let failed = !errors.is_empty();
    let cat = category.clone();
    let (categories, items) = ctx
        .state
        .db
        .run(move |c| {
            Ok((
                reference::list_categories(c, None)?,
                reference::list_test_items(c, Some(&cat))?,
            ))
        })
        .await?;
    let status = form_status(failed);
    render(
        &ctx,
        status,
        &ItemsPage {
            nav: Nav::new(&ctx),
            categories,
            category,
            items,
            errors,
            notice,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/test_item_edit.html")]
struct ItemEditPage {
    nav: Nav,
    item: TestItem,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

pub(super) async fn item_edit_page(ctx: PageCtx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    require_admin(&ctx)?;
    let id = path.into_inner();
    let item = ctx
        .state
        .db
        .run(move |c| reference::get_test_item(c, id))
        .await?;
    ok(
        &ctx,
        &ItemEditPage {
            nav: Nav::new(&ctx),
            item,
            errors: Vec::new(),
            notice: None,
        },
    )
}

pub(super) async fn item_edit_submit(
    ctx: PageCtx,
    path: web::Path<i64>,
    form: CsrfForm<FormMap>,
) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let id = path.into_inner();
    let text = |k: &str| form_get(&form, k).map(str::to_string);
    let limit = |k: &str| form_limit(&form, k);
    let patch = TestItemPatch {
        name: text("name"),
        method_standard: text("method_standard"),
        judgment_standard: text("judgment_standard"),
        limit_kind: text("limit_kind"),
        limit_min: limit("limit_min"),
        limit_max: limit("limit_max"),
        unit: text("unit"),
        lod: limit("lod"),
        note: text("note"),
        verification: text("verification"),
        active: Some(form_get(&form, "active").is_some()),
        version: form_get(&form, "version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1),
    };
    let result = ctx
        .state
        .call(actor, move |cx| reference::update_test_item(cx, id, patch))
        .await;
    let (errors, notice) = match result {
        Ok(_) => (Vec::new(), Some(word(ctx.lang, "common.saved").to_string())),
        Err(e) => {
            let r = refusal(e, &[Shown::Invalid, Shown::Conflict])?;
            (r.messages(ctx.lang, "version"), None)
        }
    };
    let failed = !errors.is_empty();
    let item = ctx
        .state
        .db
        .run(move |c| reference::get_test_item(c, id))
        .await?;
    let status = form_status(failed);
    render(
        &ctx,
        status,
        &ItemEditPage {
            nav: Nav::new(&ctx),
            item,
            errors,
            notice,
        },
    )
}
