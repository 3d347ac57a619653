//! Hostile input and careless targets (issue 22): a database named like a
//! connection string restores without any child connecting elsewhere (item 1);
//! template databases and `postgres` are refused as targets, and a failure after
//! the swap puts the old database back under its name (item 5).

use crate::common;
use crate::common::PRA_RESTORE;
use crate::failures::restore;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_testkit::secrets::{assert_no_secret, password_cluster, password_places, DB_PASSWORD};
use pra_testkit::{database_digest, tool, ConnectionTrap, PgCluster};

/// A cluster whose database `app` has a table `marker` holding `backup`, backed up
/// into the returned repository (stanza `app`).
fn backed_up_marker() -> (PgCluster, tempfile::TempDir) {
    let c = PgCluster::start();
    c.create_db("app");
    c.connect("app")
        .batch_execute("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('backup');")
        .unwrap();
    let repo = tempfile::tempdir().unwrap();
    common::backup(&c, repo.path(), "app", "app", Codec::Zstd);
    (c, repo)
}

fn marker(c: &PgCluster, db: &str) -> String {
    c.connect(db)
        .query_one("SELECT v FROM marker", &[])
        .unwrap()
        .get(0)
}

#[test]
fn a_database_named_like_a_conninfo_restores_without_connecting_elsewhere() {
    let c = PgCluster::start();
    let trap = ConnectionTrap::start();
    let source = trap.hostile_database(&c, "x");
    let target = format!("host=127.0.0.1 port={} dbname=y", trap.port());
    let repo = tempfile::tempdir().unwrap();
    common::backup(&c, repo.path(), &source, "hostile", Codec::Zstd);

    // One job streams into pg_restore; two decode to a file and run pg_restore -j.
    for (jobs, into) in [("1", target.clone()), ("2", format!("{target}2"))] {
        let run = tool(PRA_RESTORE)
            .args([
                "--repo",
                repo.path().to_str().unwrap(),
                "--stanza",
                "hostile",
            ])
            .args(["--target-db", &into, "--jobs", jobs])
            .envs(c.env())
            .env("PGPASSWORD", "never-sent-anywhere")
            .run();
        run.success();
        assert_eq!(
            trap.hits(),
            0,
            "a child connected to the trap\n{}",
            run.dump()
        );
        assert_eq!(
            database_digest(&c, &into).diff(&database_digest(&c, &source)),
            Vec::<String>::new()
        );
    }
}

#[test]
fn template_databases_and_postgres_are_refused_as_targets() {
    let (c, repo) = backed_up_marker();
    c.psql("postgres", "CREATE DATABASE tmpl IS_TEMPLATE true");
    let before = c.psql(
        "postgres",
        "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database",
    );

    for target in ["template1", "template0", "tmpl"] {
        let run = restore(&c, repo.path(), "app", target, &["--clean", "--yes"]);
        run.code_is(2).stderr_contains("template database");
        let ev = run.one(Kind::Restore);
        run.check(ev.status == Status::Error, "an error event");
    }
    let run = restore(&c, repo.path(), "app", "postgres", &["--clean", "--yes"]);
    run.code_is(2).stderr_contains("--allow-postgres-target");
    // Nothing was created, renamed or replaced; template1 gained no table.
    assert_eq!(
        c.psql(
            "postgres",
            "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"
        ),
        before
    );
    assert_eq!(
        c.psql(
            "template1",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'"
        ),
        "0"
    );

    // Explicitly forced, postgres is replaced (our own session moves to template1).
    let run = restore(
        &c,
        repo.path(),
        "app",
        "postgres",
        &["--clean", "--yes", "--allow-postgres-target"],
    );
    run.success();
    assert_eq!(marker(&c, "postgres"), "backup");
}

#[test]
fn a_failure_after_the_swap_puts_the_old_database_back() {
    let (c, repo) = backed_up_marker();
    c.connect("app")
        .batch_execute("UPDATE marker SET v = 'live'")
        .unwrap();
    // A (disabled, unconnected) subscription in the live database: the server renames
    // the database but refuses to drop it, so the step after the swap (dropping the
    // replaced database) fails.
    c.connect("app")
        .batch_execute(
            "CREATE SUBSCRIPTION pin CONNECTION 'dbname=nowhere' PUBLICATION p \
             WITH (connect = false)",
        )
        .unwrap();

    let run = restore(&c, repo.path(), "app", "app", &["--clean", "--yes"]);
    run.code_is(3);
    let ev = run.one(Kind::Restore);
    run.check(ev.status == Status::Error, "an error event");
    let f: RestoreFields = ev.fields_as().unwrap();
    // The live database is back under its name; the restored copy is kept aside.
    assert_eq!(marker(&c, "app"), "live", "{}", run.dump());
    let kept = f.temp_database.expect("the restored copy is named");
    assert!(kept.starts_with("app__pra_restore_"), "{kept}");
    assert_eq!(marker(&c, &kept), "backup");
    assert_eq!(f.old_database, None);
    assert!(
        !c.databases().iter().any(|d| d.contains("__pra_old_")),
        "{:?}",
        c.databases()
    );
    run.stderr_contains("is back as app");
}

#[test]
fn no_database_password_shows_at_the_most_verbose_level() {
    let c = password_cluster();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    common::backup(&c, &repo, "app", "app", Codec::Zstd);
    for (n, place) in password_places(&c, "postgres", dir.path())
        .into_iter()
        .enumerate()
    {
        let run = tool(PRA_RESTORE)
            .args(["-vvv", "--repo", repo.to_str().unwrap(), "--stanza", "app"])
            .args(["--target-db", &format!("copy{n}"), "-d", &place.dbname])
            .envs(c.env())
            .envs(place.env)
            .env("RUST_LOG", "trace")
            .run();
        run.success();
        assert_no_secret(&run, place.how, 5, &[DB_PASSWORD]);
    }
}
