//! Exact figures on synthetic histories: RPO gaps, RTO, availability with gaps
//! counted as unknown, verification coverage, incidents by error class, and
//! malformed lines counted without stopping the report.

use crate::history::{backup, error, ev, lines, report, run_day, status};
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::Verdict;
use pra_core::event::{Kind, Status};
use serde_json::json;

/// A day on which every objective fails, with malformed lines; the HTML tests use it too.
pub fn failing_day() -> String {
    let app = Some("app");
    let mut events = vec![
        error("-1 22:00", Kind::Backup, ErrorClass::Connection, app), // before the period
        backup("-1 23:00", "A0", 100, 10.0),
    ];
    for (hm, id) in [
        ("01:00", "A1"),
        ("03:00", "A3"),
        ("09:00", "A9"),
        ("10:00", "A10"),
        ("20:00", "A20"),
    ] {
        events.push(backup(hm, id, 1000, 60.0));
    }
    events.push(ev("12:00", Kind::Wal, Status::Ok, app, json!({})));
    events.push(error("05:00", Kind::Backup, ErrorClass::Connection, app));
    let verify = |hm, id: &str, level: &str, st| {
        ev(hm, Kind::Verify, st, app, json!({"id": id, "level": level}))
    };
    events.push(verify("01:30", "A1", "checksum", Status::Ok));
    events.push(verify("02:00", "A1", "restore", Status::Ok));
    events.push(
        verify("03:30", "A3", "checksum", Status::Error).with_error_class(ErrorClass::Corrupt),
    );
    events.push(verify("09:30", "A9", "manifest", Status::Ok));
    let restore = |hm, rto: f64, st| {
        ev(
            hm,
            Kind::Restore,
            st,
            app,
            json!({"target": "app", "rto_s": rto}),
        )
    };
    events.push(restore("14:00", 1200.0, Status::Ok));
    events.push(restore("15:00", 0.0, Status::Error).with_error_class(ErrorClass::Child));
    events.push(restore("16:00", 2400.0, Status::Warn));
    events.push(ev(
        "18:00",
        Kind::Drill,
        Status::Ok,
        app,
        json!({"rto_s": 600.0}),
    ));
    // Status every 10 minutes; down at 06:00 and 06:10; silent from 12:00 to 15:00.
    for m in (0..1440).step_by(10) {
        if m > 720 && m < 900 {
            continue;
        }
        let hm = format!("{:02}:{:02}", m / 60, m % 60);
        let down = hm == "06:00" || hm == "06:10";
        let mut s = status(&hm, !down);
        if down {
            s = s.with_error_class(ErrorClass::Health);
        }
        events.push(s);
    }
    // An error from before error_class existed.
    events.push(ev(
        "07:00",
        Kind::Check,
        Status::Error,
        None,
        json!({"name": "disk"}),
    ));
    events.sort_by_key(|e| e.ts);
    let mut text = lines(&events);
    let middle = text[text.len() / 2..].find('\n').unwrap() + text.len() / 2 + 1;
    text.insert_str(middle, "pra-status: warn: a log line, not an event\n\n");
    text.push_str("{\"schema\":\"pra.v0\",\"kind\":\"backup\"}\n");
    text
}

#[test]
fn figures_of_a_day_with_known_answers() {
    let history = failing_day();
    let run = run_day(
        &history,
        &["--rpo", "2h", "--rto", "30m", "--availability-target", "99"],
    );
    run.code_is(1);
    let (event, f) = report(&run);
    assert_eq!(event.status, Status::Error);
    assert_eq!(event.class(), Some(ErrorClass::Sla));
    assert_eq!(
        f.failed,
        ["rpo:app", "rto:app", "verification:app", "availability:db1"]
    );
    assert_eq!(
        (f.malformed_lines, f.lines, f.events),
        (3, f.events + 3, f.events)
    );
    run.stderr_contains("3 history lines are not pra.v1 events");

    let app = &f.stanzas[0];
    assert_eq!(f.stanzas.len(), 1);
    // Gaps: 2 h (from the day before), 2, 6, 1, 2 (to the WAL), 8, then 4 h open.
    assert_eq!(app.rpo.largest_gap_s, Some(8.0 * 3600.0));
    assert_eq!(
        app.rpo.largest_gap_start_at.as_deref(),
        Some("2026-11-10T12:00:00.000Z")
    );
    assert_eq!(
        app.rpo.largest_gap_end_at.as_deref(),
        Some("2026-11-10T20:00:00.000Z")
    );
    assert_eq!(app.rpo.breaches, 3);
    assert_eq!(app.rpo.recovery_points, 6);
    assert_eq!(
        app.rpo.covered_percent, 50.0,
        "12 h of 24 within 2 h of a recovery point"
    );
    assert_eq!(app.rpo.result, Verdict::Fail);

    assert_eq!(
        (
            app.rto.measurements,
            app.rto.within_target,
            app.rto.failed_restores
        ),
        (3, 2, 1)
    );
    assert_eq!(
        (app.rto.max_s, app.rto.median_s, app.rto.last_s),
        (Some(2400.0), Some(1200.0), Some(600.0))
    );

    let v = &app.verification;
    assert_eq!(
        (
            v.backups,
            v.verified,
            v.failed,
            v.restore_verified,
            v.manifest_verified
        ),
        (5, 1, 1, 1, 1)
    );
    assert_eq!(v.verified_percent, 20.0);
    assert_eq!(v.newest_restore_verification_age_s, Some(22.0 * 3600.0));
    assert_eq!(app.trend.backups, 5);

    let a = &f.availability[0];
    assert_eq!(
        (a.host.as_str(), a.samples, a.interval_s),
        ("db1", 127, 600.0)
    );
    assert_eq!(a.down_s, 20.0 * 60.0);
    assert_eq!(
        a.unknown_s,
        170.0 * 60.0,
        "12:00 stands for one interval, the rest of the silence is unknown"
    );
    assert_eq!(a.up_s, 1250.0 * 60.0);
    assert_eq!(a.percent, 100.0 * 1250.0 / 1440.0);

    let groups: Vec<(Option<&str>, &str, u64)> = f
        .incidents
        .iter()
        .map(|i| (i.stanza.as_deref(), i.error_class.as_str(), i.count))
        .collect();
    assert_eq!(
        groups,
        [
            (None, "health", 2),
            (None, "unclassified", 1),
            (Some("app"), "child", 1),
            (Some("app"), "connection", 1),
            (Some("app"), "corrupt", 1),
        ]
    );
    assert_eq!(f.incidents[3].first_at, "2026-11-10T05:00:00.000Z");
}

#[test]
fn a_compliant_day_passes_from_files_given_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = vec![backup("-1 23:00", "B0", 100, 5.0), status("-1 23:55", true)];
    let mut second = Vec::new();
    for h in 0..24 {
        let part = if h < 12 { &mut first } else { &mut second };
        part.push(backup(
            &format!("{h:02}:00"),
            &format!("B{h}"),
            100 + h,
            5.0,
        ));
        for m in (0..60).step_by(5) {
            part.push(status(&format!("{h:02}:{m:02}"), true));
        }
    }
    second.push(ev(
        "13:00",
        Kind::Verify,
        Status::Ok,
        Some("app"),
        json!({"id": "B3", "level": "restore"}),
    ));
    second.push(ev(
        "14:00",
        Kind::Restore,
        Status::Ok,
        Some("app"),
        json!({"rto_s": 900.0}),
    ));
    second.sort_by_key(|e| e.ts);
    let (a, b) = (dir.path().join("h.jsonl"), dir.path().join("h.jsonl.1"));
    std::fs::write(&a, lines(&second)).unwrap();
    std::fs::write(&b, lines(&first)).unwrap();
    let run = run_day(
        "",
        &[
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--rpo",
            "1h",
            "--availability-target",
            "99.99",
        ],
    );
    run.success();
    let (event, f) = report(&run);
    assert_eq!(event.status, Status::Ok, "{}", event.message);
    assert!(
        event.message.starts_with("PASS: every objective met"),
        "{}",
        event.message
    );
    assert_eq!(event.error_class, None);
    assert_eq!(f.stanzas[0].rpo.largest_gap_s, Some(3600.0));
    assert_eq!(f.stanzas[0].rpo.covered_percent, 100.0);
    assert_eq!(f.availability[0].percent, 100.0);
    assert_eq!(f.availability[0].out_of_order, 0, "files read oldest first");
    assert_eq!(f.inputs, [b.display().to_string(), a.display().to_string()]);
}

#[test]
fn nothing_to_report_is_a_warning_not_a_failure() {
    let run = run_day("not an event\n", &[]);
    run.success();
    let (event, f) = report(&run);
    assert_eq!(event.status, Status::Warn);
    assert_eq!((f.lines, f.malformed_lines), (1, 1));
    let bad = pra_testkit::run::tool(env!("CARGO_BIN_EXE_pra-report"))
        .args([
            "--since",
            "2026-11-12T00:00:00Z",
            "--until",
            "2026-11-11T00:00:00Z",
        ])
        .run();
    bad.code_is(2).stderr_contains("the period is empty");
    assert_eq!(bad.one(Kind::Report).class(), Some(ErrorClass::Usage));
}
