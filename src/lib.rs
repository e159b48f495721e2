//! lims: a laboratory information system for food and drug sampling inspection.
//! See ARCHITECTURE.md for the map and its invariants.

pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod error;
pub mod forms;
pub mod msg;
pub mod seed;
pub mod web;
pub mod workflow;
