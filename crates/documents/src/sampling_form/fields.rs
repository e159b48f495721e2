//! What each domain's form prints: its title and its table rows, label by label. Food
//! follows the national food system's field set (docs/domain/rules.md §c.3); drugs print
//! the drug sampling record (药品抽样记录及凭证) and cosmetics the cosmetic one, with the
//! terms of docs/domain/rules.md §f instead of the food wording.

use super::{FormKind, SamplingForm};

/// A table row: a section heading, two label/value pairs, or one pair across the width.
pub(super) enum Row {
    Section(&'static str),
    Pair((&'static str, String), (&'static str, String)),
    Wide(&'static str, String),
}

/// The form's title for its domain.
pub(super) fn title(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Food => "食品安全抽样检验抽样单",
        FormKind::Drug => "药品抽样记录及凭证",
        FormKind::Cosmetic => "化妆品抽样记录及凭证",
    }
}

/// What a reader sees for a value nobody gave: "/", as on paper forms.
fn v(s: &str) -> String {
    if s.trim().is_empty() {
        "/".to_string()
    } else {
        s.trim().to_string()
    }
}

fn o(s: &Option<String>) -> String {
    v(s.as_deref().unwrap_or(""))
}

fn samplers(f: &SamplingForm) -> String {
    let names: Vec<&str> = f
        .samplers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    v(&names.join("、"))
}

/// The rows of `f`'s form, chosen by its kind.
pub(super) fn rows(f: &SamplingForm) -> Vec<Row> {
    let mut rows = vec![
        Row::Section("抽检任务"),
        Row::Pair(("任务编号", v(&f.plan_code)), ("抽检类型", v(&f.plan_kind))),
        Row::Pair(
            ("任务名称", v(&f.plan_name)),
            ("任务级别", v(&f.plan_level)),
        ),
    ];
    rows.extend(entity_rows(f));
    rows.extend(match f.kind {
        FormKind::Food => food_product(f),
        FormKind::Drug => drug_product(f),
        FormKind::Cosmetic => cosmetic_product(f),
    });
    rows.extend(sampling_rows(f));
    rows
}

fn entity_rows(f: &SamplingForm) -> Vec<Row> {
    use Row::*;
    let mut rows = vec![
        Section("被抽样单位信息"),
        Wide("单位名称", v(&f.entity_name)),
        Wide("单位地址", v(&f.entity_address)),
        Pair(
            ("统一社会信用代码", v(&f.entity_uscc)),
            ("许可证号", o(&f.entity_licence_no)),
        ),
        Pair(
            ("法定代表人/负责人", o(&f.entity_legal_rep)),
            ("联系人/电话", o(&f.entity_contact)),
        ),
    ];
    if f.kind == FormKind::Food {
        rows.push(Pair(
            ("单位类型", v(&f.entity_kind)),
            ("年销售额", o(&f.entity_annual_sales)),
        ));
        rows.push(Pair(
            ("抽样地点", v(&f.sampling_place)),
            ("区域类型", o(&f.area_type)),
        ));
    } else {
        rows.push(Pair(
            ("单位类型", v(&f.entity_kind)),
            ("抽样地点", v(&f.sampling_place)),
        ));
    }
    rows
}

fn food_product(f: &SamplingForm) -> Vec<Row> {
    use Row::*;
    vec![
        Section("样品信息"),
        Pair(
            ("样品名称", v(&f.product_name)),
            ("食品类别", v(&f.category)),
        ),
        Pair(("商标", o(&f.brand)), ("规格型号", o(&f.specification))),
        Pair(
            ("生产日期", o(&f.production_date)),
            ("批号", o(&f.batch_no)),
        ),
        Pair(
            ("保质期", o(&f.shelf_life)),
            ("执行标准/技术文件", o(&f.standard)),
        ),
        Pair(
            ("样品来源", o(&f.sample_source)),
            ("样品属性", o(&f.sample_attribute)),
        ),
        Pair(
            ("样品形态", o(&f.sample_form)),
            ("包装分类", o(&f.packaging)),
        ),
        Pair(("贮存条件", v(&f.storage)), ("单价", o(&f.unit_price))),
        Wide("标称生产者", o(&f.manufacturer)),
        Wide("生产者地址", o(&f.manufacturer_address)),
        Wide("生产许可证号", o(&f.manufacturer_licence_no)),
    ]
}

fn drug_product(f: &SamplingForm) -> Vec<Row> {
    use Row::*;
    vec![
        Section("药品信息"),
        Pair(
            ("药品名称", v(&f.product_name)),
            ("剂型", o(&f.dosage_form)),
        ),
        Pair(
            ("规格", o(&f.specification)),
            ("批准文号", o(&f.approval_no)),
        ),
        Pair(
            ("批号", o(&f.batch_no)),
            ("生产日期", o(&f.production_date)),
        ),
        Pair(("有效期", o(&f.expiry_date)), ("包装", o(&f.packaging))),
        Pair(("执行标准", o(&f.standard)), ("贮存条件", v(&f.storage))),
        Wide("上市许可持有人", o(&f.mah)),
        Wide("生产企业", o(&f.manufacturer)),
        Wide("生产企业地址", o(&f.manufacturer_address)),
        Pair(("药品类别", v(&f.category)), ("单价", o(&f.unit_price))),
    ]
}

fn cosmetic_product(f: &SamplingForm) -> Vec<Row> {
    use Row::*;
    vec![
        Section("化妆品信息"),
        Pair(("化妆品名称", v(&f.product_name)), ("商标", o(&f.brand))),
        Pair(("规格", o(&f.specification)), ("类别", v(&f.category))),
        Wide("注册证编号/\n备案编号", o(&f.approval_no)),
        Wide("注册人/备案人", o(&f.mah)),
        Wide("生产企业", o(&f.manufacturer)),
        Wide("生产企业地址", o(&f.manufacturer_address)),
        Pair(
            ("生产许可证号", o(&f.manufacturer_licence_no)),
            ("执行标准/技术要求", o(&f.standard)),
        ),
        Pair(
            ("批号", o(&f.batch_no)),
            ("生产日期", o(&f.production_date)),
        ),
        Pair(
            ("限期使用日期", o(&f.expiry_date)),
            ("贮存条件", v(&f.storage)),
        ),
        Pair(("包装分类", o(&f.packaging)), ("单价", o(&f.unit_price))),
    ]
}

fn sampling_rows(f: &SamplingForm) -> Vec<Row> {
    use Row::*;
    vec![
        Section("抽样信息"),
        Pair(("抽样环节", v(&f.stage)), ("抽样时间", v(&f.sampled_at))),
        Pair(
            ("抽样方式", o(&f.sampling_method)),
            ("抽样基数/批量", o(&f.base_quantity)),
        ),
        Pair(
            ("抽样数量", v(&f.inspection_quantity)),
            ("备样数量", o(&f.backup_quantity)),
        ),
        Pair(("购样费用", o(&f.price)), ("抽样人员", samplers(f))),
        Wide("抽样单位", v(&f.sampling_unit)),
        Pair(
            ("承检机构", o(&f.lab_name)),
            ("寄送截止日期", o(&f.send_by)),
        ),
        Wide("承检机构地址", o(&f.lab_address)),
        Wide("备注", o(&f.notes)),
    ]
}
