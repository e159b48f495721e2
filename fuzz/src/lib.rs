//! The fuzz targets' entry points (src/entry.rs), shared with the replay test.

pub mod entry;
