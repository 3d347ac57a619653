//! SIGTERM mid-dump, seen from a shell script: pra-backup removes its partial
//! backup, reports it, then dies by the signal itself, so `$?` is 143 as for any
//! well-behaved Unix tool (failures.rs checks the signal death from Rust too).

use crate::common::*;
use pra_core::event::{Event, Status};
use pra_testkit::PgCluster;
use std::process::Command;

/// Starts the command given as arguments in the background, waits until its dump
/// is being staged in `$REPO`, sends SIGTERM and prints what `wait` returned.
const SCRIPT: &str = r#"
"$@" >"$OUT/events" 2>"$OUT/stderr" </dev/null &
pid=$!
tries=0
until find "$REPO" -name '*.dump.pgc.zst.tmp*' | grep -q . ; do
  tries=$((tries + 1))
  if [ "$tries" -gt 1200 ]; then kill -KILL "$pid"; echo "no dump staged in 60 s"; exit; fi
  sleep 0.05
done
sleep 0.3
kill -TERM "$pid"
wait "$pid"
echo "status=$?"
"#;

#[test]
fn sigterm_mid_dump_cleans_up_reports_and_the_shell_sees_143() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    c.create_db("app");
    c.psql(
        "app",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 1000000) i",
    );
    let tool = backup(&c, repo.path())
        .args(["-d", "app", "--level", "19", "--threads", "0"])
        .command();
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(tool.get_program())
        .args(tool.get_args())
        .env("OUT", out.path())
        .env("REPO", repo.path());
    for (k, v) in tool.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    let shell = sh.output().unwrap();
    let stderr = std::fs::read_to_string(out.path().join("stderr")).unwrap();
    let events = std::fs::read_to_string(out.path().join("events")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&shell.stdout).trim(),
        "status=143",
        "pra-backup stderr:\n{stderr}"
    );
    let ev = Event::parse_line(events.trim().as_bytes()).unwrap();
    assert_eq!(ev.status, Status::Error);
    assert!(
        ev.message.contains("interrupted by SIGTERM"),
        "{}",
        ev.message
    );
    assert!(
        stderr.contains("interrupted by SIGTERM"),
        "the error on stderr before the signal death: {stderr}"
    );
    assert_nothing_left(repo.path(), "app");
}
