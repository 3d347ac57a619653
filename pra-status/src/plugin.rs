//! The monitoring-plugin exit codes (Nagios, Icinga, Sensu, …), in one place.
//!
//! | code | state | when |
//! |---|---|---|
//! | 0 | OK | every check is `ok` (or skipped because it does not apply) |
//! | 1 | WARNING | the worst check is `warn` |
//! | 2 | CRITICAL | at least one check is `error` (database down, backup older than the RPO, …) |
//! | 3 | UNKNOWN | the run could not evaluate: bad flag or configuration, unwritable `--prometheus`/`--history` |
//!
//! This differs from the other pra tools (DESIGN.md): for a monitoring system,
//! exit 2 means CRITICAL, so a usage error must not use it.

use crate::Error;
use pra_core::event::Status;
use std::process::ExitCode;

/// The state a monitoring plugin reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginState {
    /// 0: all good.
    Ok,
    /// 1: something deserves attention.
    Warning,
    /// 2: something is broken.
    Critical,
    /// 3: the checks could not be evaluated.
    Unknown,
}

impl PluginState {
    /// The state for the worst check status.
    pub fn from_status(status: Status) -> PluginState {
        match status {
            Status::Ok => PluginState::Ok,
            Status::Warn => PluginState::Warning,
            Status::Error => PluginState::Critical,
        }
    }

    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            PluginState::Ok => 0,
            PluginState::Warning => 1,
            PluginState::Critical => 2,
            PluginState::Unknown => 3,
        }
    }

    /// The upper-case name plugins print: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginState::Ok => "OK",
            PluginState::Warning => "WARNING",
            PluginState::Critical => "CRITICAL",
            PluginState::Unknown => "UNKNOWN",
        }
    }
}

/// The process exit code for a run's result; an error is UNKNOWN and printed on stderr.
pub fn finish(result: Result<PluginState, Error>) -> ExitCode {
    ExitCode::from(exit_code(&result))
}

/// The numeric exit code for a run's result (printing the error, if any).
pub fn exit_code(result: &Result<PluginState, Error>) -> u8 {
    match result {
        Ok(state) => state.code(),
        Err(e) => {
            eprintln!("pra-status: error: {e}");
            PluginState::Unknown.code()
        }
    }
}

/// Prints a clap error (or the help or version) and gives its exit code:
/// 0 for `--help`/`--version`, 3 UNKNOWN for a bad flag.
pub fn usage_error(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(usage_code(e.kind()))
}

fn usage_code(kind: clap::error::ErrorKind) -> u8 {
    use clap::error::ErrorKind;
    match kind {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
        _ => PluginState::Unknown.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_the_plugin_convention() {
        assert_eq!(PluginState::from_status(Status::Ok).code(), 0);
        assert_eq!(PluginState::from_status(Status::Warn).code(), 1);
        assert_eq!(PluginState::from_status(Status::Error).code(), 2);
        assert_eq!(PluginState::Unknown.code(), 3);
        assert_eq!(PluginState::Critical.as_str(), "CRITICAL");
    }

    #[test]
    fn errors_and_bad_flags_are_unknown_help_is_ok() {
        let err: Result<PluginState, Error> = Err(Error::Config("bad".into()));
        assert_eq!(exit_code(&err), 3);
        assert_eq!(exit_code(&Ok(PluginState::Warning)), 1);
        assert_eq!(usage_code(clap::error::ErrorKind::UnknownArgument), 3);
        assert_eq!(usage_code(clap::error::ErrorKind::ValueValidation), 3);
        assert_eq!(usage_code(clap::error::ErrorKind::DisplayHelp), 0);
        assert_eq!(usage_code(clap::error::ErrorKind::DisplayVersion), 0);
    }
}
