//! The words of the pages in both UI languages. Chinese (zh-CN) is the default; every
//! key has both. A tidy test checks that every key a template uses is here.

use crate::error::Lang;

/// (key, 中文, English)
pub const WORDS: &[(&str, &str, &str)] = &[
    ("app.name", "食品药品抽样检验系统", "Food & Drug Sampling Inspection LIMS"),
    ("app.short", "抽检LIMS", "LIMS"),
    ("nav.home", "首页", "Home"),
    ("nav.users", "用户", "Users"),
    ("nav.regions", "行政区划与人口", "Regions & population"),
    ("nav.holidays", "节假日", "Holidays"),
    ("nav.rules", "规则配置", "Rule profiles"),
    ("nav.test_items", "检验项目", "Test items"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.logout", "退出", "Log out"),
    ("nav.login", "登录", "Log in"),
    ("nav.search", "样品编号、报告编号、单位名称或信用代码", "Sample no., report no., entity name or USCC"),
    ("nav.lang_switch", "English", "中文"),
    ("common.save", "保存", "Save"),
    ("common.create", "新建", "Create"),
    ("common.edit", "编辑", "Edit"),
    ("common.back", "返回", "Back"),
    ("common.yes", "是", "Yes"),
    ("common.no", "否", "No"),
    ("common.none", "无", "None"),
    ("common.unknown", "未知", "unknown"),
    ("common.version", "版本", "Version"),
    ("common.reason", "修改原因", "Reason for the change"),
    ("common.saved", "已保存", "Saved"),
    ("common.whole_province", "全省", "Whole province"),
    ("common.actions", "操作", "Actions"),
    ("common.error", "出错了", "Something went wrong"),
    ("common.source", "来源", "Source"),
    ("common.year", "年份", "Year"),
    ("common.note", "备注", "Note"),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("home.title", "工作台", "Dashboard"),
    ("home.roles", "角色", "Roles"),
    ("home.scope", "管辖区域", "Region scope"),
    ("home.can_do", "您可以", "What you can do"),
    ("home.coming", "将在后续版本提供", "coming in a later release"),
    ("home.setup", "系统配置状态", "Setup health"),
    ("home.calendar_years", "已加载的节假日年份", "Calendar years loaded"),
    ("home.calendar_missing", "尚未加载本年或下一年的官方节假日安排：相关期限将按周一至周五临时计算并标注“暂定”。", "This or next year's official holiday calendar is not loaded: deadlines reaching into it are counted Monday to Friday and marked provisional."),
    ("home.population_missing", "缺少人口数据的行政区划", "Regions without a population figure"),
    ("home.unverified_items", "限量值未经核实的检验项目", "Test items whose limit is unverified"),
    ("role.sampler.does", "登记被抽样单位和样品，打印标签和抽样单", "Register entities and samples, print labels and sampling forms"),
    ("role.custodian.does", "扫码接收样品、拒收、留样管理", "Receive samples by scan, reject, keep backup portions"),
    ("role.technician.does", "处理检验任务、录入结果", "Work your test list and enter results"),
    ("role.reviewer.does", "审核检验结果或退回复测", "Review results or send them back for retest"),
    ("role.signatory.does", "批准并签发检验报告", "Approve samples and issue reports"),
    ("role.supervisor.does", "跟踪核查处置、查看统计、管理计划", "Follow disposal cases, statistics and plans"),
    ("role.admin.does", "管理用户、行政区划与人口、节假日、规则和检验项目", "Manage users, regions and population, holidays, rules and test items"),
    ("users.title", "用户管理", "Users"),
    ("users.new", "新建用户", "New user"),
    ("users.username", "用户名", "Username"),
    ("users.display_name", "姓名", "Name"),
    ("users.password", "密码", "Password"),
    ("users.password_keep", "留空则不修改", "leave empty to keep"),
    ("users.roles", "角色", "Roles"),
    ("users.region", "管辖区域", "Region scope"),
    ("users.active", "启用", "Active"),
    ("users.inactive", "已停用", "Deactivated"),
    ("users.edit", "编辑用户", "Edit user"),
    ("regions.title", "行政区划与常住人口", "Regions and resident population"),
    ("regions.code", "代码", "Code"),
    ("regions.name", "名称", "Name"),
    ("regions.level", "级别", "Level"),
    ("regions.population", "常住人口", "Resident population"),
    ("regions.population_year", "人口年份", "Figure's year"),
    ("regions.set", "录入人口", "Enter population"),
    ("level.province", "省", "Province"),
    ("level.prefecture", "市州", "Prefecture"),
    ("level.county", "县区", "County"),
    ("holidays.title", "节假日与调休", "Holidays and adjusted working days"),
    ("holidays.loaded_years", "已加载年份", "Years loaded"),
    ("holidays.date", "日期", "Date"),
    ("holidays.kind", "类型", "Kind"),
    ("holidays.name", "名称", "Name"),
    ("holidays.kind.holiday", "放假", "Holiday"),
    ("holidays.kind.workday", "调休上班", "Adjusted working day"),
    ("holidays.load", "加载某一年的官方安排", "Load a year's official calendar"),
    ("holidays.csv_help", "每行：日期,类型(holiday/workday),名称；首行为表头 date,kind,name。将替换该年已有数据。", "One row per day: date,kind(holiday/workday),name; first line the header date,kind,name. Replaces that year's rows."),
    ("rules.title", "规则配置", "Rule profiles"),
    ("rules.domain", "领域", "Domain"),
    ("rules.plan_kind", "计划类型", "Plan kind"),
    ("rules.key", "规则", "Rule"),
    ("rules.value", "值", "Value"),
    ("rules.unit", "单位", "Unit"),
    ("rules.calendar", "日历", "Calendar"),
    ("rules.citation", "依据", "Citation"),
    ("rules.edit", "编辑规则", "Edit rules"),
    ("items.title", "检验项目", "Test items"),
    ("items.category", "类别", "Category"),
    ("items.name", "项目", "Item"),
    ("items.method", "检验方法", "Method standard"),
    ("items.judgment", "判定依据", "Judgment standard"),
    ("items.limit_kind", "判定方式", "Limit kind"),
    ("items.limit_min", "下限", "Lower limit"),
    ("items.limit_max", "上限", "Upper limit"),
    ("items.unit", "单位", "Unit"),
    ("items.lod", "检出限", "LOD"),
    ("items.verification", "核实状态", "Verification"),
    ("items.unverified_warning", "未核实：判定前请对照标准原文核对限量值", "Unverified: check the limit against the standard's text before judging"),
    ("items.all", "全部类别", "All categories"),
    ("items.filter", "筛选", "Filter"),
    ("items.new", "新增检验项目", "New test item"),
    ("nav.new_sample", "登记样品", "New sample"),
    ("nav.samples", "样品", "Samples"),
    ("nav.entities", "被抽样单位", "Entities"),
    ("nav.plans", "抽检计划", "Plans"),
    ("nav.receipts", "扫码接收", "Receive by scan"),
    ("nav.search_go", "搜索", "Search"),
    ("home.not_delivered", "尚未送达实验室的样品", "Samples not yet delivered to the lab"),
    ("home.my_week", "我本周登记的样品", "My samples this week"),
    ("home.due_in", "待接收的样品", "Samples due in"),
    ("home.rejected", "已拒收的样品", "Rejected samples"),
    ("home.overdue", "超期样品", "Overdue samples"),
    ("plans.title", "抽检计划", "Sampling plans"),
    ("plans.new", "新建抽检计划", "New plan"),
    ("plans.edit", "编辑抽检计划", "Edit plan"),
    ("plans.code", "计划编号", "Code"),
    ("plans.name", "计划名称", "Name"),
    ("plans.year", "年度", "Year"),
    ("plans.level", "级别", "Level"),
    ("plans.kind", "类型", "Kind"),
    ("plans.domain", "领域", "Domain"),
    ("plans.region", "组织区域", "Organising region"),
    ("plans.target", "目标批次", "Target batches"),
    ("plans.starts_on", "开始日期", "Starts on"),
    ("plans.ends_on", "结束日期", "Ends on"),
    ("entities.title", "被抽样单位", "Sampled entities"),
    ("entities.new", "登记被抽样单位", "New entity"),
    ("entities.edit", "编辑被抽样单位", "Edit entity"),
    ("entities.name", "单位名称", "Name"),
    ("entities.uscc", "统一社会信用代码", "Unified social credit code"),
    ("entities.license_no", "许可证编号", "Licence number"),
    ("entities.kind", "单位类型", "Kind"),
    ("entities.address", "地址", "Address"),
    ("entities.region", "所在县区", "County"),
    ("entities.contact", "联系人及电话", "Contact"),
    ("entities.search", "按名称或信用代码搜索", "Search by name or USCC"),
    ("entities.existing", "查看已登记的单位", "Open the existing entity"),
    ("samples.title", "样品", "Samples"),
    ("samples.new", "登记样品", "Register a sample"),
    ("samples.edit", "修改样品", "Edit sample"),
    ("samples.no", "样品编号", "Sample no."),
    ("samples.plan", "抽检计划", "Plan"),
    ("samples.entity", "被抽样单位", "Sampled entity"),
    ("samples.domain", "领域", "Domain"),
    ("samples.category", "食品类别", "Category"),
    ("samples.product_name", "样品名称", "Product name"),
    ("samples.brand", "商标", "Brand"),
    ("samples.specification", "规格型号", "Specification"),
    ("samples.batch_no", "批号", "Batch no."),
    ("samples.production_date", "生产日期", "Production date"),
    ("samples.shelf_life", "保质期", "Shelf life"),
    ("samples.manufacturer", "标称生产者", "Labelled manufacturer"),
    ("samples.manufacturer_address", "标称生产者地址", "Manufacturer's address"),
    ("samples.stage", "抽样环节", "Sampling stage"),
    ("samples.sampled_at", "抽样时间", "Sampled at"),
    ("samples.place", "抽样地点", "Place"),
    ("samples.samplers", "抽样人员（至少两名）", "Samplers (at least two)"),
    ("samples.quantity", "检验样品数量", "Inspection portion quantity"),
    ("samples.unit", "单位", "Unit"),
    ("samples.backup_quantity", "复检备份样品数量", "Backup portion quantity"),
    ("samples.backup_help", "风险监测计划不留备份样品，请留空", "Leave empty for risk-monitoring plans (no backup portion)"),
    ("samples.storage", "贮存条件", "Storage"),
    ("samples.price", "购样费用（元）", "Price paid (CNY)"),
    ("samples.notes", "备注", "Notes"),
    ("samples.status", "状态", "Status"),
    ("samples.registered_at", "登记时间", "Registered"),
    ("samples.received_at", "接收时间", "Received"),
    ("samples.overdue", "超期", "Overdue"),
    ("samples.overdue_only", "只看超期", "Overdue only"),
    ("samples.from", "抽样日期自", "Sampled from"),
    ("samples.to", "至", "to"),
    ("samples.region", "区划代码", "Region code"),
    ("samples.search", "编号、名称、商标或单位", "Number, product, brand or entity"),
    ("samples.any_status", "全部状态", "Any status"),
    ("samples.print_selected", "批量打印所选样品标签", "Print labels of the selected samples"),
    ("samples.created", "样品已登记。请打印标签并贴在样品包装和封口处。", "Sample registered. Print its labels for the packages and seals."),
    ("samples.labels", "标签", "Labels"),
    ("samples.labels_pdf", "标签 PDF", "Labels PDF"),
    ("samples.labels_zpl", "斑马打印机 ZPL", "Zebra ZPL"),
    ("samples.sampling_form", "抽样单 PDF", "Sampling form PDF"),
    ("samples.deadlines", "期限", "Deadlines"),
    ("samples.days_left", "剩余工作日", "Working days left"),
    ("samples.provisional", "暂定（该年节假日安排尚未加载，按周一至周五计算）", "provisional (that year's holiday calendar is not loaded; counted Monday to Friday)"),
    ("samples.met", "已按期完成", "met"),
    ("samples.missed", "已超期完成", "missed"),
    ("samples.receipt", "接收记录", "Receipt"),
    ("samples.seal_intact", "封条完好", "Seal intact"),
    ("samples.condition_ok", "样品状态正常", "Condition fit"),
    ("samples.reject_reason", "拒收原因", "Reason for rejection"),
    ("samples.delivered_late", "送样超期", "Delivered late"),
    ("samples.draft_saved", "草稿已保存在本机，提交成功后自动清除", "Draft kept on this device until the server accepts it"),
    ("samples.submit", "提交登记", "Register"),
    ("samples.page", "第", "Page"),
    ("samples.of", "页，共", "of"),
    ("samples.total", "条", "samples"),
    ("deadline.delivery", "送达实验室", "Delivery to the lab"),
    ("deadline.report", "出具检验报告", "Report due"),
    ("receipt.title", "扫码接收样品", "Receive samples by scan"),
    ("receipt.scan", "扫描标签（或输入样品编号）", "Scan a label (or type the sample number)"),
    ("receipt.lookup", "查找", "Look up"),
    ("receipt.receive", "确认接收", "Receive"),
    ("receipt.reject", "拒收", "Reject"),
    ("receipt.note", "接收备注", "Note"),
    ("receipt.waiting", "待接收的样品", "Samples waiting to be received"),
    ("nav.worklist", "我的检验任务", "My worklist"),
    ("nav.review", "结果审核", "Review"),
    ("nav.assign", "分配检验", "Assign tests"),
    ("nav.approvals", "批准签发", "Approvals"),
    ("lab.worklist", "我的检验任务", "My worklist"),
    ("lab.review", "待审核的结果", "Results waiting for review"),
    ("lab.assign", "分配检验项目", "Assign tests"),
    ("lab.approvals", "待批准的样品", "Samples ready to approve"),
    ("lab.timeline", "样品时间线", "Sample timeline"),
    ("lab.tests", "检验项目与结果", "Tests and results"),
    ("lab.limit", "限量", "Limit"),
    ("lab.due", "期限", "Due"),
    ("lab.result", "结果", "Result"),
    ("lab.judgment", "单项判定", "Judgment"),
    ("lab.status", "状态", "Status"),
    ("lab.pass", "合格", "Pass"),
    ("lab.fail", "不合格", "Fail"),
    ("lab.retest", "复测", "Retest"),
    ("lab.reason", "原因", "Reason"),
    ("lab.accept", "通过", "Accept"),
    ("lab.send_back", "退回复测", "Send back for retest"),
    ("lab.approve", "批准签发", "Approve"),
    ("lab.technician", "检验人员", "Technician"),
    ("lab.assign_defaults", "分配所选样品的默认检验项目", "Assign the selected samples' default items"),
    ("lab.save_all", "一次保存全部结果", "Save all results"),
    ("lab.nothing", "暂无", "Nothing here"),
    ("lab.not_detected", "不得检出", "Not detected"),
    ("lab.qualitative", "定性判定", "Qualitative"),
    ("lab.forms_help", "可填写：数值（0.050、1.2e-3）、<0.01、<LOD、未检出/ND、阴性/阳性；微生物每个样本单元一个计数，用分号分隔。", "Accepted: numbers (0.050, 1.2e-3), <0.01, <LOD, ND/未检出, 阴性/阳性; for microbiological plans one count per unit separated by ';'."),
    ("lab.assigned_to", "检验人员", "Assignee"),
    ("lab.report_no", "报告编号", "Report no."),
    ("lab.conclusion", "检验结论", "Conclusion"),
    ("audit.title", "审计日志（最近200条）", "Audit log (latest 200)"),
    ("audit.at", "时间", "Time"),
    ("audit.actor", "操作人", "By"),
    ("audit.action", "操作", "Action"),
    ("audit.entity", "对象", "Entity"),
    ("nav.retention", "留样管理", "Retention"),
    ("retention.title", "留样管理", "Retention of backup portions"),
    ("retention.record", "登记复检备份样品存放位置", "Record where a backup portion is kept"),
    ("retention.scan", "扫描备份样品标签（或输入样品编号）", "Scan the backup label (or type the sample number)"),
    ("retention.place", "存放位置", "Place"),
    ("retention.place_hint", "如：留样室2号冰箱第3层", "e.g. retention room, fridge 2, shelf 3"),
    ("retention.save_place", "保存位置", "Save place"),
    ("retention.due", "本周可处理的留样", "Backup portions that may be discarded this week"),
    ("retention.rule", "留样期限：自检验结论之日起保存规则配置的月数（合格、不合格分别配置）；剩余保质期更短的，保存至保质期结束（《食品安全抽样检验管理办法》第二十五条）。", "Kept for the rule profile's months after the conclusion (one rule for compliant, one for non-compliant), or to expiry if sooner (FSSM Art 25)."),
    ("retention.nothing", "本周没有可处理的留样", "Nothing may be discarded this week"),
    ("retention.conclusion", "检验结论", "Conclusion"),
    ("retention.compliant", "合格", "Compliant"),
    ("retention.non_compliant", "不合格", "Non-compliant"),
    ("retention.pending", "待定", "Pending"),
    ("retention.keep_until", "留样至", "Keep until"),
    ("retention.until_conclusion", "留样期限待出具结论后确定", "Keep-until date set once the sample is concluded"),
    ("retention.reason", "处理原因（必填）", "Reason for discarding (required)"),
    ("retention.discard", "处理", "Discard"),
    ("retention.discarded", "留样已处理", "Backup portion discarded"),
    ("retention.not_yet", "须保存至", "Must be kept until"),
];

/// The word for `key` in `lang`; "?" if it is missing (a tidy test keeps that from
/// happening for the keys templates use).
pub fn word(lang: Lang, key: &str) -> &'static str {
    match WORDS.iter().find(|(k, _, _)| *k == key) {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => "?",
    }
}

/// Percent-encodes a value for a query string.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A minimal page for an error, readable without the site's layout.
pub fn error_page(lang: Lang, status: u16, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{status} · {app}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"narrow\"><h1>{title} ({status})</h1><p class=\"error\">{msg}</p>\
         <p><a href=\"/\">{home}</a></p></main></body></html>",
        lang = lang.code(),
        app = escape(word(lang, "app.short")),
        title = escape(word(lang, "common.error")),
        msg = escape(message),
        home = escape(word(lang, "nav.home")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_are_filled() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, zh, en) in WORDS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split(".t(\"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    if !WORDS.iter().any(|(k, _, _)| *k == key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing words: {missing:?}");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<script>\"x\"&'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;"
        );
    }
}
