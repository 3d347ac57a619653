//! Integration tests of pra-backup: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_backup/common.rs"]
mod common;
#[path = "pra_backup/consistency.rs"]
mod consistency;
#[path = "pra_backup/datasets.rs"]
mod datasets;
#[path = "pra_backup/dbstate.rs"]
mod dbstate;
#[path = "pra_backup/failures.rs"]
mod failures;
#[path = "pra_backup/globals.rs"]
mod globals;
#[path = "pra_backup/hostile.rs"]
mod hostile;
#[path = "pra_backup/init.rs"]
mod init;
#[path = "pra_backup/limits.rs"]
mod limits;
#[path = "pra_backup/objstore.rs"]
mod objstore;
#[path = "pra_backup/physical.rs"]
mod physical;
#[path = "pra_backup/signals.rs"]
mod signals;
#[path = "pra_backup/timeouts.rs"]
mod timeouts;
