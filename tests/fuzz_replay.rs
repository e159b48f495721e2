//! The fuzz targets' committed inputs (fuzz/corpus/<target>/seed-* and
//! fuzz/regressions/<target>/*) replayed through the same entry points the fuzzer calls
//! (fuzz/src/entry.rs), so every crash the fuzzer ever found stays fixed without a
//! nightly toolchain.

#[path = "../fuzz/src/entry.rs"]
mod entry;

use std::path::Path;

use crate::support::Backend;
use crate::Test;

pub const TESTS: &[Test] = crate::tests![the_fuzz_corpora_and_regressions_replay_without_a_panic];

/// The inputs under `dir`, sorted by name; none when it does not exist.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a readable input");
            (p.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    out
}

fn the_fuzz_corpora_and_regressions_replay_without_a_panic(_backend: Backend) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, run) in entry::TARGETS {
        let mut seen = 0;
        for kind in ["corpus", "regressions"] {
            for (name, bytes) in inputs(&root.join(kind).join(target)) {
                // A local fuzz run adds its finds to the corpus folder; only the committed
                // seeds are replayed from there.
                if kind == "corpus"
                    && !name
                        .rsplit('/')
                        .next()
                        .is_some_and(|f| f.starts_with("seed-"))
                {
                    continue;
                }
                let outcome = std::panic::catch_unwind(|| run(&bytes));
                assert!(outcome.is_ok(), "{name} panics the {target} target");
                seen += 1;
            }
        }
        assert!(seen > 0, "the {target} target has committed inputs");
    }
}
