//! A hung server never hangs pra-backup (issue 26): with the cluster frozen by
//! SIGSTOP, the connection gives up after PRA_CONNECT_TIMEOUT, a dump that stops
//! moving fails after --stall-timeout with error class `timeout`, and SIGTERM ends
//! the run within seconds; once the server resumes no backup, staged file or lock
//! is left (a second backup takes the lock at once).

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Kind, Status};
use pra_testkit::{wait_until, PgCluster, Tool};
use std::path::Path;
use std::time::{Duration, Instant};

/// A database whose dump lasts long enough to be caught in the middle.
fn cluster_with_app() -> PgCluster {
    let c = PgCluster::start();
    c.create_db("app");
    c.psql(
        "app",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 200000) i",
    );
    c
}

/// pra-backup of `app` with short bounds and no retries.
fn quick_backup(c: &PgCluster, repo: &Path) -> Tool {
    backup(c, repo)
        .args(["-d", "app", "--retries", "0", "--stall-timeout", "3s"])
        .env("PRA_CONNECT_TIMEOUT", "2")
        .timeout(Duration::from_secs(60))
}

fn dump_is_staged(repo: &Path) -> bool {
    all_files(repo).iter().any(|f| f.contains("dump.pgc"))
}

/// Once the server runs again: nothing half-written, and the lock is free.
fn assert_clean_after_thaw(c: &PgCluster, repo: &Path) {
    assert_nothing_left(repo, "app");
    backup(c, repo)
        .args(["-d", "app", "--wait", "0s"])
        .run()
        .success();
}

#[test]
fn a_frozen_server_fails_the_connection_and_sigterm_ends_the_wait() {
    let c = cluster_with_app();
    let repo = tempfile::tempdir().unwrap();
    let frozen = c.freeze();
    let run = quick_backup(&c, repo.path()).run();
    run.code_is(3);
    let ev = run.one(Kind::Backup);
    assert_eq!(ev.status, Status::Error, "{}", run.dump());
    assert_eq!(ev.class(), Some(ErrorClass::Connection), "{}", run.dump());
    assert!(ev.message.contains("timeout expired"), "{}", run.dump());
    run.check(
        run.elapsed < Duration::from_secs(2 + 3),
        "within the timeout",
    );

    // With the default 30 s bound, SIGTERM does not wait for it.
    let running = backup(&c, repo.path())
        .args(["-d", "app", "--retries", "0"])
        .spawn();
    std::thread::sleep(Duration::from_millis(700));
    running.interrupt(libc::SIGTERM, Kind::Backup, Duration::from_secs(5));
    frozen.thaw();
    assert_clean_after_thaw(&c, repo.path());
}

#[test]
fn a_dump_that_stops_moving_fails_as_a_stall() {
    let c = cluster_with_app();
    let repo = tempfile::tempdir().unwrap();
    let running = quick_backup(&c, repo.path()).spawn();
    wait_until("pg_dump started", Duration::from_secs(30), || {
        dump_is_staged(repo.path())
    });
    let frozen = c.freeze();
    let since = Instant::now();
    let run = running.wait();
    run.code_is(3);
    let ev = run.one(Kind::Backup);
    assert_eq!(ev.class(), Some(ErrorClass::Timeout), "{}", run.dump());
    assert!(
        ev.message.contains("made no progress for 3"),
        "{}",
        run.dump()
    );
    run.check(
        since.elapsed() < Duration::from_secs(3 + 4),
        "within the stall timeout",
    );
    frozen.thaw();
    assert_clean_after_thaw(&c, repo.path());
}

#[test]
fn sigterm_ends_a_dump_blocked_on_a_frozen_server() {
    let c = cluster_with_app();
    let repo = tempfile::tempdir().unwrap();
    let running = backup(&c, repo.path())
        .args(["-d", "app", "--retries", "0"])
        .spawn();
    wait_until("pg_dump started", Duration::from_secs(30), || {
        dump_is_staged(repo.path())
    });
    let frozen = c.freeze();
    std::thread::sleep(Duration::from_millis(500));
    let sent = Instant::now();
    running.signal(libc::SIGTERM);
    let run = running.wait();
    run.check(
        sent.elapsed() < Duration::from_secs(5),
        "ended within 5 s of SIGTERM",
    );
    assert_eq!(run.signal, Some(libc::SIGTERM), "{}", run.dump());
    assert_eq!(run.one(Kind::Backup).status, Status::Error);
    frozen.thaw();
    assert_clean_after_thaw(&c, repo.path());
}
