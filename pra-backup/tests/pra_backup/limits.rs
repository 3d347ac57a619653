//! Bad values are usage errors at parse time (issue 22, items 13 and 15): a duration
//! too large for a deadline, a thread count no machine has, one repository named twice
//! (which made the writer wait for its own stanza lock). Exit 2, one line, no panic,
//! before anything is connected to or written.

use pra_testkit::tool;
use std::time::Duration;

fn backup(repo: &str, extra: &[&str]) -> pra_testkit::ToolRun {
    tool(env!("CARGO_BIN_EXE_pra-backup"))
        .args(["--repo", repo, "-d", "app", "--init"])
        .args(extra)
        .timeout(Duration::from_secs(30))
        .run()
}

#[test]
fn huge_waits_and_thread_counts_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("pra");
    let repo = repo.to_str().unwrap();
    backup(repo, &["--wait", "9999999999999999999s"]).usage_error("--wait");
    backup(repo, &["--retry-delay", "36501d"]).usage_error("--retry-delay");
    backup(repo, &["--stall-timeout", "18446744073709551615s"]).usage_error("--stall-timeout");
    backup(repo, &["--threads", "100000"]).usage_error("--threads");
    backup(repo, &["--retries", "4000000000"]).usage_error("--retries");
    let run = tool(env!("CARGO_BIN_EXE_pra-backup"))
        .args(["--repo", repo, "-d", "app", "--init"])
        .env("PRA_WAIT", "9999999999999999999s")
        .run();
    run.usage_error("--wait");
    assert!(!home.path().join("pra").exists(), "nothing created");
}

#[test]
fn one_repository_named_twice_is_a_usage_error_not_a_deadlock() {
    let home = tempfile::tempdir().unwrap();
    let r = home.path().to_str().unwrap();
    let twice = format!("file://{r}/");
    let run = tool(env!("CARGO_BIN_EXE_pra-backup"))
        .args(["--repo", r, "--repo", &twice, "-d", "app", "--init"])
        .timeout(Duration::from_secs(30))
        .run();
    run.usage_error("same repository");
    run.check(run.elapsed < Duration::from_secs(10), "at once");
}
