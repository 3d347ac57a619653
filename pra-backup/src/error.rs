//! The errors of pra-backup, each with its exit code and whether a retry may help.

use pra_core::error_class::ErrorClass;
use pra_core::exit::ExitStatus;
use pra_core::signals::{signal_name, Interrupted};

/// What can make a backup fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad connection settings or an unreachable server.
    #[error(transparent)]
    Conn(#[from] pra_core::conn::ConnError),
    /// A query of the snapshot transaction failed.
    #[error("query failed on {target}: {reason}")]
    Query {
        /// Where (redacted).
        target: String,
        /// The server's or the OS's words.
        reason: String,
    },
    /// The repository refused (lock held, I/O, bad location).
    #[error(transparent)]
    Repo(#[from] pra_core::repo::RepoError),
    /// `pg_dump` or `pg_dumpall` could not start or exited non-zero.
    #[error("{tool} failed ({status}): {stderr}")]
    Child {
        /// The program.
        tool: String,
        /// How it ended, in words.
        status: String,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// Reading the dump or writing the repository failed.
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A flag value that cannot work (level out of range …).
    #[error("{0}")]
    Usage(String),
    /// SIGINT or SIGTERM arrived; the partial backup was removed.
    #[error("interrupted by {}", signal_name(*.0))]
    Interrupted(i32),
    /// The dump made no progress for `--stall-timeout`; pg_dump was stopped.
    #[error(transparent)]
    Stalled(#[from] pra_core::stall::Stalled),
    /// A physical backup's last WAL segment was not archived in time (archiving broken).
    #[error("{0}")]
    ArchiveTimeout(String),
    /// A failure whose `backup` error event was already emitted: `main` prints it
    /// and exits by it, without a second event.
    #[error(transparent)]
    Reported(Box<Error>),
}

impl Error {
    /// What really stopped the run when a signal or a stall did: the error seen
    /// (a severed connection, a killed pg_dump) is only its consequence.
    pub fn or_stopped(self) -> Error {
        pra_core::stall::blame(self, Error::Interrupted, Error::Stalled)
    }
}

impl From<Interrupted> for Error {
    fn from(Interrupted(sig): Interrupted) -> Error {
        Error::Interrupted(sig)
    }
}

impl Error {
    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// The error with the privilege `user` lacked appended to the server's words, when
    /// they are a permission error (docs/CONNECTING.md, "Least privilege").
    pub fn with_privilege_hint(self, user: &str) -> Error {
        use pra_core::privilege::{with_privilege_hint, Access};
        match self {
            Error::Child {
                tool,
                status,
                stderr,
            } => Error::Child {
                tool,
                status,
                stderr: with_privilege_hint(&stderr, user, Access::Read),
            },
            Error::Query { target, reason } => Error::Query {
                target,
                reason: with_privilege_hint(&reason, user, Access::Read),
            },
            other => other,
        }
    }

    /// True when trying again later may succeed: the server was unreachable, reset the
    /// connection or was starting up. Permission errors, bad flags, a held lock or a
    /// full disk are not transient.
    pub fn is_transient(&self) -> bool {
        let text = match self {
            Error::Conn(pra_core::conn::ConnError::Connect { reason, .. }) => reason.clone(),
            Error::Query { reason, .. } => reason.clone(),
            Error::Child { stderr, .. } => stderr.clone(),
            _ => return false,
        };
        is_transient_message(&text)
    }
}

/// pg_dump's or pg_dumpall's stderr, with what to do when it is older than the server
/// (it refuses to dump a newer server): the same --pg-bindir hint as a missing pg_dump.
pub fn with_version_hint(stderr: &str) -> String {
    if !stderr.contains("server version mismatch") {
        return stderr.to_string();
    }
    // "pg_dump: detail: server version: 16.4; pg_dump version: 15.18"
    let major = stderr
        .split("server version: ")
        .nth(1)
        .and_then(|v| v.split(['.', ';', ' ', '\n']).next())
        .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()));
    let dir = major.map_or("/usr/lib/postgresql/<major>/bin".to_string(), |m| {
        format!("/usr/lib/postgresql/{m}/bin")
    });
    format!(
        "{stderr} (hint: the PostgreSQL client programs must be at least as new as the \
         server: install the client of the server's major version and point \
         --pg-bindir/PRA_PG_BINDIR at its directory, e.g. {dir})"
    )
}

/// The words of PostgreSQL, libpq and the OS that mean "try again later".
pub fn is_transient_message(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "connection refused",
        "connection reset",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "server closed the connection unexpectedly",
        "no such file or directory", // Unix socket not there yet (server restarting)
        "timed out",
        "timeout expired",
    ]
    .iter()
    .any(|w| t.contains(w))
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Conn(e) => e.class(),
            Error::Repo(e) => e.class(),
            Error::Usage(_) => ErrorClass::Usage,
            Error::Interrupted(_) => ErrorClass::Interrupted,
            Error::Stalled(e) => e.class(),
            Error::Query { .. } => ErrorClass::Query,
            // An older pg_dump is settings, like a missing one: no run will succeed.
            Error::Child { stderr, .. } if stderr.contains("server version mismatch") => {
                ErrorClass::Config
            }
            Error::Child { .. } => ErrorClass::Child,
            Error::Io { .. } => ErrorClass::Io,
            Error::ArchiveTimeout(_) => ErrorClass::Timeout,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_pg_dump_names_the_flag_and_is_not_transient() {
        // pg_dump 15's words before a 16 server.
        let stderr = "pg_dump: error: aborting because of server version mismatch\n\
                      pg_dump: detail: server version: 16.4 (Debian 16.4-1.pgdg120+2); pg_dump version: 15.18";
        let hinted = with_version_hint(stderr);
        assert!(hinted.starts_with(stderr), "{hinted}");
        assert!(
            hinted.contains("--pg-bindir/PRA_PG_BINDIR")
                && hinted.contains("/usr/lib/postgresql/16/bin"),
            "{hinted}"
        );
        let e = Error::Child {
            tool: "pg_dump".into(),
            status: "exit status: 1".into(),
            stderr: hinted,
        };
        assert!(!e.is_transient());
        assert_eq!(e.class(), ErrorClass::Config);
        assert_eq!(
            with_version_hint("pg_dump: error: other"),
            "pg_dump: error: other"
        );
    }

    #[test]
    fn transient_or_not() {
        let refused = Error::Conn(pra_core::conn::ConnError::Connect {
            target: "x".into(),
            reason: "error connecting to server: Connection refused (os error 111)".into(),
        });
        assert!(refused.is_transient());
        let denied = Error::Child {
            tool: "pg_dump".into(),
            status: "exit status 1".into(),
            stderr: "pg_dump: error: query failed: ERROR:  permission denied for table t".into(),
        };
        assert!(!denied.is_transient());
        assert!(is_transient_message(
            "FATAL: the database system is starting up"
        ));
        assert_eq!(Error::Interrupted(libc::SIGTERM).exit().code(), 143);
        assert_eq!(Error::Usage("x".into()).exit().code(), 2);
    }
}
