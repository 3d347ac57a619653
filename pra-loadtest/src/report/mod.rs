//! The compliance report of a drill, for a manager as much as for a DBA: the
//! verdict first, then the SLA table, what the figures mean in plain words, and
//! the details. Markdown, or HTML (chosen by the file's extension) with the
//! latency timeline drawn as an inline SVG chart (no script, no external file).

mod chart;
mod html;
mod markdown;

use pra_core::event::kinds::{DrillFields, LoadPhase, SlaCheck};
use pra_core::event::Status;
use pra_core::time::{format_bytes, format_duration};
use std::path::Path;
use std::time::Duration;

/// Everything a report shows.
pub struct ReportInput<'a> {
    /// The drill's figures (the `drill` event's fields).
    pub fields: &'a DrillFields,
    /// The drill's status.
    pub status: Status,
    /// The drill's one-line message.
    pub message: &'a str,
    /// The host the drill ran on.
    pub host: &'a str,
}

/// Writes the report; HTML for `.html`/`.htm`, Markdown otherwise.
pub fn write_report(path: &Path, input: &ReportInput<'_>) -> std::io::Result<()> {
    let text = render(path, input);
    std::fs::write(path, text)
}

/// The report's text for a file name (HTML by extension, else Markdown).
pub fn render(path: &Path, input: &ReportInput<'_>) -> String {
    let html = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    let summary = Summary::of(input);
    if html {
        html::render(&summary, input.fields)
    } else {
        markdown::render(&summary)
    }
}

/// The report's content, independent of the format.
struct Summary {
    title: String,
    passed: bool,
    verdict: String,
    context: String,
    slas: Vec<[String; 4]>,
    meaning: Vec<String>,
    phases: Vec<[String; 9]>,
    details: Vec<(String, String)>,
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format_duration(Duration::from_secs_f64(s))
    }
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1000.0)
}

fn sla_label(name: &str) -> &'static str {
    match name {
        "rpo" => "Recovery point (RPO)",
        "rto" => "Recovery time (RTO)",
        "slowdown" => "Slowdown during the backup",
        "availability" => "Application availability",
        _ => "Other",
    }
}

fn sla_value(c: &SlaCheck, v: Option<f64>) -> String {
    match (v, c.unit.as_str()) {
        (None, _) => "not measured".to_string(),
        (Some(v), "s") => secs(v),
        (Some(v), "ratio") => format!("x{v:.2}"),
        (Some(v), _) => format!("{v:.0} failed probes"),
    }
}

fn phase_row(name: &str, p: &LoadPhase) -> [String; 9] {
    [
        name.to_string(),
        secs(p.duration_s),
        p.transactions.to_string(),
        format!("{:.0}", p.tps),
        ms(p.p50_s),
        ms(p.p95_s),
        ms(p.p99_s),
        ms(p.max_s),
        p.failed_transactions.to_string(),
    ]
}

impl Summary {
    /// The report of a drill: verdict, context, SLA table, meaning, load phases, details.
    fn of(input: &ReportInput<'_>) -> Summary {
        let f = input.fields;
        let db = f.database.clone().unwrap_or_default();
        let passed = input.status != Status::Error;
        Summary {
            title: format!("SLA drill report: {db}"),
            passed,
            verdict: verdict(passed, f),
            context: context(input, &db),
            slas: f.slas.iter().map(sla_row).collect(),
            meaning: meaning(f),
            phases: vec![
                phase_row("Before the backup (baseline)", &f.baseline),
                phase_row("During the backup", &f.during_backup),
                phase_row("After the backup", &f.after_backup),
            ],
            details: details(input, db),
        }
    }
}

/// The one-line verdict: pass, which SLAs failed, or why the drill could not complete.
fn verdict(passed: bool, f: &DrillFields) -> String {
    if passed {
        "PASS: every measured service level was met.".to_string()
    } else if !f.failed_slas.is_empty() {
        let names: Vec<String> = f.failed_slas.iter().map(|n| n.to_uppercase()).collect();
        format!("FAIL: {} not met.", names.join(", "))
    } else {
        format!(
            "FAIL: the drill could not complete: {}",
            f.error.clone().unwrap_or_default()
        )
    }
}

/// What was drilled, where, for how long and how hard.
fn context(input: &ReportInput<'_>, db: &str) -> String {
    let f = input.fields;
    format!(
        "Drill of database `{db}` on host `{}`, started {}: {} of load by {} client connections \
         (workload: {}{}), a backup taken under that load, restored into a scratch database.",
        input.host,
        f.started_at.clone().unwrap_or_default(),
        secs(f.baseline.duration_s + f.during_backup.duration_s + f.after_backup.duration_s),
        f.clients,
        f.workload,
        f.scale.map(|s| format!(", scale {s}")).unwrap_or_default()
    )
}

/// One row of the SLA table: objective, target, measured, result.
fn sla_row(c: &SlaCheck) -> [String; 4] {
    [
        sla_label(&c.name).to_string(),
        sla_value(c, c.target),
        sla_value(c, c.measured),
        c.result.to_uppercase(),
    ]
}

/// The figures in plain words, one sentence each, for those measured.
fn meaning(f: &DrillFields) -> Vec<String> {
    let mut meaning = Vec::new();
    if let (Some(n), Some(s)) = (f.rpo_transactions, f.rpo_s) {
        meaning.push(format!(
            "If the server had been lost at the end of the drill, restoring the backup would have \
             lost {n} committed transactions: the last {} of work.",
            secs(s)
        ));
    }
    if f.wal_archiving {
        meaning.push(match (f.archive_lag_s, f.archive_lag_bytes) {
            (Some(s), Some(b)) => format!(
                "WAL archiving is on: point-in-time recovery from the archive would lose {} of WAL ({}).",
                format_bytes(b),
                secs(s)
            ),
            _ => "WAL archiving is on, but nothing has been archived yet.".to_string(),
        });
    }
    if let Some(rto) = f.rto_s {
        meaning.push(format!(
            "Restoring the backup and checking it took {} ({} tables, row counts {}).",
            secs(rto),
            f.tables_validated,
            if f.validation_problems.is_empty() {
                "identical to the backup's"
            } else {
                "NOT identical to the backup's"
            }
        ));
    }
    if let Some(r) = f.slowdown_ratio {
        meaning.push(format!(
            "While the backup ran ({}), the slowest 5% of transactions took {} instead of {} (x{r:.2}); throughput went from {:.0} to {:.0} transactions per second.",
            f.backup_duration_s.map(secs).unwrap_or_default(),
            ms(f.during_backup.p95_s),
            ms(f.baseline.p95_s),
            f.baseline.tps,
            f.during_backup.tps
        ));
    }
    if let Some(url) = &f.app_url {
        meaning.push(format!(
            "The application ({url}) was asked every second: {} of {} probes failed.",
            f.app_failures, f.app_probes
        ));
    }
    meaning
}

/// The details table: what was used, what was found, what was left behind.
fn details(input: &ReportInput<'_>, db: String) -> Vec<(String, String)> {
    let f = input.fields;
    let optional = [
        ("Repository", f.repo.clone()),
        ("Backup", f.backup_id.clone()),
        ("Backup duration", f.backup_duration_s.map(secs)),
        (
            "Backup size (stored)",
            f.backup_stored_bytes.map(format_bytes),
        ),
        ("Scratch database", f.scratch_database.clone()),
    ];
    let mut details = vec![("Database".to_string(), db)];
    details.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v))),
    );
    for p in &f.validation_problems {
        details.push(("Validation problem".to_string(), p.clone()));
    }
    details.push((
        "Transactions".to_string(),
        format!(
            "{} committed, {} failed",
            f.transactions, f.failed_transactions
        ),
    ));
    if let Some(e) = &f.error {
        details.push(("Error".to_string(), e.clone()));
    }
    let cleanup = if f.kept {
        "kept (--keep): schema pra_loadtest, the scratch database and the drill's backup"
    } else {
        "schema pra_loadtest, the scratch database and the drill's backup removed"
    };
    details.push(("Cleanup".to_string(), cleanup.to_string()));
    details.push(("Summary".to_string(), input.message.to_string()));
    details
}

/// Column titles of the load table.
const PHASE_HEADERS: [&str; 9] = [
    "Phase",
    "Duration",
    "Transactions",
    "TPS",
    "p50",
    "p95",
    "p99",
    "max",
    "Failed",
];

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::kinds::SlaCheck;

    fn failed_drill() -> DrillFields {
        DrillFields {
            database: Some("shop<1>".into()),
            workload: "tpcb".into(),
            clients: 4,
            rto_s: Some(42.0),
            rpo_s: Some(12.5),
            rpo_transactions: Some(1234),
            slas: vec![SlaCheck {
                name: "rto".into(),
                result: "fail".into(),
                target: Some(30.0),
                measured: Some(42.0),
                unit: "s".into(),
                detail: "restored in 42 s; target 30 s".into(),
            }],
            failed_slas: vec!["rto".into()],
            ..Default::default()
        }
    }

    #[test]
    fn markdown_puts_the_verdict_first() {
        let f = failed_drill();
        let input = ReportInput {
            fields: &f,
            status: Status::Error,
            message: "m",
            host: "h",
        };
        let md = render(Path::new("r.md"), &input);
        assert!(
            md.starts_with("# SLA drill report: shop<1>\n\n**FAIL: RTO not met.**"),
            "{md}"
        );
        assert!(
            md.contains("| Recovery time (RTO) | 30.0 s | 42.0 s | FAIL |"),
            "{md}"
        );
        assert!(md.contains("would have lost 1234 committed transactions: the last 12.5 s of work"));
    }

    #[test]
    fn html_escapes_and_marks_the_failure() {
        let f = failed_drill();
        let input = ReportInput {
            fields: &f,
            status: Status::Error,
            message: "m",
            host: "h",
        };
        let html = render(Path::new("r.HTML"), &input);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("shop&lt;1&gt;") && !html.contains("shop<1>"));
        assert!(html.contains("<p class=\"verdict fail\">FAIL: RTO not met.</p>"));
        assert!(
            html.contains("No timeline"),
            "no points, no chart, a sentence instead"
        );
    }
}
