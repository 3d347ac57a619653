//! Shared library of the pra tools: the `pra.v1` event schema and its streams,
//! exit codes, PostgreSQL connection settings, the backup repository and its
//! manifests, streaming codecs, and the command-line flags every tool shares.
//!
//! The tools (`pra-backup`, `pra-verify`, …) are thin binaries over their own
//! libraries, which build on this one. DESIGN.md is the contract this crate
//! makes real; docs/PROTOCOL.md documents the events for people.

pub mod catalog;
pub mod chart;
pub mod child;
pub mod cli;
pub mod codec;
#[cfg(feature = "db")]
pub mod conn;
pub mod crypt;
pub mod dbstate;
pub mod dumpscan;
pub mod error_class;
pub mod event;
pub mod exit;
pub mod fetch;
pub mod fs;
pub mod manifest;
pub mod physical;
pub mod privilege;
#[cfg(feature = "http")]
pub mod probe;
pub mod redact;
pub mod repo;
#[cfg(feature = "db")]
pub mod scratch;
pub mod secrets;
pub mod select;
pub mod signals;
pub mod stall;
pub mod time;
pub mod verdicts;
pub mod wal;

/// Version of the pra tools, recorded in manifests and events.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
