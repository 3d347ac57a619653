//! Child processes of the tools (`pg_dump`, `pg_restore`, …): where the PostgreSQL
//! client programs are (`--pg-bindir` / `PRA_PG_BINDIR`, else `PATH`), and the last
//! lines of their stderr, collected on a thread of their own so that the pipe never
//! fills and blocks the child, in bounded memory, for the error event.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// A PostgreSQL client program that is not where it was looked for.
///
/// A configuration error (exit 2), never transient: retrying cannot make it appear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} not found {looked}: {hint}")]
pub struct ProgramNotFound {
    /// The program (`pg_dump`).
    pub name: String,
    /// Where it was looked for, in words ("in /usr/lib/postgresql/15/bin", "on PATH").
    pub looked: String,
    /// What to do about it.
    pub hint: String,
}

/// The path of the PostgreSQL client program `name` (`pg_dump`, `pg_restore`, `psql` …):
/// in `bindir` (`--pg-bindir` / `PRA_PG_BINDIR`, to pick a version explicitly) when
/// given, else the first executable `name` on `PATH`.
pub fn program(bindir: Option<&Path>, name: &str) -> Result<PathBuf, ProgramNotFound> {
    find_program(bindir, std::env::var_os("PATH").as_deref(), name)
}

/// [`program`] with the search path given, so that tests need not change `PATH`.
fn find_program(
    bindir: Option<&Path>,
    path_var: Option<&OsStr>,
    name: &str,
) -> Result<PathBuf, ProgramNotFound> {
    let not_found = |looked: String, hint: &str| ProgramNotFound {
        name: name.to_string(),
        looked,
        hint: hint.to_string(),
    };
    if let Some(dir) = bindir.filter(|d| !d.as_os_str().is_empty()) {
        let candidate = dir.join(name);
        return if is_executable(&candidate) {
            Ok(candidate)
        } else {
            Err(not_found(
                format!("in {} (--pg-bindir/PRA_PG_BINDIR)", dir.display()),
                "point --pg-bindir/PRA_PG_BINDIR at the directory of the PostgreSQL \
                 client programs (e.g. /usr/lib/postgresql/15/bin)",
            ))
        };
    }
    path_var
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            not_found(
                "on PATH".to_string(),
                "install the PostgreSQL client programs (e.g. apt-get install \
                 postgresql-client) or give their directory with --pg-bindir/PRA_PG_BINDIR",
            )
        })
}

/// True for a regular file (or a link to one) with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Lines of a child's stderr kept for the error message.
pub const STDERR_LINES: usize = 12;

/// The last lines of a child's stderr.
pub struct StderrTail(Option<JoinHandle<Vec<String>>>);

impl StderrTail {
    /// Starts collecting; every line is also logged (debug) with the child's name.
    pub fn collect(stderr: impl Read + Send + 'static, child_name: &str) -> StderrTail {
        let name = child_name.to_string();
        StderrTail(Some(std::thread::spawn(move || {
            let mut tail = VecDeque::with_capacity(STDERR_LINES);
            for line in BufReader::new(stderr).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                if line.trim().is_empty() {
                    continue;
                }
                log::debug!("{name}: {line}");
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            tail.into()
        })))
    }

    /// Collects the stderr of a child spawned with a piped stderr (nothing if it was not).
    pub fn from_child(child: &mut std::process::Child, child_name: &str) -> StderrTail {
        match child.stderr.take() {
            Some(err) => StderrTail::collect(err, child_name),
            None => StderrTail(None),
        }
    }

    /// Waits for the child's stderr to close and returns its last lines.
    pub fn lines(self) -> Vec<String> {
        self.0.and_then(|h| h.join().ok()).unwrap_or_default()
    }

    /// The last lines, joined with `sep`.
    pub fn join(self, sep: &str) -> String {
        self.lines().join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &Path, name: &str, mode: u32) {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn programs_are_found_in_the_bindir_or_on_path() {
        let bin = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        file(bin.path(), "pg_dump", 0o755);
        file(bin.path(), "pg_restore", 0o644);
        file(other.path(), "pg_restore", 0o755);
        let path = std::env::join_paths([bin.path(), other.path()]).unwrap();

        let dump = find_program(Some(bin.path()), None, "pg_dump").unwrap();
        assert_eq!(dump, bin.path().join("pg_dump"));
        // On PATH: the first executable one, a non-executable namesake skipped.
        let restore = find_program(None, Some(&path), "pg_restore").unwrap();
        assert_eq!(restore, other.path().join("pg_restore"));
        // An empty bindir (PRA_PG_BINDIR= in an environment file) means "use PATH".
        let empty = find_program(Some(Path::new("")), Some(&path), "pg_dump").unwrap();
        assert_eq!(empty, dump);
    }

    #[test]
    fn a_missing_program_names_the_flag_and_the_variable() {
        let bin = tempfile::tempdir().unwrap();
        file(bin.path(), "pg_restore", 0o644);
        for err in [
            find_program(Some(bin.path()), None, "pg_dump").unwrap_err(),
            find_program(Some(bin.path()), None, "pg_restore").unwrap_err(),
            find_program(None, Some(bin.path().as_os_str()), "pg_restore").unwrap_err(),
            find_program(None, None, "pg_dump").unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("{} not found", err.name))
                    && text.contains("--pg-bindir/PRA_PG_BINDIR"),
                "{text}"
            );
        }
        let err = find_program(Some(bin.path()), None, "pg_dump").unwrap_err();
        assert!(err.looked.contains(&bin.path().display().to_string()));
    }

    #[test]
    fn keeps_the_last_lines_without_blanks() {
        let text: String = (1..=30).map(|i| format!("line {i}\n\n")).collect();
        let tail = StderrTail::collect(std::io::Cursor::new(text.into_bytes()), "t");
        let lines = tail.lines();
        assert_eq!(lines.len(), STDERR_LINES);
        assert_eq!(lines.first().map(String::as_str), Some("line 19"));
        assert_eq!(lines.last().map(String::as_str), Some("line 30"));
    }
}
