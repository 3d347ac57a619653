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

use pra_core::event::Status;
use pra_core::exit::Outcome;

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

/// A run's outcome for the shared main path ([`pra_core::exit::main`]), which makes
/// every failure, a bad flag included, UNKNOWN ([`pra_core::exit::Codes::MonitoringPlugin`]).
impl Outcome for PluginState {
    fn exit_code(&self) -> u8 {
        self.code()
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
        assert_eq!(PluginState::Warning.exit_code(), 1);
    }
}
