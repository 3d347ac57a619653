//! Every tool on object storage (S3: a real moto server; Azure: Azurite; both on
//! 127.0.0.1), exactly as on a path: pra-backup → pra-verify (restore level) → pra-restore with identical table
//! digests → pra-status (backup_age, backup_verified) → pra-rotate, which also removes
//! an incomplete backup left by a killed run.

use crate::common::*;
use pra_core::event::kinds::CheckFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::ObjectStorage;
use pra_core::repo::Repository;
use pra_testkit::{database_digest, load_app, tool, AzuriteServer, PgCluster, S3Server, Tool};
use std::io::Write;

/// Where the repository is: its URL, the environment reaching it, the driver.
struct Remote {
    url: String,
    env: Vec<(String, String)>,
    storage: ObjectStorage,
}

/// Another tool (built beside this test) aimed at the cluster and the repository.
fn remote_tool(name: &str, c: &PgCluster, server: &Remote, url: &str) -> Tool {
    tool(sibling_bin(name).to_str().unwrap())
        .envs(c.env())
        .envs(server.env.clone())
        .env("PRA_PG_BINDIR", c.bindir())
        .args(["--repo", url])
}

#[test]
fn every_tool_works_on_an_s3_repository() {
    let server = S3Server::start();
    every_tool_works_on(&Remote {
        url: server.url("tools"),
        env: server.env(),
        storage: server.storage("tools"),
    });
}

#[test]
fn every_tool_works_on_an_azure_repository() {
    let server = AzuriteServer::start();
    every_tool_works_on(&Remote {
        url: server.url("tools"),
        env: server.env(),
        storage: server.storage("tools"),
    });
}

fn every_tool_works_on(server: &Remote) {
    let c = PgCluster::start();
    load_app(&c, "s3all", 1);
    let url = server.url.clone();
    let repo = Repository::with_storage(Box::new(server.storage.clone())).unwrap();

    let first = remote_tool("pra-backup", &c, server, &url)
        .args(["--init", "-d", "s3all"])
        .run();
    first.success();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = remote_tool("pra-backup", &c, server, &url)
        .args(["-d", "s3all"])
        .run();
    second.success();
    let ids: Vec<String> = repo
        .complete_backups("s3all")
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");

    // pra-backup | pra-verify --level restore
    let run = tool(env!("CARGO_BIN_EXE_pra-verify"))
        .envs(c.env())
        .envs(server.env.clone())
        .env("PRA_PG_BINDIR", c.bindir())
        .args(["--repo", &url, "--level", "restore", "-d", "postgres"])
        .stdin(second.stdout.clone())
        .run();
    run.success();
    let (ev, f) = verify_fields(&run);
    run.check(
        ev.status == Status::Ok,
        "the S3 backup verifies at the restore level",
    );
    run.check(f.tables_checked > 0, "tables were counted");

    // pra-restore into a new database: identical digests.
    remote_tool("pra-restore", &c, server, &url)
        .args(["--stanza", "s3all", "--target-db", "s3all_back"])
        .run()
        .success();
    let diff = database_digest(&c, "s3all").diff(&database_digest(&c, "s3all_back"));
    assert!(diff.is_empty(), "tables differ after restore: {diff:?}");

    // pra-status reads the age and the verdict from the bucket.
    let run = remote_tool("pra-status", &c, server, &url)
        .args([
            "-d",
            "s3all",
            "--stanza",
            "s3all",
            "--rpo",
            "1h",
            "--verify-max-age",
            "1h",
        ])
        .run();
    for name in ["backup_age", "backup_verified"] {
        let found: Vec<_> = run
            .events_of(Kind::Check)
            .into_iter()
            .filter(|e| e.fields_as::<CheckFields>().unwrap().name == name)
            .collect();
        run.check(
            found.len() == 1 && found[0].status == Status::Ok,
            &format!("{name} is ok on S3"),
        );
    }

    // A run killed before its manifest left an incomplete backup (older than the newest
    // complete one): pra-rotate removes it with the backups its policy drops.
    let stale = repo
        .new_backup(
            "s3all",
            pra_core::time::parse_ts("2020-01-01T00:00:00Z").unwrap(),
        )
        .unwrap();
    let mut part = repo.create_file("s3all", &stale, "dump.pgc.zst").unwrap();
    part.write_all(b"half a dump").unwrap();
    part.commit().unwrap();
    let run = remote_tool("pra-rotate", &c, server, &url)
        .args(["--stanza", "s3all", "--keep-last", "1"])
        .run();
    run.success();
    let left: Vec<String> = repo
        .backups("s3all")
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(left, vec![ids[1].clone()], "kept the newest only");
    assert!(
        repo.storage()
            .list_files(&format!("s3all/backup/{stale}"))
            .unwrap()
            .is_empty()
            && repo
                .storage()
                .list_files(&format!("s3all/backup/{}", ids[0]))
                .unwrap()
                .is_empty(),
        "nothing of the deleted backups is left in the bucket"
    );
}
