//! `pra-verify --backup all` during a rotation (issue 22, item 11): a backup that
//! retention deletes after the listing is skipped with a note, not failed.
//!
//! Made deterministic with a real lock: the first backup's `--check-sql` waits on a
//! shared-catalog lock the test holds, so pra-verify has listed the backups and holds
//! the first one's shared lock while a real pra-rotate runs to completion.

use crate::common::*;
use pra_core::event::kinds::VerifyFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::{LockMode, Repository};
use pra_testkit::{load_sample, tool, PgCluster};
use std::time::{Duration, Instant};

/// Waits until a session waits for the lock on `relation`.
fn wait_for_waiter(c: &PgCluster, relation: &str) {
    let started = Instant::now();
    let sql = format!(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '{relation}'::regclass"
    );
    while c.psql("postgres", &sql).trim() == "0" {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "pra-verify never reached its --check-sql"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn backups_deleted_by_a_rotation_during_verify_all_are_skipped() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let ids: Vec<String> = (0..5)
        .map(|_| {
            take_backup(&c, &repo, "app");
            latest(&repo, "app").id
        })
        .collect();
    let check = dir.path().join("check.sql");
    std::fs::write(
        &check,
        "SELECT count(*) >= 0 FROM pg_catalog.pg_replication_origin;\n",
    )
    .unwrap();

    let mut holder = c.connect("postgres");
    holder
        .batch_execute(
            "BEGIN; LOCK TABLE pg_catalog.pg_replication_origin IN ACCESS EXCLUSIVE MODE",
        )
        .unwrap();
    let running = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", "all", "--level", "restore"])
        .arg("--check-sql")
        .arg(&check)
        .args(["--stall-timeout", "10m"])
        .spawn();
    wait_for_waiter(&c, "pg_catalog.pg_replication_origin");

    // pra-verify is inside the first backup: a real rotation keeps it (locked) and
    // deletes the second and third.
    let rotate = tool(sibling_bin("pra-rotate").to_str().unwrap())
        .arg("--repo")
        .arg(&repo)
        .args(["--stanza", "app", "--keep-last", "2"])
        .run();
    let backup_dir = |id: &str| repo.join("app").join("backup").join(id);
    for id in &ids[1..3] {
        rotate.check(!backup_dir(id).exists(), "the rotation deleted the backup");
    }
    rotate.check(backup_dir(&ids[0]).exists(), "the locked backup is kept");
    // A second rotation caught in the middle of deleting the fourth: its exclusive
    // lock held, the manifest (deleted first) gone, the data files not yet.
    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    let deleting = r
        .lock_backup("app", &ids[3], "pra-rotate", LockMode::Exclusive)
        .unwrap();
    std::fs::remove_file(backup_dir(&ids[3]).join("manifest.json")).unwrap();

    holder.batch_execute("COMMIT").unwrap();
    let run = running.wait();
    drop(deleting);
    run.success();
    let evs = run.events_of(Kind::Verify);
    assert_eq!(evs.len(), 5, "{}", run.dump());
    for (ev, id) in evs.iter().zip(&ids) {
        let f: VerifyFields = ev.fields_as().unwrap();
        assert_eq!(f.id.as_deref(), Some(id.as_str()), "{}", run.dump());
        assert_ne!(ev.status, Status::Error, "{}", run.dump());
        let skipped = [&ids[1], &ids[2], &ids[3]].contains(&id);
        assert_eq!(f.skipped.is_some(), skipped, "{id}: {}", run.dump());
        if skipped {
            assert!(ev.message.contains("skipped"), "{}", ev.message);
            assert!(ev.message.contains("retention"), "{}", ev.message);
            assert_eq!(f.level, None, "a skipped backup is verified at no level");
        } else {
            assert_eq!(f.level.as_deref(), Some("restore"), "{}", run.dump());
            assert_eq!(f.assertions_passed, 1, "{}", run.dump());
        }
    }
    assert!(
        evs[3].message.contains("being deleted by"),
        "{}",
        evs[3].message
    );
    // No verdict written into what is being deleted.
    assert!(!backup_dir(&ids[3]).join("verify.json").exists());
}
