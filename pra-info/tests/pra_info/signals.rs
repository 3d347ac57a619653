//! SIGTERM ends pra-info within seconds even while it waits for an upstream stage
//! that says nothing (issue 26): the input is forwarded, then an `info` error event
//! of class `interrupted`, then a death by the signal.

use crate::common::*;
use pra_core::event::{Event, Kind, Status};
use std::time::Duration;

#[test]
fn sigterm_while_the_upstream_is_silent_ends_with_an_event() {
    let r = Repo::new();
    r.backup("app", at("2026-11-24T01:00:00Z"), true);
    let line = Event::new("pra-backup", Kind::Backup, Status::Ok, "done").with_stanza("app");
    let running = r
        .info()
        .stdin_events(std::slice::from_ref(&line))
        .silent_upstream()
        .timeout(Duration::from_secs(60))
        .spawn();
    std::thread::sleep(Duration::from_millis(500));
    let run = running.interrupt(libc::SIGTERM, Kind::Info, Duration::from_secs(5));
    assert_eq!(run.events.first(), Some(&line), "input forwarded first");
    assert_eq!(
        run.events.len(),
        2,
        "no listing after the signal\n{}",
        run.dump()
    );
    run.stderr_contains("SIGTERM");
}
