//! The small files checked beside the large ones: results in the manifest's order,
//! damage named whichever thread found it.

use super::*;
use crate::pipeline::tests::backup_of;
use pra_core::codec::{Codec, EncodeOptions};
use std::time::Duration;

fn plan(level: VerifyLevel) -> Plan {
    Plan {
        level,
        pg_bindir: None,
        server: None,
        server_down: None,
        jobs: 1,
        checks: Vec::new(),
        stall_timeout: Duration::from_secs(60),
    }
}

/// A backup with a small globals file listed before and after a large data file.
fn backup() -> (tempfile::TempDir, Repository, Manifest) {
    let large: Vec<u8> = (0..3 * SMALL_FILE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let zstd = EncodeOptions::default();
    let none = EncodeOptions {
        codec: Codec::None,
        ..zstd
    };
    backup_of(
        &[
            (
                "globals.sql.zst",
                FileRole::Globals,
                zstd,
                b"CREATE ROLE app;\n",
            ),
            ("data.bin", FileRole::Data, none, &large),
            (
                "late.sql.zst",
                FileRole::Globals,
                zstd,
                b"GRANT app TO app;\n",
            ),
        ],
        None,
    )
}

fn flip(dir: &tempfile::TempDir, m: &Manifest, name: &str, at: usize) {
    let path = dir.path().join(format!("app/backup/{}/{name}", m.id));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x10;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn small_files_are_checked_beside_and_reported_in_manifest_order() {
    let (dir, repo, m) = backup();
    assert!(!m.files.iter().all(|f| f.stored_bytes <= SMALL_FILE));
    // The raw sha256 is taken at both levels (as in a restore) except for framed zstd
    // (its frames' content checksums prove the decode).
    for level in [VerifyLevel::Checksum, VerifyLevel::Restore] {
        let all = check_all(&plan(level), &repo, &m).unwrap();
        assert_eq!(all.len(), 3);
        for (checked, file) in all.iter().zip(&m.files) {
            let d = checked.as_ref().unwrap().as_ref().unwrap();
            let want = if file.codec == Codec::Zstd {
                ""
            } else {
                &file.raw_sha256
            };
            assert_eq!(d.raw.sha256, want, "{level:?} {}", file.name);
            assert_eq!(d.raw.bytes, file.raw_bytes, "{level:?} {}", file.name);
            assert_eq!(d.stored.bytes, file.stored_bytes, "{level:?} {}", file.name);
        }
    }

    // Every file damaged: each result names its own file, in the manifest's order.
    for f in &m.files {
        flip(&dir, &m, &f.name, f.stored_bytes as usize / 2);
    }
    let all = check_all(&plan(VerifyLevel::Checksum), &repo, &m).unwrap();
    assert_eq!(all.len(), 3);
    for (checked, file) in all.iter().zip(&m.files) {
        match checked {
            Err(e @ FetchError::Corrupt { .. }) => {
                assert!(e.to_string().starts_with(&file.name), "{}: {e}", file.name)
            }
            other => panic!("{}: expected a corrupt file, got {other:?}", file.name),
        }
    }

    // A missing small file is named at the manifest level as at the checksum level.
    std::fs::remove_file(dir.path().join(format!("app/backup/{}/late.sql.zst", m.id))).unwrap();
    for level in [VerifyLevel::Manifest, VerifyLevel::Checksum] {
        let all = check_all(&plan(level), &repo, &m).unwrap();
        let last = all[2].as_ref().unwrap_err().to_string();
        assert!(
            last.contains("late.sql.zst") && last.contains("missing"),
            "{last}"
        );
    }
}
