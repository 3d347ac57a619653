//! `--target-action pause` and `shutdown` with `--start`, on the PITR setup of
//! [`super::physical`]: pause leaves the server in recovery, replay paused at the
//! target, serving exactly the target's rows read-only until `pg_wal_replay_resume()`;
//! shutdown returns once the server stopped at the target, and the copy, started
//! again to promote, holds exactly the target's rows.

use super::physical::{count, local};
use pra_core::event::kinds::RestoreFields;
use pra_core::event::Kind;
use pra_testkit::archiving::StopOnDrop;
use pra_testkit::RecoveredServer;
use std::time::{Duration, Instant};

fn batches(c: &mut postgres::Client) -> Vec<String> {
    c.query("SELECT batch FROM t ORDER BY batch", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn pause_leaves_the_server_in_recovery_paused_at_the_target() {
    let (_dir, p) = local();
    let (data, port, run) = p.started(
        "paused",
        &["--target-name", "rp", "--target-action", "pause"],
    );
    let _stop = StopOnDrop::new(p.cluster.bindir(), &data);
    run.success();
    let ev = run.one(Kind::Restore);
    let fields: RestoreFields = ev.fields_as().unwrap();
    run.check(
        ev.message.contains("paused at the target") && fields.restore_s > 0.0,
        "the event says replay is paused",
    );
    let mut c = p.connect(port);
    let row = c
        .query_one(
            "SELECT pg_is_in_recovery(), pg_get_wal_replay_pause_state()",
            &[],
        )
        .unwrap();
    assert!(row.get::<_, bool>(0), "still in recovery");
    assert_eq!(row.get::<_, String>(1), "paused");
    assert_eq!(batches(&mut c), ["A", "B", "pre"]);
    assert!(
        c.execute("INSERT INTO t VALUES ('X')", &[]).is_err(),
        "read-only while paused"
    );
    // Resuming ends recovery at the target: a primary on a new timeline.
    c.execute("SELECT pg_wal_replay_resume()", &[]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut c = p.connect(port);
        let recovering: bool = c
            .query_one("SELECT pg_is_in_recovery()", &[])
            .unwrap()
            .get(0);
        if !recovering {
            c.execute("INSERT INTO t VALUES ('X')", &[]).unwrap();
            assert_eq!(count(&mut c), 4, "pre, A, B, X");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "recovery never ended after resume"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn shutdown_returns_once_the_server_stopped_at_the_target() {
    let (_dir, p) = local();
    // Without a target PostgreSQL ignores the action (it promotes at the end of the
    // archive): refused, rather than waiting for a stop that never comes.
    let (none, t) = p.restore("no-target", &["--target-action", "shutdown", "--start"]);
    t.run()
        .code_is(2)
        .stderr_contains("--target-action shutdown needs a recovery target");
    assert!(!none.exists(), "refused before anything is written");
    let (data, _port, run) = p.started(
        "stopped",
        &["--target-name", "rp", "--target-action", "shutdown"],
    );
    let _stop = StopOnDrop::new(p.cluster.bindir(), &data);
    run.success();
    let ev = run.one(Kind::Restore);
    run.check(
        ev.message.contains("stopped at the target") && !ev.message.contains("accepting"),
        "the event says the server stopped, not that it accepts queries",
    );
    assert!(
        !data.join("postmaster.pid").exists(),
        "the server is stopped"
    );
    let log = std::fs::read_to_string(data.join("pra-restore-server.log")).unwrap();
    assert!(
        log.contains("recovery stopping at restore point \"rp\""),
        "{log}"
    );
    // Started again to promote, it ends recovery where it stopped: the target's rows.
    let auto = data.join("postgresql.auto.conf");
    let mut conf = std::fs::read_to_string(&auto).unwrap();
    conf.push_str("recovery_target_action = 'promote'\n");
    std::fs::write(&auto, conf).unwrap();
    let mut server =
        RecoveredServer::start_with_env(p.cluster.bindir(), &data, &p.cluster.data_dir(), &p.env);
    let mut c = server
        .wait_recovered(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batches(&mut c), ["A", "B", "pre"]);
}
