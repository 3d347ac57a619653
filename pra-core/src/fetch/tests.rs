//! fetch_file's checks: intact files, damage on either side, and which files have
//! their raw sha256 taken.

use super::*;
use crate::codec::{EncodeOptions, Encoder};
use crate::manifest::FileRole;

fn backup_with(data: &[u8]) -> (tempfile::TempDir, Repository, Manifest) {
    backup_encoded(data, EncodeOptions::default())
}

fn backup_encoded(data: &[u8], opts: EncodeOptions) -> (tempfile::TempDir, Repository, Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
    let id = repo.new_backup("app", crate::time::now()).unwrap();
    let staged = repo.create_file("app", &id, "dump.pgc.zst").unwrap();
    let mut enc = Encoder::new(staged, opts).unwrap();
    enc.write_all(data).unwrap();
    let (staged, d) = enc.finish().unwrap();
    staged.commit().unwrap();
    let mut m = crate::manifest::tests::sample(&id);
    m.files = vec![ManifestFile::from_digests(
        "dump.pgc.zst",
        FileRole::Dump,
        opts.codec,
        None,
        &d,
    )];
    repo.write_manifest(&m).unwrap();
    (dir, repo, m)
}

#[test]
fn intact_file_fetches_and_checks() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (_d, repo, m) = backup_with(&data);
    let mut out = Vec::new();
    fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
    assert!(out == data);
    check_stored(&repo, &m, &m.files[0]).unwrap();
}

#[test]
fn framed_and_single_stream_files_fetch() {
    let data: Vec<u8> = (0..(2 * crate::codec::frames::FRAME + 5) as u32)
        .map(|i| ((i / 3) ^ (i >> 13)) as u8)
        .collect();
    for threads in [2, 0] {
        let opts = EncodeOptions {
            threads,
            ..EncodeOptions::default()
        };
        let (_d, repo, m) = backup_encoded(&data, opts);
        let mut out = Vec::new();
        let d = fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
        assert!(out == data, "threads {threads}");
        assert_eq!(d.raw.bytes, data.len() as u64);
    }
}

#[test]
fn flipped_byte_truncation_and_missing_file_are_named() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (dir, repo, m) = backup_with(&data);
    let path = dir.path().join(format!("app/backup/{}/dump.pgc.zst", m.id));
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    let e = fetch_file(&repo, &m, &m.files[0], &mut io::sink()).unwrap_err();
    assert!(e.to_string().starts_with("dump.pgc.zst:"), "{e}");
    assert!(check_stored(&repo, &m, &m.files[0]).is_err());
    std::fs::write(&path, &good[..good.len() - 10]).unwrap();
    assert!(fetch_file(&repo, &m, &m.files[0], &mut io::sink())
        .unwrap_err()
        .to_string()
        .contains("size"));
    std::fs::remove_file(&path).unwrap();
    assert!(fetch_file(&repo, &m, &m.files[0], &mut io::sink())
        .unwrap_err()
        .to_string()
        .contains("missing"));
}

/// `m` with its only file's stored bytes replaced by `stored`, which decodes to `raw`:
/// the manifest entry records their sizes and sha256.
fn replace_stored(dir: &tempfile::TempDir, m: &mut Manifest, stored: &[u8], raw: &[u8]) {
    let path = dir.path().join(format!("app/backup/{}/dump.pgc.zst", m.id));
    std::fs::write(path, stored).unwrap();
    let (r, s) = (
        crate::codec::digest_of(raw).unwrap(),
        crate::codec::digest_of(stored).unwrap(),
    );
    let f = &mut m.files[0];
    (f.raw_bytes, f.raw_sha256) = (r.bytes, r.sha256);
    (f.stored_bytes, f.stored_sha256) = (s.bytes, s.sha256);
}

fn fetch_error(repo: &Repository, m: &Manifest, file: &ManifestFile) -> String {
    fetch_file(repo, m, file, &mut io::sink())
        .unwrap_err()
        .to_string()
}

/// Framed zstd whose frames all carry a content checksum (pra-backup's): no raw
/// sha256, so an edit of the manifest's alone goes unseen (the stored sha256 and the
/// frames' checksums prove the decode, docs/VERIFY.md), but a flipped stored byte
/// and a wrong raw size are still caught.
#[test]
fn framed_files_with_frame_checksums_skip_the_raw_sha256_only() {
    let data: Vec<u8> = (0..(2 * crate::codec::frames::FRAME + 5) as u32)
        .map(|i| ((i / 3) ^ (i >> 13)) as u8)
        .collect();
    let (dir, repo, m) = backup_with(&data);
    let mut out = Vec::new();
    let d = fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
    assert!(out == data);
    assert!(d.raw.sha256.is_empty(), "the raw sha256 was taken");
    assert_eq!(d.raw.bytes, data.len() as u64);
    assert_eq!(d.stored.sha256, m.files[0].stored_sha256);

    let mut edited = m.files[0].clone();
    edited.raw_sha256 = "0".repeat(64);
    fetch_file(&repo, &m, &edited, &mut io::sink()).unwrap();
    edited = m.files[0].clone();
    edited.raw_bytes += 1;
    let e = fetch_error(&repo, &m, &edited);
    assert!(e.contains("decodes to"), "{e}");

    // The stored sha256 is compared: the manifest's edited, then a stored byte
    // flipped (which the decode may name first: a frame's checksum fails).
    edited = m.files[0].clone();
    edited.stored_sha256 = "0".repeat(64);
    let e = fetch_error(&repo, &m, &edited);
    assert!(e.starts_with("dump.pgc.zst: stored sha256"), "{e}");
    let path = dir.path().join(format!("app/backup/{}/dump.pgc.zst", m.id));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let e = fetch_error(&repo, &m, &m.files[0]);
    assert!(
        e.starts_with("dump.pgc.zst: stored sha256") || e.contains("does not decode"),
        "{e}"
    );
}

/// Single-stream zstd, gzip and none keep their raw sha256.
#[test]
fn other_files_have_their_raw_sha256_compared() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    for (codec, threads) in [(Codec::Zstd, 0), (Codec::Gzip, 2), (Codec::None, 2)] {
        let opts = EncodeOptions {
            codec,
            threads,
            ..EncodeOptions::default()
        };
        let (_d, repo, m) = backup_encoded(&data, opts);
        let d = fetch_file(&repo, &m, &m.files[0], &mut io::sink()).unwrap();
        assert_eq!(d.raw.sha256, m.files[0].raw_sha256, "{codec:?}");
        let mut edited = m.files[0].clone();
        edited.raw_sha256 = "0".repeat(64);
        let e = fetch_error(&repo, &m, &edited);
        assert!(e.contains("decoded sha256"), "{codec:?}: {e}");
    }
}

/// A framed file (not pra-backup's) with a frame that carries no content checksum:
/// read again for its raw sha256, so that an edit of the manifest's is caught.
#[test]
fn a_frame_without_a_content_checksum_has_its_raw_sha256_compared() {
    let data: Vec<u8> = (0..3u32 << 20)
        .map(|i| ((i / 3) ^ (i >> 9)) as u8)
        .collect();
    let (checked, unchecked) = data.split_at(2 << 20);
    let stored = pra_testkit::frames::framed_zstd(&[(checked, true), (unchecked, false)]);
    let (dir, repo, mut m) = backup_with(b"replaced");
    replace_stored(&dir, &mut m, &stored, &data);
    let mut out = Vec::new();
    let d = fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
    assert!(out == data, "the sink gets the data once");
    assert_eq!(d.raw.sha256, m.files[0].raw_sha256);
    let mut edited = m.files[0].clone();
    edited.raw_sha256 = "0".repeat(64);
    let e = fetch_error(&repo, &m, &edited);
    assert!(e.contains("decoded sha256"), "{e}");
}
