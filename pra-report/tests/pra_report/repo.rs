//! A report from a repository alone: manifests give the backups, `verify.json`
//! the verdicts; the history adds nothing and is not needed.

use crate::history::{report, run_day};
use pra_core::event::kinds::Verdict;
use pra_core::manifest::{Manifest, VerifyRecord};
use pra_core::repo::Repository;
use serde_json::json;

fn manifest(stanza: &str, id: &str, start: &str, finish: &str, stored: u64) -> Manifest {
    serde_json::from_value(json!({
        "format": 1, "id": id, "stanza": stanza, "kind": "logical",
        "started_at": start, "finished_at": finish,
        "server_version": "15.8", "server_version_num": 150008, "system_identifier": "1",
        "files": [{"name": "dump.pgc.zst", "role": "dump", "raw_bytes": stored * 3, "stored_bytes": stored,
                   "raw_sha256": "00", "stored_sha256": "00", "codec": "zstd"}],
        "tool_version": "0.1.0"
    }))
    .unwrap()
}

fn verdict(id: &str, level: &str, status: &str, at: &str) -> VerifyRecord {
    serde_json::from_value(json!({
        "format": 1, "backup_id": id, "level": level, "status": status, "verified_at": at,
        "duration_s": 1.0, "tool_version": "0.1.0"
    }))
    .unwrap()
}

#[test]
fn manifests_and_verdicts_make_a_report_without_history() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
    repo.init().unwrap();
    let backups = [
        (
            "20261109T230000Z",
            "2026-11-09T23:00:00Z",
            "2026-11-09T23:10:00Z",
        ),
        (
            "20261110T060000Z",
            "2026-11-10T06:00:00Z",
            "2026-11-10T06:10:00Z",
        ),
        (
            "20261110T120000Z",
            "2026-11-10T12:00:00Z",
            "2026-11-10T12:20:00Z",
        ),
    ];
    for (i, (id, start, finish)) in backups.iter().enumerate() {
        repo.new_backup("shop", pra_core::time::parse_ts(start).unwrap())
            .unwrap();
        repo.write_manifest(&manifest("shop", id, start, finish, 1000 * (i as u64 + 1)))
            .unwrap();
    }
    repo.write_verify(
        "shop",
        &verdict("20261110T060000Z", "restore", "ok", "2026-11-10T07:00:00Z"),
    )
    .unwrap();
    repo.write_verify(
        "shop",
        &verdict(
            "20261110T120000Z",
            "checksum",
            "error",
            "2026-11-10T13:00:00Z",
        ),
    )
    .unwrap();
    let run = run_day(
        "",
        &["--repo", dir.path().to_str().unwrap(), "--rpo", "12h"],
    );
    run.code_is(1);
    let (_, f) = report(&run);
    assert_eq!(f.repos.len(), 1);
    let shop = &f.stanzas[0];
    assert_eq!(shop.stanza, "shop");
    // Recovery points at the manifests' finish times: 23:10 the day before, 06:10, 12:20.
    assert_eq!(
        shop.rpo.largest_gap_s,
        Some((11.0 * 60.0 + 40.0) * 60.0),
        "12:20 to midnight"
    );
    assert_eq!(shop.rpo.result, Verdict::Pass);
    assert_eq!(shop.trend.backups, 2);
    assert_eq!(shop.trend.max_duration_s, Some(1200.0));
    assert_eq!(
        (shop.trend.first_stored_bytes, shop.trend.last_stored_bytes),
        (Some(2000), Some(3000))
    );
    let v = &shop.verification;
    assert_eq!(
        (v.backups, v.restore_verified, v.verified, v.failed),
        (2, 1, 1, 1)
    );
    assert_eq!(
        v.newest_restore_verification_at.as_deref(),
        Some("2026-11-10T07:00:00.000Z")
    );
    assert_eq!(f.failed, ["verification:shop"]);
}
