//! pra-wal: `push` (archive_command) and `fetch` (restore_command) of WAL files through
//! the WAL archive of pra-core ([`pra_core::wal`]), on every repository kind.
//!
//! PostgreSQL owns stdout and stderr: events are appended to `--events FILE`, failures
//! are one line on stderr (the server log). The exit codes are the ones PostgreSQL
//! reads: 1 only for "not archived", the normal end of archive recovery. Any other
//! failure of a fetch exits 200 ([`Exit::Fatal`]), which stops archive recovery
//! instead of ending it early with committed data missing; on a standby (which
//! retries restore_command and streams meanwhile) it exits 3 ([`OnError`]).

mod cli;

pub use cli::{Args, Command, Common, FetchArgs, OnError, PushArgs};

use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::WalFields;
use pra_core::event::{Event, EventWriter, Kind, OutputFormat, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::repo::{RepoError, Repository};
use pra_core::wal::{self, WalError};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The tool's name in events and on stderr.
pub const TOOL: &str = "pra-wal";

/// Errors of pra-wal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The archive refused or failed.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// The WAL file to push cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A recipient, identity or passphrase file that cannot be used (exit 2).
    #[error(transparent)]
    Crypt(#[from] pra_core::crypt::CryptError),
    /// `--events FILE` cannot be appended to.
    #[error("cannot append to the events file {path}: {source}")]
    Events {
        /// The events file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl From<RepoError> for Error {
    fn from(e: RepoError) -> Self {
        Error::Wal(WalError::Repo(e))
    }
}

/// A failure of the run, once its `error` event went to `--events` (never stdout).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    /// What failed.
    pub error: Error,
    /// A fetch whose failure must stop PostgreSQL's archive recovery (exit 200).
    pub fatal: bool,
}

impl ExitStatus for Failure {
    fn class(&self) -> ErrorClass {
        match &self.error {
            Error::Wal(e) => e.class(),
            Error::Crypt(e) => e.class(),
            Error::Read { .. } | Error::Events { .. } => ErrorClass::Io,
        }
    }

    fn reported(&self) -> bool {
        true
    }

    /// PostgreSQL reads an exit from 1 to 125 as "not available": 1 is kept for a
    /// file that is not archived. Every other failure of a fetch in archive recovery
    /// exits 200, bad names and key files included: an answer PostgreSQL would read
    /// as the end of the WAL would promote the server with WAL not replayed. Push, and
    /// fetch on a standby: 3 (2 for bad names and key files), which PostgreSQL retries.
    fn exit(&self) -> Exit {
        if self.fatal {
            return Exit::Fatal;
        }
        match self.class().exit(None) {
            Exit::Usage => Exit::Usage,
            _ => Exit::Runtime,
        }
    }
}

/// Runs pra-wal; `Exit::Problem` (1) means a fetched file is not archived.
pub fn run(args: Args) -> Result<Exit, Failure> {
    pra_core::cli::init_logging(TOOL, args.verbose, args.quiet);
    let started = Instant::now();
    let (common, op, name, fatal) = match &args.command {
        Command::Push(p) => (&p.common, "push", file_name(&p.path), false),
        Command::Fetch(f) => (&f.common, "fetch", f.name.clone(), stops_recovery(f)),
    };
    let mut fields = WalFields {
        op: op.to_string(),
        name: name.clone(),
        ..WalFields::default()
    };
    let stanza = common.repo.stanza.clone().unwrap_or_default();
    let result = match &args.command {
        Command::Push(p) => push(p, &stanza, &name, &mut fields),
        Command::Fetch(f) => fetch(f, &stanza, &name, &mut fields),
    };
    fields.duration_s = started.elapsed().as_secs_f64();
    let (message, outcome) = match result {
        Ok(done) => done,
        Err(e) => {
            let failure = Failure { error: e, fatal };
            let event = Event::error(TOOL, Kind::Wal, failure.class(), failure.to_string())
                .with_stanza(&stanza)
                .with_fields(&fields);
            if let Err(e) = append_event(common.events.as_deref(), &event) {
                eprintln!("{TOOL}: error: {e}");
            }
            return Err(failure);
        }
    };
    log::info!("{message}");
    let event = Event::new(TOOL, Kind::Wal, Status::Ok, message)
        .with_stanza(&stanza)
        .with_fields(&fields);
    // The file is pushed or fetched: failing now for the log alone would stall
    // archiving (pg_wal fills up) or stop recovery. The server log says why.
    if let Err(e) = append_event(common.events.as_deref(), &event) {
        eprintln!("{TOOL}: warning: {e}");
    }
    Ok(outcome)
}

/// Whether a failed fetch must stop recovery (exit 200) rather than be retried (3).
/// PostgreSQL runs restore_command in the data directory, where `standby.signal`
/// marks standby mode: a standby retries the file and streams meanwhile, so a
/// transient repository error must not kill it, while archive recovery would take
/// the same error for the end of the WAL and promote.
fn stops_recovery(f: &FetchArgs) -> bool {
    match f.on_error {
        OnError::Fatal => true,
        OnError::Retry => false,
        OnError::Auto => !Path::new("standby.signal").exists(),
    }
}

/// What a finished push or fetch reports: its message and exit.
type Done = (String, Exit);

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn open_repos(common: &Common) -> Result<Vec<Repository>, Error> {
    common
        .repo
        .repos
        .iter()
        .map(|r| Repository::open_existing(r).map_err(Error::from))
        .collect()
}

fn push(p: &PushArgs, stanza: &str, name: &str, fields: &mut WalFields) -> Result<Done, Error> {
    let path = &p.path;
    wal::validate_name(name)?;
    // Keys first: a bad recipient fails before the repository is touched.
    let recipients = p.encrypt.load()?;
    fields.encrypted_to = recipients
        .as_ref()
        .map(|r| r.record().recipients)
        .unwrap_or_default();
    let repos = open_repos(&p.common)?;
    let raw = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Encoded once, whatever the number of repositories.
    let encoded = wal::encode(name, &raw, recipients.as_ref())?;
    drop(raw);
    // Every repository gets the file (3-2-1); PostgreSQL retries the whole command
    // on a failure, and a repository that has it already answers "identical".
    let mut fresh = 0;
    for repo in &repos {
        fields.repos.push(repo.location());
        let pushed = wal::store(repo.storage(), stanza, &encoded)?;
        fields.raw_bytes = pushed.raw_bytes;
        fields.stored_bytes = pushed.stored_bytes;
        fields.sha256 = Some(pushed.sha256);
        fresh += usize::from(!pushed.already);
    }
    fields.already_archived = fresh == 0;
    let message = format!(
        "{name} archived: {} -> {} bytes{}{}",
        fields.raw_bytes,
        fields.stored_bytes,
        if recipients.is_some() {
            ", encrypted"
        } else {
            ""
        },
        if fields.already_archived {
            " (identical copy already archived)"
        } else {
            ""
        }
    );
    Ok((message, Exit::Ok))
}

fn fetch(f: &FetchArgs, stanza: &str, name: &str, fields: &mut WalFields) -> Result<Done, Error> {
    let (common, dest) = (&f.common, f.dest.as_path());
    wal::validate_name(name)?;
    // The identities are read (and a bad file refused) before any repository is.
    f.decrypt.install()?;
    // The first repository that has the file serves it; one that fails to answer is
    // logged, and is the failure only when no other has the file.
    let mut errors = Vec::new();
    for location in &common.repo.repos {
        let found = Repository::open_existing(location)
            .map_err(Error::from)
            .and_then(|repo| {
                fields.repos.push(repo.location());
                Ok(wal::fetch_to(repo.storage(), stanza, name, dest)?)
            });
        match found {
            Ok(Some(bytes)) => {
                errors.iter().for_each(|e| log::warn!("{e}"));
                fields.found = Some(true);
                fields.raw_bytes = bytes;
                let message = format!("{name} restored to {} ({bytes} bytes)", dest.display());
                return Ok((message, Exit::Ok));
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    // The failure returned is printed once by the caller: only the others are logged.
    let mut errors = errors.into_iter();
    if let Some(first) = errors.next() {
        errors.for_each(|e| log::warn!("{e}"));
        return Err(first);
    }
    fields.found = Some(false);
    let message = format!("{name} is not archived");
    Ok((message, Exit::Problem))
}

/// Appends one event line to the events file, if one is given.
fn append_event(path: Option<&Path>, event: &Event) -> Result<(), Error> {
    let Some(path) = path else {
        return Ok(());
    };
    let events_err = |source| Error::Events {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(events_err)?;
    // One write of the whole line: concurrent archivers append whole lines.
    let mut line = Vec::new();
    EventWriter::new(&mut line, OutputFormat::Json, false)
        .emit(event)
        .map_err(events_err)?;
    std::io::Write::write_all(&mut &file, &line).map_err(events_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_outside_a_standby_fails_fatally_and_keeps_its_class() {
        let corrupt = || {
            Error::Wal(WalError::Corrupt {
                name: "000000010000000000000003".into(),
                reason: "sha256".into(),
            })
        };
        let name = || Error::Wal(WalError::Name("x".into()));
        let fatal = |error| Failure { error, fatal: true }.exit().code();
        let retried = |error| {
            Failure {
                error,
                fatal: false,
            }
            .exit()
            .code()
        };
        assert_eq!((fatal(corrupt()), fatal(name())), (200, 200));
        assert_eq!((retried(corrupt()), retried(name())), (3, 2));
        let failure = Failure {
            error: corrupt(),
            fatal: true,
        };
        assert_eq!(
            failure.class(),
            ErrorClass::Corrupt,
            "the event keeps its class"
        );
    }
}
