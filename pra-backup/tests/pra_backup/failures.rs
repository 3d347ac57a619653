//! Failure, nothing lost: pg_dump refused by permissions, the stanza lock held, a
//! signal mid-backup, an unreachable server and bad flags each leave no manifest and
//! no stray file, with the exit code of the contract and an `error` event that says why.

use crate::common::*;
use pra_core::event::kinds::BackupFields;
use pra_core::event::{Event, Kind, Status};
use pra_core::repo::Repository;
use pra_testkit::{tool, PgCluster};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn error_fields(run: &pra_testkit::ToolRun) -> BackupFields {
    let ev = run.one(Kind::Backup);
    run.check(ev.status == Status::Error, "backup event is an error");
    ev.fields_as().unwrap()
}

#[test]
fn bad_flags_are_one_line_and_exit_2() {
    for args in [
        vec!["--repo", "/tmp/x", "--compress", "xz"],
        vec!["--repo", "/tmp/x", "--no-such-flag"],
        vec!["--repo", "/tmp/x", "--compress", "gzip", "--level", "12"],
        vec![],
    ] {
        let run = tool(env!("CARGO_BIN_EXE_pra-backup")).args(&args).run();
        run.code_is(2);
        run.check(run.stderr.trim().lines().count() == 1, "one line on stderr");
        run.check(run.stderr.starts_with("pra-backup: "), "prefixed");
        // DESIGN.md: every failure, usage errors included, emits its event.
        let ev = run.one(Kind::Backup);
        run.check(
            ev.status == Status::Error
                && ev.class() == Some(pra_core::error_class::ErrorClass::Usage),
            "a usage error event",
        );
    }
}

#[test]
fn unreachable_server_fails_after_retries_and_leaves_nothing() {
    let repo = tempfile::tempdir().unwrap();
    let run = tool(env!("CARGO_BIN_EXE_pra-backup"))
        .env("PGHOST", "/nonexistent-socket-dir")
        .env("PGPORT", "5999")
        .env("PGUSER", "postgres")
        .args([
            "-d",
            "app",
            "--retries",
            "1",
            "--retry-delay",
            "100ms",
            "--init",
            "--repo",
        ])
        .arg(repo.path())
        .run();
    run.code_is(3);
    run.stderr_contains("retry 1/1");
    let f = error_fields(&run);
    run.check(
        f.error.as_deref().unwrap_or("").contains("cannot connect"),
        "error says why",
    );
    assert_nothing_left(repo.path(), "app");
}

#[test]
fn missing_pg_dump_is_a_configuration_error_naming_the_flag_not_retried() {
    let repo = tempfile::tempdir().unwrap();
    let empty_bindir = tempfile::tempdir().unwrap();
    let run = tool(env!("CARGO_BIN_EXE_pra-backup"))
        .env("PGHOST", "/nonexistent-socket-dir")
        .env("PGPORT", "5999")
        .env("PRA_PG_BINDIR", empty_bindir.path())
        .args([
            "-d",
            "app",
            "--retries",
            "3",
            "--retry-delay",
            "10s",
            "--init",
            "--repo",
        ])
        .arg(repo.path())
        .run();
    run.code_is(2);
    run.check(!run.stderr.contains("retry"), "not retried as transient");
    let err = error_fields(&run).error.unwrap_or_default();
    run.check(
        err.contains("pg_dump not found") && err.contains("--pg-bindir/PRA_PG_BINDIR"),
        "the error names the program, the flag and the variable",
    );
    assert_nothing_left(repo.path(), "app");
}

#[test]
fn permission_denied_lock_held_and_signals_leave_nothing() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    c.create_db("app");
    c.psql(
        "app",
        "CREATE ROLE limited LOGIN; \
         CREATE TABLE open_t AS SELECT i FROM generate_series(1, 10) i; \
         CREATE TABLE secret AS SELECT i FROM generate_series(1, 10) i; \
         GRANT SELECT ON open_t TO limited; REVOKE ALL ON secret FROM PUBLIC;",
    );

    // pg_dump refused: the role may not read a table (row counts limited to what it can read).
    let run = backup(&c, repo.path())
        .env("PGUSER", "limited")
        .args([
            "-d",
            "app",
            "--count-rows",
            "none",
            "--critical-table",
            "open_t",
        ])
        .run();
    run.code_is(3);
    let f = error_fields(&run);
    let err = f.error.unwrap_or_default();
    run.check(err.contains("pg_dump failed"), "names pg_dump");
    run.check(
        err.contains("permission denied"),
        "carries pg_dump's stderr",
    );
    run.check(
        err.contains("(hint: GRANT pg_read_all_data TO limited"),
        "names the privilege to grant",
    );
    run.check(f.id.is_some(), "the failed backup's id is reported");
    assert_nothing_left(repo.path(), "app");

    // The same role on what it may read: a backup with a warning (no role passwords).
    c.psql("app", "DROP TABLE secret");
    let run = backup(&c, repo.path())
        .env("PGUSER", "limited")
        .args([
            "-d",
            "app",
            "--count-rows",
            "none",
            "--critical-table",
            "open_t",
            "--critical-table",
            "nope",
        ])
        .run();
    run.success();
    let ev = run.one(Kind::Backup);
    run.check(ev.status == Status::Warn, "warn status");
    let f: BackupFields = ev.fields_as().unwrap();
    run.check(
        f.warnings.iter().any(|w| w.contains("--no-role-passwords")),
        "warns about passwords",
    );
    run.check(
        f.warnings.iter().any(|w| w.contains("nope")),
        "warns about the missing critical table",
    );
    let m = only_manifest(repo.path(), "app");
    assert_eq!(m.tables.len(), 1);
    assert_eq!(
        m.tables[0].rows,
        Some(10),
        "critical table counted with --count-rows none"
    );
    let r = Repository::open(repo.path().to_str().unwrap()).unwrap();
    r.delete_backup("app", &m.id).unwrap();

    // The stanza lock held by someone else: exit 3, the holder named, nothing written.
    let guard = r
        .lock_stanza("app", "pra-test-holder", Duration::ZERO)
        .unwrap();
    let run = backup(&c, repo.path()).args(["-d", "app"]).run();
    run.code_is(3);
    run.stderr_contains("pra-test-holder");
    let f = error_fields(&run);
    run.check(
        f.error.unwrap_or_default().contains("locked by"),
        "error names the lock",
    );
    assert_nothing_left(repo.path(), "app");
    // --wait: the backup waits for the holder to leave, then succeeds.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        drop(guard);
    });
    let run = backup(&c, repo.path())
        .args(["-d", "app", "--wait", "30s"])
        .run();
    releaser.join().unwrap();
    run.success();
    let m = only_manifest(repo.path(), "app");
    r.delete_backup("app", &m.id).unwrap();
    assert_nothing_left(repo.path(), "app");

    // SIGTERM / SIGINT mid-dump: the partial backup removed, no pg_dump left, then a
    // death by the signal itself (a shell's $? is 143 / 130: signals.rs).
    c.psql(
        "app",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 1000000) i",
    );
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut cmd = backup(&c, repo.path())
            .args(["-d", "app", "--level", "19", "--threads", "0"])
            .command();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let dumping = loop {
            let tmp = all_files(repo.path())
                .iter()
                .any(|f| f.contains(".dump.pgc.zst.tmp"));
            if tmp || started.elapsed() > Duration::from_secs(60) {
                break tmp;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(dumping, "the dump started");
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(
            (status.signal(), status.code()),
            (Some(sig), None),
            "a death by signal {sig}: {err}"
        );
        let ev = Event::parse_line(out.trim().as_bytes()).unwrap();
        assert_eq!(ev.status, Status::Error);
        assert!(ev.message.contains("interrupted"), "{}", ev.message);
        assert_nothing_left(repo.path(), "app");
        let started = Instant::now();
        loop {
            let n = c.psql(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('pg_dump', 'pra-backup')",
            );
            if n == "0" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "pg_dump still connected"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
