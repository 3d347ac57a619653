//! Helpers shared by the drill tests: running pra-loadtest on a cluster, decoding its
//! `drill` event, and what a drill must leave behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use pra_core::event::kinds::DrillFields;
use pra_core::event::Kind;
use pra_testkit::{tool, PgCluster, Tool, ToolRun};
use std::sync::Mutex;

/// The drills measure throughput: one at a time, or they would measure each other.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn drill(c: &PgCluster, args: &[&str]) -> ToolRun {
    drill_tool(c).args(args).run()
}

/// pra-loadtest on cluster `c`, for tests that add arguments or environment.
pub fn drill_tool(c: &PgCluster) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .envs(c.env())
        // Passed through to the backup and restore libraries the drill drives.
        .env("PRA_PG_BINDIR", c.bindir())
        .timeout(std::time::Duration::from_secs(180))
}

pub fn fields(run: &ToolRun) -> DrillFields {
    run.one(Kind::Drill).fields_as().unwrap()
}

pub fn schema_exists(c: &PgCluster, db: &str) -> bool {
    c.psql(
        db,
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'pra_loadtest'",
    ) == "1"
}

pub fn drill_databases(c: &PgCluster) -> Vec<String> {
    c.databases()
        .into_iter()
        .filter(|d| d.starts_with("pra_drill_"))
        .collect()
}
