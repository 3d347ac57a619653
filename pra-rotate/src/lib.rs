//! pra-rotate: apply a grandfather-father-son retention policy to a pra repository
//! and delete what it no longer keeps, never the backup you need.
//!
//! - [`policy`]: the pure policy (`plan_retention`), restic's `forget` semantics.
//! - [`calendar`]: hour/day/ISO-week/month/year buckets in UTC or the local zone.
//! - [`rotate`]: one stanza: list, plan, safety rules, locks, deletes, one `rotate` event.
//!
//! `run` forwards stdin first, refuses an empty policy, picks the stanzas (named by
//! events on stdin, else the flags) and rotates each in each repository.

pub mod calendar;
mod cli;
pub mod policy;
pub mod rotate;
mod wal_retention;

pub use cli::{Args, PolicyArgs, TimezoneArg};

use pra_core::error_class::ErrorClass;
use pra_core::event::stream::forward_stdin;
use pra_core::event::{Event, EventWriter, Kind};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::repo::{RepoError, Repository};

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-rotate";

/// What stops a run as a whole (per-stanza problems are `rotate` events instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No keep option: the policy would delete every backup.
    #[error("refused: no keep option given, so the policy would delete every backup; give at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within")]
    EmptyPolicy,
    /// Nothing says which stanzas to rotate.
    #[error("no stanza to rotate: give --stanza NAME (or PRA_STANZA), --all-stanzas, or pipe events that name stanzas")]
    NoStanza,
    /// The location holds no pra repository (no `pra.json`): unmounted, or a typo.
    #[error("no pra repository at {0} (no pra.json): is it mounted, is the path right? pra-backup creates it")]
    NoRepository(String),
    /// The repository cannot be opened or listed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// stdout or stdin failed (other than a closed pipe, which is a normal end).
    #[error("event stream I/O error: {0}")]
    Stream(#[source] std::io::Error),
    /// SIGINT or SIGTERM arrived; `reported` when the stanza's `rotate` event
    /// already said so (with what was deleted), so that main emits no second one.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.signal))]
    Interrupted {
        /// The signal, to die by.
        signal: i32,
        /// Whether the `rotate` error event was emitted already.
        reported: bool,
    },
}

impl From<pra_core::signals::Interrupted> for Error {
    fn from(pra_core::signals::Interrupted(signal): pra_core::signals::Interrupted) -> Error {
        Error::Interrupted {
            signal,
            reported: false,
        }
    }
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::EmptyPolicy | Error::NoStanza => ErrorClass::Usage,
            Error::Repo(e) => e.class(),
            Error::NoRepository(_) => ErrorClass::Repository,
            Error::Stream(_) => ErrorClass::Io,
            Error::Interrupted { .. } => ErrorClass::Interrupted,
        }
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Error::Interrupted { signal, .. } => Some(*signal),
            _ => None,
        }
    }

    fn reported(&self) -> bool {
        matches!(self, Error::Interrupted { reported: true, .. })
    }
}

/// The stanzas named by `backup` and `verify` events, in order of first mention.
pub fn stanzas_from_events(events: &[Event]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ev in events {
        if !matches!(ev.kind, Kind::Backup | Kind::Verify) {
            continue;
        }
        if let Some(s) = ev.stanza.as_deref().filter(|s| !s.is_empty()) {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// Runs pra-rotate: forwards stdin, then rotates each stanza of each repository.
pub fn run(args: Args) -> Result<Exit, Error> {
    args.out.init_logging(TOOL);
    pra_core::signals::install().map_err(Error::Stream)?;
    let mut out = EventWriter::stdout(args.out.format);
    // Forward first, whatever happens next, so that a pipeline's events reach the
    // next tool even when this one refuses to work.
    let seen = forward_stdin(&mut out, TOOL).map_err(Error::Stream)?;
    pra_core::signals::check()?;

    let policy = args.policy();
    if policy.is_empty() {
        // Reported by main as a `rotate` error event, after the forwarded input.
        return Err(Error::EmptyPolicy);
    }

    let named = stanzas_from_events(&seen.events);
    if named.is_empty() && !args.all_stanzas && args.repo.stanza.is_none() {
        return Err(Error::NoStanza);
    }
    let opts = rotate::Options {
        now: args.now.unwrap_or_else(pra_core::time::now),
        dry_run: args.dry_run,
        prune_incomplete_after: args.prune_incomplete_after,
        lock_wait: args.lock_wait,
    };
    log::info!(
        "{} as of {}",
        policy.describe(),
        pra_core::time::format_ts(&opts.now)
    );

    let mut exit = Exit::Ok;
    for location in &args.repo.repos {
        let repo = Repository::open(location)?;
        // Never create a repository where none is (rotating takes a lock, which would).
        if repo.info()?.is_none() {
            return Err(Error::NoRepository(repo.location()));
        }
        let stanzas = if !named.is_empty() {
            named.clone()
        } else if args.all_stanzas {
            let all = repo.stanzas()?;
            if all.is_empty() {
                log::warn!("repository {} has no stanza", repo.location());
            }
            all
        } else {
            args.repo.stanza.iter().cloned().collect()
        };
        for stanza in &stanzas {
            pra_core::signals::check()?;
            if !opts.dry_run {
                // The wrong OS user is told who owns what, not "Permission denied".
                Repository::check_writer(location, stanza, TOOL)?;
            }
            let (event, stanza_exit) = rotate::rotate_stanza(&repo, stanza, &policy, &opts);
            out.emit(&event).map_err(Error::Stream)?;
            if let Exit::Signal(signal) = stanza_exit {
                return Err(Error::Interrupted {
                    signal,
                    reported: true,
                });
            }
            exit = exit.max(stanza_exit);
        }
    }
    // A signal after the last deletion still ends the run by it.
    pra_core::signals::check()?;
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Status;

    #[test]
    fn stanzas_come_from_backup_and_verify_events_once_each() {
        let evs = [
            Event::new("pra-backup", Kind::Backup, Status::Ok, "").with_stanza("app"),
            Event::new("pra-status", Kind::Check, Status::Ok, "").with_stanza("other"),
            Event::new("pra-verify", Kind::Verify, Status::Ok, "").with_stanza("app"),
            Event::new("pra-backup", Kind::Backup, Status::Error, "").with_stanza("crm"),
            Event::new("pra-backup", Kind::Backup, Status::Ok, ""),
        ];
        assert_eq!(stanzas_from_events(&evs), ["app", "crm"]);
    }

    #[test]
    fn errors_map_to_exit_codes() {
        assert_eq!(Error::EmptyPolicy.exit(), Exit::Usage);
        assert_eq!(Error::NoStanza.exit(), Exit::Usage);
        let locked = RepoError::Locked {
            what: "x".into(),
            holder: "y".into(),
        };
        assert_eq!(Error::Repo(locked).exit(), Exit::Runtime);
    }
}
