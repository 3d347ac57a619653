//! Fields of `verify` events (pra-verify): one event per backup verified.

use serde::{Deserialize, Serialize};

/// The verification of one backup by pra-verify.
///
/// The envelope's `status` says whether it passed (`ok`), passed with something
/// worth a look (`warn`, e.g. leftovers of a killed run were cleaned up), or failed
/// (`error`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VerifyFields {
    /// The backup id, e.g. `20261125T110000Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The repository verified, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// How deep: `manifest`, `checksum` or `restore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Wall time of the verification.
    #[serde(default)]
    pub duration_s: f64,
    /// The first mismatch, in plain words, naming the file or table (absent when it passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Every mismatch found (the first is `problem`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Number of backup files checked.
    #[serde(default)]
    pub files_checked: u64,
    /// Stored bytes read (checksum and restore levels).
    #[serde(default)]
    pub stored_bytes: u64,
    /// Raw (decoded) bytes checked (checksum and restore levels).
    #[serde(default)]
    pub raw_bytes: u64,
    /// Stored bytes read per second (checksum and restore levels).
    #[serde(default)]
    pub throughput_bytes_per_s: f64,
    /// Restore level: the scratch database used (dropped afterwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scratch_database: Option<String>,
    /// Restore level: tables found in the scratch database, their row counts compared
    /// with the manifest's (except `tables_not_compared`).
    #[serde(default)]
    pub tables_checked: u64,
    /// Restore level: rows counted in the scratch database.
    #[serde(default)]
    pub rows_checked: u64,
    /// Restore level: tables whose rows were not compared because the manifest has
    /// no count for them (`pra-backup --count-rows none` or `critical`): status `warn`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tables_not_compared: u64,
    /// Restore level: `--check-sql` assertions that held.
    #[serde(default)]
    pub assertions_passed: u64,
    /// Restore level: seconds spent loading the dump into the scratch database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_s: Option<f64>,
    /// Scratch databases of earlier, killed runs that this run dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftovers_dropped: Vec<String>,
    /// Why the verdict could not be recorded in `verify.json` (a full or read-only
    /// repository): the event is an `error` whatever the verification found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_error: Option<String>,
    /// Why the backup was not verified though it was listed: deleted by retention
    /// since (status `ok`, no `level`, no verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
