//! Disposal cases walked to their ends over HTTP: the ten-case scenario whose rates are
//! counted by hand, and evidence filed with steps before the information is published.

use super::*;

/// The acceptance scenario of the disposal issue. Ten non-compliant samples, all opened
/// Monday 2026-03-02 (food supervision: serve within 5 working days → 03-09; complete
/// within 90 days → 05-31), walked to their ends; the figures are read on 2026-06-10.
///
/// | # | story | started | completed | on time |
/// |---|---|---|---|---|
/// | 1 | served on time, closed 03-27 | yes | yes | yes |
/// | 2 | served late (03-12), closed 04-22 | yes | yes | yes |
/// | 3 | re-examination upheld, closed late 06-05 | yes | yes | no |
/// | 4 | re-examination overturned | — left out of every rate — |||
/// | 5 | objection refused, closed 04-15 | yes | yes | yes |
/// | 6 | recall level 2 finished late (due 04-01, done 04-20), closed 04-30 | yes | yes | yes |
/// | 7 | extension to 07-15 approved, closed 06-08 | yes | yes | yes |
/// | 8 | closing refused until rectified, closed 05-29 | yes | yes | yes |
/// | 9 | never started, open past 90 days | no | no | no (deadline passed) |
/// | 10 | closed 04-01, reopened, closed again 05-20 | yes | yes | yes |
///
/// By hand: 9 cases need disposal (all but #4).
/// - disposal rate = started 8 (all but #9) ÷ 9 = 0.888…;
/// - completion rate = completed 8 (all but #9) ÷ 9 = 0.888…;
/// - on-time rate = on time 7 (all completed but #3) ÷ (8 closed + #9 past its
///   deadline) 9 = 0.777…;
/// - open 1 (#9), overdue 1 (#9), overturned 1 (#4).
pub(super) fn ten_cases_walked_to_their_ends_give_the_rates_computed_by_hand(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    app.user("watcher", &["supervisor"]);
    app.user("chief", &["supervisor"]);
    let mut nos = Vec::new();
    for _ in 0..10 {
        let (no, _, _) = issue(&app, &lab, 1, true);
        nos.push(no);
    }
    let sup = app.token("watcher");
    let ids: Vec<i64> = nos.iter().map(|n| case_of(&app, &sup, n)).collect();
    for id in &ids {
        let (_, d) = app.get(&format!("/api/v1/disposals/{id}"), &sup);
        assert_eq!(d["due_on"], "2026-05-31", "{d}");
    }
    // Phase 1: the clock at Thursday 2026-04-02.
    app.clock.advance(chrono::Duration::days(31));
    let sup = app.token("watcher");
    let chief = app.token("chief");
    let early = [
        step("authority_reported", "2026-03-02T16:00:00"),
        step("entity_notified", "2026-03-03T09:00:00"),
    ];
    // 1: served on time, every step, closed 03-27.
    let one = walk(
        &app,
        &sup,
        ids[0],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-04T10:00:00"),
            step("penalty_decided", "2026-03-20T10:00:00"),
            step("rectified", "2026-03-25T10:00:00"),
            step("closed", "2026-03-27T10:00:00"),
        ],
    );
    assert_eq!(one["status"], "closed");
    assert_eq!(one["outcome"], "completed");
    let served = step_line(&one, "entity_notified");
    assert_eq!(served["due_on"], "2026-03-09");
    assert_eq!(served["late"], false);
    // 2: served late (due 03-09, served 03-12): recorded, and shown as late.
    let two = walk(
        &app,
        &sup,
        ids[1],
        &[
            early[0].clone(),
            step("entity_notified", "2026-03-12T09:00:00"),
            step("risk_controlled", "2026-03-12T15:00:00"),
        ],
    );
    let served = step_line(&two, "entity_notified");
    assert_eq!(served["due_on"], "2026-03-09", "{served}");
    assert_eq!(served["late"], true, "{served}");
    // 3: re-examination asked in its window, accepted, upheld; risk control went on.
    walk(
        &app,
        &sup,
        ids[2],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-04T10:00:00"),
            step("recheck_requested", "2026-03-05T09:00:00"),
            json!({"kind": "recheck_accepted", "at": at("2026-03-06T09:00:00"), "accepted": true}),
            json!({"kind": "recheck_result", "at": at("2026-03-18T09:00:00"), "upheld": true}),
        ],
    );
    // 4: re-examination overturns the result: the case closes as overturned.
    let four = walk(
        &app,
        &sup,
        ids[3],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-04T10:00:00"),
            step("recheck_requested", "2026-03-05T09:00:00"),
            json!({"kind": "recheck_accepted", "at": at("2026-03-06T09:00:00"), "accepted": true}),
            json!({"kind": "recheck_result", "at": at("2026-03-18T09:00:00"), "upheld": false}),
        ],
    );
    assert_eq!(four["outcome"], "overturned", "{four}");
    // A re-examination asked after its window (7 working days from 03-03 → 03-12) is
    // refused with the deadline named.
    let (st, e) = event(&app, &sup, ids[4], early[0].clone());
    assert_eq!(st, 200, "{e}");
    let (st, e) = event(&app, &sup, ids[4], early[1].clone());
    assert_eq!(st, 200, "{e}");
    let (st, e) = event(
        &app,
        &sup,
        ids[4],
        step("recheck_requested", "2026-03-13T09:00:00"),
    );
    assert_eq!(st, 422, "{e}");
    assert!(
        e["error"]["fields"]["at"]
            .as_str()
            .unwrap_or("")
            .contains("2026-03-12"),
        "{e}"
    );
    // 5: objection filed in its window and refused (the result stands).
    walk(
        &app,
        &sup,
        ids[4],
        &[
            step("risk_controlled", "2026-03-05T10:00:00"),
            step("objection_filed", "2026-03-06T09:00:00"),
            json!({"kind": "objection_decided", "at": at("2026-03-10T09:00:00"), "upheld": true}),
            step("penalty_decided", "2026-04-01T10:00:00"),
        ],
    );
    // 6: a level 2 recall started in 48 hours of service; finishing it is due 20 working
    // days after its start (03-04 → 04-01).
    let six = walk(
        &app,
        &sup,
        ids[5],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-03T15:00:00"),
            json!({"kind": "recall_started", "at": at("2026-03-04T10:00:00"), "recall_level": 2}),
        ],
    );
    assert_eq!(
        step_line(&six, "recall_completed")["due_on"],
        "2026-04-01",
        "{six}"
    );
    // 7: investigation filed; the completion deadline extended to 07-15 by a second
    // supervisor.
    walk(
        &app,
        &sup,
        ids[6],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-05T10:00:00"),
            step("case_filed", "2026-03-10T10:00:00"),
        ],
    );
    let ext = format!("/api/v1/disposals/{}/extension", ids[6]);
    let body = json!({"until": "2026-07-15", "reason": "涉案产品跨省流通，需协查"});
    let (st, d) = app.send("POST", &ext, Some(&sup), body.clone());
    assert_eq!(st, 200, "{d}");
    let (st, d) = app.send("POST", &format!("{ext}/approve"), Some(&chief), body);
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["due_on"], "2026-07-15", "{d}");
    // 8 and 9: served; 8 is started, 9 never is.
    walk(
        &app,
        &sup,
        ids[7],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-04T10:00:00"),
        ],
    );
    walk(&app, &sup, ids[8], &[early[0].clone(), early[1].clone()]);
    // 10: closed 04-01, then reopened today with a reason.
    walk(
        &app,
        &sup,
        ids[9],
        &[
            early[0].clone(),
            early[1].clone(),
            step("risk_controlled", "2026-03-04T10:00:00"),
            step("penalty_decided", "2026-03-20T10:00:00"),
            step("rectified", "2026-03-25T10:00:00"),
            step("closed", "2026-04-01T10:00:00"),
        ],
    );
    let reopen = format!("/api/v1/disposals/{}/reopen", ids[9]);
    let (st, e) = app.send("POST", &reopen, Some(&sup), json!({}));
    assert_eq!(st, 422, "a reason is needed: {e}");
    let before = app.audit_count();
    let (st, d) = app.send(
        "POST",
        &reopen,
        Some(&sup),
        json!({"reason": "整改复查发现仍在销售"}),
    );
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["status"], "open");
    assert_eq!(app.audit_count(), before + 1);
    // Phase 2: the clock at Wednesday 2026-06-10, past every 90-day deadline.
    app.clock.advance(chrono::Duration::days(69));
    let sup = app.token("watcher");
    // 2 closes 04-22, in time.
    walk(
        &app,
        &sup,
        ids[1],
        &[
            step("penalty_decided", "2026-04-10T10:00:00"),
            step("rectified", "2026-04-20T10:00:00"),
            step("closed", "2026-04-22T10:00:00"),
        ],
    );
    // 3 closes late (06-05 > 05-31).
    walk(
        &app,
        &sup,
        ids[2],
        &[
            step("penalty_decided", "2026-04-01T10:00:00"),
            step("rectified", "2026-04-10T10:00:00"),
            step("closed", "2026-06-05T10:00:00"),
        ],
    );
    walk(
        &app,
        &sup,
        ids[4],
        &[
            step("rectified", "2026-04-10T10:00:00"),
            step("closed", "2026-04-15T10:00:00"),
        ],
    );
    // 6: the recall finished 04-20, after its 04-01 deadline.
    let six = walk(
        &app,
        &sup,
        ids[5],
        &[step("recall_completed", "2026-04-20T10:00:00")],
    );
    assert_eq!(step_line(&six, "recall_completed")["late"], true, "{six}");
    walk(
        &app,
        &sup,
        ids[5],
        &[
            step("penalty_decided", "2026-04-25T10:00:00"),
            step("rectified", "2026-04-28T10:00:00"),
            step("closed", "2026-04-30T10:00:00"),
        ],
    );
    walk(
        &app,
        &sup,
        ids[6],
        &[
            step("penalty_decided", "2026-06-01T10:00:00"),
            step("rectified", "2026-06-05T10:00:00"),
            step("closed", "2026-06-08T10:00:00"),
        ],
    );
    // 8: closing without rectification is refused (409), then done.
    let (st, e) = event(
        &app,
        &sup,
        ids[7],
        step("penalty_decided", "2026-05-20T10:00:00"),
    );
    assert_eq!(st, 200, "{e}");
    let (st, e) = event(&app, &sup, ids[7], step("closed", "2026-05-28T10:00:00"));
    assert_eq!(st, 409, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("rectified")
            || e.to_string().contains("整改"),
        "{e}"
    );
    walk(
        &app,
        &sup,
        ids[7],
        &[
            step("rectified", "2026-05-28T10:00:00"),
            step("closed", "2026-05-29T10:00:00"),
        ],
    );
    // 10 closes again, 05-20.
    walk(&app, &sup, ids[9], &[step("closed", "2026-05-20T10:00:00")]);
    // The figures, as computed by hand above.
    let (st, s) = app.get("/api/v1/stats/disposal?year=2026", &sup);
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["non_compliant"], 9, "{s}");
    assert_eq!(s["closed"], 8, "{s}");
    assert_eq!(s["closed_on_time"], 7);
    assert_eq!(s["overturned"], 1);
    assert_eq!(s["open"], 1);
    assert_eq!(s["overdue"], 1);
    assert_eq!(s["disposal_rate"].as_f64(), Some(8.0 / 9.0));
    assert_eq!(s["completion_rate"].as_f64(), Some(8.0 / 9.0));
    assert_eq!(s["on_time_rate"].as_f64(), Some(7.0 / 9.0));
    assert_eq!(s["definitions"]["on_time_rate"]["numerator"], 7);
    assert_eq!(s["definitions"]["on_time_rate"]["denominator"], 9);
    let listed = |key: &str| -> Vec<i64> {
        s[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(listed("not_started"), vec![ids[8]]);
    assert_eq!(listed("not_completed"), vec![ids[8]]);
    let mut late = listed("not_on_time");
    late.sort();
    assert_eq!(late, vec![ids[2], ids[8]]);
    // Rolled up: the county 630104 lies in 西宁市 (630100); the plan level is one row.
    assert_eq!(s["by_region"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["by_region"][0]["key"], "630100");
    assert_eq!(s["by_region"][0]["name"], "西宁市");
    assert_eq!(s["by_region"][0]["non_compliant"], 9);
    assert_eq!(s["by_region"][0]["on_time_rate"].as_f64(), Some(7.0 / 9.0));
    assert_eq!(s["by_level"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["by_level"][0]["non_compliant"], 9);
    // The same figures for the prefecture, by county; and for a period.
    let (_, p) = app.get("/api/v1/stats/disposal?region=630100", &sup);
    assert_eq!(p["by_region"][0]["key"], "630104", "{p}");
    assert_eq!(p["closed_on_time"], 7);
    let (_, p) = app.get("/api/v1/stats/disposal?from=2026-03-02&to=2026-03-02", &sup);
    assert_eq!(p["non_compliant"], 9, "{p}");
    let (_, p) = app.get("/api/v1/stats/disposal?from=2026-03-03&to=2026-12-31", &sup);
    assert_eq!(p["non_compliant"], 0, "{p}");
    // Bad filters are 422 naming the field.
    for (q, field) in [
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("level=planet", "level"),
        ("region=63", "region"),
        ("year=2026&from=2026-01-01", "year"),
        ("format=pdf", "format"),
    ] {
        let (st, e) = app.get(&format!("/api/v1/stats/disposal?{q}"), &sup);
        assert_eq!(st, 422, "{q}: {e}");
        assert!(e["error"]["fields"][field].is_string(), "{q}: {e}");
    }
    // The rates export as XLSX: the region sheet holds the same numbers.
    let (st, ct, xlsx) = app.bytes("/api/v1/stats/disposal?year=2026&format=xlsx", Some(&sup));
    assert_eq!(st, 200);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX workbook");
    assert_eq!(
        book.sheet_names(),
        vec!["by_region", "by_level", "lagging_cases", "definitions"]
    );
    let sheet = book.worksheet_range("by_region").expect("sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "key");
    assert_eq!(rows[1][0], "630100");
    assert_eq!(rows[1][1], "西宁市");
    assert_eq!(rows[1][2], "9");
    assert_eq!(rows[2][0], "all");
    let (st, ct, csv) = app.bytes("/api/v1/stats/disposal?year=2026&format=csv", Some(&sup));
    assert_eq!(st, 200);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(String::from_utf8(csv).unwrap().contains("西宁市"));
    let (st, _, cases) = app.bytes("/api/v1/disposals?format=xlsx", Some(&sup));
    assert_eq!(st, 200);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(cases)).expect("an XLSX workbook");
    let sheet = book.worksheet_range("disposals").expect("sheet");
    assert_eq!(sheet.rows().count(), 11, "a header and ten cases");
}

/// A minimal PDF: enough for the type check, which reads the first bytes.
fn tiny_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

pub(super) fn steps_carry_checked_attachments_and_the_disposal_information_is_published_with_the_result(
    b: Backend,
) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    app.user("watcher", &["supervisor"]);
    let (no, report, _) = issue(&app, &lab, 1, true);
    app.clock.advance(chrono::Duration::days(10));
    let sup = app.token("watcher");
    let id = case_of(&app, &sup, &no);
    let served = walk(
        &app,
        &sup,
        id,
        &[
            step("authority_reported", "2026-03-02T16:00:00"),
            step("entity_notified", "2026-03-03T09:00:00"),
        ],
    );
    let event_id = step_line(&served, "entity_notified")["event_id"]
        .as_i64()
        .expect("a recorded step has its event id");
    let path =
        format!("/api/v1/disposals/{id}/events/{event_id}/attachments?file_name=送达回证.pdf");
    make_user(
        &app.db,
        &app.clock,
        "huangnan",
        &["supervisor"],
        Some("632300"),
    );
    let other = app.token("huangnan");
    // Wrong type, a lying declared type, too large, empty: 422, nothing stored.
    let before = app.audit_count();
    let (st, e) = app.send_bytes(&path, &sup, "image/gif", b"GIF89a....".to_vec());
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["file"].is_string(), "{e}");
    let (st, e) = app.send_bytes(&path, &sup, "image/png", tiny_pdf());
    assert_eq!(st, 422, "declared PNG, holds a PDF: {e}");
    let mut big = tiny_pdf();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (st, e) = app.send_bytes(&path, &sup, "application/pdf", big);
    assert_eq!(st, 422, "over 10 MB: {e}");
    let (st, _) = app.send_bytes(&path, &sup, "application/pdf", Vec::new());
    assert_eq!(st, 422);
    assert_eq!(app.audit_count(), before);
    // Another region's supervisor does not see the case.
    let (st, _) = app.send_bytes(&path, &other, "application/pdf", tiny_pdf());
    assert_eq!(st, 404);
    // A PDF is stored with its hash, audited, and served back byte for byte.
    let (st, a) = app.send_bytes(&path, &sup, "application/pdf", tiny_pdf());
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["file_name"], "送达回证.pdf");
    assert_eq!(a["content_type"], "application/pdf");
    assert_eq!(a["size_bytes"], tiny_pdf().len());
    use sha2::Digest;
    assert_eq!(a["sha256"], hex::encode(sha2::Sha256::digest(tiny_pdf())));
    assert_eq!(app.audit_count(), before + 1);
    let (_, case) = app.get(&format!("/api/v1/disposals/{id}"), &sup);
    assert_eq!(
        step_line(&case, "entity_notified")["attachments"][0]["id"],
        a["id"]
    );
    let (st, ct, bytes) = app.bytes(
        &format!("/api/v1/disposals/{id}/attachments/{}", a["id"]),
        Some(&sup),
    );
    assert_eq!(st, 200);
    assert_eq!(ct, "application/pdf");
    assert_eq!(bytes, tiny_pdf());
    // Another case's step cannot take it.
    let (st, _) = app.send_bytes(
        &format!("/api/v1/disposals/{id}/events/999999/attachments"),
        &sup,
        "application/pdf",
        tiny_pdf(),
    );
    assert_eq!(st, 404);
    // Publishing the disposal information: only once the case is completed and the
    // result published.
    let info = json!({
        "supply_source": "西宁市某批发部",
        "quantity_bought": "20箱",
        "quantity_sold": "12箱",
        "quantity_remaining": "8箱（已封存）",
        "measures": "下架、封存剩余产品",
        "legal_basis": "违反《中华人民共和国食品安全法》第三十四条",
        "penalty": "没收违法所得，罚款五万元",
    });
    let publish = format!("/api/v1/disposals/{id}/publish");
    let (st, e) = app.send("POST", &publish, Some(&sup), info.clone());
    assert_eq!(st, 409, "the case is open: {e}");
    walk(
        &app,
        &sup,
        id,
        &[
            step("risk_controlled", "2026-03-04T10:00:00"),
            step("penalty_decided", "2026-03-06T10:00:00"),
            step("rectified", "2026-03-09T10:00:00"),
            step("closed", "2026-03-10T10:00:00"),
        ],
    );
    let (st, e) = app.send("POST", &publish, Some(&sup), info.clone());
    assert_eq!(st, 409, "the result is not published: {e}");
    let report_no = report["report_no"].as_str().unwrap();
    let (st, r) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/publish"),
        Some(&sup),
        json!({}),
    );
    assert_eq!(st, 200, "{r}");
    let (st, e) = app.send(
        "POST",
        &publish,
        Some(&sup),
        json!({"measures": "", "penalty": "<b>x</b>".repeat(200)}),
    );
    assert_eq!(st, 422, "{e}");
    let (st, d) = app.send("POST", &publish, Some(&sup), info);
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["public_info"]["served_on"], "2026-03-03");
    assert_eq!(d["public_info"]["recheck_requested"], false);
    assert_eq!(d["public_info"]["closed_on"], "2026-03-10");
    // The public sees it with the result, without a login.
    let (st, list) = app.send("GET", "/api/v1/public/results", None, Value::Null);
    assert_eq!(st, 200, "{list}");
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["report_no"] == report_no)
        .expect("the published result")
        .clone();
    assert_eq!(
        mine["disposal"]["penalty"], "没收违法所得，罚款五万元",
        "{mine}"
    );
    assert_eq!(mine["disposal"]["served_on"], "2026-03-03");
    let (st, html) = app.stranger_get(&app.url("/public/results"));
    assert_eq!(st, 200);
    assert!(
        html.contains("没收违法所得，罚款五万元"),
        "the public page shows it"
    );
    // Withdrawn with a reason, it is gone from the public list.
    let (st, d) = app.send(
        "POST",
        &format!("/api/v1/disposals/{id}/unpublish"),
        Some(&sup),
        json!({"reason": "信息有误，更正后重新公开"}),
    );
    assert_eq!(st, 200, "{d}");
    assert!(d["public_info"].is_null());
    let (_, list) = app.send("GET", "/api/v1/public/results", None, Value::Null);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["disposal"].is_null()),
        "{list}"
    );
}
