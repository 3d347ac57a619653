//! Copying the decoded pieces of a framed stream into a sink while another thread
//! computes their sha256: the consumer of [`super::parallel`] only writes, so that
//! neither the write nor the hash waits for the other (the hash alone costs about as
//! much as the write and the offset scan of pra-restore's fetch together).

use super::parallel::FrameDecoder;
use super::CopyError;
use sha2::{Digest as _, Sha256};
use std::io::{self, Write};
use std::sync::mpsc::{channel, sync_channel};

/// Pieces written and not hashed yet, at most (each at most [`super::parallel::PIECE`]).
pub(super) const HASH_AHEAD: usize = 4;

/// Writes every piece `frames` still has into `sink`, hashing them into `hasher` in
/// order on a thread of its own and counting them in `bytes`; the buffers go back
/// to `frames` once hashed. Hashes on the calling thread when no thread can start.
/// Without a hasher (the raw sha256 not taken: see `super::RawHash`), writes only.
pub(super) fn copy_frames(
    frames: &mut FrameDecoder,
    hasher: Option<&mut Sha256>,
    bytes: &mut u64,
    sink: &mut dyn Write,
) -> Result<(), CopyError> {
    let Some(hasher) = hasher else {
        while let Some(piece) = frames.next_frame().map_err(CopyError::Decode)? {
            *bytes += piece.len() as u64;
            sink.write_all(&piece).map_err(CopyError::Write)?;
            frames.recycle(piece);
        }
        return Ok(());
    };
    let (to_hash, queue) = sync_channel::<Vec<u8>>(HASH_AHEAD);
    let (hashed_tx, hashed) = channel::<Vec<u8>>();
    // The thread hashes a copy of the state, handed back when it is joined.
    let mut state = hasher.clone();
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("sha256-raw".into())
            .spawn_scoped(s, move || {
                for piece in queue {
                    state.update(&piece);
                    // The consumer may have stopped taking buffers back: not an error.
                    let _ = hashed_tx.send(piece);
                }
                state
            });
        let mut worker = match worker {
            Ok(w) => Some(w),
            Err(e) => {
                log::debug!("hashing on the copying thread: {e}");
                None
            }
        };
        let mut copied = || -> Result<(), CopyError> {
            while let Some(piece) = frames.next_frame().map_err(CopyError::Decode)? {
                *bytes += piece.len() as u64;
                sink.write_all(&piece).map_err(CopyError::Write)?;
                if worker.is_none() {
                    hasher.update(&piece);
                    frames.recycle(piece);
                    continue;
                }
                if to_hash.send(piece).is_err() {
                    return Err(CopyError::Decode(io::Error::other(
                        "the hashing thread stopped",
                    )));
                }
                for done in hashed.try_iter() {
                    frames.recycle(done);
                }
            }
            Ok(())
        };
        let result = copied();
        drop(to_hash);
        match worker.take().map(|w| w.join()) {
            Some(Ok(state)) => *hasher = state,
            Some(Err(_)) => {
                return Err(CopyError::Decode(io::Error::other(
                    "the hashing thread failed",
                )))
            }
            None => {}
        }
        result
    })
}
