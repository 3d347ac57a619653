//! Fields of `backup` events (pra-backup).

use serde::{Deserialize, Serialize};

/// One stored file of a backup, as the event reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    /// File name inside the backup directory, e.g. `dump.pgc.zst`.
    pub name: String,
    /// Size before compression and encryption.
    pub raw_bytes: u64,
    /// Size as stored in the repository.
    pub stored_bytes: u64,
    /// sha256 of the raw bytes (hex).
    pub raw_sha256: String,
    /// sha256 of the stored bytes (hex).
    pub stored_sha256: String,
}

/// A backup taken (or failed) by pra-backup.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BackupFields {
    /// The backup id, e.g. `20261125T110000Z`. Absent when the backup failed before it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The repository (or repositories), secrets redacted.
    #[serde(default)]
    pub repo: Vec<String>,
    /// The database backed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `logical` or `physical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_type: Option<String>,
    /// The files written.
    #[serde(default)]
    pub files: Vec<FileSummary>,
    /// Total raw bytes.
    #[serde(default)]
    pub raw_bytes: u64,
    /// Total stored bytes.
    #[serde(default)]
    pub stored_bytes: u64,
    /// Wall time of the backup.
    #[serde(default)]
    pub duration_s: f64,
    /// Raw bytes per second.
    #[serde(default)]
    pub throughput_bytes_per_s: f64,
    /// WAL position of the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_lsn: Option<String>,
    /// Number of tables counted.
    #[serde(default)]
    pub tables: u64,
    /// Total rows counted in the snapshot.
    #[serde(default)]
    pub rows: u64,
    /// Server version, e.g. `15.18`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// On failure: what went wrong, with the last lines of the child's stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Compression codec of the stored files (`zstd`, `gzip`, `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Fingerprints of the keys the stored files are encrypted to (age; `passphrase`
    /// for passphrase mode); absent when not encrypted. Never a key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encrypted_to: Vec<String>,
    /// What deserves attention in a backup that succeeded (status `warn`), e.g. globals
    /// taken without role passwords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
