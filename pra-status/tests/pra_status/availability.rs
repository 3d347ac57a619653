//! Availability from a real history file, through the binary: known up, down and
//! gap intervals give the expected percentage.

use crate::common::*;
use chrono::Utc;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::PgCluster;

#[test]
fn availability_from_a_history_with_up_down_and_a_gap() {
    let c = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join("status.jsonl");
    // Every 5 minutes: up, up, down, up, then silence for 30 minutes until the run.
    let n = Utc::now();
    let mut lines = String::from("not json at all\n");
    for (ago, up) in [(3000, true), (2700, true), (2400, false), (2100, true)] {
        let mut ev = Event::new(
            "pra-status",
            Kind::Status,
            if up { Status::Ok } else { Status::Error },
            "",
        )
        .with_field("up", up);
        ev.ts = n - chrono::Duration::seconds(ago);
        lines.push_str(&ev.to_json_line());
        lines.push('\n');
    }
    std::fs::write(&hist, lines).unwrap();
    let run = status(&c)
        .arg("--history")
        .arg(&hist)
        .args(["--availability", "1h", "--availability-target", "99.9"])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    // Availability below target is a WARNING; everything else is fine.
    run.code_is(1);
    let (f, s, _) = check(&run, "availability", None);
    run.check(s == Status::Warn, "below target");
    let st = overall(&run);
    let a = st.availability.clone().unwrap();
    // up: 3000-2400 s ago (600 s) and one interval after the last up sample (300 s);
    // down: 300 s; the rest of the silence is unknown, not up.
    assert_eq!(a.up_s, 900.0, "{a:?}");
    assert_eq!(a.down_s, 300.0, "{a:?}");
    let delta = (run.one(Kind::Status).ts - n).num_milliseconds() as f64 / 1000.0;
    let expected = 100.0 * 900.0 / (3000.0 + delta);
    assert!(
        (a.percent - expected).abs() < 0.01,
        "{} vs {expected} ({a:?})",
        a.percent
    );
    assert!((a.unknown_s - (1800.0 + delta)).abs() < 0.5, "{a:?}");
    assert_eq!(f.value, Some(a.percent));
    assert_eq!(a.target_percent, 99.9);
    // The run appended its own sample.
    let text = std::fs::read_to_string(&hist).unwrap();
    assert_eq!(text.lines().count(), 6);
    assert!(st.up);
}
