//! The authorisation matrix (SPEC §11): every route the server registers × every role,
//! an anonymous caller, and a user of another prefecture, each cell asserting either
//! "allowed" (any answer but a refusal: 2xx, 3xx, or a 4xx from the probe such as 404,
//! 409 or 422) or the exact refusal:
//!
//! - API (`/api/v1/…`, bearer token): 401 for no token, 403 for a role that may not;
//! - pages (signed session cookie, CSRF cookie and field on every form): a 303 to
//!   `/login?next=…` for no session, a 403 page for a role that may not.
//!
//! A user scoped to another prefecture holds every role, so the only thing that can
//! refuse it is the region: it gets 404 (the thing is not visible to it) or 403 (the
//! action is outside its region), as each row says.
//!
//! The resources live in 城西区, 西宁市 (630104); the other user is scoped to 海西州
//! (632800). Probes of mutating routes are chosen to fail after the authorisation
//! check (a stale version, an empty required field, a wrong state), so allowed cells
//! leave the fixtures as the other rows need them.
//!
//! The row set is compared with the routes registered in `src/web` (read from the
//! source: `.route("…", web::method()…)` inside the `configure` functions that
//! `web::configure` mounts), so a new route without a row fails the test.
//!
//! `AUTHZ_DUMP=1` prints the status every allowed cell got, to review what the probes
//! reached (most are 200; mutating probes mostly 409 or 422).

use std::collections::BTreeSet;

use lims::clock::Clock;
use lims::web::session::{Signer, CSRF_COOKIE, SESSION_COOKIE};
use serde_json::{json, Value};

use crate::support::fixtures::{
    issue, lab_users, received_with_tests, register, sample_body, sample_no,
};
use crate::support::{make_user, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    every_route_is_allowed_or_refused_for_every_role_as_the_matrix_says,
    every_registered_route_has_a_row_in_the_authorisation_matrix,
];

/// The secret `TestApp` configures, to sign session cookies without logging in.
const SECRET: &[u8] = b"test secret that is long enough for hmac use";

/// Who calls: nobody, one user per role (province-wide), and a user of another
/// prefecture holding every role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    Anon,
    Sampler,
    Custodian,
    Technician,
    Reviewer,
    Signatory,
    Supervisor,
    Admin,
    Other,
}

use Id::*;

const SUPERVISION: &[Id] = &[Supervisor, Admin];
const ADMIN: &[Id] = &[Admin];

/// Who a row lets in, before the region.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user.
    Users,
    /// Logged-in users holding one of these roles.
    Roles(&'static [Id]),
}

/// What a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// Not a refusal: below 500, not 401/403, not a redirect to the login page.
    Allow,
    /// The refusal of the caller: 401 / login redirect without a user, 403 with one.
    Refuse,
    /// 404: not visible to this user.
    Hidden,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    /// Form fields; the CSRF field is added by the runner.
    Form(Vec<(&'static str, String)>),
    Bytes(&'static str, Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Api,
    Page,
}

struct Row {
    kind: Kind,
    method: &'static str,
    /// The route as registered (API rows without the `/api/v1` prefix).
    route: &'static str,
    /// The concrete path and query of the probe.
    path: String,
    body: Body,
    who: Who,
    /// What the user of another prefecture gets.
    other: Exp,
    /// Cells that differ from `who` (an owner, the user itself).
    except: Vec<(Id, Exp)>,
    /// A list or a dashboard: the other prefecture's user gets it, but nothing of the
    /// fixtures (their numbers, codes and USCC) may be in it.
    scoped: bool,
}

impl Row {
    fn new(kind: Kind, method: &'static str, route: &'static str, path: String, who: Who) -> Row {
        Row {
            kind,
            method,
            route,
            path,
            body: Body::None,
            who,
            other: Exp::Allow,
            except: Vec::new(),
            scoped: false,
        }
    }
    fn json(mut self, v: Value) -> Row {
        self.body = Body::Json(v);
        self
    }
    fn form(mut self, fields: &[(&'static str, &str)]) -> Row {
        self.body = Body::Form(fields.iter().map(|(k, v)| (*k, v.to_string())).collect());
        self
    }
    fn bytes(mut self, ct: &'static str, b: Vec<u8>) -> Row {
        self.body = Body::Bytes(ct, b);
        self
    }
    fn scoped(mut self) -> Row {
        self.scoped = true;
        self
    }
    /// The other prefecture's user does not see the thing (404).
    fn hidden(mut self) -> Row {
        self.other = Exp::Hidden;
        self
    }
    /// The other prefecture's user is refused (403).
    fn region_refused(mut self) -> Row {
        self.other = Exp::Refuse;
        self
    }
    /// Only its owner (the signatory who made it) and province-wide admins see the
    /// thing; others, the other prefecture's admin included, get 404.
    fn owner_and_admins(mut self) -> Row {
        self.other = Exp::Hidden;
        for id in [Sampler, Custodian, Technician, Reviewer, Supervisor] {
            self.except.push((id, Exp::Hidden));
        }
        self
    }

    fn full_route(&self) -> String {
        match self.kind {
            Kind::Api => format!("/api/v1{}", self.route),
            Kind::Page => self.route.to_string(),
        }
    }

    fn full_path(&self) -> String {
        match self.kind {
            Kind::Api => format!("/api/v1{}", self.path),
            Kind::Page => self.path.clone(),
        }
    }

    fn expect(&self, id: Id) -> Exp {
        if let Some((_, e)) = self.except.iter().find(|(i, _)| *i == id) {
            return *e;
        }
        match (self.who, id) {
            (Who::Public, Other) => self.other,
            (Who::Public, _) => Exp::Allow,
            (_, Anon) => Exp::Refuse,
            (_, Other) => self.other,
            (Who::Users, _) => Exp::Allow,
            (Who::Roles(ids), _) if ids.contains(&id) => Exp::Allow,
            (Who::Roles(_), _) => Exp::Refuse,
        }
    }
}

/// The fixtures every row points at.
#[derive(Default)]
struct Fx {
    plan: i64,
    entity: i64,
    /// A sample still `registered`.
    registered: String,
    /// A sample in `testing`, with `open_test` assigned to the technician.
    testing: String,
    open_test: i64,
    /// A non-compliant sample with its report, case, recorded step and attachment.
    reported: String,
    done_test: i64,
    report: String,
    verify_k: String,
    case: i64,
    event: i64,
    attachment: i64,
    nomination: i64,
    tracking: String,
    screening: String,
    /// The signatory's report batch.
    batch: i64,
    admin_id: i64,
    item: i64,
    /// A valid registration body (the intake fixture's plan, entity and samplers).
    sample_body: Value,
}

impl Fx {
    /// What no answer to the other prefecture's user may contain.
    fn markers(&self) -> Vec<String> {
        vec![
            self.registered.clone(),
            self.testing.clone(),
            self.reported.clone(),
            self.report.clone(),
            self.screening.clone(),
            self.tracking.clone(),
            "QH-2026-supervision".into(),
            "91630104MA752K8R2Q".into(),
        ]
    }
}

fn api(method: &'static str, route: &'static str, path: String, who: Who) -> Row {
    Row::new(Kind::Api, method, route, path, who)
}

fn page(method: &'static str, route: &'static str, path: String, who: Who) -> Row {
    Row::new(Kind::Page, method, route, path, who)
}

fn s(v: &str) -> String {
    v.to_string()
}

/// Every route, its probe and who may call it.
fn rows(f: &Fx) -> Vec<Row> {
    use Who::*;
    let (reg, tst, rep, rno) = (&f.registered, &f.testing, &f.reported, &f.report);
    let (case, ev, att) = (f.case, f.event, f.attachment);
    let k = &f.verify_k;
    let bad_event = json!({"kind": "tea_break", "at": "2026-03-02T10:00:00+08:00"});
    let mut stale_sample = sample_body_for(f);
    stale_sample["version"] = json!(999);
    let mut one_sampler = sample_body_for(f);
    one_sampler["sampler_ids"] = json!([1]);
    // Creating: an empty code or name (422). Editing: the fixture as it is, with a
    // stale version (409), since the input is checked before the plan is looked up.
    // The other prefecture's user sends a region outside its scope in these edits: 403.
    let new_plan = json!({"code": "", "name": "", "year": 2026, "level": "county", "kind": "supervision",
        "domain": "food", "region_code": "630104", "target_batches": 1});
    let stale_plan = [
        ("code", "QH-2026-supervision"),
        ("name", "2026年西宁市食品安全监督抽检"),
        ("year", "2026"),
        ("level", "prefectural"),
        ("kind", "supervision"),
        ("domain", "food"),
        ("region_code", "630100"),
        ("target_batches", "1200"),
        ("version", "999"),
    ];
    let new_entity =
        json!({"name": "", "uscc": "", "kind": "market", "address": "", "region_code": "630104"});
    let stale_entity = [
        ("name", "西宁市城西区某某超市"),
        ("uscc", "91630104MA752K8R2Q"),
        ("kind", "distributor"),
        ("address", "西宁市城西区五四大街1号"),
        ("region_code", "630104"),
        ("version", "999"),
    ];
    let as_json = |fields: &[(&str, &str)]| -> Value {
        fields
            .iter()
            .map(|(k, v)| {
                let v = match *k {
                    "year" | "target_batches" | "version" => {
                        json!(v.parse::<i64>().expect("number"))
                    }
                    _ => json!(v),
                };
                (k.to_string(), v)
            })
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    let stale_sample_form = [
        ("plan_id", f.plan.to_string()),
        ("entity_id", f.entity.to_string()),
        ("sampled_at", s("2026-03-02T09:30")),
        ("version", s("999")),
    ];
    let stale_sample_form: Vec<(&str, &str)> = stale_sample_form
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    vec![
        // ------------------------------------------------------------ API: accounts, reference
        api("GET", "/openapi.json", s("/openapi.json"), Public),
        api("POST", "/auth/login", s("/auth/login"), Public)
            .json(json!({"username": "wangfang", "password": PASSWORD})),
        api("POST", "/auth/logout", s("/auth/logout"), Users),
        api("GET", "/me", s("/me"), Users),
        api("GET", "/users", s("/users"), Roles(ADMIN)),
        // The admin of another prefecture may not create a province-wide user (403).
        api("POST", "/users", s("/users"), Roles(ADMIN))
            .json(json!({"username": "", "display_name": "", "password": "", "roles": []}))
            .region_refused(),
        api("POST", "/auth/password", s("/auth/password"), Users)
            .json(json!({"old_password": "", "new_password": ""})),
        api("GET", "/auth/sessions", s("/auth/sessions"), Users),
        api("DELETE", "/auth/sessions/{id}", s("/auth/sessions/999999"), Users),
        // The admin of another prefecture does not see a province-wide user.
        api("GET", "/users/{id}", format!("/users/{}", f.admin_id), Roles(ADMIN)).hidden(),
        api("PATCH", "/users/{id}", format!("/users/{}", f.admin_id), Roles(ADMIN))
            .json(json!({"version": 999}))
            .hidden(),
        api("GET", "/regions", s("/regions"), Users),
        api("PUT", "/regions/{code}/population", s("/regions/630104/population"), Roles(ADMIN))
            .json(json!({"population": -1, "year": 2026})),
        api("GET", "/categories", s("/categories"), Users),
        api("GET", "/test-items", s("/test-items"), Users),
        api("POST", "/test-items", s("/test-items"), Roles(ADMIN)).json(json!({"category_code": "",
            "name": "", "method_standard": "", "judgment_standard": "", "limit_kind": "", "unit": ""})),
        api("GET", "/test-items/{id}", format!("/test-items/{}", f.item), Users),
        api("PATCH", "/test-items/{id}", format!("/test-items/{}", f.item), Roles(ADMIN))
            .json(json!({"version": 999})),
        api("GET", "/holidays", s("/holidays?year=2026"), Users),
        api("GET", "/calendar-years", s("/calendar-years"), Users),
        api("PUT", "/calendar-years/{year}", s("/calendar-years/2031"), Roles(ADMIN))
            .json(json!({"source": "", "csv": ""})),
        api("GET", "/rule-profiles", s("/rule-profiles"), Users),
        api("PUT", "/rule-profiles/{domain}/{plan_kind}", s("/rule-profiles/food/supervision"), Roles(ADMIN))
            .json(json!({"rules": [], "version": 999})),
        api("GET", "/audit/verify", s("/audit/verify"), Roles(ADMIN)),
        // ------------------------------------------------------------ API: intake
        api("GET", "/plans", s("/plans"), Users).scoped(),
        api("POST", "/plans", s("/plans"), Roles(SUPERVISION)).json(new_plan),
        api("GET", "/plans/{id}", format!("/plans/{}", f.plan), Users).hidden(),
        api("PATCH", "/plans/{id}", format!("/plans/{}", f.plan), Roles(SUPERVISION))
            .json(as_json(&stale_plan))
            .region_refused(),
        api("GET", "/entities", s("/entities"), Users).scoped(),
        api("POST", "/entities", s("/entities"), Roles(&[Sampler, Supervisor, Admin]))
            .json(new_entity),
        api("GET", "/entities/{id}", format!("/entities/{}", f.entity), Users).hidden(),
        api("PATCH", "/entities/{id}", format!("/entities/{}", f.entity), Roles(&[Sampler, Supervisor, Admin]))
            .json(as_json(&stale_entity))
            .region_refused(),
        api("GET", "/samples", s("/samples"), Users).scoped(),
        api("POST", "/samples", s("/samples"), Roles(&[Sampler])).json(one_sampler),
        api("GET", "/samples/{sample_no}", format!("/samples/{reg}"), Users).hidden(),
        api("PATCH", "/samples/{sample_no}", format!("/samples/{reg}"), Roles(&[Sampler]))
            .json(stale_sample)
            .hidden(),
        api("POST", "/receipts", s("/receipts"), Roles(&[Custodian]))
            .json(json!({"scan": rep, "seal_intact": true, "condition_ok": true}))
            .hidden(),
        api("GET", "/scan", format!("/scan?code={reg}"), Users).hidden(),
        // ------------------------------------------------------------ API: labels
        api("GET", "/label-templates", s("/label-templates"), Users),
        api("GET", "/samples/{no}/labels.pdf", format!("/samples/{reg}/labels.pdf"), Users).hidden(),
        api("GET", "/samples/{no}/labels.zpl", format!("/samples/{reg}/labels.zpl"), Users).hidden(),
        api("GET", "/samples/{no}/label.svg", format!("/samples/{reg}/label.svg"), Users).hidden(),
        api("GET", "/samples/{no}/sampling-form.pdf", format!("/samples/{reg}/sampling-form.pdf"), Users)
            .hidden(),
        api("POST", "/labels.pdf", s("/labels.pdf"), Users).json(json!({"sample_nos": [reg]})).hidden(),
        // ------------------------------------------------------------ API: lab
        api("POST", "/samples/{no}/tests", format!("/samples/{rep}/tests"), Roles(&[Custodian, Reviewer, Admin]))
            .json(json!({"assignments": []}))
            .hidden(),
        api("GET", "/samples/{no}/tests", format!("/samples/{tst}/tests"), Users).hidden(),
        api("POST", "/samples/{no}/approve", format!("/samples/{tst}/approve"), Roles(&[Signatory]))
            .json(json!({}))
            .hidden(),
        api("GET", "/samples/{no}/report-draft.pdf", format!("/samples/{tst}/report-draft.pdf"), Roles(&[Signatory, Reviewer, Technician])).hidden(),
        api("GET", "/samples/{no}/timeline", format!("/samples/{rep}/timeline"), Users).hidden(),
        api("GET", "/tests", s("/tests"), Users).scoped(),
        api("POST", "/tests/results", s("/tests/results"), Roles(&[Technician])).json(json!({"results": []})),
        api("PATCH", "/tests/{id}", format!("/tests/{}", f.open_test), Roles(&[Custodian, Reviewer, Admin]))
            .json(json!({"version": 999}))
            .hidden(),
        api("DELETE", "/tests/{id}", format!("/tests/{}", f.done_test), Roles(&[Custodian, Reviewer, Admin]))
            .hidden(),
        api("PUT", "/tests/{id}/result", format!("/tests/{}/result", f.open_test), Roles(&[Technician]))
            .json(json!({"result_text": "", "version": 999}))
            .hidden(),
        api("POST", "/tests/{id}/review", format!("/tests/{}/review", f.open_test), Roles(&[Reviewer]))
            .json(json!({"decision": "maybe"}))
            .hidden(),
        api("GET", "/tests/{id}/attempts", format!("/tests/{}/attempts", f.done_test), Users).hidden(),
        // ------------------------------------------------------------ API: retention
        api("PUT", "/samples/{no}/retention", format!("/samples/{rep}/retention"), Roles(&[Custodian]))
            .json(json!({"place": "留样室 B-2", "version": 999}))
            .hidden(),
        api("GET", "/samples/{no}/retention", format!("/samples/{rep}/retention"), Users).hidden(),
        api("POST", "/samples/{no}/retention/discard", format!("/samples/{rep}/retention/discard"), Roles(&[Custodian]))
            .json(json!({"reason": "过期"}))
            .hidden(),
        api("GET", "/retention/discardable", s("/retention/discardable"), Roles(&[Custodian, Supervisor, Admin])),
        // ------------------------------------------------------------ API: reports
        api("GET", "/reports", s("/reports"), Users).scoped(),
        api("POST", "/reports/batch", s("/reports/batch"), Users).json(json!({"report_nos": []})),
        api("GET", "/reports/{report_no}", format!("/reports/{rno}"), Users).hidden(),
        api("POST", "/reports/{report_no}/revoke", format!("/reports/{rno}/revoke"), Roles(&[Signatory]))
            .json(json!({"reason": ""}))
            .hidden(),
        api("POST", "/reports/{report_no}/publish", format!("/reports/{rno}/publish"), Roles(&[Supervisor]))
            .hidden(),
        api("POST", "/reports/{report_no}/unpublish", format!("/reports/{rno}/unpublish"), Roles(&[Supervisor]))
            .hidden(),
        api("GET", "/samples/{no}/reports", format!("/samples/{rep}/reports"), Users).hidden(),
        api("GET", "/samples/{no}/notice.pdf", format!("/samples/{rep}/notice.pdf"), Users).hidden(),
        api("GET", "/report-batches/{id}", format!("/report-batches/{}", f.batch), Users).owner_and_admins(),
        api("GET", "/report-batches/{id}/download", format!("/report-batches/{}/download", f.batch), Users).owner_and_admins(),
        api("GET", "/settings/lab", s("/settings/lab"), Users),
        api("GET", "/settings/lab/versions", s("/settings/lab/versions"), Roles(ADMIN)),
        api("GET", "/settings/lab/versions/{version}", s("/settings/lab/versions/1"), Roles(ADMIN)),
        api("PUT", "/settings/lab", s("/settings/lab"), Roles(ADMIN))
            .json(json!({"name": "", "address": "", "cma_no": "", "version": 999})),
        api("GET", "/verify/{report_no}", format!("/verify/{rno}?k={k}"), Public),
        api("GET", "/public/results", s("/public/results"), Public),
        // ------------------------------------------------------------ API: disposal
        api("GET", "/disposals", s("/disposals"), Roles(SUPERVISION)).scoped(),
        api("GET", "/disposals/reminders", s("/disposals/reminders"), Roles(SUPERVISION)).scoped(),
        api("GET", "/disposals/{id}", format!("/disposals/{case}"), Roles(SUPERVISION)).hidden(),
        api("POST", "/disposals/{id}/events", format!("/disposals/{case}/events"), Roles(&[Supervisor]))
            .json(bad_event)
            .hidden(),
        api("POST", "/disposals/{id}/extension", format!("/disposals/{case}/extension"), Roles(&[Supervisor]))
            .json(json!({"until": "2026-01-01", "reason": ""}))
            .hidden(),
        api("POST", "/disposals/{id}/extension/approve", format!("/disposals/{case}/extension/approve"), Roles(&[Supervisor]))
            .json(json!({"until": "2026-01-01"}))
            .hidden(),
        api("POST", "/disposals/{id}/reopen", format!("/disposals/{case}/reopen"), Roles(&[Supervisor]))
            .json(json!({"reason": ""}))
            .hidden(),
        api("POST", "/disposals/{id}/publish", format!("/disposals/{case}/publish"), Roles(&[Supervisor]))
            .json(json!({}))
            .hidden(),
        api("POST", "/disposals/{id}/unpublish", format!("/disposals/{case}/unpublish"), Roles(&[Supervisor]))
            .json(json!({}))
            .hidden(),
        api("POST", "/disposals/{id}/events/{event_id}/attachments",
            format!("/disposals/{case}/events/{ev}/attachments?file_name=a.gif"), Roles(&[Supervisor]))
            .bytes("image/gif", b"GIF89a....".to_vec())
            .hidden(),
        api("GET", "/disposals/{id}/attachments/{attachment_id}", format!("/disposals/{case}/attachments/{att}"),
            Roles(SUPERVISION))
            .hidden(),
        api("GET", "/stats/disposal", s("/stats/disposal?year=2026"), Roles(SUPERVISION)),
        // ------------------------------------------------------------ API: public participation
        api("POST", "/public/nominations", s("/public/nominations"), Public).json(json!({})),
        api("GET", "/public/nominations", s("/public/nominations"), Public),
        api("GET", "/public/nominations/{code}", format!("/public/nominations/{}", f.tracking), Public),
        api("POST", "/public/nominations/{code}/support", format!("/public/nominations/{}/support", f.tracking), Public),
        api("GET", "/nominations", s("/nominations"), Roles(SUPERVISION)).scoped(),
        api("POST", "/nominations/spam", s("/nominations/spam"), Roles(&[Supervisor])).json(json!({"ids": []})),
        api("POST", "/nominations/{id}/accept", format!("/nominations/{}/accept", f.nomination), Roles(&[Supervisor]))
            .json(json!({}))
            .hidden(),
        api("POST", "/nominations/{id}/decline", format!("/nominations/{}/decline", f.nomination), Roles(&[Supervisor]))
            .json(json!({"note": ""}))
            .hidden(),
        api("POST", "/nominations/{id}/merge", format!("/nominations/{}/merge", f.nomination), Roles(&[Supervisor]))
            .json(json!({}))
            .hidden(),
        api("POST", "/nominations/{id}/samples", format!("/nominations/{}/samples", f.nomination), Roles(&[Supervisor]))
            .json(json!({}))
            .hidden(),
        api("GET", "/stats/nominations", s("/stats/nominations"), Roles(SUPERVISION)),
        // ------------------------------------------------------------ API: screenings
        api("POST", "/screenings", s("/screenings"), Roles(&[Custodian]))
            .json(json!({"item_name": "", "region_code": "630104"})),
        api("GET", "/screenings", s("/screenings"), Roles(&[Custodian, Technician, Supervisor])).scoped(),
        api("GET", "/screenings/{no}", format!("/screenings/{}", f.screening), Roles(&[Custodian, Technician, Supervisor]))
            .hidden(),
        api("POST", "/screenings/{no}/results", format!("/screenings/{}/results", f.screening), Roles(&[Custodian, Technician]))
            .json(json!({}))
            .hidden(),
        api("GET", "/screenings/{no}/slip.pdf", format!("/screenings/{}/slip.pdf", f.screening),
            Roles(&[Custodian, Technician, Supervisor]))
            .hidden(),
        // ------------------------------------------------------------ API: statistics
        api("GET", "/stats/sampling-rate", s("/stats/sampling-rate?year=2026"), Roles(SUPERVISION)),
        api("GET", "/stats/summary", s("/stats/summary?year=2026"), Roles(SUPERVISION)),
        api("GET", "/stats/quality", s("/stats/quality?year=2026"), Roles(SUPERVISION)),
        api("GET", "/stats/lab", s("/stats/lab?year=2026"), Roles(SUPERVISION)),
        api("GET", "/stats/coverage", s("/stats/coverage?year=2026"), Roles(SUPERVISION)),
        // ------------------------------------------------------------ pages: the frame
        page("GET", "/healthz", s("/healthz"), Public),
        page("GET", "/static/app.css", s("/static/app.css"), Public),
        page("GET", "/static/app.js", s("/static/app.js"), Public),
        page("GET", "/login", s("/login"), Public),
        page("POST", "/login", s("/login"), Public)
            .form(&[("username", "wangfang"), ("password", PASSWORD), ("next", "/")]),
        page("POST", "/logout", s("/logout"), Public).form(&[]),
        page("GET", "/lang/{code}", s("/lang/en?next=/"), Public),
        page("GET", "/account", s("/account"), Users),
        page("POST", "/account/password", s("/account/password"), Users)
            .form(&[("old_password", ""), ("new_password", "")]),
        page("POST", "/account/sessions/{id}/revoke", s("/account/sessions/999999/revoke"), Users).form(&[]),
        page("GET", "/", s("/"), Users).scoped(),
        page("GET", "/search", format!("/search?q={reg}"), Users),
        // ------------------------------------------------------------ pages: admin
        page("GET", "/admin/users", s("/admin/users"), Roles(ADMIN)),
        page("POST", "/admin/users", s("/admin/users"), Roles(ADMIN)).form(&[]).region_refused(),
        page("GET", "/admin/users/{id}", format!("/admin/users/{}", f.admin_id), Roles(ADMIN)).hidden(),
        page("POST", "/admin/users/{id}", format!("/admin/users/{}", f.admin_id), Roles(ADMIN))
            .form(&[("version", "999")])
            .hidden(),
        page("GET", "/admin/regions", s("/admin/regions"), Roles(ADMIN)),
        page("POST", "/admin/regions/{code}/population", s("/admin/regions/630104/population"), Roles(ADMIN))
            .form(&[("population", "-1"), ("year", "2026")]),
        page("GET", "/admin/holidays", s("/admin/holidays"), Roles(ADMIN)),
        page("POST", "/admin/holidays", s("/admin/holidays"), Roles(ADMIN))
            .form(&[("year", "2031"), ("source", ""), ("csv", "")]),
        page("GET", "/admin/rules", s("/admin/rules"), Roles(ADMIN)),
        page("GET", "/admin/rules/{domain}/{kind}", s("/admin/rules/food/supervision"), Roles(ADMIN)),
        page("POST", "/admin/rules/{domain}/{kind}", s("/admin/rules/food/supervision"), Roles(ADMIN))
            .form(&[("version", "999")]),
        page("GET", "/admin/test-items", s("/admin/test-items"), Roles(ADMIN)),
        page("POST", "/admin/test-items", s("/admin/test-items"), Roles(ADMIN)).form(&[]),
        page("GET", "/admin/test-items/{id}", format!("/admin/test-items/{}", f.item), Roles(ADMIN)),
        page("POST", "/admin/test-items/{id}", format!("/admin/test-items/{}", f.item), Roles(ADMIN))
            .form(&[("version", "999")]),
        page("GET", "/admin/audit", s("/admin/audit"), Roles(ADMIN)),
        page("GET", "/admin/lab", s("/admin/lab"), Roles(ADMIN)),
        page("POST", "/admin/lab", s("/admin/lab"), Roles(ADMIN)).form(&[("version", "999")]),
        page("GET", "/admin/lab/preview.pdf", s("/admin/lab/preview.pdf"), Roles(ADMIN)),
        page("GET", "/admin/lab/images/{sha256}", s("/admin/lab/images/00"), Roles(ADMIN)),
        // ------------------------------------------------------------ pages: intake
        page("GET", "/plans", s("/plans"), Users).scoped(),
        page("POST", "/plans", s("/plans"), Roles(SUPERVISION)).form(&[]),
        page("GET", "/plans/{id}", format!("/plans/{}", f.plan), Users).hidden(),
        page("POST", "/plans/{id}", format!("/plans/{}", f.plan), Roles(SUPERVISION))
            .form(&stale_plan)
            .region_refused(),
        page("GET", "/entities", s("/entities"), Users).scoped(),
        page("POST", "/entities", s("/entities"), Roles(&[Sampler, Supervisor, Admin])).form(&[]),
        page("GET", "/entities/{id}", format!("/entities/{}", f.entity), Users).hidden(),
        page("POST", "/entities/{id}", format!("/entities/{}", f.entity), Roles(&[Sampler, Supervisor, Admin]))
            .form(&stale_entity)
            .region_refused(),
        page("GET", "/samples", s("/samples"), Users).scoped(),
        page("GET", "/samples/new", s("/samples/new"), Roles(&[Sampler])),
        page("POST", "/samples/new", s("/samples/new"), Roles(&[Sampler])).form(&[]),
        page("GET", "/samples/{no}", format!("/samples/{reg}"), Users).hidden(),
        page("GET", "/samples/{no}/edit", format!("/samples/{reg}/edit"), Roles(&[Sampler])).hidden(),
        page("POST", "/samples/{no}/edit", format!("/samples/{reg}/edit"), Roles(&[Sampler]))
            .form(&stale_sample_form)
            .hidden(),
        page("GET", "/s/{no}", format!("/s/{reg}"), Users),
        page("GET", "/receipts", s("/receipts"), Roles(&[Custodian])).scoped(),
        page("POST", "/receipts", s("/receipts"), Roles(&[Custodian]))
            .form(&[("scan", rep), ("seal_intact", "on"), ("condition_ok", "on")])
            .hidden(),
        page("POST", "/labels/batch", s("/labels/batch"), Users).form(&[("sample_nos", reg)]).hidden(),
        // ------------------------------------------------------------ pages: lab
        page("GET", "/worklist", s("/worklist"), Roles(&[Technician])).scoped(),
        page("POST", "/worklist", s("/worklist"), Roles(&[Technician])).form(&[]),
        page("GET", "/review", s("/review"), Roles(&[Reviewer])).scoped(),
        page("POST", "/review/{id}", format!("/review/{}", f.open_test), Roles(&[Reviewer]))
            .form(&[("decision", "maybe")])
            .hidden(),
        page("GET", "/assign", s("/assign"), Roles(&[Custodian, Reviewer, Admin])).scoped(),
        page("POST", "/assign", s("/assign"), Roles(&[Custodian, Reviewer, Admin])).form(&[("sample_no", rep)]),
        page("GET", "/approvals", s("/approvals"), Roles(&[Signatory])).scoped(),
        page("POST", "/approvals/{no}", format!("/approvals/{tst}"), Roles(&[Signatory])).form(&[]).hidden(),
        page("GET", "/samples/{no}/report-draft.pdf", format!("/samples/{tst}/report-draft.pdf"), Roles(&[Signatory, Reviewer, Technician])).hidden(),
        page("GET", "/samples/{no}/timeline", format!("/samples/{rep}/timeline"), Users).hidden(),
        // ------------------------------------------------------------ pages: retention
        page("GET", "/retention", s("/retention"), Roles(&[Custodian])).scoped(),
        page("POST", "/retention", s("/retention"), Roles(&[Custodian])).form(&[("sample_no", rep), ("place", "")]),
        page("POST", "/retention/{no}/discard", format!("/retention/{rep}/discard"), Roles(&[Custodian]))
            .form(&[("reason", "过期")])
            .hidden(),
        // ------------------------------------------------------------ pages: reports
        page("GET", "/reports", s("/reports"), Users).scoped(),
        page("POST", "/reports/batch", s("/reports/batch"), Users).form(&[]),
        page("GET", "/reports/batches/{id}", format!("/reports/batches/{}", f.batch), Users).owner_and_admins(),
        page("GET", "/reports/batches/{id}/download", format!("/reports/batches/{}/download", f.batch), Users).owner_and_admins(),
        page("GET", "/reports/{no}", format!("/reports/{rno}"), Users).hidden(),
        page("GET", "/reports/{no}/pdf", format!("/reports/{rno}/pdf"), Users).hidden(),
        page("GET", "/reports/{no}/notice.pdf", format!("/reports/{rno}/notice.pdf"), Users).hidden(),
        page("POST", "/reports/{no}/revoke", format!("/reports/{rno}/revoke"), Roles(&[Signatory]))
            .form(&[("reason", "")])
            .hidden(),
        page("POST", "/reports/{no}/publish", format!("/reports/{rno}/publish"), Roles(&[Supervisor]))
            .form(&[("published", "false")])
            .hidden(),
        page("GET", "/verify/{no}", format!("/verify/{rno}?k={k}"), Public),
        page("GET", "/verify/{no}/pdf", format!("/verify/{rno}/pdf?k={k}"), Public),
        page("GET", "/public/results", s("/public/results"), Public),
        // ------------------------------------------------------------ pages: disposal
        page("GET", "/disposals", s("/disposals"), Roles(SUPERVISION)).scoped(),
        page("GET", "/disposals/reminders", s("/disposals/reminders"), Roles(SUPERVISION)).scoped(),
        page("GET", "/disposals/{id}", format!("/disposals/{case}"), Roles(SUPERVISION)).hidden(),
        page("POST", "/disposals/{id}/events", format!("/disposals/{case}/events"), Roles(&[Supervisor]))
            .form(&[("kind", "tea_break"), ("at", "2026-03-02T10:00")])
            .hidden(),
        page("POST", "/disposals/{id}/extension", format!("/disposals/{case}/extension"), Roles(&[Supervisor]))
            .form(&[("until", "2026-01-01"), ("reason", "")])
            .hidden(),
        page("POST", "/disposals/{id}/reopen", format!("/disposals/{case}/reopen"), Roles(&[Supervisor]))
            .form(&[("reason", "")])
            .hidden(),
        page("POST", "/disposals/{id}/publish", format!("/disposals/{case}/publish"), Roles(&[Supervisor]))
            .form(&[])
            .hidden(),
        page("POST", "/disposals/{id}/unpublish", format!("/disposals/{case}/unpublish"), Roles(&[Supervisor]))
            .form(&[])
            .hidden(),
        page("GET", "/disposals/{id}/attachments/{attachment_id}", format!("/disposals/{case}/attachments/{att}"),
            Roles(SUPERVISION))
            .hidden(),
        // ------------------------------------------------------------ pages: public participation
        page("GET", "/public", s("/public"), Public),
        page("GET", "/public/verify", format!("/public/verify?no={rno}&k={k}"), Public),
        page("GET", "/public/nominate", s("/public/nominate"), Public),
        page("POST", "/public/nominate", s("/public/nominate"), Public).form(&[]),
        page("GET", "/public/nominations", s("/public/nominations"), Public),
        page("GET", "/public/track", format!("/public/track?code={}", f.tracking), Public),
        page("GET", "/public/nominations/{code}", format!("/public/nominations/{}", f.tracking), Public),
        page("POST", "/public/nominations/{code}/support", format!("/public/nominations/{}/support", f.tracking), Public)
            .form(&[]),
        page("GET", "/nominations", s("/nominations"), Roles(SUPERVISION)).scoped(),
        page("POST", "/nominations/spam", s("/nominations/spam"), Roles(&[Supervisor])).form(&[]),
        page("POST", "/nominations/{id}/{action}", format!("/nominations/{}/accept", f.nomination), Roles(&[Supervisor]))
            .form(&[])
            .hidden(),
        // ------------------------------------------------------------ pages: screenings, statistics
        page("GET", "/screenings", s("/screenings"), Roles(&[Custodian, Technician, Supervisor])).scoped(),
        page("POST", "/screenings", s("/screenings"), Roles(&[Custodian])).form(&[("region_code", "630104")]),
        page("GET", "/screenings/{no}", format!("/screenings/{}", f.screening), Roles(&[Custodian, Technician, Supervisor]))
            .hidden(),
        page("POST", "/screenings/{no}/results", format!("/screenings/{}/results", f.screening), Roles(&[Custodian, Technician]))
            .form(&[])
            .hidden(),
        page("GET", "/screenings/{no}/slip.pdf", format!("/screenings/{}/slip.pdf", f.screening),
            Roles(&[Custodian, Technician, Supervisor]))
            .hidden(),
        page("GET", "/stats", s("/stats"), Roles(SUPERVISION)).scoped(),
    ]
}

fn sample_body_for(f: &Fx) -> Value {
    f.sample_body.clone()
}

/// A caller of the matrix: its session cookie and bearer token.
struct Caller {
    id: Id,
    /// The signed session cookie value of a session started for it.
    session: Option<String>,
    token: Option<String>,
    /// The signed CSRF cookie value and its token.
    csrf_cookie: String,
    csrf: String,
}

fn user_id(app: &TestApp, username: &str) -> i64 {
    use diesel::prelude::*;
    use lims::db::schema::users;
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(&mut *app.db.conn())
        .expect("user id")
}

fn ok(st: u16, v: &Value, what: &str) {
    assert!((200..300).contains(&st), "{what}: {st} {v}");
}

/// The users and the fixtures, through the real API.
fn setup(app: &TestApp) -> (Fx, Vec<Caller>) {
    let lab = lab_users(app);
    app.user("root", &["admin"]);
    let admin = app.token("root");
    make_user(
        &app.db,
        &app.clock,
        "haixi",
        &[
            "sampler",
            "custodian",
            "technician",
            "reviewer",
            "signatory",
            "supervisor",
            "admin",
        ],
        Some("632800"),
    );
    let mut f = Fx {
        plan: lab.intake.plan_id,
        entity: lab.intake.entity_id,
        admin_id: user_id(app, "root"),
        sample_body: sample_body(&lab.intake),
        ..Fx::default()
    };
    f.registered = sample_no(&register(app, &lab.intake));
    let (reported, report, _) = issue(app, &lab, 1, true);
    f.reported = reported;
    f.report = report["report_no"].as_str().expect("report_no").to_string();
    let url = url::Url::parse(report["verify_url"].as_str().expect("verify_url")).expect("url");
    f.verify_k = url
        .query_pairs()
        .find(|(k, _)| k == "k")
        .map(|(_, v)| v.to_string())
        .expect("k");
    let (st, tests) = app.get(&format!("/api/v1/samples/{}/tests", f.reported), &lab.tech);
    ok(st, &tests, "tests of the reported sample");
    f.done_test = tests[0]["id"].as_i64().expect("test id");
    f.item = tests[0]["test_item_id"].as_i64().expect("item id");
    let (testing, open) = received_with_tests(app, &lab, &[f.item]);
    f.testing = testing;
    f.open_test = open[0]["id"].as_i64().expect("test id");
    // The case the report opened, one recorded step and its attachment.
    let sup = &lab.intake.supervisor;
    let (st, cases) = app.get("/api/v1/disposals", sup);
    ok(st, &cases, "cases");
    f.case = cases["items"][0]["id"].as_i64().expect("case id");
    app.clock.advance(chrono::Duration::days(1));
    let mut case = Value::Null;
    for (kind, at) in [
        ("authority_reported", "2026-03-02T16:00:00+08:00"),
        ("entity_notified", "2026-03-03T09:00:00+08:00"),
    ] {
        let (st, c) = app.send(
            "POST",
            &format!("/api/v1/disposals/{}/events", f.case),
            Some(sup),
            json!({"kind": kind, "at": at}),
        );
        ok(st, &c, kind);
        case = c;
    }
    f.event = case["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["kind"] == "entity_notified")
        .and_then(|s| s["event_id"].as_i64())
        .expect("event id");
    let (st, a) = app.send_bytes(
        &format!(
            "/api/v1/disposals/{}/events/{}/attachments?file_name=a.pdf",
            f.case, f.event
        ),
        sup,
        "application/pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec(),
    );
    ok(st, &a, "attachment");
    f.attachment = a["id"].as_i64().expect("attachment id");
    // A nomination, a screening, a report batch, a retention place.
    let (st, n) = app.send(
        "POST",
        "/api/v1/public/nominations",
        None,
        json!({"product": "散装白酒", "place": "城西区某农贸市场", "reason": "担心甲醇超标", "region_code": "630104"}),
    );
    ok(st, &n, "nomination");
    f.tracking = n["tracking_code"].as_str().expect("code").to_string();
    let (st, list) = app.get("/api/v1/nominations", sup);
    ok(st, &list, "nominations");
    let items = list
        .get("items")
        .and_then(Value::as_array)
        .or_else(|| list.as_array())
        .expect("nomination list");
    f.nomination = items[0]["id"].as_i64().expect("nomination id");
    let (st, sc) = app.send(
        "POST",
        "/api/v1/screenings",
        Some(&lab.custodian),
        json!({"item_name": "散装白酒", "item_source": "城西区某农贸市场", "region_code": "630104"}),
    );
    ok(st, &sc, "screening");
    f.screening = sc["screening_no"]
        .as_str()
        .expect("screening_no")
        .to_string();
    let (st, b) = app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(&lab.signatory),
        json!({"report_nos": [f.report], "format": "zip"}),
    );
    ok(st, &b, "batch");
    f.batch = b["id"].as_i64().expect("batch id");
    let (st, r) = app.send(
        "PUT",
        &format!("/api/v1/samples/{}/retention", f.reported),
        Some(&lab.custodian),
        json!({"place": "留样室 A-1"}),
    );
    ok(st, &r, "retention");

    let signer = Signer::new(SECRET);
    let names = [
        (Anon, None, None),
        (Sampler, Some("wangfang"), Some(lab.intake.token.clone())),
        (Custodian, Some("keeper"), Some(lab.custodian.clone())),
        (Technician, Some("tech1"), Some(lab.tech.clone())),
        (Reviewer, Some("checker"), Some(lab.reviewer.clone())),
        (Signatory, Some("boss"), Some(lab.signatory.clone())),
        (Supervisor, Some("sup"), Some(sup.clone())),
        (Admin, Some("root"), Some(admin)),
        (Other, Some("haixi"), Some(app.token("haixi"))),
    ];
    let callers = names
        .into_iter()
        .map(|(id, name, token)| {
            let csrf_cookie = signer.new_csrf();
            let csrf = signer
                .check_csrf(&csrf_cookie)
                .expect("own csrf")
                .to_string();
            let session = name.map(|n| {
                // The session a form login would start (its password check is the
                // web layer's, tested in tests/security.rs and tests/accounts.rs).
                let id: i64 = {
                    use diesel::prelude::*;
                    use lims::db::schema::users;
                    users::table
                        .filter(users::username.eq(n))
                        .select(users::id)
                        .first(&mut *app.db.conn())
                        .expect("the user")
                };
                let row = lims::workflow::accounts::active_user(&mut app.db.conn(), id)
                    .expect("read")
                    .expect("active");
                let (secret, _) = lims::workflow::accounts::login_session(
                    &mut app.db.conn(),
                    app.clock.now_naive(),
                    row,
                    None,
                )
                .expect("a session");
                signer.session_value(&secret)
            });
            Caller {
                id,
                session,
                token,
                csrf_cookie,
                csrf,
            }
        })
        .collect();
    (f, callers)
}

/// One request of the matrix: status, `Location` and the start of the body.
fn call(
    app: &TestApp,
    client: &reqwest::blocking::Client,
    row: &Row,
    c: &Caller,
) -> (u16, String, String) {
    let method = reqwest::Method::from_bytes(row.method.as_bytes()).expect("method");
    let mut rb = client.request(method, app.url(&row.full_path()));
    match row.kind {
        Kind::Api => {
            if let Some(t) = &c.token {
                rb = rb.bearer_auth(t);
            }
        }
        Kind::Page => {
            let mut cookie = format!("{CSRF_COOKIE}={}", c.csrf_cookie);
            if let Some(session) = &c.session {
                cookie.push_str(&format!("; {SESSION_COOKIE}={session}"));
            }
            rb = rb.header("cookie", cookie);
        }
    }
    rb = match &row.body {
        Body::None => rb,
        Body::Json(v) => rb.json(v),
        Body::Bytes(ct, b) => rb.header("content-type", *ct).body(b.clone()),
        Body::Form(fields) => {
            let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            all.push(("csrf", c.csrf.as_str()));
            rb.form(&all)
        }
    };
    let r = rb.send().expect("send");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = String::from_utf8_lossy(&r.bytes().unwrap_or_default()).to_string();
    (status, location, body)
}

/// Whether an answer is what the cell expects; the reason when not.
fn judge(row: &Row, c: &Caller, exp: Exp, status: u16, location: &str) -> Result<(), String> {
    // The refusal of a page to a caller without a session (logging out also sends
    // one to `/login`, but without `next`).
    let to_login = (300..400).contains(&status) && location.starts_with("/login?next=");
    let good = match exp {
        Exp::Allow => status < 500 && status != 401 && status != 403 && !to_login,
        Exp::Hidden => status == 404,
        Exp::Refuse => match (row.kind, c.id) {
            (Kind::Api, Anon) => status == 401,
            (Kind::Page, Anon) => status == 303 && location.starts_with("/login?next="),
            _ => status == 403,
        },
    };
    if good {
        Ok(())
    } else {
        Err(format!("expected {exp:?}, got {status} {location}"))
    }
}

fn every_route_is_allowed_or_refused_for_every_role_as_the_matrix_says(b: Backend) {
    let app = TestApp::spawn(b);
    let (f, callers) = setup(&app);
    let mut table = rows(&f);
    assert_eq!(
        route_gaps(&table),
        (Vec::new(), Vec::new()),
        "(registered routes without a row, rows without a route)"
    );
    // Logging out ends the tokens and sessions the other rows use, and logging in with
    // the form ends the session the browser had: last.
    table.sort_by_key(|r| {
        r.method == "POST" && matches!(r.route, "/auth/logout" | "/login" | "/logout")
    });
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in &table {
        // A fresh minute for the per-address limits of the public endpoints.
        app.clock.advance(chrono::Duration::seconds(61));
        for c in &callers {
            let exp = row.expect(c.id);
            let (status, location, body) = call(&app, &client, row, c);
            cells += 1;
            if std::env::var("AUTHZ_DUMP").is_ok() && exp == Exp::Allow {
                eprintln!(
                    "ALLOW {} {} {:?} {status}",
                    row.method,
                    row.full_path(),
                    c.id
                );
            }
            let mut verdict = judge(row, c, exp, status, &location);
            if verdict.is_ok() && row.scoped && c.id == Other && status == 200 {
                if let Some(m) = f.markers().iter().find(|m| body.contains(m.as_str())) {
                    verdict = Err(format!("shows {m} of another prefecture"));
                }
            }
            if let Err(why) = verdict {
                failures.push(format!(
                    "{} {} as {:?}: {why}\n    {}",
                    row.method,
                    row.full_path(),
                    c.id,
                    body.chars()
                        .take(300)
                        .collect::<String>()
                        .replace('\n', " ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ from the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn every_registered_route_has_a_row_in_the_authorisation_matrix(_b: Backend) {
    let table = rows(&Fx::default());
    let (missing, stale) = route_gaps(&table);
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without a row in tests/authz.rs: {missing:?}; rows of no route: {stale:?}"
    );
    let mut seen = BTreeSet::new();
    for r in &table {
        assert!(
            seen.insert((r.method, r.full_route())),
            "two rows for {} {}",
            r.method,
            r.full_route()
        );
    }
}

/// Registered routes that have no row, and rows that name no registered route.
fn route_gaps(table: &[Row]) -> (Vec<String>, Vec<String>) {
    let registered = registered_routes();
    let rows: BTreeSet<String> = table
        .iter()
        .map(|r| format!("{} {}", r.method, r.full_route()))
        .collect();
    (
        registered.difference(&rows).cloned().collect(),
        rows.difference(&registered).cloned().collect(),
    )
}

fn read_web(file: &str) -> String {
    let path = format!("{}/src/web/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The source of web module `name`: `src/web/name.rs`, or `src/web/name/mod.rs` for a
/// module split into a folder (its route table stays in `mod.rs`).
fn web_module(name: &str) -> String {
    let dir = format!("{}/src/web", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&format!("{dir}/{name}")).is_dir() {
        read_web(&format!("{name}/mod.rs"))
    } else {
        read_web(&format!("{name}.rs"))
    }
}

/// The body of `fn name(cfg: &mut web::ServiceConfig)` in `src`: from its signature to
/// the first line that is a closing brace at the start of a line.
fn fn_body<'a>(src: &'a str, file: &str, name: &str) -> &'a str {
    let sig = format!("fn {name}(cfg: &mut web::ServiceConfig)");
    let start = src
        .find(&sig)
        .unwrap_or_else(|| panic!("src/web/{file}: no `{sig}`"));
    let rest = &src[start..];
    let end = rest
        .find("\n}\n")
        .unwrap_or_else(|| panic!("src/web/{file}: `{name}` has no end"));
    &rest[..end]
}

/// `(method, path)` of each `.route("path", web::method()…)` in `body`.
fn routes_in(body: &str, what: &str) -> Vec<(String, String)> {
    for unknown in ["web::resource(", ".service(", "web::scope(", ".configure("] {
        assert!(
            !body.contains(unknown),
            "{what} registers routes with `{unknown}`: teach tests/authz.rs to read it"
        );
    }
    let mut found = Vec::new();
    for (i, _) in body.match_indices(".route(") {
        let rest = body[i + ".route(".len()..].trim_start();
        let rest = rest
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("{what}: a route whose path is not a literal"));
        let (path, rest) = rest.split_once('"').expect("closing quote");
        let rest = rest
            .trim_start()
            .strip_prefix(',')
            .expect("a comma")
            .trim_start();
        let rest = rest
            .strip_prefix("web::")
            .unwrap_or_else(|| panic!("{what}: {path} is not routed with web::<method>()"));
        let method = rest.split('(').next().expect("method").to_ascii_uppercase();
        found.push((method, path.to_string()));
    }
    found
}

/// Every route `web::configure` mounts, as "METHOD /path", read from the source.
fn registered_routes() -> BTreeSet<String> {
    let module = read_web("mod.rs");
    let top = fn_body(&module, "mod.rs", "configure");
    let (scope_start, scope_end) = (
        top.find("web::scope(\"/api/v1\")")
            .expect("the /api/v1 scope"),
        top.find(".default_service(")
            .expect("the scope's default service"),
    );
    let scope = &top[scope_start..scope_end];
    let outside = format!("{}{}", &top[..scope_start], &top[scope_end..]);
    let mounted = |text: &str| -> Vec<String> {
        text.match_indices(".configure(")
            .map(|(i, _)| {
                text[i + ".configure(".len()..]
                    .split(')')
                    .next()
                    .expect("configure target")
                    .trim()
                    .to_string()
            })
            .collect()
    };
    let mut all = BTreeSet::new();
    let mut tables = Vec::new();
    for (prefix, targets) in [("/api/v1", mounted(scope)), ("", mounted(&outside))] {
        for target in targets {
            let (file, func) = target
                .split_once("::")
                .unwrap_or_else(|| panic!("configure target {target} is not module::function"));
            tables.push(format!("{file}::{func}"));
            let src = web_module(file);
            for (method, path) in routes_in(fn_body(&src, file, func), &target) {
                all.insert(format!("{method} {prefix}{path}"));
            }
        }
    }
    // The routes `web::configure` itself adds, outside the scope.
    let own: String = outside
        .split(".configure(")
        .next()
        .expect("start of configure")
        .to_string();
    for (method, path) in routes_in(&own.replace(".service(", ".x("), "web::configure") {
        all.insert(format!("{method} {path}"));
    }
    // Every route table in src/web is mounted by web::configure.
    let dir = format!("{}/src/web", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(&dir).expect("src/web") {
        let path = entry.expect("entry").path();
        let file = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .to_string();
        if file == "mod" {
            continue;
        }
        let src = web_module(&file);
        for (i, _) in src.match_indices("(cfg: &mut web::ServiceConfig)") {
            let name = src[..i].rsplit("fn ").next().expect("fn name").trim();
            assert!(
                tables.contains(&format!("{file}::{name}")),
                "src/web/{file}.rs: route table {name} is not mounted by web::configure"
            );
        }
    }
    all
}
