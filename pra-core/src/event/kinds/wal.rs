//! Fields of `wal` events (pra-wal): one event per WAL file pushed or fetched.

use serde::{Deserialize, Serialize};

/// One `pra-wal push` or `pra-wal fetch`, written to `--events FILE` (PostgreSQL owns
/// the tool's stdout when it runs as `archive_command` or `restore_command`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WalFields {
    /// `push` or `fetch`.
    pub op: String,
    /// The WAL file name, e.g. `000000010000000000000003` or `00000002.history`.
    pub name: String,
    /// The repositories written or read, secrets redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<String>,
    /// Fetch: whether the file is archived (false is PostgreSQL's normal end of recovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<bool>,
    /// Push: an identical copy was archived already, nothing was written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub already_archived: bool,
    /// Size of the WAL file.
    #[serde(default)]
    pub raw_bytes: u64,
    /// Size as stored (header and zstd stream, encrypted when pushed with keys).
    #[serde(default)]
    pub stored_bytes: u64,
    /// sha256 of the WAL file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Push: fingerprints of the keys the stored object is encrypted to (age;
    /// `passphrase` for passphrase mode); absent when not encrypted. Never a key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encrypted_to: Vec<String>,
    /// Wall time of the push or fetch.
    #[serde(default)]
    pub duration_s: f64,
}
