//! The OpenAPI description, generated from the handlers' annotations and the types
//! they take and return.

use actix_web::HttpResponse;
use utoipa::OpenApi;

use crate::web::{
    api, disposal_api, intake_api, lab_api, labels, reports_api, retention_api, stats_api,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lims API",
        version = "1",
        description = "Food and drug sampling inspection LIMS. See API.md."
    ),
    paths(
        api::healthz,
        api::login,
        api::logout,
        api::me,
        api::list_users,
        api::create_user,
        api::get_user,
        api::update_user,
        api::list_regions,
        api::set_population,
        api::list_categories,
        api::list_test_items,
        api::get_test_item,
        api::create_test_item,
        api::update_test_item,
        api::list_holidays,
        api::list_calendar_years,
        api::load_calendar_year,
        api::list_profiles,
        api::put_profile,
        api::verify_audit,
        intake_api::list_plans,
        intake_api::create_plan,
        intake_api::get_plan,
        intake_api::update_plan,
        intake_api::list_entities,
        intake_api::create_entity,
        intake_api::get_entity,
        intake_api::update_entity,
        intake_api::list_samples,
        intake_api::register_sample,
        intake_api::get_sample,
        intake_api::update_sample,
        intake_api::receive,
        intake_api::scan,
        labels::list_templates,
        labels::sample_labels_pdf,
        labels::sample_labels_zpl,
        labels::sample_label_svg,
        labels::batch_pdf,
        labels::sampling_form_pdf,
        lab_api::assign,
        lab_api::sample_tests,
        lab_api::list_tests,
        lab_api::update_test,
        lab_api::remove_test,
        lab_api::enter_result,
        lab_api::enter_results,
        lab_api::review,
        lab_api::attempts,
        lab_api::approve,
        lab_api::timeline,
        retention_api::set_place,
        retention_api::get_retention,
        retention_api::discard,
        retention_api::discardable,
        reports_api::list_reports,
        reports_api::get_report,
        reports_api::revoke,
        reports_api::publish,
        reports_api::unpublish,
        reports_api::sample_reports,
        reports_api::notice_pdf,
        reports_api::get_lab,
        reports_api::put_lab,
        reports_api::create_batch,
        reports_api::batch_status,
        reports_api::batch_download,
        reports_api::verify,
        reports_api::public_results,
        disposal_api::list,
        disposal_api::get,
        disposal_api::record_event,
        disposal_api::request_extension,
        disposal_api::approve_extension,
        disposal_api::reopen,
        disposal_api::stats,
        disposal_api::reminders,
        stats_api::sampling_rate,
        stats_api::summary,
        stats_api::quality,
        stats_api::lab,
        stats_api::coverage,
    )
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
