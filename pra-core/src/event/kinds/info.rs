//! Fields of `info` events (pra-info): what a repository holds, one event per
//! repository, per stanza and per backup (complete or not), so that `jq` answers
//! "what is there?" without reading manifests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an `info` event describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InfoItem {
    /// The repository as a whole (`pra.json`).
    #[default]
    Repository,
    /// One stanza: its backups counted, its lock holder.
    Stanza,
    /// One backup, complete or not.
    Backup,
}

/// The verdict of one verification level of a backup (`verify.json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InfoVerdict {
    /// `manifest`, `checksum` or `restore`.
    pub level: String,
    /// `ok` or `error`.
    pub status: String,
    /// When that verification finished.
    pub verified_at: Option<DateTime<Utc>>,
    /// Its age when pra-info ran.
    #[serde(default)]
    pub age_s: f64,
}

/// One `info` event. Which fields are present depends on `item`: the repository's
/// (`format`, `created_at`, `stanzas`), a stanza's (`backups`, `incomplete`,
/// `stored_bytes`, `lock_holder`) or a backup's (everything else).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InfoFields {
    /// What this event describes.
    pub item: InfoItem,
    /// The repository, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Repository format (`pra.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<u32>,
    /// When the repository was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// The repository's stanzas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stanzas: Vec<String>,
    /// A stanza's complete backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<u64>,
    /// A stanza's incomplete backups (no manifest: in progress, or leftovers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<u64>,
    /// Who holds the stanza's writer lock, in words (`pra-backup (pid 42 on db1, since …)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_holder: Option<String>,
    /// The backup id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// False for a backup without a manifest (in progress or a leftover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
    /// `logical` or `physical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_kind: Option<String>,
    /// When the backup started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// How long it took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Bytes before compression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<u64>,
    /// Bytes stored (a stanza: all its backups, leftovers included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_bytes: Option<u64>,
    /// The database backed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The server's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// Every level's verdict, weakest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<InfoVerdict>,
    /// The level that makes it verified (`checksum` or `restore`), if verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_level: Option<String>,
    /// `keep` or `delete`: what the retention policy given (`--keep-*`, `PRA_KEEP_*`)
    /// would do; absent without a policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    /// Why the policy keeps it (`daily`, `newest`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retention_reasons: Vec<String>,
    /// An incomplete backup's age (from its directory's modification time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_s: Option<f64>,
}
