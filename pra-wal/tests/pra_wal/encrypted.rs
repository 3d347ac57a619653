//! Encrypted WAL: pra-wal push --encrypt-to (from PRA_ENCRYPT_TO in the
//! archive_command) stores segments the bucket cannot read, a second push stays
//! idempotent though age output is randomized, fetch needs the identity (none or a
//! wrong one exits 200, never 1, and writes nothing), and the age CLI reads what
//! pra-wal wrote.

use super::common::{archiving_cluster, Archive};
use pra_core::event::Status;
use pra_testkit::keys::age_keygen;
use std::process::Command;

#[test]
fn encrypted_segments_need_the_identity_and_the_age_cli_reads_them() {
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_keygen(keys.path(), "key.txt");
    let (wrong, _) = age_keygen(keys.path(), "other.txt");
    let mut archive = Archive::new();
    archive.env.push(("PRA_ENCRYPT_TO".into(), public.clone()));
    let cluster = archiving_cluster(&archive);
    cluster.psql(
        "postgres",
        "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g",
    );
    let name = cluster.archive_current_segment();
    let original = std::fs::read(cluster.data_dir().join("pg_wal").join(&name)).unwrap();
    assert_eq!(original.len(), 16 << 20);

    // What the bucket holds: a header line in the clear, then a standard age file.
    let stored = archive.stored(&name).expect("archived");
    let newline = stored.iter().position(|&b| b == b'\n').unwrap();
    let header = String::from_utf8_lossy(&stored[..newline]).to_string();
    assert!(header.starts_with("pra-wal/1 zstd+age sha256="), "{header}");
    let body = &stored[newline + 1..];
    assert!(body.starts_with(b"age-encryption.org/v1\n"));
    let zstd = Command::new("zstd")
        .args(["-d", "-c"])
        .stdin(std::fs::File::open(write(&archive, "whole", &stored)).unwrap())
        .output()
        .unwrap();
    assert!(!zstd.status.success(), "a stored object is not zstd");
    let events = archive.events();
    let (_, pushed) = events.iter().find(|(_, f)| f.name == name).unwrap();
    assert_eq!(pushed.encrypted_to.len(), 1, "{pushed:?}");
    assert!(pushed.encrypted_to[0].starts_with("x25519:sha256:"));
    let log = std::fs::read_to_string(archive.events_file()).unwrap();
    assert!(!log.contains(&public) && !log.contains("AGE-SECRET-KEY"));

    // The age CLI opens the body (everything after the header line): the zstd stream
    // of the 16 MiB segment.
    let age_file = write(&archive, "body.age", body);
    let zst = archive.dir.path().join("seg.zst");
    let seg = archive.dir.path().join("seg");
    let age = Command::new("age")
        .args(["-d", "-i"])
        .arg(&id)
        .arg("-o")
        .arg(&zst)
        .arg(&age_file)
        .output()
        .expect("the age command-line tool (Debian package age)");
    assert!(
        age.status.success(),
        "{}",
        String::from_utf8_lossy(&age.stderr)
    );
    let unz = Command::new("zstd")
        .args(["-q", "-d"])
        .arg(&zst)
        .arg("-o")
        .arg(&seg)
        .output()
        .unwrap();
    assert!(
        unz.status.success(),
        "{}",
        String::from_utf8_lossy(&unz.stderr)
    );
    assert!(
        std::fs::read(&seg).unwrap() == original,
        "age | zstd -d gives the segment"
    );

    // Pushed again (PostgreSQL retrying): identical content, though age output differs.
    let path = cluster.data_dir().join("pg_wal").join(&name);
    archive.pra_wal("push").arg(&path).run().success();
    assert!(archive.events().last().unwrap().1.already_archived);
    assert_eq!(archive.stored(&name).unwrap(), stored, "not rewritten");

    // Fetch: without an identity or with a wrong one, exit 200 (not "not archived") and
    // nothing written; with the identity (flag or PRA_IDENTITY), the segment.
    let out = archive.dir.path().join("fetched");
    let run = archive.pra_wal("fetch").arg(&name).arg(&out).run();
    run.code_is(200).stderr_contains("--identity");
    let (ev, _) = archive.events().pop().unwrap();
    assert_eq!(ev.status, Status::Error);
    assert_eq!(ev.error_class.as_deref(), Some("key"));
    let run = archive
        .pra_wal("fetch")
        .arg("--identity")
        .arg(&wrong)
        .arg(&name)
        .arg(&out)
        .run();
    run.code_is(200).stderr_contains("other.txt");
    assert!(!run.stderr.contains("AGE-SECRET-KEY"), "{}", run.dump());
    assert!(!out.exists(), "nothing written without the key");
    archive
        .pra_wal("fetch")
        .arg("--identity")
        .arg(&id)
        .arg(&name)
        .arg(&out)
        .run()
        .success();
    assert!(std::fs::read(&out).unwrap() == original);
    std::fs::remove_file(&out).unwrap();
    archive
        .pra_wal("fetch")
        .env("PRA_IDENTITY", id.to_str().unwrap())
        .arg(&name)
        .arg(&out)
        .run()
        .success();
    assert!(std::fs::read(&out).unwrap() == original);
}

/// Writes `bytes` to `name` in the archive's directory.
fn write(archive: &Archive, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = archive.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
