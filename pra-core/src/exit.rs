//! Exit codes (DESIGN.md) and the one function `main` uses to turn a run's
//! outcome into a process exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the tool did its work and found nothing wrong |
//! | 1 | the tool did its work and found a problem |
//! | 2 | usage or configuration error |
//! | 3 | runtime failure (database unreachable, storage error, I/O, lock held) |
//! | 130, 143 | interrupted by SIGINT, SIGTERM |
//!
//! pra-status uses the monitoring-plugin convention instead (0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN) and maps its result itself.

use crate::event::{Event, Status};
use std::fmt::Display;
use std::process::ExitCode;

/// The outcome of a tool run, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: the work was done and nothing is wrong.
    Ok,
    /// 1: the work was done and found a problem (a verification or delivery failed).
    Problem,
    /// 2: bad flag, bad configuration.
    Usage,
    /// 3: runtime failure: database unreachable, storage error, I/O, lock held.
    Runtime,
    /// 128 + signal number: interrupted (130 for SIGINT, 143 for SIGTERM).
    Signal(i32),
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problem => 1,
            Exit::Usage => 2,
            Exit::Runtime => 3,
            Exit::Signal(sig) => u8::try_from(128 + sig).unwrap_or(255),
        }
    }

    /// The exit for a set of events this tool emitted: 1 if any is `error`, else 0.
    ///
    /// Upstream events are not counted (pass only the tool's own), unless the tool's
    /// `--strict` asks for it.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Exit {
        if crate::event::worst_status(events) == Status::Error {
            Exit::Problem
        } else {
            Exit::Ok
        }
    }
}

/// An error that knows which exit code it deserves. Every crate's error enum implements it.
pub trait ExitStatus {
    /// The exit code for this error.
    fn exit(&self) -> Exit;
}

/// Turns a run's result into the process exit code, printing the error on stderr
/// as one line prefixed with the tool's name.
pub fn finish<E: Display + ExitStatus>(tool: &str, result: Result<Exit, E>) -> ExitCode {
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("{tool}: error: {e}");
            ExitCode::from(e.exit().code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Kind;

    #[test]
    fn codes_match_the_design() {
        assert_eq!(Exit::Ok.code(), 0);
        assert_eq!(Exit::Problem.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::Runtime.code(), 3);
        assert_eq!(Exit::Signal(libc::SIGINT).code(), 130);
        assert_eq!(Exit::Signal(libc::SIGTERM).code(), 143);
    }

    #[test]
    fn exit_from_own_events() {
        let ok = Event::new("t", Kind::Verify, Status::Ok, "");
        let warn = Event::new("t", Kind::Verify, Status::Warn, "");
        let err = Event::new("t", Kind::Verify, Status::Error, "");
        assert_eq!(Exit::from_events([&ok, &warn]), Exit::Ok);
        assert_eq!(Exit::from_events([&ok, &err]), Exit::Problem);
    }
}
