//! Shared helpers of pra-restore's integration tests: writing a backup in the
//! repository format pra-core fixes.
//!
//! Why our own helper rather than the `pra-backup` binary: a test cannot ask
//! Cargo to build another package's binary (`CARGO_BIN_EXE_*` exists only for
//! this crate's own), so using it would mean a path guessed from
//! `current_exe()` that silently goes stale when only this crate is rebuilt.
//! The format is small and fixed by pra-core (manifest + `pg_dump -Fc -Z0`
//! output + `pg_dumpall --globals-only` output, encoded by `codec::Encoder`),
//! and pra-backup's own tests prove it writes exactly that, restorable with
//! plain `pg_restore`. This helper writes the same thing with the same
//! pra-core calls, so these tests exercise pra-restore alone.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_arguments
)]

use pra_core::codec::{Codec, EncodeOptions, Encoder};
use pra_core::manifest::{BackupKind, FileRole, Manifest, ManifestFile, MANIFEST_FORMAT};
use pra_core::repo::Repository;
use pra_testkit::PgCluster;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The restore binary under test.
pub const PRA_RESTORE: &str = env!("CARGO_BIN_EXE_pra-restore");

/// Runs `program` (a PostgreSQL client of the cluster) and streams its stdout
/// through the encoder into a new file of the backup; returns its manifest entry.
fn store_output(
    c: &PgCluster,
    repo: &Repository,
    stanza: &str,
    id: &str,
    name: &str,
    role: FileRole,
    codec: Codec,
    program: &str,
    args: &[&str],
) -> ManifestFile {
    let mut child = Command::new(c.bindir().join(program))
        .args(args)
        .envs(c.env())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let staged = repo.create_file(stanza, id, name).unwrap();
    let mut enc = Encoder::new(
        staged,
        EncodeOptions {
            codec,
            level: None,
            threads: 0,
        },
    )
    .unwrap();
    std::io::copy(&mut out, &mut enc).unwrap();
    enc.flush().unwrap();
    assert!(child.wait().unwrap().success(), "{program} {args:?} failed");
    let (staged, d) = enc.finish().unwrap();
    staged.commit().unwrap();
    ManifestFile::from_digests(name, role, codec, None, &d)
}

/// Backs up database `db` of the cluster into the repository at `repo_dir`, stanza
/// `stanza`, as pra-backup does (the tests write nothing concurrently, so counting
/// rows before the dump gives the dump's counts).
pub fn backup(c: &PgCluster, repo_dir: &Path, db: &str, stanza: &str, codec: Codec) -> Manifest {
    let repo = Repository::open(repo_dir.to_str().unwrap()).unwrap();
    let started = pra_core::time::now();
    let id = repo.new_backup(stanza, started).unwrap();
    let mut client = c.connect(db);
    let tables = pra_core::catalog::user_tables(&mut client).unwrap();
    let counted = pra_core::catalog::count_rows(&mut client, &tables).unwrap();
    let version: String = client.query_one("SHOW server_version", &[]).unwrap().get(0);
    let num: String = client
        .query_one("SHOW server_version_num", &[])
        .unwrap()
        .get(0);
    let sysid: String = client
        .query_one(
            "SELECT system_identifier::text FROM pg_control_system()",
            &[],
        )
        .unwrap()
        .get(0);
    let dump = store_output(
        c,
        &repo,
        stanza,
        &id,
        &format!("dump.pgc{}", codec.extension()),
        FileRole::Dump,
        codec,
        "pg_dump",
        &[
            "--format=custom",
            "--compress=0",
            "-d",
            &pra_core::conn::conninfo::dbname_conninfo(db),
        ],
    );
    let globals = store_output(
        c,
        &repo,
        stanza,
        &id,
        "globals.sql.zst",
        FileRole::Globals,
        Codec::Zstd,
        "pg_dumpall",
        &["--globals-only"],
    );
    let m = Manifest {
        format: MANIFEST_FORMAT,
        id,
        stanza: stanza.to_string(),
        kind: BackupKind::Logical,
        started_at: started,
        finished_at: pra_core::time::now(),
        server_version: version,
        server_version_num: num.parse().unwrap(),
        system_identifier: sysid,
        database: Some(db.to_string()),
        database_size_bytes: None,
        database_state: pra_core::dbstate::read_database_state(&mut client, db).unwrap(),
        run_id: None,
        wal_lsn: None,
        timeline: None,
        files: vec![dump, globals],
        tables: counted,
        tool_version: pra_core::VERSION.to_string(),
        extra: Default::default(),
    };
    repo.write_manifest(&m).unwrap();
    m
}

/// A database whose objects belong to a non-default role, with grants to another:
/// the project's sample generator (roles `pra_sample_owner`, `pra_sample_reader`).
pub fn load_owned_sample(c: &PgCluster, db: &str, scale: u32) {
    pra_testkit::load_sample(c, db, scale);
}

/// Waits until the running pra-restore `child` has pg_restore copying rows into its
/// temporary database for `target` (then it is mid-restore), for at most 120 s.
pub fn wait_for_copy(c: &PgCluster, target: &str, child: &mut std::process::Child) {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE '{target}\\_\\_pra\\_restore\\_%' AND query ILIKE 'COPY%'"
    );
    let started = std::time::Instant::now();
    while c.psql("postgres", &sql) == "0" {
        assert!(
            child.try_wait().unwrap().is_none(),
            "pra-restore ended before it was mid-restore"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "pg_restore never started copying"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The validation steps of a restore event, as (check, status), in order.
pub fn check_statuses(
    f: &pra_core::event::kinds::RestoreFields,
) -> Vec<(&str, pra_core::event::Status)> {
    f.validation
        .iter()
        .map(|c| (c.check.as_str(), c.status))
        .collect()
}
