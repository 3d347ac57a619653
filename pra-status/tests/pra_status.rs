//! Integration tests of pra-status: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_status/archive.rs"]
mod archive;
#[path = "pra_status/availability.rs"]
mod availability;
#[path = "pra_status/common.rs"]
mod common;
#[path = "pra_status/exposition.rs"]
mod exposition;
#[path = "pra_status/limits.rs"]
mod limits;
#[path = "pra_status/replication.rs"]
mod replication;
#[path = "pra_status/secrets.rs"]
mod secrets;
#[path = "pra_status/status.rs"]
mod status;
#[path = "pra_status/timeouts.rs"]
mod timeouts;
