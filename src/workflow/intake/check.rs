//! The checks of a sample as a sampler registers or edits it: its fields, its
//! samplers, its plan, entity and category, the backup portion the rule profile asks
//! for, and the actor's region scope.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};

use super::{local_date, opt_text, parse_enum, plan_in_reach, text_field, Entity, Plan};
use crate::db::{self, DbConnection};
use crate::domain::licence::licence_error;
use crate::domain::region::{scope_covers, RegionCode};
use crate::domain::role::{Role, Roles};
use crate::domain::rules::{Domain, PlanKind};
use crate::domain::sample::{check_quantity, Stage, Storage};
use crate::domain::sample_fields::{
    parse_vocab, AreaType, Packaging, PhysicalForm, SampleSource, SamplingMethod, Vocabulary,
};
use crate::error::{AppError, AppResult, FieldErrors, Msg};
use crate::forms::{QuantityValue, SampleInput};
use crate::workflow::Actor;

/// The checked values of a sample, ready to store.
pub(super) struct CheckedSample {
    /// The rule profile of the sample's domain and plan kind, read once.
    pub(super) profile: Option<crate::domain::rules::RuleProfile>,
    pub(super) plan: Plan,
    pub(super) entity: Entity,
    pub(super) domain: Domain,
    pub(super) category_code: String,
    pub(super) product_name: String,
    pub(super) brand: Option<String>,
    pub(super) specification: Option<String>,
    pub(super) batch_no: Option<String>,
    pub(super) shelf_life: Option<String>,
    pub(super) manufacturer: Option<String>,
    pub(super) manufacturer_address: Option<String>,
    pub(super) stage: Stage,
    pub(super) sampled_at: NaiveDateTime,
    pub(super) place: Option<String>,
    pub(super) samplers: Vec<i64>,
    pub(super) quantity: String,
    pub(super) unit: String,
    pub(super) backup_quantity: Option<String>,
    pub(super) storage: Storage,
    pub(super) price: Option<String>,
    pub(super) notes: Option<String>,
    pub(super) form: FormFields,
}

/// The national sampling form's fields of a sample, checked; all optional.
pub(super) struct FormFields {
    pub(super) base_quantity: Option<String>,
    pub(super) standard: Option<String>,
    pub(super) manufacturer_licence_no: Option<String>,
    pub(super) packaging: Option<Packaging>,
    pub(super) sample_form: Option<PhysicalForm>,
    pub(super) sample_attribute: Option<String>,
    pub(super) sample_source: Option<SampleSource>,
    pub(super) sampling_method: Option<SamplingMethod>,
    pub(super) unit_price: Option<String>,
    pub(super) area_type: Option<AreaType>,
    pub(super) approval_no: Option<String>,
    pub(super) expiry_date: Option<NaiveDate>,
    pub(super) mah: Option<String>,
    pub(super) dosage_form: Option<String>,
}

/// A vocabulary's key, if one was given (an empty one is none); an unknown key is a
/// message that names the field and its choices in words.
fn vocab<T: Vocabulary>(f: &mut FieldErrors, field: &str, v: &Option<String>) -> Option<T> {
    let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    match parse_vocab::<T>(v) {
        Ok(x) => Some(x),
        Err(m) => {
            f.insert(field.to_string(), m);
            None
        }
    }
}

/// An amount of money as written: "0" or a positive decimal; none if not given.
fn money(f: &mut FieldErrors, field: &str, v: &Option<QuantityValue>) -> Option<String> {
    let t = v.as_ref()?.text();
    let ok = t.trim() == "0" || check_quantity(&t).is_some();
    if !ok {
        f.insert(
            field.to_string(),
            Msg::new("价格应为非负数", "must be a number ≥ 0"),
        );
    }
    Some(t.trim().to_string()).filter(|_| ok)
}

/// The national form's fields: texts within their lengths, the vocabularies' keys, the
/// producer's licence number where it claims a format, the unit price, and an expiry
/// date not before the production date.
fn check_form_fields(f: &mut FieldErrors, i: &SampleInput) -> FormFields {
    let manufacturer_licence_no =
        opt_text(f, "manufacturer_licence_no", &i.manufacturer_licence_no, 40);
    if let Some(err) = manufacturer_licence_no.as_deref().and_then(licence_error) {
        f.insert(
            "manufacturer_licence_no".into(),
            Msg::new(
                err,
                "does not match the licence number format (SC/JY + 14 digits)",
            ),
        );
    }
    let expiry_date = i.expiry_date;
    match (expiry_date, i.production_date) {
        (Some(e), Some(p)) if e < p => {
            f.insert(
                "expiry_date".into(),
                Msg::new(
                    "有效期不能早于生产日期",
                    "must not be before the production date",
                ),
            );
        }
        (Some(e), _) if e.year() < 1990 => {
            f.insert(
                "expiry_date".into(),
                Msg::new("有效期无效", "is not a plausible date"),
            );
        }
        _ => {}
    }
    FormFields {
        base_quantity: opt_text(f, "base_quantity", &i.base_quantity, 50),
        standard: opt_text(f, "standard", &i.standard, 200),
        manufacturer_licence_no,
        packaging: vocab(f, "packaging", &i.packaging),
        sample_form: vocab(f, "sample_form", &i.sample_form),
        sample_attribute: opt_text(f, "sample_attribute", &i.sample_attribute, 100),
        sample_source: vocab(f, "sample_source", &i.sample_source),
        sampling_method: vocab(f, "sampling_method", &i.sampling_method),
        unit_price: money(f, "unit_price", &i.unit_price),
        area_type: vocab(f, "area_type", &i.area_type),
        approval_no: opt_text(f, "approval_no", &i.approval_no, 100),
        expiry_date,
        mah: opt_text(f, "mah", &i.mah, 200),
        dosage_form: opt_text(f, "dosage_form", &i.dosage_form, 50),
    }
}

pub(super) fn check_sample(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: &Actor,
    i: &SampleInput,
) -> AppResult<CheckedSample> {
    let mut f = FieldErrors::new();
    let product_name = text_field(&mut f, "product_name", &i.product_name, 200, true);
    let brand = opt_text(&mut f, "brand", &i.brand, 100);
    let specification = opt_text(&mut f, "specification", &i.specification, 100);
    let batch_no = opt_text(&mut f, "batch_no", &i.batch_no, 100);
    let shelf_life = opt_text(&mut f, "shelf_life", &i.shelf_life, 50);
    let manufacturer = opt_text(&mut f, "manufacturer", &i.manufacturer, 200);
    let manufacturer_address =
        opt_text(&mut f, "manufacturer_address", &i.manufacturer_address, 300);
    let place = opt_text(&mut f, "place", &i.place, 300);
    let notes = opt_text(&mut f, "notes", &i.notes, 2000);
    let unit = text_field(&mut f, "unit", &i.unit, 20, true);
    let domain = parse_enum::<Domain>(&mut f, "domain", &i.domain);
    let stage = parse_enum::<Stage>(&mut f, "stage", &i.stage);
    let storage = parse_enum::<Storage>(&mut f, "storage", &i.storage);
    let quantity = check_quantity(&i.quantity.text()).unwrap_or_else(|| {
        f.insert(
            "quantity".into(),
            Msg::new("数量应为大于0的数", "must be a number greater than 0"),
        );
        String::new()
    });
    let backup_quantity = match &i.backup_quantity {
        Some(q) => check_quantity(&q.text()).map(Some).unwrap_or_else(|| {
            f.insert(
                "backup_quantity".into(),
                Msg::new("数量应为大于0的数", "must be a number greater than 0"),
            );
            None
        }),
        None => None,
    };
    let price = money(&mut f, "price", &i.price);
    let form = check_form_fields(&mut f, i);
    let sampled_at = i.sampled_at.with_timezone(&Utc).naive_utc();
    if sampled_at > now + chrono::Duration::minutes(10) {
        f.insert(
            "sampled_at".into(),
            Msg::new("抽样时间不能晚于现在", "must not be in the future"),
        );
    } else if sampled_at < now - chrono::Duration::days(366) {
        f.insert(
            "sampled_at".into(),
            Msg::new("抽样时间过早（超过一年）", "is more than a year ago"),
        );
    }
    if let Some(pd) = i.production_date {
        if pd > local_date(sampled_at) {
            f.insert(
                "production_date".into(),
                Msg::new(
                    "生产日期不能晚于抽样日期",
                    "must not be after the sampling date",
                ),
            );
        } else if pd.year() < 1990 {
            f.insert(
                "production_date".into(),
                Msg::new("生产日期无效", "is not a plausible date"),
            );
        }
    }
    // Samplers: at least two different, active users holding the sampler role.
    let mut samplers: Vec<i64> = Vec::new();
    for id in &i.sampler_ids {
        if !samplers.contains(id) {
            samplers.push(*id);
        }
    }
    if samplers.len() < 2 {
        f.insert(
            "sampler_ids".into(),
            Msg::new("至少需要两名抽样人员", "needs at least two samplers"),
        );
    } else if samplers.len() > 10 {
        f.insert(
            "sampler_ids".into(),
            Msg::new("抽样人员过多", "too many samplers"),
        );
    } else {
        let found = db::users::roles_of(conn, &samplers)?;
        let bad: Vec<String> = samplers
            .iter()
            .filter(|id| {
                !found.iter().any(|(uid, roles, active)| {
                    uid == *id
                        && *active
                        && Roles::parse_list(roles).is_ok_and(|r| r.has(Role::Sampler))
                })
            })
            .map(|id| id.to_string())
            .collect();
        if !bad.is_empty() {
            f.insert(
                "sampler_ids".into(),
                Msg::new(
                    format!("以下用户不是在职的抽样人员：{}", bad.join("、")),
                    format!("these are not active samplers: {}", bad.join(", ")),
                ),
            );
        }
    }
    // The plan, the entity and the category.
    let plan = db::plans::find(conn, i.plan_id)?;
    if plan.is_none() {
        f.insert(
            "plan_id".into(),
            Msg::new("没有这个抽检计划", "no such plan"),
        );
    }
    let entity = db::entities::find(conn, i.entity_id)?;
    if entity.is_none() {
        f.insert(
            "entity_id".into(),
            Msg::new("没有这个被抽样单位", "no such entity"),
        );
    }
    let category = db::reference::category_domain(conn, i.category_code.trim())?;
    match (&category, domain) {
        (None, _) => {
            f.insert(
                "category_code".into(),
                Msg::new("没有这个类别", "no such category"),
            );
        }
        (Some(cd), Some(d)) if cd != d.as_str() => {
            f.insert(
                "category_code".into(),
                Msg::new("类别与领域不符", "belongs to another domain"),
            );
        }
        _ => {}
    }
    let plan_kind = plan.as_ref().and_then(|p| p.kind.parse::<PlanKind>().ok());
    if let (Some(p), Some(d)) = (&plan, domain) {
        if p.domain != d.as_str() {
            f.insert(
                "domain".into(),
                Msg::new("与抽检计划的领域不符", "does not match the plan's domain"),
            );
        }
    }
    // The backup portion follows the rule profile (risk monitoring has none).
    let profile = match (domain, plan_kind) {
        (Some(d), Some(k)) => db::reference::get_profile(conn, d, k)?.map(|p| p.profile()),
        _ => None,
    };
    if let (Some(_), Some(_)) = (domain, plan_kind) {
        let has_backup = profile
            .as_ref()
            .and_then(|p| p.flag("has_backup_portion"))
            .unwrap_or(true);
        match (has_backup, &backup_quantity) {
            (true, None) if !f.contains_key("backup_quantity") => {
                f.insert(
                    "backup_quantity".into(),
                    Msg::new(
                        "须填写复检备份样品数量",
                        "is required: this plan keeps a backup portion",
                    ),
                );
            }
            (false, Some(_)) => {
                f.insert(
                    "backup_quantity".into(),
                    Msg::new(
                        "风险监测不留复检备份样品",
                        "must be empty: this plan keeps no backup portion",
                    ),
                );
            }
            _ => {}
        }
    }
    let (Some(plan), Some(entity), Some(domain), Some(_), Some(stage), Some(storage), true) = (
        plan,
        entity,
        domain,
        plan_kind,
        stage,
        storage,
        f.is_empty(),
    ) else {
        return Err(AppError::invalid(f));
    };
    // Region scope: the plan must be one the user works, the entity in its region.
    if !plan_in_reach(actor, &plan.region_code) {
        return Err(AppError::Forbidden(Msg::new(
            "该抽检计划不属于您的管辖区域",
            "This plan belongs to another region",
        )));
    }
    let entity_region = RegionCode::parse(&entity.region_code)
        .map_err(|_| AppError::internal("bad entity region"))?;
    if !scope_covers(actor.region.as_ref(), &entity_region) {
        return Err(AppError::Forbidden(Msg::new(
            "该被抽样单位不在您的管辖区域",
            "This entity is outside your region scope",
        )));
    }
    Ok(CheckedSample {
        profile,
        plan,
        entity,
        domain,
        category_code: i.category_code.trim().to_string(),
        product_name,
        brand,
        specification,
        batch_no,
        shelf_life,
        manufacturer,
        manufacturer_address,
        stage,
        sampled_at,
        place,
        samplers,
        quantity,
        unit,
        backup_quantity,
        storage,
        price,
        notes,
        form,
    })
}
