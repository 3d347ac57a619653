//! Parallel decoding of the framed zstd format (see [`super::frames`]).
//!
//! A reader thread hashes every stored byte, splits the stream at the frame headers
//! and hands frames to [`DECODE_THREADS`] workers; the consumer takes the decoded
//! frames back IN ORDER ([`FrameDecoder::next_frame`]), so that it can hash the raw
//! bytes in order. At most [`IN_FLIGHT`] frames are between the reader and the
//! consumer, and a frame is at most [`MAX_FRAME`] bytes, so memory is bounded
//! (about 25 MiB with 4 MiB frames) whatever the file's size or content.

use super::frames::{parse_header, HEADER_LEN, MAX_FRAME};
use super::{hex, read_full, Digest};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Threads that decode frames.
pub const DECODE_THREADS: usize = 2;
/// Frames between the reader and the consumer.
const IN_FLIGHT: usize = DECODE_THREADS + 2;

/// What the consumer receives for one position of the stream.
enum Event {
    Frame(Vec<u8>),
    End,
    Failed(io::Error),
}

struct Job {
    seq: u64,
    offset: u64,
    stored: Vec<u8>,
}

fn corrupt(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The stored side as the reader sees it: the bytes already peeked, then the source,
/// everything hashed and counted.
struct Stored<R> {
    head: Vec<u8>,
    pos: usize,
    src: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Stored<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = if self.pos < self.head.len() {
            let n = (self.head.len() - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            n
        } else {
            self.src.read(buf)?
        };
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

struct ReaderLinks {
    credits: Receiver<()>,
    jobs: SyncSender<Job>,
    spare: Receiver<Vec<u8>>,
    events: Sender<(u64, Event)>,
    drain: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

/// The reader thread: splits frames off while the consumer wants them, then hashes
/// the rest of the stream to the end (after an error too: the stored sha256 is the
/// plainest explanation of a damaged file), unless the decoder was dropped.
fn read_frames<R: Read>(mut stored: Stored<R>, links: ReaderLinks) -> io::Result<Digest> {
    let mut seq = 0u64;
    let failed = |seq: u64, msg: String| {
        let _ = links.events.send((seq, Event::Failed(corrupt(msg))));
    };
    loop {
        if links.drain.load(Ordering::Relaxed) || links.credits.recv().is_err() {
            break;
        }
        let offset = stored.bytes;
        let mut header = [0u8; HEADER_LEN];
        let got = match read_full(&mut stored, &mut header) {
            Ok(n) => n,
            Err(e) => {
                let _ = links.events.send((seq, Event::Failed(e)));
                break;
            }
        };
        if got == 0 {
            let _ = links.events.send((seq, Event::End));
            break;
        }
        let size = match parse_header(&header[..got]) {
            Ok(size) => size,
            Err(problem) => {
                failed(seq, format!("at stored byte {offset}: {problem}"));
                break;
            }
        };
        let mut buf = links.spare.try_recv().unwrap_or_default();
        buf.clear();
        // Grows with the bytes actually read: a truncated file allocates no more.
        match (&mut stored).take(size as u64).read_to_end(&mut buf) {
            Ok(n) if n == size => {}
            Ok(n) => {
                failed(
                    seq,
                    format!("truncated frame at stored byte {offset}: {n} of {size} bytes"),
                );
                break;
            }
            Err(e) => {
                let _ = links.events.send((seq, Event::Failed(e)));
                break;
            }
        }
        let job = Job {
            seq,
            offset,
            stored: buf,
        };
        if links.jobs.send(job).is_err() {
            break;
        }
        seq += 1;
    }
    drop(links.jobs);
    let mut buf = vec![0u8; 1 << 20];
    while !links.stop.load(Ordering::Relaxed) {
        if read_full(&mut stored, &mut buf)? == 0 {
            break;
        }
    }
    Ok(Digest {
        bytes: stored.bytes,
        sha256: hex(&stored.hasher.finalize()),
    })
}

/// Decodes one stored frame: exactly one zstd frame with its content size, no more
/// than [`MAX_FRAME`] bytes, intact (zstd checks the size and the frame checksum).
fn decode_frame(
    d: &mut zstd::bulk::Decompressor<'static>,
    src: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    use zstd::zstd_safe;
    let size = match zstd_safe::get_frame_content_size(src) {
        Ok(Some(size)) => size,
        Ok(None) => return Err("zstd frame without content size".into()),
        Err(_) => return Err("not a zstd frame".into()),
    };
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s <= MAX_FRAME)
        .ok_or_else(|| format!("zstd frame announces {size} bytes, more than {MAX_FRAME}"))?;
    match zstd_safe::find_frame_compressed_size(src) {
        Ok(n) if n == src.len() => {}
        Ok(n) => {
            return Err(format!(
                "zstd frame is {n} bytes, its header says {}",
                src.len()
            ))
        }
        Err(code) => {
            return Err(format!(
                "damaged zstd frame: {}",
                zstd_safe::get_error_name(code)
            ))
        }
    }
    out.clear();
    out.reserve(size);
    let n = d
        .decompress_to_buffer(src, out)
        .map_err(|e| format!("damaged zstd frame: {e}"))?;
    if n != size {
        return Err(format!("zstd frame decodes to {n} bytes, announces {size}"));
    }
    Ok(())
}

/// One decoding worker.
fn decode_frames(
    jobs: Arc<Mutex<Receiver<Job>>>,
    pool: Arc<Mutex<Vec<Vec<u8>>>>,
    spare: Sender<Vec<u8>>,
    events: Sender<(u64, Event)>,
) {
    let mut d = zstd::bulk::Decompressor::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let mut out = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let result = match d.as_mut() {
            Ok(d) => decode_frame(d, &job.stored, &mut out),
            Err(e) => Err(e.to_string()),
        };
        let event = match result {
            Ok(()) => Event::Frame(out),
            Err(problem) => Event::Failed(corrupt(format!(
                "frame at stored byte {}: {problem}",
                job.offset
            ))),
        };
        let _ = spare.send(job.stored);
        if events.send((job.seq, event)).is_err() {
            return;
        }
    }
}

/// A running parallel decode of a framed stream; see the module documentation.
pub struct FrameDecoder {
    events: Receiver<(u64, Event)>,
    ready: BTreeMap<u64, Event>,
    next: u64,
    done: bool,
    failed: bool,
    credits: Option<SyncSender<()>>,
    pool: Arc<Mutex<Vec<Vec<u8>>>>,
    drain: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<io::Result<Digest>>>,
    workers: Vec<JoinHandle<()>>,
}

impl FrameDecoder {
    /// Starts decoding `source`, whose first bytes (already read to recognise the
    /// format, see [`super::frames::is_framed`]) are `head`.
    pub fn spawn<R: Read + Send + 'static>(head: Vec<u8>, source: R) -> io::Result<FrameDecoder> {
        let (credits_tx, credits_rx) = sync_channel(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = credits_tx.try_send(());
        }
        let (jobs_tx, jobs_rx) = sync_channel(IN_FLIGHT);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (spare_tx, spare_rx) = channel();
        let (events_tx, events_rx) = channel();
        let pool = Arc::new(Mutex::new(Vec::new()));
        let drain = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(DECODE_THREADS);
        for i in 0..DECODE_THREADS {
            let (jobs, pool, spare, events) = (
                Arc::clone(&jobs_rx),
                Arc::clone(&pool),
                spare_tx.clone(),
                events_tx.clone(),
            );
            workers.push(
                std::thread::Builder::new()
                    .name(format!("zstd-unframe-{i}"))
                    .spawn(move || decode_frames(jobs, pool, spare, events))?,
            );
        }
        let stored = Stored {
            head,
            pos: 0,
            src: source,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let links = ReaderLinks {
            credits: credits_rx,
            jobs: jobs_tx,
            spare: spare_rx,
            events: events_tx,
            drain: Arc::clone(&drain),
            stop: Arc::clone(&stop),
        };
        let reader = std::thread::Builder::new()
            .name("zstd-frames-read".into())
            .spawn(move || read_frames(stored, links))?;
        Ok(FrameDecoder {
            events: events_rx,
            ready: BTreeMap::new(),
            next: 0,
            done: false,
            failed: false,
            credits: Some(credits_tx),
            pool,
            drain,
            stop,
            reader: Some(reader),
            workers,
        })
    }

    /// The next decoded frame in stream order; `None` at the end of the stream.
    /// An error (damaged or truncated frame, bad header, trailing bytes, a read
    /// error) is final: later calls fail too.
    pub fn next_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.failed {
            return Err(corrupt("the stream failed to decode earlier".into()));
        }
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(event) = self.ready.remove(&self.next) {
                return match event {
                    Event::Frame(buf) => {
                        self.next += 1;
                        if let Some(c) = &self.credits {
                            let _ = c.try_send(());
                        }
                        Ok(Some(buf))
                    }
                    Event::End => {
                        self.done = true;
                        Ok(None)
                    }
                    Event::Failed(e) => {
                        self.failed = true;
                        Err(e)
                    }
                };
            }
            match self.events.recv() {
                Ok((seq, event)) => {
                    self.ready.insert(seq, event);
                }
                Err(_) => {
                    self.failed = true;
                    return Err(io::Error::other("the decoding threads stopped"));
                }
            }
        }
    }

    /// Gives a decoded frame's buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() < IN_FLIGHT {
                pool.push(buf);
            }
        }
    }

    /// Stops decoding and returns the digest of the whole stored stream (the reader
    /// reads and hashes it to the end, whether or not every frame was consumed).
    pub fn finish(mut self) -> io::Result<Digest> {
        self.drain.store(true, Ordering::Relaxed);
        self.credits = None;
        self.join_workers();
        let reader = self.reader.take();
        match reader.map(|r| r.join()) {
            Some(Ok(result)) => result,
            _ => Err(io::Error::other("the reading thread failed")),
        }
    }

    fn join_workers(&mut self) {
        // Workers end when the reader closes their queue; unblock it first by
        // emptying what is queued for us (they never wait on us: unbounded channel).
        self.ready.clear();
        while self.events.try_recv().is_ok() {}
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for FrameDecoder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.drain.store(true, Ordering::Relaxed);
        self.credits = None;
        if let Some(r) = self.reader.take() {
            self.join_workers();
            let _ = r.join();
        }
    }
}
