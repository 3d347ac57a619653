//! The project's own fidelity schema (pra-testkit/sql/fidelity.sql) round-trips onto
//! a FRESH cluster through backup -> pra-restore --globals: identical digests (rows,
//! sequences, large objects, policies, comments, extensions, partitions, inheritance,
//! persistence), owners and grants. Needs nothing beside the clone.

use crate::common;

use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_testkit::digest::diff_maps;
use pra_testkit::{
    database_digest, database_settings, load_fidelity, object_owners, tool, PgCluster,
    FIDELITY_ROLES,
};
use std::collections::BTreeMap;

#[test]
fn fidelity_schema_round_trips_onto_a_fresh_cluster() {
    let source = PgCluster::start();
    let fresh = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    load_fidelity(&source, "fid");
    common::backup(&source, repo.path(), "fid", "fid", Codec::Zstd);

    let run = tool(PRA_RESTORE)
        .args(["--repo", repo.path().to_str().unwrap(), "--stanza", "fid"])
        .args(["--target-db", "fid", "--globals", "--jobs", "2"])
        .envs(fresh.env())
        .run();
    run.success();
    assert_eq!(run.one(Kind::Restore).status, Status::Ok, "{}", run.dump());
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(f.roles_created, FIDELITY_ROLES, "{}", run.dump());

    let want = database_digest(&source, "fid");
    assert!(want.tables() >= 14, "{} tables", want.tables());
    assert_eq!(
        database_digest(&fresh, "fid").diff(&want),
        Vec::<String>::new()
    );
    let owners = object_owners(&source, "fid");
    assert!(owners.keys().any(|k| k.starts_with("lo:")), "{owners:?}");
    assert_eq!(
        diff_maps(&owners, &object_owners(&fresh, "fid")),
        Vec::<String>::new()
    );
    known_gap_database_level_state(&source, &fresh);
}

/// KNOWN GAP, issue 18 item 4: pra-backup runs pg_dump without `--create`, so the
/// database's owner, privileges, comment and `ALTER DATABASE … SET` / `ALTER ROLE …
/// IN DATABASE … SET` settings are not in the backup, and the restored database has
/// none of them. This asserts exactly that difference, so that it is visible here
/// rather than ignored; when item 4 lands this fails: replace it by an equality check.
fn known_gap_database_level_state(source: &PgCluster, fresh: &PgCluster) {
    let want = database_settings(source, "fid");
    let got = database_settings(fresh, "fid");
    let lost: BTreeMap<&str, &str> = want
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(*v))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let keys: Vec<&str> = lost.keys().copied().collect();
    assert_eq!(
        keys,
        [
            "acl",
            "comment",
            "owner",
            "setting:*",
            "setting:pra_fid_reader"
        ],
        "issue 18 item 4 (database-level state) changed what a restore carries: \
         source {want:?}, restored {got:?}; make this an equality check"
    );
}
