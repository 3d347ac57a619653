//! The local-filesystem storage backend: a directory tree, private permissions
//! (0700 directories, 0600 files), atomic writes ([`crate::fs::AtomicFile`]: temporary
//! name, fsync, rename, fsync of the directory) and `flock` locks that die with their holder.

use super::storage::{
    Capabilities, FileInfo, LockGuard, LockHolder, LockMode, StagedFile, Storage,
};
use super::RepoError;
use crate::fs::{create_private_dir, sync_dir, AtomicFile};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A repository in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
    /// Group-readable files and directories (`pra.json`'s `group_readable`).
    group_readable: bool,
}

impl LocalStorage {
    /// Storage rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStorage {
            root: root.into(),
            group_readable: false,
        }
    }

    /// The same storage writing group-readable files (0640) and directories (0750),
    /// for a monitoring user in the owner's group; lock files stay private.
    pub fn group_readable(self, on: bool) -> Self {
        LocalStorage {
            group_readable: on,
            ..self
        }
    }

    fn file_mode(&self) -> u32 {
        if self.group_readable {
            0o640
        } else {
            0o600
        }
    }

    /// Creates `dir` and its missing parents, private or group-readable, but never the
    /// parents of the repository itself: a missing one is a backup disk not mounted,
    /// and creating it would fill the root filesystem (issue 22, item 15).
    fn make_dir(&self, dir: &Path) -> io::Result<()> {
        if !self.root.exists() {
            let parent = self.root.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent.filter(|p| !p.is_dir()) {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "the repository's parent directory {} does not exist (a disk not \
                         mounted?); pra never creates it",
                        parent.display()
                    ),
                ));
            }
        }
        if self.group_readable {
            crate::fs::create_dir_with_mode(dir, 0o750)
        } else {
            create_private_dir(dir)
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        let mut p = self.root.clone();
        for part in key.split('/').filter(|p| !p.is_empty()) {
            p.push(part);
        }
        p
    }
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

struct LocalStaged {
    file: AtomicFile,
    key: String,
    /// Bytes written so far, and how far writeback has been started.
    written: u64,
    writeback_from: u64,
}

/// Writeback is started every this many bytes (see [`start_writeback`]).
const WRITEBACK_EVERY: u64 = 8 << 20;

/// Starts writing a range of the file to disk without waiting (Linux
/// `sync_file_range`): a large file then reaches the disk while it is produced, and
/// the fsync of the commit has little left to do instead of seconds of dirty pages.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, from: u64, len: u64) {
    // SAFETY: sync_file_range on a valid descriptor owned by `file`; it only starts
    // asynchronous writeback and its failure is harmless (the commit fsyncs anyway).
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            from as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _from: u64, _len: u64) {}

impl Write for LocalStaged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.writeback_from >= WRITEBACK_EVERY {
            start_writeback(
                self.file.file(),
                self.writeback_from,
                self.written - self.writeback_from,
            );
            self.writeback_from = self.written;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StagedFile for LocalStaged {
    fn commit(self: Box<Self>) -> Result<u64, RepoError> {
        // Dropped uncommitted (an error before this), the AtomicFile removes its temp.
        let LocalStaged { file, key, .. } = *self;
        file.commit().map_err(|e| RepoError::io(&key, e))
    }
}

struct LocalLock {
    file: File,
    exclusive: bool,
}

impl LockGuard for LocalLock {}

impl Drop for LocalLock {
    fn drop(&mut self) {
        // The exclusive holder clears its note before the flock goes (when the file
        // closes), so that a later refusal never names a holder that has left.
        if self.exclusive {
            let _ = self.file.set_len(0);
        }
    }
}

fn flock(file: &File, mode: LockMode) -> io::Result<bool> {
    let op = match mode {
        LockMode::Exclusive => libc::LOCK_EX,
        LockMode::Shared => libc::LOCK_SH,
    } | libc::LOCK_NB;
    // SAFETY: flock on a valid open file descriptor owned by `file`.
    let rc = unsafe { libc::flock(file.as_raw_fd(), op) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

impl Storage for LocalStorage {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            process_locks: true,
            multipart: false,
            directories: true,
        }
    }

    fn put_if_absent(&self, key: &str, bytes: &[u8]) -> Result<bool, RepoError> {
        let dest = self.path(key);
        let dir = dest
            .parent()
            .ok_or_else(|| RepoError::io(key, io::Error::other("no parent directory")))?;
        self.make_dir(dir).map_err(|e| RepoError::io(key, e))?;
        // Written and fsynced under a hidden name, then hard-linked: link(2) fails when
        // the name exists, so the object appears complete or not at all, and only once.
        let tmp = dir.join(format!(
            ".put.{}.{}",
            std::process::id(),
            crate::time::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.set_permissions(std::fs::Permissions::from_mode(self.file_mode()))?;
            f.write_all(bytes)?;
            f.sync_all()?;
            match fs::hard_link(&tmp, &dest) {
                Ok(()) => sync_dir(dir).map(|()| true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        })();
        let _ = fs::remove_file(&tmp);
        result.map_err(|e| RepoError::io(key, e))
    }

    fn read_range(&self, key: &str, range: std::ops::Range<u64>) -> Result<Vec<u8>, RepoError> {
        let mut f = match File::open(self.path(key)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(RepoError::NotFound(key.to_string()))
            }
            Err(e) => return Err(RepoError::io(key, e)),
        };
        f.seek(io::SeekFrom::Start(range.start))
            .map_err(|e| RepoError::io(key, e))?;
        let mut out = Vec::new();
        f.take(range.end.saturating_sub(range.start))
            .read_to_end(&mut out)
            .map_err(|e| RepoError::io(key, e))?;
        Ok(out)
    }

    fn create(&self, key: &str) -> Result<Box<dyn StagedFile>, RepoError> {
        let dest = self.path(key);
        let dir = dest
            .parent()
            .ok_or_else(|| RepoError::io(key, io::Error::other("no parent directory")))?;
        self.make_dir(dir).map_err(|e| RepoError::io(key, e))?;
        let file =
            AtomicFile::create(&dest, self.file_mode()).map_err(|e| RepoError::io(key, e))?;
        Ok(Box::new(LocalStaged {
            file,
            key: key.to_string(),
            written: 0,
            writeback_from: 0,
        }))
    }

    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>, RepoError> {
        match File::open(self.path(key)) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(RepoError::NotFound(key.to_string()))
            }
            Err(e) => Err(RepoError::io(key, e)),
        }
    }

    fn size(&self, key: &str) -> Result<Option<u64>, RepoError> {
        match fs::metadata(self.path(key)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RepoError::io(key, e)),
        }
    }

    fn modified(&self, key: &str) -> Result<Option<SystemTime>, RepoError> {
        match fs::metadata(self.path(key)) {
            Ok(m) => Ok(Some(m.modified().map_err(|e| RepoError::io(key, e))?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RepoError::io(key, e)),
        }
    }

    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, RepoError> {
        let mut out: Vec<String> = visible_entries(&self.path(prefix), prefix)?
            .into_iter()
            .filter(|(_, meta)| meta.is_dir())
            .map(|(name, _)| name)
            .collect();
        out.sort();
        Ok(out)
    }

    fn list_files(&self, prefix: &str) -> Result<Vec<FileInfo>, RepoError> {
        let mut out: Vec<FileInfo> = visible_entries(&self.path(prefix), prefix)?
            .into_iter()
            .filter(|(_, meta)| meta.is_file())
            .map(|(name, meta)| FileInfo {
                name,
                size: meta.len(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn create_dir_exclusive(&self, key: &str) -> Result<bool, RepoError> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            self.make_dir(parent).map_err(|e| RepoError::io(key, e))?;
        }
        match fs::DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => {
                if self.group_readable {
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o750))
                        .map_err(|e| RepoError::io(key, e))?;
                }
                if let Some(parent) = path.parent() {
                    sync_dir(parent).map_err(|e| RepoError::io(key, e))?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(RepoError::io(key, e)),
        }
    }

    fn delete(&self, key: &str) -> Result<(), RepoError> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(parent) = path.parent() {
                    sync_dir(parent).map_err(|e| RepoError::io(key, e))?;
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RepoError::io(key, e)),
        }
    }

    fn delete_prefix(&self, prefix: &str) -> Result<u64, RepoError> {
        let path = self.path(prefix);
        let mut freed = 0;
        if !path.exists() {
            return Ok(0);
        }
        for entry in file_sizes(&path).map_err(|e| RepoError::io(prefix, e))? {
            freed += entry;
        }
        fs::remove_dir_all(&path).map_err(|e| RepoError::io(prefix, e))?;
        if let Some(parent) = path.parent() {
            sync_dir(parent).map_err(|e| RepoError::io(prefix, e))?;
        }
        Ok(freed)
    }

    fn lock(
        &self,
        key: &str,
        holder: &LockHolder,
        mode: LockMode,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, RepoError> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            self.make_dir(dir).map_err(|e| RepoError::io(key, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| RepoError::io(key, e))?;
        let deadline = Instant::now() + wait;
        loop {
            if flock(&file, mode).map_err(|e| RepoError::io(key, e))? {
                break;
            }
            // A stopping run (SIGTERM) gives up at once rather than wait out `wait`.
            if Instant::now() >= deadline || crate::signals::stopping() {
                let mut note = String::new();
                let _ = file.read_to_string(&mut note);
                let holder = serde_json::from_str::<LockHolder>(note.trim())
                    .map(|h| h.to_string())
                    .unwrap_or_else(|_| {
                        "another pra process (a reader such as pra-verify or pra-restore)"
                            .to_string()
                    });
                return Err(RepoError::Locked {
                    what: key.to_string(),
                    holder,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if mode == LockMode::Exclusive {
            let note = serde_json::to_vec(holder).unwrap_or_default();
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(&note))
                .and_then(|()| file.flush())
                .map_err(|e| RepoError::io(key, e))?;
        }
        Ok(Box::new(LocalLock {
            file,
            exclusive: mode == LockMode::Exclusive,
        }))
    }
}

/// The entries of a directory whose names are not hidden (temporary files are
/// hidden), with their metadata; a missing directory has none.
fn visible_entries(dir: &Path, key: &str) -> Result<Vec<(String, fs::Metadata)>, RepoError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RepoError::io(key, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RepoError::io(key, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_hidden(&name) {
            out.push((name, entry.metadata().map_err(|e| RepoError::io(key, e))?));
        }
    }
    Ok(out)
}

fn file_sizes(path: &Path) -> io::Result<Vec<u64>> {
    let mut sizes = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                sizes.push(meta.len());
            }
        }
    }
    Ok(sizes)
}
