//! Streams a child's stdout (`pg_dump`, `pg_dumpall`) through the codec into a staged
//! repository file, in bounded memory.
//!
//! A reader thread drains the pipe in 1 MiB chunks (few wake-ups, and the child never
//! waits on a full pipe while we compress); the calling thread hashes and feeds the
//! encoder, whose zstd workers are threads of their own. Buffers go back to the reader
//! through a second channel, so that a run allocates a handful of chunks whatever its
//! size: memory is bounded by `CHUNKS` x 1 MiB plus the codec's window and jobs.

use crate::{signals, Error};
use pra_core::child::StderrTail;
use pra_core::codec::{Digests, EncodeOptions, Encoder};
use pra_core::repo::StagedFile;
use std::io::{Read, Write};
use std::process::{Child, ChildStdout};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

const CHUNK: usize = 1 << 20;
const CHUNKS: usize = 4;
enum Msg {
    Data(Vec<u8>, usize),
    Failed(std::io::Error),
}

/// Asks the kernel for a 1 MiB pipe (best effort): fewer context switches between
/// the child and the reader.
fn enlarge_pipe(stdout: &ChildStdout) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: fcntl on a valid pipe descriptor owned by `stdout`; failure is harmless.
    unsafe {
        libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, CHUNK as libc::c_int);
    }
}

fn spawn_reader(
    mut stdout: ChildStdout,
    tx: mpsc::SyncSender<Msg>,
    recycled: mpsc::Receiver<Vec<u8>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || loop {
        let mut buf = recycled.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
        let mut filled = 0;
        let mut eof = false;
        while filled < buf.len() {
            match stdout.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Msg::Failed(e));
                    return;
                }
            }
        }
        if filled > 0 && tx.send(Msg::Data(buf, filled)).is_err() {
            return;
        }
        if eof {
            return;
        }
    })
}

/// Kills a child and reaps it (errors ignored: it may have exited already).
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Streams `child`'s stdout through an encoder into `sink`, waits for the child, and
/// returns the committed-ready file with both digests. `progress` gets the raw byte
/// count after each chunk. On any failure (the child exits non-zero, I/O, a signal)
/// the child is killed and the staged file dropped, which removes it.
pub fn pump_child(
    mut child: Child,
    tool: &str,
    sink: Box<dyn StagedFile>,
    opts: EncodeOptions,
    progress: &mut dyn FnMut(u64),
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
    let (tx, rx) = mpsc::sync_channel(CHUNKS);
    let (give_back, recycled) = mpsc::channel();
    let reader = spawn_reader(stdout, tx, recycled);

    let mut encoder = match Encoder::new(sink, opts) {
        Ok(e) => e,
        Err(e) => {
            kill(&mut child);
            return Err(Error::Usage(e.to_string()));
        }
    };
    let streamed = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Data(buf, n)) => {
                if let Err(e) = encoder.write_all(&buf[..n]) {
                    break Err(Error::io(format!("writing the {tool} output"), e));
                }
                let _ = give_back.send(buf);
                progress(encoder.raw_bytes());
            }
            Ok(Msg::Failed(e)) => break Err(Error::io(format!("reading {tool} output"), e)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        }
        if let Err(e) = signals::check() {
            break Err(e);
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
    let _ = reader.join();
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("waiting for {tool}"), e))?;
    let stderr = tail.join("\n");
    signals::check()?;
    if !status.success() {
        return Err(Error::Child {
            tool: tool.to_string(),
            status: status.to_string(),
            stderr,
        });
    }
    let (sink, digests) = encoder
        .finish()
        .map_err(|e| Error::io(format!("finishing the {tool} output"), e))?;
    Ok((sink, digests))
}
