//! Which files of a data directory a physical backup copies: everything but what the
//! PostgreSQL documentation ("Backup Manifest"/"Making a Base Backup Using the Low
//! Level API", and `pg_basebackup`'s own exclusion list) says is safe to skip, because
//! the server recreates it or WAL replay does.

use std::path::{Path, PathBuf};

/// Directories whose contents are skipped (the directory itself is kept, empty).
const EMPTIED_DIRS: &[&str] = &[
    "pg_wal",
    "pg_dynshmem",
    "pg_notify",
    "pg_replslot",
    "pg_serial",
    "pg_snapshots",
    "pg_stat_tmp",
    "pg_subtrans",
];

/// Files skipped at the top of the data directory.
const SKIPPED_FILES: &[&str] = &[
    "postmaster.pid",
    "postmaster.opts",
    "backup_label",
    "backup_label.old",
    "tablespace_map",
    "tablespace_map.old",
    "current_logfiles",
    "current_logfiles.tmp",
    "recovery.signal",
    "standby.signal",
];

/// One entry of the copy: a directory to create or a file to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the data directory (`base/5/16384`).
    pub rel: PathBuf,
    /// True for a directory.
    pub dir: bool,
}

/// True when `rel` (relative to the data directory or a tablespace) is not copied.
pub fn skipped(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // Temporary files and relations of any directory, and relcache init files.
    if name.starts_with("pgsql_tmp") || name == "pg_internal.init" {
        return true;
    }
    let mut parts = rel.components();
    let first = parts.next().map(|c| c.as_os_str().to_string_lossy());
    let depth = rel.components().count();
    match first.as_deref() {
        Some(top) if depth == 1 => SKIPPED_FILES.contains(&top),
        // The contents of the emptied directories (pg_wal/archive_status included).
        Some(top) => EMPTIED_DIRS.contains(&top),
        None => false,
    }
}

/// The directories and regular files of the data directory to copy, in a stable
/// order; symbolic links (`pg_tblspc/<oid>`) are not followed (tablespaces are copied
/// on their own, their links come back from `tablespace_map`).
pub fn list(root: &Path) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for item in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            e.path()
                .strip_prefix(root)
                .map(|rel| !skipped(rel) || e.file_type().is_dir())
                .unwrap_or(false)
        })
    {
        let item = match item {
            Ok(i) => i,
            // A file removed while the walk runs (a dropped table, a temp file): WAL
            // replay recreates whatever must exist.
            Err(e) if e.io_error().map(|e| e.kind()) == Some(std::io::ErrorKind::NotFound) => {
                continue
            }
            Err(e) => return Err(e.into()),
        };
        let rel = item
            .path()
            .strip_prefix(root)
            .unwrap_or(item.path())
            .to_path_buf();
        let ft = item.file_type();
        if ft.is_dir() {
            out.push(Entry { rel, dir: true });
        } else if ft.is_file() && !skipped(&rel) {
            out.push(Entry { rel, dir: false });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_exclusions_are_skipped_and_the_rest_kept() {
        for skip in [
            "postmaster.pid",
            "backup_label",
            "pg_wal/000000010000000000000001",
            "pg_wal/archive_status/000000010000000000000001.done",
            "pg_stat_tmp/global.stat",
            "base/5/pgsql_tmp/pgsql_tmp123.0",
            "base/5/pg_internal.init",
            "pg_replslot/s1/state",
        ] {
            assert!(skipped(Path::new(skip)), "{skip}");
        }
        for keep in [
            "PG_VERSION",
            "global/pg_control",
            "base/5/16384",
            "pg_xact/0000",
            "postgresql.auto.conf",
            "base/5/postmaster.pid",
        ] {
            assert!(!skipped(Path::new(keep)), "{keep}");
        }
    }

    #[test]
    fn listing_keeps_emptied_directories_and_skips_their_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for dir in ["base/1", "pg_wal/archive_status", "global"] {
            std::fs::create_dir_all(d.join(dir)).unwrap();
        }
        for f in [
            "PG_VERSION",
            "base/1/1259",
            "pg_wal/000000010000000000000001",
            "postmaster.pid",
            "global/pg_control",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let rels: Vec<(String, bool)> = list(d)
            .unwrap()
            .into_iter()
            .map(|e| (e.rel.display().to_string(), e.dir))
            .collect();
        assert!(rels.contains(&("pg_wal".into(), true)), "{rels:?}");
        assert!(rels.contains(&("base/1/1259".into(), false)), "{rels:?}");
        assert!(
            rels.contains(&("global/pg_control".into(), false)),
            "{rels:?}"
        );
        assert!(
            !rels
                .iter()
                .any(|(r, _)| r.starts_with("pg_wal/0") || r == "postmaster.pid"),
            "{rels:?}"
        );
    }
}
