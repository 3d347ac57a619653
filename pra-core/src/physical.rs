//! The `physical` section of a physical backup's manifest (`pra-backup --physical`,
//! `pra-restore --physical`): WAL positions, tablespaces, and where each stored object
//! goes in the data directory. Objects have plain numbered names (`f000001.zst`), so
//! that file names in a manifest never hold `/`; the paths live here, and are checked
//! ([`PhysicalSection::check_paths`]) before any is joined to a directory.

use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};

/// The object holding `backup_label` (what pg_backup_stop returned).
pub const BACKUP_LABEL: &str = "backup_label";
/// The object holding `tablespace_map`.
pub const TABLESPACE_MAP: &str = "tablespace_map";

/// One copied file: where it goes and which object holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhysicalFile {
    /// Path relative to the data directory (`base/5/16384`), or, for a tablespace,
    /// `pg_tblspc/<oid>/<path inside the tablespace directory>`.
    pub path: String,
    /// The object in the backup (a name of the manifest's `files`).
    pub object: String,
    /// Unix permission bits.
    pub mode: u32,
}

/// A tablespace: its oid and where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tablespace {
    /// The tablespace's oid (its link name under `pg_tblspc`).
    pub oid: u32,
    /// Its directory on the server.
    pub location: String,
}

/// The manifest's `physical` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PhysicalSection {
    /// WAL position where the backup starts (replay starts here).
    pub start_lsn: String,
    /// WAL position where it ends (consistent from here).
    pub stop_lsn: String,
    /// The first WAL segment recovery needs.
    pub start_wal: String,
    /// The last WAL segment recovery needs to be consistent.
    pub stop_wal: String,
    /// The server's WAL segment size in bytes (16 MiB unless initdb said otherwise).
    #[serde(default = "default_segment_size")]
    pub wal_segment_size: u64,
    /// The data directory on the server.
    pub data_directory: String,
    /// The tablespaces outside it.
    pub tablespaces: Vec<Tablespace>,
    /// Directories to create, relative to the data directory.
    pub dirs: Vec<String>,
    /// Files and their objects.
    pub files: Vec<PhysicalFile>,
}

fn default_segment_size() -> u64 {
    crate::wal::DEFAULT_SEGMENT_SIZE
}

impl PhysicalSection {
    /// The section of a physical manifest.
    pub fn of(manifest: &Manifest) -> Option<PhysicalSection> {
        serde_json::from_value(manifest.extra.get("physical")?.clone()).ok()
    }

    /// Refuses a path that could leave the data directory (absolute, `..`, empty),
    /// and an object name that is not a plain name: a hostile manifest must not write
    /// outside the restore target.
    pub fn check_paths(&self) -> Result<(), String> {
        let bad_path = |p: &str| {
            p.is_empty()
                || p.starts_with('/')
                || p.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        };
        for d in &self.dirs {
            if bad_path(d) {
                return Err(format!(
                    "directory {d:?} is not a relative path inside the data directory"
                ));
            }
        }
        for f in &self.files {
            if bad_path(&f.path) {
                return Err(format!(
                    "file {:?} is not a relative path inside the data directory",
                    f.path
                ));
            }
            if f.object.is_empty() || f.object.contains('/') || f.object.starts_with('.') {
                return Err(format!("object name {:?} is not a plain name", f.object));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_data_directory_are_refused() {
        let file = |path: &str, object: &str| PhysicalFile {
            path: path.into(),
            object: object.into(),
            mode: 0o600,
        };
        let mut s = PhysicalSection {
            dirs: vec!["base/1".into()],
            files: vec![file("base/1/1259", "f000001.zst")],
            ..PhysicalSection::default()
        };
        s.check_paths().unwrap();
        for (path, object) in [
            ("../etc/passwd", "f1.zst"),
            ("/etc/passwd", "f1.zst"),
            ("base//x", "f1.zst"),
            ("base/./x", "f1.zst"),
            ("base/x", "../manifest.json"),
        ] {
            s.files = vec![file(path, object)];
            assert!(s.check_paths().is_err(), "{path} {object}");
        }
        s.files.clear();
        s.dirs = vec!["pg_tblspc/../..".into()];
        assert!(s.check_paths().is_err());
    }
}
