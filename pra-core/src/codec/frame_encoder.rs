//! The parallel encoder of the framed zstd format ([`super::frames`]).

use super::frames::{frame_header, FRAME, MAX_FRAME};
use super::{hex, Digest, Digests, HashWriter};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

mod ring;
use ring::RingCompressor;

/// Raw bytes handed to a worker at once.
const CHUNK: usize = 1 << 20;
/// Raw bytes handed to the workers and not compressed yet, at most: what lets a worker
/// fall behind (compress a frame while the next one is read) and bounds memory. 16 MiB
/// measured no faster than 8 in pra-backup (where pg_dump shares the cores) and
/// 5–10 MiB larger.
const RAW_IN_FLIGHT: usize = 8 << 20;
/// The smallest frame (raw) the encoder cuts, unless the stream ends: below, the
/// frame restarts would cost more than the parallelism brings.
const MIN_FRAME: usize = 4 << 20;

/// What a worker receives: raw bytes of its current frame, or the end of that frame.
enum Feed {
    Raw(Vec<u8>),
    End { seq: u64 },
}

/// A written frame's buffer, for the next worker that ends a frame: one at most, so
/// that the frames held are those being filled plus the one being written.
type Spare = Arc<Mutex<Option<Vec<u8>>>>;

/// What a worker sends back: a raw buffer it is done with, or a complete frame.
enum Back {
    Raw(Vec<u8>),
    Frame { seq: u64, out: io::Result<Vec<u8>> },
}

/// Raw bytes compressed and stored bytes produced so far, by all workers: the ratio
/// that sizes the next frames.
#[derive(Default)]
struct Progress {
    raw: AtomicU64,
    stored: AtomicU64,
}

/// One compression worker: a zstd context compressing, as one stream, the frames it
/// is given in turn (every `threads`-th frame of the file).
fn compress_frames(
    level: i32,
    feed: Receiver<Feed>,
    back: Sender<Back>,
    (progress, spare): (Arc<Progress>, Spare),
) {
    let mut cctx = RingCompressor::new(level, CHUNK);
    let mut out: Vec<u8> = Vec::new();
    let mut failed: Option<io::Error> = None;
    for msg in feed {
        match msg {
            Feed::Raw(raw) => {
                if failed.is_none() {
                    if out.is_empty() {
                        // Room for the whole frame at once: growing it by doubling
                        // would copy it, and hold both copies for a moment.
                        out.reserve(FRAME + FRAME / 2);
                    }
                    let before = out.len();
                    let r = match cctx.as_mut() {
                        Ok(c) => c.compress(&raw, &mut out),
                        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                    };
                    if let Err(e) = r {
                        failed = Some(e);
                    }
                    progress.raw.fetch_add(raw.len() as u64, Ordering::Relaxed);
                    progress
                        .stored
                        .fetch_add(out.len().saturating_sub(before) as u64, Ordering::Relaxed);
                }
                if back.send(Back::Raw(raw)).is_err() {
                    return;
                }
            }
            Feed::End { seq } => {
                let next = spare
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .unwrap_or_default();
                let done = match failed.take() {
                    Some(e) => Err(e),
                    None => {
                        end_frame(&mut cctx, &mut out).map(|()| std::mem::replace(&mut out, next))
                    }
                };
                if back.send(Back::Frame { seq, out: done }).is_err() {
                    return;
                }
            }
        }
    }
}

/// Ends the frame in `out` and starts the next one.
fn end_frame(cctx: &mut io::Result<RingCompressor>, out: &mut Vec<u8>) -> io::Result<()> {
    let c = cctx
        .as_mut()
        .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
    c.end(out)?;
    c.begin()?;
    if u32::try_from(out.len()).is_err() {
        return Err(io::Error::other("compressed frame larger than 4 GiB"));
    }
    Ok(())
}

/// The framed encoder: this thread hashes the raw bytes and deals them out in chunks,
/// frame after frame, to `threads` workers in turn (frame `n` to worker
/// `n % threads`), each compressing its frame as a stream; finished frames are written
/// in order, after their header (hashing the stored bytes). A frame ends when it holds
/// about [`FRAME`] stored bytes at the ratio compressed so far (at least [`MIN_FRAME`],
/// at most the cap, [`MAX_FRAME`] by default) raw bytes.
///
/// Memory: at most [`RAW_IN_FLIGHT`] raw bytes handed out and not compressed yet, the
/// frames being compressed and those waiting for an earlier one (at most
/// `threads + 1` frames of about [`FRAME`] stored bytes, or of their raw size if
/// incompressible, plus one written frame's buffer kept for the next), and per worker
/// a zstd context with its ring ([`ring`]), whatever the stream's size.
pub(super) struct FrameEncoder<W: Write> {
    sink: HashWriter<W>,
    raw: Sha256,
    raw_bytes: u64,
    pending: Vec<u8>,
    /// Raw bytes of the frame being dealt out, so far.
    frame_raw: usize,
    max_raw: usize,
    feeds: Vec<Sender<Feed>>,
    back: Receiver<Back>,
    workers: Vec<JoinHandle<()>>,
    progress: Arc<Progress>,
    spare: Vec<Vec<u8>>,
    /// Frames compressed and waiting for an earlier one, with their worker's number.
    ready: BTreeMap<u64, Vec<u8>>,
    spare_out: Spare,
    /// Raw bytes handed out and not given back yet.
    in_flight: usize,
    /// The frame being dealt out, and the next one to write.
    next_seq: u64,
    next_write: u64,
}

impl<W: Write> FrameEncoder<W> {
    /// `max_raw` caps a frame's raw size (tests and benchmarks use small ones).
    pub(super) fn new(sink: W, level: i32, threads: u32, max_raw: usize) -> io::Result<Self> {
        if max_raw == 0 || max_raw > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame size {max_raw} is not in 1..={MAX_FRAME}"),
            ));
        }
        let progress = Arc::new(Progress::default());
        let spare_out: Spare = Arc::default();
        let (back_tx, back_rx) = channel();
        let threads = threads.max(1) as usize;
        let (mut feeds, mut workers) = (Vec::new(), Vec::new());
        for i in 0..threads {
            let (feed_tx, feed_rx) = channel();
            let back = back_tx.clone();
            let shared = (Arc::clone(&progress), Arc::clone(&spare_out));
            workers.push(
                std::thread::Builder::new()
                    .name(format!("zstd-frame-{i}"))
                    .spawn(move || compress_frames(level, feed_rx, back, shared))?,
            );
            feeds.push(feed_tx);
        }
        Ok(FrameEncoder {
            sink: HashWriter::new(sink),
            raw: Sha256::new(),
            raw_bytes: 0,
            pending: Vec::with_capacity(CHUNK),
            frame_raw: 0,
            max_raw,
            feeds,
            back: back_rx,
            workers,
            progress,
            spare: Vec::new(),
            ready: BTreeMap::new(),
            spare_out,
            in_flight: 0,
            next_seq: 0,
            next_write: 0,
        })
    }

    pub(super) fn frame(&self) -> usize {
        CHUNK
    }

    pub(super) fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// The raw size at which the current frame ends: [`FRAME`] stored bytes at the
    /// ratio so far (none yet: the cap, [`RAW_IN_FLIGHT`] keeps the workers close).
    fn frame_limit(&self) -> usize {
        let raw = self.progress.raw.load(Ordering::Relaxed);
        let stored = self.progress.stored.load(Ordering::Relaxed);
        if stored == 0 {
            return self.max_raw;
        }
        let at_ratio = (FRAME as f64 * raw as f64 / stored as f64) as usize;
        at_ratio.clamp(MIN_FRAME.min(self.max_raw), self.max_raw)
    }

    fn worker(&self) -> io::Result<&Sender<Feed>> {
        let i = (self.next_seq % self.feeds.len() as u64) as usize;
        self.feeds
            .get(i)
            .ok_or_else(|| io::Error::other("no zstd worker"))
    }

    /// Hands the pending chunk to the current frame's worker (waiting for room first),
    /// then ends the frame if it is full.
    fn deal(&mut self) -> io::Result<()> {
        let len = self.pending.len();
        while self.in_flight > 0 && self.in_flight + len > RAW_IN_FLIGHT {
            self.collect()?;
        }
        let fresh = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.pending, fresh);
        self.worker()?
            .send(Feed::Raw(chunk))
            .map_err(|_| stopped())?;
        self.in_flight += len;
        self.frame_raw += len;
        if self.frame_raw >= self.frame_limit() {
            self.end_frame()?;
        }
        Ok(())
    }

    /// Ends the frame being dealt out; waits while too many frames are unwritten.
    fn end_frame(&mut self) -> io::Result<()> {
        let seq = self.next_seq;
        self.worker()?
            .send(Feed::End { seq })
            .map_err(|_| stopped())?;
        self.next_seq += 1;
        self.frame_raw = 0;
        while self.next_seq - self.next_write > self.feeds.len() as u64 {
            self.collect()?;
        }
        Ok(())
    }

    /// Waits for one message from the workers and acts on it.
    fn collect(&mut self) -> io::Result<()> {
        match self.back.recv().map_err(|_| stopped())? {
            Back::Raw(mut raw) => {
                self.in_flight -= raw.len();
                raw.clear();
                self.spare.push(raw);
            }
            Back::Frame { seq, out } => {
                self.ready.insert(seq, out?);
                while let Some(mut out) = self.ready.remove(&self.next_write) {
                    // end_frame checked that the size fits in a u32.
                    let size = u32::try_from(out.len()).map_err(io::Error::other)?;
                    self.sink.write_all(&frame_header(size))?;
                    self.sink.write_all(&out)?;
                    self.next_write += 1;
                    out.clear();
                    if let Ok(mut spare) = self.spare_out.lock() {
                        spare.get_or_insert(out);
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes all of `buf`; returns an empty buffer for the next read. A whole chunk
    /// that fits in the current frame goes to the worker as it is (no copy).
    pub(super) fn write_vec(&mut self, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
        if self.pending.is_empty() && buf.len() == CHUNK && self.frame_raw + CHUNK <= self.max_raw {
            self.raw.update(&buf);
            self.raw_bytes += buf.len() as u64;
            // `pending` is empty: it takes the chunk, deal() gives it a spare back.
            std::mem::swap(&mut self.pending, &mut buf);
            self.spare.push(buf);
            self.deal()?;
            return Ok(self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(CHUNK)));
        }
        self.write_all(&buf)?;
        buf.clear();
        Ok(buf)
    }

    pub(super) fn finish(mut self) -> io::Result<(W, Digests)> {
        if !self.pending.is_empty() {
            self.deal()?;
        }
        // An empty stream still gets one (empty) frame: the file stays recognisably framed.
        if self.frame_raw > 0 || self.next_seq == 0 {
            self.end_frame()?;
        }
        while self.next_write < self.next_seq {
            self.collect()?;
        }
        self.feeds.clear();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        self.sink.flush()?;
        let raw = Digest {
            bytes: self.raw_bytes,
            sha256: hex(&self.raw.finalize()),
        };
        let (sink, stored) = self.sink.finish();
        Ok((sink, Digests { raw, stored }))
    }
}

fn stopped() -> io::Error {
    io::Error::other("the zstd workers stopped")
}

impl<W: Write> Write for FrameEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.raw.update(buf);
        self.raw_bytes += buf.len() as u64;
        let mut rest = buf;
        while !rest.is_empty() {
            // A chunk never straddles two frames.
            let room = CHUNK.min(self.max_raw - self.frame_raw) - self.pending.len();
            let take = room.min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == CHUNK || self.frame_raw + self.pending.len() >= self.max_raw {
                self.deal()?;
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        // Frames are written as they complete; a partial one waits for more input.
        self.sink.flush()
    }
}
