//! Loading a backup's dump into an existing, empty database: the stored file is
//! decoded and fed to `pg_restore`, checked against the manifest on the way
//! (`pra_core::fetch`: sizes, sha256, frame checksums). This is the part pra-verify (`restore` level) and
//! pra-loadtest call as a library.

use crate::overlap::Stderr;
use crate::programs;
use crate::progress::Progress;
use crate::Error;
use pra_core::child::StderrTail;
use pra_core::conn::ConnSettings;
use pra_core::dumpscan::OffsetWriter;
use pra_core::fetch::{fetch_file, FetchError};
use pra_core::manifest::{FileRole, Manifest, ManifestFile};
use pra_core::repo::Repository;
use pra_core::signals;
use pra_core::stall::Watchdog;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Write buffer between the decoder and `pg_restore` or the temporary file.
const BUF: usize = 1 << 20;

/// Options for loading a dump into a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// `pg_restore` jobs. 1 streams the decoded dump into `pg_restore`'s stdin; more
    /// decode it to a temporary file first (`pg_restore -j` needs a seekable file).
    pub jobs: u32,
    /// Restore without ownership and grants (`--no-owner --no-privileges`): objects
    /// belong to the connecting user, for a server that lacks the backup's roles.
    pub no_owner: bool,
    /// Where the temporary file for `jobs > 1` goes (default: the system's temp dir).
    pub temp_dir: Option<PathBuf>,
    /// Directory of `pg_restore` (`--pg-bindir`; default: found on PATH).
    pub pg_bindir: Option<PathBuf>,
    /// Fail when the restore makes no progress for this long (`--stall-timeout`; 0: never).
    pub stall_timeout: Duration,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            jobs: 1,
            no_owner: false,
            temp_dir: None,
            pg_bindir: None,
            stall_timeout: pra_core::stall::DEFAULT_STALL_TIMEOUT,
        }
    }
}

/// What loading took.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadStats {
    /// Seconds spent decoding to the temporary file before `pg_restore -j` started;
    /// 0 with one job, where decoding streams into `pg_restore` and is part of `restore_s`.
    pub fetch_s: f64,
    /// Seconds `pg_restore` ran.
    pub restore_s: f64,
    /// Decoded (raw) bytes of the dump.
    pub raw_bytes: u64,
}

/// Restores the dump of `manifest` into the EXISTING, EMPTY database `db` on the server of
/// `server` (its dbname is ignored): decode -> pg_restore (stdin for jobs 1, a temp file in
/// temp_dir + `pg_restore -j N` otherwise), digests checked against the manifest while streaming.
pub fn load_dump(
    server: &ConnSettings,
    repo: &Repository,
    manifest: &Manifest,
    db: &str,
    opts: &LoadOptions,
) -> Result<LoadStats, Error> {
    let prepared = prepare(repo, manifest, opts)?;
    load_prepared(server, repo, manifest, db, opts, &prepared, false).map(|l| l.stats)
}

/// What loading took, and the tables counted and analyzed while `pg_restore -j`
/// went on.
pub(crate) struct Loaded {
    /// Timings and size.
    pub(crate) stats: LoadStats,
    /// What was done during the load.
    pub(crate) during: crate::overlap::During,
}

/// The dump, ready for `pg_restore`: streamed from the repository (one job), or
/// already decoded and fully checked in a temporary file (several jobs).
pub(crate) enum Prepared {
    /// Decoded on the fly into `pg_restore`'s stdin.
    Stream,
    /// Decoded into a temporary file (removed when dropped); every digest checked.
    File {
        /// The decoded dump.
        temp: tempfile::NamedTempFile,
        /// Seconds the decoding took.
        fetch_s: f64,
        /// Its size.
        raw_bytes: u64,
        /// The tables it loads and what each waits for.
        plan: crate::overlap::Plan,
    },
}

impl Prepared {
    /// The decoded dump file, when there is one.
    pub(crate) fn path(&self) -> Option<&std::path::Path> {
        match self {
            Prepared::Stream => None,
            Prepared::File { temp, .. } => Some(temp.path()),
        }
    }
}

fn dump_file(manifest: &Manifest) -> Result<&ManifestFile, Error> {
    manifest.file(FileRole::Dump).ok_or_else(|| {
        Error::Usage(format!(
            "backup {}/{} has no dump file (is it a physical backup?)",
            manifest.stanza, manifest.id
        ))
    })
}

/// Prepares the dump without touching the server: with several jobs, decodes it to a
/// temporary file in `temp_dir`, checking it against the manifest on the way
/// (`fetch_file`; so that pra-restore needs no separate checksum pass for it).
pub(crate) fn prepare(
    repo: &Repository,
    manifest: &Manifest,
    opts: &LoadOptions,
) -> Result<Prepared, Error> {
    let file = dump_file(manifest)?;
    if opts.jobs <= 1 {
        return Ok(Prepared::Stream);
    }
    let dir = opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let started = Instant::now();
    remove_stale_files(&dir);
    let temp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(".pgc")
        .tempfile_in(&dir)
        .map_err(|e| {
            Error::io(
                format!("cannot create a temporary file in {}", dir.display()),
                e,
            )
        })?;
    let handle = temp
        .reopen()
        .map_err(|e| Error::io(format!("cannot open {}", temp.path().display()), e))?;
    let mut sink = Progress::new(
        OffsetWriter::new(handle)
            .map_err(|e| Error::io(format!("cannot open {}", temp.path().display()), e))?,
        "decode",
        file.raw_bytes,
    );
    let digests = fetch_file(repo, manifest, file, &mut sink)?;
    let writing = |e| Error::io(format!("writing {}", temp.path().display()), e);
    sink.flush().map_err(writing)?;
    let mut offsets = sink.finish();
    let plan = crate::overlap::Plan::new(&offsets.take_toc());
    // pg_restore -j finds each table's data at once instead of every worker
    // walking the file to it (see pra_core::dumpscan).
    match offsets.finish().map_err(writing)? {
        Ok(n) => log::debug!("recorded the data offsets of {n} entries"),
        Err(why) => log::info!(
            "data offsets of the dump left unset ({why}): pg_restore -j will scan for them"
        ),
    }
    Ok(Prepared::File {
        temp,
        fetch_s: started.elapsed().as_secs_f64(),
        raw_bytes: digests.raw.bytes,
        plan,
    })
}

/// Name prefix of the decoded dumps, followed by the pid of the run that wrote them.
const TEMP_PREFIX: &str = ".pra-restore-";

/// Removes the decoded dumps that runs killed before they could clean up left in
/// `dir` (their process is gone): each is as large as a whole dump.
fn remove_stale_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(TEMP_PREFIX)
            .filter(|rest| rest.ends_with(".pgc"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        if !alive {
            log::warn!(
                "removing {}, left by an interrupted restore",
                entry.path().display()
            );
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Runs `pg_restore` into `db` on a prepared dump; with `count` and a temporary file,
/// counts each table's rows as soon as its data is loaded (see overlap.rs).
pub(crate) fn load_prepared(
    server: &ConnSettings,
    repo: &Repository,
    manifest: &Manifest,
    db: &str,
    opts: &LoadOptions,
    prepared: &Prepared,
    count: bool,
) -> Result<Loaded, Error> {
    let file = dump_file(manifest)?;
    let mut cmd = programs::command(opts.pg_bindir.as_deref(), "pg_restore", server, db)?;
    cmd.args(["--exit-on-error", "--no-password", "--dbname"])
        .arg(pra_core::conn::conninfo::dbname_conninfo(db));
    if opts.no_owner {
        cmd.args(["--no-owner", "--no-privileges"]);
    }
    // The decoded bytes fed to pg_restore and its (and its workers') I/O are progress.
    let watchdog = Watchdog::start(format!("pg_restore into {db}"), opts.stall_timeout);
    match prepared {
        Prepared::Stream => {
            stream_into(cmd, repo, manifest, file, db, &watchdog).map(|stats| Loaded {
                stats,
                during: Default::default(),
            })
        }
        Prepared::File {
            temp,
            fetch_s,
            raw_bytes,
            plan,
        } => {
            let started = Instant::now();
            let plan = if count {
                plan.clone()
            } else {
                Default::default()
            };
            if !plan.is_empty() {
                // It then says when each table's data is loaded.
                cmd.arg("--verbose");
            }
            cmd.arg("--jobs")
                .arg(opts.jobs.max(1).to_string())
                .arg(temp.path());
            let mut child = spawn(cmd, Stdio::null())?;
            let stderr = Stderr::start(
                &mut child,
                plan,
                server,
                db,
                (opts.jobs, opts.stall_timeout),
            );
            watchdog.watch_process(child.id());
            crate::progress::phase(&format!("pg_restore -j {} running", opts.jobs));
            match signals::wait_child(&mut child, "pg_restore") {
                Ok(s) if s.success() => {}
                Ok(s) => return Err(failed(db, s, stderr.abandon())),
                Err(e) => {
                    drop(stderr.abandon());
                    return Err(Error::io("waiting for pg_restore", e));
                }
            }
            // pg_restore's own time: the statement still under way is validation's.
            let restore_s = started.elapsed().as_secs_f64();
            Ok(Loaded {
                during: stderr.finish(),
                stats: LoadStats {
                    fetch_s: *fetch_s,
                    restore_s,
                    raw_bytes: *raw_bytes,
                },
            })
        }
    }
}

fn spawn(mut cmd: Command, stdin: Stdio) -> Result<std::process::Child, Error> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(format!("cannot run {program}"), e))
}

fn failed(db: &str, status: std::process::ExitStatus, stderr: String) -> Error {
    Error::Program {
        program: "pg_restore".to_string(),
        db: db.to_string(),
        status: status.to_string(),
        stderr,
    }
}

/// One job: the decoder writes straight into `pg_restore`'s stdin.
fn stream_into(
    cmd: Command,
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
    db: &str,
    watchdog: &Watchdog,
) -> Result<LoadStats, Error> {
    let started = Instant::now();
    let mut child = spawn(cmd, Stdio::piped())?;
    let tail = StderrTail::from_child(&mut child, "pg_restore");
    watchdog.watch_process(child.id());
    // A signal or a stall stops pg_restore, which releases a write blocked on its stdin.
    let stop = signals::stop_child(&child, "pg_restore");
    let fetched = match child.stdin.take() {
        Some(stdin) => {
            let mut sink = Progress::new(
                BufWriter::with_capacity(BUF, stdin),
                "restore",
                file.raw_bytes,
            )
            .with_counter(watchdog.progress());
            let r = fetch_file(repo, manifest, file, &mut sink);
            let flushed = sink.flush();
            // Dropping stdin is pg_restore's end of input.
            drop(sink.finish());
            match (r, flushed) {
                (Ok(d), Ok(())) => Ok(d),
                (Ok(_), Err(source)) => Err(FetchError::Sink {
                    file: file.name.clone(),
                    source,
                }),
                (Err(e), _) => Err(e),
            }
        }
        None => Err(FetchError::Sink {
            file: file.name.clone(),
            source: std::io::Error::other("no stdin pipe to pg_restore"),
        }),
    };
    let status = signals::wait_child(&mut child, "pg_restore");
    drop(stop);
    let status = status.map_err(|e| Error::io("waiting for pg_restore", e))?;
    let restore_s = started.elapsed().as_secs_f64();
    match fetched {
        // A corrupt stream explains whatever pg_restore then said: report it first.
        Err(e @ FetchError::Corrupt { .. }) => Err(e.into()),
        _ if !status.success() => Err(failed(db, status, tail.join(" | "))),
        Err(e) => Err(e.into()),
        Ok(d) => Ok(LoadStats {
            fetch_s: 0.0,
            restore_s,
            raw_bytes: d.raw.bytes,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_decoded_dumps_of_dead_runs_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // pid_max on Linux is at most 2^22: this pid cannot be alive.
        let dead = dir.path().join(".pra-restore-99999999-abc.pgc");
        let mine = dir
            .path()
            .join(format!(".pra-restore-{}-abc.pgc", std::process::id()));
        let other = dir.path().join("keep.pgc");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        remove_stale_files(dir.path());
        assert!(!dead.exists() && mine.exists() && other.exists());
    }
}
