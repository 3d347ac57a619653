//! A hung server never hangs pra-restore (issue 26): with the cluster frozen by
//! SIGSTOP, the connection gives up after PRA_CONNECT_TIMEOUT, a restore that stops
//! moving fails after --stall-timeout with error class `timeout`, and SIGTERM ends
//! a restore blocked on the frozen server within seconds. The temporary database
//! the frozen server kept it from dropping is dropped when the server resumes, by
//! the drop the run queued on a connection it held for that, with no other run and
//! no lock left; the next run then restores. A --check-url endpoint that never
//! answers fails its check after --http-timeout.

use crate::common::{self, PRA_RESTORE};
use pra_core::codec::Codec;
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::Kind;
use pra_core::repo::{LockMode, Repository};
use pra_testkit::{tool, wait_until, HttpServer, PgCluster, Reply, Tool};
use std::path::Path;
use std::time::{Duration, Instant};

/// A streamed restore (`--jobs 1`: the decoder feeds pg_restore's stdin, and the
/// stall is seen on that stream).
fn restore(c: &PgCluster, repo: &Path, target: &str) -> Tool {
    tool(PRA_RESTORE)
        .args(["--stanza", "big", "--target-db", target, "--jobs", "1"])
        .arg("--repo")
        .arg(repo)
        .envs(c.env())
        .env("PRA_STALL_TIMEOUT", "3s")
        .env("PRA_CONNECT_TIMEOUT", "2")
        .timeout(Duration::from_secs(60))
}

fn copying(c: &PgCluster, target: &str) -> bool {
    c.psql(
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE '{target}\\_\\_pra\\_restore\\_%' \
             AND query ILIKE 'COPY%'"
        ),
    ) != "0"
}

/// After the thaw: a new run drops what the frozen server kept, and restores.
fn assert_recovers(c: &PgCluster, repo: &Path, target: &str) {
    restore(c, repo, target).run().success();
    let left: Vec<String> = c
        .databases()
        .into_iter()
        .filter(|d| d.starts_with(target) && d != target)
        .collect();
    assert_eq!(left, Vec::<String>::new(), "no temporary database left");
}

#[test]
fn a_frozen_server_bounds_every_wait_of_a_restore() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    c.create_db("big");
    c.psql(
        "big",
        "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a FROM generate_series(1, 300000) g; \
         ALTER TABLE big ADD PRIMARY KEY (id)",
    );
    let manifest = common::backup(&c, repo.path(), "big", "big", Codec::Zstd);

    // Frozen before the connection: the connect timeout.
    let frozen = c.freeze();
    let run = restore(&c, repo.path(), "r1").run();
    run.code_is(3);
    assert_eq!(run.one(Kind::Restore).class(), Some(ErrorClass::Connection));
    run.check(
        run.elapsed < Duration::from_secs(2 + 3),
        "within the connect timeout",
    );
    frozen.thaw();

    // Frozen mid-restore: the stall timeout.
    let running = restore(&c, repo.path(), "r2").spawn();
    wait_until("pg_restore copying", Duration::from_secs(60), || {
        copying(&c, "r2")
    });
    let frozen = c.freeze();
    let since = Instant::now();
    let run = running.wait();
    run.code_is(3);
    let ev = run.one(Kind::Restore);
    assert_eq!(ev.class(), Some(ErrorClass::Timeout), "{}", run.dump());
    assert!(ev.message.contains("made no progress"), "{}", run.dump());
    run.check(
        since.elapsed() < Duration::from_secs(3 + 5),
        "within the stall timeout",
    );
    run.stderr_contains("drop queued on the server");
    frozen.thaw();
    c.wait_scratch_dropped(Duration::from_secs(15), |d| d.starts_with("r2__"));

    // Frozen mid-restore, then SIGTERM: ended within 5 s, by the signal.
    let running = restore(&c, repo.path(), "r3")
        .args(["--stall-timeout", "10m"])
        .spawn();
    wait_until("pg_restore copying", Duration::from_secs(60), || {
        copying(&c, "r3")
    });
    let frozen = c.freeze();
    std::thread::sleep(Duration::from_millis(500));
    let run = running.interrupt(libc::SIGTERM, Kind::Restore, Duration::from_secs(5));
    run.stderr_contains("drop queued on the server");
    frozen.thaw();
    c.wait_scratch_dropped(Duration::from_secs(15), |d| d.starts_with("r3__"));
    let repo_lock = Repository::open(repo.path().to_str().unwrap())
        .unwrap()
        .lock_backup("big", &manifest.id, "test", LockMode::Exclusive);
    assert!(repo_lock.is_ok(), "the backup is still locked");
    drop(repo_lock);
    assert_recovers(&c, repo.path(), "r2");
    assert_recovers(&c, repo.path(), "r3");

    // A --check-url endpoint that accepts and never answers: a failed check after
    // --http-timeout, not a hung restore.
    let app = HttpServer::scripted(vec![Reply::Hang; 4]);
    let run = restore(&c, repo.path(), "r4")
        .args(["--check-url", &app.url("/health"), "--http-timeout", "1s"])
        .run();
    run.code_is(1);
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    let failed: Vec<&str> = f
        .validation
        .iter()
        .filter(|v| v.check == "check_url")
        .map(|v| v.detail.as_str())
        .collect();
    assert!(
        failed.len() == 1 && failed[0].starts_with("no answer"),
        "{failed:?}"
    );
}
