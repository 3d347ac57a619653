//! Integration tests of pra-loadtest: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_loadtest/common.rs"]
mod common;
#[path = "pra_loadtest/drill.rs"]
mod drill;
#[path = "pra_loadtest/encryption.rs"]
mod encryption;
#[path = "pra_loadtest/pgbench.rs"]
mod pgbench;
#[path = "pra_loadtest/secrets.rs"]
mod secrets;
#[path = "pra_loadtest/timeouts.rs"]
mod timeouts;
#[path = "pra_loadtest/workload.rs"]
mod workload;
