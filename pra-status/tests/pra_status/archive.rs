//! `wal_archive` against a real cluster with archive_mode on: a failing
//! archive_command is critical, a working one is ok.

use crate::common::*;
use pra_core::event::Status;
use pra_testkit::PgCluster;
use std::time::Duration;

#[test]
fn wal_archive_failing_then_working() {
    let c = PgCluster::start_with(pra_testkit::ClusterOptions {
        conf: vec![
            "archive_mode = on".into(),
            "archive_command = 'false'".into(),
        ],
        ..Default::default()
    });
    c.psql(
        "postgres",
        "CREATE TABLE t AS SELECT 1 AS x; SELECT pg_switch_wal();",
    );
    let wait_for = |sql: &str| {
        for _ in 0..300 {
            if c.psql("postgres", sql).trim() == "t" {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {sql}");
    };
    wait_for("SELECT failed_count > 0 FROM pg_stat_archiver");
    let run = status(&c)
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(2);
    let (f, s, m) = check(&run, "wal_archive", None);
    run.check(
        s == Status::Error && m.contains("failing") && f.skipped.is_none(),
        "failing archiving is critical",
    );

    c.psql("postgres", "ALTER SYSTEM SET archive_command = 'true'");
    c.psql("postgres", "SELECT pg_reload_conf()");
    wait_for("SELECT last_archived_time > last_failed_time FROM pg_stat_archiver");
    let run = status(&c)
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.success();
    let (f, s, _) = check(&run, "wal_archive", None);
    run.check(
        s == Status::Ok && f.details.contains_key("last_archived_wal"),
        "archiving works again",
    );
}
