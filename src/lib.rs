//! lims: a laboratory information system for food and drug sampling inspection.
//! See ARCHITECTURE.md for the map and its invariants.

pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod seed;
pub mod web;
pub mod workflow;

// The pure layers are crates of their own (crates/); they keep their paths in the
// application: `crate::domain`, `crate::documents`, `crate::forms`, `crate::msg`.
pub use lims_documents as documents;
pub use lims_domain as domain;
pub use lims_domain::{forms, msg};
