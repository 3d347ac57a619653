//! The systemd units of scripts/systemd, checked by systemd itself
//! (`systemd-analyze verify`, with the sandbox drop-in and the man pages of their
//! Documentation= lines) and their ExecStart= run as written, as their User=, with
//! their EnvironmentFile= exported, against the test machine (machine.rs).

use crate::machine::Machine;
use std::path::PathBuf;

/// The units, in the order a day runs them (the report reads what the others logged),
/// each run here or not with why; a new unit needs a decision.
const UNITS: &[(&str, Option<&str>)] = &[
    ("pra-backup.service", None),
    ("pra-verify.service", None),
    ("pra-status.service", None),
    ("pra-report.service", None),
    (
        "pra-drill.service",
        Some("a 10-minute drill; pra-loadtest's own tests and docs/DRILLS.md's block run it"),
    ),
    (
        "pra-test-restore.service",
        Some("runs /usr/lib/pra/test-restore of the package; tested by scripts/quickstart.sh test-restore"),
    ),
];

fn unit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/systemd")
}

/// The values of `key=` in a unit file, in order.
fn values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

#[test]
fn systemd_analyze_verifies_the_units_with_their_drop_in_and_man_pages() {
    let man = tempfile::tempdir().unwrap();
    std::fs::create_dir(man.path().join("man1")).unwrap();
    let pages = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../man");
    for e in std::fs::read_dir(&pages).unwrap() {
        let p = e.unwrap().path();
        std::os::unix::fs::symlink(&p, man.path().join("man1").join(p.file_name().unwrap()))
            .unwrap();
    }
    let mut units: Vec<PathBuf> = std::fs::read_dir(unit_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "service" || e == "timer")
        })
        .collect();
    units.sort();
    assert!(units.len() >= 10, "{units:?}");
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", unit_dir().display()))
        .env("MANPATH", man.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("systemd-analyze (Debian package systemd; scripts/test.sh installs it): {e}")
        });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify {units:?}: {}\n{said}",
        out.status
    );
}

#[test]
fn the_units_exec_start_runs_as_written_as_their_user() {
    let services: Vec<String> = std::fs::read_dir(unit_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".service"))
        .collect();
    for s in &services {
        assert!(
            UNITS.iter().any(|(u, _)| u == s),
            "{s}: run it here or say why not in UNITS"
        );
    }
    let m = Machine::new();
    for (name, why_not) in UNITS {
        let unit = std::fs::read_to_string(unit_dir().join(name)).unwrap();
        assert_eq!(
            values(&unit, "User"),
            ["postgres"],
            "{name} runs as postgres"
        );
        let env_files = values(&unit, "EnvironmentFile");
        assert_eq!(env_files, ["/etc/pra/pra.env"], "{name}");
        let exec = values(&unit, "ExecStart");
        assert_eq!(exec.len(), 1, "{name}: one ExecStart");
        // systemd expands % specifiers; the commands use none (a literal % is %%).
        assert!(
            !exec[0].replace("%%", "").contains('%'),
            "{name}: {}",
            exec[0]
        );
        if let Some(why) = why_not {
            eprintln!("{name} not run here: {why}");
            continue;
        }
        let ok: Vec<i32> = std::iter::once(0)
            .chain(
                values(&unit, "SuccessExitStatus")
                    .iter()
                    .flat_map(|v| v.split_whitespace().map(|c| c.parse::<i32>().unwrap()))
                    .collect::<Vec<_>>(),
            )
            .collect();
        let run = m.as_postgres(&format!(
            "set -a; . {}; set +a\n{}",
            env_files[0],
            exec[0].replace("%%", "%")
        ));
        let log = std::fs::read_to_string(m.path("log/events.jsonl")).unwrap_or_default();
        run.check(
            run.code.is_some_and(|c| ok.contains(&c) && c != 75),
            &format!("{name} succeeds (codes {ok:?}, 75 is a held lock); events:\n{log}"),
        );
    }
    let events = std::fs::read_to_string(m.path("log/events.jsonl")).unwrap();
    for kind in ["backup", "verify", "rotate", "report"] {
        assert!(
            events.contains(&format!("\"kind\":\"{kind}\"")),
            "the units' {kind} events reach the log"
        );
    }
    assert!(
        m.path("textfile/pra.prom").exists(),
        "the status unit's metrics"
    );
    assert!(
        m.path("state/report.html").exists(),
        "the report unit's page"
    );
}
