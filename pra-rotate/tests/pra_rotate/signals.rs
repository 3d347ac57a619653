//! SIGTERM in the middle of a long rotation (issue 26): the deletion under way
//! finishes, the rest are left, every backup is complete or fully gone, and the run
//! ends with a `rotate` error event of class `interrupted` and a death by SIGTERM.

use crate::common::*;
use pra_core::event::Kind;
use pra_testkit::{tool, wait_until};
use std::time::Duration;

#[test]
fn sigterm_between_deletions_leaves_every_backup_complete_or_gone() {
    let r = Repo::new();
    // Enough tiny backups that deleting them takes longer than noticing it started.
    let ids = r.dailies("app", "2026-11-24", 600);
    let backup_root = r.dir.path().join("app").join("backup");
    let count = || std::fs::read_dir(&backup_root).unwrap().count();
    let before = count();
    let running = tool(env!("CARGO_BIN_EXE_pra-rotate"))
        .args(["--repo", r.path(), "--stanza", "app", "--keep-last", "1"])
        .args(["--now", NOW])
        .spawn();
    wait_until("deletions under way", Duration::from_secs(30), || {
        count() < before
    });
    let run = running.interrupt(libc::SIGTERM, Kind::Rotate, Duration::from_secs(5));
    let ev = run.one(Kind::Rotate);
    let f = fields(ev);
    run.check(
        !f.deleted.is_empty() && f.deleted.len() < ids.len() - 1,
        "interrupted in the middle of the deletions",
    );
    run.check(
        f.error.as_deref().is_some_and(|e| e.contains("SIGTERM")),
        "the event names the signal",
    );

    // Complete (manifest and data file) or gone; what the event says is gone is.
    let left = r.repo.backups("app").unwrap();
    for e in &left {
        assert!(e.complete, "{} lost its manifest but not its files", e.id);
        assert!(
            r.backup_dir("app", &e.id).join("dump.pgc.zst").exists(),
            "{} has its manifest but not its data",
            e.id
        );
        assert!(!f.deleted.contains(&e.id), "{} reported deleted", e.id);
    }
    assert_eq!(left.len() + f.deleted.len(), ids.len(), "{}", run.dump());

    // The next run finishes the job.
    let again = r.rotate(&["--stanza", "app", "--keep-last", "1", "--now", NOW]);
    again.success();
    assert_eq!(r.repo.backups("app").unwrap().len(), 1);
}

#[test]
fn sigterm_while_the_upstream_is_silent_ends_the_run() {
    use pra_core::event::{Event, Status};
    use std::io::{Read, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    let r = Repo::new();
    r.dailies("app", "2026-11-24", 3);
    // An upstream that sent one event and then says nothing, its pipe still open.
    let mut child = Command::new(env!("CARGO_BIN_EXE_pra-rotate"))
        .args(["--repo", r.path(), "--keep-last", "1", "--now", NOW])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut upstream = child.stdin.take().unwrap();
    let line = Event::new("pra-backup", Kind::Backup, Status::Ok, "done").with_stanza("app");
    writeln!(upstream, "{}", line.to_json_line()).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let sent = std::time::Instant::now();
    // SAFETY: kill(2) on our own child, not yet reaped.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM) };
    wait_until("pra-rotate ends", Duration::from_secs(10), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(sent.elapsed() < Duration::from_secs(5), "ended within 5 s");
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let events: Vec<Event> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Event::parse_line(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "the input, then the error event");
    assert_eq!(events[0], line);
    assert_eq!(events[1].kind, Kind::Rotate);
    assert_eq!(events[1].status, Status::Error);
    assert_eq!(
        events[1].class(),
        Some(pra_core::error_class::ErrorClass::Interrupted)
    );
    // Nothing was rotated: the signal came before the input ended.
    assert_eq!(r.repo.backups("app").unwrap().len(), 3);
    drop(upstream);
}
