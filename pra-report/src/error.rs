//! pra-report's errors, each with its class (hence its exit code).

use pra_core::error_class::ErrorClass;
use pra_core::exit::ExitStatus;
use std::path::PathBuf;

/// What can stop a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A history file could not be opened or read.
    #[error("cannot read history {path}: {source}")]
    History {
        /// The file (`-` for stdin).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A repository could not be read.
    #[error("{0}")]
    Repo(#[from] pra_core::repo::RepoError),
    /// The period is empty or reversed.
    #[error("the period is empty: it starts at {start} and ends at {end}")]
    Period {
        /// Its start.
        start: String,
        /// Its end.
        end: String,
    },
    /// A report file could not be written.
    #[error("cannot write the report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// stdout could not be written.
    #[error("cannot write the report event: {0}")]
    Output(std::io::Error),
    /// SIGINT or SIGTERM arrived (waiting for a silent upstream, reading a long
    /// history): a death by the signal after the `report` error event.
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
            Error::History { .. } | Error::Write { .. } | Error::Output(_) => ErrorClass::Io,
            Error::Repo(e) => e.class(),
            Error::Period { .. } => ErrorClass::Usage,
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
