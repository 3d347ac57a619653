//! pra-wal fetch as a real server's restore_command: a base backup taken without WAL
//! recovers every row committed after it from the archive alone, and the end of the
//! archive ("not found", exit 1) ends recovery normally; a damaged segment in the
//! middle stops recovery (exit 200, FATAL) instead of promoting with rows missing,
//! and recovery resumes once the segment is repaired.

use super::common::{archiving_cluster, Archive};
use pra_testkit::{PgCluster, RecoveredServer};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
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
    let copy = base_backup(&cluster, archive);
    // Rows the base backup does not hold: only the archive brings them.
    cluster.psql("postgres", "INSERT INTO t SELECT generate_series(101, 250)");
    cluster.archive_current_segment();

    let (count, log) = recover(&cluster, &copy);
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

/// Archive recovery without a target, a damaged segment after the backup's end: a
/// restore_command answer PostgreSQL reads as "not available" would end recovery
/// there and promote with the later rows missing. pra-wal exits 200, the server stops
/// with a FATAL line naming the file, and starts once the segment is repaired.
#[test]
fn a_damaged_segment_stops_archive_recovery_instead_of_promoting() {
    let archive = Archive::new();
    let cluster = archiving_cluster(&archive);
    let copy = base_backup(&cluster, &archive);
    // A segment after the backup's end (pg_basebackup switched): from there on,
    // PostgreSQL could end recovery consistently, with rows missing.
    cluster.psql("postgres", "INSERT INTO t SELECT generate_series(101, 200)");
    let damaged = cluster.archive_current_segment();
    cluster.psql("postgres", "INSERT INTO t SELECT generate_series(201, 300)");
    cluster.archive_current_segment();
    let original = archive.stored(&damaged).unwrap();
    let mut flipped = original.clone();
    let n = flipped.len();
    flipped[n - 20] ^= 0xff;
    archive.overwrite(&damaged, &flipped);

    let mut server = RecoveredServer::start(cluster.bindir(), &copy, &cluster.data_dir());
    let exited = match server.wait_recovered(Duration::from_secs(60)) {
        Err(e) => e,
        Ok(mut client) => {
            let count = rows(&mut client);
            panic!(
                "the server ended recovery at the damaged {damaged} and came up with {count} \
                 of 300 rows; log:\n{}",
                server.log()
            );
        }
    };
    assert!(exited.starts_with("the server exited"), "{exited}");
    let log = server.log();
    drop(server);
    for line in [
        format!("FATAL:  could not restore file \"{damaged}\" from archive"),
        "exit code 200".to_string(),
        format!("pra-wal: error: archived {damaged} is damaged"),
    ] {
        assert!(
            log.contains(&line),
            "{line:?} not in the server log:\n{log}"
        );
    }
    let (event, fields) = archive
        .events()
        .into_iter()
        .find(|(e, f)| f.name == damaged && e.error_class.is_some())
        .unwrap_or_else(|| panic!("no error event for {damaged}: {:?}", archive.events()));
    assert_eq!(event.error_class.as_deref(), Some("corrupt"), "{fields:?}");

    // The operator repairs the archive and starts the server again: recovery resumes.
    archive.overwrite(&damaged, &original);
    let (count, log) = recover(&cluster, &copy);
    assert_eq!(count, 300, "log:\n{log}");
}

/// Starts a server on `copy` and waits until its recovery is over: the rows of `t`
/// and the server log.
fn recover(cluster: &PgCluster, copy: &Path) -> (i64, String) {
    let mut server = RecoveredServer::start(cluster.bindir(), copy, &cluster.data_dir());
    let mut client = server
        .wait_recovered(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    (rows(&mut client), server.log())
}

fn rows(client: &mut postgres::Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM t", &[])
        .unwrap()
        .get(0)
}

/// Rows 1..=100 in table `t`, then a base copy of `cluster` without WAL (`-X none`),
/// configured for archive recovery through pra-wal fetch from `archive`.
fn base_backup(cluster: &PgCluster, archive: &Archive) -> PathBuf {
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
    let mut conf = std::fs::read_to_string(copy.join("postgresql.conf")).unwrap();
    conf.push_str(&format!(
        "\n{}\narchive_mode = off\n",
        archive.restore_command()
    ));
    std::fs::write(copy.join("postgresql.conf"), conf).unwrap();
    std::fs::write(copy.join("recovery.signal"), "").unwrap();
    copy
}
