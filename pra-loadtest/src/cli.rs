//! The flags of pra-loadtest (clap derive); the help text is the man page.

use pra_core::cli::{DbArgs, OutputArgs, PgBinArgs, RepoArgs};
use pra_core::time::parse_duration;
use std::path::PathBuf;
use std::time::Duration;

/// pra-loadtest: the SLA drill.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-loadtest",
    version,
    about = "SLA drill: back up and restore a PostgreSQL database under real load; measure RPO, RTO and the latency impact; pass or fail",
    long_about = "SLA drill: back up and restore a PostgreSQL database under real load; measure RPO, \
        RTO and the latency impact; pass or fail.\n\n\
        The drill runs in one go:\n  \
        1. prepare: schema pra_loadtest with pgbench-like tables (accounts, tellers, branches, \
        history) at --scale, or, with --workload, a transaction file run against your own schema;\n  \
        2. baseline: --clients connections run the transaction for a third of --duration \
        (TPS, latency p50/p95/p99);\n  \
        3. backup under load: pra-backup's library takes a backup while the load goes on \
        (backup duration; slowdown = p95 during the backup / baseline p95);\n  \
        4. restore: pra-restore's library restores it into a scratch database, whose row counts \
        are checked against the manifest (RTO, end to end: create, load, validate);\n  \
        5. RPO: at the end of the drill, how many committed transactions the backup misses and \
        their time span (every drill transaction appends a marker row in the same transaction, \
        so this is counted, not estimated); with WAL archiving, the archive lag;\n  \
        6. availability: --app-url is probed every second throughout;\n  \
        7. cleanup: the scratch database, schema pra_loadtest and the drill's backup are removed \
        (also on failure or interrupt) unless --keep.\n\n\
        One `drill` event (pra.v1 JSON line) on stdout carries every figure and a verdict per \
        SLA (rpo, rto, slowdown, availability). --report writes a compliance report for people: \
        Markdown, or HTML with the latency timeline as an inline SVG chart. Progress (phase, \
        elapsed, TPS) is shown on stderr when it is a terminal.\n\n\
        The drill writes to the database it drills (its own schema only, unless your --workload \
        writes elsewhere): run it on a staging copy, or on production in a quiet hour.",
    after_help = "Examples:\n  \
        pra-loadtest -d app --duration 5m --clients 8 --rpo 1h --rto 30m --report drill.html\n  \
        pra-loadtest -d app --workload orders.sql --app-url https://app.example.com/health --repo /var/backups/pra\n  \
        pra-loadtest -d staging --scale 10 --max-slowdown 1.5 --report \"drill-$(date +%Y-%m).md\" | pra-notify\n  \
        pra-loadtest -d app --encrypt-to \"$(age-keygen -y restore.txt)\" --identity restore.txt\n\n\
        Exit codes: 0 every SLA met, 1 an SLA failed (the message and stderr name it), \
        2 bad flag or configuration, 3 runtime failure (database unreachable, backup failed, \
        storage error), 130/143 interrupted by SIGINT/SIGTERM (cleaned up).",
    mut_arg("repos", |a| a.required(false).help(
        "Repository for the drill's backup (a path, file://, s3://, az:// or gs:// URL; several, comma-separated, \
         get copies): an existing repository (pra-backup --init creates one; the drill never \
         does). Default: a temporary directory, removed at the end. The drill's backup \
         is deleted from it at the end unless --keep.")),
    mut_arg("passphrase_file", |a| a.help(
        "Encrypt the drill's backup with the passphrase on the first line of FILE (age's \
         scrypt mode) instead of public keys; the restore opens it with the same passphrase"))
)]
pub struct Args {
    /// Database connection.
    #[command(flatten)]
    pub db: DbArgs,

    /// Output and logging.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Repository and stanza of the drill's backup.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Where pg_dump, pg_dumpall and pg_restore are (the drill's backup and restore).
    #[command(flatten)]
    pub pg_bin: PgBinArgs,

    /// When the drill's backup or restore counts as stalled.
    #[command(flatten)]
    pub stall: pra_core::cli::StallArgs,

    /// Encryption of the drill's backup (as pra-backup's; docs/SECURITY.md).
    #[command(flatten)]
    pub encrypt: pra_core::crypt::args::EncryptArgs,

    /// Identity file that opens the drill's encrypted backup for its restore (as
    /// pra-restore --identity): age identities (AGE-SECRET-KEY-1…) or an unencrypted SSH
    /// private key. Required with --encrypt-to; checked against the recipients before
    /// the drill starts. Repeatable.
    #[arg(
        long = "identity",
        env = "PRA_IDENTITY",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub identity: Vec<std::path::PathBuf>,

    /// How long the load runs in all: a third as the baseline, then the backup, the
    /// restore and the rest of the time under load.
    #[arg(long, env = "PRA_DRILL_DURATION", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Concurrent client connections running the transaction.
    #[arg(long, env = "PRA_DRILL_CLIENTS", value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub clients: u32,

    /// Size of the built-in tables: 1 = 100,000 accounts (as pgbench); fractions allowed
    /// (0.1 = 10,000). Ignored with --workload.
    #[arg(long, env = "PRA_DRILL_SCALE", value_name = "N", default_value_t = 1.0)]
    pub scale: f64,

    /// A transaction file to run instead of the built-in one: plain SQL against your own
    /// schema, one transaction per run of the file (BEGIN/COMMIT lines are ignored; use
    /// SQL's random() for random keys).
    #[arg(long, env = "PRA_DRILL_WORKLOAD", value_name = "FILE.sql")]
    pub workload: Option<PathBuf>,

    /// Recovery point objective: the most work you accept to lose (the span of the
    /// committed transactions the backup misses at the end of the drill).
    #[arg(long, env = "PRA_RPO", value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub rpo: Duration,

    /// Recovery time objective: the longest a restore may take, end to end.
    #[arg(long, env = "PRA_RTO", value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub rto: Duration,

    /// Largest accepted slowdown of the load during the backup (p95 latency during the
    /// backup divided by the baseline p95).
    #[arg(
        long,
        env = "PRA_DRILL_MAX_SLOWDOWN",
        value_name = "RATIO",
        default_value_t = 2.0
    )]
    pub max_slowdown: f64,

    /// Application URL probed every second during the drill (availability SLA); a probe
    /// fails unless it answers 2xx (redirects followed) within --http-timeout.
    #[arg(long, env = "PRA_APP_URL", value_name = "URL")]
    pub app_url: Option<String>,

    /// Time limit of each --app-url probe.
    #[arg(long, env = "PRA_HTTP_TIMEOUT", value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub http_timeout: Duration,

    /// Failed application probes accepted before the availability SLA fails.
    #[arg(
        long,
        env = "PRA_DRILL_MAX_APP_FAILURES",
        value_name = "N",
        default_value_t = 0
    )]
    pub max_app_failures: u64,

    /// Write the compliance report here: Markdown (.md), or HTML (.html, .htm) with the
    /// latency timeline as an inline SVG chart.
    #[arg(long, env = "PRA_DRILL_REPORT", value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Keep schema pra_loadtest, the scratch database and the drill's backup (to inspect them).
    #[arg(long)]
    pub keep: bool,
}
