//! The project's own fidelity schema (pra-testkit/sql/fidelity.sql) round-trips onto
//! a FRESH cluster through backup -> pra-restore --globals: identical digests (rows,
//! sequences, large objects, policies, comments, extensions, partitions, inheritance,
//! persistence), owners and grants, and the database-level state (owner, privileges,
//! comment, settings). Needs nothing beside the clone.

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
    // Database-level state (issue 18 item 4): owner, privileges, comment and both
    // kinds of settings are restored under the target name.
    assert_eq!(
        database_settings(&fresh, "fid"),
        database_settings(&source, "fid"),
        "{}",
        run.dump()
    );
    assert!(f
        .db_settings_applied
        .contains(&"owner pra_fid_owner".to_string()));
    assert!(
        f.db_settings_skipped.is_empty(),
        "{:?}",
        f.db_settings_skipped
    );
}
