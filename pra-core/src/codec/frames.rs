//! The framed zstd format and its parallel encoder.
//!
//! With zstd worker threads, a stored file is a sequence of INDEPENDENT zstd frames of
//! [`FRAME`] raw bytes each (the last one shorter), each preceded by a pzstd-style
//! skippable frame whose 4-byte payload is the compressed size of the frame after it:
//!
//! ```text
//! 50 2A 4D 18 | 04 00 00 00 | <compressed size, LE u32> | <zstd frame> | 50 2A 4D 18 | ...
//! ```
//!
//! This is pzstd's format: `zstd -d` and `zstd -t` skip skippable frames and
//! concatenate frames, so the standard tools read our files, while our decoder can
//! hand frames to several threads without decoding anything first (see
//! [`super::parallel`]). Each frame carries its content size and a checksum.

use super::{hex, Digest, Digests, HashWriter};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Raw bytes per frame. 2, 4 and 8 MiB were measured (docs/PERFORMANCE.md, "Verify"):
/// 4 MiB costs well under 1 % of size against one stream, and keeps memory low.
pub const FRAME: usize = 4 << 20;
/// Magic number of the skippable frame before each zstd frame (pzstd's).
pub const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// Length of that skippable frame: magic, payload size (4), payload.
pub const HEADER_LEN: usize = 12;
/// The largest frame (stored or raw) a reader accepts: a corrupt size header must not
/// become a huge allocation.
pub const MAX_FRAME: usize = 64 << 20;

/// The skippable frame announcing a zstd frame of `compressed` bytes.
pub fn frame_header(compressed: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
    h[4..8].copy_from_slice(&4u32.to_le_bytes());
    h[8..].copy_from_slice(&compressed.to_le_bytes());
    h
}

/// True when a stored stream starting with `head` is in the framed format.
pub fn is_framed(head: &[u8]) -> bool {
    parse_header(head).is_ok()
}

/// The compressed size a frame header announces, or what is wrong with it.
pub fn parse_header(h: &[u8]) -> Result<usize, String> {
    let word = |i: usize| {
        h.get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
    };
    match (word(0), word(4), word(8)) {
        (Some(SKIPPABLE_MAGIC), Some(4), Some(size)) => {
            let size = size as usize;
            if size > MAX_FRAME {
                Err(format!(
                    "frame header announces {size} bytes, more than the {MAX_FRAME} allowed"
                ))
            } else {
                Ok(size)
            }
        }
        (Some(_), Some(_), Some(_)) => Err("not a frame header".into()),
        _ => Err("truncated frame header".into()),
    }
}

/// A frame to compress: its place in the stream, the raw bytes, a buffer for the output.
struct Job {
    seq: u64,
    raw: Vec<u8>,
    out: Vec<u8>,
}

/// A compressed frame (or why not), with both buffers for reuse.
struct Done {
    seq: u64,
    raw: Vec<u8>,
    out: io::Result<Vec<u8>>,
}

fn compress_frame(c: &mut zstd::bulk::Compressor<'static>, job: &mut Job) -> io::Result<()> {
    job.out.clear();
    job.out
        .reserve(zstd::zstd_safe::compress_bound(job.raw.len()));
    c.compress_to_buffer(&job.raw, &mut job.out)?;
    if u32::try_from(job.out.len()).is_err() {
        return Err(io::Error::other("compressed frame larger than 4 GiB"));
    }
    Ok(())
}

fn compressor(level: i32) -> io::Result<zstd::bulk::Compressor<'static>> {
    let mut c = zstd::bulk::Compressor::new(level)?;
    c.include_checksum(true)?;
    c.include_contentsize(true)?;
    Ok(c)
}

/// One compression worker: a single-threaded zstd context, frames until the queue closes.
fn compress_frames(level: i32, jobs: Arc<Mutex<Receiver<Job>>>, done: Sender<Done>) {
    let mut c = compressor(level);
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(mut job) = job else { return };
        let result = match c.as_mut() {
            Ok(c) => compress_frame(c, &mut job),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        };
        let out = result.map(|()| std::mem::take(&mut job.out));
        let msg = Done {
            seq: job.seq,
            raw: job.raw,
            out,
        };
        if done.send(msg).is_err() {
            return;
        }
    }
}

/// The framed encoder: this thread cuts frames and hashes the raw bytes, `threads`
/// workers compress, and this thread writes finished frames in order (hashing the
/// stored bytes). At most `threads + 1` frames are in flight (one more than the
/// workers, so that a worker rarely waits for an earlier frame to be written; + 2
/// measured no faster and 6 MiB larger), so memory is bounded by about
/// `2 * (threads + 2)` frames whatever the stream's size.
pub(super) struct FrameEncoder<W: Write> {
    sink: HashWriter<W>,
    raw: Sha256,
    raw_bytes: u64,
    pending: Vec<u8>,
    frame: usize,
    jobs: Option<SyncSender<Job>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    spare_raw: Vec<Vec<u8>>,
    spare_out: Vec<Vec<u8>>,
    ready: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    next_write: u64,
    max_in_flight: usize,
}

impl<W: Write> FrameEncoder<W> {
    pub(super) fn new(sink: W, level: i32, threads: u32, frame: usize) -> io::Result<Self> {
        if frame == 0 || frame > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame size {frame} is not in 1..={MAX_FRAME}"),
            ));
        }
        // Fail early (bad level) rather than in a worker.
        compressor(level)?;
        let threads = threads.max(1) as usize;
        let (jobs_tx, jobs_rx) = sync_channel::<Job>(threads);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (done_tx, done_rx) = channel();
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let (jobs, done) = (Arc::clone(&jobs_rx), done_tx.clone());
            workers.push(
                std::thread::Builder::new()
                    .name(format!("zstd-frame-{i}"))
                    .spawn(move || compress_frames(level, jobs, done))?,
            );
        }
        Ok(FrameEncoder {
            sink: HashWriter::new(sink),
            raw: Sha256::new(),
            raw_bytes: 0,
            pending: Vec::with_capacity(frame),
            frame,
            jobs: Some(jobs_tx),
            done: done_rx,
            workers,
            spare_raw: Vec::new(),
            spare_out: Vec::new(),
            ready: BTreeMap::new(),
            next_seq: 0,
            next_write: 0,
            max_in_flight: threads + 1,
        })
    }

    pub(super) fn frame(&self) -> usize {
        self.frame
    }

    pub(super) fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    fn in_flight(&self) -> usize {
        (self.next_seq - self.next_write) as usize
    }

    fn spare(&mut self) -> Vec<u8> {
        self.spare_raw
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.frame))
    }

    /// Hands the pending frame to the workers (waiting for room first).
    fn submit(&mut self) -> io::Result<()> {
        while self.in_flight() >= self.max_in_flight {
            self.collect(true)?;
        }
        let raw = std::mem::take(&mut self.pending);
        self.pending = self.spare();
        let out = self.spare_out.pop().unwrap_or_default();
        let job = Job {
            seq: self.next_seq,
            raw,
            out,
        };
        let stopped = || io::Error::other("the zstd workers stopped");
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        self.next_seq += 1;
        self.collect(false)
    }

    /// Writes the frames that are done, in order; with `block`, waits until at least
    /// one more frame is written.
    fn collect(&mut self, block: bool) -> io::Result<()> {
        loop {
            let done = if block {
                match self.done.recv() {
                    Ok(d) => d,
                    Err(_) => return Err(io::Error::other("the zstd workers stopped")),
                }
            } else {
                match self.done.try_recv() {
                    Ok(d) => d,
                    Err(_) => return Ok(()),
                }
            };
            let mut raw = done.raw;
            raw.clear();
            self.spare_raw.push(raw);
            self.ready.insert(done.seq, done.out?);
            let before = self.next_write;
            self.write_ready()?;
            if block && self.next_write > before {
                return Ok(());
            }
        }
    }

    fn write_ready(&mut self) -> io::Result<()> {
        while let Some(out) = self.ready.remove(&self.next_write) {
            // compress_frame checked that the size fits in a u32.
            let size = u32::try_from(out.len()).map_err(io::Error::other)?;
            self.sink.write_all(&frame_header(size))?;
            self.sink.write_all(&out)?;
            self.spare_out.push(out);
            self.next_write += 1;
        }
        Ok(())
    }

    /// Takes over a whole buffer; returns an empty one (capacity one frame) for the next read.
    pub(super) fn write_vec(&mut self, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
        if self.pending.is_empty() && buf.len() == self.frame {
            self.raw.update(&buf);
            self.raw_bytes += buf.len() as u64;
            std::mem::swap(&mut self.pending, &mut buf);
            self.spare_raw.push(buf);
            self.submit()?;
            return Ok(self.spare());
        }
        self.write_all(&buf)?;
        buf.clear();
        Ok(buf)
    }

    pub(super) fn finish(mut self) -> io::Result<(W, Digests)> {
        // An empty stream still gets one (empty) frame: the file stays recognisably framed.
        if !self.pending.is_empty() || self.next_seq == 0 {
            self.submit()?;
        }
        self.jobs = None;
        while self.in_flight() > 0 {
            self.collect(true)?;
        }
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

impl<W: Write> Write for FrameEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.raw.update(buf);
        self.raw_bytes += buf.len() as u64;
        let mut rest = buf;
        while !rest.is_empty() {
            let take = (self.frame - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == self.frame {
                self.submit()?;
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        // Frames are written as they complete; a partial frame waits for more input.
        self.sink.flush()
    }
}
