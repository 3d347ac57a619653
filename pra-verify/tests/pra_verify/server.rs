//! A whole server (issue 18, items 2 and 7): `pra-backup --all-databases | pra-verify`
//! passes on a stock server, whose `postgres` database is empty (a dump with no
//! table-of-contents entries); pra-verify without --stanza verifies every stanza.

use crate::common::*;
use pra_core::event::{Kind, Status};
use pra_testkit::{load_sample, tool, PgCluster};

#[test]
fn an_all_databases_run_verifies_including_the_empty_postgres_database() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let taken = tool(backup_bin().to_str().unwrap())
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .args(["--init", "--all-databases", "--repo"])
        .arg(&repo)
        .run();
    taken.success();
    let empty = latest(&repo, "postgres");
    assert!(
        empty.tables.is_empty(),
        "a stock postgres database has no table"
    );

    for level in ["checksum", "restore"] {
        let run = verify(&c, &repo)
            .args(["--level", level, "-d", "postgres"])
            .stdin(taken.stdout.clone())
            .run();
        run.success();
        let verified: Vec<_> = run
            .events
            .iter()
            .filter(|e| e.kind == Kind::Verify)
            .map(|e| (e.stanza.clone().unwrap_or_default(), e.status))
            .collect();
        assert!(
            verified.contains(&("postgres".to_string(), Status::Ok))
                && verified.contains(&("app".to_string(), Status::Ok))
                && verified.iter().all(|(_, s)| *s == Status::Ok),
            "{level}: {verified:?}\n{}",
            run.dump()
        );
    }

    // No --stanza, no events on stdin, several stanzas: each is verified (the nightly
    // cron check), not a usage error.
    let run = verify(&c, &repo).run();
    run.success();
    let mut stanzas: Vec<String> = run
        .events
        .iter()
        .filter(|e| e.kind == Kind::Verify && e.status == Status::Ok)
        .filter_map(|e| e.stanza.clone())
        .collect();
    stanzas.sort();
    let mut want: Vec<String> = c
        .databases()
        .into_iter()
        .filter(|d| !d.starts_with("template"))
        .collect();
    want.sort();
    assert_eq!(stanzas, want, "{}", run.dump());
}
