//! The admin page of the audit log: the latest rows in words, local time.

use actix_web::HttpResponse;
use askama::Template;

use super::{ok, require_admin, Nav};
use crate::error::{AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::workflow::accounts::{self};
use crate::workflow::audit::AuditRow;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    rows: Vec<AuditLine>,
}

/// An audit row as the page shows it: local time, the action and record in words.
struct AuditLine {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    reason: Option<String>,
}

fn audit_lines(lang: Lang, rows: Vec<AuditRow>) -> Vec<AuditLine> {
    use crate::web::audit_words;
    rows.into_iter()
        .map(|r| AuditLine {
            id: r.id,
            at: crate::domain::local_time::to_local(r.at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor,
            action: audit_words::action(&r.action, lang),
            entity: format!(
                "{} {}",
                audit_words::kind(&r.entity_kind, lang),
                r.entity_id
            )
            .trim()
            .to_string(),
            reason: r.reason,
        })
        .collect()
}

pub(super) async fn audit_page(ctx: PageCtx) -> AppResult<HttpResponse> {
    let actor = require_admin(&ctx)?;
    let rows = ctx
        .state
        .db
        .run(move |c| accounts::visible_audit_rows(c, &actor, 200))
        .await?;
    ok(
        &ctx,
        &AuditPage {
            nav: Nav::new(&ctx),
            rows: audit_lines(ctx.lang, rows),
        },
    )
}
