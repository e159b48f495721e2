//! What a citizen or an officer reads carries a rule's formal citation (its basis) and
//! its words, never the research notes kept for admins (confidence tags, abbreviations,
//! document references) and never a rule key (docs/domain/rules.md §0). A food
//! supervision sample is driven to a non-compliant approved report with a disposal
//! case; its pages and documents are fetched in Chinese and read as text.

use std::collections::BTreeSet;

use crate::support::fixtures::{issue, lab_users, login_form};
use crate::support::{pdf_pages, pdftotext_flow, Backend, TestApp, PASSWORD};
use crate::Test;

pub const TESTS: &[Test] =
    crate::tests![no_research_notes_or_rule_keys_on_the_pages_and_documents_of_a_case];

/// Marks of research notes that must never reach a page or a document.
const NOTE_MARKS: [&str; 8] = [
    "[V]", "[S]", "[M]", "FSL", "FSSM", "Art ", "rules.md", "SPEC",
];

/// Every rule key of the shipped profiles.
fn shipped_rule_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (name, text) in lims::seed::RULE_FILES {
        for p in lims::domain::rules::parse_profile_file(name, text).expect("shipped rules") {
            keys.extend(p.rules.into_iter().map(|r| r.key));
        }
    }
    assert!(keys.contains("delivery_to_lab"), "{keys:?}");
    keys
}

/// The text a person sees on a page: scripts, styles and tags left out.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["script", "style"] {
        while let Some(start) = s.find(&format!("<{tag}")) {
            let end = s[start..]
                .find(&format!("</{tag}>"))
                .map(|e| start + e + tag.len() + 3)
                .unwrap_or(s.len());
            s.replace_range(start..end, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every note mark and rule key found in `text`, named with `what`.
fn findings(what: &str, text: &str, keys: &BTreeSet<String>) -> Vec<String> {
    NOTE_MARKS
        .iter()
        .copied()
        .chain(keys.iter().map(String::as_str))
        .filter(|m| text.contains(m))
        .map(|m| format!("{what}: `{m}`"))
        .collect()
}

fn pdf_text(pdf: &[u8]) -> String {
    (1..=pdf_pages(pdf))
        .map(|p| pdftotext_flow(pdf, p))
        .collect::<Vec<_>>()
        .join("\n")
}

fn no_research_notes_or_rule_keys_on_the_pages_and_documents_of_a_case(b: Backend) {
    let app = TestApp::spawn(b);
    let keys = shipped_rule_keys();
    let lab = lab_users(&app);
    app.user("watcher", &["supervisor"]);
    let (sample_no, report, _) = issue(&app, &lab, 2, true);
    assert_eq!(report["conclusion"], "non_compliant", "{report}");
    let report_no = report["report_no"].as_str().unwrap().to_string();
    let mut found = Vec::new();

    // The sample page, as the lab's signatory reads it (Chinese is the default).
    login_form(&app, "boss", PASSWORD);
    let (st, html) = app.page(&format!("/samples/{sample_no}"));
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("送达"), "the sample page lists its deadlines");
    found.extend(findings("sample page", &visible_text(&html), &keys));

    // The report and the notice served on the entity, as PDFs read back as text.
    let (st, _, pdf) = app.bytes(
        &format!("/api/v1/reports/{report_no}.pdf"),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200);
    found.extend(findings("report PDF", &pdf_text(&pdf), &keys));
    let (st, _, notice) = app.bytes(
        &format!("/api/v1/samples/{sample_no}/notice.pdf?served_on=2026-03-04"),
        Some(&lab.signatory),
    );
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&notice));
    let notice_text = pdf_text(&notice);
    assert!(
        notice_text.contains("依据"),
        "the notice cites the basis of each right: {notice_text}"
    );
    found.extend(findings("notice PDF", &notice_text, &keys));

    // The disposal case and the morning reminders, as a supervisor reads them.
    login_form(&app, "watcher", PASSWORD);
    let (_, list) = app.get("/api/v1/disposals", &app.token("watcher"));
    let id = list["items"][0]["id"].as_i64().expect("a case is open");
    let (st, html) = app.page(&format!("/disposals/{id}"));
    assert_eq!(st, 200, "{html}");
    let case_text = visible_text(&html);
    found.extend(findings("case page", &case_text, &keys));
    let (st, html) = app.page("/disposals/reminders");
    assert_eq!(st, 200, "{html}");
    found.extend(findings("reminders page", &visible_text(&html), &keys));

    // The public pages: the report's verification page and the published results.
    let url = report["verify_url"]
        .as_str()
        .expect("the report's verification link");
    let (st, html) = app.stranger_get(url);
    assert_eq!(st, 200, "{html}");
    found.extend(findings(
        "public verification page",
        &visible_text(&html),
        &keys,
    ));
    let (st, html) = app.stranger_get(&app.url("/public/results"));
    assert_eq!(st, 200, "{html}");
    found.extend(findings("public results page", &visible_text(&html), &keys));

    assert!(
        found.is_empty(),
        "research notes or rule keys shown:\n{}",
        found.join("\n")
    );
    assert!(
        case_text.contains("《食品安全抽样检验管理办法》第二十九条"),
        "the case page cites the basis of its deadlines: {case_text}"
    );
}
