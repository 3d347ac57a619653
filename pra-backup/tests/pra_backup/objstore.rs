//! pra-backup into an S3 repository (a real moto server on 127.0.0.1): the backup
//! restores with identical table digests, an upload killed midway leaves no
//! manifest and the next backup succeeds, a live lease of another host is respected
//! and an expired one taken over, an endpoint that is down is one clear error.

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Kind, Status};
use pra_core::repo::lease::Lease;
use pra_core::repo::{LockHolder, LockMode, Repository};
use pra_testkit::{database_digest, load_app, tool, PgCluster, S3Server, Tool};
use std::io::Read;
use std::time::{Duration, Instant};

/// pra-backup aimed at the cluster and an S3 repository of `server`.
fn s3_backup(c: &PgCluster, server: &S3Server, prefix: &str) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-backup"))
        .envs(c.env())
        .envs(server.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .arg("--init")
        .args(["--repo", &server.url(prefix)])
}

/// pra-backup with `--init`, its S3 endpoint a port where nothing listens.
fn backup_to_nothing(c: &PgCluster, port: u16) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-backup"))
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "k")
        .env("AWS_SECRET_ACCESS_KEY", "very-secret-value")
        .arg("--init")
}

fn open(server: &S3Server, prefix: &str) -> Repository {
    Repository::with_storage(Box::new(server.storage(prefix))).unwrap()
}

#[test]
fn backup_to_s3_restores_with_identical_digests() {
    let c = PgCluster::start();
    load_app(&c, "s3app", 1);
    let server = S3Server::start();

    let run = s3_backup(&c, &server, "fleet/db1")
        .args(["-d", "s3app"])
        .run();
    run.success();
    let ev = run.one(Kind::Backup);
    assert_eq!(ev.status, Status::Ok, "{}", run.dump());
    let secret = "pra-test-secret";
    run.check(
        !String::from_utf8_lossy(&run.stdout).contains(secret) && !run.stderr.contains(secret),
        "no credential in events or logs",
    );

    let repo = open(&server, "fleet/db1");
    let all = repo.complete_backups("s3app").unwrap();
    assert_eq!(all.len(), 1);
    let m = &all[0];
    let names: Vec<String> = repo
        .list_backup_files("s3app", &m.id)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for f in &m.files {
        assert!(names.contains(&f.name), "{} stored: {names:?}", f.name);
    }

    // Download the dump and restore it with the standard tools only.
    let dump = m
        .files
        .iter()
        .find(|f| f.name.starts_with("dump."))
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let path = local.path().join(&dump.name);
    let mut bytes = Vec::new();
    repo.open_file("s3app", &m.id, &dump.name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes.len() as u64, dump.stored_bytes);
    std::fs::write(&path, &bytes).unwrap();
    restore_with_standard_tools(&c, &path, "s3app_back");
    let diff = database_digest(&c, "s3app").diff(&database_digest(&c, "s3app_back"));
    assert!(diff.is_empty(), "tables differ after restore: {diff:?}");
}

#[test]
fn an_upload_killed_midway_leaves_no_manifest_and_the_next_backup_succeeds() {
    // Also: two processes on one stanza, the second refused by the lease of the first.
    let c = PgCluster::start();
    c.create_db("s3kill");
    c.psql(
        "s3kill",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 4000000) i",
    );
    let server = S3Server::start();
    let repo = open(&server, "kill");
    let running = s3_backup(&c, &server, "kill")
        .args(["-d", "s3kill", "--level", "9", "--threads", "0"])
        .spawn();
    // Once its backup id is reserved, it holds the stanza's lease.
    let deadline = Instant::now() + Duration::from_secs(60);
    while repo.backups("s3kill").map(|b| b.is_empty()).unwrap_or(true) {
        assert!(Instant::now() < deadline, "no backup reserved in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Meanwhile a second process is refused by the first one's lease, which it names.
    let second = s3_backup(&c, &server, "kill")
        .args(["-d", "s3kill", "--wait", "1s"])
        .run();
    second.code_is(3);
    second.stderr_contains(&format!("pid {}", running.pid()));
    let ev = second.one(Kind::Backup);
    second.check(
        ev.class() == Some(ErrorClass::LockHeld),
        "a lock_held error",
    );
    // Killed while the dump is a multipart upload in progress (past its first 16 MiB part).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server
        .uploads_in_progress()
        .iter()
        .any(|k| k.ends_with("/dump.pgc.zst"))
    {
        assert!(
            Instant::now() < deadline,
            "no multipart upload in 60 s; the server saw:\n{}",
            server
                .server_log()
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    running.signal(libc::SIGKILL);
    let run = running.wait();
    run.check(
        run.signal == Some(libc::SIGKILL),
        "killed midway, not finished",
    );

    let entries = repo.backups("s3kill").unwrap();
    assert!(
        entries.iter().all(|b| !b.complete),
        "no manifest: {entries:?}"
    );
    let id = &entries[0].id;
    assert!(
        repo.list_backup_files("s3kill", id).unwrap().is_empty(),
        "the dump being uploaded is no object"
    );
    assert!(repo.complete_backups("s3kill").unwrap().is_empty());

    // The killed holder's lease is still there, unexpired: the next backup waits for
    // it or takes it over once expired; here it is planted expired to keep the test short.
    let lease_key = "s3kill/lease";
    if let Ok(raw) = repo.storage().read(lease_key) {
        let mut lease: Lease = serde_json::from_slice(&raw).unwrap();
        lease.expires_at = pra_core::time::now() - chrono_seconds(1);
        repo.storage().write(lease_key, &lease.to_json()).unwrap();
    }
    c.psql("s3kill", "TRUNCATE big");
    s3_backup(&c, &server, "kill")
        .args(["-d", "s3kill"])
        .run()
        .success();
    assert_eq!(repo.complete_backups("s3kill").unwrap().len(), 1);
}

fn chrono_seconds(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[test]
fn a_live_lease_of_another_host_is_respected_and_an_expired_one_taken_over() {
    let c = PgCluster::start();
    c.create_db("s3lease");
    let server = S3Server::start();
    let repo = open(&server, "lease");
    repo.init().unwrap();
    let other = LockHolder {
        tool: "pra-backup".to_string(),
        pid: 4242,
        host: "db-elsewhere".to_string(),
        since: pra_core::time::now(),
    };
    let mut lease = Lease::new(&other, LockMode::Exclusive);
    let key = "s3lease/lease";
    repo.storage().write(key, &lease.to_json()).unwrap();

    let run = s3_backup(&c, &server, "lease")
        .args(["-d", "s3lease", "--wait", "1s"])
        .run();
    run.code_is(3);
    run.stderr_contains("db-elsewhere");
    let ev = run.one(Kind::Backup);
    run.check(
        ev.status == Status::Error && ev.class() == Some(ErrorClass::LockHeld),
        "a lock_held error",
    );

    lease.expires_at = pra_core::time::now() - chrono_seconds(5);
    repo.storage().write(key, &lease.to_json()).unwrap();
    s3_backup(&c, &server, "lease")
        .args(["-d", "s3lease"])
        .run()
        .success();
    assert_eq!(repo.complete_backups("s3lease").unwrap().len(), 1);
    assert_eq!(repo.storage().size(key).unwrap(), None, "lease released");
}

#[test]
fn an_endpoint_that_is_down_is_one_error_naming_the_repository() {
    let c = PgCluster::start();
    c.create_db("s3down");
    let run = backup_to_nothing(&c, pra_testkit::free_port())
        .args(["--repo", "s3://nowhere/x", "-d", "s3down"])
        .run();
    run.code_is(3);
    run.stderr_contains("s3://nowhere/x");
    let ev = run.one(Kind::Backup);
    run.check(
        ev.status == Status::Error && ev.class() == Some(ErrorClass::Repository),
        "a repository error event",
    );
    run.check(
        !String::from_utf8_lossy(&run.stdout).contains("very-secret-value"),
        "no secret in events",
    );
}

#[test]
fn several_repositories_each_written_and_one_down_leaves_the_backup_on_the_others() {
    let c = PgCluster::start();
    load_app(&c, "s3multi", 1);
    let server = S3Server::start();
    let home = tempfile::tempdir().unwrap();
    let local = home.path().join("pra");

    // Both up: a local repository and a bucket each get a complete, identical backup.
    let run = s3_backup(&c, &server, "multi")
        .arg("--repo")
        .arg(&local)
        .args(["-d", "s3multi"])
        .run();
    run.success();
    let on_s3 = open(&server, "multi").complete_backups("s3multi").unwrap();
    let on_disk = Repository::open(local.to_str().unwrap())
        .unwrap()
        .complete_backups("s3multi")
        .unwrap();
    assert_eq!((on_s3.len(), on_disk.len()), (1, 1));
    assert_eq!(on_s3[0].files, on_disk[0].files, "the same files in both");

    // The bucket's endpoint down, listed first: an error event naming it, the backup
    // on the local repository, reported `warn`, exit 1.
    let port = server.port;
    drop(server);
    let run = backup_to_nothing(&c, port)
        .args(["--repo", "s3://pra-test/multi", "--repo"])
        .arg(&local)
        .args(["-d", "s3multi"])
        .run();
    run.code_is(1);
    let events = run.events_of(Kind::Backup);
    assert_eq!(events.len(), 2, "{}", run.dump());
    let (failed, done) = (events[0], events[1]);
    run.check(
        failed.status == Status::Error
            && failed.class() == Some(ErrorClass::Repository)
            && failed.message.contains("s3://pra-test/multi"),
        "an error event naming the repository that is down",
    );
    run.check(done.status == Status::Warn, "the backup is reported warn");
    run.check(
        done.message.starts_with("backup ") && !done.message.contains("failed"),
        "the backup completed",
    );
    let on_disk = Repository::open(local.to_str().unwrap())
        .unwrap()
        .complete_backups("s3multi")
        .unwrap();
    assert_eq!(
        on_disk.len(),
        2,
        "the second backup is on the local repository"
    );
}
