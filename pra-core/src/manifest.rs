//! The backup manifest (`manifest.json`, written last: present = backup complete)
//! and the verification record (`verify.json`) beside it.
//!
//! Both carry a `format` number. A reader refuses a format newer than it knows,
//! with an error that says to upgrade pra, rather than misreading it.

use crate::codec::Codec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The manifest format this version writes and the newest it reads.
pub const MANIFEST_FORMAT: u32 = 1;

/// The verify-record format this version writes and the newest it reads: 1 held one
/// record per backup, 2 one verdict per level ([`crate::verdicts::Verdicts`]).
pub const VERIFY_FORMAT: u32 = 2;

/// Logical (`pg_dump`) or physical (data directory + WAL) backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// A `pg_dump` of one database plus the cluster's globals.
    Logical,
    /// A copy of the data directory, restorable to a point in time with WAL.
    Physical,
}

impl BackupKind {
    /// The files a backup of this kind cannot be restored without: a logical backup
    /// is its dump and the globals beside it (pra-backup always writes both), a
    /// physical one at least one data file.
    pub fn required_files(self) -> &'static [FileRole] {
        match self {
            BackupKind::Logical => &[FileRole::Dump, FileRole::Globals],
            BackupKind::Physical => &[FileRole::Data],
        }
    }

    /// The name used in JSON (`logical`, `physical`).
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Logical => "logical",
            BackupKind::Physical => "physical",
        }
    }
}

/// What a file of a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// `pg_dump --format=custom` output.
    Dump,
    /// `pg_dumpall --globals-only` output (roles, tablespaces).
    Globals,
    /// Anything else (physical backups: data files, tar streams).
    Data,
}

impl FileRole {
    /// The name used in JSON (`dump`, `globals`, `data`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Dump => "dump",
            FileRole::Globals => "globals",
            FileRole::Data => "data",
        }
    }
}

/// One stored file of a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// File name inside the backup directory, e.g. `dump.pgc.zst`.
    pub name: String,
    /// What the file holds.
    pub role: FileRole,
    /// Size before compression and encryption.
    pub raw_bytes: u64,
    /// Size as stored.
    pub stored_bytes: u64,
    /// sha256 of the raw bytes (hex).
    pub raw_sha256: String,
    /// sha256 of the stored bytes (hex).
    pub stored_sha256: String,
    /// Compression codec.
    pub codec: Codec,
    /// Encryption (age) and the recipients' fingerprints, if encrypted; never a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::crypt::Encryption>,
}

impl ManifestFile {
    /// The record of file `name`, written with `codec` (and `encryption`), from the
    /// digests its encoder returned.
    pub fn from_digests(
        name: &str,
        role: FileRole,
        codec: Codec,
        encryption: Option<crate::crypt::Encryption>,
        d: &crate::codec::Digests,
    ) -> ManifestFile {
        ManifestFile {
            name: name.to_string(),
            role,
            raw_bytes: d.raw.bytes,
            stored_bytes: d.stored.bytes,
            raw_sha256: d.raw.sha256.clone(),
            stored_sha256: d.stored.sha256.clone(),
            codec,
            encryption,
        }
    }
}

/// The exact row count of one table, taken in the dump's own snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// Rows in the snapshot; `None` when not counted (`--count-rows none`).
    pub rows: Option<u64>,
}

impl TableRows {
    /// `schema.table`, quoted only where SQL needs it is the caller's business; this is for people.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// Everything known about a complete backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format number ([`MANIFEST_FORMAT`]).
    pub format: u32,
    /// Backup id: UTC start time `20261125T110000Z`, with a suffix if taken.
    pub id: String,
    /// The stanza (what is backed up).
    pub stanza: String,
    /// Logical or physical.
    pub kind: BackupKind,
    /// When the backup started.
    pub started_at: DateTime<Utc>,
    /// When the last file was written.
    pub finished_at: DateTime<Utc>,
    /// Server version string, e.g. `15.18`.
    pub server_version: String,
    /// `server_version_num`, e.g. 150018.
    pub server_version_num: u32,
    /// The cluster's system identifier (`pg_control_system()`).
    pub system_identifier: String,
    /// The database backed up (logical backups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `pg_database_size` at the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_size_bytes: Option<u64>,
    /// The database's database-level state (owner, comment, privileges, settings),
    /// which the dump itself does not carry; absent in backups of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_state: Option<crate::dbstate::DatabaseState>,
    /// The `pra-backup --all-databases` run the backup belongs to (the run's start, as
    /// a backup id): `pra-restore --all-stanzas --backup RUN_ID` restores the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// WAL position (LSN) of the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_lsn: Option<String>,
    /// Timeline of the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<u32>,
    /// The stored files.
    pub files: Vec<ManifestFile>,
    /// Per-table row counts taken in the dump's snapshot.
    #[serde(default)]
    pub tables: Vec<TableRows>,
    /// The pra version that wrote the backup.
    pub tool_version: String,
    /// Fields written by newer versions of the same format, kept on rewrite.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    /// Total stored bytes of all files.
    pub fn stored_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.stored_bytes).sum()
    }

    /// Total raw bytes of all files.
    pub fn raw_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.raw_bytes).sum()
    }

    /// The file with a given role (the first one).
    pub fn file(&self, role: FileRole) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.role == role)
    }

    /// What the file list lacks for the backup's kind ([`BackupKind::required_files`]),
    /// in plain words; empty when complete. Not checked on parsing: pra-rotate and
    /// pra-info must still see (and remove) such a backup; verification fails it.
    pub fn missing_files(&self) -> Vec<String> {
        self.kind
            .required_files()
            .iter()
            .filter(|role| self.file(**role).is_none())
            .map(|role| {
                format!(
                    "manifest.json lists no {} file, which a {} backup requires",
                    role.as_str(),
                    self.kind.as_str()
                )
            })
            .collect()
    }

    /// Backup duration in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0
    }
}

/// How deep a verification went.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Every file exists with its stored size.
    Manifest,
    /// Stored sha256 and raw size match, the codec decodes (zstd frame checksums, else
    /// the raw sha256), the dump's table of contents reads.
    Checksum,
    /// A test restore into a scratch database with row counts compared.
    Restore,
}

/// One verification of a backup, as pra-verify records it; `verify.json` keeps one per
/// level ([`crate::verdicts::Verdicts`]). Format 1 files are one such record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyRecord {
    /// Record format number ([`VERIFY_FORMAT`]).
    pub format: u32,
    /// The backup verified.
    pub backup_id: String,
    /// How deep.
    pub level: VerifyLevel,
    /// Passed (`ok`) or not (`error`).
    pub status: crate::event::Status,
    /// When the verification finished.
    pub verified_at: DateTime<Utc>,
    /// How long it took.
    pub duration_s: f64,
    /// What failed, in plain words (empty when it passed).
    #[serde(default)]
    pub problems: Vec<String>,
    /// The pra version that verified.
    pub tool_version: String,
    /// Fields written by newer versions of the same format.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Errors reading a manifest or verify record.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not valid JSON or missing fields.
    #[error("{what} is not valid: {reason}")]
    Invalid {
        /// Which document.
        what: String,
        /// Why.
        reason: String,
    },
    /// Written by a newer pra.
    #[error("{what} has format {found}, newer than this pra understands ({supported}); upgrade pra to read it")]
    TooNew {
        /// Which document.
        what: String,
        /// Format found.
        found: u32,
        /// Newest format supported.
        supported: u32,
    },
}

pub(crate) fn parse_versioned<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    supported: u32,
) -> Result<T, FormatError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| FormatError::Invalid {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
    let found = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| FormatError::Invalid {
            what: what.to_string(),
            reason: "no \"format\" number".to_string(),
        })?;
    if found == 0 {
        // Formats start at 1: a 0 is a hand-made or damaged document, not an old one.
        return Err(FormatError::Invalid {
            what: what.to_string(),
            reason: "format 0 is not a format pra ever wrote (formats start at 1)".to_string(),
        });
    }
    if found > u64::from(supported) {
        return Err(FormatError::TooNew {
            what: what.to_string(),
            found: u32::try_from(found).unwrap_or(u32::MAX),
            supported,
        });
    }
    serde_json::from_value(value).map_err(|e| FormatError::Invalid {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// Checks that a manifest's file name is a plain name inside the backup directory:
/// not empty, no `/` or `\\`, not `.` or `..`, no control character (NUL included),
/// at most 255 bytes. A manifest is data from the repository: a name like
/// `../../other/backup/x/dump.pgc.zst` or `/dev/zero` must never become a path.
///
/// The error quotes the name escaped and cut short (it may be hostile).
pub fn check_file_name(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control);
    if bad {
        let shown: String = name.chars().take(80).collect();
        return Err(format!(
            "file name {:?} is not a plain name inside the backup (no /, no .., no control \
             character, not empty)",
            shown
        ));
    }
    Ok(())
}

impl Manifest {
    /// Reads a manifest; `what` names it in errors (e.g. its path). Every file name
    /// is checked ([`check_file_name`]) before any caller can build a path with it.
    pub fn from_json(bytes: &[u8], what: &str) -> Result<Manifest, FormatError> {
        let m: Manifest = parse_versioned(bytes, what, MANIFEST_FORMAT)?;
        for f in &m.files {
            check_file_name(&f.name).map_err(|reason| FormatError::Invalid {
                what: what.to_string(),
                reason,
            })?;
        }
        Ok(m)
    }

    /// The manifest as pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

impl VerifyRecord {
    /// Reads a verify record; `what` names it in errors.
    pub fn from_json(bytes: &[u8], what: &str) -> Result<VerifyRecord, FormatError> {
        parse_versioned(bytes, what, VERIFY_FORMAT)
    }

    /// The record as pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

#[cfg(test)]
pub(crate) mod tests;
