//! Round trips, digests and errors of the single-stream codecs.

use super::*;
use std::process::Command;

fn sample() -> Vec<u8> {
    // Compressible but not trivial: 3 MiB of a repeating pattern with a counter.
    (0..3 * 1024 * 1024u32)
        .map(|i| ((i / 7) ^ (i >> 11)) as u8)
        .collect()
}

fn sha256sum(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn every_codec_round_trips_with_hashes_equal_to_sha256sum() {
    let data = sample();
    let dir = tempfile::tempdir().unwrap();
    let raw_path = dir.path().join("raw");
    std::fs::write(&raw_path, &data).unwrap();
    let raw_sum = sha256sum(&raw_path);
    for codec in [Codec::Zstd, Codec::Gzip, Codec::None] {
        let path = dir.path().join(format!("out{}", codec.extension()));
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = Encoder::new(
            file,
            EncodeOptions {
                codec,
                level: None,
                threads: 2,
            },
        )
        .unwrap();
        for chunk in data.chunks(100_000) {
            enc.write_all(chunk).unwrap();
        }
        let (_, digests) = enc.finish().unwrap();
        assert_eq!(digests.raw.sha256, raw_sum, "{codec:?} raw");
        assert_eq!(digests.raw.bytes, data.len() as u64);
        assert_eq!(digests.stored.sha256, sha256sum(&path), "{codec:?} stored");
        assert_eq!(
            digests.stored.bytes,
            std::fs::metadata(&path).unwrap().len()
        );
        if codec != Codec::None {
            assert!(
                digests.stored.bytes < digests.raw.bytes / 2,
                "{codec:?} compresses"
            );
        }

        let mut dec = Decoder::new(std::fs::File::open(&path).unwrap(), codec).unwrap();
        let mut back = Vec::new();
        dec.read_to_end(&mut back).unwrap();
        assert!(back == data, "{codec:?} decodes to the same bytes");
        let d2 = dec.finish().unwrap();
        assert_eq!(d2, digests, "{codec:?} decode digests");
    }
    // Standard tools read what we write.
    assert!(Command::new("zstd")
        .args(["-t", "-q"])
        .arg(dir.path().join("out.zst"))
        .status()
        .unwrap()
        .success());
    assert!(Command::new("gzip")
        .args(["-t"])
        .arg(dir.path().join("out.gz"))
        .status()
        .unwrap()
        .success());
}

#[test]
fn trailing_garbage_changes_the_stored_digest() {
    let mut enc = Encoder::new(Vec::new(), EncodeOptions::default()).unwrap();
    enc.write_all(b"hello world").unwrap();
    let (mut stored, digests) = enc.finish().unwrap();
    stored.extend_from_slice(b"junk");
    let dec = Decoder::new(&stored[..], Codec::None).unwrap();
    let d = dec.finish().unwrap();
    assert_ne!(d.stored.sha256, digests.stored.sha256);
}

#[test]
fn bad_level_is_refused() {
    let e = Encoder::new(
        Vec::new(),
        EncodeOptions {
            codec: Codec::Gzip,
            level: Some(12),
            threads: 0,
        },
    );
    assert!(e.err().unwrap().to_string().contains("out of range"));
}
