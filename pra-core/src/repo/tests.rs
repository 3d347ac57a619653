//! Tests of the repository on the local filesystem.

use super::*;
use crate::exit::ExitStatus;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

fn repo() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let r = Repository::open(dir.path().join("repo").to_str().unwrap()).unwrap();
    (dir, r)
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn staged_file_gets_its_name_only_on_commit() {
    let (dir, r) = repo();
    let id = r.new_backup("app", crate::time::now()).unwrap();
    let final_path = dir
        .path()
        .join(format!("repo/app/backup/{id}/dump.pgc.zst"));
    {
        let mut f = r.create_file("app", &id, "dump.pgc.zst").unwrap();
        f.write_all(b"half of a dump").unwrap();
        // Interrupted before commit: dropped without renaming.
    }
    assert!(
        !final_path.exists(),
        "no final-named file after an interrupted write"
    );
    let leftovers: Vec<_> = std::fs::read_dir(final_path.parent().unwrap())
        .unwrap()
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary file removed: {leftovers:?}"
    );
    assert!(r.list_backup_files("app", &id).unwrap().is_empty());

    let mut f = r.create_file("app", &id, "dump.pgc.zst").unwrap();
    f.write_all(b"a whole dump").unwrap();
    assert!(!final_path.exists(), "not visible before commit");
    assert_eq!(f.commit().unwrap(), 12);
    assert_eq!(std::fs::read(&final_path).unwrap(), b"a whole dump");
    assert_eq!(mode(&final_path), 0o600);
    assert_eq!(mode(final_path.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.path().join("repo")), 0o700);
    assert_eq!(mode(&dir.path().join("repo/pra.json")), 0o600);
}

#[test]
fn backups_are_complete_only_with_a_manifest() {
    let (_dir, r) = repo();
    let t = crate::time::parse_ts("2026-11-25T11:00:00Z").unwrap();
    let a = r.new_backup("app", t).unwrap();
    let b = r.new_backup("app", t).unwrap();
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("20261125T110000Z", "20261125T110000Z-1")
    );
    let mut m = crate::manifest::tests::sample(&a);
    m.stanza = "app".into();
    r.write_manifest(&m).unwrap();
    let list = r.backups("app").unwrap();
    assert_eq!(
        list,
        vec![
            BackupEntry {
                id: a.clone(),
                complete: true
            },
            BackupEntry {
                id: b.clone(),
                complete: false
            }
        ]
    );
    assert_eq!(r.stanzas().unwrap(), vec!["app".to_string()]);
    assert_eq!(r.complete_backups("app").unwrap(), vec![m]);
    assert!(r.read_verify("app", &a).unwrap().is_none());
}

#[test]
fn delete_removes_manifest_first_and_is_repeatable() {
    let (dir, r) = repo();
    let id = r.new_backup("app", crate::time::now()).unwrap();
    let mut m = crate::manifest::tests::sample(&id);
    m.stanza = "app".into();
    let mut f = r.create_file("app", &id, "dump.pgc.zst").unwrap();
    f.write_all(&[7u8; 1000]).unwrap();
    f.commit().unwrap();
    r.write_manifest(&m).unwrap();
    // An interrupted delete got as far as the manifest: the backup no longer looks
    // complete, and the rerun finishes the job.
    let backup_dir = dir.path().join(format!("repo/app/backup/{id}"));
    r.storage()
        .delete(&format!("app/backup/{id}/{MANIFEST_FILE}"))
        .unwrap();
    assert_eq!(
        r.backups("app").unwrap(),
        vec![BackupEntry {
            id: id.clone(),
            complete: false
        }]
    );
    let freed = r.delete_backup("app", &id).unwrap();
    assert!(freed >= 1000);
    assert!(!backup_dir.exists());
    assert_eq!(
        r.delete_backup("app", &id).unwrap(),
        0,
        "a repeated delete is a no-op"
    );
}

#[test]
fn newer_repository_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pra.json"),
        format!(
            "{{\"format\":{},\"created_at\":\"2030-01-01T00:00:00Z\",\"created_by\":\"9.0\"}}",
            REPO_FORMAT + 1
        ),
    )
    .unwrap();
    let e = Repository::open(dir.path().to_str().unwrap()).unwrap_err();
    assert!(e.to_string().contains("upgrade pra"), "{e}");
    assert_eq!(e.exit(), crate::exit::Exit::Usage);
}

#[test]
fn credentials_in_an_object_storage_url_are_refused_and_redacted() {
    let e = Repository::open("s3://AKIA:supersecret@bucket/prefix").unwrap_err();
    let msg = e.to_string();
    assert!(!msg.contains("supersecret"), "{msg}");
    #[cfg(feature = "object-store")]
    assert!(
        msg.contains("credentials come from the environment"),
        "{msg}"
    );
    #[cfg(not(feature = "object-store"))]
    assert!(msg.contains("not supported by this build"), "{msg}");
    assert_eq!(e.exit(), crate::exit::Exit::Usage);
}

const CHILD_VAR: &str = "PRA_TEST_LOCK_CHILD";

/// Run as a child process by `stanza_lock_names_the_holder`: tries the lock and
/// prints the error. Does nothing in a normal test run.
#[test]
fn lock_child_process() {
    if let Ok(path) = std::env::var(CHILD_VAR) {
        let r = Repository::open(&path).unwrap();
        match r.lock_stanza("app", "pra-child", Duration::ZERO) {
            Ok(_) => println!("CHILD-GOT-LOCK"),
            Err(e) => println!("CHILD-REFUSED: {e}"),
        }
    }
}

#[test]
fn stanza_lock_held_by_one_process_is_refused_to_another_naming_the_holder() {
    let (dir, r) = repo();
    let path = dir.path().join("repo");
    let run_child = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "repo::tests::lock_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_VAR, &path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let guard = r.lock_stanza("app", "pra-backup", Duration::ZERO).unwrap();
    let out = run_child();
    let me = std::process::id().to_string();
    assert!(out.contains("CHILD-REFUSED"), "{out}");
    assert!(
        out.contains(&format!("pid {me}")) && out.contains("pra-backup"),
        "holder named: {out}"
    );
    drop(guard);
    assert!(
        run_child().contains("CHILD-GOT-LOCK"),
        "released when the holder lets go"
    );
}

#[test]
fn the_writer_lease_is_at_the_designed_key_and_an_older_versions_lock_is_honoured() {
    let (_dir, r) = repo();
    let guard = r.lock_stanza("app", "pra-backup", Duration::ZERO).unwrap();
    assert!(
        r.storage().size("app/lease").unwrap().is_some(),
        "<stanza>/lease"
    );
    assert_eq!(r.storage().size("app/lock/stanza.lock").unwrap(), None);
    drop(guard);
    // An older pra, still running during an upgrade, holds the legacy lock.
    let old = LockHolder::this_process("pra-backup-0.1");
    let take_legacy = || {
        r.storage().lock(
            "app/lock/stanza.lock",
            &old,
            LockMode::Exclusive,
            Duration::ZERO,
        )
    };
    let legacy = take_legacy().unwrap();
    let e = r
        .lock_stanza("app", "pra-rotate", Duration::from_millis(300))
        .err()
        .unwrap();
    assert!(matches!(e, RepoError::Locked { .. }), "{e}");
    assert!(
        e.to_string().contains("pra-backup-0.1"),
        "holder named: {e}"
    );
    drop(legacy);
    let both = r.lock_stanza("app", "pra-rotate", Duration::ZERO).unwrap();
    let e = take_legacy().err().unwrap();
    assert!(
        e.to_string().contains("pra-rotate"),
        "legacy lock taken too: {e}"
    );
    drop(both);
}

#[test]
fn shared_backup_locks_block_an_exclusive_one() {
    let (_dir, r) = repo();
    let id = r.new_backup("app", crate::time::now()).unwrap();
    let reader1 = r
        .lock_backup("app", &id, "pra-verify", LockMode::Shared)
        .unwrap();
    let _reader2 = r
        .lock_backup("app", &id, "pra-restore", LockMode::Shared)
        .unwrap();
    let e = r
        .lock_backup("app", &id, "pra-rotate", LockMode::Exclusive)
        .err()
        .unwrap();
    assert!(matches!(e, RepoError::Locked { .. }), "{e}");
    drop(reader1);
    drop(_reader2);
    let w = r
        .lock_backup("app", &id, "pra-rotate", LockMode::Exclusive)
        .unwrap();
    let e = r
        .lock_backup("app", &id, "pra-verify", LockMode::Shared)
        .err()
        .unwrap();
    assert!(e.to_string().contains("pra-rotate"), "{e}");
    drop(w);
}
