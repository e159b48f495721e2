//! The lab's report layout as versions: a change shows in the next report and never in
//! an earlier one, a reissue keeps the original's version unless asked, images are
//! checked, only an admin edits, and the preview stores nothing.

use base64::Engine;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::support::fixtures::{issue, lab_users, login_form, Lab};
use crate::support::{csrf_of, pdftotext_page, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    a_layout_change_shows_in_the_next_report_and_not_in_an_earlier_one,
    a_reissue_keeps_the_original_layout_unless_asked,
    images_are_checked_and_only_an_admin_edits_the_layout,
    the_admin_page_saves_versions_uploads_images_and_previews_without_storing,
];

fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

fn pdf_of(app: &TestApp, report_no: &str, token: &str) -> Vec<u8> {
    let (st, ct, bytes) = app.bytes(&format!("/api/v1/reports/{report_no}.pdf"), Some(token));
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ct, "application/pdf");
    bytes
}

fn text_of(app: &TestApp, report_no: &str, token: &str) -> String {
    flat(&pdftotext_page(&pdf_of(app, report_no, token), 1))
}

fn layout(address: &str, version: &Value) -> Value {
    json!({
        "name": "青海省食品检验检测院",
        "address": address,
        "cma_no": "CMA 资质认定证书编号：201963000123",
        "contact": "",
        "disclaimer": ["本报告仅对所检样品负责。"],
        "version": version,
    })
}

/// Sets the layout over the API as the admin; returns what GET shows afterwards.
fn put_layout(app: &TestApp, admin: &str, body: Value) -> Value {
    let (st, set) = app.send("PUT", "/api/v1/settings/lab", Some(admin), body);
    assert_eq!(st, 200, "{set}");
    set
}

/// A PNG of `w`×`h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn counts(app: &TestApp) -> Vec<i64> {
    use lims::db::schema::{
        audit_log, report_layout_images, report_layouts, report_sequences, reports,
    };
    let mut c = app.db.conn();
    vec![
        reports::table.count().get_result(&mut *c).unwrap(),
        report_layouts::table.count().get_result(&mut *c).unwrap(),
        report_layout_images::table
            .count()
            .get_result(&mut *c)
            .unwrap(),
        report_sequences::table.count().get_result(&mut *c).unwrap(),
        audit_log::table.count().get_result(&mut *c).unwrap(),
    ]
}

fn a_layout_change_shows_in_the_next_report_and_not_in_an_earlier_one(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let admin = app.user_token("root", &["admin"]);
    let v1 = put_layout(&app, &admin, layout("西宁市城西区五四西路1号", &json!(0)));
    assert_eq!(v1["version"], 1);
    let (_, first, _) = issue(&app, &lab, 1, false);
    let first_no = first["report_no"].as_str().unwrap().to_string();
    assert_eq!(first["layout_version"], 1);
    let first_pdf = pdf_of(&app, &first_no, &lab.signatory);
    // Version 2: a new address, a phone and a number prefix.
    let mut body = layout("西宁市城北区生物园区经二路12号", &v1["version"]);
    body["phone"] = json!("0971-5550000");
    body["number_prefix"] = json!("QHFDA");
    let v2 = put_layout(&app, &admin, body);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["number_prefix"], "QHFDA");
    let (_, second, _) = issue(&app, &lab, 1, false);
    let second_no = second["report_no"].as_str().unwrap().to_string();
    assert!(second_no.starts_with("QHFDA"), "{second_no}");
    assert_eq!(second["layout_version"], 2);
    let text = text_of(&app, &second_no, &lab.signatory);
    for needle in ["经二路12号", "0971-5550000", second_no.as_str()] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    // The earlier report is the same bytes, with the address it was issued with.
    assert!(
        pdf_of(&app, &first_no, &lab.signatory) == first_pdf,
        "an issued report changed"
    );
    let old = text_of(&app, &first_no, &lab.signatory);
    assert!(
        old.contains("五四西路1号") && !old.contains("经二路"),
        "{old}"
    );
    // The versions list says who made each, newest first; each version can be read.
    let (st, list) = app.get("/api/v1/settings/lab/versions", &admin);
    assert_eq!(st, 200, "{list}");
    let versions: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    assert!(list[0]["created_by_name"].is_string(), "{list}");
    let (st, one) = app.get("/api/v1/settings/lab/versions/1", &admin);
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["address"], "西宁市城西区五四西路1号");
    let (st, _) = app.get("/api/v1/settings/lab/versions/9", &admin);
    assert_eq!(st, 404);
    // The search box finds a report by a number with the new prefix.
    login_form(&app, "boss", PASSWORD);
    let r = app
        .client
        .get(app.url(&format!("/search?q={second_no}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/reports/{second_no}")
    );
    let (_, html) = app.page(&format!("/reports/{first_no}"));
    assert!(html.contains("版式版本"), "{html}");
}

fn revoke(app: &TestApp, lab: &Lab, no: &str, body: Value) -> (u16, Value) {
    app.send(
        "POST",
        &format!("/api/v1/reports/{no}/revoke"),
        Some(&lab.signatory),
        body,
    )
}

fn a_reissue_keeps_the_original_layout_unless_asked(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let admin = app.user_token("root", &["admin"]);
    let v1 = put_layout(&app, &admin, layout("西宁市城西区五四西路1号", &json!(0)));
    let (_, first, _) = issue(&app, &lab, 1, false);
    let first_no = first["report_no"].as_str().unwrap().to_string();
    put_layout(
        &app,
        &admin,
        layout("西宁市城北区生物园区经二路12号", &v1["version"]),
    );
    // A layout value that is neither current nor original is refused, nothing retired.
    let (st, e) = revoke(
        &app,
        &lab,
        &first_no,
        json!({"reason": "更正", "reissue": true, "layout": "newest"}),
    );
    assert_eq!(st, 422, "{e}");
    assert!(e["error"]["fields"]["layout"].is_string(), "{e}");
    // By default the reissue keeps version 1.
    let (st, out) = revoke(
        &app,
        &lab,
        &first_no,
        json!({"reason": "规格型号更正", "reissue": true}),
    );
    assert_eq!(st, 200, "{out}");
    let kept = out["reissued"]["report_no"].as_str().unwrap().to_string();
    assert_eq!(out["reissued"]["layout_version"], 1);
    let text = text_of(&app, &kept, &lab.signatory);
    assert!(
        text.contains("五四西路1号") && !text.contains("经二路"),
        "{text}"
    );
    // Asked for the current layout, it takes version 2.
    let (st, out) = revoke(
        &app,
        &lab,
        &kept,
        json!({"reason": "按新版式重发", "reissue": true, "layout": "current"}),
    );
    assert_eq!(st, 200, "{out}");
    let current = out["reissued"]["report_no"].as_str().unwrap().to_string();
    assert_eq!(out["reissued"]["layout_version"], 2);
    let text = text_of(&app, &current, &lab.signatory);
    assert!(text.contains("经二路12号"), "{text}");
}

fn images_are_checked_and_only_an_admin_edits_the_layout(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let admin = app.user_token("root", &["admin"]);
    let before = counts(&app);
    // A non-admin may read the lab identity but neither change it nor list versions.
    let (st, e) = app.send(
        "PUT",
        "/api/v1/settings/lab",
        Some(&lab.signatory),
        layout("西宁市", &json!(0)),
    );
    assert_eq!(st, 403, "{e}");
    let (st, _) = app.get("/api/v1/settings/lab/versions", &lab.signatory);
    assert_eq!(st, 403);
    // Bad images: not a PNG, not base64, too large, too many pixels; and a bad prefix.
    let mut huge = png(8, 8);
    huge.resize(300 * 1024, 0);
    let wide = {
        // A PNG header that declares 5000 × 1 pixels.
        let mut p = png(1, 1);
        p[16..20].copy_from_slice(&5000u32.to_be_bytes());
        p
    };
    let garbled = {
        // A PNG whose header and end are sound but whose pixel data is not: it must be
        // refused here, or every report printed with it would fail.
        let mut p = png(8, 8);
        let at = p.windows(4).position(|w| w == b"IDAT").expect("IDAT") + 4;
        p[at..at + 8].copy_from_slice(&[0xff; 8]);
        p
    };
    for (field, value) in [
        (
            "logo_png",
            b64(b"GIF89a\x01\x00\x01\x00 this is a gif, not a png"),
        ),
        ("cma_png", b64(&garbled)),
        ("cma_png", "%%% not base64".to_string()),
        ("logo_png", b64(&huge)),
        ("cma_png", b64(&wide)),
    ] {
        let mut body = layout("西宁市", &json!(0));
        body[field] = json!(value);
        let (st, e) = app.send("PUT", "/api/v1/settings/lab", Some(&admin), body);
        assert_eq!(st, 422, "{field}: {e}");
        assert!(e["error"]["fields"][field].is_string(), "{e}");
    }
    for prefix in ["", "qhj", "ABCDEFGHI", "QH-J"] {
        let mut body = layout("西宁市", &json!(0));
        body["number_prefix"] = json!(prefix);
        let (st, e) = app.send("PUT", "/api/v1/settings/lab", Some(&admin), body);
        assert_eq!(st, 422, "{prefix}: {e}");
        assert!(e["error"]["fields"]["number_prefix"].is_string(), "{e}");
    }
    assert_eq!(counts(&app), before, "a refused change stored something");
    // A good logo is stored once; a version that leaves it out keeps it.
    let logo = png(120, 40);
    let mut body = layout("西宁市", &json!(0));
    body["logo_png"] = json!(b64(&logo));
    let v1 = put_layout(&app, &admin, body);
    let sha = v1["logo_sha256"].as_str().unwrap().to_string();
    let v2 = put_layout(&app, &admin, layout("西宁市城中区", &v1["version"]));
    assert_eq!(v2["logo_sha256"], sha.as_str());
    let mut body = layout("西宁市城东区", &v2["version"]);
    body["logo_png"] = json!(b64(&logo));
    body["cma_png"] = json!(b64(&png(60, 60)));
    let v3 = put_layout(&app, &admin, body);
    assert_eq!(v3["logo_sha256"], sha.as_str());
    let after = counts(&app);
    assert_eq!(after[1], before[1] + 3, "three versions");
    assert_eq!(after[2], before[2] + 2, "two distinct images");
    // "" removes an image.
    let mut body = layout("西宁市城东区", &v3["version"]);
    body["logo_png"] = json!("");
    let v4 = put_layout(&app, &admin, body);
    assert!(v4["logo_sha256"].is_null(), "{v4}");
    assert!(v4["cma_sha256"].is_string(), "{v4}");
    // Versions are never edited, even by hand.
    let mut c = app.db.conn();
    let edited = diesel::sql_query("UPDATE report_layouts SET settings = '{}' WHERE version = 1")
        .execute(&mut *c);
    assert!(edited.is_err(), "a layout version was edited");
}

/// A `multipart/form-data` body of `fields` and `files` (name, file name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----layoutTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn the_admin_page_saves_versions_uploads_images_and_previews_without_storing(b: Backend) {
    let app = TestApp::spawn(b);
    app.user("root", &["admin"]);
    app.user("boss", &["signatory"]);
    // Not an admin: the page and the preview are refused.
    login_form(&app, "boss", PASSWORD);
    let (st, _) = app.page("/admin/lab");
    assert_eq!(st, 403);
    let (st, _, _) = app.bytes("/admin/lab/preview.pdf?name=x", None);
    assert_eq!(st, 403);
    login_form(&app, "root", PASSWORD);
    let (st, html) = app.page("/admin/lab");
    assert_eq!(st, 200);
    assert!(
        html.contains("multipart/form-data") && html.contains("报告编号前缀"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let fields = |address: &'static str, version: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.to_string()),
            ("name", "青海省食品检验检测院".to_string()),
            ("header_lines", "青海省市场监督管理局直属单位".to_string()),
            ("address", address.to_string()),
            ("phone", "0971-5550000".to_string()),
            ("contact", String::new()),
            ("cma_no", "CMA 201963000123".to_string()),
            ("report_title", "检验报告".to_string()),
            ("number_prefix", "QHJ".to_string()),
            ("cover_page", "on".to_string()),
            ("tester_title", "主检".to_string()),
            ("reviewer_title", "审核".to_string()),
            ("signatory_title", "批准".to_string()),
            ("disclaimer", "本报告仅对所检样品负责。".to_string()),
            ("notice_contact", "联系电话：0971-12345".to_string()),
            ("reexam_where", "青海省市场监督管理局".to_string()),
        ]
    };
    let post = |f: &[(&str, String)], files: &[(&str, &str, &[u8])], csrf_ok: bool| {
        let pairs: Vec<(&str, &str)> = f
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "csrf" && !csrf_ok {
                        "wrong"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        let (ct, body) = multipart(&pairs, files);
        let r = app
            .client
            .post(app.url("/admin/lab"))
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        let st = r.status().as_u16();
        (st, r.text().unwrap_or_default())
    };
    // The preview prints the unsaved values and stores nothing.
    let before = counts(&app);
    let query: Vec<(&str, String)> = fields("西宁市预览路8号", "0")
        .into_iter()
        .filter(|(k, _)| *k != "csrf")
        .collect();
    let qs = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let (st, ct, pdf) = app.bytes(&format!("/admin/lab/preview.pdf?{qs}"), None);
    assert_eq!((st, ct.as_str()), (200, "application/pdf"));
    let text = flat(&pdftotext_page(&pdf, 1));
    assert!(text.contains("预览路8号") && text.contains("QHJ"), "{text}");
    assert_eq!(counts(&app), before, "the preview stored something");
    // A wrong token, then a bad image: refused, nothing stored.
    let logo = png(90, 30);
    let (st, _) = post(&fields("西宁市", "0"), &[("logo", "a.png", &logo)], false);
    assert_eq!(st, 403);
    let (st, body) = post(
        &fields("西宁市", "0"),
        &[("logo", "a.gif", b"GIF89a not a png at all, really not one")],
        true,
    );
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("PNG"), "{body}");
    assert_eq!(counts(&app), before);
    // Saved with a logo: version 1, listed, its image shown.
    let (st, body) = post(
        &fields("西宁市城西区", "0"),
        &[("logo", "a.png", &logo)],
        true,
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("/admin/lab/images/"), "{body}");
    let (st, body) = post(&fields("西宁市城北区", "1"), &[], true);
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("?version=1") && body.contains("?version=2"),
        "{body}"
    );
    let (st, html) = app.page("/admin/lab?version=1");
    assert_eq!(st, 200);
    assert!(
        html.contains("西宁市城西区") && html.contains("只读"),
        "{html}"
    );
    let (_, html) = app.page("/admin/lab");
    assert!(html.contains("西宁市城北区"), "{html}");
    // Both languages.
    app.page("/lang/en");
    let (_, html) = app.page("/admin/lab");
    assert!(
        html.contains("Layout versions") && html.contains("Report number prefix"),
        "{html}"
    );
}
