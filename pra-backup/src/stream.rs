//! Streams a child's stdout (`pg_dump`, `pg_dumpall`) through the codec into a staged
//! repository file, in bounded memory.
//!
//! A reader thread drains the pipe in chunks of the encoder's preferred size (1 MiB),
//! so that the child never waits on a full pipe while we compress; the calling thread
//! hands each chunk to the encoder, which hashes it and, with zstd workers, passes the
//! buffer itself to the worker of the current frame (no copy). Buffers go back to the reader through a second channel, so that a
//! run allocates a handful of chunks whatever its size: memory is bounded by the
//! chunks queued here (`QUEUED` bytes) plus the encoder's frames in flight.

use crate::Error;
use pra_core::child::StderrTail;
use pra_core::codec::{Digests, EncodeOptions};
use pra_core::crypt::Recipients;
use pra_core::dumpscan::RowCounter;
use pra_core::repo::StagedFile;
use pra_core::signals;
use std::io::Read;
use std::process::{Child, ChildStdout};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Size of the pipe we ask the kernel for.
const PIPE: usize = 1 << 20;
/// Bytes queued between the reader and the encoder (at least one chunk).
const QUEUED: usize = 2 << 20;
enum Msg {
    Data(Vec<u8>),
    Failed(std::io::Error),
}

/// Asks the kernel for a 1 MiB pipe (best effort): fewer context switches between
/// the child and the reader.
fn enlarge_pipe(stdout: &ChildStdout) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: fcntl on a valid pipe descriptor owned by `stdout`; failure is harmless.
    unsafe {
        libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE as libc::c_int);
    }
}

/// The reader thread; it also feeds `rows` (a dump's row counts: beside the encoder's
/// hashing rather than before it) and hands it back when it ends.
fn spawn_reader(
    mut stdout: ChildStdout,
    chunk: usize,
    (tx, recycled): (mpsc::SyncSender<Msg>, mpsc::Receiver<Vec<u8>>),
    mut rows: Option<RowCounter>,
) -> JoinHandle<Option<RowCounter>> {
    std::thread::spawn(move || loop {
        let mut buf = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(chunk));
        buf.clear();
        // read_to_end fills the spare capacity directly (no zeroing) and retries
        // interrupted reads; a short chunk means the end of the stream.
        let filled = match (&mut stdout).take(chunk as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return rows;
            }
        };
        if let Some(r) = rows.as_mut() {
            r.feed(&buf);
        }
        if filled > 0 && tx.send(Msg::Data(buf)).is_err() {
            return rows;
        }
        if filled < chunk {
            return rows;
        }
    })
}

/// Kills a child and reaps it (errors ignored: it may have exited already).
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Streams `child`'s stdout through an encoder (and the encryption, when given) into
/// `sink`, waits for the child, and returns the committed-ready file with both
/// digests. `progress` gets the raw byte count after each chunk; `rows`, when given,
/// sees every chunk (a dump's row counts). On any failure (the child exits non-zero,
/// I/O, a signal) the child is killed and the staged file dropped, which removes it.
pub fn pump_child(
    mut child: Child,
    tool: &str,
    sink: Box<dyn StagedFile>,
    (opts, encrypt): (EncodeOptions, Option<&Recipients>),
    progress: &mut dyn FnMut(u64),
    mut rows: Option<&mut RowCounter>,
) -> Result<(Box<dyn StagedFile>, Digests), Error> {
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        kill(&mut child);
        return Err(Error::io(
            format!("{tool} pipes"),
            std::io::Error::other("stdout/stderr not piped"),
        ));
    };
    let tail = StderrTail::collect(stderr, tool);
    enlarge_pipe(&stdout);
    let mut encoder = match pra_core::crypt::seal(sink, opts, encrypt) {
        Ok(e) => e,
        Err(e) => {
            kill(&mut child);
            return Err(Error::Usage(e.to_string()));
        }
    };
    let chunk = encoder.preferred_chunk();
    let (tx, rx) = mpsc::sync_channel((QUEUED / chunk).max(1));
    let (give_back, recycled) = mpsc::channel();
    let counting = rows.as_deref_mut().map(std::mem::take);
    let reader = spawn_reader(stdout, chunk, (tx, recycled), counting);

    let streamed = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Data(buf)) => {
                match encoder.write_vec(buf) {
                    Ok(empty) => {
                        let _ = give_back.send(empty);
                    }
                    Err(e) => break Err(Error::io(format!("writing the {tool} output"), e)),
                }
                progress(encoder.raw_bytes());
            }
            Ok(Msg::Failed(e)) => break Err(Error::io(format!("reading {tool} output"), e)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        }
        if let Err(e) = signals::check() {
            break Err(e.into());
        }
        if let Err(e) = pra_core::stall::check() {
            break Err(e.into());
        }
    };
    if let Err(e) = streamed {
        kill(&mut child);
        drop(rx);
        let _ = reader.join();
        let stderr = tail.join("\n");
        if !stderr.is_empty() {
            log::debug!("{tool} stderr before it was stopped:\n{stderr}");
        }
        return Err(e);
    }
    if let (Ok(Some(counted)), Some(r)) = (reader.join(), rows) {
        *r = counted;
    }
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("waiting for {tool}"), e))?;
    let stderr = tail.join("\n");
    signals::check()?;
    if !status.success() {
        return Err(Error::Child {
            tool: tool.to_string(),
            status: status.to_string(),
            stderr: crate::error::with_version_hint(&stderr),
        });
    }
    let (sink, digests) = encoder
        .finish()
        .map_err(|e| Error::io(format!("finishing the {tool} output"), e))?;
    Ok((sink, digests))
}
