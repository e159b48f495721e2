//! The one integration test binary. Every test runs on SQLite and on PostgreSQL, each
//! on a fresh database. PostgreSQL: `LIMS_TEST_PG_URL` (default the local server);
//! when unreachable the PostgreSQL half is skipped with a clear notice, except under
//! `CI=true`, where it is required and the run fails. The browser tests (browser.rs)
//! need Chromium and chromedriver in the same way: skipped with a notice when missing,
//! required under `CI=true`.

mod support;

mod accounts;
mod approvals;
mod audit;
mod authz;
mod backup;
mod bad_input;
mod browser;
mod crash;
mod disposal;
mod documents;
mod foundation;
mod fuzz_replay;
mod intake;
mod lab;
mod layouts;
mod pages;
mod public;
mod quotas;
mod reference;
mod reports;
mod retention;
mod security;
mod seed;
mod stats;
mod words_on_documents;

use libtest_mimic::{Arguments, Failed, Trial};
use support::Backend;

/// A test: a name that is a sentence, and a body run once per backend.
pub type Test = (&'static str, fn(Backend));

/// The tests of a file, named by their functions.
#[macro_export]
macro_rules! tests {
    ($($f:ident),* $(,)?) => {
        &[$((stringify!($f), $f as fn($crate::support::Backend))),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let ci = std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false);
    let pg = support::pg_available();
    match (&pg, ci) {
        (Err(e), true) => {
            eprintln!(
                "PostgreSQL is required under CI=true but {} is unreachable: {e}",
                support::pg_admin_url()
            );
            std::process::exit(1);
        }
        (Err(e), false) => eprintln!(
            "\n*** PostgreSQL suite SKIPPED: {} is unreachable ({}). Set LIMS_TEST_PG_URL to run it. ***\n",
            support::pg_admin_url(),
            e.trim()
        ),
        (Ok(()), _) => {}
    }
    let chrome = support::webdriver::available();
    match (&chrome, ci) {
        (Err(e), true) => {
            eprintln!("Chromium and chromedriver are required under CI=true: {e}");
            std::process::exit(1);
        }
        (Err(e), false) => eprintln!(
            "\n*** Browser tests SKIPPED: Chromium or chromedriver is missing ({e}). Install the Debian packages chromium and chromium-driver to run them. ***\n"
        ),
        (Ok(()), _) => {}
    }
    let all: Vec<Test> = [
        foundation::TESTS,
        audit::TESTS,
        quotas::TESTS,
        accounts::TESTS,
        reference::TESTS,
        intake::TESTS,
        lab::TESTS,
        retention::TESTS,
        public::TESTS,
        reports::TESTS,
        approvals::TESTS,
        layouts::TESTS,
        documents::TESTS,
        disposal::TESTS,
        stats::TESTS,
        seed::TESTS,
        bad_input::TESTS,
        fuzz_replay::TESTS,
        pages::TESTS,
        pages::INTAKE_PAGE_TESTS,
        authz::TESTS,
        security::TESTS,
        backup::TESTS,
        crash::TESTS,
        words_on_documents::TESTS,
    ]
    .concat();
    // (test, whether it needs the browser)
    let all = (all.into_iter().map(|t| (t, false))).chain(
        browser::TESTS
            .iter()
            .chain(approvals::BROWSER_TESTS)
            .map(|&t| (t, true)),
    );
    let mut trials = Vec::new();
    for ((name, f), in_browser) in all {
        for (backend, label) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let skip =
                (backend == Backend::Postgres && pg.is_err()) || (in_browser && chrome.is_err());
            trials.push(
                Trial::test(format!("{label}::{name}"), move || {
                    std::panic::catch_unwind(|| f(backend)).map_err(|p| {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panic".into());
                        Failed::from(msg)
                    })
                })
                .with_ignored_flag(skip),
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
