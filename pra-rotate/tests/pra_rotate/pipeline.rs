//! pra-rotate in pipelines and configurations: stanzas named on stdin, forwarding,
//! --all-stanzas, the local time zone, missing repositories and stanzas.

use crate::common::*;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::tool;

#[test]
fn stanzas_named_on_stdin_win_and_input_is_forwarded_unchanged() {
    let r = Repo::new();
    let app = r.dailies("app", "2026-11-25", 3);
    let crm = r.dailies("crm", "2026-11-25", 3);
    let lines = [
        Event::new("pra-backup", Kind::Backup, Status::Ok, "backup crm")
            .with_stanza("crm")
            .with_field("future_field", 42)
            .to_json_line(),
        "not an event".to_string(),
        Event::new("pra-status", Kind::Check, Status::Warn, "disk")
            .with_stanza("app")
            .to_json_line(),
    ];
    let stdin = lines.join("\n") + "\n";
    // --stanza says app, but the events name crm: only crm is rotated.
    let run = r.rotate_with_stdin(
        &["--stanza", "app", "--keep-last", "1", "--now", NOW],
        stdin.clone().into_bytes(),
    );
    run.success();
    let out = String::from_utf8(run.stdout.clone()).unwrap();
    let out_lines: Vec<&str> = out.lines().collect();
    assert_eq!(out_lines[0], lines[0]);
    assert_eq!(out_lines[1], lines[1]);
    let input_error = Event::parse_line(out_lines[2].as_bytes()).unwrap();
    assert_eq!(input_error.kind, Kind::Input);
    assert_eq!(out_lines[3], lines[2]);
    assert_eq!(out_lines.len(), 5);
    let ev = run.one(Kind::Rotate);
    assert_eq!(ev.stanza.as_deref(), Some("crm"));
    assert_eq!(fields(ev).deleted, [crm[1].as_str(), crm[0].as_str()]);
    assert!(app.iter().all(|id| r.exists("app", id)));

    // No events naming stanzas: --all-stanzas rotates each, one event per stanza.
    let run = r.rotate(&["--all-stanzas", "--keep-last", "1", "--now", NOW]);
    run.success();
    let evs = run.events_of(Kind::Rotate);
    let stanzas: Vec<_> = evs.iter().map(|e| e.stanza.clone().unwrap()).collect();
    assert_eq!(stanzas, ["app", "crm"]);
    assert_eq!(fields(evs[0]).deleted, [app[1].as_str(), app[0].as_str()]);
    assert!(fields(evs[1]).deleted.is_empty());

    // Neither events nor flags: a usage error.
    r.rotate(&["--keep-last", "1"])
        .code_is(2)
        .stderr_contains("no stanza");
}

#[test]
fn local_timezone_buckets_follow_the_zone_of_the_process() {
    let r = Repo::new();
    // Two backups a day, 21:30Z and 22:30Z: in Paris summer time (UTC+2) the second
    // one is already 00:30 of the next day.
    let mut ids = Vec::new();
    for day in ["2026-07-01", "2026-07-02", "2026-07-03"] {
        for time in ["21:30", "22:30"] {
            ids.push(r.backup("app", at(&format!("{day}T{time}:00Z")), 100, true));
        }
    }
    let run_in = |zone: &str| {
        // A POSIX TZ rule, so that the test needs no tzdata and ignores the machine's zone.
        tool(env!("CARGO_BIN_EXE_pra-rotate"))
            .args(["--repo", r.path(), "--stanza", "app", "--keep-daily", "2"])
            .args(["--timezone", zone, "--dry-run", "--now", NOW])
            .env("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
            .run()
    };
    let local = run_in("local");
    local.success();
    let f = fields(local.one(Kind::Rotate));
    assert_eq!(f.timezone.as_deref(), Some("local"));
    // Local 07-04 holds only 07-03 22:30Z; local 07-03 ends with 07-03 21:30Z.
    assert_eq!(kept_ids(&f), [ids[5].as_str(), ids[4].as_str()]);
    let utc = run_in("utc");
    utc.success();
    // UTC days end with the 22:30Z backups.
    assert_eq!(
        kept_ids(&fields(utc.one(Kind::Rotate))),
        [ids[5].as_str(), ids[3].as_str()]
    );
}

#[test]
fn a_missing_repository_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-mounted");
    let run = tool(env!("CARGO_BIN_EXE_pra-rotate"))
        .args([
            "--repo",
            missing.to_str().unwrap(),
            "--stanza",
            "app",
            "--keep-last",
            "1",
        ])
        .run();
    run.code_is(3).stderr_contains("no pra repository");
    // The next stage of the pipeline hears about it (issue 22, item 9).
    let ev = run.one(Kind::Rotate);
    run.check(
        ev.status == Status::Error
            && ev.class() == Some(ErrorClass::Repository)
            && ev.message.contains("no pra repository"),
        "a missing repository is a rotate error event, class repository",
    );
    assert!(!missing.exists(), "nothing created");
}

#[test]
fn a_bad_flag_is_one_line_and_a_usage_event() {
    let run = tool(env!("CARGO_BIN_EXE_pra-rotate"))
        .args(["--keep-last", "1", "--no-such-flag"])
        .run();
    run.code_is(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    run.check(
        lines.len() == 1
            && lines[0].starts_with("pra-rotate: error: ")
            && lines[0].contains("--no-such-flag"),
        "one line on stderr, prefixed with the tool's name",
    );
    let ev = run.one(Kind::Rotate);
    run.check(
        ev.status == Status::Error && ev.class() == Some(ErrorClass::Usage),
        "a usage error event on stdout",
    );
    tool(env!("CARGO_BIN_EXE_pra-rotate"))
        .arg("--help")
        .run()
        .success()
        .check(true, "--help exits 0");
}

#[test]
fn a_stanza_without_backups_is_a_warning_and_is_not_created() {
    let r = Repo::new();
    r.dailies("app", "2026-11-25", 2);
    let upstream = Event::new("pra-backup", Kind::Backup, Status::Ok, "")
        .with_stanza("typo")
        .to_json_line();
    let run = r.rotate_with_stdin(&["--keep-last", "1"], format!("{upstream}\n").into_bytes());
    run.success();
    let ev = run.one(Kind::Rotate);
    run.check(ev.status == Status::Warn, "warn")
        .check(ev.message.contains("no backups"), "says why");
    assert!(!r.dir.path().join("typo").exists(), "nothing created");
}
