//! Integration tests of pra-core against real PostgreSQL: one test binary, one
//! module per concern.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_core/properties.rs"]
mod properties;
#[path = "pra_core/scratch.rs"]
mod scratch;
#[path = "pra_core/store.rs"]
mod store;
