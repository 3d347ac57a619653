//! Integration tests of pra-info: one test binary, one module per concern, the real
//! binary run through pra-testkit against real repositories.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_info/common.rs"]
mod common;
#[path = "pra_info/listing.rs"]
mod listing;
#[path = "pra_info/secrets.rs"]
mod secrets;
#[path = "pra_info/signals.rs"]
mod signals;
