//! `pg_restore --list` over the decoded dump: the checksum pass's last check, that
//! the dump's table of contents reads.

use super::{corrupt, FileDigests};
use pra_core::fetch::FetchError;
use pra_core::manifest::{Manifest, ManifestFile};
use std::io::{self, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;

/// `pg_restore --list` reading the decoded dump from stdin, its output collected by threads.
pub(super) struct TocReader {
    pub(super) child: Child,
    stdout: thread::JoinHandle<Vec<u8>>,
    stderr: thread::JoinHandle<Vec<u8>>,
}

pub(super) fn spawn_toc_reader(pg_bindir: Option<&Path>) -> io::Result<TocReader> {
    let program = pra_core::child::program(pg_bindir, "pg_restore")
        .map_err(|e| io::Error::new(io::ErrorKind::NotFound, e))?;
    let mut child = Command::new(program)
        .arg("--list")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    Ok(TocReader {
        child,
        stdout,
        stderr,
    })
}

impl TocReader {
    /// Waits for `pg_restore --list`; the number of entries, or why it failed.
    pub(super) fn finish(mut self) -> Result<u64, String> {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let out = self.stdout.join().unwrap_or_default();
        let err = self.stderr.join().unwrap_or_default();
        let err = String::from_utf8_lossy(&err);
        if !status.success() {
            let last = err
                .lines()
                .last()
                .unwrap_or("no message")
                .trim()
                .to_string();
            return Err(format!(
                "pg_restore --list cannot read the table of contents ({status}): {last}"
            ));
        }
        let entries = String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
            .count() as u64;
        Ok(entries)
    }
}

/// An empty table of contents is what an empty database dumps (a stock server's
/// `postgres`): valid exactly when the manifest recorded zero tables.
pub(super) fn compare_toc(
    manifest: &Manifest,
    file: &ManifestFile,
    d: FileDigests,
) -> Result<FileDigests, FetchError> {
    match (d.toc_entries, manifest.tables.len()) {
        (Some(0), n) if n > 0 => Err(corrupt(
            file,
            format!(
                "pg_restore --list found no entries in the table of contents, but the \
                 manifest lists {n} table(s)"
            ),
        )),
        _ => Ok(d),
    }
}
