//! Verdicts never weaken (issue 18, item 1): a checksum failure stays the backup's
//! standing after a later manifest-level pass, and `latest-verified` skips it.

use crate::common::*;
use pra_core::event::Status;
use pra_core::manifest::{FileRole, VerifyLevel};
use pra_core::repo::Repository;
use pra_core::select::{backup_is_verified, Selection};
use pra_core::verdicts::Standing;
use pra_testkit::{load_sample, PgCluster};

#[test]
fn a_manifest_pass_never_erases_a_checksum_failure() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    let older = latest(&repo, "app");
    take_backup(&c, &repo, "app");
    let newer = latest(&repo, "app");
    assert_ne!(older.id, newer.id);
    verify(&c, &repo)
        .args(["--stanza", "app", "--backup", "all", "--level", "checksum"])
        .run()
        .success();

    // One byte of the newer dump flipped, same size: checksum fails, manifest passes.
    let dump = backup_dir(&repo, &newer).join(&newer.file(FileRole::Dump).unwrap().name);
    let mut bytes = std::fs::read(&dump).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&dump, &bytes).unwrap();
    verify(&c, &repo)
        .args([
            "--stanza", "app", "--backup", &newer.id, "--level", "checksum",
        ])
        .run()
        .code_is(1);
    let manifest_pass = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", "all", "--level", "manifest"])
        .run();
    manifest_pass.success();

    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    let verdicts = r.read_verify("app", &newer.id).unwrap().unwrap();
    assert_eq!(verdicts.verdicts.len(), 2, "{verdicts:?}");
    assert_eq!(
        verdicts.get(VerifyLevel::Manifest).map(|v| v.status),
        Some(Status::Ok)
    );
    match verdicts.standing() {
        Standing::Failed(v) => assert_eq!(v.level, VerifyLevel::Checksum),
        other => panic!("the checksum failure must stand, got {other:?}"),
    }
    // What pra-restore --backup latest-verified picks: the older, still verified one.
    let selection = Selection {
        backup: "latest-verified".parse().unwrap(),
        since: None,
    };
    let ids = [older.id.clone(), newer.id.clone()];
    let picked = selection
        .pick(&ids, pra_core::time::now(), |id| {
            backup_is_verified(&r, "app", id)
        })
        .unwrap();
    assert_eq!(picked, [&older.id]);
    let older_verdicts = r.read_verify("app", &older.id).unwrap().unwrap();
    assert_eq!(
        older_verdicts.verified().map(|v| v.level),
        Some(VerifyLevel::Checksum),
        "the manifest pass did not replace the older backup's checksum verdict"
    );
}
