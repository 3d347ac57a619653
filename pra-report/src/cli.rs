//! The command-line flags of pra-report.

use chrono::{DateTime, Utc};
use clap::Parser;
use pra_core::cli::{OutputArgs, RepoArgs};
use pra_core::time::{parse_duration, parse_ts};
use std::path::PathBuf;
use std::time::Duration;

const LONG_ABOUT: &str = "\
Reads the event history of the pra tools (the JSON lines cron pipelines append, \
pra-status --history, drill events) and, with --repo, the repositories' manifests and \
verification verdicts, and reports on a period: RPO compliance (largest gap between \
recovery points, share of the period within the objective), RTO of every restore and \
drill, availability from the status history (gaps count as unknown, not as up), \
verification coverage, backup size and duration trends, and incidents grouped by \
error class.\n\n\
Writes a self-contained HTML page with charts (--html) and Markdown tables (--markdown), \
and one `report` event with every figure on stdout, so that `pra-report | pra-notify` \
mails the monthly summary. The history is not forwarded: it is the subject of the \
report, not a stream passing through. Lines that are not pra.v1 events are counted, \
reported and skipped.\n\n\
Exit status: 0 every objective met, 1 an objective failed, 2 bad flag, 3 unreadable \
history, repository or report file.";

const EXAMPLES: &str = "\
Examples:\n  \
pra-report /var/log/pra/*.jsonl /var/lib/pra/status.jsonl --html /srv/www/pra.html\n  \
pra-report --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --rpo 1h --rto 30m \
--availability-target 99.9 --markdown nov.md /var/log/pra/events.jsonl | pra-notify --email-to dba@example.com\n  \
pra-report --repo /var/backups/pra --since 7d --format text";

/// The start of the period: a duration before its end, or a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Since {
    /// This long before `--until`.
    Ago(Duration),
    /// From this time.
    At(DateTime<Utc>),
}

fn parse_since(s: &str) -> Result<Since, String> {
    match parse_duration(s) {
        Ok(d) => Ok(Since::Ago(d)),
        Err(_) => parse_ts(s)
            .map(Since::At)
            .map_err(|_| format!("invalid start {s:?} (a duration such as 30d, or an RFC 3339 time such as 2026-11-01T00:00:00Z)")),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "invalid percentage {s:?} (between 0 and 100, e.g. 99.9)"
        )),
    }
}

/// pra-report's flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pra-report",
    version,
    about = "Compliance report from the pra event history: RPO, RTO, availability, verification, incidents",
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    mut_arg("repos", |a| a.required(false).help(
        "Backup repository to read manifests and verification verdicts from (a path, file://, \
         s3://, az:// or gs:// URL), so that a report can be made from the repository alone. Several \
         values (or a comma-separated PRA_REPO): each is read."
    )),
    mut_arg("stanza", |a| a.help("Report on this stanza only (default: every stanza seen)."))
)]
pub struct Args {
    /// Event history: JSON-lines files, `-` for stdin. Files are read in the order of
    /// their first event's time, so rotated files can be given in any order. Without
    /// any, stdin is read when it is not a terminal.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Repositories and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Start of the period: a duration before its end (30d) or an RFC 3339 time.
    #[arg(long, env = "PRA_REPORT_SINCE", value_name = "DURATION|TIME", default_value = "30d", value_parser = parse_since)]
    pub since: Since,

    /// End of the period, an RFC 3339 time (default: now).
    #[arg(long, env = "PRA_REPORT_UNTIL", value_name = "TIME", value_parser = parse_ts)]
    pub until: Option<DateTime<Utc>>,

    /// Recovery point objective: the newest recovery point (successful backup or archived
    /// WAL) must never be older than this.
    #[arg(long, env = "PRA_RPO", value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub rpo: Duration,

    /// Recovery time objective: every restore and drill must be done within this.
    #[arg(long, env = "PRA_RTO", value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub rto: Duration,

    /// Availability target, in percent of the period (unknown time counts as not up).
    #[arg(long, env = "PRA_AVAILABILITY_TARGET", value_name = "PERCENT", default_value = "99.9", value_parser = parse_percent)]
    pub availability_target: f64,

    /// Expected interval between status samples: a longer silence than twice this is a
    /// gap, counted as unknown (default: the median interval of each host's first 1000 samples).
    #[arg(long, env = "PRA_HISTORY_INTERVAL", value_name = "DURATION", value_parser = parse_duration)]
    pub history_interval: Option<Duration>,

    /// Write the report as one self-contained HTML page (inline CSS and SVG charts).
    #[arg(long, env = "PRA_REPORT_HTML", value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write the report as Markdown tables (for e-mail, a wiki, a ticket).
    #[arg(long, env = "PRA_REPORT_MARKDOWN", value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Title of the report.
    #[arg(
        long,
        env = "PRA_REPORT_TITLE",
        value_name = "TEXT",
        default_value = "Disaster-recovery compliance report"
    )]
    pub title: String,

    /// Output and logging.
    #[command(flatten)]
    pub output: OutputArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_parse() {
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "pra-report",
            "h.jsonl",
            "--since",
            "2026-11-01T00:00:00Z",
            "--availability-target",
            "99.5%",
        ])
        .unwrap();
        assert!(matches!(a.since, Since::At(_)));
        assert_eq!(a.availability_target, 99.5);
        assert!(a.repo.repos.is_empty());
        let a = Args::try_parse_from(["pra-report"]).unwrap();
        assert_eq!(a.since, Since::Ago(Duration::from_secs(30 * 86400)));
        assert!(Args::try_parse_from(["pra-report", "--since", "soon"]).is_err());
        assert!(Args::try_parse_from(["pra-report", "--availability-target", "120"]).is_err());
    }
}
