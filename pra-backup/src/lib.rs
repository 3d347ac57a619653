//! pra-backup: snapshot-consistent logical backups of PostgreSQL, streamed through
//! sha256 and a codec into a pra repository, with the manifest written last.
//!
//! The library entry point is [`backup_database`] (pra-loadtest calls it); [`run`] is
//! the command line over it: forward stdin events, pick the databases, retry transient
//! failures, emit one `backup` event per database.

mod backup;
mod cli;
mod copies;
mod error;
mod globals;
mod outcome;
pub mod physical;
mod physical_commit;
mod physical_files;
mod progress;
mod snapshot;
mod stream;

pub use backup::{BackupOptions, BackupOutcome, Failure};
pub use cli::{Args, CountRows};
pub use error::Error;
pub use outcome::backup_database;
pub use snapshot::SnapshotInfo;

use pra_core::codec::EncodeOptions;
use pra_core::event::{stream::forward_stdin, EventWriter};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::repo::validate_stanza;
use pra_core::signals;
use std::time::{Duration, Instant};

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-backup";

fn sleep_unless_signalled(d: Duration) -> Result<(), Error> {
    let until = Instant::now() + d;
    while Instant::now() < until {
        signals::check()?;
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    Ok(signals::check()?)
}

/// [`backup_database`] with up to `retries` more attempts after a transient failure.
pub fn backup_with_retries(
    opts: &BackupOptions,
    retries: u32,
    delay: Duration,
) -> Result<BackupOutcome, Box<Failure>> {
    let mut attempt = 0;
    loop {
        match backup_database(opts) {
            Ok(done) => return Ok(done),
            Err(f)
                if attempt < retries && f.error.is_transient() && signals::pending().is_none() =>
            {
                attempt += 1;
                log::warn!(
                    "backup of {} failed ({}); retry {attempt}/{retries} in {}",
                    opts.conn.dbname(),
                    f.error,
                    pra_core::time::format_duration(delay)
                );
                if let Err(e) = sleep_unless_signalled(delay) {
                    return Err(Box::new(Failure { error: e, ..*f }));
                }
            }
            Err(f) => return Err(f),
        }
    }
}

/// Runs pra-backup: see [`Args`].
pub fn run(args: Args) -> Result<Exit, Error> {
    args.output.init_logging(TOOL);
    signals::install().map_err(|e| Error::io("installing the signal handler", e))?;
    let level = args.level.unwrap_or(args.compress.default_level());
    if !args.compress.level_range().contains(&level) {
        return Err(Error::Usage(format!(
            "--level {level} is out of range for {} ({}..={})",
            args.compress.as_str(),
            args.compress.level_range().start(),
            args.compress.level_range().end()
        )));
    }
    let encrypt = args
        .encrypt
        .load()
        .map_err(|e| Error::Usage(e.to_string()))?
        .map(std::sync::Arc::new);
    let settings = args.db.settings()?;
    if let Some(stanza) = &args.repo.stanza {
        validate_stanza(stanza)?;
    }
    let mut out = EventWriter::stdout(args.output.format);
    forward_stdin(&mut out, TOOL).map_err(|e| Error::io("forwarding stdin", e))?;
    if args.physical {
        let opts = physical::PhysicalOptions {
            conn: settings.clone(),
            repo: args.repo.repos.first().cloned().unwrap_or_default(),
            stanza: args.repo.stanza.clone().unwrap_or_default(),
            level: Some(level),
            archive_timeout: args.archive_timeout,
            wait: args.wait,
            init: args.init.then_some(args.group_readable),
            encrypt: encrypt.clone(),
        };
        return physical::run_physical(&opts, &mut out);
    }

    let databases = if args.all_databases {
        let target = settings.to_string();
        let mut client = settings.with_application_name(TOOL).connect()?;
        snapshot::list_databases(&mut client, &target)?
    } else {
        vec![settings.dbname()]
    };
    // One id for the whole --all-databases run, so that it can be restored as one.
    let run_id = args
        .all_databases
        .then(|| pra_core::repo::id::backup_id_for(pra_core::time::now()));
    let mut last_error = None;
    let mut degraded = false;
    for db in databases {
        signals::check()?;
        let opts = BackupOptions {
            conn: settings.with_dbname(&db),
            repos: args.repo.repos.clone(),
            stanza: pra_core::cli::stanza_or_dbname(args.repo.stanza.as_deref(), &db),
            encode: EncodeOptions {
                codec: args.compress,
                level: Some(level),
                threads: args.threads,
            },
            encrypt: encrypt.clone(),
            count_rows: args.count_rows,
            critical_tables: args.critical_tables.clone(),
            wait: args.wait,
            pg_bindir: args.pg_bin.pg_bindir.clone(),
            progress: progress::wanted(args.output.quiet),
            stall_timeout: args.stall.stall_timeout,
            init: args.init,
            group_readable: args.group_readable,
            run_id: run_id.clone(),
        };
        match backup_with_retries(&opts, args.retries, args.retry_delay) {
            Ok(done) => {
                for failed in &done.repo_failures {
                    log::error!("{}", failed.message);
                    out.emit(failed)
                        .map_err(|e| Error::io("writing events", e))?;
                }
                // Done, but not everywhere it was asked: a problem (exit 1).
                degraded |= !done.repo_failures.is_empty();
                log::info!("{}", done.event.message);
                out.emit(&done.event)
                    .map_err(|e| Error::io("writing events", e))?;
            }
            Err(failed) => {
                out.emit(&failed.event)
                    .map_err(|e| Error::io("writing events", e))?;
                // Its event is out: main prints the error and exits by it, once.
                let reported = Error::Reported(Box::new(failed.error));
                if reported.signal().is_some() {
                    return Err(reported);
                }
                if args.all_databases {
                    log::error!("{reported}");
                }
                last_error = Some(reported);
            }
        }
    }
    match last_error {
        Some(e) => Err(e),
        None if degraded => Ok(Exit::Problem),
        None => Ok(Exit::Ok),
    }
}
