//! `wal_archive` against a real cluster with archive_mode on: a failing
//! archive_command is critical, a working one is ok. `backup_age` of a cluster
//! archiving through pra-wal with a physical backup: the recovery point is the newest
//! archived segment, which stops moving when archiving breaks.

use crate::common::*;
use pra_core::event::Status;
use pra_core::repo::Repository;
use pra_testkit::archiving::{archiving_options, server_owned_repo, workspace_bin};
use pra_testkit::{tool_as, PgCluster};
use std::time::Duration;

fn wait_for(c: &PgCluster, sql: &str) {
    for _ in 0..300 {
        if c.psql("postgres", sql).trim() == "t" {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {sql}");
}

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
    let wait_for = |sql: &str| wait_for(&c, sql);
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

#[test]
fn backup_age_follows_the_wal_archive_until_archiving_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("repo");
    server_owned_repo(&path);
    let repo = path.display().to_string();
    let c = PgCluster::start_with(archiving_options(&repo, "main", &[]));
    c.psql("postgres", "CREATE TABLE t AS SELECT 1 AS x");
    tool_as("postgres", &workspace_bin("pra-backup"))
        .envs(c.env())
        .args(["--physical", "--stanza", "main", "--repo", &repo])
        .run()
        .success();
    // The only backup is made two hours old: beyond the 1 h RPO on its own.
    let r = Repository::open(&repo).unwrap();
    let mut m = r.complete_backups("main").unwrap().pop().unwrap();
    m.started_at -= chrono::Duration::hours(2);
    m.finished_at -= chrono::Duration::hours(2);
    r.write_manifest(&m).unwrap();
    c.psql("postgres", "INSERT INTO t VALUES (2)");
    let segment = c.archive_current_segment();

    let run_status = |rpo: &str| {
        status(&c)
            .args(["--repo", &repo, "--stanza", "main", "--rpo", rpo])
            .args(["--disk-warn", "0%", "--disk-crit", "0%"])
            .run()
    };
    let run = run_status("1h");
    let (f, s, msg) = check(&run, "backup_age", Some("main"));
    let fresh = f.value.unwrap();
    run.check(
        s == Status::Ok
            && fresh < 60.0
            && f.details["recovery_point"] == "wal_archive"
            && f.details["last_archived_wal"] == segment.as_str()
            && f.details["backup_id"] == m.id.as_str()
            && msg.contains(&format!("newest archived WAL {segment}")),
        "the recovery point is the archived segment, not the 2 h old backup",
    );

    // Archiving breaks: the newest archived segment ages, pg_stat_archiver fails.
    c.psql("postgres", "ALTER SYSTEM SET archive_command = 'false'");
    c.psql("postgres", "SELECT pg_reload_conf()");
    c.psql(
        "postgres",
        "INSERT INTO t VALUES (3); SELECT pg_switch_wal()",
    );
    wait_for(&c, "SELECT failed_count > 0 FROM pg_stat_archiver");
    // The segment switched before the reload may have been archived still.
    let last = c.psql("postgres", "SELECT last_archived_wal FROM pg_stat_archiver");
    std::thread::sleep(Duration::from_secs(3));
    let run = run_status("3s");
    run.code_is(2);
    let (f, s, _) = check(&run, "backup_age", Some("main"));
    run.check(
        s == Status::Error
            && f.value.unwrap() >= 3.0
            && f.value.unwrap() > fresh
            && f.details["recovery_point"] == "wal_archive"
            && f.details["last_archived_wal"] == last.trim(),
        "the recovery point stays at the last archived segment and ages past the RPO",
    );
    let (f, s, msg) = check(&run, "wal_archive", None);
    run.check(
        s == Status::Error
            && msg.contains("archiving is failing")
            && f.details["failed_count"].as_i64().unwrap() > 0
            && f.details["failing"] == true
            && f.details.contains_key("last_failed_wal"),
        "wal_archive reports the failures of pg_stat_archiver",
    );
}
