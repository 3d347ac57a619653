//! The error classes: a small, stable table naming every kind of failure, with its
//! exit code and meaning (pgBackRest's `build/error.yaml` is the model).
//!
//! Every `error` event carries one as `error_class`, so that pra-notify and any other
//! consumer group incidents without parsing messages, and every crate's error maps to
//! one ([`crate::exit::ExitStatus::class`]), which is where its exit code comes from:
//! one mapping. docs/PROTOCOL.md lists the same table; a test keeps the two equal.
//! Names never change meaning; a new class may be added in any release, so readers
//! keep a name they do not know as text ([`crate::event::Event::error_class`]).

use crate::exit::Exit;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure an `error` event or an error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A bad flag, argument or combination of flags.
    Usage,
    /// Settings that cannot work: malformed connection settings, an invalid repository
    /// location or name, a repository format newer than this version.
    Config,
    /// An input line that is not a `pra.v1` event.
    Input,
    /// The PostgreSQL server cannot be reached or refused the connection.
    Connection,
    /// A statement on the server failed.
    Query,
    /// A PostgreSQL client program (`pg_dump`, `pg_dumpall`, `pg_restore`) failed.
    Child,
    /// The repository is missing, unreadable or refused a write.
    Repository,
    /// Another process holds the lock or lease.
    LockHeld,
    /// Local I/O failed: a temporary file, a report, a state file, stdin or stdout.
    Io,
    /// A stored file does not match its manifest (missing, truncated, altered).
    Corrupt,
    /// An encrypted backup cannot be opened: no identity was given, or none matches.
    Key,
    /// A verification or validation found a problem (row counts, assertions, no backup).
    Verification,
    /// A notification could not be delivered.
    Delivery,
    /// A health check found a problem (pra-status: CRITICAL).
    Health,
    /// A drill missed a service-level objective (RPO, RTO, slowdown, availability).
    Sla,
    /// An operation did not finish within its time limit.
    Timeout,
    /// SIGINT or SIGTERM stopped the run (exit 128 + the signal number).
    Interrupted,
    /// An error no class was given to: a bug in pra.
    Internal,
}

impl ErrorClass {
    /// Every class, in the order of the documented table.
    pub const ALL: [ErrorClass; 18] = [
        ErrorClass::Usage,
        ErrorClass::Config,
        ErrorClass::Input,
        ErrorClass::Connection,
        ErrorClass::Query,
        ErrorClass::Child,
        ErrorClass::Repository,
        ErrorClass::LockHeld,
        ErrorClass::Io,
        ErrorClass::Corrupt,
        ErrorClass::Key,
        ErrorClass::Verification,
        ErrorClass::Delivery,
        ErrorClass::Health,
        ErrorClass::Sla,
        ErrorClass::Timeout,
        ErrorClass::Interrupted,
        ErrorClass::Internal,
    ];

    /// The name used in JSON (`lock_held`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Usage => "usage",
            ErrorClass::Config => "config",
            ErrorClass::Input => "input",
            ErrorClass::Connection => "connection",
            ErrorClass::Query => "query",
            ErrorClass::Child => "child",
            ErrorClass::Repository => "repository",
            ErrorClass::LockHeld => "lock_held",
            ErrorClass::Io => "io",
            ErrorClass::Corrupt => "corrupt",
            ErrorClass::Key => "key",
            ErrorClass::Verification => "verification",
            ErrorClass::Delivery => "delivery",
            ErrorClass::Health => "health",
            ErrorClass::Sla => "sla",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Interrupted => "interrupted",
            ErrorClass::Internal => "internal",
        }
    }

    /// The exit code of a run that fails with this class. `signal` is the signal that
    /// interrupted the run: `interrupted` exits 128 + it (3 when it is unknown).
    pub fn exit(self, signal: Option<i32>) -> Exit {
        match self {
            ErrorClass::Usage | ErrorClass::Config => Exit::Usage,
            ErrorClass::Input
            | ErrorClass::Corrupt
            | ErrorClass::Verification
            | ErrorClass::Delivery
            | ErrorClass::Health
            | ErrorClass::Sla => Exit::Problem,
            ErrorClass::Interrupted => signal.map_or(Exit::Runtime, Exit::Signal),
            ErrorClass::Connection
            | ErrorClass::Query
            | ErrorClass::Child
            | ErrorClass::Repository
            | ErrorClass::LockHeld
            | ErrorClass::Io
            | ErrorClass::Key
            | ErrorClass::Timeout
            | ErrorClass::Internal => Exit::Runtime,
        }
    }

    /// One line saying what the class means (the table in docs/PROTOCOL.md).
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorClass::Usage => "a bad flag, argument or combination of flags",
            ErrorClass::Config => "settings that cannot work: malformed connection settings, an invalid repository location or name, a repository format newer than this version",
            ErrorClass::Input => "an input line that is not a pra.v1 event",
            ErrorClass::Connection => "the PostgreSQL server cannot be reached or refused the connection",
            ErrorClass::Query => "a statement on the server failed",
            ErrorClass::Child => "a PostgreSQL client program (pg_dump, pg_dumpall, pg_restore) failed",
            ErrorClass::Repository => "the repository is missing, unreadable or refused a write",
            ErrorClass::LockHeld => "another process holds the lock or lease",
            ErrorClass::Io => "local I/O failed: a temporary file, a report, a state file, stdin or stdout",
            ErrorClass::Corrupt => "a stored file does not match its manifest (missing, truncated, altered)",
            ErrorClass::Key => "an encrypted backup cannot be opened: no identity was given, or none of those given matches its recipients",
            ErrorClass::Verification => "a verification or validation found a problem (row counts, assertions, no backup to verify)",
            ErrorClass::Delivery => "a notification could not be delivered",
            ErrorClass::Health => "a health check found a problem (pra-status: CRITICAL)",
            ErrorClass::Sla => "a drill missed a service-level objective (RPO, RTO, slowdown, availability)",
            ErrorClass::Timeout => "an operation did not finish within its time limit",
            ErrorClass::Interrupted => "SIGINT or SIGTERM stopped the run",
            ErrorClass::Internal => "an error no class was given to: a bug in pra, please report it",
        }
    }

    /// The class of a name, `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for class in ErrorClass::ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
            assert_eq!(serde_json::from_str::<ErrorClass>(&json).unwrap(), class);
            assert_eq!(ErrorClass::parse(class.as_str()), Some(class));
        }
        assert_eq!(ErrorClass::parse("teleport"), None);
    }

    #[test]
    fn exit_codes_follow_the_design() {
        assert_eq!(ErrorClass::Usage.exit(None).code(), 2);
        assert_eq!(ErrorClass::Config.exit(None).code(), 2);
        assert_eq!(ErrorClass::Verification.exit(None).code(), 1);
        assert_eq!(ErrorClass::LockHeld.exit(None).code(), 3);
        assert_eq!(
            ErrorClass::Interrupted.exit(Some(libc::SIGTERM)).code(),
            143
        );
        assert_eq!(ErrorClass::Interrupted.exit(None).code(), 3);
    }

    /// The rows of the error-class table in docs/PROTOCOL.md: (name, exit, meaning).
    fn documented() -> Vec<(String, String, String)> {
        let doc = include_str!("../../docs/PROTOCOL.md");
        let section = doc
            .split("\n## Error classes")
            .nth(1)
            .expect("docs/PROTOCOL.md has an \"Error classes\" section");
        let section = section.split("\n## ").next().unwrap_or(section);
        section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                assert_eq!(cells.len(), 3, "three columns: {l}");
                (
                    cells[0].trim_matches('`').to_string(),
                    cells[1].to_string(),
                    cells[2].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_documented_table_is_the_enum() {
        let rows = documented();
        let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let expected: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names, expected,
            "docs/PROTOCOL.md lists every class, in order"
        );
        for (name, exit, meaning) in &rows {
            let class = ErrorClass::parse(name).unwrap();
            let code = match class {
                ErrorClass::Interrupted => "128 + signal".to_string(),
                _ => class.exit(None).code().to_string(),
            };
            assert_eq!(exit, &code, "exit code of {name}");
            assert_eq!(meaning, class.meaning(), "meaning of {name}");
        }
    }
}
