//! Integration tests of pra-verify: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_verify/common.rs"]
mod common;
#[path = "pra_verify/detection.rs"]
mod detection;
#[path = "pra_verify/encryption.rs"]
mod encryption;
#[path = "pra_verify/false_verdicts.rs"]
mod false_verdicts;
#[path = "pra_verify/hostile.rs"]
mod hostile;
#[path = "pra_verify/objstore.rs"]
mod objstore;
#[path = "pra_verify/privileges.rs"]
mod privileges;
#[path = "pra_verify/restore.rs"]
mod restore;
#[path = "pra_verify/rotation.rs"]
mod rotation;
#[path = "pra_verify/server.rs"]
mod server;
#[path = "pra_verify/timeouts.rs"]
mod timeouts;
#[path = "pra_verify/tls.rs"]
mod tls;
#[path = "pra_verify/verdicts.rs"]
mod verdicts;
