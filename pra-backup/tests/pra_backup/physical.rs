//! `pra-backup --physical` on a real archiving cluster: the backup holds every file
//! of the data directory but what PostgreSQL says to skip, each checksummed; restored
//! by hand (decode each object to its path, backup_label, restore_command) it recovers
//! the rows committed after it from the WAL archive. Broken archiving fails the backup
//! with a clear timeout, and nothing that looks complete is left.

use super::common::backup;
use pra_backup::physical::PhysicalSection;
use pra_core::codec::{Codec, Decoder};
use pra_core::event::kinds::BackupFields;
use pra_core::event::Kind;
use pra_core::manifest::BackupKind;
use pra_core::repo::Repository;
use pra_testkit::{ClusterOptions, PgCluster, RecoveredServer};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

/// A cluster archiving WAL with `cp` into `dir` (pra-wal has its own tests).
fn archiving(dir: &Path, command: Option<&str>) -> PgCluster {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let cmd = command
        .map(str::to_string)
        .unwrap_or_else(|| format!("test ! -f {0}/%f && cp %p {0}/%f", dir.display()));
    PgCluster::start_with(ClusterOptions {
        conf: vec![
            "wal_level = replica".into(),
            "archive_mode = on".into(),
            format!("archive_command = '{cmd}'"),
        ],
        ..ClusterOptions::default()
    })
}

#[test]
fn a_physical_backup_restores_and_replays_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let wal = tmp.path().join("wal");
    std::fs::create_dir(&wal).unwrap();
    let c = archiving(&wal, None);
    c.psql(
        "postgres",
        "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)",
    );
    let repo = tmp.path().join("repo");
    let run = backup(&c, &repo)
        .args(["--physical", "--stanza", "main"])
        .run();
    run.success();
    let ev = run.one(Kind::Backup);
    let fields: BackupFields = ev.fields_as().unwrap();
    assert_eq!(
        fields.backup_type.as_deref(),
        Some("physical"),
        "{}",
        run.dump()
    );
    c.psql("postgres", "INSERT INTO t SELECT generate_series(101, 150)");
    c.archive_current_segment();

    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    let manifests = r.complete_backups("main").unwrap();
    assert_eq!(manifests.len(), 1);
    let m = &manifests[0];
    assert_eq!(m.kind, BackupKind::Physical);
    let section = PhysicalSection::of(m).expect("a physical section");
    assert!(!section.start_lsn.is_empty() && !section.stop_lsn.is_empty());
    assert!(section.stop_wal >= section.start_wal);
    let paths: Vec<&str> = section.files.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"global/pg_control"), "{paths:?}");
    assert!(paths.contains(&"PG_VERSION"));
    for skipped in ["postmaster.pid", "postmaster.opts"] {
        assert!(!paths.contains(&skipped), "{skipped} is not copied");
    }
    assert!(
        !paths.iter().any(|p| p.starts_with("pg_wal/")),
        "no WAL in the copy"
    );
    assert!(
        section.dirs.iter().any(|d| d == "pg_wal"),
        "pg_wal itself is kept"
    );

    // Restore by hand: every object decoded and checked against the manifest.
    let data = tmp.path().join("restored");
    std::fs::create_dir(&data).unwrap();
    for d in &section.dirs {
        std::fs::create_dir_all(data.join(d)).unwrap();
    }
    let decode = |name: &str| {
        let mut out = Vec::new();
        let mut dec = Decoder::new(r.open_file("main", &m.id, name).unwrap(), Codec::Zstd).unwrap();
        dec.read_to_end(&mut out).unwrap();
        let f = m.files.iter().find(|f| f.name == name).unwrap();
        assert_eq!(
            pra_core::codec::digest_of(&out[..]).unwrap().sha256,
            f.raw_sha256,
            "{name}"
        );
        out
    };
    for f in &section.files {
        let dest = data.join(&f.path);
        std::fs::write(&dest, decode(&f.object)).unwrap();
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(f.mode)).unwrap();
    }
    let label = decode(pra_backup::physical::BACKUP_LABEL);
    assert!(String::from_utf8_lossy(&label).contains("START WAL LOCATION"));
    std::fs::write(data.join("backup_label"), label).unwrap();
    let mut auto = std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap();
    auto.push_str(&format!("restore_command = 'cp {}/%f %p'\n", wal.display()));
    std::fs::write(data.join("postgresql.auto.conf"), auto).unwrap();
    std::fs::write(data.join("recovery.signal"), "").unwrap();
    let mut server = RecoveredServer::start(c.bindir(), &data, &c.data_dir());
    let mut client = server
        .wait_recovered(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    let n: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 150, "the backup's rows and the archived ones");
    assert_eq!(std::fs::metadata(&data).unwrap().mode() & 0o777, 0o700);
}

#[test]
fn broken_archiving_fails_the_backup_with_a_clear_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let c = archiving(tmp.path(), Some("false"));
    let repo = tmp.path().join("repo");
    let run = backup(&c, &repo)
        .args(["--physical", "--stanza", "main", "--archive-timeout", "3s"])
        .run();
    run.code_is(3).stderr_contains("not archived within 3 s");
    assert_eq!(
        run.one(Kind::Backup).error_class.as_deref(),
        Some("timeout")
    );
    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    assert!(
        r.backups("main").unwrap().is_empty(),
        "the partial backup is removed"
    );
}
