//! Integration tests of pra-report: the real binary on synthetic histories and
//! repositories whose answers are known, and its HTML in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_report/browser.rs"]
mod browser;
#[path = "pra_report/figures.rs"]
mod figures;
#[path = "pra_report/history.rs"]
mod history;
#[path = "pra_report/repo.rs"]
mod repo;
#[path = "pra_report/secrets.rs"]
mod secrets;
#[path = "pra_report/signals.rs"]
mod signals;
