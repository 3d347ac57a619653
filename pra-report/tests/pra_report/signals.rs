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

/// A report written under `umask 000` is 0644, never world-writable (issue 22, item 15:
/// the same rule as pra-restore's report).
#[test]
fn a_report_written_under_umask_000_is_not_world_writable() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("report.md");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; exec "$0" --since 2026-11-10T00:00:00Z --until 2026-11-11T00:00:00Z --markdown "$1""#)
        .arg(env!("CARGO_BIN_EXE_pra-report"))
        .arg(&md)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let history = lines(&[backup("01:00", "20261110T010000Z", 1000, 5.0)]);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(history.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains('#'), "a Markdown report: {text}");
    let mode = std::fs::metadata(&md).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "report mode {mode:o}");
}
