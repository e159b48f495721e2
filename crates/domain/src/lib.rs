//! Pure vocabulary and rules of the lab: no HTTP, no SQL, no clock.

pub mod audit_chain;
pub mod calendar;
pub mod disposal;
pub mod forms;
pub mod judgment;
pub mod licence;
pub mod local_time;
pub mod msg;
pub mod nomination;
pub mod region;
pub mod report;
pub mod retention;
pub mod role;
pub mod rules;
pub mod sample;
pub mod sample_fields;
pub mod screening;
pub mod states;
pub mod stats;
pub mod uscc;
