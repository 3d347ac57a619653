//! pra-verify: prove that backups are intact and restorable.
//!
//! [`run`] chooses the backups (from `backup` events on stdin, else the flags),
//! verifies each at the level asked for ([`verify`]), records the result as
//! `verify.json` beside the manifest, and emits one `verify` event per backup.
//! The checksum pass streams each file once through parallel hashing and decoding
//! ([`pipeline`]); the restore level loads the dump with pra-restore's library into
//! a scratch database ([`restore`], [`pra_core::scratch`]) that never outlives the run.

mod checksql;
mod cli;
mod files;
pub mod pipeline;
mod restore;
mod select;
mod verify;
mod wal_gaps;

pub use cli::Args;

use pra_core::conn::ConnError;
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::VerifyFields;
use pra_core::event::stream::forward_stdin;
use pra_core::event::{Event, EventWriter, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::manifest::{VerifyLevel, VerifyRecord, VERIFY_FORMAT};
use pra_core::repo::{RepoError, Repository};
use pra_core::scratch;
use pra_core::signals;
use select::Target;
use verify::{verify_backup, Outcome, Plan};

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-verify";

/// What stops pra-verify as a whole (a single backup failing is an event, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or an unusable `--check-sql` file (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Bad connection settings (exit 2) or the server is unreachable (exit 3).
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// The repository could not be read (exit 3; 2 for an invalid location).
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The location holds no pra repository (exit 3).
    #[error("no pra repository at {0} (no pra.json): wrong --repo, or storage not mounted?")]
    NoRepository(String),
    /// Leftover scratch databases could not be listed or dropped (exit 3).
    #[error(transparent)]
    Scratch(#[from] scratch::ScratchError),
    /// Local I/O: stdout, stdin, signal setup (exit 3).
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// SIGINT or SIGTERM arrived; the scratch database was dropped (exit 128 + signal).
    #[error("interrupted by {}", signals::signal_name(*.0))]
    Interrupted(i32),
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Usage(_) => ErrorClass::Usage,
            Error::Conn(e) => e.class(),
            Error::Repo(e) => e.class(),
            Error::NoRepository(_) => ErrorClass::Repository,
            Error::Scratch(scratch::ScratchError::Connect(e)) => e.class(),
            Error::Scratch(scratch::ScratchError::Sql { .. }) => ErrorClass::Query,
            Error::Scratch(scratch::ScratchError::Busy(_)) => ErrorClass::LockHeld,
            Error::Io { .. } => ErrorClass::Io,
            Error::Interrupted(_) => ErrorClass::Interrupted,
        }
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Error::Interrupted(sig) => Some(*sig),
            _ => None,
        }
    }
}

fn io_err(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: what.to_string(),
        source,
    }
}

fn read_checks(args: &Args) -> Result<Vec<String>, Error> {
    let Some(path) = &args.check_sql else {
        return Ok(Vec::new());
    };
    if args.level != VerifyLevel::Restore {
        return Err(Error::Usage(
            "--check-sql runs in the scratch database: it needs --level restore".into(),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read --check-sql {}: {e}", path.display())))?;
    let checks = checksql::split_statements(&text);
    if checks.is_empty() {
        return Err(Error::Usage(format!(
            "--check-sql {} holds no statement",
            path.display()
        )));
    }
    Ok(checks)
}

/// Runs pra-verify; returns the exit code its work deserves.
pub fn run(args: Args) -> Result<Exit, Error> {
    args.out.init_logging(TOOL);
    signals::install().map_err(io_err("installing the signal handler"))?;
    let checks = read_checks(&args)?;
    args.decrypt
        .install()
        .map_err(|e| Error::Usage(e.to_string()))?;
    if args.level != VerifyLevel::Manifest {
        // A missing pg_restore is a configuration error, not a verdict on any backup.
        args.pg_bin
            .program("pg_restore")
            .map_err(|e| Error::Usage(e.to_string()))?;
    }
    let server = match args.level {
        VerifyLevel::Restore => Some(args.db.settings()?),
        _ => None,
    };
    let mut out = EventWriter::stdout(args.out.format);
    let forwarded = forward_stdin(&mut out, TOOL).map_err(io_err("forwarding stdin"))?;
    let from_stdin = select::from_events(&forwarded.events);
    // A killed run cannot clean up after itself: this one does, and says so.
    // A server that cannot be reached is reported per backup (an `error` event each,
    // exit 3), without reading the backups first.
    let mut server_down = None;
    let mut leftovers = match &server {
        Some(s) => scratch::sweep_leftovers(s).unwrap_or_else(|e| {
            log::error!("{e}");
            server_down = Some(e.to_string());
            Vec::new()
        }),
        None => Vec::new(),
    };
    let plan = Plan {
        level: args.level,
        pg_bindir: args.pg_bin.pg_bindir.clone(),
        server,
        server_down,
        jobs: args.jobs,
        checks,
        stall_timeout: args.stall.stall_timeout,
    };
    let mut exit = Exit::Ok;
    for location in &args.repo.repos {
        let repo = Repository::open(location)?;
        if repo.info()?.is_none() {
            return Err(Error::NoRepository(repo.location()));
        }
        let targets = match &from_stdin {
            Some(list) => list
                .iter()
                .map(|(stanza, id)| Target::Backup {
                    stanza: stanza.clone(),
                    id: id.clone(),
                    listed: false,
                })
                .collect(),
            None => targets_from_flags(&args, &repo)?,
        };
        for target in targets {
            if let Some(sig) = signals::pending() {
                return Err(Error::Interrupted(sig));
            }
            let (event, code) = match target {
                Target::Missing {
                    stanza,
                    id,
                    problem,
                } => {
                    let fields = VerifyFields {
                        id,
                        repo: Some(repo.location()),
                        level: Some(format!("{:?}", args.level).to_lowercase()),
                        problem: Some(problem.clone()),
                        problems: vec![problem.clone()],
                        ..VerifyFields::default()
                    };
                    let ev = Event::error(TOOL, Kind::Verify, ErrorClass::Verification, problem)
                        .with_stanza(stanza)
                        .with_fields(&fields);
                    (ev, Exit::Problem)
                }
                Target::Backup { stanza, id, listed } => {
                    let mut outcome = verify_backup(&plan, &repo, &stanza, &id, listed);
                    if let Some(sig) = outcome.interrupted {
                        return Err(Error::Interrupted(sig));
                    }
                    if let Some(note) = outcome.skipped.take() {
                        log::info!("{note}");
                        (skipped_event(&stanza, &id, &repo, note), Exit::Ok)
                    } else {
                        outcome.fields.leftovers_dropped = std::mem::take(&mut leftovers);
                        let code = record(&repo, &stanza, &id, args.level, &mut outcome);
                        (event_for(&stanza, &id, &outcome), code)
                    }
                }
            };
            exit = exit.max(code);
            out.emit(&event).map_err(io_err("writing events"))?;
            // A stall stopped the run (connections shut down): the next backups would
            // only meet the same server.
            if pra_core::stall::stalled().is_some() {
                return Ok(Exit::Runtime);
            }
        }
    }
    Ok(exit)
}

fn targets_from_flags(args: &Args, repo: &Repository) -> Result<Vec<Target>, Error> {
    let stanzas =
        select::stanzas(repo, args.repo.stanza.as_deref(), args.all_stanzas).map_err(select_err)?;
    let selection = args.backups.selection();
    let mut targets = Vec::new();
    for stanza in stanzas {
        targets.extend(select::for_stanza(repo, &stanza, &selection).map_err(select_err)?);
    }
    Ok(targets)
}

fn select_err(e: select::SelectError) -> Error {
    match e {
        select::SelectError::Repo(e) => Error::Repo(e),
        select::SelectError::Usage(m) => Error::Usage(m),
    }
}

fn status_of(outcome: &Outcome) -> Status {
    if outcome.unreachable.is_some()
        || !outcome.fields.problems.is_empty()
        || outcome.fields.verdict_error.is_some()
    {
        Status::Error
    } else if !outcome.fields.leftovers_dropped.is_empty() || outcome.fields.tables_not_compared > 0
    {
        Status::Warn
    } else {
        Status::Ok
    }
}

/// Writes verify.json when the verification reached a verdict; the exit code it
/// deserves. A verdict that cannot be written is the outcome's `verdict_error`.
fn record(repo: &Repository, stanza: &str, id: &str, level: VerifyLevel, o: &mut Outcome) -> Exit {
    if o.unreachable.is_some() {
        return Exit::Runtime;
    }
    let status = status_of(o);
    let code = if status == Status::Error {
        Exit::Problem
    } else {
        Exit::Ok
    };
    if !o.recordable {
        return code;
    }
    let rec = VerifyRecord {
        format: VERIFY_FORMAT,
        backup_id: id.to_string(),
        level,
        // Rows not compared is the backup's own standing; leftovers are the run's.
        status: if status == Status::Error {
            Status::Error
        } else if o.fields.tables_not_compared > 0 {
            Status::Warn
        } else {
            Status::Ok
        },
        verified_at: pra_core::time::now(),
        duration_s: o.fields.duration_s,
        problems: o.fields.problems.clone(),
        tool_version: pra_core::VERSION.to_string(),
        extra: Default::default(),
    };
    match repo.write_verify(stanza, &rec) {
        Ok(()) => code,
        Err(e) => {
            log::error!("cannot record verify.json of {stanza}/{id}: {e}");
            o.class = Some(e.class());
            o.fields.verdict_error = Some(e.to_string());
            Exit::Runtime
        }
    }
}

/// A listed backup that a rotation deleted before its turn: `ok`, without a level,
/// so that nothing counts it as verified.
fn skipped_event(stanza: &str, id: &str, repo: &Repository, note: String) -> Event {
    let fields = VerifyFields {
        id: Some(id.to_string()),
        repo: Some(repo.location()),
        skipped: Some(note.clone()),
        ..VerifyFields::default()
    };
    Event::new(TOOL, Kind::Verify, Status::Ok, note)
        .with_stanza(stanza)
        .with_fields(&fields)
}

fn event_for(stanza: &str, id: &str, o: &Outcome) -> Event {
    let f = &o.fields;
    let level = f.level.as_deref().unwrap_or("");
    let status = status_of(o);
    let message = if let Some(why) = &o.unreachable {
        format!("backup {stanza}/{id} not verified: {why}")
    } else if let Some(p) = &f.problem {
        let more = match f.problems.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!("backup {stanza}/{id} FAILED {level} verification: {p}{more}")
    } else {
        let mut m = format!(
            "backup {stanza}/{id}: {level} ok, {} files",
            f.files_checked
        );
        if f.raw_bytes > 0 {
            m.push_str(&format!(
                ", {} decoded",
                pra_core::time::format_bytes(f.raw_bytes)
            ));
        }
        if f.tables_not_compared > 0 {
            m.push_str(&format!(
                ", {} tables / {} rows restored, rows not compared for {} of them (no row \
                 count in the manifest: backup taken with --count-rows none or critical)",
                f.tables_checked, f.rows_checked, f.tables_not_compared
            ));
        } else if f.tables_checked > 0 {
            m.push_str(&format!(
                ", {} tables / {} rows match",
                f.tables_checked, f.rows_checked
            ));
        }
        m.push_str(&format!(" in {:.1} s", f.duration_s));
        if !f.leftovers_dropped.is_empty() {
            m.push_str(&format!(
                "; dropped leftover scratch database(s) of a killed run: {}",
                f.leftovers_dropped.join(", ")
            ));
        }
        m
    };
    // The verification is done, but a verdict nobody can read later is no verdict.
    let message = match &f.verdict_error {
        Some(why) => format!("{message}; but the verdict could not be recorded: {why}"),
        None => message,
    };
    let mut fields = f.clone();
    if let Some(why) = &o.unreachable {
        if fields.problem.is_none() {
            fields.problem = Some(why.clone());
        }
    }
    Event::new(TOOL, Kind::Verify, status, message)
        .with_error_class(o.class())
        .with_stanza(stanza)
        .with_fields(&fields)
}
