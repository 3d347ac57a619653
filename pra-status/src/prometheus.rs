//! The `--prometheus` file: the results in the Prometheus text exposition format,
//! for node_exporter's textfile collector, written atomically (a temporary name
//! the collector ignores, fsync, rename) so a scrape never reads half a file.
//!
//! Every metric is a gauge with HELP and TYPE lines; label values are escaped.

use crate::check::CheckResult;
use crate::plugin::PluginState;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A metric family being built.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        // A non-finite value or a repeated label set would make the file invalid.
        if value.is_finite() && !self.samples.iter().any(|(l, _)| *l == labels) {
            self.samples.push((labels, value));
        }
    }
}

/// Escapes a label value: backslash, double quote and newline.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn detail_f64(r: &CheckResult, key: &str) -> Option<f64> {
    r.fields
        .details
        .get(key)
        .and_then(serde_json::Value::as_f64)
}

fn detail_str(r: &CheckResult, key: &str) -> String {
    r.fields
        .details
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The run summary the file needs besides the checks.
#[derive(Debug, Clone, Copy)]
pub struct RunSummary {
    /// The overall state.
    pub state: PluginState,
    /// When the run ended (Unix seconds).
    pub timestamp_s: f64,
    /// How long it took.
    pub duration_s: f64,
    /// Availability ratio over the window, when computed.
    pub availability_ratio: Option<f64>,
}

/// Renders the metrics.
pub fn render(results: &[CheckResult], run: &RunSummary) -> String {
    let mut status = Family::new(
        "pra_check_status",
        "Result of each pra-status check: 0 ok (or skipped), 1 warning, 2 critical.",
    );
    let mut db_up = Family::new(
        "pra_database_up",
        "1 when PostgreSQL accepted a connection and answered SELECT 1.",
    );
    let mut db_latency = Family::new(
        "pra_database_latency_seconds",
        "Time to connect to PostgreSQL and answer SELECT 1.",
    );
    let mut backup_age = Family::new(
        "pra_backup_age_seconds",
        "Seconds since the newest complete backup of the stanza finished.",
    );
    let mut backup_size = Family::new(
        "pra_backup_last_size_bytes",
        "Stored size of the newest complete backup.",
    );
    let mut backup_duration = Family::new(
        "pra_backup_last_duration_seconds",
        "Duration of the newest complete backup.",
    );
    let mut verify_age = Family::new(
        "pra_verify_age_seconds",
        "Seconds since the newest verification of a backup of the stanza.",
    );
    let mut verify_ok = Family::new(
        "pra_verify_ok",
        "1 when the newest verification passed, 0 when it failed.",
    );
    let mut disk = Family::new(
        "pra_disk_free_ratio",
        "Free space available to unprivileged users, as a ratio of the file system size.",
    );
    let mut state = Family::new(
        "pra_status_state",
        "Overall pra-status state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    let mut last_run = Family::new(
        "pra_status_last_run_timestamp_seconds",
        "When pra-status last ran (Unix time); alert when it stops moving.",
    );
    let mut duration = Family::new(
        "pra_status_duration_seconds",
        "Wall time of the last pra-status run.",
    );
    let mut availability = Family::new(
        "pra_availability_ratio",
        "Availability over the --availability window, from the history.",
    );

    for r in results {
        let f = &r.fields;
        let code = match r.status {
            pra_core::event::Status::Ok => 0.0,
            pra_core::event::Status::Warn => 1.0,
            pra_core::event::Status::Error => 2.0,
        };
        status.add(
            vec![
                ("check", f.name.clone()),
                ("target", f.target.clone().unwrap_or_default()),
            ],
            code,
        );
        let stanza_labels = || {
            vec![
                ("stanza", r.stanza.clone().unwrap_or_default()),
                ("repo", detail_str(r, "repo")),
            ]
        };
        match (f.name.as_str(), f.value) {
            ("database", _) if f.skipped.is_none() => {
                db_up.add(
                    vec![],
                    if r.status == pra_core::event::Status::Error {
                        0.0
                    } else {
                        1.0
                    },
                );
                if let Some(v) = f.value {
                    db_latency.add(vec![], v);
                }
            }
            ("backup_age", Some(v)) => {
                backup_age.add(stanza_labels(), v);
                if let Some(b) = detail_f64(r, "stored_bytes") {
                    backup_size.add(stanza_labels(), b);
                }
                if let Some(d) = detail_f64(r, "backup_duration_s") {
                    backup_duration.add(stanza_labels(), d);
                }
            }
            ("backup_verified", Some(v)) => {
                verify_age.add(stanza_labels(), v);
                let passed = detail_str(r, "result") == "ok";
                verify_ok.add(stanza_labels(), if passed { 1.0 } else { 0.0 });
            }
            ("disk", Some(v)) => disk.add(vec![("path", f.target.clone().unwrap_or_default())], v),
            _ => {}
        }
    }
    state.add(vec![], f64::from(run.state.code()));
    last_run.add(vec![], run.timestamp_s);
    duration.add(vec![], run.duration_s);
    if let Some(a) = run.availability_ratio {
        availability.add(vec![], a);
    }

    let mut out = String::new();
    for fam in [
        status,
        db_up,
        db_latency,
        backup_age,
        backup_size,
        backup_duration,
        verify_age,
        verify_ok,
        disk,
        availability,
        state,
        last_run,
        duration,
    ] {
        if fam.samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {} {}", fam.name, fam.help);
        let _ = writeln!(out, "# TYPE {} gauge", fam.name);
        for (labels, v) in &fam.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {v}", fam.name);
            } else {
                let _ = writeln!(out, "{}{{{}}} {v}", fam.name, labels.join(","));
            }
        }
    }
    out
}

/// Writes `content` to `path` atomically: `.<name>.<pid>.tmp` in the same directory
/// (not `*.prom`, so the collector skips it), fsync, mode 0644 (metrics hold no
/// secret), rename, fsync the directory.
pub fn write_atomic(path: &Path, content: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The label sets of a family in rendered output, for tests.
#[cfg(test)]
fn names(out: &str) -> std::collections::BTreeSet<String> {
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Status;

    #[test]
    fn renders_gauges_with_help_and_escaped_labels() {
        let results = vec![
            CheckResult::ok("database", "up").value(0.004, "s"),
            CheckResult::new("disk", Status::Warn, "low")
                .value(0.15, "ratio")
                .target("/data/\"x\"\\y"),
            {
                let mut r = CheckResult::ok("backup_age", "fresh")
                    .value(120.0, "s")
                    .target("app")
                    .detail("stored_bytes", 1000)
                    .detail("backup_duration_s", 2.5)
                    .detail("repo", "/r");
                r.stanza = Some("app".into());
                r
            },
        ];
        let out = render(
            &results,
            &RunSummary {
                state: PluginState::Warning,
                timestamp_s: 1.7e9,
                duration_s: 0.1,
                availability_ratio: None,
            },
        );
        assert!(out.contains("# TYPE pra_check_status gauge\n"));
        assert!(
            out.contains("pra_check_status{check=\"disk\",target=\"/data/\\\"x\\\"\\\\y\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("pra_database_up 1\n"));
        assert!(out.contains("pra_backup_age_seconds{stanza=\"app\",repo=\"/r\"} 120\n"));
        assert!(out.contains("pra_status_state 1\n"));
        assert!(!names(&out).contains("pra_availability_ratio"));
    }

    #[test]
    fn writes_atomically_with_mode_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pra.prom");
        write_atomic(&p, "a 1\n").unwrap();
        write_atomic(&p, "a 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a 2\n");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
