//! The framed zstd format (written by [`super::frame_encoder`]).
//!
//! With zstd worker threads, a stored file is a sequence of INDEPENDENT zstd frames,
//! each preceded by a pzstd-style skippable frame whose 4-byte payload is the
//! compressed size of the frame after it:
//!
//! ```text
//! 50 2A 4D 18 | 04 00 00 00 | <compressed size, LE u32> | <zstd frame> | 50 2A 4D 18 | ...
//! ```
//!
//! This is pzstd's format: `zstd -d` and `zstd -t` skip skippable frames and
//! concatenate frames, so the standard tools read our files, while our decoder can
//! hand frames to several threads without decoding anything first (see
//! [`super::parallel`]). Each frame carries a checksum.
//!
//! A frame holds about [`FRAME`] stored bytes whatever the data's ratio: its raw
//! size is [`FRAME`] times the ratio compressed so far, at most [`MAX_FRAME`]. What a
//! frame costs is the history it starts without (what repeats across its start is
//! encoded again), some 50–200 KiB on highly compressible data: paid once per 4 MiB
//! stored (or 64 MiB raw) it stays under 1 % against one stream (tests_overhead:
//! -0.23 % and +0.65 %; 8 MiB frames gave -0.22 % and -0.32 % but held twice the
//! memory and serialised the two workers more: 1.18x the zstd pipe and 65.8 MiB
//! against 0.92x and 58.1 MiB, docs/PERFORMANCE.md "Backup"), where fixed 4 MiB raw
//! frames cost +8.9 % on a 10:1 dump (docs/BACKUP.md, "Stored format"). Each frame
//! is compressed as a stream (no content size: it is not known when the frame
//! starts) by one single-threaded zstd context, from a ring of its own (libzstd's
//! streaming API splits the history nearly all the time, a slower matcher: see
//! `frame_encoder/ring.rs`); the workers take frames in turn and only the
//! compressed frames are buffered (to write their size first). Where the
//! frame boundaries fall depends on timing (the ratio so far), not what they decode
//! to. Files written before had fixed 4 MiB raw frames with their content size:
//! they decode the same.

/// Stored bytes a frame holds, about (see the module documentation). Libzstd's own
/// worker threads (one frame, jobs in parallel) were measured too: they cost +1.6 %
/// (full window overlap) to +3.8 % (the default) on the 10:1 `comp` dump, more than
/// these frames.
pub const FRAME: usize = 4 << 20;
/// Magic number of the skippable frame before each zstd frame (pzstd's).
pub const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// Length of that skippable frame: magic, payload size (4), payload.
pub const HEADER_LEN: usize = 12;
/// The largest frame a reader accepts, stored or raw, and the raw size at which the
/// encoder ends a frame whatever its compressed size: a corrupt size header must not
/// become a huge allocation, and a frame of very compressible data must still leave
/// decoding something to do in parallel.
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
