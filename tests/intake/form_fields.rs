//! The national sampling form's fields at registration (docs/domain/rules.md §c.3): all
//! optional on the API and the page, vocabularies sent as keys and shown as words, an
//! unknown key refused naming the field, edits that set and clear them, and the
//! sampled entity's legal representative and annual sales.

use serde_json::{json, Value};

use crate::support::fixtures::{login_form, register, sample_body, sample_no, setup};
use crate::support::{csrf_of, status_json, Backend, TestApp, PASSWORD};

/// The new sample fields with a value each (keys for the vocabularies).
fn form_fields() -> Value {
    json!({
        "base_quantity": "200袋", "standard": "GB 2726-2016", "manufacturer_licence_no": "SC10663010400015",
        "packaging": "prepackaged", "sample_form": "semi_solid", "sample_attribute": "普通食品",
        "sample_source": "commissioned", "sampling_method": "aseptic", "unit_price": "32.00",
        "area_type": "scenic", "approval_no": "国药准字H20050005", "expiry_date": "2027-02-14",
        "mah": "青海某某药业有限公司", "dosage_form": "片剂"
    })
}

const NEW_FIELDS: [&str; 14] = [
    "base_quantity",
    "standard",
    "manufacturer_licence_no",
    "packaging",
    "sample_form",
    "sample_attribute",
    "sample_source",
    "sampling_method",
    "unit_price",
    "area_type",
    "approval_no",
    "expiry_date",
    "mah",
    "dosage_form",
];

fn with_form_fields(mut body: Value) -> Value {
    for (k, v) in form_fields().as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

pub(super) fn the_national_form_fields_round_trip_through_the_api(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let (s, v) = app.send(
        "POST",
        "/api/v1/samples",
        Some(&i.token),
        with_form_fields(sample_body(&i)),
    );
    assert_eq!(s, 201, "{v}");
    let no = sample_no(&v);
    let (s, got) = app.get(&format!("/api/v1/samples/{no}"), &i.token);
    assert_eq!(s, 200);
    for (k, want) in form_fields().as_object().unwrap() {
        assert_eq!(&v[k], want, "{k} as registered");
        assert_eq!(&got[k], want, "{k} as read back");
    }
    // A drug production licence keeps its case (lower-case letters are part of it).
    let (s, v) = app.send(
        "PATCH",
        &format!("/api/v1/samples/{no}"),
        Some(&i.token),
        json!({"manufacturer_licence_no": "鄂Ha20050005", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["manufacturer_licence_no"], "鄂Ha20050005");
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "sample", &no).unwrap();
    let registered = rows
        .iter()
        .find(|r| r.action == "sample.register")
        .expect("the registration is audited");
    let after: Value = serde_json::from_str(registered.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        after["packaging"], "prepackaged",
        "the audit row holds them"
    );
    assert_eq!(after["unit_price"], "32.00");
    // The OpenAPI document describes them as optional request fields.
    let (_, api) = status_json(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .unwrap(),
    );
    let input = &api["components"]["schemas"]["SampleInput"];
    for f in NEW_FIELDS {
        assert!(input["properties"][f].is_object(), "{f} in OpenAPI");
        let required = input["required"].as_array().cloned().unwrap_or_default();
        assert!(!required.contains(&json!(f)), "{f} is optional");
    }
}

pub(super) fn a_client_sending_none_of_the_new_fields_registers_as_before(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let v = register(&app, &i);
    assert_eq!(v["sample_no"], "F202663010400001");
    assert_eq!(v["status"], "registered");
    assert_eq!(v["price"], "128.00");
    for f in NEW_FIELDS {
        assert_eq!(v[f], Value::Null, "{f} stays NULL when not sent");
    }
    // Empty text and an empty key are "not given", as a page sends them.
    let mut body = sample_body(&i);
    for f in ["base_quantity", "standard", "packaging", "area_type"] {
        body[f] = json!("  ");
    }
    let (s, v) = app.send("POST", "/api/v1/samples", Some(&i.token), body);
    assert_eq!(s, 201, "{v}");
    for f in ["base_quantity", "standard", "packaging", "area_type"] {
        assert_eq!(v[f], Value::Null, "{f}");
    }
}

pub(super) fn a_bad_form_field_is_a_422_naming_the_field_and_writes_nothing(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let mut body = sample_body(&i);
    body["packaging"] = json!("散装");
    body["sampling_method"] = json!("sterile");
    body["manufacturer_licence_no"] = json!("SC123");
    body["unit_price"] = json!("-3");
    body["expiry_date"] = json!("2026-01-01");
    let (s, e) = app.send("POST", "/api/v1/samples", Some(&i.token), body.clone());
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "validation");
    let fields = &e["error"]["fields"];
    let packaging = fields["packaging"].as_str().unwrap();
    assert!(
        packaging.contains("包装分类")
            && packaging.contains("散装")
            && packaging.contains("预包装"),
        "the field and its choices in words: {packaging}"
    );
    assert!(fields["sampling_method"]
        .as_str()
        .unwrap()
        .contains("抽样方式"));
    for f in ["manufacturer_licence_no", "unit_price", "expiry_date"] {
        assert!(fields[f].is_string(), "{f}: {e}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/samples"))
        .bearer_auth(&i.token)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .unwrap();
    let (s, e) = status_json(r);
    assert_eq!(s, 422);
    assert_eq!(
        e["error"]["fields"]["packaging"],
        "Packaging must be one of: Bulk (bulk), Pre-packaged (prepackaged)"
    );
    let (_, list) = app.get("/api/v1/samples", &i.token);
    assert_eq!(list["total"], 0, "nothing was registered");
}

pub(super) fn a_patch_sets_and_clears_a_form_field(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    let no = sample_no(&register(&app, &i));
    let path = format!("/api/v1/samples/{no}");
    let (s, v) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"packaging": "bulk", "unit_price": 12.5, "expiry_date": "2026-11-15", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["packaging"], "bulk");
    assert_eq!(v["unit_price"], "12.5");
    assert_eq!(v["expiry_date"], "2026-11-15");
    assert_eq!(v["version"], 2);
    let (s, v) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"packaging": null, "version": 2}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["packaging"], Value::Null, "null clears it");
    assert_eq!(v["unit_price"], "12.5", "a field left out keeps its value");
    assert_eq!(v["product_name"], "青海牦牛肉干（五香味）");
    let (s, _) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"packaging": "bulk", "version": 2}),
    );
    assert_eq!(s, 409, "the version check stands");
    let (s, e) = app.send(
        "PATCH",
        &path,
        Some(&i.token),
        json!({"area_type": "city", "version": 3}),
    );
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["area_type"].is_string(), "{e}");
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "sample", &no).unwrap();
    // Newest first: the last update is the one that cleared the field.
    let last = rows.iter().find(|r| r.action == "sample.update").unwrap();
    let before: Value = serde_json::from_str(last.before_json.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(last.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        (&before["packaging"], &after["packaging"]),
        (&json!("bulk"), &Value::Null)
    );
}

pub(super) fn the_pages_ask_for_the_form_fields_and_show_them_in_words(b: Backend) {
    let app = TestApp::spawn(b);
    let i = setup(&app, "supervision");
    assert_eq!(login_form(&app, "wangfang", PASSWORD).status(), 303);
    let (s, html) = app.page("/samples/new");
    assert_eq!(s, 200);
    for want in [
        "name=\"packaging\"",
        "name=\"unit_price\"",
        "name=\"approval_no\"",
        "预包装",
        "非无菌抽样",
        "国家抽检系统必填",
        "抽样基数/批量",
    ] {
        assert!(html.contains(want), "the form has {want}");
    }
    assert!(
        !html.contains(">prepackaged<") && !html.contains(">semi_solid<"),
        "selects show words, not keys"
    );
    let csrf = csrf_of(&html);
    let plan = i.plan_id.to_string();
    let entity = i.entity_id.to_string();
    let (s1, s2) = (i.samplers[0].to_string(), i.samplers[1].to_string());
    let form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("plan_id", &plan),
        ("entity_id", &entity),
        ("domain", "food"),
        ("category_code", "34.02"),
        ("product_name", "牦牛肉"),
        ("stage", "circulation"),
        ("sampled_at", "2026-03-02T09:00"),
        ("sampler_ids", &s1),
        ("sampler_ids", &s2),
        ("quantity", "2"),
        ("unit", "袋"),
        ("backup_quantity", "2"),
        ("storage", "chilled"),
        ("packaging", "prepackaged"),
        ("sample_form", "semi_solid"),
        ("sample_source", "commissioned"),
        ("sampling_method", "aseptic"),
        ("area_type", ""),
        ("base_quantity", "200袋"),
        ("unit_price", "16.5"),
        ("expiry_date", "2026-12-01"),
        ("standard", ""),
    ];
    let r = app
        .client
        .post(app.url("/samples/new"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let no = loc
        .trim_start_matches("/samples/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, v) = app.get(&format!("/api/v1/samples/{no}"), &i.token);
    assert_eq!(v["packaging"], "prepackaged");
    assert_eq!(v["unit_price"], "16.5");
    assert_eq!(v["expiry_date"], "2026-12-01");
    assert_eq!(v["area_type"], Value::Null, "an empty choice stays NULL");
    assert_eq!(v["standard"], Value::Null, "an empty field stays NULL");
    let (s, html) = app.page(&format!("/samples/{no}"));
    assert_eq!(s, 200);
    for want in ["预包装", "半固体", "委托生产", "无菌抽样", "200袋", "16.5"] {
        assert!(html.contains(want), "the sample page shows {want}");
    }
    assert!(!html.contains("semi_solid") && !html.contains("commissioned"));
    let (s, _) = app.page("/lang/en?next=/");
    assert!(s == 303 || s == 200);
    let (_, html) = app.page(&format!("/samples/{no}"));
    for want in [
        "Pre-packaged",
        "Semi-solid",
        "Contract-manufactured",
        "Aseptic sampling",
        "Lot size",
    ] {
        assert!(html.contains(want), "the English page shows {want}");
    }
    // The edit form comes back with the stored choices selected.
    let (_, html) = app.page(&format!("/samples/{no}/edit"));
    assert!(html.contains("<option value=\"prepackaged\" selected>Pre-packaged</option>"));
}

pub(super) fn the_entity_fields_round_trip_through_the_api_and_the_pages(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("field", &["sampler"]);
    let body = json!({"name": "某某食品厂", "uscc": "91630104MA752K8R2Q", "license_no": "SC10663010400015",
        "kind": "producer", "address": "西宁", "region_code": "630104",
        "legal_rep": "李四", "annual_sales": "50万元"});
    let (s, e) = app.send("POST", "/api/v1/entities", Some(&t), body.clone());
    assert_eq!(s, 201, "{e}");
    assert_eq!(e["legal_rep"], "李四");
    assert_eq!(e["annual_sales"], "50万元");
    let id = e["id"].as_i64().unwrap();
    let (_, got) = app.get(&format!("/api/v1/entities/{id}"), &t);
    assert_eq!(
        (&got["legal_rep"], &got["annual_sales"]),
        (&json!("李四"), &json!("50万元"))
    );
    let (s, none) = app.send(
        "POST",
        "/api/v1/entities",
        Some(&t),
        json!({"name": "某某超市", "uscc": "91512081MA62K0260E",
        "kind": "distributor", "address": "西宁", "region_code": "630104"}),
    );
    assert_eq!(s, 201, "{none}");
    assert_eq!(
        (&none["legal_rep"], &none["annual_sales"]),
        (&Value::Null, &Value::Null)
    );
    let mut edit = body.clone();
    edit["annual_sales"] = Value::Null;
    edit["legal_rep"] = json!("王五");
    edit["version"] = json!(1);
    let (s, v) = app.send("PATCH", &format!("/api/v1/entities/{id}"), Some(&t), edit);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["legal_rep"], &v["annual_sales"]),
        (&json!("王五"), &Value::Null)
    );
    let mut long = body;
    long["uscc"] = json!("91630104MA752K8R2Q");
    long["legal_rep"] = json!("长".repeat(51));
    long["version"] = json!(2);
    let (s, e) = app.send("PATCH", &format!("/api/v1/entities/{id}"), Some(&t), long);
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["legal_rep"].is_string(), "{e}");
    // The pages: the entity form asks for them, the sample page shows them.
    app.user("wangfang", &["sampler"]);
    assert_eq!(login_form(&app, "wangfang", PASSWORD).status(), 303);
    let (s, html) = app.page(&format!("/entities/{id}"));
    assert_eq!(s, 200);
    assert!(html.contains("name=\"legal_rep\"") && html.contains("value=\"王五\""));
    assert!(html.contains("法定代表人/负责人") && html.contains("name=\"annual_sales\""));
}
