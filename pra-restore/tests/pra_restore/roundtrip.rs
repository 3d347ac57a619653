//! Restore fidelity onto a FRESH second cluster: every shared dataset, and a
//! database whose objects belong to a non-default role with grants to another
//! role (which the fresh cluster lacks until `--globals` creates them).

use crate::common;

use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_testkit::{
    database_digest, datasets_dir, load_dataset, object_owners, tool, Dataset, PgCluster, ToolRun,
};
use std::path::Path;

fn restore(onto: &PgCluster, repo: &Path, stanza: &str, extra: &[&str]) -> ToolRun {
    tool(PRA_RESTORE)
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--stanza",
            stanza,
            "--target-db",
            stanza,
        ])
        .args(extra)
        .envs(onto.env())
        .run()
}

#[test]
fn datasets_and_owned_objects_round_trip_onto_a_fresh_cluster() {
    let source = PgCluster::start();
    let fresh = PgCluster::start();
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = repo_dir.path();

    // Objects owned by pra_sample_owner, SELECT granted to pra_sample_reader.
    common::load_owned_sample(&source, "app", 1);
    common::backup(&source, repo, "app", "app", Codec::Gzip);

    // Without --globals the fresh cluster lacks both roles: refused before anything is restored.
    let before = fresh.databases();
    let run = restore(&fresh, repo, "app", &[]);
    run.code_is(2)
        .stderr_contains("pra_sample_owner")
        .stderr_contains("pra_sample_reader")
        .stderr_contains("--globals");
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(f.roles_missing, ["pra_sample_owner", "pra_sample_reader"]);
    assert_eq!(fresh.databases(), before);

    // With --globals they are created from the backup's globals.
    let run = restore(&fresh, repo, "app", &["--globals", "--jobs", "2"]);
    run.success();
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(
        f.roles_created,
        ["pra_sample_owner", "pra_sample_reader"],
        "{}",
        run.dump()
    );
    assert_eq!(
        database_digest(&fresh, "app").diff(&database_digest(&source, "app")),
        Vec::<String>::new()
    );
    let (want, got) = (object_owners(&source, "app"), object_owners(&fresh, "app"));
    assert!(
        want.values()
            .any(|v| v.starts_with("pra_sample_owner") && v.contains("pra_sample_reader=r")),
        "{want:?}"
    );
    assert_eq!(
        pra_testkit::digest::diff_maps(&want, &got),
        Vec::<String>::new()
    );
    // A second --globals restore finds the roles there and creates nothing.
    let run = tool(PRA_RESTORE)
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--stanza",
            "app",
            "--target-db",
            "app2",
            "--globals",
        ])
        .envs(fresh.env())
        .run();
    run.success();
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert!(f.roles_created.is_empty(), "{f:?}");
    assert!(
        f.roles_existing.iter().any(|r| r == "pra_sample_owner"),
        "{f:?}"
    );

    if datasets_dir().is_none() {
        return;
    }
    for dataset in Dataset::ALL {
        let db = load_dataset(&source, dataset);
        common::backup(&source, repo, &db, &db, Codec::Zstd);
        let run = restore(&fresh, repo, &db, &["--globals"]);
        run.success();
        assert_eq!(run.one(Kind::Restore).status, Status::Ok, "{}", run.dump());
        let want = database_digest(&source, &db);
        assert!(want.tables() > 5, "{db}: {} tables", want.tables());
        assert_eq!(
            database_digest(&fresh, &db).diff(&want),
            Vec::<String>::new(),
            "{db}"
        );
        assert_eq!(
            pra_testkit::digest::diff_maps(
                &object_owners(&source, &db),
                &object_owners(&fresh, &db)
            ),
            Vec::<String>::new(),
            "{db}"
        );
    }
}
