//! Bad values are usage errors at parse time, and the report is private (issue 22,
//! item 15): a `--target-db` PostgreSQL would truncate, one repository named twice, and
//! a report created 0666 under `umask 000`.

use crate::common::PRA_RESTORE;
use pra_testkit::tool;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

#[test]
fn a_long_target_name_and_a_repository_named_twice_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let r = home.path().to_str().unwrap();
    tool(PRA_RESTORE)
        .args(["--repo", r, "--target-db", &"a".repeat(64)])
        .stdin(Vec::new())
        .run()
        .usage_error("63 bytes");
    tool(PRA_RESTORE)
        .args([
            "--repo",
            r,
            "--repo",
            &format!("file://{r}/"),
            "--target-db",
            "app",
        ])
        .stdin(Vec::new())
        .run()
        .usage_error("same repository");
    tool(PRA_RESTORE)
        .args([
            "--repo",
            r,
            "--target-db",
            "app",
            "--rto",
            "9999999999999999999s",
        ])
        .stdin(Vec::new())
        .run()
        .usage_error("--rto");
}

/// A restore that fails (an empty repository) still writes its report: created 0600
/// though the umask lets everything through.
#[test]
fn the_report_is_created_0600_under_umask_000() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    pra_core::repo::Repository::create(repo.to_str().unwrap()).unwrap();
    let report = home.path().join("restore.md");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; exec "$0" --repo "$1" --target-db app --report "$2""#)
        .arg(PRA_RESTORE)
        .arg(&repo)
        .arg(&report)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(2 | 3)), "{out:?}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("Restore report"), "{text}");
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "report mode {mode:o}");
}
