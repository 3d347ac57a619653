//! `--backup latest-verified` follows the verdict rules (issue 18, item 1): a checksum
//! failure followed by a manifest-level pass is not verified; the event says the level.

use crate::common;
use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_core::manifest::{VerifyLevel, VerifyRecord, VERIFY_FORMAT};
use pra_core::repo::Repository;
use pra_testkit::{tool, PgCluster};

fn record(id: &str, level: VerifyLevel, status: Status, after_s: i64) -> VerifyRecord {
    VerifyRecord {
        format: VERIFY_FORMAT,
        backup_id: id.to_string(),
        level,
        status,
        verified_at: pra_core::time::now() + chrono::Duration::seconds(after_s),
        duration_s: 0.1,
        problems: vec![],
        tool_version: pra_core::VERSION.to_string(),
        extra: Default::default(),
    }
}

#[test]
fn latest_verified_skips_a_checksum_failure_hidden_by_a_manifest_pass() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let older = common::backup(&c, dir.path(), "app", "app", Codec::Zstd);
    let newer = common::backup(&c, dir.path(), "app", "app", Codec::Zstd);
    assert_ne!(older.id, newer.id);
    let r = Repository::open(dir.path().to_str().unwrap()).unwrap();
    let write = |rec: VerifyRecord| r.write_verify("app", &rec).unwrap();
    write(record(&older.id, VerifyLevel::Checksum, Status::Ok, 0));
    write(record(&newer.id, VerifyLevel::Checksum, Status::Error, 1));
    write(record(&newer.id, VerifyLevel::Manifest, Status::Ok, 2));

    let run = tool(PRA_RESTORE)
        .args(["--repo", dir.path().to_str().unwrap(), "--stanza", "app"])
        .args(["--target-db", "restored", "--backup", "latest-verified"])
        .envs(c.env())
        .run();
    run.success();
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(f.backup_id.as_deref(), Some(older.id.as_str()));
    assert_eq!(f.verified_level.as_deref(), Some("checksum"));
}
