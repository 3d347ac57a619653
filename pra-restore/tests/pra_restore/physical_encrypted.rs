//! Point-in-time recovery from an encrypted archive: the archive_command pushes with
//! PRA_ENCRYPT_TO, pra-backup --physical encrypts every file to the same key; the
//! repository holds nothing readable as zstd, pra-verify checks the stored bytes
//! without the key and decodes with it, a restore without the identity or with a
//! wrong one stops before writing anything, one with it recovers to the restore point
//! with exactly its rows, its restore_command naming the identity file only, and a
//! flipped ciphertext byte is named as an altered file.

use super::physical::{local_with, postgres_user, sibling, STANZA};
use pra_core::manifest::BackupKind;
use pra_core::physical::{BACKUP_LABEL, TABLESPACE_MAP};
use pra_core::repo::Repository;
use pra_testkit::keys::age_keygen;
use pra_testkit::recovered::chown_tree;
use pra_testkit::tool;

#[test]
fn pitr_from_an_encrypted_archive_needs_the_identity_and_gives_exactly_its_rows() {
    // The server's user runs restore_command, so it reads the identity.
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_keygen(keys.path(), "key.txt");
    let (wrong, _) = age_keygen(keys.path(), "other.txt");
    let (uid, gid) = postgres_user();
    chown_tree(keys.path(), uid, gid);
    let (_dir, p) = local_with(vec![("PRA_ENCRYPT_TO".into(), public.clone())]);

    // Every file of the backup is sealed, and so is every archived segment.
    let repo = Repository::open_existing(&p.repo).unwrap();
    let backups = repo.complete_backups(STANZA).unwrap();
    let m = backups
        .iter()
        .find(|m| m.kind == BackupKind::Physical)
        .unwrap();
    for f in &m.files {
        let enc = f.encryption.as_ref().unwrap_or_else(|| panic!("{f:?}"));
        assert!(enc.recipients[0].starts_with("x25519:sha256:"), "{enc:?}");
        assert!(
            f.name.ends_with(".zst.age") || [BACKUP_LABEL, TABLESPACE_MAP].contains(&&*f.name),
            "{}",
            f.name
        );
        let stored = p
            .storage
            .read(&format!("{STANZA}/backup/{}/{}", m.id, f.name))
            .unwrap();
        assert!(stored.starts_with(b"age-encryption.org/v1\n"), "{}", f.name);
    }
    let manifest = serde_json::to_string(m).unwrap();
    assert!(!manifest.contains(&public) && !manifest.contains("AGE-SECRET"));
    let archived = pra_core::wal::archived(p.storage.as_ref(), STANZA).unwrap();
    assert!(!archived.is_empty());
    for name in &archived {
        let key = pra_core::wal::key(STANZA, name).unwrap();
        let object = p.storage.read(&key).unwrap();
        let (header, body) = object.split_at(object.iter().position(|&b| b == b'\n').unwrap() + 1);
        assert!(header.starts_with(b"pra-wal/1 zstd+age "), "{name}");
        assert!(body.starts_with(b"age-encryption.org/v1\n"), "{name}");
    }

    // Verify: the stored bytes and the WAL's continuity without a key, decoding with it.
    let verify = |level: &str, extra: &[&str]| {
        tool(&sibling("pra-verify"))
            .args(["--stanza", STANZA, "--repo", &p.repo, "--level", level])
            .args(extra)
            .run()
    };
    verify("manifest", &[]).success();
    let locked = verify("checksum", &[]);
    locked.code_is(3);
    let ev = locked.one(pra_core::event::Kind::Verify);
    assert_eq!(ev.error_class.as_deref(), Some("key"), "{}", locked.dump());
    assert!(ev.message.contains("--identity"), "{}", locked.dump());
    verify("checksum", &["--identity", id.to_str().unwrap()]).success();

    // No identity, or a wrong one: refused (exit 3) before the data directory exists.
    for (name, extra) in [
        ("none", vec![]),
        ("wrong", vec!["--identity", wrong.to_str().unwrap()]),
    ] {
        let target: Vec<&str> = ["--target-name", "rp"].into_iter().chain(extra).collect();
        let (data, t) = p.restore(name, &target);
        let run = t.run();
        run.code_is(3);
        assert!(
            run.stderr.contains("--identity") && !run.stderr.contains("AGE-SECRET"),
            "{}",
            run.dump()
        );
        assert!(!data.exists(), "{name}: nothing written");
    }

    // With it: the restore point's rows exactly, WAL fetched through --identity.
    let got = p
        .batches(
            "rp",
            &["--target-name", "rp", "--identity", id.to_str().unwrap()],
        )
        .unwrap();
    assert_eq!(got, ["A", "B", "pre"]);
    let auto = std::fs::read_to_string(p.tmp.path().join("rp/postgresql.auto.conf")).unwrap();
    let line = auto
        .lines()
        .find(|l| l.starts_with("restore_command"))
        .unwrap();
    assert!(
        line.contains(&format!("--identity {}", id.display())) && !auto.contains("AGE-SECRET"),
        "{auto}"
    );

    // A flipped ciphertext byte: age refuses the chunk, the stored sha256 names it.
    let big = m.files.iter().max_by_key(|f| f.stored_bytes).unwrap();
    let key = format!("{STANZA}/backup/{}/{}", m.id, big.name);
    let mut bytes = p.storage.read(&key).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 1;
    p.storage.write(&key, &bytes).unwrap();
    let (_, t) = p.restore("flipped", &["--identity", id.to_str().unwrap()]);
    let run = t.run();
    run.code_is(1).stderr_contains(&big.name);
    run.stderr_contains("altered");
}
