//! Bad values are usage errors at parse time (issue 22, items 13 and 15): a lock wait
//! too large for a deadline panicked; one repository named twice made the run wait
//! for the stanza lock it held itself.

use pra_testkit::tool;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_pra-rotate");

#[test]
fn a_huge_lock_wait_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let r = home.path().to_str().unwrap();
    for (flag, value) in [
        ("--lock-wait", "9999999999999999999s"),
        ("--prune-incomplete-after", "36501d"),
        ("--keep-within", "18446744073709551615s"),
    ] {
        tool(BIN)
            .args([
                "--repo",
                r,
                "--stanza",
                "app",
                "--keep-last",
                "1",
                flag,
                value,
            ])
            .stdin(Vec::new())
            .run()
            .usage_error(flag);
    }
}

#[test]
fn one_repository_named_twice_is_a_usage_error_not_a_deadlock() {
    let home = tempfile::tempdir().unwrap();
    let r = home.path().to_str().unwrap();
    let run = tool(BIN)
        .args(["--repo", &format!("{r},file://{r}/."), "--stanza", "app"])
        .args(["--keep-last", "1"])
        .stdin(Vec::new())
        .timeout(Duration::from_secs(30))
        .run();
    run.usage_error("same repository");
}
