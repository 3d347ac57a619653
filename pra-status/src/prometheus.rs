//! The `--prometheus` file: the results in the Prometheus text exposition format,
//! for node_exporter's textfile collector, written atomically (a temporary name
//! the collector ignores, fsync, rename, fsync of the directory: [`pra_core::fs`])
//! so a scrape never reads half a file.
//!
//! Every metric is a gauge with HELP and TYPE lines; label values are escaped.

use crate::check::CheckResult;
use crate::plugin::PluginState;
use std::fmt::Write as _;
use std::io;
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
    let mut metrics = Metrics::new();
    for r in results {
        metrics.add_check(r);
    }
    metrics.add_run(run);
    metrics.render()
}

/// Every metric family of the file, in the order they are written.
struct Metrics {
    status: Family,
    db_up: Family,
    db_latency: Family,
    backup_age: Family,
    backup_size: Family,
    backup_duration: Family,
    verify_age: Family,
    verify_ok: Family,
    disk: Family,
    availability: Family,
    state: Family,
    last_run: Family,
    duration: Family,
}

impl Metrics {
    fn new() -> Metrics {
        Metrics {
            status: Family::new(
                "pra_check_status",
                "Result of each pra-status check: 0 ok (or skipped), 1 warning, 2 critical.",
            ),
            db_up: Family::new(
                "pra_database_up",
                "1 when PostgreSQL accepted a connection and answered SELECT 1.",
            ),
            db_latency: Family::new(
                "pra_database_latency_seconds",
                "Time to connect to PostgreSQL and answer SELECT 1.",
            ),
            backup_age: Family::new(
                "pra_backup_age_seconds",
                "Seconds since the newest complete backup of the stanza finished.",
            ),
            backup_size: Family::new(
                "pra_backup_last_size_bytes",
                "Stored size of the newest complete backup.",
            ),
            backup_duration: Family::new(
                "pra_backup_last_duration_seconds",
                "Duration of the newest complete backup.",
            ),
            verify_age: Family::new(
                "pra_verify_age_seconds",
                "Seconds since the newest verification of a backup of the stanza.",
            ),
            verify_ok: Family::new(
                "pra_verify_ok",
                "1 when the newest verification passed, 0 when it failed.",
            ),
            disk: Family::new(
                "pra_disk_free_ratio",
                "Free space available to unprivileged users, as a ratio of the file system size.",
            ),
            availability: Family::new(
                "pra_availability_ratio",
                "Availability over the --availability window, from the history.",
            ),
            state: Family::new(
                "pra_status_state",
                "Overall pra-status state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            ),
            last_run: Family::new(
                "pra_status_last_run_timestamp_seconds",
                "When pra-status last ran (Unix time); alert when it stops moving.",
            ),
            duration: Family::new(
                "pra_status_duration_seconds",
                "Wall time of the last pra-status run.",
            ),
        }
    }

    /// The samples one check result gives: its status, and its figures by check name.
    fn add_check(&mut self, r: &CheckResult) {
        use pra_core::event::Status;
        let f = &r.fields;
        let code = match r.status {
            Status::Ok => 0.0,
            Status::Warn => 1.0,
            Status::Error => 2.0,
        };
        let target = f.target.clone().unwrap_or_default();
        self.status.add(
            vec![("check", f.name.clone()), ("target", target.clone())],
            code,
        );
        let stanza_labels = || {
            vec![
                ("stanza", r.stanza.clone().unwrap_or_default()),
                ("repo", detail_str(r, "repo")),
            ]
        };
        match (f.name.as_str(), f.value) {
            ("database", value) if f.skipped.is_none() => {
                let up = if r.status == Status::Error { 0.0 } else { 1.0 };
                self.db_up.add(vec![], up);
                if let Some(v) = value {
                    self.db_latency.add(vec![], v);
                }
            }
            ("backup_age", Some(v)) => {
                self.backup_age.add(stanza_labels(), v);
                if let Some(b) = detail_f64(r, "stored_bytes") {
                    self.backup_size.add(stanza_labels(), b);
                }
                if let Some(d) = detail_f64(r, "backup_duration_s") {
                    self.backup_duration.add(stanza_labels(), d);
                }
            }
            ("backup_verified", Some(v)) => {
                self.verify_age.add(stanza_labels(), v);
                let passed = detail_str(r, "result") == "ok";
                self.verify_ok
                    .add(stanza_labels(), if passed { 1.0 } else { 0.0 });
            }
            ("disk", Some(v)) => self.disk.add(vec![("path", target)], v),
            _ => {}
        }
    }

    /// The samples about the run itself.
    fn add_run(&mut self, run: &RunSummary) {
        self.state.add(vec![], f64::from(run.state.code()));
        self.last_run.add(vec![], run.timestamp_s);
        self.duration.add(vec![], run.duration_s);
        if let Some(a) = run.availability_ratio {
            self.availability.add(vec![], a);
        }
    }

    /// The exposition text: HELP, TYPE and samples of every family that has samples.
    fn render(self) -> String {
        let mut out = String::new();
        for fam in [
            self.status,
            self.db_up,
            self.db_latency,
            self.backup_age,
            self.backup_size,
            self.backup_duration,
            self.verify_age,
            self.verify_ok,
            self.disk,
            self.availability,
            self.state,
            self.last_run,
            self.duration,
        ] {
            fam.write_to(&mut out);
        }
        out
    }
}

impl Family {
    /// Appends the family to `out`, nothing when it has no sample.
    fn write_to(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for (labels, v) in &self.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {v}", self.name);
            } else {
                let _ = writeln!(out, "{}{{{}}} {v}", self.name, labels.join(","));
            }
        }
    }
}

/// Writes `content` to `path` atomically (the temporary name is hidden and not
/// `*.prom`, so the collector skips it), mode 0644: metrics hold no secret.
pub fn write_atomic(path: &Path, content: &str) -> io::Result<()> {
    pra_core::fs::write_atomic(path, content.as_bytes(), 0o644)
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
}
