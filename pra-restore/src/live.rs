//! `--jobs N`: restoring while the dump is still being decoded.
//!
//! A thread decodes the stored dump into a temporary file; [`OffsetScanner`] follows
//! it, and as soon as the table of contents is in the file the schema (pre-data) is
//! restored from it, then each table's data as soon as its block is complete (its
//! offset written into the table of contents first, so `pg_restore` seeks straight
//! to it), on up to N `pg_restore` processes at once; once every block is in and the
//! digests matched the manifest, one `pg_restore -j N` restores the rest (sequence
//! values, indexes, constraints, comments, grants). Decoding a 1 GB dump takes a few
//! seconds and no longer delays the restore by that much.
//!
//! Each step restores an explicit list of entries (`pg_restore -L`), so nothing is
//! restored twice or left out: pre-data entries first, then entries with a data
//! block, then everything else.

use crate::offsets::{Entry, OffsetScanner, ScanEvent, Section};
use crate::progress::Progress;
use crate::Error;
use pra_core::codec::Digests;
use pra_core::fetch::{fetch_file, FetchError};
use pra_core::manifest::{Manifest, ManifestFile};
use pra_core::repo::Repository;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

/// Write buffer of the decoded dump.
const BUF: usize = 1 << 20;

/// What the decoding thread reports.
enum Ready {
    /// The table of contents is in the file.
    Toc(Vec<Entry>),
    /// This entry's data block (of this size) is in the file, its offset recorded.
    Block(i64, u64),
    /// Decoding ended; on success every digest matched the manifest.
    Done(Result<Digests, FetchError>),
}

/// The file the decoding thread writes, telling the restoring side what is in it.
struct LiveFile {
    scanner: OffsetScanner<BufWriter<File>>,
    /// The same file, for writing offsets into the table of contents.
    file: File,
    tx: Sender<Ready>,
    stop: Arc<AtomicBool>,
}

impl Write for LiveFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("the restore stopped"));
        }
        let n = self.scanner.write(buf)?;
        let events = self.scanner.take_events();
        if !events.is_empty() {
            // What the events announce must be in the file before anyone reads it.
            self.scanner.get_mut().flush()?;
            for event in events {
                let ready = match event {
                    ScanEvent::Toc(entries) => Ready::Toc(entries),
                    ScanEvent::Block {
                        dump_id,
                        field,
                        len,
                    } => {
                        if let Some((at, bytes)) = field {
                            self.file.write_all_at(&bytes, at)?;
                        }
                        Ready::Block(dump_id, len)
                    }
                };
                // A restoring side that went away stops us through `stop`.
                let _ = self.tx.send(ready);
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.scanner.flush()
    }
}

/// A dump being decoded into `path` by a thread of `'scope`.
pub(crate) struct LiveDump<'scope> {
    /// The decoded dump (complete once [`Ready::Done`] came).
    pub path: PathBuf,
    /// Its table of contents.
    pub entries: Vec<Entry>,
    rx: Receiver<Ready>,
    stop: Arc<AtomicBool>,
    thread: Option<ScopedJoinHandle<'scope, ()>>,
}

/// How [`start`] ended: restoring can start, or the dump was not understood and has
/// been decoded completely (and checked) for a plain `pg_restore -j`.
pub(crate) enum Started<'scope> {
    /// The table of contents is in the file; the rest is on its way.
    Live(LiveDump<'scope>),
    /// Decoded and checked; data offsets not recorded.
    Whole(Digests),
}

/// Starts decoding `file` of `manifest` into `out` (the temporary file at `path`) on
/// a thread of `scope`; returns once the table of contents is in the file.
pub(crate) fn start<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    repo: &'env Repository,
    manifest: &'env Manifest,
    file: &'env ManifestFile,
    out: File,
    path: &Path,
) -> Result<Started<'scope>, Error> {
    let writing = |e| Error::io(format!("writing {}", path.display()), e);
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let live = LiveFile {
        scanner: OffsetScanner::new(BufWriter::with_capacity(
            BUF,
            out.try_clone().map_err(writing)?,
        )),
        file: out,
        tx: tx.clone(),
        stop: stop.clone(),
    };
    let thread = scope.spawn(move || {
        let mut sink = Progress::new(live, "decode", file.raw_bytes);
        let mut result = fetch_file(repo, manifest, file, &mut sink);
        let flushed = sink.flush();
        let live = sink.finish();
        if let Some(why) = live.scanner.gave_up() {
            log::info!(
                "data offsets of the dump left unset ({why}): pg_restore -j will scan for them"
            );
        }
        if let (Ok(_), Err(source)) = (&result, flushed) {
            result = Err(FetchError::Sink {
                file: file.name.clone(),
                source,
            });
        }
        let _ = tx.send(Ready::Done(result));
    });
    let mut live = LiveDump {
        path: path.to_path_buf(),
        entries: Vec::new(),
        rx,
        stop,
        thread: Some(thread),
    };
    match live.rx.recv() {
        Ok(Ready::Toc(entries)) => {
            live.entries = entries;
            Ok(Started::Live(live))
        }
        Ok(Ready::Done(Ok(digests))) => Ok(Started::Whole(digests)),
        Ok(Ready::Done(Err(e))) => Err(e.into()),
        Ok(Ready::Block(..)) | Err(_) => Err(Error::io(
            format!("decoding into {}", path.display()),
            io::Error::other("the decoding thread ended without a word"),
        )),
    }
}

impl Drop for LiveDump<'_> {
    /// Stops the decoding thread (its next write fails) and waits for it.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A running `pg_restore`.
struct Running {
    child: Child,
    tail: Option<pra_core::child::StderrTail>,
    what: String,
}

/// Runs the restore of a live dump: `pg_restore` is `base()` plus the list and file
/// arguments. Returns the decoded size.
pub(crate) fn restore(
    mut live: LiveDump<'_>,
    base: &dyn Fn() -> Command,
    jobs: u32,
    lists: &Path,
    db: &str,
) -> Result<u64, Error> {
    let entries = std::mem::take(&mut live.entries);
    let pre: Vec<i64> = entries
        .iter()
        .filter(|e| e.section == Section::PreData)
        .map(|e| e.dump_id)
        .collect();
    crate::progress::phase("pg_restore: schema (pre-data)");
    let mut r = run(base, &live.path, lists, "pre-data", &pre, 1)?;
    wait(&mut r, db)?;

    let mut with_data = BTreeSet::new();
    // (size, dump id) of the blocks ready and not started: the largest goes first,
    // as pg_restore -j orders them, so that the last one to finish is a small one.
    let mut queue: Vec<(u64, i64)> = Vec::new();
    let mut running: Vec<Running> = Vec::new();
    let mut digests = None;
    crate::progress::phase(&format!("pg_restore: table data, {jobs} at a time"));
    let outcome = 'outer: loop {
        // Wait a little for news (all of it, so that the largest ready block goes
        // first); once decoding is over, only the pg_restores are waited for.
        let mut news = Vec::new();
        if digests.is_some() {
            std::thread::sleep(Duration::from_millis(20));
        } else {
            match live.rx.recv_timeout(Duration::from_millis(20)) {
                Ok(r) => news.push(r),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    break Err(Error::io(
                        "decoding the dump",
                        io::Error::other("the decoding thread ended without a word"),
                    ))
                }
            }
            news.extend(live.rx.try_iter());
        }
        for ready in news {
            match ready {
                Ready::Block(id, len) => {
                    with_data.insert(id);
                    queue.push((len, id));
                }
                Ready::Done(Ok(d)) => digests = Some(d),
                Ready::Done(Err(e)) => break 'outer Err(e.into()),
                Ready::Toc(_) => {}
            }
        }
        queue.sort_unstable();
        if let Err(e) = reap(&mut running, db) {
            break Err(e);
        }
        while running.len() < jobs.max(1) as usize {
            let Some((_, id)) = queue.pop() else { break };
            match run(base, &live.path, lists, &format!("data-{id}"), &[id], 1) {
                Ok(r) => running.push(r),
                Err(e) => return stop_all(running, e),
            }
        }
        if digests.is_some() && queue.is_empty() && running.is_empty() {
            break Ok(());
        }
    };
    if let Err(e) = outcome {
        return stop_all(running, e);
    }
    let raw = digests.map(|d| d.raw.bytes).unwrap_or_default();

    let rest: Vec<i64> = entries
        .iter()
        .filter(|e| e.section != Section::PreData && !with_data.contains(&e.dump_id))
        .map(|e| e.dump_id)
        .collect();
    crate::progress::phase(&format!(
        "pg_restore -j {jobs}: indexes, constraints, the rest"
    ));
    let mut r = run(base, &live.path, lists, "post-data", &rest, jobs)?;
    wait(&mut r, db)?;
    Ok(raw)
}

/// Starts `pg_restore -L <list of ids>` on the file.
fn run(
    base: &dyn Fn() -> Command,
    file: &Path,
    lists: &Path,
    name: &str,
    ids: &[i64],
    jobs: u32,
) -> Result<Running, Error> {
    let list = lists.join(format!("{name}.list"));
    let text: String = ids.iter().map(|id| format!("{id};\n")).collect();
    std::fs::write(&list, text).map_err(|e| Error::io(format!("writing {}", list.display()), e))?;
    let mut cmd = base();
    if jobs > 1 {
        cmd.arg("--jobs").arg(jobs.to_string());
    }
    cmd.arg("--use-list").arg(&list).arg(file);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::io(
                format!(
                    "cannot run {}",
                    crate::programs::program("pg_restore").display()
                ),
                e,
            )
        })?;
    let tail = pra_core::child::StderrTail::from_child(&mut child, "pg_restore");
    Ok(Running {
        child,
        tail: Some(tail),
        what: name.to_string(),
    })
}

fn wait(r: &mut Running, db: &str) -> Result<(), Error> {
    let status = r
        .child
        .wait()
        .map_err(|e| Error::io(format!("waiting for pg_restore ({})", r.what), e))?;
    if status.success() {
        return Ok(());
    }
    Err(Error::Program {
        program: format!("pg_restore ({})", r.what),
        db: db.to_string(),
        status: status.to_string(),
        stderr: r.tail.take().map(|t| t.join(" | ")).unwrap_or_default(),
    })
}

/// Collects the `pg_restore`s that ended; the first failure is returned.
fn reap(running: &mut Vec<Running>, db: &str) -> Result<(), Error> {
    let mut i = 0;
    while i < running.len() {
        match running[i].child.try_wait() {
            Ok(None) => i += 1,
            Ok(Some(_)) => {
                let mut r = running.swap_remove(i);
                wait(&mut r, db)?;
            }
            Err(e) => return Err(Error::io("waiting for pg_restore", e)),
        }
    }
    Ok(())
}

/// Kills what still runs and returns `e`.
fn stop_all<T>(running: Vec<Running>, e: Error) -> Result<T, Error> {
    for mut r in running {
        let _ = r.child.kill();
        let _ = r.child.wait();
    }
    Err(e)
}
