//! Integration tests of pra-rotate: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_rotate/common.rs"]
mod common;
#[path = "pra_rotate/limits.rs"]
mod limits;
#[path = "pra_rotate/pipeline.rs"]
mod pipeline;
#[path = "pra_rotate/safety.rs"]
mod safety;
#[path = "pra_rotate/secrets.rs"]
mod secrets;
#[path = "pra_rotate/signals.rs"]
mod signals;
#[path = "pra_rotate/wal.rs"]
mod wal;
