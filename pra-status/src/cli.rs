//! The flags of `pra-status` (clap derive). The help text is the man page.

use clap::Parser;
use pra_core::cli::{DbArgs, OutputArgs, RepoArgs};
use pra_core::time::parse_duration;
use std::path::PathBuf;
use std::time::Duration;

/// Health checks of a PostgreSQL server, its backups and the applications in front of it.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pra-status",
    version,
    about = "Health checks of PostgreSQL, its backups and its applications, as a monitoring plugin",
    long_about = "Runs the health checks that apply: database (connect, SELECT 1, latency, version, \
recovery), critical tables (exist, not empty), disk space, age of the recovery point against the \
RPO (the newest backup, or the newest archived WAL segment when a physical backup can replay it), \
the newest verification and its result, the application and API URLs, WAL archiving (when \
archive_mode is on) and replication lag (when the server has standbys or is one). Each check is a \
`check` event; the overall result is one `status` event. A check that does not apply is skipped \
with a reason, not failed. Every check has a timeout (--timeout) and the checks run in parallel, \
so a run lasts at most about one timeout.\n\n\
pra-status starts a pipeline: it does not read stdin.",
    after_help = "Exit codes (monitoring-plugin convention, not the other pra tools'):\n  \
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad flag or configuration, unwritable --prometheus or --history).\n\n\
Examples:\n  \
pra-status -d app --repo /var/backups/pra --format text\n  \
pra-status -d app --repo /var/backups/pra --critical-table public.orders --rpo 1h \\\n      \
--app-url https://shop.example/health --api-url https://api.example/v1/ping=200 \\\n      \
--prometheus /var/lib/node_exporter/textfile/pra.prom --history /var/lib/pra/status.jsonl\n  \
pra-status --history /var/lib/pra/status.jsonl --availability 30d --availability-target 99.9\n  \
pra-status -d app --repo /var/backups/pra | pra-notify --only-changes --state-file /var/lib/pra/notify.state   # Slack URL in PRA_SLACK_WEBHOOK",
    mut_arg("repos", |a| a.required(false).help(
        "Backup repository to check (path, file://, s3://, az:// or gs://); several values (or a comma-separated \
         PRA_REPO) check each. Without it the backup checks are skipped."))
)]
pub struct Args {
    /// Which server and database.
    #[command(flatten)]
    pub db: DbArgs,

    /// Repository and stanza whose backups to check.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Check every stanza found in the repository (wins over --stanza, so that a
    /// PRA_STANZA in the environment does not get in the way).
    #[arg(long, env = "PRA_ALL_STANZAS")]
    pub all_stanzas: bool,

    /// A table that must exist and not be empty (`schema.table` or `table`); repeatable.
    #[arg(
        long = "critical-table",
        env = "PRA_CRITICAL_TABLES",
        value_name = "TABLE",
        value_delimiter = ','
    )]
    pub critical_tables: Vec<String>,

    /// A path whose file system's free space to check; repeatable (default: the local
    /// repository and, when readable here, the server's data directory).
    #[arg(
        long = "disk",
        env = "PRA_STATUS_DISK",
        value_name = "PATH",
        value_delimiter = ','
    )]
    pub disks: Vec<PathBuf>,

    /// Free space below this is WARNING (`20%`).
    #[arg(long, env = "PRA_DISK_WARN", value_name = "PERCENT", default_value = "20%", value_parser = parse_percent)]
    pub disk_warn: f64,

    /// Free space below this is CRITICAL (`10%`).
    #[arg(long, env = "PRA_DISK_CRIT", value_name = "PERCENT", default_value = "10%", value_parser = parse_percent)]
    pub disk_crit: f64,

    /// Recovery point objective: a recovery point older than this is CRITICAL, older than
    /// 80 % of it WARNING. The recovery point is the newest complete backup, or with WAL
    /// archiving (a physical backup and WAL archived since) the newest archived segment.
    /// Also bounds the age of WAL waiting to be archived.
    #[arg(long, env = "PRA_RPO", value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub rpo: Duration,

    /// The newest verification older than this is CRITICAL (80 %: WARNING); a failed one is CRITICAL.
    #[arg(long, env = "PRA_VERIFY_MAX_AGE", value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub verify_max_age: Duration,

    /// The application's health URL: must answer 2xx within the timeout (redirects followed).
    #[arg(long, env = "PRA_APP_URL", value_name = "URL")]
    pub app_url: Option<String>,

    /// An API URL that must answer a given HTTP code (`URL=CODE`, default any 2xx;
    /// redirects not followed); repeatable.
    #[arg(long = "api-url", env = "PRA_API_URLS", value_name = "URL[=CODE]", value_delimiter = ',', value_parser = parse_api_url)]
    pub api_urls: Vec<ApiUrl>,

    /// Replication lag above this is CRITICAL (80 %: WARNING).
    #[arg(long, env = "PRA_REPLICATION_MAX_LAG", value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub replication_max_lag: Duration,

    /// Replication lag in bytes above this is CRITICAL (80 %: WARNING); `1GiB`, `512MiB`.
    #[arg(long, env = "PRA_REPLICATION_MAX_LAG_BYTES", value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub replication_max_lag_bytes: u64,

    /// Time limit of each check; the checks run in parallel, so this bounds the run.
    #[arg(long, env = "PRA_STATUS_TIMEOUT", value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Time limit of each --app-url and --api-url request (default and at most: --timeout).
    #[arg(long, env = "PRA_HTTP_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub http_timeout: Option<Duration>,

    /// Write the results as a node_exporter textfile (atomically: temp file + rename).
    #[arg(long, env = "PRA_PROMETHEUS_FILE", value_name = "FILE")]
    pub prometheus: Option<PathBuf>,

    /// Append the `status` event to this JSON-lines file (the availability history).
    #[arg(long, env = "PRA_STATUS_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Report the availability over this window (`30d`) from --history, as an `availability` check.
    #[arg(long, env = "PRA_AVAILABILITY_WINDOW", value_name = "WINDOW", value_parser = parse_duration, requires = "history")]
    pub availability: Option<Duration>,

    /// Availability below this percentage is WARNING.
    #[arg(long, env = "PRA_AVAILABILITY_TARGET", value_name = "PERCENT", default_value = "99.9", value_parser = parse_target)]
    pub availability_target: f64,

    /// The expected time between two runs (the cron interval); a longer silence in the
    /// history is a gap, counted as unknown (default: the median interval of the history).
    #[arg(long, env = "PRA_HISTORY_INTERVAL", value_name = "DURATION", value_parser = parse_duration)]
    pub history_interval: Option<Duration>,

    /// Output format and logging.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl Args {
    /// The time limit of an HTTP check: --http-timeout, capped by --timeout (a longer
    /// request would be cut by the runner anyway; PRA_HTTP_TIMEOUT may be set for tools
    /// with longer limits).
    pub fn probe_timeout(&self) -> Duration {
        self.http_timeout
            .map_or(self.timeout, |t| t.min(self.timeout))
    }
}

/// An API URL and the HTTP code it must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUrl {
    /// The URL.
    pub url: String,
    /// The code expected; `None`: any 2xx.
    pub expect: Option<u16>,
}

/// Parses `URL` or `URL=CODE` (a three-digit code after the last `=`).
pub fn parse_api_url(s: &str) -> Result<ApiUrl, String> {
    let s = s.trim();
    let (url, expect) = match s.rsplit_once('=') {
        Some((url, code)) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            let code: u16 = code.parse().map_err(|_| format!("invalid code in {s:?}"))?;
            if !(100..=599).contains(&code) {
                return Err(format!("invalid HTTP code {code} (100-599)"));
            }
            (url, Some(code))
        }
        _ => (s, None),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    }
    Ok(ApiUrl {
        url: url.to_string(),
        expect,
    })
}

/// Parses a free-space threshold: `20%` or `20` (percent), into a ratio (0.2).
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let n: f64 = t
        .strip_suffix('%')
        .unwrap_or(t)
        .trim()
        .parse()
        .map_err(|_| format!("invalid percentage {s:?} (examples: 20%, 7.5%)"))?;
    if !(0.0..=100.0).contains(&n) {
        return Err(format!("percentage {s:?} is not between 0 and 100"));
    }
    Ok(n / 100.0)
}

fn parse_target(s: &str) -> Result<f64, String> {
    parse_percent(s).map(|r| r * 100.0)
}

/// Parses a size: `1073741824`, `512MiB`, `1GiB`, `10MB` (powers of 1024 either way).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?} (examples: 1GiB, 512MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?} (B, KiB, MiB, GiB, TiB)"
            ))
        }
    };
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn values_parse() {
        assert_eq!(parse_percent("20%").unwrap(), 0.2);
        assert_eq!(parse_percent("7.5").unwrap(), 0.075);
        assert!(parse_percent("120%").is_err());
        assert!(parse_percent("lots").is_err());
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("3 parsecs").is_err());
        let a = parse_api_url("http://h/x?a=b=404").unwrap();
        assert_eq!((a.url.as_str(), a.expect), ("http://h/x?a=b", Some(404)));
        let b = parse_api_url("https://h/x?a=b").unwrap();
        assert_eq!((b.url.as_str(), b.expect), ("https://h/x?a=b", None));
        assert!(parse_api_url("ftp://h").is_err());
        assert!(parse_api_url("http://h=999").is_err());
    }
}
