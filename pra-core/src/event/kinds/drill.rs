//! Fields of `drill` events (pra-loadtest): one SLA drill, every figure it
//! measured and a verdict per service-level objective.

use serde::{Deserialize, Serialize};

/// Throughput and latency of the load during one phase of a drill.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadPhase {
    /// Wall time of the phase.
    #[serde(default)]
    pub duration_s: f64,
    /// Transactions committed in the phase.
    #[serde(default)]
    pub transactions: u64,
    /// Transactions that failed (error, lost connection) in the phase.
    #[serde(default)]
    pub failed_transactions: u64,
    /// Committed transactions per second.
    #[serde(default)]
    pub tps: f64,
    /// Median transaction latency.
    #[serde(default)]
    pub p50_s: f64,
    /// 95th percentile transaction latency.
    #[serde(default)]
    pub p95_s: f64,
    /// 99th percentile transaction latency.
    #[serde(default)]
    pub p99_s: f64,
    /// Slowest transaction.
    #[serde(default)]
    pub max_s: f64,
}

/// One point of the per-second latency timeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the load started (end of the interval).
    pub t_s: f64,
    /// Committed transactions per second over the interval.
    pub tps: f64,
    /// 95th percentile latency over the interval (0 when nothing committed).
    pub p95_s: f64,
    /// `baseline`, `backup` or `after`.
    pub phase: String,
}

/// The verdict on one service-level objective.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SlaCheck {
    /// `rpo`, `rto`, `slowdown` or `availability`.
    pub name: String,
    /// `pass`, `fail`, or `skipped` (not measured: no --app-url, the restore failed …).
    pub result: String,
    /// The target, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// What was measured, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
    /// `s` (seconds), `ratio`, or `failures`.
    #[serde(default)]
    pub unit: String,
    /// One line for people.
    #[serde(default)]
    pub detail: String,
}

/// An SLA drill run by pra-loadtest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DrillFields {
    /// The database drilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The repository the drill's backup went to (secrets redacted); absent for a temporary one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `tpcb` (the built-in pgbench-like transaction) or the `--workload` file name.
    #[serde(default)]
    pub workload: String,
    /// Concurrent client connections.
    #[serde(default)]
    pub clients: u32,
    /// Scale of the built-in workload (1 = 100,000 accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// When the drill started (RFC 3339 UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Wall time of the whole drill, preparation and cleanup included.
    #[serde(default)]
    pub duration_s: f64,
    /// Load before the backup.
    #[serde(default)]
    pub baseline: LoadPhase,
    /// Load while the backup ran.
    #[serde(default)]
    pub during_backup: LoadPhase,
    /// Load after the backup, until the end of the drill.
    #[serde(default)]
    pub after_backup: LoadPhase,
    /// All transactions committed by the drill's clients.
    #[serde(default)]
    pub transactions: u64,
    /// All failed transactions.
    #[serde(default)]
    pub failed_transactions: u64,
    /// p95 during the backup divided by the baseline p95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown_ratio: Option<f64>,
    /// The backup taken under load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    /// Wall time of the backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_duration_s: Option<f64>,
    /// Stored size of the backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_stored_bytes: Option<u64>,
    /// The scratch database restored into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scratch_database: Option<String>,
    /// Recovery time: from the start of the restore to a validated scratch database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_s: Option<f64>,
    /// Tables whose row count was compared with the manifest after the restore.
    #[serde(default)]
    pub tables_validated: u64,
    /// Row-count differences between the restored database and the manifest.
    #[serde(default)]
    pub validation_problems: Vec<String>,
    /// Committed transactions the backup does not hold, at the end of the drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_transactions: Option<u64>,
    /// Time span of that work: from the newest transaction the backup holds to the end of the drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_s: Option<f64>,
    /// Committed transactions the backup did not hold when the backup finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_transactions_at_backup_end: Option<u64>,
    /// True when the server archives WAL (`archive_mode` on and an archive command or library).
    #[serde(default)]
    pub wal_archiving: bool,
    /// WAL written since the end of the last archived segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_lag_bytes: Option<u64>,
    /// Age of the last archived segment when WAL is waiting to be archived (0 when none is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_lag_s: Option<f64>,
    /// The application URL probed (query and password redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
    /// Probes of the application URL.
    #[serde(default)]
    pub app_probes: u64,
    /// Probes that failed (no answer within the timeout, or a status >= 400).
    #[serde(default)]
    pub app_failures: u64,
    /// The verdict per SLA, in the order rpo, rto, slowdown, availability.
    #[serde(default)]
    pub slas: Vec<SlaCheck>,
    /// Names of the SLAs that failed.
    #[serde(default)]
    pub failed_slas: Vec<String>,
    /// Per-second throughput and p95 latency (at most 120 points; longer drills are aggregated).
    #[serde(default)]
    pub timeline: Vec<TimelinePoint>,
    /// Where the report was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// True when the workload schema, scratch database and drill backup were kept (`--keep`).
    #[serde(default)]
    pub kept: bool,
    /// When the drill could not complete: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
