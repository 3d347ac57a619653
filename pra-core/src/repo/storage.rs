//! The storage operations a repository needs, behind one trait, so that an
//! object-storage backend (S3, GCS, Azure) can be added without touching the tools.
//!
//! Keys are `/`-separated paths relative to the repository root. A backend
//! guarantees that a file written through [`Storage::create`] appears under its
//! key only when [`StagedFile::commit`] succeeds, complete and durable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use super::RepoError;

/// Who holds a lock: written into the lock so that a refused tool can name the holder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The tool, e.g. `pra-backup`.
    pub tool: String,
    /// Its process id.
    pub pid: u32,
    /// Its host.
    pub host: String,
    /// Since when it holds the lock.
    pub since: DateTime<Utc>,
}

impl LockHolder {
    /// This process, now.
    pub fn this_process(tool: &str) -> LockHolder {
        LockHolder {
            tool: tool.to_string(),
            pid: std::process::id(),
            host: crate::time::hostname(),
            since: crate::time::now(),
        }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {} on {}, since {})",
            self.tool,
            self.pid,
            self.host,
            crate::time::format_ts(&self.since)
        )
    }
}

/// Exclusive (one writer) or shared (many readers, no writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// One holder at a time; refused while any other holder exists.
    Exclusive,
    /// Any number of shared holders; refused while an exclusive holder exists.
    Shared,
}

/// A held lock; dropping it releases the lock.
pub trait LockGuard: Send {}

/// A file being written; it gets its final name only on [`StagedFile::commit`].
/// Dropping it without committing removes what was written.
pub trait StagedFile: Write + Send {
    /// Makes the file durable and gives it its final name; returns its size.
    fn commit(self: Box<Self>) -> Result<u64, RepoError>;
}

/// One file in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Name (last path component).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// What a driver can do, declared so that callers and the shared driver test
/// suite know which guarantees hold where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Locks die with their holder (`flock`); otherwise they are leases that expire.
    pub process_locks: bool,
    /// Large files are uploaded in parts (object storage multipart uploads).
    pub multipart: bool,
    /// Directories exist on their own (a local tree); otherwise keys are flat and a
    /// "directory" is a prefix that exists while an object is under it.
    pub directories: bool,
}

/// The storage operations of a repository (DESIGN.md, Repository, layer 1: the Store).
pub trait Storage: Send + Sync {
    /// Where the storage is, for people (secrets redacted).
    fn describe(&self) -> String;
    /// What this driver can do.
    fn capabilities(&self) -> Capabilities;
    /// Writes a whole (small) object under `key` only if no object has that key;
    /// false when one already did. Atomic: of two concurrent callers one wins.
    fn put_if_absent(&self, key: &str, bytes: &[u8]) -> Result<bool, RepoError>;
    /// Reads bytes `range` of an object (clamped to its end).
    fn read_range(&self, key: &str, range: std::ops::Range<u64>) -> Result<Vec<u8>, RepoError>;
    /// Starts writing a file under `key` (parents are created as needed).
    fn create(&self, key: &str) -> Result<Box<dyn StagedFile>, RepoError>;
    /// Opens a file for streaming reads.
    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>, RepoError>;
    /// Size of a file, `None` when it does not exist.
    fn size(&self, key: &str) -> Result<Option<u64>, RepoError>;
    /// Last modification time of a file or directory, `None` when it does not exist.
    fn modified(&self, key: &str) -> Result<Option<SystemTime>, RepoError>;
    /// Names of the child directories (prefixes) under `prefix`; hidden names excluded.
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, RepoError>;
    /// The files directly under `prefix`; hidden and temporary names excluded.
    fn list_files(&self, prefix: &str) -> Result<Vec<FileInfo>, RepoError>;
    /// Creates the directory `key` if it does not exist; false when it already did.
    fn create_dir_exclusive(&self, key: &str) -> Result<bool, RepoError>;
    /// Deletes a file; a missing file is not an error.
    fn delete(&self, key: &str) -> Result<(), RepoError>;
    /// Deletes everything under `prefix` (temporary files included); returns the bytes freed.
    fn delete_prefix(&self, prefix: &str) -> Result<u64, RepoError>;
    /// Takes a lock named `key`, waiting up to `wait` when it is held.
    fn lock(
        &self,
        key: &str,
        holder: &LockHolder,
        mode: LockMode,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, RepoError>;

    /// The visible files under `prefix` at any depth, named by their path below it
    /// (`<id>/manifest.json`): one paginated listing on object storage, where asking
    /// object by object would cost a request per backup.
    fn list_tree(&self, prefix: &str) -> Result<Vec<FileInfo>, RepoError> {
        let mut out = Vec::new();
        for dir in self.list_dirs(prefix)? {
            for f in self.list_tree(&format!("{prefix}/{dir}"))? {
                out.push(FileInfo {
                    name: format!("{dir}/{}", f.name),
                    size: f.size,
                });
            }
        }
        out.extend(self.list_files(prefix)?);
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Reads a whole (small) file.
    fn read(&self, key: &str) -> Result<Vec<u8>, RepoError> {
        let mut buf = Vec::new();
        self.open(key)?
            .read_to_end(&mut buf)
            .map_err(|e| RepoError::io(key, e))?;
        Ok(buf)
    }

    /// Writes a whole (small) file atomically.
    fn write(&self, key: &str, bytes: &[u8]) -> Result<(), RepoError> {
        let mut f = self.create(key)?;
        f.write_all(bytes).map_err(|e| RepoError::io(key, e))?;
        f.commit()?;
        Ok(())
    }
}
