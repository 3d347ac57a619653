//! Scratch databases on a real server: both drop paths (FORCE, and the plain DROP
//! PostgreSQL 12 gets, forced here on the installed server), what the server log
//! then says, and ownership by application_name.

use pra_core::conn::ConnSettings;
use pra_core::scratch::{drop_leftovers, DropStrategy, Scratch, ScratchError};
use pra_testkit::PgCluster;

fn server(c: &PgCluster) -> ConnSettings {
    let env = c.env();
    ConnSettings::from_lookup(Some("postgres"), |k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap()
}

/// The DROP DATABASE statements the server logged for `name`.
fn drops_of(c: &PgCluster, name: &str) -> Vec<String> {
    c.log()
        .lines()
        .filter(|l| l.contains("statement: DROP DATABASE") && l.contains(name))
        .map(str::to_string)
        .collect()
}

fn ended_sessions(c: &PgCluster) -> usize {
    c.log().matches("terminating connection").count()
}

#[test]
fn both_drop_paths_close_politely_and_end_only_what_is_left() {
    let c = PgCluster::start();
    c.psql("postgres", "ALTER SYSTEM SET log_statement = 'ddl'");
    c.psql("postgres", "SELECT pg_reload_conf()");
    let server = server(&c);

    for (strategy, name) in [
        (DropStrategy::Terminate, "pra_test_plain"),
        (DropStrategy::Auto, "pra_test_auto"),
    ] {
        let before = ended_sessions(&c);
        // Our own session, closed before the drop: nothing to end, nothing logged.
        let scratch = Scratch::create(&server, name, strategy).unwrap();
        let mut client = scratch.settings().connect().unwrap();
        client
            .batch_execute("CREATE TABLE t AS SELECT 1 AS x")
            .unwrap();
        drop(client);
        scratch.drop_now().unwrap();
        assert!(!c.db_exists(name), "{name} dropped");
        assert_eq!(ended_sessions(&c), before, "{strategy:?}: {}", c.log());

        // A session still connected after the grace period: ended, then dropped.
        let scratch = Scratch::create(&server, name, strategy).unwrap();
        let lingering = scratch.settings().connect().unwrap();
        scratch.drop_now().unwrap();
        assert!(!c.db_exists(name), "{name} dropped despite a session");
        assert_eq!(ended_sessions(&c), before + 1, "{strategy:?}: {}", c.log());
        drop(lingering);

        let drops = drops_of(&c, name);
        let forced = drops.iter().filter(|l| l.contains("FORCE")).count();
        match strategy {
            // The path PostgreSQL 12 gets: FORCE never sent.
            DropStrategy::Terminate => assert_eq!(forced, 0, "{drops:?}"),
            DropStrategy::Auto => assert!(forced > 0, "FORCE on 13+: {drops:?}"),
        }
    }
}

#[test]
fn a_live_runs_scratch_is_busy_and_never_a_leftover() {
    let c = PgCluster::start();
    let server = server(&c);
    let live = Scratch::create(&server, "pra_test_live", DropStrategy::Auto).unwrap();
    assert!(matches!(
        Scratch::create(&server, "pra_test_live", DropStrategy::Auto),
        Err(ScratchError::Busy(_))
    ));
    // A run killed without cleanup: its database stays, with no owner.
    c.psql("postgres", "CREATE DATABASE pra_test_gone");
    assert_eq!(
        drop_leftovers(&server, "pra_test_").unwrap(),
        vec!["pra_test_gone".to_string()]
    );
    assert!(
        c.db_exists("pra_test_live"),
        "the live run's database is left alone"
    );
    drop(live);
    assert!(!c.db_exists("pra_test_live"), "dropped with its owner");
}
