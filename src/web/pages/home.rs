//! The home page: what each role does, the lists that need the user's attention and,
//! for admins, the setup's health.

use actix_web::HttpResponse;
use askama::Template;

use super::{ok, Nav};
use crate::domain::role::Role;
use crate::error::{AppResult, Lang};
use crate::web::auth::PageCtx;
use crate::web::i18n::word;
use crate::workflow::reference::{self, SetupHealth};
use crate::workflow::Actor;

/// What a role can do, for the home page.
struct RoleCard {
    title: &'static str,
    does: &'static str,
    links: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    nav: Nav,
    cards: Vec<RoleCard>,
    health: Option<SetupHealth>,
    panels: Vec<Panel>,
}

/// A list on the home page: what needs the user's attention, with a link to all of it.
pub struct Panel {
    pub title: &'static str,
    pub total: i64,
    pub href: String,
    pub rows: Vec<(String, String, String, bool)>,
}

/// The home page's lists for the user's roles (SPEC §8a), five rows each.
fn home_panels(
    conn: &mut crate::db::DbConnection,
    now: chrono::NaiveDateTime,
    user: &Actor,
    lang: Lang,
) -> AppResult<Vec<Panel>> {
    use crate::workflow::intake::{self, is_overdue, local_date, SampleFilter};
    use crate::workflow::lab::{self, TestFilter};
    let today = local_date(now);
    let mut panels = Vec::new();
    let mut samples = |title: &'static str,
                       f: SampleFilter,
                       href: &str,
                       conn: &mut crate::db::DbConnection|
     -> AppResult<()> {
        let (items, total) = intake::list_samples(conn, now, user, &f, 1, 5)?;
        let rows = items
            .iter()
            .map(|s| {
                let due = if s.is_registered() {
                    s.delivery_due_on
                } else {
                    s.due_on
                };
                (
                    s.sample_no.clone(),
                    s.product_name.clone(),
                    due.map(|d| d.to_string()).unwrap_or_default(),
                    is_overdue(s, today),
                )
            })
            .collect();
        panels.push(Panel {
            title: word(lang, title),
            total,
            href: href.to_string(),
            rows,
        });
        Ok(())
    };
    if user.roles.has(Role::Sampler) {
        let week = SampleFilter {
            from: Some(today - chrono::Duration::days(7)),
            ..SampleFilter::default()
        };
        samples("home.my_week", week, "/samples", conn)?;
        let waiting = SampleFilter {
            status: Some("registered".into()),
            ..SampleFilter::default()
        };
        samples(
            "home.not_delivered",
            waiting,
            "/samples?status=registered",
            conn,
        )?;
    }
    if user.roles.has(Role::Custodian) {
        let due = SampleFilter {
            status: Some("registered".into()),
            ..SampleFilter::default()
        };
        samples("home.due_in", due, "/receipts", conn)?;
        let rejected = SampleFilter {
            status: Some("rejected".into()),
            ..SampleFilter::default()
        };
        samples("home.rejected", rejected, "/samples?status=rejected", conn)?;
    }
    if user.roles.has_any(&[Role::Supervisor, Role::Admin]) {
        let overdue = SampleFilter {
            overdue: Some(true),
            ..SampleFilter::default()
        };
        samples("home.overdue", overdue, "/samples?overdue=true", conn)?;
    }
    let tests = |title: &'static str, list: Vec<lab::SampleTest>, total: i64, href: &str| Panel {
        title: word(lang, title),
        total,
        href: href.to_string(),
        rows: list
            .iter()
            .take(5)
            .map(|t| {
                let overdue = t.is_overdue(today);
                (
                    t.sample_no.clone(),
                    t.name.clone(),
                    t.due_on.map(|d| d.to_string()).unwrap_or_default(),
                    overdue,
                )
            })
            .collect(),
    };
    if user.roles.has(Role::Technician) {
        let f = TestFilter {
            assignee: Some("me".into()),
            status: Some("open".into()),
            sample_no: None,
        };
        let (list, total) = lab::list_tests(conn, user, &f, 1, 5)?;
        panels.push(tests("nav.worklist", list, total, "/worklist"));
    }
    if user.roles.has(Role::Reviewer) {
        let list = lab::review_queue(conn, user)?;
        let total = i64::try_from(list.len()).unwrap_or(0);
        panels.push(tests("lab.review", list, total, "/review"));
    }
    if user.roles.has(Role::Signatory) {
        let list = lab::ready_to_approve(conn, user)?;
        panels.push(Panel {
            title: word(lang, "lab.approvals"),
            total: i64::try_from(list.len()).unwrap_or(0),
            href: "/approvals".into(),
            rows: list
                .iter()
                .take(5)
                .map(|s| {
                    (
                        s.sample_no.clone(),
                        s.product_name.clone(),
                        s.due_on.map(|d| d.to_string()).unwrap_or_default(),
                        false,
                    )
                })
                .collect(),
        });
    }
    Ok(panels)
}

pub(super) async fn home(ctx: PageCtx) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let lang = ctx.lang;
    let cards = user
        .roles
        .iter()
        .map(|r| {
            let key = format!("role.{}.does", r.as_str());
            let links = match r {
                Role::Admin => vec![
                    ("/admin/users", word(lang, "nav.users")),
                    ("/admin/regions", word(lang, "nav.regions")),
                    ("/admin/holidays", word(lang, "nav.holidays")),
                    ("/admin/rules", word(lang, "nav.rules")),
                    ("/admin/test-items", word(lang, "nav.test_items")),
                ],
                Role::Sampler => vec![
                    ("/samples/new", word(lang, "nav.new_sample")),
                    (
                        "/samples?status=registered",
                        word(lang, "home.not_delivered"),
                    ),
                    ("/entities", word(lang, "nav.entities")),
                    ("/plans", word(lang, "nav.plans")),
                ],
                Role::Custodian => vec![
                    ("/receipts", word(lang, "nav.receipts")),
                    ("/samples?status=registered", word(lang, "home.due_in")),
                    ("/samples?status=rejected", word(lang, "home.rejected")),
                ],
                Role::Supervisor => vec![
                    ("/plans", word(lang, "nav.plans")),
                    ("/samples?overdue=true", word(lang, "home.overdue")),
                ],
                Role::Technician => vec![("/worklist", word(lang, "nav.worklist"))],
                Role::Reviewer => vec![
                    ("/review", word(lang, "nav.review")),
                    ("/assign", word(lang, "nav.assign")),
                ],
                Role::Signatory => vec![("/approvals", word(lang, "nav.approvals"))],
            };
            RoleCard {
                title: match lang {
                    Lang::Zh => r.label_zh(),
                    Lang::En => r.label_en(),
                },
                does: word(lang, &key),
                links,
            }
        })
        .collect();
    let (u, now) = (user.clone(), ctx.now());
    let panels = ctx
        .state
        .db
        .run(move |c| home_panels(c, now, &u, lang))
        .await?;
    let health = if user.roles.has(Role::Admin) {
        let today = crate::domain::local_time::local_date(ctx.state.now());
        Some(
            ctx.state
                .db
                .run(move |c| reference::setup_health(c, today))
                .await?,
        )
    } else {
        None
    };
    ok(
        &ctx,
        &HomePage {
            nav: Nav::new(&ctx),
            cards,
            health,
            panels,
        },
    )
}
