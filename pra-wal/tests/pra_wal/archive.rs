//! pra-wal push as a real server's archive_command: segments land in the repository,
//! come back byte for byte, a second identical push succeeds, a different one is
//! refused without overwriting, and a missing name is PostgreSQL's "not found" (1);
//! any other failed fetch exits 200 (PostgreSQL stops recovery), 3 on a standby.

use super::common::{archiving_cluster, Archive};
use pra_core::event::Status;

#[test]
fn archive_command_stores_segments_that_fetch_gives_back() {
    archives_and_fetches(&Archive::new());
}

#[test]
fn archive_command_stores_segments_on_s3() {
    let server = pra_testkit::S3Server::start();
    archives_and_fetches(&Archive::on_s3(&server));
}

fn archives_and_fetches(archive: &Archive) {
    let cluster = archiving_cluster(archive);
    cluster.psql(
        "postgres",
        "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g",
    );
    let name = cluster.archive_current_segment();
    assert!(
        archive.stored(&name).is_some(),
        "{name} is in the repository"
    );
    let events = archive.events();
    let (ev, fields) = events
        .iter()
        .find(|(_, f)| f.name == name)
        .unwrap_or_else(|| panic!("no wal event for {name} in {events:?}"));
    assert_eq!((ev.status, fields.op.as_str()), (Status::Ok, "push"));
    assert_eq!(fields.raw_bytes, 16 << 20);
    assert!(fields.stored_bytes < fields.raw_bytes / 2, "{fields:?}");

    // The segment is still in pg_wal (no checkpoint recycled it yet): compare bytes.
    let original = std::fs::read(cluster.data_dir().join("pg_wal").join(&name)).unwrap();
    let out = archive.dir.path().join("fetched");
    let run = archive.pra_wal("fetch").arg(&name).arg(&out).run();
    run.success();
    assert!(
        run.stdout.is_empty(),
        "stdout belongs to PostgreSQL: {}",
        run.dump()
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        original,
        "fetched bytes are the segment's"
    );
    // The body after the header line is plain zstd frames (two or more, compressed in
    // parallel, on a machine with several cores): the documented `tail -n +2 OBJ |
    // zstd -d` gives the segment back.
    let stored = archive.stored(&name).unwrap();
    let start = stored.iter().position(|&b| b == b'\n').unwrap() + 1;
    let body = archive.dir.path().join("body.zst");
    std::fs::write(&body, &stored[start..]).unwrap();
    let unz = std::process::Command::new("zstd")
        .args(["-d", "-c"])
        .arg(&body)
        .output()
        .unwrap();
    assert!(
        unz.status.success() && unz.stdout == original,
        "zstd -d: {}",
        String::from_utf8_lossy(&unz.stderr)
    );

    // PostgreSQL retries a push whose success it did not hear: identical bytes pass.
    let seg = cluster.data_dir().join("pg_wal").join(&name);
    archive.pra_wal("push").arg(&seg).run().success();
    let again = archive.events();
    assert!(again.last().unwrap().1.already_archived, "{again:?}");

    // An events file that cannot be written (here a directory) does not fail a push or
    // fetch that succeeded: archiving would stall, recovery stop, for a log line.
    let unwritable = |op: &str| {
        pra_testkit::tool(super::common::BIN)
            .current_dir(archive.dir.path())
            .envs(archive.env.clone())
            .args([
                op,
                "--stanza",
                super::common::STANZA,
                "--repo",
                &archive.location,
            ])
            .arg("--events")
            .arg(archive.dir.path())
    };
    unwritable("push")
        .arg(&seg)
        .run()
        .success()
        .stderr_contains("warning");
    let refetched = archive.dir.path().join("refetched");
    unwritable("fetch")
        .arg(&name)
        .arg(&refetched)
        .run()
        .success()
        .stderr_contains("warning");
    assert_eq!(std::fs::read(&refetched).unwrap(), original);

    // Different bytes under the same name: refused, exit 3, never overwritten.
    let forged = archive.dir.path().join(&name);
    let mut bytes = original.clone();
    bytes[100] ^= 0xff;
    std::fs::write(&forged, &bytes).unwrap();
    let before = archive.stored(&name).unwrap();
    let run = archive.pra_wal("push").arg(&forged).run();
    run.code_is(3).stderr_contains("different content");
    assert_eq!(archive.stored(&name).unwrap(), before);
    let (ev, _) = archive.events().pop().unwrap();
    assert_eq!(ev.status, Status::Error);
    assert_eq!(ev.error_class.as_deref(), Some("repository"));

    // Not archived: exit 1, what restore_command must answer at the end of the WAL.
    let run = archive
        .pra_wal("fetch")
        .args(["FFFFFFFF0000000000000001"])
        .arg(&out)
        .run();
    run.code_is(1);
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "{}",
        run.dump()
    );

    damaged_fetches_stop_recovery_but_not_a_standby(archive, &name);
}

/// A damaged archive is not "not found": exit 200 (PostgreSQL stops archive recovery
/// with a FATAL line), named on stderr and in an `error` event; in a directory with
/// standby.signal (a standby's data directory, where PostgreSQL runs restore_command)
/// exit 3, which a standby retries. --on-error overrides either way.
fn damaged_fetches_stop_recovery_but_not_a_standby(archive: &Archive, name: &str) {
    let out = archive.dir.path().join("fetched");
    let _ = std::fs::remove_file(&out);
    let mut stored = archive.stored(name).unwrap();
    let n = stored.len();
    stored[n - 20] ^= 0xff;
    archive.overwrite(name, &stored);
    let fetch = || archive.pra_wal("fetch");
    fetch()
        .arg(name)
        .arg(&out)
        .run()
        .code_is(200)
        .stderr_contains("damaged");
    assert!(!out.exists(), "nothing written under the final name");
    let (ev, fields) = archive.events().pop().unwrap();
    assert_eq!((ev.status, fields.op.as_str()), (Status::Error, "fetch"));
    assert_eq!(ev.error_class.as_deref(), Some("corrupt"));
    // A name that is not a WAL file never becomes a key, and is no end of the WAL.
    fetch()
        .args(["../../pra.json"])
        .arg(&out)
        .run()
        .code_is(200);
    fetch()
        .args(["--on-error", "retry", "../../pra.json"])
        .arg(&out)
        .run()
        .code_is(2);

    let standby = tempfile::tempdir().unwrap();
    std::fs::write(standby.path().join("standby.signal"), "").unwrap();
    fetch()
        .current_dir(standby.path())
        .arg(name)
        .arg(&out)
        .run()
        .code_is(3)
        .stderr_contains("damaged");
    fetch()
        .current_dir(standby.path())
        .args(["FFFFFFFF0000000000000001"])
        .arg(&out)
        .run()
        .code_is(1);
    fetch()
        .current_dir(standby.path())
        .env("PRA_WAL_ON_ERROR", "fatal")
        .arg(name)
        .arg(&out)
        .run()
        .code_is(200);
    fetch()
        .args(["--on-error", "retry"])
        .arg(name)
        .arg(&out)
        .run()
        .code_is(3);
    assert!(!out.exists());
}

#[test]
fn a_missing_repository_fails_the_fetch_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let run = pra_testkit::tool(super::common::BIN)
        .current_dir(dir.path())
        .args(["fetch", "--stanza", "main", "--repo"])
        .arg(dir.path().join("nowhere"))
        .args(["000000010000000000000001"])
        .arg(dir.path().join("RECOVERYXLOG"))
        .run();
    run.code_is(200).stderr_contains("pra-wal: error:");
    assert_eq!(
        run.stderr.matches("nowhere does not exist").count(),
        1,
        "{}",
        run.dump()
    );
}

#[test]
fn a_missing_repository_fails_the_push_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("000000010000000000000001");
    std::fs::write(&seg, vec![0u8; 1024]).unwrap();
    let run = pra_testkit::tool(super::common::BIN)
        .args(["push", "--stanza", "main", "--repo"])
        .arg(dir.path().join("nowhere"))
        .arg(&seg)
        .run();
    run.code_is(3).stderr_contains("pra-wal: error:");
    assert!(run.stdout.is_empty(), "{}", run.dump());
}
