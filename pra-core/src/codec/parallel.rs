//! Parallel decoding of the framed zstd format (see [`super::frames`]).
//!
//! A reader thread splits the stream at the frame headers and hands frames to
//! [`DECODE_THREADS`] workers, hashing every stored byte (each frame once it is handed
//! over: its decoding starts without waiting for its sha256); each decodes its frame as a stream,
//! in pieces of at most [`PIECE`] bytes, and the consumer takes the pieces back IN
//! ORDER ([`FrameDecoder::next_frame`]), so that it can hash the raw bytes in order.
//!
//! Memory is bounded whatever the file's size or content: at most [`IN_FLIGHT`]
//! stored frames (each at most [`super::frames::MAX_FRAME`], about
//! [`super::frames::FRAME`] as written) are between the reader and the consumer, and
//! at most [`RAW_IN_FLIGHT`] decoded bytes wait for the consumer: a worker decoding
//! ahead of the frame being consumed stops there, the one decoding that frame only
//! when [`CURRENT_AHEAD`] of its own bytes wait (so it never waits for the others). About 45 MiB with the files pra-backup writes
//! (frames of about 4 MiB stored, 2 MiB windows), plus [`super::copy::HASH_AHEAD`]
//! pieces waiting for their sha256 when `Decoder::copy_to` consumes them.

use super::frames::{parse_header, FRAME, HEADER_LEN};
use super::unframe::{consumed, corrupt, decode_frames, update, Event, Job, Shared};
use super::{hex, read_full, Digest, StoredHash};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Threads that decode frames.
pub const DECODE_THREADS: usize = 2;
/// Frames between the reader and the consumer.
pub const IN_FLIGHT: usize = DECODE_THREADS + 1;
/// The largest piece of a frame handed to the consumer.
pub const PIECE: usize = 1 << 20;
/// Decoded bytes waiting for the consumer, at most, plus [`CURRENT_AHEAD`].
pub const RAW_IN_FLIGHT: usize = 16 << 20;
/// Decoded bytes of the frame being consumed that may wait whatever the others hold.
pub const CURRENT_AHEAD: usize = 4 * PIECE;
/// The stored side as the reader sees it: the bytes already peeked, then the source,
/// everything counted; [`Stored::hash`] hashes (unless [`StoredHash::CountOnly`]), in
/// stream order, what the reader read.
struct Stored<R> {
    head: Vec<u8>,
    pos: usize,
    src: R,
    hasher: Option<Sha256>,
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
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R> Stored<R> {
    fn hash(&mut self, bytes: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            h.update(bytes);
        }
    }
}

struct ReaderLinks {
    credits: Receiver<()>,
    jobs: SyncSender<Job>,
    spare: Receiver<Arc<Vec<u8>>>,
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
        stored.hash(&header[..got]);
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
        // A frame's buffer comes back once its worker and the hashing below are done.
        let mut buf = links
            .spare
            .try_recv()
            .ok()
            .and_then(|b| Arc::try_unwrap(b).ok())
            .unwrap_or_default();
        match read_frame(&mut stored, &mut buf, size) {
            Ok(n) if n == size => {}
            Ok(n) => {
                stored.hash(&buf);
                failed(
                    seq,
                    format!("truncated frame at stored byte {offset}: {n} of {size} bytes"),
                );
                break;
            }
            Err(e) => {
                stored.hash(&buf);
                let _ = links.events.send((seq, Event::Failed(e)));
                break;
            }
        }
        let frame = Arc::new(buf);
        let job = Job {
            seq,
            offset,
            stored: Arc::clone(&frame),
        };
        // Hashed whether or not a worker takes it: a finishing decoder still
        // wants the digest of the whole stream.
        let sent = links.jobs.send(job).is_ok();
        stored.hash(&frame);
        if !sent {
            break;
        }
        seq += 1;
    }
    drop(links.jobs);
    let mut buf = vec![0u8; 1 << 20];
    while !links.stop.load(Ordering::Relaxed) {
        let n = read_full(&mut stored, &mut buf)?;
        if n == 0 {
            break;
        }
        stored.hash(&buf[..n]);
    }
    Ok(Digest {
        bytes: stored.bytes,
        sha256: stored
            .hasher
            .map(|h| hex(&h.finalize()))
            .unwrap_or_default(),
    })
}

/// Reads a frame of `size` bytes into `buf` in reads of up to [`FRAME`] bytes (not a
/// growing buffer's small ones), reusing its allocation (only bytes past its length are
/// zeroed first); it grows at most [`FRAME`] past the bytes actually read, so that a
/// size header larger than the file costs no more. Returns the bytes read, `buf`
/// holding them.
pub(super) fn read_frame<R: Read>(
    src: &mut R,
    buf: &mut Vec<u8>,
    size: usize,
) -> io::Result<usize> {
    let mut filled = 0;
    while filled < size {
        let end = size.min(filled + FRAME);
        buf.resize(end, 0);
        match read_full(src, &mut buf[filled..end]) {
            Ok(n) => filled += n,
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
        if filled < end {
            break;
        }
    }
    buf.truncate(filled);
    Ok(filled)
}

/// A running parallel decode of a framed stream; see the module documentation.
pub struct FrameDecoder {
    events: Receiver<(u64, Event)>,
    ready: BTreeMap<u64, VecDeque<Event>>,
    next: u64,
    /// Frames decoded so far without a content checksum.
    unchecked: u64,
    shared: Shared,
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
        FrameDecoder::spawn_with(head, source, StoredHash::Sha256)
    }

    /// [`FrameDecoder::spawn`], hashing the stored bytes or only counting them
    /// (`sha256` empty in [`FrameDecoder::finish`]'s digest).
    pub fn spawn_with<R: Read + Send + 'static>(
        head: Vec<u8>,
        source: R,
        hash: StoredHash,
    ) -> io::Result<FrameDecoder> {
        let (credits_tx, credits_rx) = sync_channel(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            let _ = credits_tx.try_send(());
        }
        let (jobs_tx, jobs_rx) = sync_channel(IN_FLIGHT);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let (spare_tx, spare_rx) = channel();
        let (events_tx, events_rx) = channel();
        let pool = Arc::new(Mutex::new(Vec::new()));
        let shared: Shared = Arc::default();
        let drain = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(DECODE_THREADS);
        for i in 0..DECODE_THREADS {
            let (jobs, pool, shared, spare, events) = (
                Arc::clone(&jobs_rx),
                Arc::clone(&pool),
                Arc::clone(&shared),
                spare_tx.clone(),
                events_tx.clone(),
            );
            workers.push(
                std::thread::Builder::new()
                    .name(format!("zstd-unframe-{i}"))
                    .spawn(move || decode_frames(jobs, pool, shared, spare, events))?,
            );
        }
        let stored = Stored {
            head,
            pos: 0,
            src: source,
            hasher: (hash == StoredHash::Sha256).then(Sha256::new),
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
            unchecked: 0,
            shared,
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

    /// The next decoded piece (of at most [`PIECE`] bytes) in stream order; `None` at
    /// the end of the stream. An error (damaged or truncated frame, bad header, trailing bytes, a read
    /// error) is final: later calls fail too.
    pub fn next_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.failed {
            return Err(corrupt("the stream failed to decode earlier".into()));
        }
        if self.done {
            return Ok(None);
        }
        loop {
            let event = self.ready.get_mut(&self.next).and_then(VecDeque::pop_front);
            if let Some(event) = event {
                return match event {
                    Event::Piece(buf) => {
                        let (seq, len) = (self.next, buf.len());
                        update(&self.shared, |b| consumed(b, seq, len));
                        Ok(Some(buf))
                    }
                    Event::FrameEnd(checked) => {
                        self.unchecked += u64::from(!checked);
                        self.ready.remove(&self.next);
                        self.next += 1;
                        let next = self.next;
                        update(&self.shared, |b| b.current = next);
                        if let Some(c) = &self.credits {
                            let _ = c.try_send(());
                        }
                        continue;
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
                    self.ready.entry(seq).or_default().push_back(event);
                }
                Err(_) => {
                    self.failed = true;
                    return Err(io::Error::other("the decoding threads stopped"));
                }
            }
        }
    }

    /// The frames consumed so far that carried no content checksum: their decode
    /// was not checked by libzstd (zero for every file pra writes, whose frames all
    /// carry one; see `frame_encoder/ring.rs`).
    pub fn unchecked_frames(&self) -> u64 {
        self.unchecked
    }

    /// Decoded bytes waiting for the consumer.
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.shared.0.lock().map_or(0, |b| b.waiting)
    }

    /// Gives a decoded piece's buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() < 2 * DECODE_THREADS {
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
        // Workers end when the reader closes their queue, or at once when waiting
        // for the consumer; unblock the reader first by emptying what is queued for
        // us (the workers never wait on the channel: it is unbounded).
        update(&self.shared, |b| b.closed = true);
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
