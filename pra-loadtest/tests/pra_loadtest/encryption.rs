//! The encrypted path of the drill: a drill with --encrypt-to and --identity (and one
//! with a passphrase, which serves both) backs up encrypted, restores and passes; a
//! drill that could not open its own backup stops before touching the server.

use crate::common::{drill_databases, drill_tool, fields, schema_exists, serial};
use pra_core::event::{Kind, Status};
use pra_core::manifest::FileRole;
use pra_core::repo::Repository;
use pra_testkit::keys::SSH_TEST_KEY;
use pra_testkit::PgCluster;

/// A throwaway age key pair made by age-keygen for this test; it protects nothing.
const AGE_PUB: &str = "age1t3ssqchqtjkmrxmcm7p7j0gzrttymt5gfzd7mpk5yn0rpmzwzdfst2h3ud";
const AGE_KEY: &str =
    "AGE-SECRET-KEY-1NR0K9MKZ0NNG23RWU4CAZRC2RQPUYYL93ZRVX4CZX3XEN4S4EM5SCU00NS\n";

const SHORT: [&str; 8] = [
    "-d",
    "app",
    "--duration",
    "3s",
    "--scale",
    "0.1",
    "--max-slowdown",
    "1000",
];

/// A cluster with database `app`, and a directory holding the key `files` (name, text).
fn setup(files: &[(&str, &str)]) -> (PgCluster, tempfile::TempDir) {
    let c = PgCluster::start();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    (c, dir)
}

#[test]
fn an_encrypted_drill_restores_its_backup_and_passes() {
    let _serial = serial();
    let (c, dir) = setup(&[
        ("drill.key", AGE_KEY),
        ("passphrase", "correct horse battery staple\n"),
    ]);
    let identity = dir.path().join("drill.key");
    let passphrase = dir.path().join("passphrase");
    let repo = dir.path().join("repo");
    Repository::create(repo.to_str().unwrap()).unwrap();
    let repo = repo.to_str().unwrap();

    // A passphrase encrypts and decrypts: no --identity needed.
    let run = drill_tool(&c)
        .args(SHORT)
        .args(["--passphrase-file", passphrase.to_str().unwrap()])
        .run();
    run.success();
    assert_eq!(run.one(Kind::Drill).status, Status::Ok);

    // Public-key encryption, the identity for the restore; --keep leaves the backup.
    let run = drill_tool(&c)
        .args(SHORT)
        .args(["--repo", repo, "--keep", "--encrypt-to", AGE_PUB])
        .args(["--identity", identity.to_str().unwrap()])
        .run();
    run.success();
    let f = fields(&run);
    run.check(
        f.validation_problems.is_empty() && f.rto_s.is_some_and(|s| s > 0.0),
        "the encrypted backup must restore and validate",
    );
    let m = Repository::open(repo)
        .unwrap()
        .complete_backups("app")
        .unwrap()
        .pop()
        .expect("--keep keeps the drill's backup");
    assert_eq!(f.backup_id.as_deref(), Some(m.id.as_str()));
    let dump = m.file(FileRole::Dump).unwrap();
    let enc = dump.encryption.as_ref().expect("the dump is encrypted");
    assert_eq!(enc.scheme, "age");
    assert_eq!(enc.recipients.len(), 1);
    assert!(enc.recipients[0].starts_with("x25519:sha256:"), "{enc:?}");
    let stored = std::fs::read(
        dir.path()
            .join(format!("repo/app/backup/{}/{}", m.id, dump.name)),
    )
    .unwrap();
    assert!(
        stored.starts_with(b"age-encryption.org/v1\n"),
        "stored as an age file, not zstd: {:?}",
        &stored[..8.min(stored.len())]
    );
}

#[test]
fn a_drill_that_cannot_open_its_backup_stops_before_the_server() {
    let _serial = serial();
    let (c, dir) = setup(&[("id_ed25519", SSH_TEST_KEY)]);
    let ssh_key = dir.path().join("id_ed25519");

    // Encrypting without any identity: a usage error.
    drill_tool(&c)
        .args(SHORT)
        .args(["--encrypt-to", AGE_PUB])
        .run()
        .usage_error("--identity");

    // An identity that is not one of the recipients': a key error (exit 3).
    let run = drill_tool(&c)
        .args(SHORT)
        .args(["--encrypt-to", AGE_PUB])
        .args(["--identity", ssh_key.to_str().unwrap()])
        .run();
    run.code_is(3).stderr_contains("none of the identities");
    assert!(
        run.stderr.contains(ssh_key.to_str().unwrap()),
        "{}",
        run.dump()
    );

    assert!(!schema_exists(&c, "app"), "the drill touched the server");
    assert!(drill_databases(&c).is_empty());
}
