//! Tests of the framed zstd format: round trips at the frame boundaries, the
//! standard tools, old single-stream files, and damaged files.

use super::frames::{frame_header, HEADER_LEN, SKIPPABLE_MAGIC};
use super::*;
use std::process::Command;

/// The raw size of a frame here: [`Encoder::with_frame_size`]'s cap, so that the
/// frames are cut where the tests expect them whatever the data's ratio.
const FRAME: usize = 1 << 20;

fn data(len: usize) -> Vec<u8> {
    // Compressible but not trivial, different in every frame.
    let mut x = 0x9e37_79b9u32;
    (0..len)
        .map(|i| {
            if i % 16 == 0 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
            }
            ((i as u32 / 5) ^ (x & 0x0f)) as u8
        })
        .collect()
}

fn framed_opts() -> EncodeOptions {
    EncodeOptions {
        codec: Codec::Zstd,
        level: None,
        threads: 2,
    }
}

fn encode(raw: &[u8], opts: EncodeOptions) -> (Vec<u8>, Digests) {
    let mut enc = Encoder::with_frame_size(Vec::new(), opts, FRAME).unwrap();
    // Whole frames through write_vec (taken over), the rest through write.
    let mut rest = raw;
    while rest.len() >= FRAME {
        let back = enc.write_vec(rest[..FRAME].to_vec()).unwrap();
        assert!(back.is_empty());
        rest = &rest[FRAME..];
    }
    for chunk in rest.chunks(100_000) {
        enc.write_all(chunk).unwrap();
    }
    assert_eq!(enc.raw_bytes(), raw.len() as u64);
    enc.finish().unwrap()
}

fn sha256sum(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

fn zstd_cli(args: &[&str], stored: &[u8]) -> (bool, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.zst");
    std::fs::write(&path, stored).unwrap();
    let out = Command::new("zstd").args(args).arg(&path).output().unwrap();
    (out.status.success(), out.stdout)
}

fn decode_parallel(stored: &[u8]) -> io::Result<(Vec<u8>, Digests)> {
    let mut dec = Decoder::new_parallel(io::Cursor::new(stored.to_vec()), Codec::Zstd)?;
    let mut back = Vec::new();
    dec.read_to_end(&mut back)?;
    Ok((back, dec.finish()?))
}

fn copy_parallel(stored: &[u8]) -> Result<(Vec<u8>, Digests), String> {
    let mut dec = Decoder::new_parallel(io::Cursor::new(stored.to_vec()), Codec::Zstd)
        .map_err(|e| e.to_string())?;
    let mut back = Vec::new();
    dec.copy_to(&mut back).map_err(|e| e.to_string())?;
    let d = dec.finish().map_err(|e| e.to_string())?;
    Ok((back, d))
}

/// The stored offsets of the frame headers.
fn headers(stored: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut v = Vec::new();
    while at < stored.len() {
        assert_eq!(stored[at..at + 4], SKIPPABLE_MAGIC.to_le_bytes());
        v.push(at);
        let size = u32::from_le_bytes(stored[at + 8..at + 12].try_into().unwrap());
        at += HEADER_LEN + size as usize;
    }
    assert_eq!(at, stored.len());
    v
}

#[test]
fn framed_round_trips_at_every_frame_boundary() {
    for len in [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 12345] {
        let raw = data(len);
        let (stored, digests) = encode(&raw, framed_opts());
        assert_eq!(digests.raw.sha256, sha256sum(&raw), "{len}: raw");
        assert_eq!(digests.raw.bytes, len as u64);
        assert_eq!(digests.stored.sha256, sha256sum(&stored), "{len}: stored");
        assert_eq!(digests.stored.bytes, stored.len() as u64);
        assert_eq!(headers(&stored).len(), len.div_ceil(FRAME).max(1), "{len}");

        let (back, d) = decode_parallel(&stored).unwrap();
        assert!(back == raw, "{len}: parallel decode");
        assert_eq!(d, digests, "{len}: parallel digests");
        let (back, d) = copy_parallel(&stored).unwrap();
        assert!(back == raw, "{len}: copy_to");
        assert_eq!(d, digests, "{len}: copy_to digests");
        // The sequential decoder (and so older pra versions) reads framed files too.
        let mut dec = Decoder::new(&stored[..], Codec::Zstd).unwrap();
        let mut back = Vec::new();
        dec.read_to_end(&mut back).unwrap();
        assert!(back == raw, "{len}: sequential decode");
        assert_eq!(dec.finish().unwrap(), digests);

        let (ok, out) = zstd_cli(&["-q", "-d", "-c"], &stored);
        assert!(ok && out == raw, "{len}: zstd -d reads it");
        assert!(zstd_cli(&["-q", "-t"], &stored).0, "{len}: zstd -t");
    }
}

#[test]
fn single_stream_files_still_decode_in_parallel_mode() {
    let raw = data(FRAME + 999);
    for opts in [
        EncodeOptions {
            threads: 0,
            ..framed_opts()
        },
        EncodeOptions {
            codec: Codec::Gzip,
            ..framed_opts()
        },
        EncodeOptions {
            codec: Codec::None,
            ..framed_opts()
        },
    ] {
        let (stored, digests) = encode(&raw, opts);
        assert_ne!(stored.get(..4), Some(&SKIPPABLE_MAGIC.to_le_bytes()[..]));
        let mut dec = Decoder::new_parallel(io::Cursor::new(stored.clone()), opts.codec).unwrap();
        let mut back = Vec::new();
        dec.copy_to(&mut back).unwrap();
        assert!(back == raw, "{opts:?}");
        assert_eq!(dec.finish().unwrap(), digests, "{opts:?}");
    }
    // A single-stream input shorter than a frame header.
    let stored = zstd::encode_all(&b"x"[..], 3).unwrap();
    assert!(stored.len() < HEADER_LEN);
    assert_eq!(decode_parallel(&stored).unwrap().0, b"x");
}

#[test]
fn damaged_framed_files_fail_with_an_error() {
    let raw = data(2 * FRAME + 777);
    let (good, digests) = encode(&raw, framed_opts());
    let at = headers(&good);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut b = good.clone();
    b[at[1] + HEADER_LEN + 5000] ^= 0x01;
    cases.push(("flipped byte in a frame", b));
    let mut b = good.clone();
    b[at[1] + 1] ^= 0x80;
    cases.push(("flipped byte in a header's magic", b));
    let mut b = good.clone();
    b[at[1] + 8] ^= 0x04;
    cases.push(("flipped byte in a header's size", b));
    let mut b = good.clone();
    b[at[2] + 8..at[2] + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    cases.push(("size header 0xFFFFFFFF", b));
    cases.push(("truncated in a frame", good[..good.len() - 10].to_vec()));
    cases.push(("truncated in a header", good[..at[2] + 7].to_vec()));
    let mut b = good.clone();
    b.extend_from_slice(b"trailing garbage");
    cases.push(("trailing garbage", b));
    let mut b = good.clone();
    b.extend_from_slice(&frame_header(3));
    cases.push(("header without its frame", b));
    let mut b = good.clone();
    b.extend_from_slice(&frame_header(5));
    b.extend_from_slice(b"12345");
    cases.push(("frame that is not zstd", b));
    for (what, bad) in cases {
        assert!(decode_parallel(&bad).is_err(), "{what}: read");
        let e = copy_parallel(&bad).unwrap_err();
        assert!(!e.is_empty(), "{what}");
        // After the failure the stored side is still hashed to the end.
        let mut frames = FrameDecoder::spawn(Vec::new(), io::Cursor::new(bad.clone())).unwrap();
        while let Ok(Some(_)) = frames.next_frame() {}
        let stored = frames.finish().unwrap();
        assert_eq!(stored.bytes, bad.len() as u64, "{what}");
        assert_ne!(stored.sha256, digests.stored.sha256, "{what}");
    }
}

#[test]
fn dropping_a_decoder_midway_stops_its_threads() {
    let raw = data(3 * FRAME);
    let (stored, _) = encode(&raw, framed_opts());
    let mut dec = Decoder::new_parallel(io::Cursor::new(stored), Codec::Zstd).unwrap();
    let mut buf = vec![0u8; 1000];
    dec.read_exact(&mut buf).unwrap();
    assert_eq!(buf, raw[..1000]);
    drop(dec);
}

#[test]
fn files_written_with_fixed_frames_and_their_content_size_still_decode() {
    // The format before frames were sized by their stored bytes: 4 MiB raw frames
    // compressed whole, content size in each frame header.
    let raw = data(2 * (4 << 20) + 999);
    let mut c = zstd::bulk::Compressor::new(3).unwrap();
    c.include_checksum(true).unwrap();
    c.include_contentsize(true).unwrap();
    let mut stored = Vec::new();
    for piece in raw.chunks(4 << 20) {
        let frame = c.compress(piece).unwrap();
        stored.extend_from_slice(&frame_header(frame.len() as u32));
        stored.extend_from_slice(&frame);
    }
    assert_eq!(headers(&stored).len(), 3);
    let (back, d) = decode_parallel(&stored).unwrap();
    assert!(back == raw);
    assert_eq!(d.raw.sha256, sha256sum(&raw));
    assert_eq!(d.stored.sha256, sha256sum(&stored));
}

#[test]
fn decoded_bytes_waiting_for_a_slow_consumer_stay_within_the_budget() {
    use super::parallel::{CURRENT_AHEAD, PIECE, RAW_IN_FLIGHT};
    // Frames of 48 MiB raw that compress to almost nothing: the workers could decode
    // far ahead of the consumer.
    let raw = vec![7u8; 3 * (48 << 20)];
    let mut enc = Encoder::with_frame_size(Vec::new(), framed_opts(), 48 << 20).unwrap();
    enc.write_all(&raw).unwrap();
    let (stored, digests) = enc.finish().unwrap();
    assert_eq!(headers(&stored).len(), 3);
    let mut frames = FrameDecoder::spawn(Vec::new(), io::Cursor::new(stored)).unwrap();
    let mut bytes = 0u64;
    let mut most = 0;
    while let Some(piece) = frames.next_frame().unwrap() {
        assert!(piece.len() <= PIECE);
        bytes += piece.len() as u64;
        frames.recycle(piece);
        if bytes % (16 << 20) == 0 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            most = most.max(frames.waiting());
        }
    }
    assert_eq!(bytes, raw.len() as u64);
    assert!(most > PIECE, "the workers decoded ahead: {most}");
    assert!(most <= RAW_IN_FLIGHT + CURRENT_AHEAD, "{most} bytes waited");
    assert_eq!(frames.finish().unwrap(), digests.stored);
}

/// A frame is read in large reads into a reused buffer; a size header larger than the
/// file allocates at most one read's worth more than the file holds.
#[test]
fn frames_are_read_whole_and_a_truncated_one_allocates_little() {
    use super::parallel::read_frame;
    let big = super::frames::FRAME;
    let mut buf = Vec::new();
    let n = read_frame(&mut &data(1000)[..], &mut buf, 40 * big).unwrap();
    assert_eq!((n, buf.len()), (1000, 1000));
    assert!(buf.capacity() <= big, "{} bytes allocated", buf.capacity());
    // A reused buffer, larger then smaller than its last frame: exactly the new bytes.
    for len in [big + 12_345, 77] {
        let src = data(len + 10);
        let n = read_frame(&mut &src[..], &mut buf, len).unwrap();
        assert_eq!(n, len);
        assert_eq!(buf, src[..len]);
    }
}

/// libzstd verifies each frame's content checksum: damage the decode cannot notice
/// (a byte of an uncompressed block) is found by it, and frames without one are
/// counted, so that a caller relying on them knows when it cannot.
#[test]
fn frame_checksums_are_verified_and_frames_without_one_counted() {
    let consume = |stored: &[u8]| {
        let mut frames = FrameDecoder::spawn(Vec::new(), io::Cursor::new(stored.to_vec())).unwrap();
        let mut result = Ok(());
        loop {
            match frames.next_frame() {
                Ok(Some(piece)) => frames.recycle(piece),
                Ok(None) => break,
                Err(e) => {
                    result = Err(e.to_string());
                    break;
                }
            }
        }
        result.map(|()| frames.unchecked_frames())
    };
    // Incompressible: stored as raw blocks, whose bytes decode to anything.
    let mut x = 0x2545_f491u32;
    let raw: Vec<u8> = (0..2 * FRAME)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let (good, _) = encode(&raw, framed_opts());
    assert_eq!(consume(&good), Ok(0), "pra's frames all carry a checksum");
    let mut bad = good.clone();
    bad[headers(&good)[1] + HEADER_LEN + 1000] ^= 0x01;
    let e = consume(&bad).unwrap_err();
    assert!(e.contains("checksum"), "{e}");

    // A frame written without a checksum after one with: decoded, and counted.
    let stored = pra_testkit::frames::framed_zstd(&[(&raw[..FRAME], true), (&raw[..FRAME], false)]);
    assert_eq!(consume(&stored), Ok(1));
}
