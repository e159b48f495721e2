//! Every form a page posts is checked against the CSRF token: each POST route of a page
//! (outside the `/api/v1` scope, whose cookie callers send the token in a header that
//! `ApiUser` checks) must be handled by a function that takes `web::forms::CsrfForm`,
//! the extractor that refuses a form without the request's token before the handler
//! runs. Read from the route tables, so a new page form cannot forget it.

use std::fs;
use std::path::{Path, PathBuf};

/// POST page handlers that may take their form otherwise, and why. Empty: every form,
/// the login form included, carries the token. An entry is a handler's name.
const ALLOWED: &[&str] = &[];

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web")
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// The text from `open` (an index of `(` or `{`) to its matching close, both included.
fn balanced(s: &str, open: usize) -> &str {
    let bytes = s.as_bytes();
    let (o, c) = match bytes[open] {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        other => panic!("not an opening bracket: {}", other as char),
    };
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == o {
            depth += 1;
        } else if b == c {
            depth -= 1;
            if depth == 0 {
                return &s[open..=i];
            }
        }
        i += 1;
    }
    panic!("unbalanced brackets")
}

/// The body of `fn name(` in `src`, if it is defined there.
fn fn_body<'a>(src: &'a str, name: &str) -> Option<&'a str> {
    let at = find_fn(src, name)?;
    let brace = at + src[at..].find('{')?;
    Some(balanced(src, brace))
}

/// The parameter list of `fn name(` in `src`.
fn fn_params<'a>(src: &'a str, name: &str) -> Option<&'a str> {
    let at = find_fn(src, name)?;
    let paren = at + src[at..].find('(')?;
    Some(balanced(src, paren))
}

fn find_fn(src: &str, name: &str) -> Option<usize> {
    let needle = format!("fn {name}(");
    let mut from = 0;
    while let Some(i) = src[from..].find(&needle) {
        let at = from + i;
        // A whole word: not the tail of a longer name.
        if at == 0 || !src.as_bytes()[at - 1].is_ascii_alphanumeric() {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// The source files of a web module: `web/x.rs` or `web/x/mod.rs` and, for a folder,
/// every file inside it.
fn module_files(module: &str) -> Vec<PathBuf> {
    let dir = web_dir();
    let mut files = Vec::new();
    let single = dir.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let folder = dir.join(module);
    if folder.is_dir() {
        let mut stack = vec![folder];
        while let Some(d) = stack.pop() {
            let mut entries: Vec<PathBuf> = fs::read_dir(&d)
                .unwrap_or_else(|e| panic!("listing {}: {e}", d.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
    }
    assert!(!files.is_empty(), "no source for web module `{module}`");
    files
}

/// The `.configure(path)` calls in `text`.
fn configures(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(".configure(") {
        let start = i + ".configure(".len();
        let end = start + rest[start..].find(')').unwrap_or(0);
        out.push(rest[start..end].trim().to_string());
        rest = &rest[end..];
    }
    out
}

/// A POST route of a page: its path, the handler as written, where the table is.
struct PostRoute {
    path: String,
    handler: String,
    table: PathBuf,
}

/// The POST routes of the configure function `func` of web module `module`, following
/// the `.configure(…)` calls it makes to functions of its own module.
fn post_routes(module: &str, func: &str, out: &mut Vec<PostRoute>) {
    let files = module_files(module);
    let Some((file, body)) = files.iter().find_map(|f| {
        let src = read(f);
        fn_body(&src, func).map(|b| (f.clone(), b.to_string()))
    }) else {
        panic!("no fn {func} in web module `{module}`");
    };
    let mut rest = body.as_str();
    while let Some(i) = rest.find(".route(") {
        let open = i + ".route".len();
        let call = balanced(rest, open);
        let compact: String = call.split_whitespace().collect();
        if let Some(post) = compact.find("web::post().to(") {
            let path = compact
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("a route without a path in {}", file.display()))
                .to_string();
            let h = &compact[post + "web::post().to(".len()..];
            let handler = h[..h.find(')').unwrap_or(h.len())].to_string();
            out.push(PostRoute {
                path,
                handler,
                table: file.clone(),
            });
        }
        rest = &rest[open + call.len()..];
    }
    for inner in configures(&body) {
        let (sub, f) = inner.rsplit_once("::").unwrap_or(("", inner.as_str()));
        let sub_module = if sub.is_empty() {
            module.to_string()
        } else {
            format!("{module}/{}", sub.replace("::", "/"))
        };
        post_routes(&sub_module, f, out);
    }
}

/// The parameters of a route's handler, and the file that defines it.
fn handler_params(module_of_table: &str, handler: &str) -> (PathBuf, String) {
    let path = handler.trim_start_matches("crate::web::");
    let (qual, name) = path.rsplit_once("::").unwrap_or(("", path));
    let mut candidates = module_files(module_of_table);
    if !qual.is_empty() {
        let q = qual.replace("::", "/");
        let narrowed: Vec<PathBuf> = candidates
            .iter()
            .filter(|p| {
                let s = p.to_string_lossy().replace('\\', "/");
                s.ends_with(&format!("/{q}.rs")) || s.contains(&format!("/{q}/"))
            })
            .cloned()
            .collect();
        candidates = if narrowed.is_empty() {
            // A path to another module (`other::handler`).
            module_files(qual.split("::").next().unwrap_or(qual))
        } else {
            narrowed
        };
    }
    candidates
        .iter()
        .find_map(|f| fn_params(&read(f), name).map(|p| (f.clone(), p.to_string())))
        .unwrap_or_else(|| panic!("no fn {name} for the route handler `{handler}`"))
}

#[test]
fn every_post_page_handler_takes_the_csrf_checked_form() {
    let root = read(&web_dir().join("mod.rs"));
    let configure = fn_body(&root, "configure").expect("web::configure");
    // The API scope: its handlers check the token themselves (ApiUser), in a header.
    let scope_at = configure
        .find("web::scope(\"/api/v1\")")
        .expect("the /api/v1 scope in web::configure");
    let service_at = configure[..scope_at]
        .rfind(".service(")
        .expect(".service( around the API scope")
        + ".service".len();
    let api = balanced(configure, service_at);
    let pages = configure.replacen(api, "", 1);

    let mut routes = Vec::new();
    for c in configures(&pages) {
        let (module, func) = c
            .split_once("::")
            .unwrap_or_else(|| panic!("a page table `{c}` outside a web module"));
        post_routes(module, func, &mut routes);
    }
    assert!(
        routes.len() >= 30,
        "only {} POST page routes found: the route tables changed shape, fix this test",
        routes.len()
    );

    let mut missing = Vec::new();
    for r in &routes {
        let module = r
            .table
            .strip_prefix(web_dir())
            .ok()
            .and_then(|p| p.iter().next())
            .map(|m| m.to_string_lossy().trim_end_matches(".rs").to_string())
            .unwrap_or_default();
        let (file, params) = handler_params(&module, &r.handler);
        let name = r.handler.rsplit("::").next().unwrap_or(&r.handler);
        if !params.contains("CsrfForm<") && !ALLOWED.contains(&name) {
            missing.push(format!(
                "POST {} → `{}` in {} does not take `CsrfForm<…>`",
                r.path,
                r.handler,
                file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(&file)
                    .display()
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "every POST page handler takes the CSRF-checked form (web::forms::CsrfForm):\n{}",
        missing.join("\n")
    );
}
