//! Fields of `check` and `status` events (pra-status).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One health check (`kind: check`). The envelope's `status` is the check's result:
/// `ok`, `warn` (WARNING) or `error` (CRITICAL). A check that does not apply is
/// `ok` with `skipped` set to the reason.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CheckFields {
    /// Which check: `database`, `critical_tables`, `disk`, `backup_age`,
    /// `backup_verified`, `app`, `api`, `wal_archive`, `replication`, `availability`.
    pub name: String,
    /// What the check looked at when it has several: a path, a stanza, a table, a URL (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The measured value, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Unit of `value`, `warn` and `crit`: `s`, `ratio`, `bytes`, `percent`, `http_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The thresholds, in words (`warn >= 2880 s, crit >= 3600 s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// The warning threshold, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
    /// The critical threshold, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<f64>,
    /// Set when the check does not apply here, with the reason (the status is then `ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// How long the check took.
    #[serde(default)]
    pub duration_s: f64,
    /// Check-specific facts (server version, backup id, HTTP code, …).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

/// The availability of the monitored service over a window, from the history.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AvailabilityFields {
    /// Length of the window asked for.
    pub window_s: f64,
    /// Part of the window the history covers (from its first sample), the base of `percent`.
    pub measured_s: f64,
    /// Time known up.
    pub up_s: f64,
    /// Time known down.
    pub down_s: f64,
    /// Time not covered by samples (gaps), counted as not up.
    pub unknown_s: f64,
    /// `up_s / measured_s` in percent.
    pub percent: f64,
    /// The target, in percent.
    pub target_percent: f64,
    /// Samples read in the window.
    pub samples: u64,
}

/// The overall result of a pra-status run (`kind: status`), the worst of its checks.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StatusFields {
    /// Monitoring-plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub exit_code: u8,
    /// The plugin state in words: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub state: String,
    /// Whether the service was up: no `database`, `app` or `api` check failed.
    pub up: bool,
    /// Number of checks run (skipped included).
    pub checks: u64,
    /// Checks `ok` (skipped included).
    pub ok: u64,
    /// Checks `warn`.
    pub warn: u64,
    /// Checks `error`.
    pub error: u64,
    /// Checks skipped because they do not apply.
    pub skipped: u64,
    /// The checks that are not ok, as `name` or `name:target`.
    #[serde(default)]
    pub failing: Vec<String>,
    /// Wall time of the whole run.
    pub duration_s: f64,
    /// Availability over `--availability`, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilityFields>,
}
