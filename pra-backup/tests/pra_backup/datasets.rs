//! Restore fidelity: every shared dataset and the sample generator, backed up by
//! pra-backup and restored with the standard tools only (`zstd -d | pg_restore`,
//! `gunzip | pg_restore`), has identical table digests; the manifest's row counts,
//! sizes and sha256 match what is on disk and in the restored database.

use crate::common::*;
use pra_core::event::kinds::BackupFields;
use pra_core::event::{Event, Kind, Status};
use pra_core::manifest::FileRole;
use pra_testkit::{database_digest, datasets_dir, load_dataset, load_sample, Dataset, PgCluster};
use std::path::Path;

fn check_backup(c: &PgCluster, repo: &Path, db: &str, codec: &str, extra_repo: Option<&Path>) {
    let upstream = Event::new("pra-test", Kind::Check, Status::Ok, "upstream");
    let mut t = backup(c, repo).args(["-d", db, "--compress", codec]);
    if let Some(r2) = extra_repo {
        t = t.arg("--repo").arg(r2);
    }
    let run = t.stdin_events(std::slice::from_ref(&upstream)).run();
    run.success();
    run.check(
        run.events.first() == Some(&upstream),
        "stdin event forwarded first",
    );
    let ev = run.one(Kind::Backup);
    run.check(ev.status == Status::Ok, "backup event ok");
    run.check(
        ev.stanza.as_deref() == Some(db),
        "stanza defaults to the database",
    );
    let f: BackupFields = ev.fields_as().unwrap();

    let m = only_manifest(repo, db);
    assert_eq!(f.id.as_deref(), Some(m.id.as_str()));
    assert_eq!(f.backup_type.as_deref(), Some("logical"));
    assert_eq!(f.database.as_deref(), Some(db));
    assert_eq!(f.files.len(), 2);
    assert_eq!(f.stored_bytes, m.stored_bytes());
    assert_eq!(f.tables, m.tables.len() as u64);
    assert!(f.tables > 0 && f.rows > 0, "{db}: tables and rows counted");
    assert!(f.wal_lsn.is_some() && f.server_version.is_some());
    assert!(f.repo[0].contains(repo.to_str().unwrap()));
    assert!(!m.system_identifier.is_empty());
    assert!(m.tables.iter().all(|t| t.rows.is_some()));

    let dir = backup_dir(repo, &m);
    for file in &m.files {
        let path = dir.join(&file.name);
        assert_eq!(sha256sum(&path), file.stored_sha256, "{}", path.display());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), file.stored_bytes);
        assert!(
            codec_tool_accepts(&path),
            "codec tool reads {}",
            path.display()
        );
        assert_eq!(file.codec.as_str(), codec);
    }
    let dump = m.file(FileRole::Dump).unwrap();
    let ext = match codec {
        "zstd" => ".zst",
        "gzip" => ".gz",
        _ => "",
    };
    assert_eq!(dump.name, format!("dump.pgc{ext}"));
    let globals = decompress_to_string(&dir.join(&m.file(FileRole::Globals).unwrap().name));
    assert!(
        globals.contains("CREATE ROLE postgres"),
        "globals hold the roles:\n{globals}"
    );
    // The raw sha256 is that of what comes out of the standard decompressor.
    let raw = decompress_to_string_bytes_sha(&dir.join(&dump.name));
    assert_eq!(raw, dump.raw_sha256);

    let restored = format!("{db}_restored");
    restore_with_standard_tools(c, &dir.join(&dump.name), &restored);
    let diff = database_digest(c, db).diff(&database_digest(c, &restored));
    assert!(diff.is_empty(), "{db}: restored digest differs: {diff:?}");
    let mut client = c.connect(&restored);
    let tables = pra_core::catalog::user_tables(&mut client).unwrap();
    let counts = pra_core::catalog::count_rows(&mut client, &tables).unwrap();
    assert!(pra_core::catalog::compare_row_counts(&m.tables, &counts).is_empty());

    if let Some(r2) = extra_repo {
        let m2 = only_manifest(r2, db);
        assert_eq!(
            m2.files, m.files,
            "the second repository holds the same files"
        );
        for file in &m2.files {
            assert_eq!(
                sha256sum(&backup_dir(r2, &m2).join(&file.name)),
                file.stored_sha256
            );
        }
    }
}

fn decompress_to_string_bytes_sha(path: &Path) -> String {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let name = path.to_string_lossy();
    let status = if name.ends_with(".zst") {
        std::process::Command::new("zstd")
            .args(["-d", "-q", "-f", "-o"])
            .arg(tmp.path())
            .arg(path)
            .status()
            .unwrap()
    } else if name.ends_with(".gz") {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "gunzip -c '{}' > '{}'",
                path.display(),
                tmp.path().display()
            ))
            .status()
            .unwrap()
    } else {
        std::fs::copy(path, tmp.path()).unwrap();
        return sha256sum(tmp.path());
    };
    assert!(status.success());
    sha256sum(tmp.path())
}

#[test]
fn datasets_and_sample_restore_identically_with_standard_tools() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    let repo2 = tempfile::tempdir().unwrap();

    load_sample(&c, "sample", 2);
    check_backup(&c, repo.path(), "sample", "none", None);
    all_databases_one_stanza_each(&c);

    if datasets_dir().is_none() {
        return;
    }
    for (dataset, codec) in [
        (Dataset::Pagila, "zstd"),
        (Dataset::Chinook, "gzip"),
        (Dataset::Northwind, "zstd"),
    ] {
        let db = load_dataset(&c, dataset);
        let second = (dataset == Dataset::Northwind).then_some(repo2.path());
        check_backup(&c, repo.path(), &db, codec, second);
    }
}

/// `--all-databases`: every connectable non-template database, one stanza each.
fn all_databases_one_stanza_each(c: &PgCluster) {
    c.create_db("closed");
    c.psql("postgres", "ALTER DATABASE closed ALLOW_CONNECTIONS false");
    let repo = tempfile::tempdir().unwrap();
    let run = backup(c, repo.path()).arg("--all-databases").run();
    run.success();
    let stanzas: Vec<String> = run
        .events_of(Kind::Backup)
        .iter()
        .map(|e| e.stanza.clone().unwrap())
        .collect();
    let expected: Vec<String> = c
        .databases()
        .into_iter()
        .filter(|d| d != "closed")
        .collect();
    assert_eq!(stanzas, expected, "one backup per connectable database");
    for db in &expected {
        let m = only_manifest(repo.path(), db);
        assert_eq!(m.database.as_deref(), Some(db.as_str()));
    }
}
