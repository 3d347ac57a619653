//! Fields of `restore` events (pra-restore).

use serde::{Deserialize, Serialize};

/// One validation step of a restore and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreCheck {
    /// What was checked: `row_counts`, `critical_table`, `analyze`, `check_url`.
    pub check: String,
    /// What it was checked on: a table, a URL (redacted), or the database.
    #[serde(default)]
    pub target: String,
    /// `ok` or `error`.
    pub status: crate::event::Status,
    /// What was found, in plain words.
    #[serde(default)]
    pub detail: String,
}

/// A restore done (or failed) by pra-restore.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RestoreFields {
    /// The backup restored. Absent when the run failed before choosing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    /// The level of the verdict that makes the backup verified (`checksum` or
    /// `restore`); absent when it is not verified. `--backup latest-verified` only
    /// picks backups that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_level: Option<String>,
    /// The repository, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The database the backup was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_database: Option<String>,
    /// The target database name.
    #[serde(default)]
    pub target: String,
    /// Where the restored data is when it is NOT under the target name: the temporary
    /// database kept after a failed validation. Absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_database: Option<String>,
    /// The previous target database, when replaced with `--clean --keep-old`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_database: Option<String>,
    /// `pg_restore` jobs.
    #[serde(default)]
    pub jobs: u32,
    /// Checksum of the stored files plus, with several jobs, decoding to the temporary file.
    #[serde(default)]
    pub fetch_s: f64,
    /// `pg_restore` wall time (with one job it includes the streamed decoding).
    #[serde(default)]
    pub restore_s: f64,
    /// Validation wall time (row counts, critical tables, ANALYZE, URL checks).
    #[serde(default)]
    pub validate_s: f64,
    /// Total wall time of the run, from start to the database being usable under its name.
    #[serde(default)]
    pub rto_s: f64,
    /// The `--rto` objective in seconds; the event is `warn` when `rto_s` exceeds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_target_s: Option<f64>,
    /// Decoded bytes of the dump.
    #[serde(default)]
    pub raw_bytes: u64,
    /// Tables counted after the restore.
    #[serde(default)]
    pub tables: u64,
    /// Rows counted after the restore.
    #[serde(default)]
    pub rows: u64,
    /// The validation steps.
    #[serde(default)]
    pub validation: Vec<RestoreCheck>,
    /// Roles created from the backup's globals (`--globals`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_created: Vec<String>,
    /// Roles the backup needs that already existed and were left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_existing: Vec<String>,
    /// Roles the backup needs that do not exist (restore refused, or `--no-owner`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_missing: Vec<String>,
    /// Database-level state of the backup re-applied to the target (`owner NAME`,
    /// `comment`, `privileges`, `setting NAME`, `setting NAME for ROLE`).
    #[serde(default)]
    pub db_settings_applied: Vec<String>,
    /// Database-level state not applied, with why (`--no-db-settings`, a missing role,
    /// a backup of an older pra that did not record it).
    #[serde(default)]
    pub db_settings_skipped: Vec<String>,
    /// Temporary databases of earlier interrupted runs that this run dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleaned_temp_databases: Vec<String>,
    /// Temporary databases of earlier runs left in place (kept for inspection, or still in use).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftover_temp_databases: Vec<String>,
    /// On failure: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
