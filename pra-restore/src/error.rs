//! The errors of pra-restore, each mapped to its exit code (DESIGN.md).

use pra_core::conn::ConnError;
use pra_core::error_class::ErrorClass;
use pra_core::exit::ExitStatus;
use pra_core::fetch::FetchError;
use pra_core::repo::RepoError;

/// What can stop a restore.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags or a request that cannot be honoured as given (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The target database exists and `--clean --yes` was not given (exit 2).
    #[error("database {0:?} already exists; to replace it, run again with --clean --yes (the old database is kept until the new one is validated, then dropped; add --keep-old to keep it), or choose another --target-db")]
    TargetExists(String),
    /// Roles (or tablespaces) the dump needs do not exist on the server (exit 2).
    #[error("the backup needs what does not exist on the server: {0}; nothing was restored. Run again with --globals to create them from the backup's globals, or with --no-owner to restore without ownership and grants")]
    MissingRoles(String),
    /// The server could not be reached or refused us (exit 3), or bad connection settings (exit 2).
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// The repository could not be read (exit 3).
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A stored file does not match its manifest (exit 1), or the consumer failed (exit 3).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The WAL archive could not be read, or its files not opened (physical, exit 3).
    #[error(transparent)]
    Wal(#[from] pra_core::wal::WalError),
    /// A statement on the server failed (exit 3).
    #[error("{what}: {reason}")]
    Db {
        /// What we were doing.
        what: String,
        /// The server's words.
        reason: String,
    },
    /// `pg_restore` (or another PostgreSQL client program) failed (exit 3).
    #[error("{program} into database {db:?} failed ({status}): {stderr}")]
    Program {
        /// Which program.
        program: String,
        /// The database it worked on.
        db: String,
        /// How it ended.
        status: String,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// A local I/O error (temporary file, report, child process) (exit 3).
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The restored database failed validation (exit 1); it is kept under its temporary name.
    #[error("validation of the restored database failed: {0}")]
    Validation(String),
    /// SIGINT or SIGTERM arrived; the temporary database and files were removed.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.0))]
    Interrupted(i32),
    /// The restore made no progress for `--stall-timeout`; pg_restore was stopped.
    #[error(transparent)]
    Stalled(#[from] pra_core::stall::Stalled),
    /// A failure whose `restore` error event was already emitted: `main` prints it
    /// and exits by it, without a second event.
    #[error(transparent)]
    Reported(Box<Error>),
}

impl From<pra_core::signals::Interrupted> for Error {
    fn from(pra_core::signals::Interrupted(sig): pra_core::signals::Interrupted) -> Error {
        Error::Interrupted(sig)
    }
}

impl Error {
    /// The error with the privilege `user` lacked appended to the server's words, when
    /// they are a permission error (docs/CONNECTING.md, "Least privilege").
    pub fn with_privilege_hint(self, user: &str) -> Error {
        use pra_core::privilege::{with_privilege_hint, Access};
        match self {
            Error::Program {
                program,
                db,
                status,
                stderr,
            } => Error::Program {
                program,
                db,
                status,
                stderr: with_privilege_hint(&stderr, user, Access::Write),
            },
            Error::Db { what, reason } => Error::Db {
                what,
                reason: with_privilege_hint(&reason, user, Access::Write),
            },
            other => other,
        }
    }

    /// What really stopped the run when a signal or a stall did: the error seen (a
    /// stopped pg_restore, a session shut down) is only its consequence.
    pub fn or_stopped(self) -> Error {
        pra_core::stall::blame(self, Error::Interrupted, Error::Stalled)
    }

    /// A database error with what we were doing.
    pub fn db(what: impl Into<String>, e: &postgres::Error) -> Error {
        Error::Db {
            what: what.into(),
            reason: pra_core::conn::describe_pg_error(e),
        }
    }

    /// An I/O error with what we were doing.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Usage(_) | Error::TargetExists(_) | Error::MissingRoles(_) => ErrorClass::Usage,
            Error::Conn(e) => e.class(),
            Error::Repo(e) => e.class(),
            Error::Fetch(e) => e.class(),
            Error::Wal(e) => e.class(),
            Error::Validation(_) => ErrorClass::Verification,
            Error::Db { .. } => ErrorClass::Query,
            Error::Program { .. } => ErrorClass::Child,
            Error::Io { .. } => ErrorClass::Io,
            Error::Interrupted(_) => ErrorClass::Interrupted,
            Error::Stalled(e) => e.class(),
            Error::Reported(e) => e.class(),
        }
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Error::Interrupted(sig) => Some(*sig),
            Error::Reported(e) => e.signal(),
            _ => None,
        }
    }

    fn reported(&self) -> bool {
        matches!(self, Error::Reported(_))
    }
}
