//! The phases of one logical backup of one database: snapshot, dump (the globals
//! beside it, globals.rs), copies to the other repositories (copies.rs), manifest last (outcome.rs
//! opens the repositories, runs them and turns the result into events).

use crate::cli::CountRows;
use crate::copies::copy_to_other_repositories;
use crate::globals::Globals;
use crate::snapshot::{read_snapshot, SnapshotInfo};
use crate::stream::pump_child;
use crate::{progress, Error, TOOL};
use postgres::Transaction;
use pra_core::catalog::count_rows;
use pra_core::codec::{Digests, EncodeOptions};
use pra_core::conn::conninfo::dbname_conninfo;
use pra_core::conn::ConnSettings;
use pra_core::crypt::Recipients;
use pra_core::dumpscan::RowCounter;
use pra_core::event::Event;
use pra_core::manifest::{
    BackupKind, FileRole, Manifest, ManifestFile, TableRows, MANIFEST_FORMAT,
};
use pra_core::repo::{Repository, StagedFile};
use pra_core::signals;
use pra_core::stall::Watchdog;
use pra_core::time::format_bytes;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Everything a backup of one database needs.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// Where the database is (its `dbname` is the database backed up).
    pub conn: ConnSettings,
    /// Repository locations; the first is written, the others get verified copies.
    pub repos: Vec<String>,
    /// The stanza.
    pub stanza: String,
    /// Codec, level, zstd threads.
    pub encode: EncodeOptions,
    /// The keys the stored files are encrypted to (`--encrypt-to`, `--passphrase-file`);
    /// `None`: not encrypted.
    pub encrypt: Option<std::sync::Arc<Recipients>>,
    /// Which tables to count.
    pub count_rows: CountRows,
    /// Tables always counted.
    pub critical_tables: Vec<String>,
    /// How long to wait for the stanza lock.
    pub wait: Duration,
    /// Where `pg_dump` and `pg_dumpall` are (default: PATH).
    pub pg_bindir: Option<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Fail when pg_dump or pg_dumpall makes no progress for this long (0: never).
    pub stall_timeout: Duration,
    /// Create a repository that does not exist yet (`--init`); without it a missing or
    /// empty location is refused.
    pub init: bool,
    /// With `init`: a group-readable repository (`--group-readable`).
    pub group_readable: bool,
    /// The `--all-databases` run this backup belongs to (recorded in the manifest).
    pub run_id: Option<String>,
}

/// A complete backup.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    /// The manifest written (in the first repository).
    pub manifest: Manifest,
    /// The `backup` event (status `ok`, or `warn` with `warnings`).
    pub event: Event,
    /// One `error` event per repository that could not be written (down, full, locked):
    /// the backup completed on the others and its event says `warn`.
    pub repo_failures: Vec<Event>,
}

/// Repositories that failed while others went on: (location, redacted; why).
pub(crate) type Down = Vec<(String, Error)>;

/// A failed backup: the error and its `backup` event (status `error`).
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The `backup` event to emit.
    pub event: Event,
}

pub(crate) struct Stored {
    file: ManifestFile,
}

/// Where a PostgreSQL client program is. A missing one is a configuration error
/// (exit 2, never retried as transient) whose message names --pg-bindir.
fn program(opts: &BackupOptions, name: &str) -> Result<PathBuf, Error> {
    pra_core::child::program(opts.pg_bindir.as_deref(), name)
        .map_err(|e| Error::Usage(e.to_string()))
}

/// A file of the backup made from a child's stdout.
pub(crate) struct Output<'a> {
    pub(crate) tool: &'a str,
    pub(crate) name: &'a str,
    pub(crate) role: FileRole,
    /// Counts the rows of the dump on its way (pg_dump's output only).
    pub(crate) rows: Option<&'a mut RowCounter>,
}

/// Runs `cmd` and stores its stdout as `out.name` in the backup.
pub(crate) fn store_output(
    opts: &BackupOptions,
    repo: &Repository,
    id: &str,
    cmd: Command,
    out: Output<'_>,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<Stored, Error> {
    let (staged, stored) = stage_output(opts, repo, id, cmd, out, bar)?;
    staged.commit()?;
    Ok(stored)
}

/// [`store_output`] without the commit: the file is staged, complete, not named yet.
pub(crate) fn stage_output(
    opts: &BackupOptions,
    repo: &Repository,
    id: &str,
    mut cmd: Command,
    out: Output<'_>,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(Box<dyn StagedFile>, Stored), Error> {
    let Output {
        tool,
        name,
        role,
        rows,
    } = out;
    opts.conn.apply_to(&mut cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    log::info!("running {tool} into {name}");
    let child = cmd.spawn().map_err(|e| Error::Child {
        tool: tool.to_string(),
        status: "did not start".to_string(),
        stderr: format!("{}: {e}", cmd.get_program().to_string_lossy()),
    })?;
    let sink = repo.create_file(&opts.stanza, id, name)?;
    let watchdog = Watchdog::start(
        format!("{tool} of {}", opts.conn.dbname()),
        opts.stall_timeout,
    );
    let moved = watchdog.progress();
    let mut on_progress = |n: u64| {
        moved.bump(n);
        if let Some(b) = bar {
            b.set_position(n);
        }
    };
    let (staged, digests) = pump_child(
        child,
        tool,
        sink,
        (opts.encode, opts.encrypt.as_deref()),
        &mut on_progress,
        rows,
    )?;
    let stored = Stored {
        file: manifest_file(name, role, &digests, opts),
    };
    Ok((staged, stored))
}

fn manifest_file(name: &str, role: FileRole, d: &Digests, opts: &BackupOptions) -> ManifestFile {
    ManifestFile::from_digests(
        name,
        role,
        opts.encode.codec,
        opts.encrypt.as_ref().map(|r| r.record()),
        d,
    )
}

/// The suffix of stored file names: the codec's, then `.age` when encrypted, so that
/// the names say which tool reads them (`age -d … | zstd -d`).
pub(crate) fn extension(opts: &BackupOptions) -> String {
    let age = if opts.encrypt.is_some() { ".age" } else { "" };
    format!("{}{age}", opts.encode.codec.extension())
}

/// The backup proper, once the locks are held; `reserved` collects the backup
/// directories created, for the caller to remove on failure.
pub(crate) fn take_backup(
    opts: &BackupOptions,
    repos: &[Repository],
    reserved: &mut Vec<(usize, String)>,
    warnings: &mut Vec<String>,
    down: &mut Down,
) -> Result<Manifest, Error> {
    // Both looked up before the snapshot: a dump whose globals cannot follow is wasted.
    let pg_dump = program(opts, "pg_dump")?;
    let pg_dumpall = program(opts, "pg_dumpall")?;
    let started_at = pra_core::time::now();
    let conn = opts.conn.with_application_name(TOOL);
    let target = conn.to_string();
    // Our own statements on a server that froze would wait forever: each phase
    // without a byte counter is bounded by --stall-timeout as a whole.
    let starting = bounded(opts, "taking the snapshot");
    let mut client = conn.connect()?;
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| query_error(&target, &e))?;
    let mut info: SnapshotInfo =
        read_snapshot(&mut tx, &target, opts.count_rows, &opts.critical_tables)?;
    for missing in &info.missing_critical {
        warnings.push(format!("critical table {missing} not found"));
    }
    signals::check()?;
    let first = repos
        .first()
        .ok_or_else(|| Error::Usage("no repository given".to_string()))?;
    let id = first.new_backup(&opts.stanza, started_at)?;
    reserved.push((0, id.clone()));
    log::info!(
        "backup {}/{id} of {} (snapshot {}, {})",
        opts.stanza,
        info.database,
        info.snapshot_id,
        format_bytes(info.database_size_bytes)
    );
    drop(starting);
    // The globals (their own process and snapshot) beside the dump; joined before the
    // manifest, a failure of either fails the backup (the dump's reported first).
    let (dumped, globals) = std::thread::scope(|s| {
        let globals = Globals::start(s, (opts, first, &id), &info, pg_dumpall, warnings);
        let dumped = dump_database(opts, &mut tx, &mut info, (first, &id), pg_dump);
        (dumped, globals.join())
    });
    // The snapshot has served its purpose; end the transaction.
    // Bounded also on failure: rolling back on a frozen server would never return.
    let ending = bounded(opts, "ending the snapshot");
    let dump_file = match dumped {
        Ok(f) => f,
        Err(e) => {
            drop(tx);
            drop(client);
            return Err(e);
        }
    };
    tx.commit().map_err(|e| query_error(&target, &e))?;
    drop(client);
    drop(ending);
    // Named after the dump, as when it ran after it: a backup killed during the
    // dump leaves no file of it under a final name.
    let globals_file = globals?.commit()?;
    let files = vec![dump_file.file, globals_file.file];
    let ids = copy_to_other_repositories(opts, repos, &id, started_at, &files, reserved, down)?;
    let manifest = logical_manifest(opts, id, started_at, info, files);
    write_manifests(opts, repos, &ids, &manifest, down)?;
    Ok(manifest)
}

/// A stall watchdog over one of our own phases (no progress counter: a deadline).
fn bounded(opts: &BackupOptions, what: &str) -> Watchdog {
    Watchdog::start(
        format!("{what} of {}", opts.conn.dbname()),
        opts.stall_timeout,
    )
}

/// A failed query of the snapshot transaction.
fn query_error(target: &str, e: &postgres::Error) -> Error {
    Error::Query {
        target: target.to_string(),
        reason: pra_core::conn::describe_pg_error(e),
    }
}

/// Phase 1: pg_dump in the snapshot into the first repository, with the row counts
/// read from its output on the way (the lines of each table's COPY data). A table
/// the stream did not give a count for (no data block, or a dump the scanner does
/// not understand) is counted afterwards in `tx`, the snapshot's own transaction.
fn dump_database(
    opts: &BackupOptions,
    tx: &mut Transaction<'_>,
    info: &mut SnapshotInfo,
    (first, id): (&Repository, &str),
    pg_dump: PathBuf,
) -> Result<Stored, Error> {
    let ext = extension(opts);
    let bar = opts
        .progress
        .then(|| progress::bar(info.database_size_bytes));
    let mut dump = Command::new(pg_dump);
    // The database by an explicit conninfo: a name is never read as connection settings.
    dump.args([
        "--format=custom",
        "--compress=0",
        "--no-password",
        "--dbname",
    ])
    .arg(dbname_conninfo(&info.database))
    .arg(format!("--snapshot={}", info.snapshot_id));
    let mut counter = (!info.to_count.is_empty()).then(RowCounter::new);
    let dump_file = store_output(
        opts,
        first,
        id,
        dump,
        Output {
            tool: "pg_dump",
            name: &format!("dump.pgc{ext}"),
            role: FileRole::Dump,
            rows: counter.as_mut(),
        },
        bar.as_ref(),
    )?;
    if let Some(c) = counter {
        let _counting = bounded(opts, "counting rows");
        fill_counts((tx, &opts.conn.to_string()), info, c)?;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(dump_file)
}

/// Puts the counts read from the dump into the snapshot's tables, and counts the
/// ones it had none for in the snapshot.
fn fill_counts(
    (tx, target): (&mut Transaction<'_>, &str),
    info: &mut SnapshotInfo,
    counter: RowCounter,
) -> Result<(), Error> {
    let counted = counter.finish().unwrap_or_else(|why| {
        log::warn!("row counts not read from the dump ({why}): counting in the snapshot");
        Default::default()
    });
    let mut rest = Vec::new();
    for (schema, table) in &info.to_count {
        let key = (schema.clone(), table.clone());
        match counted.get(&key) {
            Some(&n) => set_rows(&mut info.tables, &key, n),
            None => rest.push(key),
        }
    }
    if !rest.is_empty() {
        log::debug!("{} tables counted in the snapshot", rest.len());
        for t in count_rows(tx, &rest).map_err(|e| query_error(target, &e))? {
            if let Some(n) = t.rows {
                set_rows(&mut info.tables, &(t.schema, t.table), n);
            }
        }
    }
    Ok(())
}

fn set_rows(tables: &mut [TableRows], (schema, table): &(String, String), n: u64) {
    if let Some(t) = tables
        .iter_mut()
        .find(|t| &t.schema == schema && &t.table == table)
    {
        t.rows = Some(n);
    }
}

/// The manifest of a logical backup made of `files`.
fn logical_manifest(
    opts: &BackupOptions,
    id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    info: SnapshotInfo,
    files: Vec<ManifestFile>,
) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT,
        id,
        stanza: opts.stanza.clone(),
        kind: BackupKind::Logical,
        started_at,
        finished_at: pra_core::time::now(),
        server_version: info.server_version,
        server_version_num: info.server_version_num,
        system_identifier: info.system_identifier,
        database: Some(info.database),
        database_size_bytes: Some(info.database_size_bytes),
        database_state: info.database_state,
        run_id: opts.run_id.clone(),
        wal_lsn: info.wal_lsn,
        timeline: info.timeline,
        files,
        tables: info.tables,
        tool_version: pra_core::VERSION.to_string(),
        extra: Default::default(),
    }
}

/// Phase 4, last: the manifests, which make the backup complete. Copies first, the
/// first repository last: its manifest is the one reported. A copy whose manifest
/// cannot be written is removed and recorded in `down`.
fn write_manifests(
    opts: &BackupOptions,
    repos: &[Repository],
    ids: &[Option<String>],
    manifest: &Manifest,
    down: &mut Down,
) -> Result<(), Error> {
    for (repo, copy_id) in repos.iter().zip(ids).skip(1) {
        let Some(copy_id) = copy_id else { continue };
        let mut m = manifest.clone();
        m.id = copy_id.clone();
        if let Err(e) = repo.write_manifest(&m) {
            if let Err(e) = repo.delete_backup(&opts.stanza, copy_id) {
                log::error!("could not remove the partial copy {copy_id}: {e}");
            }
            down.push((repo.location(), e.into()));
        }
    }
    if let Some(first) = repos.first() {
        first.write_manifest(manifest)?;
    }
    Ok(())
}
