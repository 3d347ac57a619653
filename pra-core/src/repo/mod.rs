//! The backup repository (DESIGN.md, "Repository"):
//!
//! ```text
//! <repo>/pra.json                            repository format version
//! <repo>/<stanza>/backup/<id>/manifest.json  written last, atomically: present = complete
//! <repo>/<stanza>/backup/<id>/<data files>   dump.pgc.zst, globals.sql.zst, …
//! <repo>/<stanza>/backup/<id>/verify.json    verdicts of this backup, one per level
//! <repo>/<stanza>/lease                      one writer per stanza (flock; a lease object on object storage)
//! <repo>/<stanza>/lock/<id>.lock             readers of a backup hold it shared
//! ```
//!
//! Versions before the lease kept the writer lock at `<stanza>/lock/stanza.lock`; a
//! writer also takes that one when it exists ([`LEGACY_STANZA_LOCK`]).
//!
//! [`Repository`] speaks in stanzas, backups, manifests and locks; the bytes go
//! through a [`Storage`] backend ([`LocalStorage`] for paths and `file://`).

pub mod access;
mod create;
mod error;
pub mod id;
mod keys;
#[cfg(feature = "object-store")]
pub mod lease;
#[cfg(feature = "object-store")]
mod listings;
pub mod local;
#[cfg(feature = "object-store")]
pub mod object;
#[cfg(feature = "object-store")]
mod object_errors;
#[cfg(feature = "object-store")]
mod object_stream;
pub mod storage;

pub use create::{location_key, INIT_FLAG};
pub use error::RepoError;
pub use id::{backup_id_for, is_valid_backup_id, validate_stanza};
use keys::{backup_key, file_key};
pub use keys::{stanza_lease_key, LEGACY_STANZA_LOCK};
pub use local::LocalStorage;
#[cfg(feature = "object-store")]
pub use object::ObjectStorage;
pub use storage::{Capabilities, FileInfo, LockGuard, LockHolder, LockMode, StagedFile, Storage};

use crate::manifest::{FormatError, Manifest, VerifyRecord};
use crate::redact::redact_url;
use crate::verdicts::Verdicts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::time::{Duration, SystemTime};

/// The repository format this version writes and the newest it reads.
pub const REPO_FORMAT: u32 = 1;

/// Name of the manifest file in a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the verification record in a backup directory.
pub const VERIFY_FILE: &str = "verify.json";

/// `pra.json`: what kind of repository this is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoInfo {
    /// Repository format ([`REPO_FORMAT`]).
    pub format: u32,
    /// When the repository was created.
    pub created_at: DateTime<Utc>,
    /// The pra version that created it.
    pub created_by: String,
    /// Files group-readable (0640, directories 0750) for a monitoring user in the
    /// owner's group (`pra-backup --init --group-readable`); private when absent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_readable: bool,
}

/// A backup directory in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupEntry {
    /// The backup id.
    pub id: String,
    /// True when the manifest is present (the backup is complete).
    pub complete: bool,
}

/// A backup repository.
pub struct Repository {
    storage: Box<dyn Storage>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.storage.describe())
    }
}

/// A reader of a listed file: bounded, and interrupted by a signal.
struct Bounded {
    inner: std::io::Take<Box<dyn Read + Send>>,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Once the cleanup hooks ran (before, the main flow must not unwind: it would
        // unregister them). Not `ErrorKind::Interrupted`: std's copy loops retry it.
        if crate::signals::cleaned_up() {
            if let Err(e) = crate::signals::check() {
                return Err(std::io::Error::other(e.to_string()));
            }
        }
        self.inner.read(buf)
    }
}

impl Repository {
    /// Opens a repository at a path, a `file://` URL, or (feature `object-store`)
    /// `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`.
    ///
    /// Opening does not create anything; the first write does ([`Repository::init`]).
    pub fn open(location: &str) -> Result<Repository, RepoError> {
        if location.trim().is_empty() {
            return Err(RepoError::Location {
                location: String::new(),
                reason: "empty; give --repo PATH or set PRA_REPO".to_string(),
            });
        }
        #[cfg(feature = "object-store")]
        if object::is_object_url(location) {
            return Repository::with_storage(Box::new(ObjectStorage::open(location)?));
        }
        let path = if let Some(rest) = location.strip_prefix("file://") {
            rest.to_string()
        } else if let Some((scheme, _)) = location.split_once("://") {
            return Err(RepoError::Location {
                location: redact_url(location),
                reason: format!(
                    "{scheme}:// repositories are not supported by this build (use a local path, file://, s3://, gs:// or az://)"
                ),
            });
        } else {
            location.to_string()
        };
        let repo = Repository {
            storage: Box::new(LocalStorage::new(&path)),
        };
        // Later writers keep the mode the repository was created with.
        if repo.info()?.is_some_and(|i| i.group_readable) {
            return Ok(Repository {
                storage: Box::new(LocalStorage::new(path).group_readable(true)),
            });
        }
        Ok(repo)
    }

    /// A repository over any storage backend.
    pub fn with_storage(storage: Box<dyn Storage>) -> Result<Repository, RepoError> {
        let repo = Repository { storage };
        repo.check_format()?;
        Ok(repo)
    }

    /// The storage backend (for tools that stream files).
    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// Where the repository is, secrets redacted (for events and logs).
    pub fn location(&self) -> String {
        self.storage.describe()
    }

    /// Reads `pra.json` if present; refuses a newer format.
    pub fn info(&self) -> Result<Option<RepoInfo>, RepoError> {
        match self.storage.read("pra.json") {
            Ok(bytes) => {
                let value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| FormatError::Invalid {
                        what: format!("{}/pra.json", self.location()),
                        reason: e.to_string(),
                    })?;
                let found = value
                    .get("format")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                if found > u64::from(REPO_FORMAT) {
                    return Err(FormatError::TooNew {
                        what: format!("repository {}", self.location()),
                        found: found as u32,
                        supported: REPO_FORMAT,
                    }
                    .into());
                }
                let info = serde_json::from_value(value).map_err(|e| FormatError::Invalid {
                    what: format!("{}/pra.json", self.location()),
                    reason: e.to_string(),
                })?;
                Ok(Some(info))
            }
            Err(RepoError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn check_format(&self) -> Result<(), RepoError> {
        self.info().map(|_| ())
    }

    /// Creates `pra.json` if the repository has none (first write).
    pub fn init(&self) -> Result<(), RepoError> {
        if self.info()?.is_none() {
            let info = RepoInfo {
                format: REPO_FORMAT,
                created_at: crate::time::now(),
                created_by: crate::VERSION.to_string(),
                group_readable: false,
            };
            let mut bytes = serde_json::to_vec_pretty(&info).unwrap_or_default();
            bytes.push(b'\n');
            self.storage.write("pra.json", &bytes)?;
        }
        Ok(())
    }

    /// The stanzas in the repository (those with a `backup/` directory).
    pub fn stanzas(&self) -> Result<Vec<String>, RepoError> {
        let mut out = Vec::new();
        for name in self.storage.list_dirs("")? {
            if self.storage.list_dirs(&name)?.iter().any(|d| d == "backup") {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// The backups of a stanza, oldest first, complete or not.
    pub fn backups(&self, stanza: &str) -> Result<Vec<BackupEntry>, RepoError> {
        validate_stanza(stanza)?;
        let prefix = format!("{stanza}/backup");
        let ids = self.storage.list_dirs(&prefix)?;
        if !self.storage.capabilities().directories {
            // Two paginated listings instead of a request per backup: rotate and status
            // stay fast on a bucket of thousands of backups.
            let manifests: std::collections::HashSet<String> = self
                .storage
                .list_tree(&prefix)?
                .into_iter()
                .filter_map(|f| {
                    f.name
                        .strip_suffix(&format!("/{MANIFEST_FILE}"))
                        .map(str::to_string)
                })
                .collect();
            return Ok(ids
                .into_iter()
                .map(|id| BackupEntry {
                    complete: manifests.contains(&id),
                    id,
                })
                .collect());
        }
        let mut out = Vec::new();
        for id in ids {
            let complete = self
                .storage
                .size(&format!("{}/{MANIFEST_FILE}", backup_key(stanza, &id)))?
                .is_some();
            out.push(BackupEntry { id, complete });
        }
        Ok(out)
    }

    /// The manifests of the complete backups of a stanza, oldest first.
    pub fn complete_backups(&self, stanza: &str) -> Result<Vec<Manifest>, RepoError> {
        let mut out = Vec::new();
        for b in self.backups(stanza)?.into_iter().filter(|b| b.complete) {
            out.push(self.read_manifest(stanza, &b.id)?);
        }
        Ok(out)
    }

    /// Reads the manifest of a backup.
    pub fn read_manifest(&self, stanza: &str, id: &str) -> Result<Manifest, RepoError> {
        let key = format!("{}/{MANIFEST_FILE}", backup_key(stanza, id));
        let bytes = self.storage.read(&key)?;
        Ok(Manifest::from_json(&bytes, &key)?)
    }

    /// Writes the manifest of a backup, atomically: this makes the backup complete.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<(), RepoError> {
        let key = format!(
            "{}/{MANIFEST_FILE}",
            backup_key(&manifest.stanza, &manifest.id)
        );
        self.storage.write(&key, &manifest.to_json())
    }

    /// Reads the verdicts of a backup (`verify.json`, either format), if any.
    pub fn read_verify(&self, stanza: &str, id: &str) -> Result<Option<Verdicts>, RepoError> {
        let key = format!("{}/{VERIFY_FILE}", backup_key(stanza, id));
        match self.storage.read(&key) {
            Ok(bytes) => Ok(Some(Verdicts::from_json(&bytes, &key)?)),
            Err(RepoError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records a verification of a backup, merged into its verdicts so that none
    /// weakens ([`Verdicts::merge`]), written atomically.
    pub fn write_verify(&self, stanza: &str, record: &VerifyRecord) -> Result<(), RepoError> {
        let id = &record.backup_id;
        let mut verdicts = match self.read_verify(stanza, id) {
            Ok(v) => v.unwrap_or_else(|| Verdicts::new(id)),
            // A damaged file would otherwise block every later verdict; a newer
            // format is kept (refused below by the `?`), never overwritten.
            Err(RepoError::Format(e @ FormatError::Invalid { .. })) => {
                log::warn!("{e}: replaced by the new verdict");
                Verdicts::new(id)
            }
            Err(e) => return Err(e),
        };
        verdicts.merge(record);
        let key = format!("{}/{VERIFY_FILE}", backup_key(stanza, id));
        self.storage.write(&key, &verdicts.to_json())
    }

    /// Reserves a new backup id for a backup started at `started` (a suffix `-1`, `-2`
    /// … when the second is taken) and creates its directory.
    pub fn new_backup(&self, stanza: &str, started: DateTime<Utc>) -> Result<String, RepoError> {
        validate_stanza(stanza)?;
        self.init()?;
        let base = backup_id_for(started);
        for n in 0..1000 {
            let id = if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            if self
                .storage
                .create_dir_exclusive(&backup_key(stanza, &id))?
            {
                return Ok(id);
            }
        }
        Err(RepoError::InvalidName(format!(
            "no free backup id for {base} after 1000 tries"
        )))
    }

    /// Starts writing a file of a backup; it gets its name on commit.
    pub fn create_file(
        &self,
        stanza: &str,
        id: &str,
        name: &str,
    ) -> Result<Box<dyn StagedFile>, RepoError> {
        self.storage.create(&file_key(stanza, id, name)?)
    }

    /// Opens a file of a backup for reading.
    pub fn open_file(
        &self,
        stanza: &str,
        id: &str,
        name: &str,
    ) -> Result<Box<dyn Read + Send>, RepoError> {
        self.storage.open(&file_key(stanza, id, name)?)
    }

    /// Opens a file a manifest lists, for reading at most one byte more than its
    /// recorded stored size (so a longer file is caught as a size mismatch, never
    /// read on and on), and failing once SIGINT or SIGTERM arrived: the long loops
    /// that read backups stay bounded and interruptible.
    pub fn open_listed(
        &self,
        manifest: &Manifest,
        file: &crate::manifest::ManifestFile,
    ) -> Result<Box<dyn Read + Send>, RepoError> {
        let inner = self.open_file(&manifest.stanza, &manifest.id, &file.name)?;
        Ok(Box::new(Bounded {
            inner: inner.take(file.stored_bytes.saturating_add(1)),
        }))
    }

    /// Size of a file of a backup, `None` when missing.
    pub fn file_size(&self, stanza: &str, id: &str, name: &str) -> Result<Option<u64>, RepoError> {
        self.storage.size(&file_key(stanza, id, name)?)
    }

    /// The files present in a backup directory (temporary files excluded).
    pub fn list_backup_files(&self, stanza: &str, id: &str) -> Result<Vec<FileInfo>, RepoError> {
        self.storage.list_files(&backup_key(stanza, id))
    }

    /// When a backup directory was last modified (for the age of incomplete backups).
    pub fn backup_modified(&self, stanza: &str, id: &str) -> Result<Option<SystemTime>, RepoError> {
        self.storage.modified(&backup_key(stanza, id))
    }

    /// Deletes a backup: the manifest first (so an interrupted delete never leaves
    /// something that looks complete), then the rest. Returns the bytes freed.
    pub fn delete_backup(&self, stanza: &str, id: &str) -> Result<u64, RepoError> {
        let key = backup_key(stanza, id);
        let manifest_bytes = self
            .storage
            .size(&format!("{key}/{MANIFEST_FILE}"))?
            .unwrap_or(0);
        self.storage.delete(&format!("{key}/{MANIFEST_FILE}"))?;
        let freed = self.storage.delete_prefix(&key)?;
        self.storage.delete(&format!("{stanza}/lock/{id}.lock"))?;
        Ok(freed + manifest_bytes)
    }

    /// Takes the stanza's writer lock (one writer at a time), waiting up to `wait`.
    pub fn lock_stanza(
        &self,
        stanza: &str,
        tool: &str,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, RepoError> {
        validate_stanza(stanza)?;
        self.init()?;
        let deadline = std::time::Instant::now() + wait;
        let holder = LockHolder::this_process(tool);
        let take = |key: &str, wait: Duration| {
            self.storage
                .lock(key, &holder, LockMode::Exclusive, wait)
                .map_err(|e| match e {
                    RepoError::Locked { holder, .. } => RepoError::Locked {
                        what: format!("stanza {stanza:?}"),
                        holder,
                    },
                    other => other,
                })
        };
        let lease = take(&stanza_lease_key(stanza), wait)?;
        // An older pra still running during an upgrade only knows the legacy key:
        // a repository that has it is locked there too (new writers take the lease
        // first, so two of them never wait for each other on it).
        let legacy = format!("{stanza}/{LEGACY_STANZA_LOCK}");
        if self.storage.size(&legacy)?.is_none() {
            return Ok(lease);
        }
        let rest = deadline.saturating_duration_since(std::time::Instant::now());
        let old = take(&legacy, rest)?;
        Ok(Box::new(BothLocks(lease, old)))
    }

    /// Takes a lock on one backup: shared for readers (verify, restore), exclusive
    /// for deleting (rotate). Never waits.
    pub fn lock_backup(
        &self,
        stanza: &str,
        id: &str,
        tool: &str,
        mode: LockMode,
    ) -> Result<Box<dyn LockGuard>, RepoError> {
        self.storage
            .lock(
                &format!("{stanza}/lock/{id}.lock"),
                &LockHolder::this_process(tool),
                mode,
                Duration::ZERO,
            )
            .map_err(|e| match e {
                RepoError::Locked { holder, .. } => RepoError::Locked {
                    what: format!("backup {stanza}/{id}"),
                    holder,
                },
                other => other,
            })
    }
}

/// The lease and the legacy lock, released together (held, never read).
struct BothLocks(
    #[allow(dead_code)] Box<dyn LockGuard>,
    #[allow(dead_code)] Box<dyn LockGuard>,
);

impl LockGuard for BothLocks {}

#[cfg(test)]
mod tests;
