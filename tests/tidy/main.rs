//! Tidy tests, in the manner of rust-analyzer's: the conventions ARCHITECTURE.md states
//! as absences ("no diesel outside `db`", "no stage module calls another", "no POST page
//! handler without the CSRF extractor", …), checked on the source text, so a change that
//! breaks one fails here with the file and line rather than in review.

mod csrf;
mod layers;

use std::path::{Path, PathBuf};

/// The project's root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir` (relative to the root), sorted, as (relative path, text).
pub fn rust_files(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.sort();
    out.into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable source file");
            (relative(&p), text)
        })
        .collect()
}

/// Every file under `dir` (absolute), recursively.
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `p` relative to the root, with forward slashes.
pub fn relative(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The code of a line without its `//` comment (a `//` inside a string literal is rare
/// enough in this code base that the tidy tests accept the imprecision).
pub fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The comment of a line (after `//`, including doc comments), if any.
pub fn comment_of(line: &str) -> Option<&str> {
    line.find("//").map(|i| &line[i + 2..])
}

/// Fails listing every violation, one per line.
pub fn assert_none(what: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{what}:\n  {}",
        violations.join("\n  ")
    );
}
