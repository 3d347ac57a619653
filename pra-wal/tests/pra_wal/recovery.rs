//! pra-wal fetch as a real server's restore_command: a base backup taken without WAL
//! recovers every row committed after it from the archive alone, and the end of the
//! archive ("not found", exit 1) ends recovery normally.

use super::common::{archiving_cluster, Archive};
use pra_testkit::RecoveredServer;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

#[test]
fn restore_command_replays_archived_wal_into_a_base_backup() {
    replays_archived_wal(&Archive::new());
}

#[test]
fn restore_command_replays_archived_wal_from_s3() {
    let server = pra_testkit::S3Server::start();
    replays_archived_wal(&Archive::on_s3(&server));
}

fn replays_archived_wal(archive: &Archive) {
    let cluster = archiving_cluster(archive);
    cluster.psql(
        "postgres",
        "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)",
    );
    let copy = archive.dir.path().join("copy");
    let ids = super::common::postgres_ids();
    let mut basebackup = Command::new(cluster.bindir().join("pg_basebackup"));
    basebackup
        .arg("-D")
        .arg(&copy)
        .args(["-X", "none", "-c", "fast", "-h"])
        .arg(cluster.socket_dir())
        .args(["-p", &cluster.port().to_string(), "-U", "postgres"]);
    if let Some((uid, gid)) = ids {
        basebackup.uid(uid).gid(gid);
    }
    let out = basebackup.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Rows the base backup does not hold: only the archive brings them.
    cluster.psql("postgres", "INSERT INTO t SELECT generate_series(101, 250)");
    cluster.archive_current_segment();

    let mut conf = std::fs::read_to_string(copy.join("postgresql.conf")).unwrap();
    conf.push_str(&format!(
        "\n{}\narchive_mode = off\n",
        archive.restore_command()
    ));
    std::fs::write(copy.join("postgresql.conf"), conf).unwrap();
    std::fs::write(copy.join("recovery.signal"), "").unwrap();
    let mut server = RecoveredServer::start(cluster.bindir(), &copy, &cluster.data_dir());
    let mut client = server
        .wait_recovered(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    let count: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .unwrap()
        .get(0);
    let log = server.log();
    drop(server);
    let fetched: Vec<_> = archive
        .events()
        .into_iter()
        .filter(|(_, f)| f.op == "fetch")
        .collect();
    assert_eq!(
        count, 250,
        "every archived row was replayed; fetches: {fetched:?}\nserver log:\n{log}"
    );
    assert!(
        fetched.iter().any(|(_, f)| f.found == Some(true)),
        "{fetched:?}"
    );
    assert!(
        fetched.iter().any(|(_, f)| f.found == Some(false)),
        "the end of the archive was asked for"
    );
}
