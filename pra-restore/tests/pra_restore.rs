//! Integration tests of pra-restore: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_restore/common.rs"]
mod common;
#[path = "pra_restore/failures.rs"]
mod failures;
#[path = "pra_restore/fidelity.rs"]
mod fidelity;
#[path = "pra_restore/hostile.rs"]
mod hostile;
#[path = "pra_restore/limits.rs"]
mod limits;
#[path = "pra_restore/load_dump.rs"]
mod load_dump;
#[path = "pra_restore/not_compared.rs"]
mod not_compared;
#[path = "pra_restore/overlap.rs"]
mod overlap;
#[path = "pra_restore/physical.rs"]
mod physical;
#[path = "pra_restore/physical_actions.rs"]
mod physical_actions;
#[path = "pra_restore/physical_encrypted.rs"]
mod physical_encrypted;
#[path = "pra_restore/physical_tablespaces.rs"]
mod physical_tablespaces;
#[path = "pra_restore/roundtrip.rs"]
mod roundtrip;
#[path = "pra_restore/server.rs"]
mod server;
#[path = "pra_restore/signals.rs"]
mod signals;
#[path = "pra_restore/timeouts.rs"]
mod timeouts;
#[path = "pra_restore/verdicts.rs"]
mod verdicts;
