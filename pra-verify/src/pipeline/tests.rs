//! The checksum pass on framed and single-stream files, intact and damaged.

use super::*;
use pra_core::codec::EncodeOptions;
use pra_core::crypt::{seal, Identities, Recipients};
use pra_core::manifest::{BackupKind, FileRole, MANIFEST_FORMAT};
use std::io::Write;

/// What the checksum and restore levels ask for (and what a restore does).
const CHECKSUM: RawHash = RawHash::UnlessFramesChecked;

/// A backup of one file encoded with `codec`, outside PostgreSQL.
fn backup_with(codec: Codec, data: &[u8]) -> (tempfile::TempDir, Repository, Manifest) {
    let opts = EncodeOptions {
        codec,
        ..EncodeOptions::default()
    };
    backup_encoded(opts, data)
}

fn backup_encoded(opts: EncodeOptions, data: &[u8]) -> (tempfile::TempDir, Repository, Manifest) {
    backup_sealed(opts, data, None)
}

/// A backup of one file encoded with `opts`, encrypted to `to` when given.
fn backup_sealed(
    opts: EncodeOptions,
    data: &[u8],
    to: Option<&Recipients>,
) -> (tempfile::TempDir, Repository, Manifest) {
    backup_of(&[("data.bin", FileRole::Data, opts, data)], to)
}

/// A logical backup of stanza `app` outside PostgreSQL, holding `files` (name, role,
/// encoding, content) in this order, encrypted to `to` when given.
pub(crate) fn backup_of(
    files: &[(&str, FileRole, EncodeOptions, &[u8])],
    to: Option<&Recipients>,
) -> (tempfile::TempDir, Repository, Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
    let now = pra_core::time::now();
    let id = repo.new_backup("app", now).unwrap();
    let mut listed = Vec::new();
    for (name, role, opts, data) in files {
        let staged = repo.create_file("app", &id, name).unwrap();
        let mut enc = seal(staged, *opts, to).unwrap();
        enc.write_all(data).unwrap();
        let (staged, d) = enc.finish().unwrap();
        staged.commit().unwrap();
        listed.push(ManifestFile::from_digests(
            name,
            *role,
            opts.codec,
            to.map(Recipients::record),
            &d,
        ));
    }
    let m = Manifest {
        format: MANIFEST_FORMAT,
        id,
        stanza: "app".into(),
        kind: BackupKind::Logical,
        started_at: now,
        finished_at: now,
        server_version: "15".into(),
        server_version_num: 150000,
        system_identifier: "1".into(),
        database: None,
        database_size_bytes: None,
        database_state: None,
        run_id: None,
        wal_lsn: None,
        timeline: None,
        files: listed,
        tables: vec![],
        tool_version: "test".into(),
        extra: Default::default(),
    };
    repo.write_manifest(&m).unwrap();
    (dir, repo, m)
}

#[test]
fn every_codec_passes_intact_and_fails_altered() {
    // Several chunks, not a multiple of the chunk size.
    let data: Vec<u8> = (0..(3 * chunks::CHUNK + 12345) as u32)
        .map(|i| ((i / 3) ^ (i >> 9)) as u8)
        .collect();
    for codec in [Codec::Zstd, Codec::Gzip, Codec::None] {
        let (dir, repo, m) = backup_with(codec, &data);
        let f = &m.files[0];
        let d = check_file(&repo, &m, f, false, None, CHECKSUM).unwrap();
        assert_eq!(d.raw.bytes, data.len() as u64);
        assert_eq!(d.stored.bytes, f.stored_bytes);
        let path = dir.path().join(format!("app/backup/{}/data.bin", m.id));
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let e = check_file(&repo, &m, f, false, None, CHECKSUM)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("data.bin: stored sha256"), "{codec:?}: {e}");
        // The manifest's raw hash edited: the raw side is what differs, found where
        // the raw sha256 is taken: always with `RawHash::Always` (the re-read of a
        // frame without a content checksum), and at the checksum and restore levels
        // unless the file is framed zstd, whose frame checksums prove the decode of
        // stored bytes that match their sha256 (docs/VERIFY.md).
        bytes[mid] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let mut edited = m.files[0].clone();
        edited.raw_sha256 = "0".repeat(64);
        let e = check_file(&repo, &m, &edited, false, None, RawHash::Always)
            .unwrap_err()
            .to_string();
        assert!(e.contains("decoded sha256"), "{codec:?}: {e}");
        let at_checksum = check_file(&repo, &m, &edited, false, None, CHECKSUM);
        if codec == Codec::Zstd {
            let d = at_checksum.unwrap();
            assert!(d.raw.sha256.is_empty(), "the raw sha256 was taken");
            assert_eq!(d.raw.bytes, data.len() as u64);
        } else {
            let e = at_checksum.unwrap_err().to_string();
            assert!(e.contains("decoded sha256"), "{codec:?}: {e}");
        }
    }
}

/// Writes `bad` over the only file of `m` with its manifest entry's stored sha256
/// rewritten to match: the checksum level's error, which only decoding can find.
fn damaged_behind_matching_sha256(
    repo: &Repository,
    m: &Manifest,
    path: &Path,
    bad: &[u8],
) -> String {
    std::fs::write(path, bad).unwrap();
    let mut edited = m.files[0].clone();
    edited.stored_sha256 = pra_core::codec::digest_of(bad).unwrap().sha256;
    check_file(repo, m, &edited, false, None, CHECKSUM)
        .unwrap_err()
        .to_string()
}

#[test]
fn framed_and_single_stream_zstd_pass_intact_and_fail_damaged() {
    let frame = pra_core::codec::frames::FRAME;
    let data: Vec<u8> = (0..(2 * frame + 4321) as u32)
        .map(|i| ((i / 5) ^ (i >> 12)) as u8)
        .collect();
    for threads in [2, 0] {
        let opts = EncodeOptions {
            threads,
            ..EncodeOptions::default()
        };
        let (dir, repo, m) = backup_encoded(opts, &data);
        let f = &m.files[0];
        let path = dir.path().join(format!("app/backup/{}/data.bin", m.id));
        let good = std::fs::read(&path).unwrap();
        assert_eq!(is_framed(&good), threads > 0);
        let d = check_file(&repo, &m, f, false, None, CHECKSUM).unwrap();
        assert_eq!(d.raw.bytes, data.len() as u64);
        assert_eq!(d.stored.sha256, f.stored_sha256);
        // A damaged frame with the manifest updated to match the stored bytes:
        // only decoding can tell.
        let mut bad = good.clone();
        bad[good.len() / 3] ^= 0x08;
        let e = damaged_behind_matching_sha256(&repo, &m, &path, &bad);
        // Framed: the decode (each frame's content checksum) is the check, as the
        // raw sha256 is not taken; single stream: either.
        assert!(
            e.contains("does not decode") || (threads == 0 && e.contains("decoded sha256")),
            "threads {threads}: {e}"
        );
        std::fs::write(&path, &good[..good.len() - 100]).unwrap();
        let e = check_file(&repo, &m, f, false, None, CHECKSUM)
            .unwrap_err()
            .to_string();
        assert!(e.contains("size"), "threads {threads}: {e}");
    }
}

/// An encrypted file: its ciphertext is authenticated by age as it decrypts rather
/// than hashed, and damage is still found and named, by the stored sha256 (read
/// again) when the manifest disagrees, by age when it was edited to agree.
#[test]
fn encrypted_files_are_authenticated_by_age_and_damage_is_named() {
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = pra_testkit::keys::age_keygen(keys.path(), "key.txt");
    let to = Recipients::load(&[public], None).unwrap().unwrap();
    // The only test here that installs identities: the others read plain files.
    pra_core::crypt::install(Identities::load(&[id], None).unwrap());
    let data: Vec<u8> = (0..(3 * chunks::CHUNK + 12345) as u32)
        .map(|i| ((i / 3) ^ (i >> 9)) as u8)
        .collect();
    for threads in [2, 0] {
        let opts = EncodeOptions {
            threads,
            ..EncodeOptions::default()
        };
        let (dir, repo, m) = backup_sealed(opts, &data, Some(&to));
        let f = &m.files[0];
        let d = check_file(&repo, &m, f, false, None, CHECKSUM).unwrap();
        assert_eq!(d.raw.bytes, data.len() as u64);
        assert_eq!(d.stored.bytes, f.stored_bytes);
        assert!(d.stored.sha256.is_empty(), "the ciphertext was hashed");
        let path = dir.path().join(format!("app/backup/{}/data.bin", m.id));
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 0x10;
        let truncated = good[..good.len() - 100].to_vec();
        let mut appended = good.clone();
        appended.extend_from_slice(&[0u8; 100]);
        for (what, bad) in [
            ("flipped", flipped),
            ("truncated", truncated),
            ("appended", appended),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let e = check_file(&repo, &m, f, false, None, CHECKSUM)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("data.bin: stored "), "{threads} {what}: {e}");
            let mut edited = f.clone();
            let stored = pra_core::codec::digest_of(&bad[..]).unwrap();
            edited.stored_bytes = stored.bytes;
            edited.stored_sha256 = stored.sha256;
            let e = check_file(&repo, &m, &edited, false, None, CHECKSUM)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("data.bin: ") && e.contains("age decryption failed"),
                "{threads} {what}: {e}"
            );
        }
    }
    pra_core::crypt::install(None);
}

/// `pg_restore --list` reads the table of contents and exits: the decoded buffers it
/// never took come back, and the raw side is still hashed to the end, past the
/// buffers that were waiting for it (framed and single-stream files alike).
#[test]
fn a_table_of_contents_read_early_leaves_the_digests_whole() {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("pg_restore");
    std::fs::write(
        &fake,
        "#!/bin/sh\nhead -c 4096 >/dev/null\necho '1; 2615 2200 SCHEMA - public pg'\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    // More decoded bytes than the feed holds (1 MiB pieces framed, 256 KiB chunks else).
    let data: Vec<u8> = (0..40u32 << 20)
        .map(|i| ((i / 7) ^ (i >> 15)) as u8)
        .collect();
    for threads in [2, 0] {
        let opts = EncodeOptions {
            threads,
            ..EncodeOptions::default()
        };
        let (_dir, repo, m) = backup_encoded(opts, &data);
        let f = &m.files[0];
        let d = check_file(&repo, &m, f, true, Some(bin.path()), RawHash::Always).unwrap();
        assert_eq!(d.toc_entries, Some(1), "threads {threads}");
        assert_eq!(d.raw.bytes, data.len() as u64, "threads {threads}");
        assert_eq!(d.raw.sha256, f.raw_sha256, "threads {threads}");
        assert_eq!(d.stored.sha256, f.stored_sha256, "threads {threads}");
    }
}

/// A framed file damaged where only the frame checksum can tell (a byte of an
/// uncompressed block), with the manifest's stored sha256 rewritten to match: still
/// corrupt at the checksum level, named by the decode.
#[test]
fn framed_damage_behind_a_matching_stored_sha256_fails_its_frame_checksum() {
    // Incompressible: stored as raw blocks, whose bytes decode to anything.
    let data: Vec<u8> = (0u32..)
        .flat_map(|i| Sha256::digest(i.to_le_bytes()))
        .take(pra_core::codec::frames::FRAME + 5000)
        .collect();
    let (dir, repo, m) = backup_encoded(EncodeOptions::default(), &data);
    let path = dir.path().join(format!("app/backup/{}/data.bin", m.id));
    let mut bad = std::fs::read(&path).unwrap();
    assert!(is_framed(&bad));
    // Past the frame header and the first block's header, in the first frame.
    bad[HEADER_LEN + 1000] ^= 0x01;
    let e = damaged_behind_matching_sha256(&repo, &m, &path, &bad);
    assert!(
        e.starts_with("data.bin: ") && e.contains("does not decode") && e.contains("checksum"),
        "{e}"
    );
}

/// A framed file with a frame that carries no content checksum (pra writes none):
/// the checksum level takes its raw sha256 after all, reading it again.
#[test]
fn a_frame_without_a_content_checksum_has_its_raw_sha256_taken() {
    let data: Vec<u8> = (0..3u32 << 20)
        .map(|i| ((i / 3) ^ (i >> 9)) as u8)
        .collect();
    let (checked, unchecked) = data.split_at(2 << 20);
    let stored = pra_testkit::frames::framed_zstd(&[(checked, true), (unchecked, false)]);
    let (dir, repo, m) = backup_encoded(EncodeOptions::default(), b"replaced");
    std::fs::write(
        dir.path().join(format!("app/backup/{}/data.bin", m.id)),
        &stored,
    )
    .unwrap();
    let mut f = m.files[0].clone();
    let (raw, st) = (
        pra_core::codec::digest_of(&data[..]).unwrap(),
        pra_core::codec::digest_of(&stored[..]).unwrap(),
    );
    (f.raw_bytes, f.raw_sha256) = (raw.bytes, raw.sha256.clone());
    (f.stored_bytes, f.stored_sha256) = (st.bytes, st.sha256);
    let d = check_file(&repo, &m, &f, false, None, CHECKSUM).unwrap();
    assert_eq!(d.raw.sha256, raw.sha256);
    f.raw_sha256 = "0".repeat(64);
    let e = check_file(&repo, &m, &f, false, None, CHECKSUM)
        .unwrap_err()
        .to_string();
    assert!(e.contains("decoded sha256"), "{e}");
}
