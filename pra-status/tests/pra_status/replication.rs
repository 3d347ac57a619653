//! `replication` against a real primary and a real streaming standby.

use crate::common::*;
use pra_core::event::Status;
use pra_testkit::{tool, PgCluster};
use std::time::Duration;

/// A streaming standby of `primary`, started from pg_basebackup; killed on drop.
struct Standby {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    socket: String,
    port: u16,
}

impl Drop for Standby {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn as_server_user(cmd: &str) -> std::process::Command {
    // The server refuses root: run as postgres, like pra-testkit.
    if is_root() {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--", cmd]);
        c
    } else {
        std::process::Command::new(cmd)
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn start_standby(primary: &PgCluster) -> Standby {
    let dir = tempfile::Builder::new()
        .prefix("pra-standby-")
        .tempdir()
        .unwrap();
    let data = dir.path().join("data");
    if is_root() {
        let ok = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let out = as_server_user(primary.bindir().join("pg_basebackup").to_str().unwrap())
        .args(["-h", primary.socket_dir().to_str().unwrap()])
        .args([
            "-p",
            &primary.port().to_string(),
            "-U",
            "postgres",
            "-X",
            "stream",
            "-R",
        ])
        .arg("-D")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_basebackup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = pra_testkit::free_port();
    let socket = dir.path().display().to_string();
    let log = std::fs::File::create(dir.path().join("standby.log")).unwrap();
    let child = as_server_user(primary.bindir().join("postgres").to_str().unwrap())
        .arg("-D")
        .arg(&data)
        .args([
            "-p",
            &port.to_string(),
            "-k",
            &socket,
            "-c",
            "listen_addresses=",
        ])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Standby {
        child,
        _dir: dir,
        socket,
        port,
    }
}

#[test]
fn replication_lag_on_a_primary_and_its_standby() {
    let primary = PgCluster::start();
    let standby = start_standby(&primary);
    let wait_for = |sql: &str| {
        for _ in 0..300 {
            if primary.psql("postgres", sql).trim() == "t" {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {sql}");
    };
    wait_for("SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'");
    let on_standby = || {
        tool(env!("CARGO_BIN_EXE_pra-status"))
            .env("PGHOST", &standby.socket)
            .env("PGPORT", standby.port.to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", "postgres")
            .env("PGPASSFILE", "/nonexistent")
            .args(["--disk-warn", "0%", "--disk-crit", "0%"])
            .timeout(Duration::from_secs(60))
    };

    // The primary sees one standby, caught up.
    let run = status(&primary)
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.success();
    let (f, _, m) = check(&run, "replication", None);
    run.check(
        f.skipped.is_none()
            && f.details["standbys"]
                .as_array()
                .is_some_and(|a| a.len() == 1),
        &m,
    );

    // The standby reports itself in recovery, and its own lag.
    let run = on_standby().run();
    run.success();
    let (db, _, _) = check(&run, "database", None);
    run.check(
        db.details["in_recovery"] == true,
        "the standby is in recovery",
    );
    let (f, _, m) = check(&run, "replication", None);
    run.check(
        f.skipped.is_none() && m.contains("this standby"),
        "standby lag reported",
    );

    // Replay paused on the standby, writes on the primary: lag in bytes beyond the limit.
    let mut sb = postgres::Config::new()
        .host(&standby.socket)
        .port(standby.port)
        .user("postgres")
        .dbname("postgres")
        .connect(postgres::NoTls)
        .unwrap();
    sb.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    primary.psql(
        "postgres",
        "CREATE TABLE filler AS SELECT generate_series(1, 50000) AS x",
    );
    wait_for("SELECT bool_and(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > 100000) FROM pg_stat_replication");
    let run = status(&primary)
        .args([
            "--disk-warn",
            "0%",
            "--disk-crit",
            "0%",
            "--replication-max-lag-bytes",
            "64KiB",
        ])
        .run();
    run.code_is(2);
    let (_, s, m) = check(&run, "replication", None);
    run.check(
        s == Status::Error && m.contains("behind"),
        "lagging standby is critical",
    );
    sb.batch_execute("SELECT pg_wal_replay_resume()").unwrap();
}
