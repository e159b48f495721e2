//! Per-user quotas: evidence bytes per day, open report batches, and the expiry of
//! finished batches, so that nothing the server stores grows without bound from one
//! account (SECURITY.md, "Quotas").

use serde_json::{json, Value};

use crate::support::fixtures::{issue, lab_users};
use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    evidence_past_the_daily_upload_quota_is_refused_until_the_next_day,
    a_user_with_the_most_open_batches_waits_for_one_to_finish,
    finished_batches_are_deleted_after_the_days_they_are_kept,
];

/// A minimal PDF: enough for the type check, which reads the first bytes.
fn tiny_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

/// The message of an error answer in `lang` (`zh` or `en`).
fn message_in(app: &TestApp, lang: &str, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", "application/pdf")
        .header("Accept-Language", lang)
        .body(body)
        .send()
        .expect("send");
    let st = r.status().as_u16();
    (st, r.json().unwrap_or(Value::Null))
}

fn evidence_past_the_daily_upload_quota_is_refused_until_the_next_day(b: Backend) {
    let per_file = tiny_pdf().len() as u64;
    let app = TestApp::spawn_configured(b, |c| c.quotas.upload_bytes_per_day = 2 * per_file + 10);
    let lab = lab_users(&app);
    let sup = app.user_token("watcher", &["supervisor"]);
    let other = app.user_token("watcher2", &["supervisor"]);
    let (no, _, _) = issue(&app, &lab, 1, true);
    app.clock.advance(chrono::Duration::days(1));
    let (st, list) = app.get("/api/v1/disposals?per_page=100", &sup);
    assert_eq!(st, 200, "{list}");
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sample_no"] == no.as_str())
        .expect("a case")["id"]
        .as_i64()
        .unwrap();
    let (st, case) = app.send(
        "POST",
        &format!("/api/v1/disposals/{id}/events"),
        Some(&sup),
        json!({"kind": "authority_reported", "at": "2026-03-02T16:00:00+08:00"}),
    );
    assert_eq!(st, 200, "{case}");
    let event_id = case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "authority_reported")
        .expect("the step")["event_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/disposals/{id}/events/{event_id}/attachments?file_name=a.pdf");
    for _ in 0..2 {
        let (st, a) = app.send_bytes(&path, &sup, "application/pdf", tiny_pdf());
        assert_eq!(st, 201, "{a}");
    }
    let before = app.audit_count();
    let (st, e) = message_in(&app, "en", &path, &sup, tiny_pdf());
    assert_eq!(st, 429, "{e}");
    let msg = e["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("upload_bytes_per_day") && msg.contains("per day"),
        "{e}"
    );
    let (st, e) = message_in(&app, "zh-CN", &path, &sup, tiny_pdf());
    assert_eq!(st, 429, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("每天"),
        "{e}"
    );
    assert_eq!(app.audit_count(), before, "a refused upload stores nothing");
    // The quota is each user's own.
    let (st, a) = app.send_bytes(&path, &other, "application/pdf", tiny_pdf());
    assert_eq!(st, 201, "{a}");
    // Local midnight (Beijing) starts a new day.
    app.clock.advance(chrono::Duration::days(1));
    let (st, a) = app.send_bytes(&path, &sup, "application/pdf", tiny_pdf());
    assert_eq!(st, 201, "{a}");
}

fn batch(app: &TestApp, token: &str, nos: &[String]) -> (u16, Value) {
    app.send(
        "POST",
        "/api/v1/reports/batch",
        Some(token),
        json!({"report_nos": nos, "format": "zip"}),
    )
}

fn a_user_with_the_most_open_batches_waits_for_one_to_finish(b: Backend) {
    let app = TestApp::spawn_configured(b, |c| c.quotas.open_batches_per_user = 2);
    let lab = lab_users(&app);
    let (_, r, _) = issue(&app, &lab, 1, false);
    let nos = vec![r["report_no"].as_str().unwrap().to_string()];
    // Two batches left queued (as a busy or stopped worker leaves them).
    for _ in 0..2 {
        let (st, b) = batch(&app, &lab.signatory, &nos);
        assert_eq!(st, 201, "{b}");
    }
    let mut conn = app.db.conn();
    {
        use diesel::prelude::*;
        use lims::db::schema::report_batches;
        diesel::update(report_batches::table)
            .set((
                report_batches::status.eq("queued"),
                report_batches::finished_at.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let (st, e) = batch(&app, &lab.signatory, &nos);
    assert_eq!(st, 429, "{e}");
    let msg = e["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("open_batches_per_user") && msg.contains("最多同时有 2 个"),
        "{e}"
    );
    let r = app
        .client
        .post(app.url("/api/v1/reports/batch"))
        .bearer_auth(&lab.signatory)
        .header("Accept-Language", "en")
        .json(&json!({"report_nos": nos, "format": "zip"}))
        .send()
        .expect("send");
    assert_eq!(r.status().as_u16(), 429);
    let e: Value = r.json().expect("json");
    let msg = e["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("open_batches_per_user") && msg.contains("At most 2"),
        "{e}"
    );
    // Someone else is not held up by them.
    let (st, b) = batch(&app, &lab.reviewer, &nos);
    assert_eq!(st, 201, "{b}");
}

fn finished_batches_are_deleted_after_the_days_they_are_kept(b: Backend) {
    let app = TestApp::spawn_configured(b, |c| c.quotas.batch_keep_days = 7);
    let lab = lab_users(&app);
    let (_, r, _) = issue(&app, &lab, 1, false);
    let nos = vec![r["report_no"].as_str().unwrap().to_string()];
    let (st, old) = batch(&app, &lab.signatory, &nos);
    assert_eq!(st, 201, "{old}");
    let old_url = old["download_url"].as_str().unwrap().to_string();
    app.clock.advance(chrono::Duration::days(7));
    // Seven days on, it is still there (kept for seven whole days).
    let (st, newer) = batch(&app, &lab.signatory, &nos);
    assert_eq!(st, 201, "{newer}");
    let (st, _, _) = app.bytes(&old_url, Some(&lab.signatory));
    assert_eq!(st, 200);
    // A moment later, creating any batch deletes it, with an audit row.
    app.clock.advance(chrono::Duration::minutes(1));
    let (st, _) = batch(&app, &lab.reviewer, &nos);
    assert_eq!(st, 201);
    let (st, _, _) = app.bytes(&old_url, Some(&lab.signatory));
    assert_eq!(st, 404);
    let (st, _, _) = app.bytes(
        newer["download_url"].as_str().unwrap(),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200);
    let rows = lims::workflow::audit::recent(&mut app.db.conn(), 20).unwrap();
    let expired = rows
        .iter()
        .find(|r| r.action == "report_batch.expire")
        .expect("the expiry is audited");
    assert!(
        expired
            .after_json
            .as_deref()
            .unwrap_or("")
            .contains(&old["id"].to_string()),
        "{expired:?}"
    );
    // At the server's start, expired batches go too.
    app.clock.advance(chrono::Duration::days(8));
    let n = lims::workflow::report_batch::expire(
        &mut app.db.conn(),
        lims::clock::Clock::now_naive(&app.clock),
        &lims::config::Quotas::default(),
    )
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        lims::workflow::audit::verify(&mut app.db.conn())
            .unwrap()
            .first_broken,
        None
    );
}
