//! Integration tests of pra-wal: one test binary, one module per concern, the real
//! binary run by a real PostgreSQL server as its archive_command and restore_command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_wal/archive.rs"]
mod archive;
#[path = "pra_wal/common.rs"]
mod common;
#[path = "pra_wal/encrypted.rs"]
mod encrypted;
#[path = "pra_wal/recovery.rs"]
mod recovery;
