//! The lab identity printed on every report, edited by an admin: each change is a new
//! layout version (`db::layouts`), never an edit of an old one.

use base64::Engine;
use chrono::NaiveDateTime;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::layout::{check_png, ImageInput};
use super::to_json;
use crate::db::lab_profile::default_disclaimer;
pub use crate::db::lab_profile::{load as lab_profile, LabProfile};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::workflow::audit::{self, Change};
use crate::workflow::{clean_text, Actor};

/// `PUT /api/v1/settings/lab`. The fields after `version` are optional: one left out
/// keeps the value of the version in force (a client that knows only the first ones
/// keeps working).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabProfileInput {
    pub name: String,
    pub address: String,
    pub cma_no: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub report_title: Option<String>,
    #[serde(default)]
    pub disclaimer: Vec<String>,
    /// The version read (0 while only the defaults exist).
    pub version: i32,
    #[serde(default)]
    pub header_lines: Option<Vec<String>>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub tester_title: Option<String>,
    #[serde(default)]
    pub reviewer_title: Option<String>,
    #[serde(default)]
    pub signatory_title: Option<String>,
    #[serde(default)]
    pub cover_page: Option<bool>,
    /// 1–8 uppercase letters or digits.
    #[serde(default)]
    pub number_prefix: Option<String>,
    #[serde(default)]
    pub notice_contact: Option<String>,
    #[serde(default)]
    pub reexam_where: Option<String>,
    /// The logo as base64 PNG (≤ 256 KB); "" removes it.
    #[serde(default)]
    pub logo_png: Option<String>,
    /// The CMA mark as base64 PNG (≤ 256 KB); "" removes it.
    #[serde(default)]
    pub cma_png: Option<String>,
}

fn image_of(field: &str, v: Option<&str>, errors: &mut FieldErrors) -> ImageInput {
    match v.map(str::trim) {
        None => ImageInput::Keep,
        Some("") => ImageInput::Remove,
        Some(b64) => match base64::engine::general_purpose::STANDARD.decode(b64) {
            Ok(bytes) => ImageInput::Set(bytes),
            Err(_) => {
                errors.insert(
                    field.into(),
                    Msg::new("图片须为 base64 编码的 PNG", "must be a base64 PNG"),
                );
                ImageInput::Keep
            }
        },
    }
}

/// Sets the lab identity printed on reports issued from now on (issued reports keep theirs).
pub fn put_lab_profile(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &LabProfileInput,
) -> AppResult<LabProfile> {
    actor.require(&[Role::Admin])?;
    let mut errors = FieldErrors::new();
    let logo = image_of("logo_png", input.logo_png.as_deref(), &mut errors);
    let cma = image_of("cma_png", input.cma_png.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    save_layout(conn, now, actor, input, logo, cma)
}

/// Checks `input` against the version in force `current` (whose values fill what the
/// input leaves out) and returns the new settings, without storing anything.
pub fn checked(current: &LabProfile, input: &LabProfileInput) -> AppResult<LabProfile> {
    let mut errors = FieldErrors::new();
    let mut check =
        |field: &str, v: &str, max: usize, required: bool| match clean_text(v, max, required) {
            Ok(v) => v,
            Err(m) => {
                errors.insert(field.to_string(), m);
                String::new()
            }
        };
    let keep = |v: &Option<String>, old: &str| v.clone().unwrap_or_else(|| old.to_string());
    let name = check("name", &input.name, 100, true);
    let address = check("address", &input.address, 200, true);
    let cma_no = check("cma_no", &input.cma_no, 100, true);
    let contact = check("contact", &input.contact, 200, false);
    let title = check(
        "report_title",
        input.report_title.as_deref().unwrap_or("检验报告"),
        30,
        true,
    );
    let phone = check("phone", &keep(&input.phone, &current.phone), 50, false);
    let tester_title = check(
        "tester_title",
        &keep(&input.tester_title, &current.tester_title),
        8,
        false,
    );
    let reviewer_title = check(
        "reviewer_title",
        &keep(&input.reviewer_title, &current.reviewer_title),
        8,
        false,
    );
    let signatory_title = check(
        "signatory_title",
        &keep(&input.signatory_title, &current.signatory_title),
        8,
        false,
    );
    let notice_contact = check(
        "notice_contact",
        &keep(&input.notice_contact, &current.notice_contact),
        200,
        false,
    );
    let reexam_where = check(
        "reexam_where",
        &keep(&input.reexam_where, &current.reexam_where),
        300,
        false,
    );
    let mut lines = |field: &str, given: &[String], max: usize, most: usize| {
        let mut out = Vec::new();
        for p in given {
            let p = check(field, p, max, false);
            if !p.is_empty() {
                out.push(p);
            }
        }
        (out, most)
    };
    let (disclaimer, most_d) = lines("disclaimer", &input.disclaimer, 300, 12);
    let header_given = input
        .header_lines
        .clone()
        .unwrap_or_else(|| current.header_lines.clone());
    let (header_lines, most_h) = lines("header_lines", &header_given, 60, 3);
    if disclaimer.len() > most_d {
        errors.insert(
            "disclaimer".into(),
            Msg::new("声明不能超过12条", "at most 12 paragraphs"),
        );
    }
    if header_lines.len() > most_h {
        errors.insert(
            "header_lines".into(),
            Msg::new("抬头行不能超过3行", "at most 3 lines"),
        );
    }
    let prefix = keep(&input.number_prefix, &current.number_prefix)
        .trim()
        .to_string();
    let prefix_ok = (prefix.is_empty() && input.number_prefix.is_none())
        || ((1..=8).contains(&prefix.len())
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if !prefix_ok {
        errors.insert(
            "number_prefix".into(),
            Msg::new(
                "报告编号前缀须为1至8位大写字母或数字",
                "must be 1 to 8 uppercase letters or digits",
            ),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    Ok(LabProfile {
        name,
        address,
        cma_no,
        contact,
        report_title: title,
        disclaimer,
        configured: true,
        version: current.version,
        header_lines,
        phone,
        tester_title,
        reviewer_title,
        signatory_title,
        cover_page: input.cover_page.unwrap_or(current.cover_page),
        number_prefix: prefix,
        notice_contact,
        reexam_where,
        logo_sha256: current.logo_sha256.clone(),
        cma_sha256: current.cma_sha256.clone(),
    })
}

/// The hash an image is stored under after `change` (already checked by the caller).
fn image_after(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    old: Option<String>,
    change: &ImageInput,
) -> AppResult<Option<String>> {
    match change {
        ImageInput::Keep => Ok(old),
        ImageInput::Remove => Ok(None),
        ImageInput::Set(png) => {
            let sha = hex::encode(Sha256::digest(png));
            db::layouts::put_image(conn, &sha, png, now)?;
            Ok(Some(sha))
        }
    }
}

/// Appends a new layout version from `input` and the image changes, if `input.version`
/// is the version in force (else 409); audited as `lab_profile.put`.
pub fn save_layout(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    input: &LabProfileInput,
    logo: ImageInput,
    cma: ImageInput,
) -> AppResult<LabProfile> {
    actor.require(&[Role::Admin])?;
    for (field, change) in [("logo_png", &logo), ("cma_png", &cma)] {
        if let ImageInput::Set(png) = change {
            check_png(png).map_err(|m| AppError::field(field, m))?;
        }
    }
    write_tx(conn, |conn| {
        let before = lab_profile(conn)?;
        if before.version != input.version {
            return Err(AppError::stale());
        }
        let next = checked(&before, input)?;
        let logo_sha = image_after(conn, now, before.logo_sha256.clone(), &logo)?;
        let cma_sha = image_after(conn, now, before.cma_sha256.clone(), &cma)?;
        let version = before.version + 1;
        db::layouts::insert(
            conn,
            version,
            &next.layout(),
            logo_sha.as_deref(),
            cma_sha.as_deref(),
            actor.id,
            now,
        )?;
        let after = lab_profile(conn)?;
        audit::append(
            conn,
            now,
            actor,
            Change {
                action: "lab_profile.put",
                entity_kind: "lab_profile",
                entity_id: version.to_string(),
                before: before.configured.then(|| to_json(&before)).transpose()?,
                after: Some(to_json(&after)?),
                reason: None,
            },
        )?;
        Ok(after)
    })
}

/// Sets a demo lab identity (marked as such) when none is configured; `serve --demo`.
pub fn seed_demo_lab_profile(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<bool> {
    if lab_profile(conn)?.configured {
        return Ok(false);
    }
    let mut system = Actor::system();
    system.roles = crate::domain::role::Roles::from_iter([Role::Admin]);
    put_lab_profile(
        conn,
        now,
        &system,
        &LabProfileInput {
            name: "青海省食品检验检测院（演示）".into(),
            address: "青海省西宁市城西区（演示地址）".into(),
            cma_no: "CMA 资质认定证书编号：演示000000".into(),
            contact: "电话：0971-0000000（演示）".into(),
            report_title: Some("检验报告".into()),
            disclaimer: default_disclaimer(),
            version: 0,
            notice_contact: Some("青海省市场监督管理局食品安全抽检监测处（演示），电话：0971-0000001".into()),
            reexam_where: Some(
                "复检申请向组织抽检的市场监督管理部门提出（演示地址：西宁市城中区）；异议向同一部门书面提出并附相关证明材料。".into(),
            ),
            ..LabProfileInput::default()
        },
    )?;
    Ok(true)
}
