//! The decoding workers of [`super::parallel`]: each decodes a frame as a stream and
//! hands it out in pieces, within the budget of decoded bytes that wait for the
//! consumer.

use super::frames::MAX_FRAME;
use super::parallel::{CURRENT_AHEAD, PIECE, RAW_IN_FLIGHT};
use std::collections::BTreeMap;
use std::io;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use zstd::zstd_safe::{self, DCtx, InBuffer, OutBuffer};

/// The largest zstd window accepted (16 MiB, twice level 19's): a damaged frame
/// header must not become a large allocation.
pub(super) const WINDOW_LOG_MAX: u32 = 24;

/// What the consumer receives for one frame of the stream, in order.
pub(super) enum Event {
    Piece(Vec<u8>),
    /// The frame decoded whole; true when it carried a content checksum (verified).
    FrameEnd(bool),
    End,
    Failed(io::Error),
}

/// Decoded bytes waiting for the consumer, shared between it and the workers.
#[derive(Default)]
pub(super) struct Budget {
    /// The frame the consumer is reading.
    pub(super) current: u64,
    /// Decoded bytes sent and not consumed yet, in all and by frame.
    pub(super) waiting: usize,
    pub(super) by_frame: BTreeMap<u64, usize>,
    /// The decoder is finishing or dropped: workers stop waiting.
    pub(super) closed: bool,
}

pub(super) type Shared = Arc<(Mutex<Budget>, Condvar)>;

/// Waits until a piece of `len` bytes of frame `seq` may be sent, and counts it;
/// false when the decoder is closed.
pub(super) fn reserve(shared: &Shared, seq: u64, len: usize) -> bool {
    let (lock, cv) = &**shared;
    let Ok(mut b) = lock.lock() else { return false };
    loop {
        if b.closed {
            return false;
        }
        // The frame being consumed may have a few pieces waiting whatever the
        // others hold: its worker then never waits for them, nor in step with
        // the consumer.
        let own = b.by_frame.get(&seq).copied().unwrap_or(0);
        if (seq == b.current && own + len <= CURRENT_AHEAD) || b.waiting + len <= RAW_IN_FLIGHT {
            break;
        }
        b = match cv.wait(b) {
            Ok(b) => b,
            Err(_) => return false,
        };
    }
    b.waiting += len;
    *b.by_frame.entry(seq).or_default() += len;
    true
}

/// Changes the budget (the consumer took a piece, moved on, or stopped) and wakes
/// the workers.
pub(super) fn update(shared: &Shared, f: impl FnOnce(&mut Budget)) {
    let (lock, cv) = &**shared;
    if let Ok(mut b) = lock.lock() {
        f(&mut b);
    }
    cv.notify_all();
}

/// The consumer took a piece of `len` bytes of frame `seq`.
pub(super) fn consumed(b: &mut Budget, seq: u64, len: usize) {
    b.waiting = b.waiting.saturating_sub(len);
    if let Some(n) = b.by_frame.get_mut(&seq) {
        *n = n.saturating_sub(len);
        if *n == 0 {
            b.by_frame.remove(&seq);
        }
    }
}

pub(super) struct Job {
    pub(super) seq: u64,
    pub(super) offset: u64,
    /// Shared with the reader, which hashes it while it is decoded.
    pub(super) stored: Arc<Vec<u8>>,
}

pub(super) fn corrupt(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The magic number that starts a zstd frame (RFC 8878, 3.1.1).
const ZSTD_MAGIC: u32 = 0xFD2F_B528;

/// True when `frame` is a zstd frame whose header sets the Content_Checksum_flag (bit 2
/// of the frame header descriptor, RFC 8878 3.1.1.1.1): libzstd then verifies the
/// xxh64 of what it decoded against the checksum the encoder computed from its input
/// (unless told not to, which these decoders never are).
pub(super) fn has_checksum(frame: &[u8]) -> bool {
    frame.get(..4) == Some(&ZSTD_MAGIC.to_le_bytes()[..])
        && frame
            .get(4)
            .is_some_and(|descriptor| descriptor & 0x04 != 0)
}

/// Decodes one stored frame as a stream, handing out pieces: exactly one zstd frame,
/// intact (zstd checks the frame checksum, and the content size when given), no more
/// than [`MAX_FRAME`] bytes. `send` refuses a piece when the decoder is closed.
/// Returns whether the frame carried a content checksum ([`has_checksum`]).
pub(super) fn decode_frame(
    d: &mut DCtx<'static>,
    src: &[u8],
    pool: &Mutex<Vec<Vec<u8>>>,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<bool, String> {
    let damaged = |code: usize| format!("damaged zstd frame: {}", zstd_safe::get_error_name(code));
    d.reset(zstd_safe::ResetDirective::SessionOnly)
        .map_err(damaged)?;
    let mut input = InBuffer::around(src);
    let mut total = 0usize;
    loop {
        let mut piece = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        piece.clear();
        piece.reserve(PIECE);
        let mut left = 1;
        while piece.len() < PIECE && left != 0 {
            let before = (input.pos(), piece.len());
            left = d
                .decompress_stream(&mut OutBuffer::around_pos(&mut piece, before.1), &mut input)
                .map_err(damaged)?;
            if left != 0 && (input.pos(), piece.len()) == before {
                return Err(format!("truncated zstd frame ({} bytes)", src.len()));
            }
        }
        total += piece.len();
        if total > MAX_FRAME {
            return Err(format!("zstd frame decodes to more than {MAX_FRAME} bytes"));
        }
        if !piece.is_empty() && !send(piece) {
            return Ok(has_checksum(src));
        }
        if left == 0 {
            break;
        }
    }
    if input.pos() != src.len() {
        return Err(format!(
            "zstd frame is {} bytes, its header says {}",
            input.pos(),
            src.len()
        ));
    }
    Ok(has_checksum(src))
}

/// One decoding worker.
pub(super) fn decode_frames(
    jobs: Arc<Mutex<Receiver<Job>>>,
    pool: Arc<Mutex<Vec<Vec<u8>>>>,
    shared: Shared,
    spare: Sender<Arc<Vec<u8>>>,
    events: Sender<(u64, Event)>,
) {
    let mut d = DCtx::try_create();
    if let Some(d) = d.as_mut() {
        let _ = d.set_parameter(zstd_safe::DParameter::WindowLogMax(WINDOW_LOG_MAX));
    }
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let seq = job.seq;
        let mut closed = false;
        let mut send = |piece: Vec<u8>| {
            closed = !reserve(&shared, seq, piece.len())
                || events.send((seq, Event::Piece(piece))).is_err();
            !closed
        };
        let result = match d.as_mut() {
            Some(d) => decode_frame(d, &job.stored, &pool, &mut send),
            None => Err("zstd: out of memory".into()),
        };
        if closed {
            return;
        }
        let event = match result {
            Ok(checked) => Event::FrameEnd(checked),
            Err(problem) => Event::Failed(corrupt(format!(
                "frame at stored byte {}: {problem}",
                job.offset
            ))),
        };
        let _ = spare.send(job.stored);
        if events.send((seq, event)).is_err() {
            return;
        }
    }
}
