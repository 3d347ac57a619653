//! A hung server never hangs pra-verify's restore level (issue 26): with the cluster
//! frozen by SIGSTOP, the connection gives up after PRA_CONNECT_TIMEOUT, a test
//! restore that stops moving fails after --stall-timeout with error class `timeout`
//! (no verdict on the backup: a frozen server says nothing about it), and SIGTERM
//! ends a test restore blocked on the frozen server within seconds. The scratch
//! database the frozen server kept the run from dropping is dropped when the server
//! resumes, by the drop the run queued on its own connection, with no other run and
//! no lock left; the next run then verifies.

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::BackupFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::{LockMode, Repository};
use pra_testkit::{PgCluster, Running, Tool};
use std::path::Path;
use std::time::{Duration, Instant};

fn restore_level(c: &PgCluster, repo: &Path) -> Tool {
    verify(c, repo)
        .args(["--stanza", "app", "--level", "restore", "-d", "postgres"])
        .env("PRA_STALL_TIMEOUT", "3s")
        .env("PRA_CONNECT_TIMEOUT", "2")
        .timeout(Duration::from_secs(60))
}

/// Waits until pg_restore copies rows into the scratch database: mid-restore.
fn wait_for_copy(c: &PgCluster, mut running: Running) -> Running {
    let started = Instant::now();
    while c.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'pra\\_verify\\_%' \
         AND query ILIKE 'COPY %'",
    ) == "0"
    {
        if !running.is_running() {
            panic!("ended before its test restore:\n{}", running.wait().dump());
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no test restore"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    running
}

/// After the thaw: the next run drops what the frozen server kept, and passes.
fn assert_recovers(c: &PgCluster, repo: &Path) {
    let run = restore_level(c, repo).run();
    run.success();
    assert_eq!(scratch_dbs(c), Vec::<String>::new());
}

#[test]
fn a_frozen_server_bounds_every_wait_of_a_test_restore() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    c.create_db("app");
    c.psql(
        "app",
        "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a FROM generate_series(1, 400000) g; \
         ALTER TABLE big ADD PRIMARY KEY (id)",
    );
    let backup_id = take_backup(&c, repo.path(), "app")
        .one(Kind::Backup)
        .fields_as::<BackupFields>()
        .unwrap()
        .id
        .unwrap();

    // Frozen before the connection: the connect timeout, no verdict.
    let frozen = c.freeze();
    let run = restore_level(&c, repo.path()).run();
    run.code_is(3);
    let (ev, _) = verify_fields(&run);
    assert_eq!(ev.status, Status::Error);
    assert_eq!(ev.class(), Some(ErrorClass::Connection), "{}", run.dump());
    run.check(
        run.elapsed < Duration::from_secs(2 + 3),
        "within the connect timeout",
    );
    frozen.thaw();

    // Frozen mid-restore: the stall timeout, no verdict.
    let running = wait_for_copy(&c, restore_level(&c, repo.path()).spawn());
    let frozen = c.freeze();
    let since = Instant::now();
    let run = running.wait();
    run.code_is(3);
    let ev = run.one(Kind::Verify);
    assert_eq!(ev.class(), Some(ErrorClass::Timeout), "{}", run.dump());
    assert!(ev.message.contains("made no progress"), "{}", run.dump());
    run.check(
        since.elapsed() < Duration::from_secs(3 + 5),
        "within the stall timeout",
    );
    run.stderr_contains("drop queued on the server");
    frozen.thaw();
    c.wait_scratch_dropped(Duration::from_secs(15), |d| d.starts_with("pra_verify_"));

    // Frozen mid-restore, then SIGTERM: ended within 5 s, by the signal, with an event.
    let running = wait_for_copy(
        &c,
        restore_level(&c, repo.path())
            .args(["--stall-timeout", "10m"])
            .spawn(),
    );
    let frozen = c.freeze();
    std::thread::sleep(Duration::from_millis(500));
    let run = running.interrupt(libc::SIGTERM, Kind::Verify, Duration::from_secs(5));
    run.stderr_contains("drop queued on the server");
    frozen.thaw();
    c.wait_scratch_dropped(Duration::from_secs(15), |d| d.starts_with("pra_verify_"));
    let repo_lock = Repository::open(repo.path().to_str().unwrap())
        .unwrap()
        .lock_backup("app", &backup_id, "test", LockMode::Exclusive);
    assert!(repo_lock.is_ok(), "the backup is still locked");
    drop(repo_lock);
    assert_recovers(&c, repo.path());
}
