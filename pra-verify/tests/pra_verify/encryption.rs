//! Encrypted backups (age) through the real tools: pra-backup --encrypt-to (age and SSH
//! keys) and --passphrase-file, pra-verify and pra-restore with the identity, on a
//! path and on S3 (moto on 127.0.0.1): identical table digests; the stored files are
//! standard age, unreadable as zstd; a wrong or missing identity restores nothing; a
//! flipped ciphertext byte is found by verify, with or without the key.

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Kind, Status};
use pra_core::manifest::{FileRole, Manifest};
use pra_core::repo::Repository;
use pra_testkit::keys::{age_keygen, SSH_TEST_KEY as SSH_KEY, SSH_TEST_PUB as SSH_PUB};
use pra_testkit::{database_digest, load_app, tool, PgCluster, S3Server, Tool};
use std::path::Path;
use std::process::Command;

fn sibling(name: &str, c: &PgCluster, repo: &str) -> Tool {
    tool(sibling_bin(name).to_str().unwrap())
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .args(["--repo", repo])
}

fn verifier(c: &PgCluster, repo: &str) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-verify"))
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .args(["--repo", repo])
}

/// Where the repository is: its URL, the environment reaching it, a handle on it.
struct Repo {
    url: String,
    env: Vec<(String, String)>,
    handle: Repository,
}

/// Backs `db` up with `key_flags`, verifies and restores it with `id_flags`; the
/// restored tables are identical. Returns the manifest.
fn round_trip(
    c: &PgCluster,
    repo: &Repo,
    db: &str,
    key_flags: &[&str],
    id_flags: &[&str],
) -> Manifest {
    let backup = sibling("pra-backup", c, &repo.url)
        .envs(repo.env.clone())
        .args(["--init", "-d", db])
        .args(key_flags)
        .run();
    backup.success();
    let verified = verifier(c, &repo.url)
        .envs(repo.env.clone())
        .args(["--stanza", db, "--level", "checksum"])
        .args(id_flags)
        .run();
    verified.success();
    let (ev, f) = verify_fields(&verified);
    assert_eq!(ev.status, Status::Ok, "{}", verified.dump());
    assert!(f.raw_bytes > f.stored_bytes, "decoded: {}", verified.dump());
    let back = format!("{db}_back");
    sibling("pra-restore", c, &repo.url)
        .envs(repo.env.clone())
        .args(["--stanza", db, "--target-db", &back])
        .args(id_flags)
        .run()
        .success();
    let diff = database_digest(c, db).diff(&database_digest(c, &back));
    assert!(diff.is_empty(), "{key_flags:?}: tables differ: {diff:?}");
    let said = format!(
        "{}{}{}",
        String::from_utf8_lossy(&backup.stdout),
        backup.stderr,
        verified.stderr
    );
    assert!(!said.contains("AGE-SECRET-KEY"), "a key in events or logs");
    let m = repo.handle.complete_backups(db).unwrap().pop().unwrap();
    for f in &m.files {
        let enc = f.encryption.as_ref().expect("encrypted");
        assert_eq!(enc.scheme, "age");
        assert!(f.name.ends_with(".zst.age"), "{}", f.name);
    }
    m
}

fn local(dir: &Path) -> Repo {
    let url = dir.to_str().unwrap().to_string();
    // The repository is created by the first backup (--init).
    Repo {
        handle: Repository::open(&url).unwrap(),
        url,
        env: Vec::new(),
    }
}

#[test]
fn age_ssh_and_passphrase_backups_round_trip_on_a_path_and_on_s3() {
    let c = PgCluster::start();
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_keygen(keys.path(), "key.txt");
    let ssh = keys.path().join("id_ed25519");
    std::fs::write(&ssh, SSH_KEY).unwrap();
    let pass = keys.path().join("passphrase");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let id = id.to_str().unwrap();
    let (ssh, pass) = (ssh.to_str().unwrap(), pass.to_str().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let repo = local(&dir.path().join("repo"));
    load_app(&c, "enc_age", 1);
    let m = round_trip(
        &c,
        &repo,
        "enc_age",
        &["--encrypt-to", &public],
        &["--identity", id],
    );
    load_app(&c, "enc_ssh", 1);
    round_trip(
        &c,
        &repo,
        "enc_ssh",
        &["--encrypt-to", SSH_PUB],
        &["--identity", ssh],
    );
    load_app(&c, "enc_pass", 1);
    round_trip(
        &c,
        &repo,
        "enc_pass",
        &["--passphrase-file", pass],
        &["--passphrase-file", pass],
    );

    // Standard age: the age tool decrypts the dump, zstd decodes it to the raw bytes;
    // the stored file itself is not zstd.
    let dump = m.file(FileRole::Dump).unwrap();
    let stored = dir
        .path()
        .join(format!("repo/enc_age/backup/{}/{}", m.id, dump.name));
    let zstd_t = Command::new("zstd")
        .arg("-t")
        .arg(&stored)
        .output()
        .unwrap();
    assert!(!zstd_t.status.success(), "the stored dump reads as zstd");
    let piped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i '{id}' '{}' | zstd -d | sha256sum",
            stored.display()
        ))
        .output()
        .unwrap();
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    assert!(
        String::from_utf8_lossy(&piped.stdout).starts_with(&dump.raw_sha256),
        "age -d | zstd -d gives the raw dump"
    );

    // The same on S3, to two recipients (either identity opens it).
    let server = S3Server::start();
    let s3 = Repo {
        url: server.url("enc"),
        env: server.env(),
        handle: Repository::with_storage(Box::new(server.storage("enc"))).unwrap(),
    };
    load_app(&c, "enc_s3", 1);
    let m = round_trip(
        &c,
        &s3,
        "enc_s3",
        &["--encrypt-to", &public, "--encrypt-to", SSH_PUB],
        &["--identity", ssh],
    );
    assert_eq!(m.files[0].encryption.as_ref().unwrap().recipients.len(), 2);
}

#[test]
fn wrong_or_missing_identity_restores_nothing_and_a_flipped_byte_is_found() {
    let c = PgCluster::start();
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_keygen(keys.path(), "key.txt");
    let (wrong, _) = age_keygen(keys.path(), "other.txt");
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("repo");
    let url = url.to_str().unwrap();
    load_app(&c, "encw", 1);
    sibling("pra-backup", &c, url)
        .args(["--init", "-d", "encw", "--encrypt-to", &public])
        .run()
        .success();

    for flags in [vec!["--identity", wrong.to_str().unwrap()], vec![]] {
        let run = sibling("pra-restore", &c, url)
            .args(["--stanza", "encw", "--target-db", "encw_back"])
            .args(&flags)
            .run();
        run.code_is(3);
        let ev = run.one(Kind::Restore);
        assert_eq!(ev.class(), Some(ErrorClass::Key), "{}", run.dump());
        assert!(
            !c.databases().contains(&"encw_back".to_string()),
            "nothing restored"
        );
        run.check(run.stderr.lines().count() >= 1, "a message on stderr");
        // Without a key the checksum level checks the stored bytes, then says what it needs.
        let v = verifier(&c, url)
            .args(["--stanza", "encw", "--level", "checksum"])
            .args(&flags)
            .run();
        v.code_is(3);
        assert_eq!(
            v.one(Kind::Verify).class(),
            Some(ErrorClass::Key),
            "{}",
            v.dump()
        );
    }
    // The manifest level needs no key.
    verifier(&c, url)
        .args(["--stanza", "encw", "--level", "manifest"])
        .run()
        .success();

    // A flipped ciphertext byte: corrupt, with the key and without it.
    let m = Repository::open(url)
        .unwrap()
        .complete_backups("encw")
        .unwrap()
        .pop()
        .unwrap();
    let dump = m.file(FileRole::Dump).unwrap();
    let path = dir
        .path()
        .join(format!("repo/encw/backup/{}/{}", m.id, dump.name));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() * 2 / 3;
    bytes[at] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    for flags in [vec!["--identity", id.to_str().unwrap()], vec![]] {
        let v = verifier(&c, url)
            .args(["--stanza", "encw", "--level", "checksum"])
            .args(&flags)
            .run();
        v.code_is(1);
        let (ev, f) = verify_fields(&v);
        assert_eq!(ev.class(), Some(ErrorClass::Corrupt), "{}", v.dump());
        assert!(
            f.problem.unwrap_or_default().contains("stored sha256"),
            "{}",
            v.dump()
        );
    }
}
