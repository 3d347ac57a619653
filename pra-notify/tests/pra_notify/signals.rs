//! SIGTERM ends pra-notify within seconds even while a delivery waits on a receiver
//! that never answers (issue 26): the input is forwarded, then an `error` event of
//! class `interrupted`, then a death by the signal.

use crate::deliver::backup;
use pra_core::event::{Kind, Status};
use pra_testkit::{tool, wait_until, HttpServer, Reply};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

#[test]
fn sigterm_during_a_hung_delivery_ends_within_seconds_with_an_event() {
    let hang = HttpServer::scripted(vec![Reply::Hang; 10]);
    let input = backup(Status::Error, "pg_dump failed").to_json_line() + "\n";
    // Long enough that only the signal can end the run within the test's bounds.
    let running = tool(BIN)
        .args(["--webhook", &hang.url("/never")])
        .args(["--timeout", "60s", "--max-wait", "120s"])
        .timeout(Duration::from_secs(60))
        .stdin(input.clone().into_bytes())
        .spawn();
    wait_until(
        "the delivery reaches the receiver",
        Duration::from_secs(10),
        || hang.hits() >= 1,
    );
    let run = running.interrupt(libc::SIGTERM, Kind::Notify, Duration::from_secs(5));
    assert!(
        run.stdout.starts_with(input.as_bytes()),
        "input forwarded first\n{}",
        run.dump()
    );
    run.check(
        run.stderr.contains("SIGTERM"),
        "the signal is named on stderr",
    );
}
