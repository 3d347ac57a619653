//! Helpers shared by the pra-backup integration tests: running the tool, restoring a
//! stored dump with the standard tools only, and looking at the repository.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pra_core::manifest::Manifest;
use pra_testkit::{tool, PgCluster, Tool};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// pra-backup aimed at the cluster and the repository (created by `--init` if needed).
pub fn backup(c: &PgCluster, repo: &Path) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-backup"))
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .arg("--init")
        .arg("--repo")
        .arg(repo)
}

/// The manifest of the only complete backup of a stanza.
pub fn only_manifest(repo: &Path, stanza: &str) -> Manifest {
    let r = pra_core::repo::Repository::open(repo.to_str().unwrap()).unwrap();
    let mut all = r.complete_backups(stanza).unwrap();
    assert_eq!(
        all.len(),
        1,
        "one complete backup of {stanza} in {}",
        repo.display()
    );
    all.remove(0)
}

/// The directory of a backup.
pub fn backup_dir(repo: &Path, m: &Manifest) -> PathBuf {
    repo.join(&m.stanza).join("backup").join(&m.id)
}

/// `sha256sum` of a file.
pub fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Every file under `dir`, recursively (relative paths), hidden ones included.
pub fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

/// Asserts the repository holds no backup of `stanza` and no data or temporary file:
/// only `pra.json` and the stanza's lock files may exist.
pub fn assert_nothing_left(repo: &Path, stanza: &str) {
    let stray: Vec<String> = all_files(repo)
        .into_iter()
        .filter(|f| {
            f != "pra.json"
                && f != stanza
                && f != &format!("{stanza}/backup")
                && f != &format!("{stanza}/lease")
                && f != &format!("{stanza}/lock")
                && !f.starts_with(&format!("{stanza}/lock/"))
        })
        .collect();
    assert!(
        stray.is_empty(),
        "stray files in {}: {stray:?}",
        repo.display()
    );
}

/// The decompression command for a stored file.
fn decompressor(path: &Path) -> Command {
    let name = path.to_string_lossy();
    let mut cmd = if name.ends_with(".zst") {
        let mut c = Command::new("zstd");
        c.args(["-d", "-c", "-q"]);
        c
    } else if name.ends_with(".gz") {
        let mut c = Command::new("gunzip");
        c.arg("-c");
        c
    } else {
        Command::new("cat")
    };
    cmd.arg(path);
    cmd
}

/// Restores a stored dump into a new database with `zstd -d | pg_restore` (or
/// `gunzip`), the standard tools only.
pub fn restore_with_standard_tools(c: &PgCluster, dump: &Path, into: &str) {
    c.create_db(into);
    let mut dec = decompressor(dump).stdout(Stdio::piped()).spawn().unwrap();
    let out = Command::new(c.bindir().join("pg_restore"))
        .args(["--exit-on-error", "--no-password", "-d"])
        .arg(c.conninfo(into))
        .stdin(dec.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(
        dec.wait().unwrap().success(),
        "decompressing {}",
        dump.display()
    );
    assert!(
        out.status.success(),
        "pg_restore of {} into {into} failed:\n{}",
        dump.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Decompresses a stored file to text (small files: globals).
pub fn decompress_to_string(path: &Path) -> String {
    let out = decompressor(path).output().unwrap();
    assert!(out.status.success(), "decompressing {}", path.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Tests a stored file with the codec's own tool (`zstd -t`, `gunzip -t`).
pub fn codec_tool_accepts(path: &Path) -> bool {
    let name = path.to_string_lossy();
    let mut cmd = if name.ends_with(".zst") {
        let mut c = Command::new("zstd");
        c.args(["-t", "-q"]);
        c
    } else if name.ends_with(".gz") {
        let mut c = Command::new("gunzip");
        c.arg("-t");
        c
    } else {
        return true;
    };
    cmd.arg(path).status().unwrap().success()
}
