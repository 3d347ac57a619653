//! A repository is created explicitly (issue 18, item 6): without `--init` a typo in
//! `--repo` or an empty mount point is refused, naming the path and the flag, and
//! nothing is created; `--init` never creates the parents and is a no-op the second time.

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Kind, Status};
use pra_testkit::{tool, tool_as, PgCluster, Tool};
use std::path::Path;

/// pra-backup without `--init` (the shared helper passes it).
fn backup_no_init(c: &PgCluster, repo: &Path) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-backup"))
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .arg("--repo")
        .arg(repo)
        .args(["-d", "init_app"])
}

#[test]
fn without_init_a_missing_or_empty_repository_is_refused_and_init_creates_it_once() {
    let c = PgCluster::start();
    c.create_db("init_app");
    let home = tempfile::tempdir().unwrap();

    for (repo, words) in [
        (home.path().join("bakcups"), "does not exist"),
        (home.path().to_path_buf(), "empty directory"),
    ] {
        let run = backup_no_init(&c, &repo).run();
        run.code_is(3);
        run.stderr_contains(repo.to_str().unwrap());
        run.stderr_contains(words);
        run.stderr_contains("pra-backup --init");
        let ev = run.one(Kind::Backup);
        run.check(
            ev.status == Status::Error && ev.class() == Some(ErrorClass::Repository),
            "a `repository` error event",
        );
        run.check(all_files(home.path()).is_empty(), "nothing created");
    }

    let unmounted = home.path().join("mnt/backup/pra");
    let run = backup(&c, &unmounted).args(["-d", "init_app"]).run();
    run.code_is(3);
    run.stderr_contains("parent directory");
    run.check(!home.path().join("mnt").exists(), "no parent created");

    let repo = home.path().join("pra");
    backup(&c, &repo).args(["-d", "init_app"]).run().success();
    let created = std::fs::read(repo.join("pra.json")).unwrap();
    backup(&c, &repo).args(["-d", "init_app"]).run().success();
    assert_eq!(std::fs::read(repo.join("pra.json")).unwrap(), created);
    backup_no_init(&c, &repo).run().success();
}

/// Issue 18, item 8: after a run as root, the postgres job is told who ran, who owns
/// the stanza and what to do, not a bare "Permission denied".
#[test]
fn the_wrong_os_user_is_told_who_owns_the_repository_and_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let c = PgCluster::start();
    c.create_db("init_app");
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = home.path().join("pra");
    // As root (the tests' user): the stanza's directories are root's, 0700.
    backup(&c, &repo).args(["-d", "init_app"]).run().success();
    // The repository itself is postgres's, as the install made it.
    let chown = std::process::Command::new("chown")
        .args(["postgres:"])
        .arg(&repo)
        .arg(repo.join("pra.json"))
        .status()
        .unwrap();
    assert!(chown.success());
    let run = tool_as("postgres", env!("CARGO_BIN_EXE_pra-backup"))
        .envs(c.env())
        .arg("--repo")
        .arg(&repo)
        .args(["-d", "init_app"])
        .run();
    run.code_is(3);
    run.stderr_contains("runs as OS user postgres");
    run.stderr_contains("is owned by root");
    run.stderr_contains("a run as root created it");
    run.stderr_contains(&format!("chown -R postgres: {}", repo.display()));
    let ev = run.one(Kind::Backup);
    run.check(
        ev.class() == Some(ErrorClass::Repository),
        "a `repository` error",
    );
}

/// Issue 18, item 8: `--init --group-readable` lets a monitoring user in the owner's
/// group read the manifests; the default stays private.
#[test]
fn a_group_readable_repository_is_readable_by_the_group_only_when_asked() {
    use std::os::unix::fs::PermissionsExt;
    let c = PgCluster::start();
    c.create_db("init_app");
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let chown = std::process::Command::new("chown")
        .arg("postgres:")
        .arg(home.path())
        .status()
        .unwrap();
    assert!(chown.success());
    for (name, extra, readable) in [
        ("shared", Some("--group-readable"), true),
        ("private", None, false),
    ] {
        let repo = home.path().join(name);
        let run = tool_as("postgres", env!("CARGO_BIN_EXE_pra-backup"))
            .envs(c.env())
            .env("PRA_PG_BINDIR", c.bindir())
            .args(["--init", "-d", "init_app", "--repo"])
            .arg(&repo)
            .args(extra)
            .run();
        run.success();
        let m = only_manifest(&repo, "init_app");
        // A monitoring user: not postgres, but in its group.
        let read = tool("/usr/bin/setpriv")
            .args([
                "--reuid", "nobody", "--regid", "nogroup", "--groups", "postgres", "--", "cat",
            ])
            .arg(backup_dir(&repo, &m).join("manifest.json"))
            .run();
        read.check(
            (read.code == Some(0)) == readable,
            &format!("{name}: readable by the group: {readable}"),
        );
        // A second backup without the flag keeps the repository's mode.
        backup_no_init(&c, &repo).run().success();
    }
}
