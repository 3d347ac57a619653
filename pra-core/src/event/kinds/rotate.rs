//! Fields of `rotate` events (pra-rotate): one event per stanza (and repository)
//! to which a retention policy was applied.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A backup the run kept, and every reason it was kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KeptBackup {
    /// The backup id, e.g. `20261125T110000Z`.
    pub id: String,
    /// Why it was kept: policy rules (`last`, `hourly`, `daily`, `weekly`, `monthly`,
    /// `yearly`, `within`), safety rules (`newest`, `newest-verified`,
    /// `after-now`, `unreadable manifest: …`, `locked by …`).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The level of the verdict that makes it verified (`checksum` or `restore`);
    /// absent when it is not verified (`pra_core::verdicts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_level: Option<String>,
}

/// A backup that could not be deleted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FailedDelete {
    /// The backup id.
    pub id: String,
    /// What went wrong, in plain words.
    pub error: String,
}

/// The retention policy applied to one stanza by pra-rotate.
///
/// The envelope's `status` is `error` when a delete failed or the stanza could not
/// be rotated at all (what was deleted is still listed), `warn` when the stanza has
/// no backups or a manifest could not be read, `ok` otherwise.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RotateFields {
    /// The repository, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// True when nothing was deleted on purpose (`--dry-run`): `deleted` and
    /// `freed_bytes` say what a real run would delete and free.
    #[serde(default)]
    pub dry_run: bool,
    /// The policy in words, e.g. `keep 7 daily, 4 weekly (buckets in UTC)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Time zone of the calendar buckets: `utc` or `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The time the plan was made as of (`--now`, default the current time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_at: Option<DateTime<Utc>>,
    /// Complete backups kept, newest first, each with its reasons.
    #[serde(default)]
    pub kept: Vec<KeptBackup>,
    /// Complete backups deleted (or, in a dry run, to be deleted), newest first.
    #[serde(default)]
    pub deleted: Vec<String>,
    /// Incomplete backups (no manifest) deleted: older than `--prune-incomplete-after`,
    /// or older than the newest complete backup (a crashed backup, an interrupted delete).
    #[serde(default)]
    pub incomplete_deleted: Vec<String>,
    /// Incomplete backups left alone (young: they may be in progress, or locked).
    #[serde(default)]
    pub incomplete_kept: Vec<String>,
    /// Backups whose delete failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedDelete>,
    /// Archived WAL files deleted (or, in a dry run, to be deleted) because no kept
    /// physical backup needs them (older than every kept backup's start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wal_deleted: Vec<String>,
    /// Bytes freed in the repository (in a dry run: bytes a real run would free).
    #[serde(default)]
    pub freed_bytes: u64,
    /// Wall time of the stanza's rotation.
    #[serde(default)]
    pub duration_s: f64,
    /// When the whole stanza failed (lock held, unreadable repository): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
