//! The chunk channels of the single-stream path (see the parent module): bounded, with
//! the emptied buffers going back to their producer, and the decoder's `BufRead` view.

use pra_core::codec::{hex, read_full, Digest, StoredHash};
use sha2::{Digest as _, Sha256};
use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Size of the chunks passed between the threads (small enough to stay in the shared
/// cache between the decoder writing one and the raw hasher reading it).
pub(super) const CHUNK: usize = 1 << 18;
/// Chunks in flight per channel: deep enough to absorb scheduling jitter on a busy
/// machine (a stage descheduled for a few time slices does not stall the others);
/// with the returned buffers this bounds memory to about 20 MiB.
const DEPTH: usize = 32;

/// A bounded channel of chunks with a return path for the emptied buffers.
pub(super) struct Pipe {
    pub(super) full_tx: SyncSender<Vec<u8>>,
    free_rx: Receiver<Vec<u8>>,
}

/// The receiving end of a [`Pipe`].
pub(super) struct PipeEnd {
    pub(super) full_rx: Receiver<Vec<u8>>,
    pub(super) free_tx: SyncSender<Vec<u8>>,
}

pub(super) fn pipe() -> (Pipe, PipeEnd) {
    let (full_tx, full_rx) = sync_channel(DEPTH);
    let (free_tx, free_rx) = sync_channel(DEPTH + 2);
    (Pipe { full_tx, free_rx }, PipeEnd { full_rx, free_tx })
}

impl Pipe {
    /// An empty buffer: a returned one if any, else a new one.
    pub(super) fn buffer(&self) -> Vec<u8> {
        let mut b = self.free_rx.try_recv().unwrap_or_default();
        b.resize(CHUNK, 0);
        b
    }
}

/// The decoder's view of the stored chunks: a `BufRead`, so zstd reads them in place.
pub(super) struct ChunkReader {
    end: PipeEnd,
    cur: Vec<u8>,
    pos: usize,
}

impl ChunkReader {
    pub(super) fn new(end: PipeEnd) -> ChunkReader {
        ChunkReader {
            end,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.cur.len() {
            match self.end.full_rx.recv() {
                Ok(next) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    let _ = self.end.free_tx.try_send(old);
                    self.pos = 0;
                }
                // The reader is done (or failed, which it reports itself).
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.cur[self.pos..])
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// The reader thread: hashes (unless [`StoredHash::CountOnly`]) every stored byte, to
/// the end, even after the decoder gave up (the stored sha256 is the plainest
/// explanation of a corrupt file).
pub(super) fn read_stored(
    mut src: Box<dyn Read + Send>,
    out: Pipe,
    hash: StoredHash,
) -> io::Result<Digest> {
    let mut hasher = (hash == StoredHash::Sha256).then(Sha256::new);
    let mut bytes = 0u64;
    let mut decoder_alive = true;
    loop {
        let mut buf = out.buffer();
        let n = read_full(&mut src, &mut buf)?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        if let Some(h) = hasher.as_mut() {
            h.update(&buf);
        }
        bytes += n as u64;
        if decoder_alive && out.full_tx.send(buf).is_err() {
            decoder_alive = false;
        }
    }
    Ok(Digest {
        bytes,
        sha256: hasher.map(|h| hex(&h.finalize())).unwrap_or_default(),
    })
}
