//! Integration tests of pra-docgen's subject, the documentation: the runnable blocks of
//! README.md and docs/*.md, the jobs of scripts/cron.example and the systemd units run
//! as written against a test cluster, so that they cannot rot (issue 18, item 10). The
//! man pages' freshness is tests/stale.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_docgen/docs.rs"]
mod docs;
#[path = "pra_docgen/examples.rs"]
mod examples;
#[path = "pra_docgen/limits.rs"]
mod limits;
#[path = "pra_docgen/machine.rs"]
mod machine;
#[path = "pra_docgen/runbook.rs"]
mod runbook;
#[path = "pra_docgen/units.rs"]
mod units;
