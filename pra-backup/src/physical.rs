//! A physical backup (`pra-backup --physical`): `pg_backup_start` and `pg_backup_stop`
//! on one held connection, a copy of the data directory and its tablespaces (one
//! object per file, sha256 and zstd through the codec), `backup_label` and
//! `tablespace_map` stored beside them, a wait until the stop segment is archived,
//! then the manifest, last.
//!
//! Objects have plain numbered names (`f000001.zst`, `f000001.zst.age` when encrypted):
//! file names in a manifest never hold `/`. The path of each one, and the directories
//! to create, are in the manifest's `physical` section ([`PhysicalSection`]). Every
//! object, `backup_label` and `tablespace_map` included, goes through the same seal as
//! a logical backup's files: compressed, then encrypted with age when recipients are
//! given, the stored sha256 taken over the ciphertext.

use crate::physical_commit::Committer;
use crate::physical_files::{self, Entry};
use crate::{Error, TOOL};
use pra_core::codec::{Codec, EncodeOptions};
use pra_core::conn::ConnSettings;
use pra_core::crypt::Recipients;
use pra_core::manifest::{BackupKind, FileRole, Manifest, ManifestFile, MANIFEST_FORMAT};
pub use pra_core::physical::{
    PhysicalFile, PhysicalSection, Tablespace, BACKUP_LABEL, TABLESPACE_MAP,
};
use pra_core::repo::Repository;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a physical backup needs.
#[derive(Debug, Clone)]
pub struct PhysicalOptions {
    /// The server (any database: the whole cluster is copied).
    pub conn: ConnSettings,
    /// The repository.
    pub repo: String,
    /// The stanza.
    pub stanza: String,
    /// zstd level.
    pub level: Option<i32>,
    /// How long to wait for the stop segment to be archived.
    pub archive_timeout: Duration,
    /// How long to wait for the stanza lock.
    pub wait: Duration,
    /// Create the repository if missing (`--init`), group-readable or not.
    pub init: Option<bool>,
    /// The keys the stored files are encrypted to; `None`: not encrypted.
    pub encrypt: Option<std::sync::Arc<Recipients>>,
}

fn query_err(target: &str, e: impl std::fmt::Display) -> Error {
    Error::Query {
        target: target.to_string(),
        reason: e.to_string(),
    }
}

/// Takes a physical backup; returns its manifest (written).
pub fn backup_physical(opts: &PhysicalOptions) -> Result<Manifest, Error> {
    let target = opts.conn.to_string();
    let mut client = opts.conn.with_application_name(TOOL).connect()?;
    let q = |e| query_err(&target, e);
    let row = client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, \
             (SELECT system_identifier::text FROM pg_control_system()), \
             current_setting('data_directory'), \
             (SELECT timeline_id FROM pg_control_checkpoint()), \
             (SELECT setting::int8 FROM pg_settings WHERE name = 'wal_segment_size')",
            &[],
        )
        .map_err(q)?;
    let version: String = row.get(0);
    let version_num: i32 = row.get(1);
    let system_id: String = row.get(2);
    let data_dir = PathBuf::from(row.get::<_, String>(3));
    let timeline: i32 = row.get(4);
    let segment_size: i64 = row.get(5);
    if version_num < 150_000 {
        return Err(Error::Usage(format!(
            "--physical needs PostgreSQL 15 or newer (pg_backup_start); {target} runs {version}"
        )));
    }
    let tablespaces: Vec<Tablespace> = client
        .query(
            "SELECT oid::int8, pg_tablespace_location(oid) FROM pg_tablespace \
             WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid",
            &[],
        )
        .map_err(q)?
        .iter()
        .map(|r| Tablespace {
            oid: u32::try_from(r.get::<_, i64>(0)).unwrap_or(0),
            location: r.get(1),
        })
        .collect();

    let repo = match opts.init {
        Some(group_readable) => Repository::create_with(&opts.repo, group_readable)?,
        None => Repository::open_existing(&opts.repo)?,
    };
    let _lock = repo.lock_stanza(&opts.stanza, TOOL, opts.wait)?;
    let started = pra_core::time::now();
    let id = repo.new_backup(&opts.stanza, started)?;
    let result = (|| {
        let label = format!("pra {}/{id}", opts.stanza);
        let row = client
            .query_one(
                "SELECT l::text, pg_walfile_name(l) FROM pg_backup_start($1, true) AS l",
                &[&label],
            )
            .map_err(q)?;
        let mut section = PhysicalSection {
            start_lsn: row.get(0),
            start_wal: row.get(1),
            data_directory: data_dir.display().to_string(),
            wal_segment_size: u64::try_from(segment_size).unwrap_or(0),
            tablespaces: tablespaces.clone(),
            ..PhysicalSection::default()
        };
        let mut files = Vec::new();
        // Dropped on an error below, it waits for its threads before the partial
        // backup is removed.
        let mut committer = Committer::new(!repo.storage().capabilities().multipart);
        let mut out = Output {
            repo: &repo,
            opts,
            id: &id,
            committer: &mut committer,
        };
        let copied = copy_tree(&mut out, &data_dir, "", &mut section, &mut files);
        let copied = copied.and_then(|()| {
            for ts in &tablespaces {
                let prefix = format!("pg_tblspc/{}/", ts.oid);
                copy_tree(
                    &mut out,
                    Path::new(&ts.location),
                    &prefix,
                    &mut section,
                    &mut files,
                )?;
            }
            Ok(())
        });
        // pg_backup_stop whatever happened: the server keeps forcing full-page writes
        // until it is called (or the session ends).
        let stop = client
            .query_one(
                "SELECT s.lsn::text, pg_walfile_name(s.lsn), s.labelfile, coalesce(s.spcmapfile, '') \
                 FROM pg_backup_stop(false) AS s",
                &[],
            )
            .map_err(q);
        copied?;
        let stop = stop?;
        section.stop_lsn = stop.get(0);
        section.stop_wal = stop.get(1);
        let labelfile: String = stop.get(2);
        let spcmap: String = stop.get(3);
        files.push(store(&mut out, BACKUP_LABEL, labelfile.as_bytes())?);
        files.push(store(&mut out, TABLESPACE_MAP, spcmap.as_bytes())?);
        // Every object durable and named before the wait and the manifest.
        committer.finish()?;
        wait_archived(
            &mut client,
            &target,
            &section.stop_wal,
            opts.archive_timeout,
        )?;
        let mut manifest = Manifest {
            format: MANIFEST_FORMAT,
            id: id.clone(),
            stanza: opts.stanza.clone(),
            kind: BackupKind::Physical,
            started_at: started,
            finished_at: pra_core::time::now(),
            server_version: version.clone(),
            server_version_num: u32::try_from(version_num).unwrap_or(0),
            system_identifier: system_id.clone(),
            database: None,
            database_size_bytes: None,
            database_state: None,
            run_id: None,
            wal_lsn: Some(section.start_lsn.clone()),
            timeline: u32::try_from(timeline).ok(),
            files,
            tables: Vec::new(),
            tool_version: pra_core::VERSION.to_string(),
            extra: serde_json::Map::new(),
        };
        let value = serde_json::to_value(&section).map_err(|e| Error::io("manifest", e.into()))?;
        manifest.extra.insert("physical".to_string(), value);
        repo.write_manifest(&manifest)?;
        Ok(manifest)
    })();
    if result.is_err() {
        if let Err(e) = repo.delete_backup(&opts.stanza, &id) {
            log::warn!("removing the partial backup {id}: {e}");
        }
    }
    result
}

/// Where the objects of the backup being taken go.
struct Output<'a> {
    repo: &'a Repository,
    opts: &'a PhysicalOptions,
    id: &'a str,
    committer: &'a mut Committer,
}

/// Copies the tree at `root` into the backup, its paths prefixed with `prefix`.
fn copy_tree(
    out: &mut Output<'_>,
    root: &Path,
    prefix: &str,
    section: &mut PhysicalSection,
    files: &mut Vec<ManifestFile>,
) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let entries = physical_files::list(root)
        .map_err(|e| Error::io(format!("reading {}", root.display()), e))?;
    for Entry { rel, dir } in entries {
        pra_core::signals::check()?;
        let path = format!("{prefix}{}", rel.display());
        if dir {
            section.dirs.push(path);
            continue;
        }
        let full = root.join(&rel);
        let mut f = match std::fs::File::open(&full) {
            Ok(f) => f,
            // Dropped while we copy: replay recreates what must exist.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("reading {}", full.display()), e)),
        };
        let mode = f
            .metadata()
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600);
        let age = if out.opts.encrypt.is_some() {
            ".age"
        } else {
            ""
        };
        let object = format!("f{:06}.zst{age}", section.files.len() + 1);
        files.push(store_reader(out, &object, &mut f)?);
        section.files.push(PhysicalFile { path, object, mode });
    }
    Ok(())
}

fn store(out: &mut Output<'_>, name: &str, bytes: &[u8]) -> Result<ManifestFile, Error> {
    store_reader(out, name, &mut &bytes[..])
}

/// Streams one file through sha256, zstd and, with recipients, age into the backup;
/// its commit is handed to the committer.
fn store_reader(
    out: &mut Output<'_>,
    name: &str,
    reader: &mut dyn std::io::Read,
) -> Result<ManifestFile, Error> {
    let opts = out.opts;
    let io = |e| Error::io(format!("storing {name}"), e);
    let staged = out.repo.create_file(&opts.stanza, out.id, name)?;
    let encode = EncodeOptions {
        codec: Codec::Zstd,
        level: opts.level,
        threads: 0,
    };
    let mut enc = pra_core::crypt::seal(staged, encode, opts.encrypt.as_deref()).map_err(io)?;
    std::io::copy(reader, &mut enc).map_err(io)?;
    let (mut staged, d) = enc.finish().map_err(io)?;
    staged.flush().map_err(io)?;
    out.committer.commit(staged)?;
    Ok(ManifestFile::from_digests(
        name,
        FileRole::Data,
        Codec::Zstd,
        opts.encrypt.as_ref().map(|r| r.record()),
        &d,
    ))
}

/// Waits until the server archived `segment` (`pg_stat_archiver`), so that the backup
/// is restorable the moment its manifest exists.
fn wait_archived(
    client: &mut postgres::Client,
    target: &str,
    segment: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let row = client
            .query_one(
                "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), \
                 failed_count, current_setting('archive_mode') FROM pg_stat_archiver",
                &[],
            )
            .map_err(|e| query_err(target, e))?;
        let last: String = row.get(0);
        if last.len() >= 24 && last[..24] >= *segment {
            return Ok(());
        }
        let mode: String = row.get(3);
        if mode == "off" {
            return Err(Error::ArchiveTimeout(format!(
                "archive_mode is off on {target}: a physical backup needs WAL archiving \
                 (archive_command = 'pra-wal push …', docs/PHYSICAL.md)"
            )));
        }
        if Instant::now() >= deadline {
            let failed: String = row.get(1);
            return Err(Error::ArchiveTimeout(format!(
                "WAL segment {segment} was not archived within {} s (last archived {last:?}, \
                 last failed {failed:?}, {} failures): check archive_command and the server log",
                timeout.as_secs(),
                row.get::<_, i64>(2)
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `pra-backup --physical`: one backup of the cluster, one `backup` event.
pub fn run_physical(
    opts: &PhysicalOptions,
    out: &mut pra_core::event::EventWriter<std::io::Stdout>,
) -> Result<pra_core::exit::Exit, Error> {
    use pra_core::event::kinds::BackupFields;
    use pra_core::event::{Event, Kind, Status};
    use pra_core::exit::ExitStatus;
    let started = Instant::now();
    let mut fields = BackupFields {
        repo: vec![pra_core::redact::redact_url(&opts.repo)],
        backup_type: Some("physical".to_string()),
        codec: Some("zstd".to_string()),
        encrypted_to: opts
            .encrypt
            .as_ref()
            .map(|r| r.record().recipients)
            .unwrap_or_default(),
        ..BackupFields::default()
    };
    let result = backup_physical(opts);
    fields.duration_s = started.elapsed().as_secs_f64();
    let event = match &result {
        Ok(m) => {
            fields.id = Some(m.id.clone());
            fields.raw_bytes = m.files.iter().map(|f| f.raw_bytes).sum();
            fields.stored_bytes = m.files.iter().map(|f| f.stored_bytes).sum();
            fields.wal_lsn = m.wal_lsn.clone();
            fields.server_version = Some(m.server_version.clone());
            fields.throughput_bytes_per_s = fields.raw_bytes as f64 / fields.duration_s.max(1e-3);
            let stop = PhysicalSection::of(m)
                .map(|s| s.stop_lsn)
                .unwrap_or_default();
            Event::new(
                TOOL,
                Kind::Backup,
                Status::Ok,
                format!(
                    "physical backup {}: {} files, {} -> {} in {:.1} s (WAL {} to {stop})",
                    m.id,
                    m.files.len(),
                    pra_core::time::format_bytes(fields.raw_bytes),
                    pra_core::time::format_bytes(fields.stored_bytes),
                    fields.duration_s,
                    fields.wal_lsn.as_deref().unwrap_or("")
                ),
            )
        }
        Err(e) => {
            fields.error = Some(e.to_string());
            Event::error(
                TOOL,
                Kind::Backup,
                e.class(),
                format!("physical backup failed: {e}"),
            )
        }
    };
    let event = event.with_stanza(&opts.stanza).with_fields(&fields);
    out.emit(&event)
        .map_err(|e| Error::io("writing events", e))?;
    match result {
        Ok(_) => Ok(pra_core::exit::Exit::Ok),
        Err(e) => Err(Error::Reported(Box::new(e))),
    }
}
