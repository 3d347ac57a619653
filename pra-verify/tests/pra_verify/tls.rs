//! pra-backup → pra-verify → pra-restore against a server that takes TCP
//! connections over TLS only (`hostnossl … reject`), with `sslmode=verify-full`:
//! the tools' own sessions and their `pg_dump`/`pg_restore`/`psql` children must
//! all be encrypted, which the server's connection log proves.

use crate::common::{sibling_bin, verify_fields};
use pra_core::event::Status;
use pra_testkit::{load_sample, tool, ClusterOptions, PgCluster};
use std::collections::BTreeMap;

/// Settings that reach the cluster over TCP only, verifying its certificate.
fn tls_env(c: &PgCluster, home: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("PGHOST".into(), "localhost".into()),
        ("PGHOSTADDR".into(), "127.0.0.1".into()),
        ("PGPORT".into(), c.port().to_string()),
        ("PGUSER".into(), "postgres".into()),
        ("PGDATABASE".into(), "postgres".into()),
        ("PGPASSFILE".into(), "/nonexistent".into()),
        ("PGSSLMODE".into(), "verify-full".into()),
        (
            "PGSSLROOTCERT".into(),
            c.tls_files().ca_cert.display().to_string(),
        ),
        ("HOME".into(), home.display().to_string()),
        ("PRA_PG_BINDIR".into(), c.bindir().display().to_string()),
    ]
}

/// Per backend pid of a TCP connection: its "connection authorized" log line.
fn tcp_sessions(log: &str) -> BTreeMap<String, String> {
    let pid = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
    let tcp: Vec<String> = log
        .lines()
        .filter(|l| l.contains("connection received: host=127.0.0.1"))
        .map(pid)
        .collect();
    log.lines()
        .filter(|l| l.contains("connection authorized:") && tcp.contains(&pid(l)))
        .map(|l| (pid(l), l.to_string()))
        .collect()
}

#[test]
fn backup_verify_restore_round_trip_over_tls_only() {
    let c = PgCluster::start_with(ClusterOptions {
        tls: true,
        conf: vec![
            "log_connections = on".into(),
            "log_line_prefix = '%p '".into(),
        ],
        ..Default::default()
    });
    load_sample(&c, "app", 1);
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    let env = tls_env(&c, home.path());
    let log_before = c.log().len();

    let taken = tool(sibling_bin("pra-backup").to_str().unwrap())
        .envs(env.clone())
        .arg("--init")
        .arg("--repo")
        .arg(&repo)
        .args(["-d", "app"])
        .run();
    taken.success();
    let verified = tool(env!("CARGO_BIN_EXE_pra-verify"))
        .envs(env.clone())
        .arg("--repo")
        .arg(&repo)
        .args(["--level", "restore"])
        .stdin(taken.stdout.clone())
        .run();
    verified.success();
    let (ev, _) = verify_fields(&verified);
    verified.check(ev.status == Status::Ok, "the backup verifies over TLS");
    let restored = tool(sibling_bin("pra-restore").to_str().unwrap())
        .envs(env.clone())
        .arg("--repo")
        .arg(&repo)
        .args(["--stanza", "app", "--target-db", "app_restored"])
        .run();
    restored.success();
    assert_eq!(
        c.psql("app_restored", "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')"),
        c.psql("app", "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')"),
    );

    let log = c.log()[log_before..].to_string();
    let sessions = tcp_sessions(&log);
    let plain: Vec<&String> = sessions
        .values()
        .filter(|l| !l.contains("SSL enabled"))
        .collect();
    assert!(plain.is_empty(), "TCP sessions without TLS: {plain:#?}");
    // The tools' own sessions and their libpq children all came over TCP (pra-verify's
    // own sessions are named `pra` and after its scratch database).
    assert!(sessions.len() >= 8, "too few TCP sessions:\n{log}");
    for app in [
        "pra-backup",
        "pg_dump",
        "pg_dumpall",
        "pg_restore",
        "pra-restore",
    ] {
        assert!(
            sessions
                .values()
                .any(|l| l.contains(&format!("application_name={app}"))),
            "no TLS session of {app} in the server log:\n{log}"
        );
    }
}
