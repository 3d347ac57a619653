//! The errors of the repository and its storage drivers, and their error classes.

use crate::error_class::ErrorClass;
use crate::exit::ExitStatus;
use crate::manifest::FormatError;

/// Errors of the repository and its storage.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// An I/O error on a repository path.
    #[error("repository I/O error on {key}: {source}")]
    Io {
        /// The key (path inside the repository).
        key: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file that should exist does not.
    #[error("{0} not found in the repository")]
    NotFound(String),
    /// A lock is held by another process.
    #[error("{what} is locked by {holder}")]
    Locked {
        /// What is locked.
        what: String,
        /// Who holds it, in words.
        holder: String,
    },
    /// A manifest, verify record or `pra.json` is unreadable or too new.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The repository location is not usable.
    #[error("invalid repository {location:?}: {reason}")]
    Location {
        /// The location given (redacted).
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// No repository where one was expected: a missing location, an empty directory
    /// (an unmounted disk) or no `pra.json`; the reason names `pra-backup --init`.
    #[error("no pra repository at {location}: {reason}")]
    Missing {
        /// The location given (redacted).
        location: String,
        /// What is there instead, and what to do.
        reason: String,
    },
    /// This OS user may not write a file of the repository (another user owns it).
    #[error("permission denied on {path}: {reason}")]
    Permission {
        /// The file or directory.
        path: String,
        /// Who runs, who owns it, and what to do.
        reason: String,
    },
    /// A stanza or backup id that cannot be a name in the repository.
    #[error("invalid name: {0}")]
    InvalidName(String),
}

impl RepoError {
    /// An I/O error on `key`.
    pub fn io(key: &str, source: std::io::Error) -> RepoError {
        RepoError::Io {
            key: key.to_string(),
            source,
        }
    }
}

impl ExitStatus for RepoError {
    fn class(&self) -> ErrorClass {
        match self {
            RepoError::Location { .. } | RepoError::InvalidName(_) => ErrorClass::Config,
            RepoError::Format(FormatError::TooNew { .. }) => ErrorClass::Config,
            RepoError::Locked { .. } => ErrorClass::LockHeld,
            RepoError::Io { .. }
            | RepoError::NotFound(_)
            | RepoError::Missing { .. }
            | RepoError::Permission { .. }
            | RepoError::Format(_) => ErrorClass::Repository,
        }
    }
}
