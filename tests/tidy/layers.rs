//! The layers of ARCHITECTURE.md as absences: diesel and backend branches only in
//! `src/db/`, no stage module of `workflow` calling another, no source file over 800
//! lines without a reason on the map, every module on the map, every document a comment
//! cites in the repository.

use std::collections::BTreeSet;

use crate::{assert_none, code_of, comment_of, root, rust_files};

/// The stage modules of `workflow`: each may use `db`, `domain`, `documents` and the
/// shared workflow services, never another stage module. Every other module of
/// `workflow` orchestrates stages (approval, calendar, public, …).
const STAGES: &[&str] = &[
    "accounts",
    "throttle",
    "reference",
    "intake",
    "lab",
    "retention",
    "reports",
    "report_batch",
    "disposal",
    "nominations",
    "screening",
    "stats",
];

/// The workflow services every stage may call (the audit log).
const SHARED: &[&str] = &["audit"];

/// Source files allowed over 800 lines, each with its reason, which ARCHITECTURE.md
/// repeats ("Long files").
const LONG_FILES: &[(&str, &str)] = &[];

const MAX_LINES: usize = 800;

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `word` occurs in `code` as a whole identifier.
fn has_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The application's source files outside `src/db/`, and the pure crates' files.
fn outside_db() -> Vec<(String, String)> {
    let mut files: Vec<_> = rust_files("src")
        .into_iter()
        .filter(|(p, _)| !p.starts_with("src/db/"))
        .collect();
    files.extend(rust_files("crates"));
    files
}

/// Lines of `files` whose code (comments stripped) matches `hit`.
fn lines_where(files: &[(String, String)], hit: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            if hit(code_of(line)) {
                out.push(format!("{path}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn diesel_is_named_only_in_db() {
    let v = lines_where(&outside_db(), |code| has_word(code, "diesel"));
    assert_none(
        "diesel is named outside src/db/ (ARCHITECTURE.md: SQL lives in db)",
        &v,
    );
}

#[test]
fn only_db_branches_on_the_backend_or_writes_raw_sql() {
    const MARKS: [&str; 5] = [
        "DbConnection::Sqlite",
        "DbConnection::Pg",
        "Backend::Sqlite",
        "Backend::Postgres",
        "sql_query",
    ];
    let v = lines_where(&outside_db(), |code| MARKS.iter().any(|m| code.contains(m)));
    assert_none(
        "a backend branch or raw SQL outside src/db/ (ARCHITECTURE.md: SQL lives in db)",
        &v,
    );
}

#[test]
fn the_pure_crates_depend_on_no_database_web_or_clock() {
    let mut v = Vec::new();
    for krate in ["domain", "documents"] {
        let manifest =
            std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
                .expect("the crate's manifest");
        for dep in [
            "diesel",
            "actix",
            "r2d2",
            "pq-sys",
            "libsqlite3-sys",
            "tokio",
            "reqwest",
        ] {
            if manifest.lines().any(|l| l.trim_start().starts_with(dep)) {
                v.push(format!("crates/{krate}/Cargo.toml depends on {dep}"));
            }
        }
    }
    // "now" is always a parameter in the pure crates.
    let clock = lines_where(&rust_files("crates"), |code| {
        code.contains("Utc::now") || code.contains("Local::now") || code.contains("SystemTime::now")
    });
    v.extend(clock);
    assert_none(
        "the pure crates must not reach a database, the web or a clock",
        &v,
    );
}

/// The modules a line of `workflow` names: `workflow::x`, `workflow::{x, y::z}`, and
/// `super::x` in a file directly under `src/workflow/` (or `super::super::x` one level
/// down).
fn named_modules(code: &str, depth: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut prefixes = vec!["workflow::".to_string()];
    prefixes.push("super::".repeat(depth));
    for prefix in &prefixes {
        for (i, _) in code.match_indices(prefix.as_str()) {
            if prefix.starts_with("super") && code[i + prefix.len()..].starts_with("super::") {
                continue;
            }
            if prefix.starts_with("workflow") && code[..i].chars().next_back().is_some_and(is_ident)
            {
                continue;
            }
            let rest = &code[i + prefix.len()..];
            if let Some(list) = rest.strip_prefix('{') {
                // The first segment of each item of the group (nested groups end the scan).
                let end = list.find('}').unwrap_or(list.len());
                for item in list[..end].split(',') {
                    let first: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                    if !first.is_empty() {
                        names.push(first);
                    }
                }
            } else {
                let first: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                if !first.is_empty() {
                    names.push(first);
                }
            }
        }
    }
    names
}

#[test]
fn no_stage_module_of_workflow_calls_another() {
    let modules: BTreeSet<String> = std::fs::read_dir(root().join("src/workflow"))
        .expect("src/workflow")
        .flatten()
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .filter(|m| m != "mod")
        .collect();
    for s in STAGES.iter().chain(SHARED) {
        assert!(
            modules.contains(*s),
            "the tidy test names a module that is gone: {s}"
        );
    }
    let mut v = Vec::new();
    for (path, text) in rust_files("src/workflow") {
        let inner = path.trim_start_matches("src/workflow/");
        let own = inner
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs");
        if !STAGES.contains(&own) {
            continue;
        }
        let depth = inner.matches('/').count() + 1;
        for (i, line) in text.lines().enumerate() {
            for m in named_modules(code_of(line), depth) {
                if m != own && modules.contains(&m) && !SHARED.contains(&m.as_str()) {
                    v.push(format!("{path}:{}: stage `{own}` names `{m}`", i + 1));
                }
            }
        }
    }
    assert_none(
        "a stage module of workflow uses another workflow module (ARCHITECTURE.md: no cycles; drive several stages from an orchestrating use case)",
        &v,
    );
}

#[test]
fn no_source_file_is_over_800_lines_without_a_reason_on_the_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut v = Vec::new();
    let mut files = rust_files("src");
    files.extend(rust_files("crates"));
    for (path, text) in &files {
        let n = text.lines().count();
        let allowed = LONG_FILES.iter().any(|(p, _)| p == path);
        if n > MAX_LINES && !allowed {
            v.push(format!("{path}: {n} lines"));
        }
    }
    for (path, reason) in LONG_FILES {
        if !files.iter().any(|(p, _)| p == path) {
            v.push(format!("{path} is allowed to be long but does not exist"));
        } else if !map.contains(path) {
            v.push(format!(
                "{path} is allowed to be long ({reason}) but ARCHITECTURE.md does not say why"
            ));
        }
    }
    assert_none(
        "source files over 800 lines (split them, or say why in LONG_FILES and ARCHITECTURE.md)",
        &v,
    );
}

#[test]
fn every_module_is_on_the_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut v = Vec::new();
    // (folder, the module path prefix a reader of the map would use)
    let layers = [
        ("src", ""),
        ("src/db", "db::"),
        ("src/web", "web::"),
        ("src/workflow", "workflow::"),
        ("src/seed", "seed::"),
        ("crates/domain/src", "domain::"),
        ("crates/documents/src", "documents::"),
    ];
    for (folder, prefix) in layers {
        let Ok(entries) = std::fs::read_dir(root().join(folder)) else {
            v.push(format!("{folder} is gone"));
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let is_dir = e.path().is_dir();
            if !is_dir && !name.ends_with(".rs") {
                continue;
            }
            let m = name.trim_end_matches(".rs");
            if ["mod", "lib", "main", "schema", "test_support", "tests"].contains(&m)
                || (folder == "src" && is_dir)
            {
                continue;
            }
            let path = if is_dir {
                format!("{folder}/{m}/")
            } else {
                format!("{folder}/{name}")
            };
            let named = map.contains(&format!("`{path}`"))
                || map.contains(&format!("{prefix}{m}`"))
                || map.contains(&format!("`{prefix}{m}::"))
                || map.contains(&format!("{prefix}{m},"))
                || map.contains(&format!("{prefix}{{{m},"));
            if !named {
                v.push(format!("{path} (`{prefix}{m}`)"));
            }
        }
    }
    assert_none("modules missing from ARCHITECTURE.md's map", &v);
}

/// The documents a comment may cite, by the name comments use, and where they are.
const CITED: &[(&str, &str)] = &[
    ("SPEC", "docs/SPEC.md"),
    ("SPEC.md", "docs/SPEC.md"),
    ("API.md", "docs/API.md"),
    ("rules.md", "docs/domain/rules.md"),
    ("identifiers.md", "docs/domain/identifiers.md"),
    ("ARCHITECTURE.md", "ARCHITECTURE.md"),
    ("BENCHMARKS.md", "BENCHMARKS.md"),
    ("SECURITY.md", "SECURITY.md"),
    ("README.md", "README.md"),
    ("SOURCES.md", "src/seed/SOURCES.md"),
];

#[test]
fn a_comment_cites_only_documents_in_this_repository() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let reading = readme
        .split("## Where to read next")
        .nth(1)
        .map(|s| s.split("\n## ").next().unwrap_or(s).to_string())
        .unwrap_or_default();
    let mut v = Vec::new();
    let mut cited = BTreeSet::new();
    let mut files = rust_files("src");
    for dir in [
        "crates",
        "tests",
        "benches",
        "fuzz/src",
        "fuzz/fuzz_targets",
    ] {
        files.extend(rust_files(dir));
    }
    for (path, text) in &files {
        for (i, line) in text.lines().enumerate() {
            let Some(comment) = comment_of(line) else {
                continue;
            };
            if comment.contains("../shared") || comment.contains("shared/") {
                v.push(format!(
                    "{path}:{}: cites a folder outside the repository",
                    i + 1
                ));
            }
            for word in comment.split(|c: char| !(is_ident(c) || c == '.')) {
                let word = word.trim_end_matches('.');
                let is_doc =
                    word.ends_with(".md") || (word == "SPEC" && comment.contains("SPEC §"));
                if !is_doc {
                    continue;
                }
                match CITED.iter().find(|(name, _)| *name == word) {
                    Some((_, at)) => {
                        cited.insert(*at);
                    }
                    None => v.push(format!(
                        "{path}:{}: cites {word}, which is not in this repository",
                        i + 1
                    )),
                }
            }
        }
    }
    for at in cited {
        if !root().join(at).is_file() {
            v.push(format!("{at} is cited but missing"));
        }
        if !reading.contains(at) {
            v.push(format!("{at} is cited by a comment but README.md's \"Where to read next\" does not list it"));
        }
    }
    assert_none("documents cited by comments", &v);
}

/// Comparisons a template may make with a literal: form values and output formats, not
/// states. The audit timeline's kind of record is shown as a code until the timeline reads
/// as a history (issue "Every page in its user's words").
const TEMPLATE_LITERAL_COMPARISONS: &[&str] = &[
    "published",
    "self.opt(filter.level)",
    "nav.lang_code()",
    "batch.format",
    "e.entity_kind",
];

#[test]
fn templates_compare_no_state_codes() {
    let mut files = Vec::new();
    crate::walk(&root().join("templates"), &mut files);
    files.sort();
    let mut v = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let text = std::fs::read_to_string(path).expect("a readable template");
        for (i, line) in text.lines().enumerate() {
            for op in ["==", "!="] {
                for (at, _) in line.match_indices(op) {
                    let after = line[at + 2..].trim_start();
                    if !after.starts_with('"') && !after.starts_with("Some(\"") {
                        continue;
                    }
                    let before = line[..at].trim_end();
                    let left = before.rsplit(char::is_whitespace).next().unwrap_or("");
                    let allowed = TEMPLATE_LITERAL_COMPARISONS
                        .iter()
                        .any(|a| before.ends_with(a));
                    if !allowed {
                        v.push(format!(
                            "{}:{}: `{left} {op} {}`",
                            crate::relative(path),
                            i + 1,
                            after.split_whitespace().next().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }
    assert_none(
        "a template compares a value with a code (templates receive words and booleans from typed states)",
        &v,
    );
}
