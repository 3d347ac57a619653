//! A hung server never hangs pra-loadtest (issue 26): with the cluster frozen by
//! SIGSTOP, the connection gives up after PRA_CONNECT_TIMEOUT; a drill whose server
//! freezes under load fails after --stall-timeout with error class `timeout`; and
//! SIGTERM ends a drill blocked on the frozen server within seconds. The scratch
//! database the frozen server kept it from dropping is dropped when the server
//! resumes, by the drop the drill queued on its own connection, with no other run
//! and no lock left (docs/RELIABILITY.md).

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::Kind;
use pra_testkit::{tool, wait_until, PgCluster, Tool};
use std::time::{Duration, Instant};

fn quick_drill(c: &PgCluster) -> Tool {
    drill_of(c, "30s")
}

fn drill_of(c: &PgCluster, duration: &str) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args([
            "-d",
            "app",
            "--duration",
            duration,
            "--clients",
            "2",
            "--scale",
            "0.05",
        ])
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .env("PRA_CONNECT_TIMEOUT", "2")
        .env("PRA_STALL_TIMEOUT", "3s")
        .timeout(Duration::from_secs(60))
}

#[test]
fn a_frozen_server_bounds_every_wait_of_a_drill() {
    let _one_at_a_time = serial();
    let c = PgCluster::start();
    c.create_db("app");

    // Frozen before the connection: the connect timeout.
    let frozen = c.freeze();
    let run = quick_drill(&c).run();
    run.code_is(3);
    assert_eq!(
        run.one(Kind::Drill).class(),
        Some(ErrorClass::Connection),
        "{}",
        run.dump()
    );
    run.check(
        run.elapsed < Duration::from_secs(2 + 3),
        "within the connect timeout",
    );
    frozen.thaw();

    // Frozen under load: the stall timeout.
    let running = quick_drill(&c).spawn();
    std::thread::sleep(Duration::from_secs(2));
    let frozen = c.freeze();
    let since = Instant::now();
    let run = running.wait();
    run.code_is(3);
    let ev = run.one(Kind::Drill);
    assert_eq!(ev.class(), Some(ErrorClass::Timeout), "{}", run.dump());
    assert!(
        ev.message.contains("no progress")
            || fields(&run)
                .error
                .unwrap_or_default()
                .contains("no progress"),
        "{}",
        run.dump()
    );
    run.check(
        since.elapsed() < Duration::from_secs(3 + 5),
        "within the stall timeout",
    );
    frozen.thaw();

    // Frozen under load once the drill restored into its scratch database, then
    // SIGTERM: ended within 5 s, by the signal; the drop the frozen server kept it
    // from running is queued, and runs once the server resumes.
    let running = quick_drill(&c).env("PRA_STALL_TIMEOUT", "10m").spawn();
    wait_until("the drill's restore", Duration::from_secs(60), || {
        !drill_databases(&c).is_empty()
    });
    let frozen = c.freeze();
    std::thread::sleep(Duration::from_millis(500));
    let run = running.interrupt(libc::SIGTERM, Kind::Drill, Duration::from_secs(5));
    run.stderr_contains("drop queued on the server");
    frozen.thaw();
    c.wait_scratch_dropped(Duration::from_secs(15), |d| d.starts_with("pra_drill_"));
    // The next drill finds nothing to clean up, and drops its own.
    drill_of(&c, "5s").run().success();
    assert_eq!(drill_databases(&c), Vec::<String>::new());
}
