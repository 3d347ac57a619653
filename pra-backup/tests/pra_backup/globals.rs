//! The globals dump (`pg_dumpall --globals-only`) runs beside the database's dump:
//! when it fails the backup still fails, naming it with its stderr, and leaves
//! nothing under a final name (the dump's staged file included).

use crate::common::*;
use pra_core::event::kinds::BackupFields;
use pra_core::event::{Kind, Status};
use pra_testkit::PgCluster;
use std::os::unix::fs::{symlink, PermissionsExt};

#[test]
fn a_failing_globals_dump_fails_the_backup_and_leaves_nothing() {
    let c = PgCluster::start();
    c.create_db("app");
    // Enough rows that the dump is still running when pg_dumpall has failed.
    c.psql(
        "app",
        "CREATE TABLE t AS SELECT i, md5(i::text) AS s FROM generate_series(1, 300000) i",
    );
    // The real pg_dump, and a pg_dumpall that fails as a refused connection would.
    let bindir = tempfile::tempdir().unwrap();
    symlink(c.bindir().join("pg_dump"), bindir.path().join("pg_dump")).unwrap();
    let fake = bindir.path().join("pg_dumpall");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'pg_dumpall: error: globals refused by the test' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let repo = tempfile::tempdir().unwrap();
    let run = backup(&c, repo.path())
        .env("PRA_PG_BINDIR", bindir.path())
        .args(["-d", "app"])
        .run();
    run.code_is(3);
    let ev = run.one(Kind::Backup);
    run.check(ev.status == Status::Error, "backup event is an error");
    let f: BackupFields = ev.fields_as().unwrap();
    let err = f.error.unwrap_or_default();
    run.check(err.contains("pg_dumpall failed"), "names pg_dumpall");
    run.check(
        err.contains("globals refused by the test"),
        "carries pg_dumpall's stderr",
    );
    assert_nothing_left(repo.path(), "app");

    // The same backup with the real pg_dumpall: complete, both files in the manifest.
    symlink(
        c.bindir().join("pg_dumpall"),
        bindir.path().join("pg_dumpall.real"),
    )
    .unwrap();
    std::fs::rename(
        bindir.path().join("pg_dumpall.real"),
        bindir.path().join("pg_dumpall"),
    )
    .unwrap();
    let run = backup(&c, repo.path())
        .env("PRA_PG_BINDIR", bindir.path())
        .args(["-d", "app"])
        .run();
    run.code_is(0);
    let m = only_manifest(repo.path(), "app");
    assert!(m.file(pra_core::manifest::FileRole::Globals).is_some());
    assert!(m.file(pra_core::manifest::FileRole::Dump).is_some());
}
