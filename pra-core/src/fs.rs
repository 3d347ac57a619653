//! Atomic file writes: the bytes go to a hidden temporary name in the destination's
//! directory, are fsynced, get the requested mode, are renamed over the destination,
//! and the directory is fsynced, so a crash leaves the old file or the new one, never
//! half of one (DESIGN.md: nothing half-written ever carries a final name).
//!
//! The repository's local driver streams through [`AtomicFile`]; small files (the
//! Prometheus textfile, pra-notify's state) use [`write_atomic`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Creates a directory and its parents with mode 0700.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

/// Creates a directory and its missing parents, each with exactly `mode` (set after
/// the mkdir, so that a umask such as systemd's `UMask=0077` cannot narrow it).
pub fn create_dir_with_mode(path: &Path, mode: u32) -> io::Result<()> {
    let missing: Vec<&Path> = path.ancestors().take_while(|p| !p.exists()).collect();
    for dir in missing.into_iter().rev() {
        match fs::DirBuilder::new().mode(mode).create(dir) {
            Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(mode))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// fsyncs a directory so that a rename or create inside it is durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Writes `bytes` to `path` atomically with permissions `mode` (e.g. 0o600), whatever
/// the umask. The directory must exist.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = AtomicFile::create(path, mode)?;
    file.write_all(bytes)?;
    file.commit().map(drop)
}

/// A file being written under a temporary name, renamed to its destination by
/// [`AtomicFile::commit`]; dropped without a commit, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    tmp: PathBuf,
    dest: PathBuf,
    mode: u32,
    committed: bool,
}

/// Tells the temporary names of one process apart (two threads, same nanosecond).
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl AtomicFile {
    /// Starts writing `dest` (its directory must exist); it will get `mode`.
    ///
    /// The temporary name is `.<name>.tmp.<pid>.<nanos>.<seq>`: repository listings skip
    /// hidden names and the node_exporter collector reads only `*.prom`.
    pub fn create(dest: &Path, mode: u32) -> io::Result<AtomicFile> {
        let dir = parent_dir(dest);
        let name = dest
            .file_name()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} has no file name", dest.display()),
                )
            })?
            .to_string_lossy()
            .into_owned();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut attempt = 0;
        loop {
            let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.tmp.{}.{nanos}.{seq}", std::process::id()));
            // Private while being written; the final mode is set before the rename.
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
            {
                Ok(file) => {
                    return Ok(AtomicFile {
                        file,
                        tmp,
                        dest: dest.to_path_buf(),
                        mode,
                        committed: false,
                    })
                }
                // A leftover of a crashed process that had our pid: take another name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 10 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The open temporary file (to hint the kernel about writeback, for example).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// fsyncs the file, sets its mode, renames it to its destination and fsyncs the
    /// directory. Returns the file's size. On error the temporary file is removed.
    pub fn commit(mut self) -> io::Result<u64> {
        self.file.sync_all()?;
        self.file
            .set_permissions(fs::Permissions::from_mode(self.mode))?;
        let size = self.file.metadata()?.len();
        fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        sync_dir(&parent_dir(&self.dest))?;
        Ok(size)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: what was written never gets the final name.
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The directory of `path`; `.` for a bare file name.
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_content_with_the_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"first", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(mode(&path), 0o600);
        // Replacing an existing file, with a wider mode than the temp file's.
        write_atomic(&path, b"second", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(mode(&path), 0o644);
        assert_eq!(names(dir.path()), ["state.json"]);
    }

    #[test]
    fn a_failed_write_leaves_no_temp_and_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        // The rename fails: the destination is a non-empty directory.
        let dest = dir.path().join("taken");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("inside"), b"x").unwrap();
        assert!(write_atomic(&dest, b"new", 0o600).is_err());
        assert_eq!(names(dir.path()), ["taken"]);
        assert_eq!(names(&dest), ["inside"]);
        // A missing directory: an error, nothing created.
        let missing = dir.path().join("no/such/file");
        assert!(write_atomic(&missing, b"x", 0o600).is_err());
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[test]
    fn an_uncommitted_file_is_removed_and_never_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        fs::write(&path, b"old").unwrap();
        let mut f = AtomicFile::create(&path, 0o600).unwrap();
        f.write_all(b"half").unwrap();
        assert_eq!(names(dir.path()).len(), 2, "the temp file exists meanwhile");
        assert!(names(dir.path())
            .iter()
            .any(|n| n.starts_with(".data.tmp.")));
        drop(f);
        assert_eq!(names(dir.path()), ["data"]);
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn commit_returns_the_size_and_bare_names_use_the_current_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create(&dir.path().join("a"), 0o640).unwrap();
        f.write_all(&[7; 1000]).unwrap();
        assert_eq!(f.commit().unwrap(), 1000);
        assert_eq!(mode(&dir.path().join("a")), 0o640);
        assert_eq!(parent_dir(Path::new("x.prom")), PathBuf::from("."));
    }
}
