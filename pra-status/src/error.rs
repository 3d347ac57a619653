//! The errors that stop pra-status from evaluating its checks (UNKNOWN, exit 3).
//! A failing check is not an error: it is a `check` event with status `error`.

use pra_core::conn::ConnError;
use pra_core::error_class::ErrorClass;
use pra_core::exit::ExitStatus;
use pra_core::repo::RepoError;
use std::path::PathBuf;

/// Why the run could not evaluate or report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed connection settings (`-d`, `PG*`).
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// An unusable repository location (unsupported scheme).
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Contradictory or impossible flags.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A file pra-status must write or read (--prometheus, --history).
    #[error("{what} {path}: {source}")]
    File {
        /// Which file it is.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing the events on stdout failed.
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
    /// SIGINT or SIGTERM arrived while the checks ran: no verdict, a death by the signal.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.0))]
    Interrupted(i32),
}

impl ExitStatus for Error {
    /// The class of the `status` error event; pra-status's main exits UNKNOWN (3)
    /// whatever the class ([`pra_core::exit::Codes::MonitoringPlugin`]).
    fn class(&self) -> ErrorClass {
        match self {
            Error::Conn(e) => e.class(),
            Error::Repo(e) => e.class(),
            Error::Config(_) => ErrorClass::Config,
            Error::File { .. } | Error::Stdout(_) => ErrorClass::Io,
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
