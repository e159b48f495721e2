//! The fuzz targets' entry points (src/entry.rs), shared with the replay test, and the
//! part of lims they exercise, compiled here from the project's own source files.
//!
//! Only pure code is included: `domain` (whole), `forms` and `msg` (the request bodies
//! and their checks), and the label files of `documents` (template parser, layout, ZPL,
//! SVG, QR, font measurement). The modules sit at the same paths as in the `lims` crate
//! and `lims` names this crate, so `entry.rs` and the `crate::` paths inside those files
//! mean the same here and in the real crate.

// Much of what the included files define is used only by the server.
#![allow(dead_code)]

extern crate self as lims;

#[path = "../../src/domain/mod.rs"]
pub mod domain;

#[path = "../../src/forms.rs"]
pub mod forms;

#[path = "../../src/msg.rs"]
pub mod msg;

pub mod documents;

pub mod entry;
