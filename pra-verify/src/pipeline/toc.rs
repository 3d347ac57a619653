//! `pg_restore --list` over the decoded dump: the checksum pass's last check, that
//! the dump's table of contents reads.

use super::{corrupt, FileDigests};
use pra_core::fetch::FetchError;
use pra_core::manifest::{Manifest, ManifestFile};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender, TrySendError};
use std::thread;

/// Decoded buffers (1 MiB pieces, or 256 KiB chunks) that may wait for `pg_restore
/// --list`: with the decoders' own budget, about 40 MiB are decoded while it starts
/// (milliseconds; tens through Debian's perl wrapper or a cold cache) before the
/// decoding waits for it. It needs only the table of contents, at the start.
const FEED_DEPTH: usize = 24;

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

/// Feeds `pg_restore --list` from a thread of its own: the decoded buffers are handed
/// over (after hashing) and come back once written, so that pg_restore's start-up and
/// reads never hold up the decoding while it reads the table of contents. Once it has
/// it, it exits: the feed closes and the buffers come back at once.
pub(super) struct TocFeed {
    tx: Option<SyncSender<Vec<u8>>>,
    back: Receiver<Vec<u8>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl TocFeed {
    pub(super) fn spawn(mut stdin: ChildStdin) -> TocFeed {
        let (tx, rx) = sync_channel::<Vec<u8>>(FEED_DEPTH);
        let (back_tx, back) = channel();
        let thread = thread::spawn(move || {
            for buf in rx {
                // pg_restore --list stops reading after the table of contents.
                let written = stdin.write_all(&buf).is_ok();
                let _ = back_tx.send(buf);
                if !written {
                    break;
                }
            }
        });
        TocFeed {
            tx: Some(tx),
            back,
            thread: Some(thread),
        }
    }

    /// Hands `buf` over; gives it back when pg_restore no longer reads. Waits only
    /// when [`FEED_DEPTH`] buffers are already waiting for pg_restore.
    pub(super) fn send(&mut self, buf: Vec<u8>) -> Option<Vec<u8>> {
        let tx = match self.tx.as_ref() {
            Some(tx) => tx,
            None => return Some(buf),
        };
        let refused = match tx.try_send(buf) {
            Ok(()) => return None,
            Err(TrySendError::Full(buf)) => tx.send(buf).err().map(|e| e.0),
            Err(TrySendError::Disconnected(buf)) => Some(buf),
        };
        if refused.is_some() {
            self.tx = None;
        }
        refused
    }

    /// A buffer pg_restore is done with, if any.
    pub(super) fn returned(&self) -> Option<Vec<u8>> {
        self.back.try_recv().ok()
    }

    /// Ends the input of pg_restore once what was handed over is written.
    pub(super) fn close(mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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
