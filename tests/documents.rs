//! The documents a bureau serves, read as their readers read them (text extracted from
//! the PDFs): the sampling form (抽样单) of each domain with the national form's fields,
//! the report with names and units whole and a verification code that can be typed, a
//! risk-monitoring report without a 合格/不合格 conclusion, and the notice
//! (docs/domain/rules.md §c.3, §d).

use serde_json::{json, Value};

use crate::support::fixtures::{
    approve, lab_users, receive, register_as, sample_body, sample_no, Lab,
};
use crate::support::{pdf_pages, pdftotext_flow, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    the_sampling_form_of_a_food_sample_prints_the_national_fields_in_chinese,
    a_drug_sample_gets_the_drug_sampling_record,
    a_report_prints_the_full_signatory_name_whole_units_and_a_code_that_verifies,
    a_risk_monitoring_report_gives_no_compliance_conclusion,
];

fn pdf_text(pdf: &[u8]) -> String {
    (1..=pdf_pages(pdf))
        .map(|p| pdftotext_flow(pdf, p))
        .collect::<Vec<_>>()
        .join("\n")
}

fn fetch_pdf(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let (st, ct, bytes) = app.bytes(path, Some(token));
    assert_eq!(st, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    assert!(ct.starts_with("application/pdf"), "{path}: {ct}");
    bytes
}

fn form_fields(mut body: Value) -> Value {
    let extra = json!({
        "base_quantity": "200袋", "standard": "GB 2726-2016", "packaging": "prepackaged",
        "sample_form": "solid", "sample_attribute": "普通食品", "sample_source": "purchased",
        "sampling_method": "non_aseptic", "unit_price": "32.00", "area_type": "urban",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn the_sampling_form_of_a_food_sample_prints_the_national_fields_in_chinese(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let s = register_as(
        &app,
        &lab.intake.token,
        form_fields(sample_body(&lab.intake)),
    );
    let no = sample_no(&s);
    let path = format!("/api/v1/samples/{no}/sampling-form.pdf");
    let pdf = fetch_pdf(&app, &path, &lab.intake.token);
    assert_eq!(pdf_pages(&pdf), 1, "an ordinary sample fills one page");
    let text = pdf_text(&pdf);
    for want in [
        "食品安全抽样检验抽样单",
        "抽样基数",
        "200袋",
        "执行标准",
        "GB 2726-2016",
        "生产许可证",
        "包装分类",
        "预包装",
        "样品形态",
        "固体",
        "样品属性",
        "普通食品",
        "样品来源",
        "外购",
        "抽样方式",
        "非无菌抽样",
        "单价",
        "32.00",
        "承检机构",
        "寄送截止",
        "法定代表人",
        "年销售额",
        "区域类型",
        "城市",
        "无异议",
    ] {
        assert!(
            text.contains(want),
            "`{want}` missing from the form:\n{text}"
        );
    }
    // Headings only in Chinese; an empty field prints "/" as on paper.
    for english in ["Sample", "Sampled", "Product", "Signature", "Entity"] {
        assert!(!text.contains(english), "`{english}` on the form:\n{text}");
    }
    assert!(text.contains('/'), "{text}");
    // 一式四联: each copy a page that says which it is; other counts are refused.
    let pdf = fetch_pdf(&app, &format!("{path}?copies=4"), &lab.intake.token);
    assert_eq!(pdf_pages(&pdf), 4);
    for (page, copy) in ["第一联", "第二联", "第三联", "第四联"].iter().enumerate() {
        let t = pdftotext_flow(&pdf, page + 1);
        assert!(t.contains(copy), "page {} lacks {copy}:\n{t}", page + 1);
    }
    let (st, v) = app.get(&format!("{path}?copies=3"), &lab.intake.token);
    assert_eq!(st, 422, "{v}");
    assert!(v["error"]["fields"]["copies"].is_string(), "{v}");
}

fn a_drug_sample_gets_the_drug_sampling_record(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (st, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&lab.intake.supervisor),
        json!({"code": "QH-2026-drug", "name": "2026年青海省药品质量抽查检验", "year": 2026,
               "level": "provincial", "kind": "supervision", "domain": "drug",
               "region_code": "630000", "target_batches": 100}),
    );
    assert_eq!(st, 201, "{plan}");
    let mut body = sample_body(&lab.intake);
    let drug = json!({
        "plan_id": plan["id"], "domain": "drug", "category_code": "D01",
        "product_name": "阿莫西林胶囊", "specification": "0.25g×24粒/盒",
        "approval_no": "国药准字H20053062", "expiry_date": "2028-01-31",
        "mah": "青海某某药业有限公司", "dosage_form": "胶囊剂", "shelf_life": null,
    });
    for (k, v) in drug.as_object().unwrap() {
        body[k] = v.clone();
    }
    let no = sample_no(&register_as(&app, &lab.intake.token, body));
    let pdf = fetch_pdf(
        &app,
        &format!("/api/v1/samples/{no}/sampling-form.pdf"),
        &lab.intake.token,
    );
    let text = pdf_text(&pdf);
    for want in [
        "药品抽样记录及凭证",
        "批准文号",
        "国药准字H20053062",
        "有效期",
        "2028-01-31",
        "上市许可持有人",
        "青海某某药业有限公司",
        "剂型",
        "胶囊剂",
    ] {
        assert!(text.contains(want), "`{want}` missing:\n{text}");
    }
    for food in ["食品安全抽样", "保质期", "食品类别"] {
        assert!(
            !text.contains(food),
            "the drug record says `{food}`:\n{text}"
        );
    }
}

/// A signatory whose display name is twelve characters long.
fn long_named_signatory(app: &TestApp) -> (String, String) {
    let name = "司马欧阳慕容诸葛长孙宇文".to_string();
    assert_eq!(name.chars().count(), 12);
    lims::workflow::accounts::create_user_unchecked(
        &mut lims::workflow::Ctx::new(
            &mut app.db.conn(),
            lims::clock::Clock::now_naive(&app.clock),
            &lims::workflow::Actor::system(),
        ),
        lims::workflow::accounts::NewUser {
            username: "longname".into(),
            display_name: name.clone(),
            password: PASSWORD.into(),
            roles: vec!["signatory".into()],
            region_code: None,
        },
    )
    .expect("signatory");
    (app.token("longname"), name)
}

/// Takes sample `no` with its tests through results (`fail`: above the limit) and review.
fn results_and_review(app: &TestApp, lab: &Lab, tests: &[Value], fail: bool) {
    let rows: Vec<Value> = tests
        .iter()
        .map(|t| {
            json!({"test_id": t["id"], "result_text":
                crate::support::fixtures::result_for(t, !fail), "version": t["version"]})
        })
        .collect();
    let (st, r) = app.send(
        "POST",
        "/api/v1/tests/results",
        Some(&lab.tech),
        json!({ "results": rows }),
    );
    assert_eq!(st, 200, "{r}");
    for t in tests {
        let (st, r) = app.send(
            "POST",
            &format!("/api/v1/tests/{}/review", t["id"]),
            Some(&lab.reviewer),
            json!({"decision": "accept"}),
        );
        assert_eq!(st, 200, "{r}");
    }
}

/// The catalogue item of category 34.02 measured in mg/100g (挥发性盐基氮).
fn per_100g_item(app: &TestApp, token: &str) -> i64 {
    let (_, items) = app.get("/api/v1/test-items", token);
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit"] == "mg/100g" && t["category_code"] == "34.02")
        .and_then(|t| t["id"].as_i64())
        .expect("a mg/100g item for 34.02 in the shipped catalogue")
}

fn a_report_prints_the_full_signatory_name_whole_units_and_a_code_that_verifies(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (signatory, name) = long_named_signatory(&app);
    let item = per_100g_item(&app, &lab.tech);
    let no = sample_no(&register_as(
        &app,
        &lab.intake.token,
        sample_body(&lab.intake),
    ));
    receive(&app, &lab.custodian, &no);
    let tests = crate::support::fixtures::assign(&app, &lab.custodian, &no, &[item], lab.tech_id);
    results_and_review(&app, &lab, &tests, true);
    let report = approve(&app, &signatory, &no);
    let report_no = report["report_no"].as_str().unwrap();
    let pdf = fetch_pdf(
        &app,
        &format!("/api/v1/reports/{report_no}.pdf"),
        &signatory,
    );
    let text = pdf_text(&pdf);
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains(&name), "the signatory's full name:\n{text}");
    assert!(!text.contains('…'), "nothing is cut:\n{text}");
    assert!(text.contains("mg/100g"), "the unit whole:\n{text}");
    assert!(text.contains("不合格"), "{text}");
    assert!(
        text.contains("检验 4 袋，备样 4 袋"),
        "both portions:\n{text}"
    );
    // The code under the QR square is the one of the verification link, and typing it
    // verifies the report.
    let url = report["verify_url"].as_str().unwrap();
    let code = url.split("k=").nth(1).unwrap();
    assert!(text.contains("核验码"), "{text}");
    assert!(flat.contains(code), "the code {code} printed:\n{text}");
    let (st, v) = app.send(
        "GET",
        &format!("/api/v1/verify/{report_no}?k={code}"),
        None,
        Value::Null,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["genuine"], true, "{v}");
    // Typed into the public verification box, the number and code lead to the report.
    let r = app
        .client
        .get(app.url(&format!("/public/verify?no={report_no}&k={code}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(loc, format!("/verify/{report_no}?k={code}"));
    let (st, html) = app.page(&loc);
    assert_eq!(st, 200);
    assert!(html.contains(report_no), "{html}");
    // The notice keeps the unit whole too.
    let notice = fetch_pdf(
        &app,
        &format!("/api/v1/samples/{no}/notice.pdf"),
        &signatory,
    );
    assert!(pdf_text(&notice).contains("mg/100g"));
}

fn a_risk_monitoring_report_gives_no_compliance_conclusion(b: Backend) {
    let app = TestApp::spawn(b);
    let lab = lab_users(&app);
    let (st, plan) = app.send(
        "POST",
        "/api/v1/plans",
        Some(&lab.intake.supervisor),
        json!({"code": "QH-2026-risk", "name": "2026年青海省食品安全风险监测", "year": 2026,
               "level": "provincial", "kind": "risk_monitoring", "domain": "food",
               "region_code": "630000", "target_batches": 100}),
    );
    assert_eq!(st, 201, "{plan}");
    let mut body = sample_body(&lab.intake);
    body["plan_id"] = plan["id"].clone();
    body["backup_quantity"] = Value::Null;
    let no = sample_no(&register_as(&app, &lab.intake.token, body));
    receive(&app, &lab.custodian, &no);
    let items = crate::support::fixtures::max_items(&app, &lab.tech, 2);
    let ids: Vec<i64> = items.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let tests = crate::support::fixtures::assign(&app, &lab.custodian, &no, &ids, lab.tech_id);
    results_and_review(&app, &lab, &tests, true);
    let report = approve(&app, &lab.signatory, &no);
    let report_no = report["report_no"].as_str().unwrap();
    let text = pdf_text(&fetch_pdf(
        &app,
        &format!("/api/v1/reports/{report_no}.pdf"),
        &lab.signatory,
    ));
    assert!(!text.contains("合格"), "no 合格/不合格:\n{text}");
    assert!(!text.contains("符合规定"), "{text}");
    assert!(text.contains("发现问题"), "the problems stated:\n{text}");
    for objection in ["复检", "异议"] {
        assert!(!text.contains(objection), "`{objection}`:\n{text}");
    }
    // Published, it is marked as risk monitoring, never as 合格.
    let (st, r) = app.send(
        "POST",
        &format!("/api/v1/reports/{report_no}/publish"),
        Some(&lab.intake.supervisor),
        json!({}),
    );
    assert_eq!(st, 200, "{r}");
    let (st, v) = app.send("GET", "/api/v1/public/results", None, Value::Null);
    assert_eq!(st, 200, "{v}");
    let item = &v["items"][0];
    assert_eq!(item["risk_monitoring"], true, "{v}");
    assert!(
        !item["conclusion_text"].as_str().unwrap().contains("合格"),
        "{item}"
    );
    let (st, page) = app.page("/public/results");
    assert_eq!(st, 200);
    assert!(page.contains("风险监测"), "the public list marks it");
}
