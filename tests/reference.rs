//! Reference data over HTTP: regions and population, holidays and calendar years,
//! categories, test items, rule profiles; admin edits with versions and audit rows.

use serde_json::{json, Value};

use crate::support::{Backend, TestApp};
use crate::Test;

pub const TESTS: &[Test] = crate::tests![
    regions_list_the_province_with_census_population,
    an_admin_enters_a_population_figure_and_it_is_audited,
    holidays_include_the_adjusted_working_sunday_of_2025,
    loading_a_new_calendar_year_makes_its_deadlines_exact,
    test_items_keep_their_verification_flag,
    editing_a_test_item_needs_the_current_version,
    rule_profiles_cite_their_articles_and_edits_are_checked,
    openapi_describes_the_endpoints,
    a_test_item_without_a_unit_is_created_with_unit_null_or_left_out,
];

fn regions_list_the_province_with_census_population(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("viewer", &["supervisor"]);
    let (s, v) = app.get("/api/v1/regions", &t);
    assert_eq!(s, 200);
    let regions = v.as_array().unwrap();
    assert_eq!(regions.len(), 54);
    let qh = regions.iter().find(|r| r["code"] == "630000").unwrap();
    assert_eq!(qh["level"], "province");
    assert_eq!(qh["name"], "青海省");
    assert!(qh["population"].as_i64().unwrap() > 5_900_000);
    let county = regions.iter().find(|r| r["code"] == "630104").unwrap();
    assert_eq!(county["parent_code"], "630100");
    assert_eq!(county["level"], "county");
    assert_eq!(county["population"], 326866);
    assert_eq!(county["population_year"], 2020);
    let unknown = regions.iter().filter(|r| r["population"].is_null()).count();
    assert!(unknown > 0);
    let (s, cats) = app.get("/api/v1/categories?domain=food", &t);
    assert_eq!(s, 200);
    assert!(cats
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "01" && c["name"] == "粮食加工品"));
    assert!(cats
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["domain"] == "food"));
}

fn an_admin_enters_a_population_figure_and_it_is_audited(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let sup = app.user_token("sup", &["supervisor"]);
    let path = "/api/v1/regions/632222/population";
    let (s, _) = app.send(
        "PUT",
        path,
        Some(&sup),
        json!({"population": 160000, "year": 2024}),
    );
    assert_eq!(s, 403);
    let (s, e) = app.send(
        "PUT",
        path,
        Some(&admin),
        json!({"population": 0, "year": 2099}),
    );
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["population"].is_string());
    assert!(e["error"]["fields"]["year"].is_string());
    let (s, r) = app.send(
        "PUT",
        path,
        Some(&admin),
        json!({"population": 160000, "year": 2024, "source": "祁连县2024年统计公报"}),
    );
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["population"], 160000);
    assert_eq!(r["population_year"], 2024);
    // An older figure is kept but does not replace the newer one shown.
    let (s, r) = app.send(
        "PUT",
        path,
        Some(&admin),
        json!({"population": 150000, "year": 2020}),
    );
    assert_eq!(s, 200);
    assert_eq!(r["population"], 160000);
    let (s, _) = app.send(
        "PUT",
        "/api/v1/regions/639999/population",
        Some(&admin),
        json!({"population": 1, "year": 2024}),
    );
    assert_eq!(s, 404);
    let rows = lims::workflow::audit::history(&mut app.db.conn(), "region", "632222").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].action, "region.population_set");
}

fn holidays_include_the_adjusted_working_sunday_of_2025(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("viewer", &["technician"]);
    let (s, v) = app.get("/api/v1/holidays?year=2025", &t);
    assert_eq!(s, 200);
    let days = v.as_array().unwrap();
    assert!(days
        .iter()
        .any(|d| d["date"] == "2025-01-26" && d["kind"] == "workday"));
    assert!(days
        .iter()
        .any(|d| d["date"] == "2025-01-28" && d["kind"] == "holiday"));
    assert!(days
        .iter()
        .all(|d| d["date"].as_str().unwrap().starts_with("2025-")));
    // The calendar as the workflow sees it.
    let cal = lims::workflow::reference::work_calendar(&mut app.db.conn()).unwrap();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(cal.is_working_day(d("2025-01-26")));
    assert!(!cal.is_working_day(d("2025-02-04")));
    let dl = cal.add_working_days(d("2025-09-30"), 1);
    assert_eq!(dl.date, d("2025-10-09"));
    assert!(!dl.provisional);
}

fn loading_a_new_calendar_year_makes_its_deadlines_exact(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let cal = lims::workflow::reference::work_calendar(&mut app.db.conn()).unwrap();
    let before = cal.add_working_days(d("2026-12-30"), 3);
    assert!(before.provisional, "2027 is not loaded yet");
    assert_eq!(before.date, d("2027-01-04"));
    let csv = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,holiday,元旦\n";
    let (s, e) = app.send(
        "PUT",
        "/api/v1/calendar-years/2027",
        Some(&admin),
        json!({"source": "", "csv": "date,kind,name\n2026-05-01,holiday,x\n"}),
    );
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["source"].is_string());
    assert!(e["error"]["fields"]["csv"].is_string());
    let (s, v) = app.send(
        "PUT",
        "/api/v1/calendar-years/2027",
        Some(&admin),
        json!({"source": "test notice", "csv": csv}),
    );
    assert_eq!(s, 200, "{v}");
    let cal = lims::workflow::reference::work_calendar(&mut app.db.conn()).unwrap();
    let after = cal.add_working_days(d("2026-12-30"), 3);
    assert!(!after.provisional);
    assert_eq!(after.date, d("2027-01-06"));
    let (_, years) = app.get("/api/v1/calendar-years", &admin);
    assert!(years.as_array().unwrap().iter().any(|y| y["year"] == 2027));
}

fn test_items_keep_their_verification_flag(b: Backend) {
    let app = TestApp::spawn(b);
    let t = app.user_token("viewer", &["technician"]);
    let (s, v) = app.get("/api/v1/test-items?category=01.01", &t);
    assert_eq!(s, 200);
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    let lead = items.iter().find(|i| i["name"] == "铅(以Pb计)").unwrap();
    assert_eq!(lead["limit_kind"], "max");
    assert_eq!(lead["limit_max"], 0.2);
    assert_eq!(lead["limit_max_text"], "0.2");
    assert_eq!(lead["unit"], "mg/kg");
    assert_eq!(lead["verification"], "unverified_limit");
    let (_, all) = app.get("/api/v1/test-items", &t);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["verification"] == "verified"));
}

fn editing_a_test_item_needs_the_current_version(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let (s, item) = app.send(
        "POST",
        "/api/v1/test-items",
        Some(&admin),
        json!({"category_code": "01.01", "name": "测试项目", "method_standard": "GB 5009.1", "judgment_standard": "GB 2762-2022",
               "limit_kind": "max", "limit_max": "0.050", "unit": "mg/kg"}),
    );
    assert_eq!(s, 201, "{item}");
    assert_eq!(item["limit_max_text"], "0.050");
    assert_eq!(item["verification"], "admin_entered");
    let path = format!("/api/v1/test-items/{}", item["id"]);
    let (s, e) = app.send(
        "PATCH",
        &path,
        Some(&admin),
        json!({"limit_kind": "range", "version": 1}),
    );
    assert_eq!(s, 422, "a range needs both limits: {e}");
    assert!(e["error"]["fields"]["limit_min"].is_string());
    let (s, v) = app.send(
        "PATCH",
        &path,
        Some(&admin),
        json!({"limit_max": 0.1, "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["limit_max"], 0.1);
    assert_eq!(v["version"], 2);
    let (s, _) = app.send(
        "PATCH",
        &path,
        Some(&admin),
        json!({"limit_max": 0.3, "version": 1}),
    );
    assert_eq!(s, 409);
    let (s, e) = app.send(
        "POST",
        "/api/v1/test-items",
        Some(&admin),
        json!({"category_code": "99.99", "name": "x", "method_standard": "m", "judgment_standard": "j", "limit_kind": "sometimes", "limit_max": -1, "unit": "mg/kg"}),
    );
    assert_eq!(s, 422);
    for f in ["category_code", "limit_kind", "limit_max"] {
        assert!(e["error"]["fields"][f].is_string(), "{f}: {e}");
    }
    let rows =
        lims::workflow::audit::history(&mut app.db.conn(), "test_item", &item["id"].to_string())
            .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        ["test_item.update", "test_item.create"]
    );
}

fn rule_profiles_cite_their_articles_and_edits_are_checked(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let (s, v) = app.get("/api/v1/rule-profiles", &admin);
    assert_eq!(s, 200);
    let profiles = v.as_array().unwrap();
    let food = profiles
        .iter()
        .find(|p| p["domain"] == "food" && p["plan_kind"] == "supervision")
        .unwrap();
    let rules = food["rules"].as_array().unwrap();
    let report = rules
        .iter()
        .find(|r| r["key"] == "report_after_receipt")
        .unwrap();
    assert_eq!(report["value"], 20);
    assert_eq!(report["unit"], "working_days");
    assert!(report["citation"].as_str().unwrap().contains("24"));
    assert!(rules
        .iter()
        .all(|r| !r["citation"].as_str().unwrap().trim().is_empty()));
    let drug = profiles
        .iter()
        .find(|p| p["domain"] == "drug" && p["plan_kind"] == "supervision")
        .unwrap();
    let drug_report = drug["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "report_after_receipt")
        .unwrap();
    assert_eq!(drug_report["value"], 25);
    let term = |p: &serde_json::Value, k: &str| {
        p["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == k)
            .map(|r| r["value"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        term(drug, "pass_term"),
        "符合规定",
        "drugs use their own vocabulary"
    );
    assert_eq!(term(drug, "fail_term"), "不符合规定");
    assert_eq!(term(food, "fail_term"), "不合格");
    let rm = profiles
        .iter()
        .find(|p| p["domain"] == "food" && p["plan_kind"] == "risk_monitoring")
        .unwrap();
    assert!(rm["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["key"] == "has_backup_portion" && r["value"] == false));

    // Edit: 20 → 15 working days, as GET returned it, with its version.
    let mut edited = food.clone();
    for r in edited["rules"].as_array_mut().unwrap() {
        if r["key"] == "report_after_receipt" {
            r["value"] = json!(15);
        }
    }
    let path = "/api/v1/rule-profiles/food/supervision?reason=provincial%20rule";
    let (s, after) = app.send("PUT", path, Some(&admin), edited.clone());
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["version"], 2);
    let (s, _) = app.send("PUT", path, Some(&admin), edited.clone());
    assert_eq!(s, 409, "the version sent is stale now");
    let mut bad = after.clone();
    bad["rules"][0]["value"] = json!("soon");
    let (s, e) = app.send("PUT", path, Some(&admin), bad);
    assert_eq!(s, 422);
    assert!(e["error"]["fields"]["rules[0].value"].is_string(), "{e}");
    let (s, _) = app.send(
        "PUT",
        "/api/v1/rule-profiles/tea/supervision",
        Some(&admin),
        after.clone(),
    );
    assert_eq!(s, 404);
    let sup = app.user_token("sup", &["supervisor"]);
    assert_eq!(app.send("PUT", path, Some(&sup), after).0, 403);
    let rows =
        lims::workflow::audit::history(&mut app.db.conn(), "rule_profile", "food/supervision")
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reason.as_deref(), Some("provincial rule"));
    assert!(rows[0]
        .before_json
        .as_deref()
        .unwrap()
        .contains("\"value\":20"));
    assert!(rows[0]
        .after_json
        .as_deref()
        .unwrap()
        .contains("\"value\":15"));
}

fn openapi_describes_the_endpoints(b: Backend) {
    let app = TestApp::spawn(b);
    let r = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/regions",
        "/api/v1/regions/{code}/population",
        "/api/v1/categories",
        "/api/v1/test-items",
        "/api/v1/test-items/{id}",
        "/api/v1/holidays",
        "/api/v1/rule-profiles",
        "/api/v1/rule-profiles/{domain}/{plan_kind}",
        "/healthz",
        "/api/v1/openapi.json",
    ] {
        assert!(v["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    assert!(v["components"]["schemas"]["User"].is_object());
}

/// API.md: `POST /api/v1/test-items` takes null for what an item does not have, the
/// unit as well as the limits and the LOD (a qualitative item has no unit).
fn a_test_item_without_a_unit_is_created_with_unit_null_or_left_out(b: Backend) {
    let app = TestApp::spawn(b);
    let admin = app.user_token("root", &["admin"]);
    let base = json!({"category_code": "01.01", "method_standard": "GB 4789.4",
        "judgment_standard": "GB 29921-2021", "limit_kind": "qualitative",
        "limit_min": null, "limit_max": null, "lod": null});
    for (name, unit) in [
        ("沙门氏菌（单位为空）", Some(Value::Null)),
        ("沙门氏菌（无单位）", None),
    ] {
        let mut body = base.clone();
        body["name"] = json!(name);
        if let Some(u) = unit {
            body["unit"] = u;
        }
        let (s, item) = app.send("POST", "/api/v1/test-items", Some(&admin), body.clone());
        assert_eq!(s, 201, "{body}: {item}");
        assert_eq!(item["unit"].as_str().unwrap_or(""), "", "{item}");
    }
    let (s, e) = app.send(
        "POST",
        "/api/v1/test-items",
        Some(&admin),
        json!({"category_code": "01.01", "name": "x", "method_standard": "m",
            "judgment_standard": "j", "limit_kind": "max", "limit_max": "1", "unit": 5}),
    );
    assert_eq!(s, 400, "a unit of the wrong type is still refused: {e}");
}
