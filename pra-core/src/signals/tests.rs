//! Tests of the signal module. A delivered signal is process-wide state, so the
//! test that sends one runs in a child process: this test binary, re-executed on
//! that one test. It also checks that a child process of a tool can be stopped
//! with SIGTERM (no blocked mask inherited).

use super::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// Set in the child process to the file it reports into.
const CHILD: &str = "PRA_SIGNALS_TEST_CHILD";

#[test]
fn names_and_messages() {
    assert_eq!(signal_name(libc::SIGINT), "SIGINT");
    assert_eq!(signal_name(libc::SIGTERM), "SIGTERM");
    assert_eq!(signal_name(99), "signal 99");
    assert_eq!(
        Interrupted(libc::SIGTERM).to_string(),
        "interrupted by SIGTERM"
    );
}

#[test]
fn without_a_signal_nothing_is_pending_and_children_are_waited_for() {
    assert_eq!(pending(), None);
    assert_eq!(check(), Ok(()));
    let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
    let status = wait_child(&mut child, "sh").unwrap();
    assert_eq!(status.code(), Some(3));
    let _hook = on_signal("never runs", || panic!("no signal was sent"));
}

#[test]
fn a_signal_runs_the_hooks_stops_children_then_the_process_dies_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "signals::tests::child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &report)
        .status()
        .unwrap();
    let said = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}; {said}");
    assert_eq!(
        said, "second first pending=15 child=Some(15) ",
        "hooks newest first, the unregistered one not at all"
    );
}

/// The child's side of the test above (does nothing in a normal test run).
#[test]
fn child_process() {
    let Some(report) = std::env::var_os(CHILD) else {
        return;
    };
    let say = move |what: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&report)
            .unwrap();
        write!(f, "{what} ").unwrap();
    };
    install().unwrap();
    let (s1, s2, s3) = (say.clone(), say.clone(), say.clone());
    let _first = on_signal("first", move || s1("first"));
    let _second = on_signal("second", move || s2("second"));
    drop(on_signal("unregistered", move || s3("unregistered")));
    // SAFETY: kill(2) on our own process, whose handler is installed.
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGTERM) }, 0);
    let started = Instant::now();
    while pending().is_none() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Wait for the hooks, then record what the main flow sees.
    drop(hooks());
    say(&format!("pending={}", pending().unwrap_or(0)));
    // Registered after the signal: stopped at once.
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let status = wait_child(&mut sleeper, "sleep").unwrap();
    say(&format!("child={:?}", status.signal()));
    reraise(libc::SIGTERM);
    say("still alive");
}
