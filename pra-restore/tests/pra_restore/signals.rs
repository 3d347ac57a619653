//! SIGTERM or SIGINT during a restore: pg_restore stopped, the temporary database and
//! the decoded dump removed, an `error` event, then a death by the signal itself. And
//! the server log of normal runs: no session of ours had to be ended.

use crate::common::{self, PRA_RESTORE};
use pra_core::codec::Codec;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, PgCluster};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn databases_of(c: &PgCluster, target: &str) -> Vec<String> {
    c.databases()
        .into_iter()
        .filter(|d| d.starts_with(target))
        .collect()
}

#[test]
fn a_signal_mid_restore_removes_what_it_made_and_dies_by_it() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    let temp_dir = tempfile::tempdir().unwrap();
    c.create_db("big");
    c.psql("big", "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a FROM generate_series(1, 1000000) g; ALTER TABLE big ADD PRIMARY KEY (id)");
    common::backup(&c, repo.path(), "big", "big", Codec::Zstd);
    let restore = |target: &str, jobs: &str| {
        tool(PRA_RESTORE)
            .args(["--stanza", "big", "--target-db", target, "--jobs", jobs])
            .arg("--repo")
            .arg(repo.path())
            .arg("--temp-dir")
            .arg(temp_dir.path())
            .envs(c.env())
    };

    // Normal runs, streamed and with pg_restore -j, one replacing its target: the
    // server log shows no session ended by a drop.
    restore("copy", "1").run().success();
    restore("copy", "3")
        .arg("--clean")
        .arg("--yes")
        .run()
        .success();
    let log = c.log();
    assert!(
        !log.contains("terminating connection") && !log.contains("Broken pipe"),
        "the server log shows sessions ended by a drop:\n{log}"
    );

    // Each signal with a streamed restore and with pg_restore -j.
    let signals = [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")];
    for ((sig, name), jobs) in signals.into_iter().flat_map(|s| [(s, "1"), (s, "3")]) {
        let what = format!("{name}, --jobs {jobs}");
        let mut child = restore("bigr", jobs)
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        common::wait_for_copy(&c, "bigr", &mut child);
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            (out.status.signal(), out.status.code()),
            (Some(sig), None),
            "{what}: a death by the signal; stderr:\n{stderr}"
        );
        let events: Vec<Event> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| Event::parse_line(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(events.len(), 1, "{stderr}");
        assert_eq!(events[0].kind, Kind::Restore);
        assert_eq!(events[0].status, Status::Error);
        assert_eq!(events[0].class(), Some(ErrorClass::Interrupted), "{what}");
        assert!(
            events[0]
                .message
                .contains(&format!("interrupted by {name}")),
            "{what}: {}",
            events[0].message
        );
        assert_eq!(
            databases_of(&c, "bigr"),
            Vec::<String>::new(),
            "{what}: no temporary database, no target"
        );
        assert_eq!(
            std::fs::read_dir(temp_dir.path()).unwrap().count(),
            0,
            "{what}: the decoded dump removed"
        );
        // pg_restore's sessions carry the tool's name: they end with it.
        let stopped = Instant::now();
        while c.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pra-restore'",
        ) != "0"
        {
            assert!(
                stopped.elapsed() < Duration::from_secs(10),
                "{what}: pg_restore still connected"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
