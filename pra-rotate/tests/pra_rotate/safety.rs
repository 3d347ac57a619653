//! pra-rotate on real repositories: the policy applied, the safety rules (newest,
//! newest verified, locked), the refusal without a keep option, interrupted deletes,
//! dry runs, incomplete backups by age, failures.

use crate::common::*;
use chrono::{Duration as Span, Utc};
use pra_core::event::{Event, Kind, Status};
use pra_core::repo::LockMode;
use std::time::SystemTime;

#[test]
fn policy_deletes_oldest_and_reports_reasons_and_bytes() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 10);
    let before = r.snapshot();
    let expected_freed: u64 = ids[..7]
        .iter()
        .flat_map(|id| {
            let dir = r.backup_dir("app", id);
            before
                .iter()
                .filter(move |(p, _)| p.starts_with(&dir) && p.is_file())
                .map(|(_, (size, _))| *size)
        })
        .sum();

    let run = r.rotate(&["--stanza", "app", "--keep-daily", "3", "--now", NOW]);
    run.success();
    let ev = run.one(Kind::Rotate);
    let f = fields(ev);
    run.check(ev.status == Status::Ok, "status ok")
        .check(ev.stanza.as_deref() == Some("app"), "stanza")
        .check(!f.dry_run, "not a dry run");
    assert_eq!(
        kept_ids(&f),
        [ids[9].as_str(), ids[8].as_str(), ids[7].as_str()]
    );
    assert_eq!(reasons(&f, &ids[9]), ["daily", "newest"]);
    assert_eq!(reasons(&f, &ids[7]), ["daily"]);
    let mut deleted: Vec<String> = ids[..7].to_vec();
    deleted.reverse();
    assert_eq!(f.deleted, deleted, "deleted newest first");
    assert_eq!(f.freed_bytes, expected_freed);
    assert!(f.freed_bytes > 7 * 1000);
    assert_eq!(f.policy.as_deref(), Some("keep 3 daily (buckets in utc)"));
    assert_eq!(f.timezone.as_deref(), Some("utc"));
    for id in &ids[..7] {
        assert!(!r.exists("app", id), "{id} should be gone");
        assert!(
            !r.dir
                .path()
                .join("app/lock")
                .join(format!("{id}.lock"))
                .exists(),
            "{id}'s lock file should be gone"
        );
    }
    for id in &ids[7..] {
        assert!(r.exists("app", id), "{id} should be kept");
    }
    assert!(ev.message.contains("deleted 7"), "{}", ev.message);

    // Nothing left to do: a second run deletes nothing.
    let again = r.rotate(&["--stanza", "app", "--keep-daily", "3", "--now", NOW]);
    again.success();
    assert!(fields(again.one(Kind::Rotate)).deleted.is_empty());
}

#[test]
fn newest_verified_and_locked_backups_are_never_deleted() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 6);
    r.verify("app", &ids[1], Status::Ok);
    // A newer verification that failed does not make a backup "verified".
    r.verify("app", &ids[3], Status::Error);
    // Nor does a manifest-level pass after it: the checksum failure stands (issue 18).
    r.repo
        .write_verify(
            "app",
            &pra_core::manifest::VerifyRecord {
                format: pra_core::manifest::VERIFY_FORMAT,
                backup_id: ids[3].clone(),
                level: pra_core::manifest::VerifyLevel::Manifest,
                status: Status::Ok,
                verified_at: Utc::now() + Span::seconds(1),
                duration_s: 0.1,
                problems: vec![],
                tool_version: pra_core::VERSION.into(),
                extra: Default::default(),
            },
        )
        .unwrap();
    // pra-verify reading ids[2] right now: a shared lock held by this process.
    let reader = r
        .repo
        .lock_backup("app", &ids[2], "pra-verify", LockMode::Shared)
        .unwrap();

    let run = r.rotate(&["--stanza", "app", "--keep-last", "1", "--now", NOW]);
    run.success();
    let f = fields(run.one(Kind::Rotate));
    assert_eq!(
        kept_ids(&f),
        [ids[5].as_str(), ids[2].as_str(), ids[1].as_str()]
    );
    assert_eq!(reasons(&f, &ids[5]), ["last", "newest"]);
    assert_eq!(reasons(&f, &ids[1]), ["newest-verified"]);
    let level = |id: &str| {
        f.kept
            .iter()
            .find(|k| k.id == id)
            .unwrap()
            .verified_level
            .clone()
    };
    assert_eq!(level(&ids[1]).as_deref(), Some("checksum"));
    assert_eq!(level(&ids[5]), None);
    let locked = reasons(&f, &ids[2]);
    run.check(
        locked.len() == 1 && locked[0].starts_with("locked by "),
        "the locked backup is kept as `locked by …`",
    );
    assert_eq!(
        f.deleted,
        [ids[4].as_str(), ids[3].as_str(), ids[0].as_str()]
    );
    assert!(r.exists("app", &ids[2]) && r.exists("app", &ids[1]) && r.exists("app", &ids[5]));
    assert!(!r.exists("app", &ids[0]) && !r.exists("app", &ids[3]) && !r.exists("app", &ids[4]));

    // Once the reader is done, the next run deletes it.
    drop(reader);
    let run = r.rotate(&["--stanza", "app", "--keep-last", "1", "--now", NOW]);
    run.success();
    assert_eq!(fields(run.one(Kind::Rotate)).deleted, [ids[2].as_str()]);
    assert!(!r.exists("app", &ids[2]));
    assert!(r.exists("app", &ids[1]), "still the newest verified");
}

#[test]
fn no_keep_option_is_refused_and_stdin_still_forwarded() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 3);
    let upstream = Event::new("pra-backup", Kind::Backup, Status::Ok, "backup done")
        .with_stanza("app")
        .to_json_line();
    for args in [
        vec!["--stanza", "app"],
        vec!["--stanza", "app", "--keep-last", "0", "--keep-within", "0s"],
    ] {
        let run = r.rotate_with_stdin(&args, format!("{upstream}\n").into_bytes());
        run.code_is(2).stderr_contains("would delete every backup");
        run.check(
            run.stdout.starts_with(format!("{upstream}\n").as_bytes()),
            "stdin forwarded first",
        );
        run.check(
            run.one(Kind::Rotate).status == Status::Error,
            "a rotate error event tells the next tool",
        );
    }
    assert!(ids.iter().all(|id| r.exists("app", id)));
}

#[test]
fn an_interrupted_delete_is_finished_by_the_next_run() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 5);
    let args = ["--stanza", "app", "--keep-last", "2", "--now", NOW];

    // What the policy deletes.
    let plan = r.rotate(&[&args[..], &["--dry-run"]].concat());
    plan.success();
    let doomed = fields(plan.one(Kind::Rotate)).deleted;
    assert_eq!(doomed, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);

    // A delete interrupted after its first step: the manifest is gone, the data is
    // not, and the directory was just modified (young by its mtime).
    std::fs::remove_file(r.backup_dir("app", &ids[1]).join("manifest.json")).unwrap();
    assert!(r.backup_dir("app", &ids[1]).join("dump.pgc.zst").exists());

    let run = r.rotate(&args);
    run.success();
    let f = fields(run.one(Kind::Rotate));
    assert_eq!(f.deleted, [ids[2].as_str(), ids[0].as_str()]);
    assert_eq!(f.incomplete_deleted, [ids[1].as_str()]);
    assert!(f.incomplete_kept.is_empty());
    for id in &ids[..3] {
        assert!(!r.exists("app", id), "{id} should be gone");
    }
    assert!(r.exists("app", &ids[3]) && r.exists("app", &ids[4]));

    let done = r.rotate(&args);
    done.success();
    let f = fields(done.one(Kind::Rotate));
    assert!(f.deleted.is_empty() && f.incomplete_deleted.is_empty());
}

#[test]
fn dry_run_deletes_nothing_and_predicts_the_real_run() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 8);
    let stale = r.backup("app", at("2026-11-25T08:00:00Z"), 500, false);
    set_mtime(
        &r.backup_dir("app", &stale),
        SystemTime::now() - std::time::Duration::from_secs(3 * 86400),
    );
    let before = r.snapshot();
    let args = ["--stanza", "app", "--keep-daily", "2", "--keep-weekly", "2"];

    let dry = r.rotate(&[&args[..], &["--dry-run", "--format", "json"]].concat());
    dry.success();
    let planned = fields(dry.one(Kind::Rotate));
    assert!(planned.dry_run);
    assert_eq!(
        r.snapshot(),
        before,
        "a dry run changes nothing, not even mtimes"
    );
    assert!(dry.one(Kind::Rotate).message.contains("dry run"));

    // 2026-11-25 is a Wednesday: dailies 11-25, 11-24; weeklies 11-25 (W48), 11-22 (W47).
    assert_eq!(
        kept_ids(&planned),
        [ids[7].as_str(), ids[6].as_str(), ids[4].as_str()]
    );
    assert_eq!(planned.incomplete_deleted, [stale.as_str()]);

    let real = r.rotate(&args);
    real.success();
    let done = fields(real.one(Kind::Rotate));
    assert_eq!(done.deleted, planned.deleted);
    assert_eq!(done.incomplete_deleted, planned.incomplete_deleted);
    assert_eq!(done.freed_bytes, planned.freed_bytes);
    assert_eq!(kept_ids(&done), kept_ids(&planned));
}

#[test]
fn incomplete_backups_are_removed_by_age() {
    let r = Repo::new();
    let now = Utc::now();
    let hours = |h: i64| now - Span::hours(h);
    for d in [5, 4, 3] {
        r.backup("app", hours(24 * d), 1000, true);
    }
    // Both started after the newest complete backup: they could be in progress.
    let crashed = r.backup("app", hours(30), 700, false);
    let running = r.backup("app", hours(1), 300, false);
    let ago = |h: u64| SystemTime::now() - std::time::Duration::from_secs(h * 3600);
    set_mtime(&r.backup_dir("app", &crashed), ago(30));
    set_mtime(&r.backup_dir("app", &running), ago(1));

    let patient = r.rotate(&[
        "--stanza",
        "app",
        "--keep-last",
        "5",
        "--prune-incomplete-after",
        "48h",
    ]);
    patient.success();
    let f = fields(patient.one(Kind::Rotate));
    assert!(f.incomplete_deleted.is_empty());
    assert_eq!(f.incomplete_kept, [crashed.as_str(), running.as_str()]);

    let run = r.rotate(&["--stanza", "app", "--keep-last", "5"]);
    run.success();
    let f = fields(run.one(Kind::Rotate));
    assert_eq!(f.incomplete_deleted, [crashed.as_str()]);
    assert_eq!(f.incomplete_kept, [running.as_str()]);
    assert!(f.freed_bytes >= 700);
    assert!(!r.exists("app", &crashed));
    assert!(r.exists("app", &running));
    assert_eq!(f.kept.len(), 3);

    // --now a day later: the running one is then old enough too.
    let later = pra_core::time::format_ts(&(now + Span::hours(24)));
    let run = r.rotate(&["--stanza", "app", "--keep-last", "5", "--now", &later]);
    run.success();
    assert_eq!(
        fields(run.one(Kind::Rotate)).incomplete_deleted,
        [running.as_str()]
    );
}

#[test]
fn a_failed_delete_is_an_error_and_the_rest_is_still_reported() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 4);
    // The lock of ids[1] cannot be opened (a directory in its place): its delete fails.
    std::fs::create_dir_all(
        r.dir
            .path()
            .join("app/lock")
            .join(format!("{}.lock", ids[1])),
    )
    .unwrap();
    let run = r.rotate(&["--stanza", "app", "--keep-last", "1", "--now", NOW]);
    run.code_is(1);
    let ev = run.one(Kind::Rotate);
    run.check(ev.status == Status::Error, "status error");
    let f = fields(ev);
    assert_eq!(f.deleted, [ids[2].as_str(), ids[0].as_str()]);
    assert_eq!(f.failed.len(), 1);
    assert_eq!(f.failed[0].id, ids[1]);
    assert!(r.exists("app", &ids[1]));
    assert!(ev.message.contains("failed"), "{}", ev.message);
}

#[test]
fn a_held_stanza_lock_is_a_runtime_failure() {
    let r = Repo::new();
    let ids = r.dailies("app", "2026-11-25", 3);
    let _backup = r
        .repo
        .lock_stanza("app", "pra-backup", std::time::Duration::ZERO)
        .unwrap();
    let run = r.rotate(&["--stanza", "app", "--keep-last", "1", "--lock-wait", "0s"]);
    run.code_is(3);
    let ev = run.one(Kind::Rotate);
    let f = fields(ev);
    run.check(
        ev.status == Status::Error && f.error.as_deref().is_some_and(|e| e.contains("pra-backup")),
        "the error names the holder",
    );
    assert!(ids.iter().all(|id| r.exists("app", id)));
    // A dry run takes no lock and still plans.
    let dry = r.rotate(&["--stanza", "app", "--keep-last", "1", "--dry-run"]);
    dry.success();
    assert_eq!(fields(dry.one(Kind::Rotate)).deleted.len(), 2);
}
