//! SIGTERM ends pra-report within seconds even while it reads a history from an
//! upstream stage that says nothing (issue 26): a `report` error event of class
//! `interrupted`, no report file, then a death by the signal.

use crate::history::{backup, lines};
use pra_core::event::Kind;
use pra_testkit::tool;
use std::time::Duration;

#[test]
fn sigterm_while_the_history_is_silent_ends_with_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let running = tool(env!("CARGO_BIN_EXE_pra-report"))
        .args([
            "--since",
            "2026-11-10T00:00:00Z",
            "--until",
            "2026-11-11T00:00:00Z",
        ])
        .arg("--html")
        .arg(&html)
        .stdin(lines(&[backup("01:00", "20261110T010000Z", 1000, 5.0)]))
        .silent_upstream()
        .timeout(Duration::from_secs(60))
        .spawn();
    std::thread::sleep(Duration::from_millis(500));
    let run = running.interrupt(libc::SIGTERM, Kind::Report, Duration::from_secs(5));
    assert_eq!(run.events.len(), 1, "only the error event\n{}", run.dump());
    assert!(!html.exists(), "no report from a history cut short");
    run.stderr_contains("SIGTERM");
}
