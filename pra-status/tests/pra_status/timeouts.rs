//! A hung server never hangs pra-status (issue 26): with the cluster frozen by
//! SIGSTOP and an application endpoint that accepts and never answers, every check
//! is CRITICAL within --timeout (plus a small margin), and SIGTERM ends a run
//! waiting on them within seconds, with an `error` event.

use crate::common::*;
use pra_core::event::{Kind, Status};
use pra_testkit::PgCluster;
use std::time::Duration;

#[test]
fn a_frozen_server_and_a_silent_endpoint_are_critical_within_the_timeout() {
    let c = PgCluster::start();
    c.create_db("app");
    let http = http_server();
    let frozen = c.freeze();
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--timeout",
            "2s",
            "--app-url",
            &http.url("/hang"),
        ])
        .run();
    run.code_is(2);
    let (_, db, why) = check(&run, "database", None);
    assert_eq!(db, Status::Error, "{why}");
    let (_, app, why) = check(&run, "app", None);
    assert_eq!(app, Status::Error, "{why}");
    run.check(
        run.elapsed < Duration::from_secs(2 + 3),
        "within the timeout",
    );

    // A long timeout: SIGTERM does not wait for it.
    let running = status(&c)
        .args([
            "-d",
            "app",
            "--timeout",
            "60s",
            "--app-url",
            &http.url("/hang"),
        ])
        .spawn();
    std::thread::sleep(Duration::from_millis(700));
    running.interrupt(libc::SIGTERM, Kind::Status, Duration::from_secs(5));
    frozen.thaw();
}
