//! pra-info: what a pra repository holds, for people (a table) and for pipes
//! (`info` events).
//!
//! - [`collect`]: reads the repository into `info` events (no lock, nothing written).
//! - [`table`]: renders those same events as a table.
//!
//! `run` forwards stdin, opens each repository (refusing a missing one, which
//! `pra-backup --init` creates), and writes the events or the table.

mod cli;
pub mod collect;
pub mod table;

pub use cli::Args;

use pra_core::error_class::ErrorClass;
use pra_core::event::stream::forward_stdin;
use pra_core::event::{EventWriter, OutputFormat};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::repo::{RepoError, Repository};

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-info";

/// What stops a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--stanza` names a stanza the repository does not hold.
    #[error("no stanza {stanza:?} in {repo}; it holds: {known}")]
    UnknownStanza {
        /// The stanza asked for.
        stanza: String,
        /// The repository (redacted).
        repo: String,
        /// The stanzas it holds.
        known: String,
    },
    /// `--backup ID` names no complete backup of the stanza.
    #[error("stanza {stanza}: {what}; {known}")]
    UnknownBackup {
        /// The stanza.
        stanza: String,
        /// What was not found, in words.
        what: String,
        /// What exists instead: the newest few ids.
        known: String,
    },
    /// The repository is missing or unreadable.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// stdout or stdin failed.
    #[error("event stream I/O error: {0}")]
    Stream(#[source] std::io::Error),
    /// SIGINT or SIGTERM arrived (waiting for a silent upstream, listing a slow
    /// repository): a death by the signal after the `info` error event.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.0))]
    Interrupted(i32),
}

impl From<pra_core::signals::Interrupted> for Error {
    fn from(pra_core::signals::Interrupted(sig): pra_core::signals::Interrupted) -> Error {
        Error::Interrupted(sig)
    }
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::UnknownStanza { .. } | Error::UnknownBackup { .. } => ErrorClass::Usage,
            Error::Repo(e) => e.class(),
            Error::Stream(_) => ErrorClass::Io,
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

/// Runs pra-info: see [`Args`].
pub fn run(args: Args) -> Result<Exit, Error> {
    pra_core::cli::init_logging(TOOL, args.verbose, args.quiet);
    pra_core::signals::install().map_err(Error::Stream)?;
    let format = args.format();
    let mut out = EventWriter::stdout(OutputFormat::Json);
    if format == OutputFormat::Json {
        forward_stdin(&mut out, TOOL).map_err(Error::Stream)?;
    }
    pra_core::signals::check()?;
    let query = collect::Query {
        stanza: args.repo.stanza.clone(),
        selection: args.backups.selection(),
        policy: args.policy.policy(),
        now: pra_core::time::now(),
    };
    let mut events = Vec::new();
    for location in &args.repo.repos {
        let repo = Repository::open_existing(location)?;
        events.extend(collect::repository_events(&repo, &query, TOOL)?);
        pra_core::signals::check()?;
    }
    match format {
        OutputFormat::Json => {
            for ev in &events {
                out.emit(ev).map_err(Error::Stream)?;
            }
        }
        OutputFormat::Text => {
            match table::write(&mut std::io::stdout().lock(), &events) {
                // `pra-info | head`: the reader has seen enough.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.map_err(Error::Stream)?,
            }
        }
    }
    Ok(Exit::Ok)
}
