//! The audit log in words: what each recorded action and kind of record is called on the
//! audit page, in both languages. The log itself stores the stable keys; a person reads
//! these words (a unit test checks every action the code records has them).

use crate::error::Lang;

/// `(action key, zh, en)`.
const ACTIONS: &Words = &[
    ("audit.chain_keyed", "审计链启用密钥", "Audit chain keyed"),
    ("auth.locked_out", "登录被锁定", "Login locked out"),
    ("auth.login", "登录", "Logged in"),
    ("auth.logout", "退出登录", "Logged out"),
    (
        "auth.password_changed",
        "修改本人密码",
        "Changed own password",
    ),
    ("auth.session_revoked", "注销一个会话", "Session revoked"),
    ("auth.sessions_revoked", "注销全部会话", "Sessions revoked"),
    (
        "calendar.year_loaded",
        "载入节假日年度",
        "Holiday year loaded",
    ),
    (
        "disposal.attachment",
        "上传核查处置证据",
        "Disposal evidence uploaded",
    ),
    (
        "disposal.event",
        "记录核查处置步骤",
        "Disposal step recorded",
    ),
    (
        "disposal.extension_approve",
        "批准延期",
        "Extension approved",
    ),
    (
        "disposal.extension_request",
        "申请延期",
        "Extension requested",
    ),
    ("disposal.open", "启动核查处置", "Disposal case opened"),
    (
        "disposal.publish",
        "公开处置信息",
        "Disposal information published",
    ),
    (
        "disposal.reopen",
        "重新打开核查处置",
        "Disposal case reopened",
    ),
    (
        "disposal.unpublish",
        "撤回处置信息",
        "Disposal information withdrawn",
    ),
    ("entity.create", "新增被抽样单位", "Entity created"),
    ("entity.update", "修改被抽样单位", "Entity changed"),
    ("lab_profile.put", "修改机构信息", "Lab identity changed"),
    ("nomination.accept", "采纳建议", "Nomination accepted"),
    ("nomination.decline", "不采纳建议", "Nomination declined"),
    (
        "nomination.link_sample",
        "建议关联样品",
        "Sample linked to nomination",
    ),
    ("nomination.merge", "合并建议", "Nominations merged"),
    ("nomination.spam", "标记为无效信息", "Marked as spam"),
    ("nomination.submit", "提交建议", "Nomination submitted"),
    ("plan.create", "新增抽检计划", "Plan created"),
    ("plan.update", "修改抽检计划", "Plan changed"),
    ("region.population_set", "修改人口数", "Population set"),
    ("report.issue", "签发报告", "Report issued"),
    ("report.publish", "公布报告", "Report published"),
    ("report.revoke", "撤销报告", "Report revoked"),
    ("report.supersede", "报告被替代", "Report superseded"),
    (
        "report.unpublish",
        "撤回公布",
        "Report withdrawn from publication",
    ),
    (
        "report_batch.create",
        "批量下载报告",
        "Report batch requested",
    ),
    (
        "report_batch.expire",
        "删除过期批量下载",
        "Expired report batches deleted",
    ),
    (
        "retention.discard",
        "处理备份样品",
        "Backup portion discarded",
    ),
    (
        "retention.keep_until_set",
        "确定留样期限",
        "Keep-until date set",
    ),
    (
        "retention.place_set",
        "记录留样位置",
        "Backup place recorded",
    ),
    ("rule_profile.put", "修改规则配置", "Rule profile changed"),
    ("sample.approve", "批准样品结论", "Sample approved"),
    (
        "sample.deadlines_recomputed",
        "重算期限",
        "Deadlines recounted",
    ),
    ("sample.labels_printed", "打印标签", "Labels printed"),
    ("sample.receive", "接收样品", "Sample received"),
    ("sample.register", "登记样品", "Sample registered"),
    ("sample.reject", "拒收样品", "Sample rejected"),
    ("sample.review", "样品进入审核", "Sample ready for review"),
    ("sample.sent_back", "退回复测", "Sent back for retest"),
    ("sample.testing", "样品开始检验", "Sample in testing"),
    ("sample.update", "修改样品信息", "Sample changed"),
    ("screening.register", "登记快检", "Screening registered"),
    (
        "screening.result",
        "录入快检结果",
        "Screening result entered",
    ),
    (
        "seed.reference_loaded",
        "载入基础数据",
        "Reference data loaded",
    ),
    ("test.accept", "审核通过", "Result accepted"),
    ("test.assign", "分配检验", "Test assigned"),
    ("test.reassign", "改派检验", "Test reassigned"),
    ("test.remove", "取消检验项目", "Test removed"),
    ("test.result", "录入结果", "Result entered"),
    ("test.retest", "复测", "Retest"),
    ("test_item.create", "新增检验项目", "Test item created"),
    ("test_item.update", "修改检验项目", "Test item changed"),
    ("user.create", "新增用户", "User created"),
    ("user.update", "修改用户", "User changed"),
    (
        "user.update_with_password",
        "修改用户（含密码）",
        "User changed (with password)",
    ),
];

/// `(kind key, zh, en)`.
const KINDS: &Words = &[
    ("audit_log", "审计日志", "Audit log"),
    ("calendar_year", "节假日年度", "Holiday year"),
    ("demo", "演示数据", "Demo data"),
    ("disposal", "核查处置", "Disposal case"),
    ("entity", "被抽样单位", "Entity"),
    ("lab_profile", "机构信息", "Lab identity"),
    ("nomination", "你点我检建议", "Nomination"),
    ("plan", "抽检计划", "Plan"),
    ("reference_data", "基础数据", "Reference data"),
    ("region", "行政区划", "Region"),
    ("report", "检验报告", "Report"),
    ("report_batch", "批量下载", "Report batch"),
    ("rule_profile", "规则配置", "Rule profile"),
    ("sample", "样品", "Sample"),
    ("screening", "快检", "Screening"),
    ("test", "检验项目", "Test"),
    ("test_item", "检验项目目录", "Test item"),
    ("user", "用户", "User"),
];

type Words = [(&'static str, &'static str, &'static str)];

fn lookup(table: &'static Words, key: &str, lang: Lang) -> Option<&'static str> {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
}

/// An action in words; an action this table does not know keeps its key (never empty).
pub fn action(key: &str, lang: Lang) -> String {
    lookup(ACTIONS, key, lang).map_or_else(|| key.to_string(), str::to_string)
}

/// A kind of record in words.
pub fn kind(key: &str, lang: Lang) -> String {
    lookup(KINDS, key, lang).map_or_else(|| key.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action and kind key the code records (string literals of the form
    /// `prefix.word` with a known prefix in the use cases, the seed and the CLI, and every
    /// `entity_kind: "…"`) has words in both languages.
    #[test]
    fn every_recorded_action_and_kind_has_words() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let prefixes: Vec<&str> = ACTIONS
            .iter()
            .map(|(k, _, _)| k.split('.').next().unwrap_or(""))
            .collect();
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.to_string_lossy().to_string();
                if !(rel.contains("/workflow/")
                    || rel.contains("/seed/")
                    || rel.ends_with("cli.rs"))
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split('"').skip(1).step_by(2) {
                    let Some((pre, word)) = part.split_once('.') else {
                        continue;
                    };
                    let simple = |s: &str| {
                        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    };
                    if simple(pre)
                        && simple(word)
                        && prefixes.contains(&pre)
                        && lookup(ACTIONS, part, Lang::En).is_none()
                    {
                        missing.push(format!("{rel}: {part}"));
                    }
                }
                for piece in text.split("entity_kind: \"").skip(1) {
                    let k = piece.split('"').next().unwrap_or("");
                    if lookup(KINDS, k, Lang::En).is_none() {
                        missing.push(format!("{rel}: kind {k}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no words for: {missing:?}");
        for (k, zh, en) in ACTIONS.iter().chain(KINDS.iter()) {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(action("auth.login", Lang::Zh), "登录");
        assert_eq!(kind("sample", Lang::En), "Sample");
    }
}
