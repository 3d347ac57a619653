//! Hostile input: a database whose name is itself a connection string is backed up
//! without any client program reading the name as connection settings (issue 22, 1).

use crate::common::*;
use pra_core::conn::conninfo::dbname_conninfo;
use pra_core::manifest::FileRole;
use pra_testkit::secrets::{assert_no_secret, password_cluster, password_places, DB_PASSWORD};
use pra_testkit::{database_digest, ConnectionTrap, PgCluster};

#[test]
fn a_database_named_like_a_conninfo_is_backed_up_without_connecting_elsewhere() {
    let c = PgCluster::start();
    let trap = ConnectionTrap::start();
    let hostile = trap.hostile_database(&c, "x");
    let repo = tempfile::tempdir().unwrap();
    // A password in the environment: the one a child would send to the trap.
    let run = backup(&c, repo.path())
        .env("PGPASSWORD", "never-sent-anywhere")
        .args(["--stanza", "hostile", "-d"])
        .arg(dbname_conninfo(&hostile))
        .run();
    run.success();
    assert_eq!(
        trap.hits(),
        0,
        "a child connected to the trap\n{}",
        run.dump()
    );

    let m = only_manifest(repo.path(), "hostile");
    assert_eq!(m.database.as_deref(), Some(hostile.as_str()));
    assert!(m.file(FileRole::Globals).is_some(), "pg_dumpall ran");
    let dump = m.file(FileRole::Dump).unwrap();
    restore_with_standard_tools(&c, &backup_dir(repo.path(), &m).join(&dump.name), "back");
    assert_eq!(
        database_digest(&c, "back").diff(&database_digest(&c, &hostile)),
        Vec::<String>::new()
    );
    assert_eq!(trap.hits(), 0);
}

#[test]
fn no_database_password_shows_at_the_most_verbose_level() {
    let c = password_cluster();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    for place in password_places(&c, "app", dir.path()) {
        let run = backup(&c, &repo)
            .args(["-vvv", "--stanza", place.how, "-d", &place.dbname])
            .envs(place.env)
            .env("RUST_LOG", "trace")
            .run();
        run.success();
        assert_no_secret(&run, place.how, 5, &[DB_PASSWORD]);
    }
}
