//! Labels: four per sample in every format, and a batch printed in order.

use serde_json::json;

use crate::support::fixtures::{register, sample_no, setup};
use crate::support::{Backend, TestApp};

pub(super) fn labels_come_four_per_sample_in_every_format(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let no = sample_no(&register(&app, &i));
    let (s, list) = app.get("/api/v1/label-templates", &i.token);
    assert_eq!(s, 200);
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    for want in ["thermal-50x30", "thermal-70x40", "a4-3x8"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/samples/{no}/labels.pdf?template=thermal-50x30"
        )))
        .bearer_auth(&i.token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().unwrap();
    assert_eq!(
        lopdf::Document::load_mem(&pdf).unwrap().get_pages().len(),
        4
    );
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/samples/{no}/labels.zpl?template=thermal-50x30"
        )))
        .bearer_auth(&i.token)
        .send()
        .unwrap();
    let zpl = r.text().unwrap();
    assert_eq!(zpl.matches("^XA").count(), 4);
    assert_eq!(zpl.matches("^XZ").count(), 4);
    assert!(zpl.contains(&format!("{}/s/{no}", app.base)));
    assert!(zpl.contains(&format!("{}/s/{no}#B", app.base)));
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/samples/{no}/label.svg?portion=backup&part=seal"
        )))
        .bearer_auth(&i.token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().starts_with("<svg"));
    let (s, _) = app.get(
        &format!("/api/v1/samples/{no}/labels.pdf?template=nope"),
        &i.token,
    );
    assert_eq!(s, 422);
    let (s, _) = app.get("/api/v1/samples/F202663010499999/labels.pdf", &i.token);
    assert_eq!(s, 404);
    let printed = lims::workflow::audit::history(&mut app.db.conn(), "sample", &no).unwrap();
    assert_eq!(
        printed
            .iter()
            .filter(|r| r.action == "sample.labels_printed")
            .count(),
        2,
        "a PDF and a ZPL print are on the sample's record"
    );
    let r = app
        .client
        .get(app.url(&format!("/api/v1/samples/{no}/sampling-form.pdf")))
        .bearer_auth(&i.token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().unwrap().starts_with(b"%PDF"));
}

pub(super) fn a_batch_of_50_samples_prints_200_labels_in_order(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let mut nos = Vec::new();
    for _ in 0..50 {
        nos.push(sample_no(&register(&app, &i)));
    }
    nos.reverse();
    let r = app
        .client
        .post(app.url("/api/v1/labels.pdf"))
        .bearer_auth(&i.token)
        .json(&json!({"sample_nos": nos, "template": "thermal-50x30"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let pdf = r.bytes().unwrap();
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 200);
    // The order is the order asked, four labels per sample: pages 1-4 are the first
    // sample's, pages 197-200 the last one's.
    for (page, no) in [(1, &nos[0]), (4, &nos[0]), (5, &nos[1]), (200, &nos[49])] {
        let text = crate::support::pdftotext_page(&pdf, page);
        assert!(
            text.contains(no.as_str()),
            "page {page} should show {no}: {text}"
        );
    }
    let (s, _) = app.send(
        "POST",
        "/api/v1/labels.pdf",
        Some(&i.token),
        json!({"sample_nos": [], "template": "thermal-50x30"}),
    );
    assert_eq!(s, 422);
    let (s, _) = app.send(
        "POST",
        "/api/v1/labels.pdf",
        Some(&i.token),
        json!({"sample_nos": ["F202663010499999"]}),
    );
    assert_eq!(s, 404);
}
