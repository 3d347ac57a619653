//! The errors that stop pra-status from evaluating its checks (UNKNOWN, exit 3).
//! A failing check is not an error: it is a `check` event with status `error`.

use pra_core::conn::ConnError;
use pra_core::exit::{Exit, ExitStatus};
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
}

impl ExitStatus for Error {
    /// The pra-wide code, for callers using pra_core::exit; pra-status's own main
    /// maps every error to UNKNOWN (see [`crate::plugin`]).
    fn exit(&self) -> Exit {
        match self {
            Error::Conn(e) => e.exit(),
            Error::Repo(e) => e.exit(),
            Error::Config(_) => Exit::Usage,
            Error::File { .. } | Error::Stdout(_) => Exit::Runtime,
        }
    }
}
