//! The zstd body of an archived WAL file as independent frames, compressed and
//! decompressed on several threads: a 16 MiB segment at level 3 takes some 70 ms of
//! one core, so `pra-wal push` compresses it in halves on two (issue 19: a push under
//! 100 ms).
//!
//! Each frame is a standard zstd frame carrying its content size and checksum, the
//! frames concatenated with nothing between them: `zstd -d` decodes that as one file
//! (`tail -n +2 OBJ | zstd -d`). A frame starts without the history of the one before,
//! which costs nothing measurable here: level 3 keeps a 2 MiB window and a frame holds
//! at least [`MIN_FRAME`]. Objects written before as one stream (no content size)
//! decode on one thread.

use std::io;
use std::ops::Range;
use zstd::zstd_safe;

/// Raw bytes below which a file is one frame, compressed on the calling thread.
const MIN_FRAME: usize = 4 << 20;
/// The largest raw size an object may announce: PostgreSQL's largest WAL segment
/// (`initdb --wal-segsize 1024`). A damaged header must not become a huge allocation.
pub(super) const MAX_RAW: u64 = 1 << 30;

/// Threads worth starting: the cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The raw ranges of the frames `raw` is cut into: one per core, each at least
/// [`MIN_FRAME`] bytes (one frame for an empty file).
fn frame_ranges(len: usize, cores: usize) -> Vec<Range<usize>> {
    let n = (len / MIN_FRAME).clamp(1, cores.max(1));
    let size = len.div_ceil(n).max(1);
    (0..n)
        .map(|i| (i * size).min(len)..((i + 1) * size).min(len))
        .collect()
}

fn compress_frame(raw: &[u8], level: i32) -> io::Result<Vec<u8>> {
    let mut c = zstd::bulk::Compressor::new(level)?;
    // The checksum keeps `zstd -d` / `zstd -t` able to check a frame on their own.
    c.set_parameter(zstd_safe::CParameter::ChecksumFlag(true))?;
    // One call over the whole frame (prefix mode): the streaming encoder's copies into
    // its window and its slower external-dictionary search cost a third more.
    c.compress(raw)
}

/// Compresses `raw` at `level` into frames, one per core (see the module
/// documentation), compressed in parallel; their concatenation is the body.
pub(super) fn compress(raw: &[u8], level: i32) -> io::Result<Vec<Vec<u8>>> {
    compress_on(raw, level, cores())
}

/// [`compress`] for `cores` cores.
fn compress_on(raw: &[u8], level: i32, cores: usize) -> io::Result<Vec<Vec<u8>>> {
    let ranges = frame_ranges(raw.len(), cores);
    std::thread::scope(|s| {
        let rest: Vec<_> = ranges[1..]
            .iter()
            .map(|r| s.spawn(move || compress_frame(&raw[r.clone()], level)))
            .collect();
        let mut frames = vec![compress_frame(&raw[ranges[0].clone()], level)?];
        for t in rest {
            frames.push(
                t.join()
                    .map_err(|_| io::Error::other("a compression thread panicked"))??,
            );
        }
        Ok(frames)
    })
}

/// The (compressed, raw) sizes of the frames of `body`, when every frame says its
/// content size; `None` otherwise (one stream written before frames, or damage).
fn frame_sizes(mut body: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut sizes = Vec::new();
    while !body.is_empty() {
        let stored = zstd_safe::find_frame_compressed_size(body).ok()?;
        let raw = zstd_safe::get_frame_content_size(body).ok()??;
        sizes.push((stored, usize::try_from(raw).ok()?));
        body = body.get(stored..)?;
    }
    Some(sizes)
}

/// Cuts the frames into at most `cores` runs of consecutive frames with about the
/// same raw size: (stored range, raw range) of each run, one thread each.
fn runs(sizes: &[(usize, usize)], cores: usize) -> Vec<(Range<usize>, Range<usize>)> {
    let total: usize = sizes.iter().map(|&(_, r)| r).sum();
    let share = total.div_ceil(cores.max(1)).max(1);
    let mut runs: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let (mut stored, mut raw) = (0, 0);
    for &(s, r) in sizes {
        match runs.last_mut() {
            Some((sr, rr)) if rr.len() + r <= share || rr.start == rr.end => {
                sr.end += s;
                rr.end += r;
            }
            _ => runs.push((stored..stored + s, raw..raw + r)),
        }
        stored += s;
        raw += r;
    }
    runs
}

/// Decodes `frames` (whole zstd frames) into exactly `out`.
fn decompress_into(frames: &[u8], out: &mut [u8]) -> Result<(), String> {
    let mut d = zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?;
    let n = d
        .decompress_to_buffer(frames, out)
        .map_err(|e| e.to_string())?;
    if n == out.len() {
        Ok(())
    } else {
        Err(format!("decodes to {n} bytes, {} expected", out.len()))
    }
}

/// Decompresses `body` into exactly `size` raw bytes, frames on several threads when
/// it has several; `Err` says why it does not decode.
pub(super) fn decompress(body: &[u8], size: u64) -> Result<Vec<u8>, String> {
    decompress_on(body, size, cores())
}

/// [`decompress`] for `cores` cores.
fn decompress_on(body: &[u8], size: u64, cores: usize) -> Result<Vec<u8>, String> {
    if size > MAX_RAW {
        return Err(format!(
            "the header announces {size} bytes, more than a WAL file holds ({MAX_RAW})"
        ));
    }
    let mut out = vec![0u8; usize::try_from(size).map_err(|e| e.to_string())?];
    let runs = match frame_sizes(body) {
        Some(sizes) if sizes.iter().map(|&(_, r)| r).sum::<usize>() == out.len() => {
            runs(&sizes, cores)
        }
        // One stream, or sizes that do not add up: one call, which says what is wrong.
        _ => vec![(0..body.len(), 0..out.len())],
    };
    std::thread::scope(|s| {
        let mut rest = &mut out[..];
        let mut threads = Vec::new();
        let mut first = None;
        for (stored, raw) in runs {
            let (part, tail) = rest.split_at_mut(raw.len());
            rest = tail;
            let frames = &body[stored];
            if first.is_none() {
                first = Some((frames, part));
            } else {
                threads.push(s.spawn(move || decompress_into(frames, part)));
            }
        }
        if let Some((frames, part)) = first {
            decompress_into(frames, part)?;
        }
        threads.into_iter().try_for_each(|t| {
            t.join()
                .map_err(|_| "a decompression thread panicked".to_string())?
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cover_the_file_once_per_core_and_never_below_the_minimum() {
        assert_eq!(frame_ranges(0, 4), vec![0..0]);
        assert_eq!(frame_ranges(100, 4), vec![0..100]);
        let mb16 = 16 << 20;
        assert_eq!(frame_ranges(mb16, 2), vec![0..mb16 / 2, mb16 / 2..mb16]);
        assert_eq!(frame_ranges(mb16, 64).len(), 4, "4 MiB frames at least");
        let odd = frame_ranges(mb16 + 1, 3);
        assert_eq!(odd.first().map(|r| r.start), Some(0));
        assert_eq!(odd.last().map(|r| r.end), Some(mb16 + 1));
        assert!(odd.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn runs_group_consecutive_frames_by_raw_size() {
        let sizes = [(10, 100), (20, 100), (30, 100), (40, 100)];
        assert_eq!(runs(&sizes, 2), vec![(0..30, 0..200), (30..100, 200..400)]);
        assert_eq!(runs(&sizes, 1), vec![(0..100, 0..400)]);
        assert_eq!(runs(&sizes, 8).len(), 4);
    }

    #[test]
    fn frames_decode_alone_together_and_as_one_stream() {
        let raw: Vec<u8> = (0..(9u32 << 20))
            .map(|i| (i % 253) as u8 ^ (i >> 20) as u8)
            .collect();
        let frames = compress_on(&raw, 3, 2).unwrap();
        assert_eq!(frames.len(), 2, "two cores, two frames");
        let body = frames.concat();
        for cores in [1, 2, 3] {
            assert!(decompress_on(&body, raw.len() as u64, cores).unwrap() == raw);
        }
        // What `zstd -d` does: every frame in turn, as one stream.
        assert!(zstd::stream::decode_all(&body[..]).unwrap() == raw);
        let sizes = frame_sizes(&body).unwrap();
        assert_eq!(sizes.len(), 2);
        assert_eq!(sizes.iter().map(|s| s.1).sum::<usize>(), raw.len());

        // Objects written before: one stream without a content size.
        let stream = zstd::stream::encode_all(&raw[..], 3).unwrap();
        assert!(frame_sizes(&stream).is_none());
        assert!(decompress_on(&stream, raw.len() as u64, 2).unwrap() == raw);

        let n = raw.len() as u64;
        assert!(decompress_on(&body, n - 1, 2).is_err());
        assert!(decompress_on(&body, n + 1, 2).is_err());
        assert!(decompress_on(&body[..body.len() - 1], n, 2).is_err());
        let mut flipped = body.clone();
        let last = flipped.len() - 100;
        flipped[last] ^= 0x55;
        assert!(decompress_on(&flipped, n, 2).is_err());
        assert!(decompress(&body, MAX_RAW + 1)
            .unwrap_err()
            .contains("announces"));
        let empty = compress_on(&[], 3, 2).unwrap();
        assert_eq!(empty.len(), 1);
        assert!(decompress(&empty.concat(), 0).unwrap().is_empty());
    }
}
