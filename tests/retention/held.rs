//! A backup portion that a disposal case still needs is never discarded.

use serde_json::{json, Value};

use super::{concluded, discard, lab, move_to, nos, put_place, Lab};
use crate::support::fixtures::sample_body;
use crate::support::{Backend, TestApp};

/// The id of the disposal case of sample `no`.
fn case_of(app: &TestApp, sup: &str, no: &str) -> i64 {
    let (s, list) = app.get("/api/v1/disposals", sup);
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sample_no"] == no)
        .unwrap_or_else(|| panic!("no case for {no}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

/// Records disposal steps `(kind, local time)` on case `id`.
fn steps(app: &TestApp, sup: &str, id: i64, list: &[(&str, &str)]) {
    for (kind, when) in list {
        let body = if *kind == "recheck_result" {
            json!({"kind": kind, "at": format!("{when}+08:00"), "upheld": true})
        } else if *kind == "recheck_accepted" {
            json!({"kind": kind, "at": format!("{when}+08:00"), "accepted": true})
        } else {
            json!({"kind": kind, "at": format!("{when}+08:00")})
        };
        let (s, d) = app.send(
            "POST",
            &format!("/api/v1/disposals/{id}/events"),
            Some(sup),
            body,
        );
        assert_eq!(s, 200, "{kind}: {d}");
    }
}

pub(super) fn evidence_of_an_open_disposal_case_or_a_pending_re_examination_is_never_discarded(
    b: Backend,
) {
    let app = TestApp::spawn(b);
    let mut lab = lab(&app);
    app.user("watcher", &["supervisor"]);
    // Three non-compliant samples (kept until 2026-09-02, each with a case opened at
    // approval on 2026-03-02) and a compliant one (kept until 2026-06-02).
    let open = concluded(&app, &lab, sample_body(&lab.intake), false);
    let rechecked = concluded(&app, &lab, sample_body(&lab.intake), false);
    let done = concluded(&app, &lab, sample_body(&lab.intake), false);
    let ok = concluded(&app, &lab, sample_body(&lab.intake), true);
    for (no, place) in [
        (&open, "R-1"),
        (&rechecked, "R-2"),
        (&done, "R-3"),
        (&ok, "R-4"),
    ] {
        let (s, r) = put_place(&app, &lab.custodian, no, place);
        assert_eq!(s, 200, "{r}");
    }
    move_to(&app, &mut lab, "2026-03-20");
    let sup = app.token("watcher");
    let (open_case, rechecked_case, done_case) = (
        case_of(&app, &sup, &open),
        case_of(&app, &sup, &rechecked),
        case_of(&app, &sup, &done),
    );
    let served = [
        ("authority_reported", "2026-03-02T16:00:00"),
        ("entity_notified", "2026-03-03T09:00:00"),
    ];
    let to_close = [
        ("risk_controlled", "2026-03-04T10:00:00"),
        ("penalty_decided", "2026-03-10T10:00:00"),
        ("rectified", "2026-03-12T10:00:00"),
        ("closed", "2026-03-13T10:00:00"),
    ];
    steps(&app, &sup, open_case, &served);
    steps(&app, &sup, done_case, &served);
    steps(&app, &sup, done_case, &to_close);
    // The entity asked for a re-examination and it was accepted: the backup portion is
    // what it will test.
    steps(&app, &sup, rechecked_case, &served);
    steps(
        &app,
        &sup,
        rechecked_case,
        &[
            ("recheck_requested", "2026-03-05T09:00:00"),
            ("recheck_accepted", "2026-03-06T09:00:00"),
        ],
    );
    // 2026-09-03: every keep-until date has passed.
    move_to(&app, &mut lab, "2026-09-03");
    let sup = app.token("watcher");
    let listed = |app: &TestApp, lab: &Lab| {
        let (s, list) = app.get("/api/v1/retention/discardable", &lab.custodian);
        assert_eq!(s, 200, "{list}");
        nos(&list)
    };
    assert_eq!(
        listed(&app, &lab),
        vec![ok.clone(), done.clone()],
        "only samples whose evidence nobody needs may be discarded"
    );
    let before = app.audit_count();
    for (no, case) in [(&open, open_case), (&rechecked, rechecked_case)] {
        let (s, e) = discard(&app, &lab.custodian, no, json!({"reason": "期满"}));
        assert_eq!(s, 409, "{no}: {e}");
        assert_eq!(e["error"]["code"], "conflict");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&format!("#{case}")), "names the case: {msg}");
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/samples/{open}/retention/discard")))
        .bearer_auth(&lab.custodian)
        .header("Accept-Language", "en")
        .json(&json!({"reason": "expired"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().unwrap();
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("disposal case #{open_case}")) && msg.contains("open"),
        "{msg}"
    );
    assert_eq!(app.audit_count(), before, "refusals write nothing");
    // Even a case marked closed around the rules holds the portion while its
    // re-examination is pending.
    {
        use diesel::prelude::*;
        use lims::db::schema::disposal_cases;
        diesel::update(disposal_cases::table.find(rechecked_case))
            .set(disposal_cases::status.eq("closed"))
            .execute(&mut *app.db.conn())
            .unwrap();
    }
    let (s, e) = discard(&app, &lab.custodian, &rechecked, json!({"reason": "期满"}));
    assert_eq!(s, 409, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("#{rechecked_case}")) && msg.contains("复检"),
        "{msg}"
    );
    assert!(!listed(&app, &lab).contains(&rechecked));
    {
        use diesel::prelude::*;
        use lims::db::schema::disposal_cases;
        diesel::update(disposal_cases::table.find(rechecked_case))
            .set(disposal_cases::status.eq("open"))
            .execute(&mut *app.db.conn())
            .unwrap();
    }
    // The re-examination upholds the result; the case is then closed.
    steps(
        &app,
        &sup,
        rechecked_case,
        &[("recheck_result", "2026-03-20T09:00:00")],
    );
    let (s, _) = discard(&app, &lab.custodian, &rechecked, json!({"reason": "期满"}));
    assert_eq!(s, 409, "the case is still open");
    steps(&app, &sup, rechecked_case, &to_close[..3]);
    steps(
        &app,
        &sup,
        rechecked_case,
        &[("closed", "2026-09-02T10:00:00")],
    );
    steps(&app, &sup, open_case, &to_close);
    // Every case has let its portion go: soonest keep-until first (the compliant one),
    // then the three non-compliant ones, which share a date, by sample number.
    assert_eq!(
        listed(&app, &lab),
        vec![ok.clone(), open.clone(), rechecked.clone(), done.clone()]
    );
    for no in [&open, &rechecked, &done, &ok] {
        let (s, r) = discard(&app, &lab.custodian, no, json!({"reason": "期满"}));
        assert_eq!(s, 200, "{no}: {r}");
    }
    assert!(listed(&app, &lab).is_empty());
}
