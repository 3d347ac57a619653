//! Verdicts that must not claim more than was done (issue 22, items 6, 7 and 8): rows
//! never counted are "not compared" (`warn`), a manifest without the files its kind
//! requires fails, and a verdict a full repository cannot hold is an `error` event.

use crate::common::*;
use pra_core::event::Status;
use pra_core::manifest::VerifyLevel;
use pra_core::repo::Repository;
use pra_testkit::{load_sample, tool, PgCluster, ToolRun};
use std::path::{Path, PathBuf};
use std::process::Command;

fn verdicts(repo: &Path, id: &str) -> Option<pra_core::verdicts::Verdicts> {
    Repository::open(repo.to_str().unwrap())
        .unwrap()
        .read_verify("app", id)
        .unwrap()
}

#[test]
fn rows_never_counted_are_not_compared_and_warn() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup_with(&c, &repo, "app", &["--count-rows", "none"]);
    let m = latest(&repo, "app");
    assert!(!m.tables.is_empty() && m.tables.iter().all(|t| t.rows.is_none()));

    let run = verify(&c, &repo)
        .args(["--stanza", "app", "--level", "restore", "-d", "postgres"])
        .run();
    run.success();
    let (ev, f) = verify_fields(&run);
    assert_eq!(ev.status, Status::Warn, "{}", run.dump());
    assert!(ev.message.contains("not compared"), "{}", ev.message);
    assert!(!ev.message.contains("match"), "{}", ev.message);
    assert_eq!(f.tables_not_compared, m.tables.len() as u64);
    let v = verdicts(&repo, &m.id).unwrap();
    assert_eq!(
        v.get(VerifyLevel::Restore).map(|v| v.status),
        Some(Status::Warn),
        "the verdict keeps the warning"
    );
}

#[test]
fn a_manifest_without_the_files_its_kind_requires_fails() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    let m = latest(&repo, "app");
    let path = backup_dir(&repo, &m).join("manifest.json");
    for (role, level) in [
        ("dump", "checksum"),
        ("globals", "checksum"),
        ("dump", "manifest"),
    ] {
        let mut v: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
        v["files"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["role"] != role);
        std::fs::write(&path, v.to_string()).unwrap();
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--backup", &m.id, "--level", level])
            .run();
        run.code_is(1);
        let (ev, f) = verify_fields(&run);
        assert_eq!(ev.status, Status::Error, "{}", run.dump());
        let want = format!("lists no {role} file");
        assert!(
            f.problem.as_deref().unwrap_or_default().contains(&want),
            "{role} at {level}: {}",
            run.dump()
        );
        let v = verdicts(&repo, &m.id).unwrap();
        assert!(v.verified().is_none(), "no passing verdict: {v:?}");
    }
}

/// A tmpfs mounted for the test, unmounted when dropped (also when the test fails).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "cannot mount a tmpfs ({}): using a file-size limit instead",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` to the last byte.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0x5a_u8; 64 * 1024];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}");
                break;
            }
        }
    }
    let _ = f.sync_all();
}

#[test]
fn a_full_repository_says_the_verdict_was_not_recorded() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("disk");
    // A really full filesystem where mounting is allowed (root, CI); elsewhere the
    // write of verify.json fails on RLIMIT_FSIZE (SIGXFSZ ignored), unprivileged.
    let tmpfs = Tmpfs::mount(&mount, "24m");
    std::fs::create_dir_all(&mount).unwrap();
    let repo = mount.join("repo");
    take_backup(&c, &repo, "app");
    let m = latest(&repo, "app");
    let args = ["--stanza", "app", "--backup", &m.id, "--level", "checksum"];
    // Lock files and directories exist already: only the verdict needs room.
    verify(&c, &repo).args(args).run().success();
    let verdict_file = backup_dir(&repo, &m).join("verify.json");
    std::fs::remove_file(&verdict_file).unwrap();

    let run: ToolRun = if tmpfs.is_some() {
        fill(&mount);
        verify(&c, &repo).args(args).run()
    } else {
        tool("/bin/sh")
            .envs(c.env())
            .env("PRA_PG_BINDIR", c.bindir())
            .args([
                "-c",
                "trap '' XFSZ; exec prlimit --fsize=64 -- \"$@\"",
                "sh",
                env!("CARGO_BIN_EXE_pra-verify"),
                "--repo",
            ])
            .arg(&repo)
            .args(args)
            .run()
    };
    run.code_is(3);
    let (ev, f) = verify_fields(&run);
    assert_eq!(ev.status, Status::Error, "{}", run.dump());
    assert_eq!(
        ev.error_class.as_deref(),
        Some("repository"),
        "{}",
        run.dump()
    );
    assert!(
        ev.message.contains("could not be recorded"),
        "{}",
        ev.message
    );
    let why = f.verdict_error.unwrap_or_default();
    let cause = if tmpfs.is_some() {
        "No space left on device"
    } else {
        "File too large"
    };
    assert!(why.contains(cause), "{why}");
    assert!(ev.message.contains(cause), "{}", ev.message);
    assert!(f.problems.is_empty(), "the backup itself is fine");
    assert!(!verdict_file.exists(), "no verdict, and no pretence of one");

    // Room again: the same run records its verdict.
    let _ = std::fs::remove_file(mount.join("filler"));
    verify(&c, &repo).args(args).run().success();
    assert!(verdicts(&repo, &m.id).unwrap().verified().is_some());
    drop(tmpfs);
}
