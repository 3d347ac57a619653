//! Integration tests of pra-docgen's subject, the documentation: the runnable blocks of
//! docs/RUNBOOK.md and the jobs of scripts/cron.example run as written against a test
//! cluster, so that they cannot rot (issue 18, item 10). The man pages' freshness is
//! tests/stale.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_docgen/runbook.rs"]
mod runbook;
