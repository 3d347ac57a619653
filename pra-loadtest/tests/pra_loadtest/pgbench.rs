//! The independent measurement: pgbench, the reference tool, runs the drill's own
//! transaction with the same client count on the tables a `--keep` drill left, and
//! the drill's TPS must be within a factor of 2 of pgbench's. Also: --keep, and the
//! WAL archive lag with archive_mode on.

use crate::common::{drill, fields, schema_exists, serial};
use pra_testkit::{ClusterOptions, PgCluster};

#[test]
fn tps_agrees_with_pgbench_on_the_same_tables() {
    let _serial = serial();
    // WAL archiving on (to a command that accepts every segment): the drill reports the lag.
    let c = PgCluster::start_with(ClusterOptions {
        conf: vec![
            "archive_mode = on".into(),
            "archive_command = 'true'".into(),
        ],
        ..Default::default()
    });
    c.create_db("app");
    c.psql(
        "app",
        "CREATE TABLE wal_filler AS SELECT 1 AS x; SELECT pg_switch_wal()",
    );
    let clients = "2";
    // --keep leaves the tables for pgbench (and proves --keep keeps them).
    let run = drill(
        &c,
        &[
            "-d",
            "app",
            "--duration",
            "6s",
            "--clients",
            clients,
            "--scale",
            "0.1",
            "--max-slowdown",
            "50",
            "--keep",
        ],
    );
    run.success();
    let f = fields(&run);
    assert!(f.kept);
    assert!(f.wal_archiving, "archive_mode is on");
    run.check(
        f.archive_lag_bytes.is_some() && f.archive_lag_s.is_some_and(|s| s >= 0.0),
        "the archive lag is reported once a segment was archived",
    );
    assert!(schema_exists(&c, "app"), "--keep keeps schema pra_loadtest");
    let scratch = f.scratch_database.clone().unwrap();
    assert!(c.db_exists(&scratch), "--keep keeps the scratch database");
    let accounts = c.psql("app", "SELECT count(*) FROM pra_loadtest.accounts");
    assert_eq!(accounts, "10000");

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tpcb.sql");
    std::fs::write(&script, pra_loadtest::workload::TPCB_PGBENCH_SCRIPT).unwrap();
    let out = std::process::Command::new(c.bindir().join("pgbench"))
        .args([
            "-n", "-M", "simple", "-c", clients, "-j", clients, "-T", "4",
        ])
        .args([
            "-D",
            "accounts=10000",
            "-D",
            "branches=1",
            "-D",
            "tellers=10",
        ])
        .arg("-f")
        .arg(&script)
        .arg("app")
        .envs(c.env())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pgbench_tps: f64 = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no tps line in pgbench output:\n{text}"));
    let ours = f.baseline.tps;
    let ratio = ours / pgbench_tps;
    eprintln!(
        "pra-loadtest baseline {ours:.0} tps, pgbench {pgbench_tps:.0} tps, ratio {ratio:.2}"
    );
    assert!(
        (0.5..=2.0).contains(&ratio),
        "pra-loadtest {ours:.0} tps vs pgbench {pgbench_tps:.0} tps: ratio {ratio:.2} is not within a factor of 2"
    );
    // The history pgbench and the drill wrote is the same table: the marker works for both.
    let rows: u64 = c
        .psql("app", "SELECT count(*) FROM pra_loadtest.history")
        .parse()
        .unwrap();
    assert!(rows >= f.transactions);
}
