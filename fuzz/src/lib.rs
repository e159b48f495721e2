//! The fuzz targets' entry points (src/entry.rs), shared with the replay test
//! (tests/fuzz_replay.rs). The code they exercise comes from the pure crates,
//! `lims-domain` and `lims-documents`, as any other crate would use them.

pub mod entry;
