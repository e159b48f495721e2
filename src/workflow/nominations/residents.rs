//! What residents do without an account: submit a nomination, track it, support it.

use chrono::NaiveDateTime;

use super::{not_found, status_of, tracked, NominationInput, Tracked};
use super::{CONTACT_MAX, PLACE_MAX, PRODUCT_MAX, REASON_MAX};
use crate::db::nominations::{self as rows, NewNomination, NominationRow};
use crate::db::{write_tx, DbConnection};
use crate::domain::local_time::local_date;
use crate::domain::nomination::{parse_tracking_code, valid_contact, NominationStatus};
use crate::domain::region::RegionCode;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor};

/// The nomination with this tracking code as typed, or 404.
fn by_code(conn: &mut DbConnection, code: &str) -> AppResult<NominationRow> {
    let code = parse_tracking_code(code).ok_or_else(not_found)?;
    rows::by_code(conn, &code)?.ok_or_else(not_found)
}

/// The nomination `id`, which the caller knows is there.
fn reread(conn: &mut DbConnection, id: i64) -> AppResult<NominationRow> {
    rows::by_id(conn, id)?.ok_or_else(not_found)
}

/// The checked fields of a submission, every problem at once.
fn checked(conn: &mut DbConnection, input: &NominationInput) -> AppResult<NominationInput> {
    let mut errors = FieldErrors::new();
    let mut text =
        |name: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(t) => t,
            Err(m) => {
                errors.insert(name.to_string(), m);
                String::new()
            }
        };
    let product = text("product", &input.product, PRODUCT_MAX, true);
    let place = text("place", &input.place, PLACE_MAX, true);
    let reason = text("reason", &input.reason, REASON_MAX, false);
    let contact = text(
        "contact",
        input.contact.as_deref().unwrap_or(""),
        CONTACT_MAX,
        false,
    );
    if !contact.is_empty() && !valid_contact(&contact) && !errors.contains_key("contact") {
        errors.insert(
            "contact".to_string(),
            Msg::new(
                "联系方式应为手机号码或电子邮箱",
                "must be a mobile number or an e-mail address",
            ),
        );
    }
    let region = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if let Some(r) = &region {
        let known = RegionCode::parse(r).is_ok() && crate::db::reference::region_exists(conn, r)?;
        if !known {
            errors.insert(
                "region_code".to_string(),
                Msg::new("行政区划不存在", "is not a known region"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(NominationInput {
        product,
        place,
        reason,
        region_code: region,
        contact: (!contact.is_empty()).then_some(contact),
    })
}

/// A resident submits a nomination (no account). `code` is a fresh tracking code from
/// `domain::nomination::tracking_code`; the answer carries it for the resident to keep.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    input: &NominationInput,
) -> AppResult<Tracked> {
    let i = checked(conn, input)?;
    write_tx(conn, |conn| {
        let id = rows::insert(
            conn,
            now,
            &NewNomination {
                tracking_code: code,
                product: &i.product,
                place: &i.place,
                region_code: i.region_code.as_deref(),
                reason: &i.reason,
                contact: i.contact.as_deref(),
                status: NominationStatus::Received.as_str(),
            },
        )?;
        audit::append(
            conn,
            now,
            &public_actor(),
            Change {
                action: "nomination.submit",
                entity_kind: "nomination",
                entity_id: id.to_string(),
                before: None,
                // The contact stays out of the audit trail's readable fields.
                after: Some(serde_json::json!({
                    "tracking_code": code, "product": i.product, "place": i.place,
                    "region_code": i.region_code, "reason": i.reason,
                    "contact_given": i.contact.is_some(),
                })),
                reason: None,
            },
        )?;
        let row = reread(conn, id)?;
        tracked(conn, row)
    })
}

/// The actor recorded for what residents do without an account.
fn public_actor() -> Actor {
    Actor {
        id: None,
        username: "public".to_string(),
        display_name: "public".to_string(),
        roles: Default::default(),
        region: None,
    }
}

/// The public tracking page of one nomination.
pub fn track(conn: &mut DbConnection, code: &str) -> AppResult<Tracked> {
    let row = by_code(conn, code)?;
    tracked(conn, row)
}

/// The nominations residents can still support, most supported first (at most 200).
pub fn open_for_support(conn: &mut DbConnection) -> AppResult<Vec<Tracked>> {
    let open: Vec<&str> = NominationStatus::ALL
        .into_iter()
        .filter(|s| s.open_for_support())
        .map(NominationStatus::as_str)
        .collect();
    let found = rows::most_supported(conn, &open, 200)?;
    found.into_iter().map(|r| tracked(conn, r)).collect()
}

/// How many supports one client address may give one nomination in a day (Asia/Shanghai):
/// a household or an office shares an address, a script on one address gets no further.
pub const SUPPORTS_PER_ADDRESS_PER_DAY: i32 = 5;

/// A resident supports a nomination; one device counts once (`device` is the hash of the
/// device's identifier, which the server issued). At most
/// [`SUPPORTS_PER_ADDRESS_PER_DAY`] supports a day from one client address (`client`,
/// a keyed hash of it) for one nomination (429 beyond), counted in the database so the
/// limit holds across instances. Answers the nomination and whether this support was new.
pub fn support(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    code: &str,
    device: &str,
    client: &str,
) -> AppResult<(Tracked, bool)> {
    let row = by_code(conn, code)?;
    if !status_of(&row)?.open_for_support() {
        return Err(AppError::Conflict(Msg::new(
            "该建议已办结，不再接受支持",
            "This nomination is closed to support",
        )));
    }
    write_tx(conn, |conn| {
        let day = local_date(now);
        if rows::count_support(conn, row.id, client, day)? > SUPPORTS_PER_ADDRESS_PER_DAY {
            // The count rolls back with the refusal.
            return Err(AppError::RateLimited(Msg::new(
                format!(
                    "同一网络地址每天对同一建议最多支持 {SUPPORTS_PER_ADDRESS_PER_DAY} 次，请明天再试"
                ),
                format!(
                    "One network address may support a nomination at most {SUPPORTS_PER_ADDRESS_PER_DAY} times a day; try again tomorrow"
                ),
            )));
        }
        let new = rows::add_support(conn, row.id, device, now)?;
        if new {
            rows::add_to_supports(conn, row.id, 1)?;
        }
        let fresh = reread(conn, row.id)?;
        Ok((tracked(conn, fresh)?, new))
    })
}
