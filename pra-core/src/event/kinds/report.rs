//! Fields of `report` events (pra-report): the compliance figures of a period,
//! computed from the event history and the repositories.

use serde::{Deserialize, Serialize};

/// The verdict on one objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The objective was met.
    Pass,
    /// The objective was missed.
    Fail,
    /// Nothing in the period to judge it by: no backup, no restore, no status sample.
    #[default]
    NoData,
}

impl Verdict {
    /// The name used in JSON: `pass`, `fail`, `no_data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NoData => "no_data",
        }
    }
}

/// Recovery point objective of one stanza: how old the newest recovery point got.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RpoFigures {
    /// Recovery points in the period: successful backups and archived WAL.
    pub recovery_points: u64,
    /// The largest gap between consecutive recovery points (the last one is still
    /// open at the end of the period); absent without any recovery point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_gap_s: Option<f64>,
    /// Start of the largest gap: the recovery point it follows, or the start of the
    /// period when no recovery point was known before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_gap_start_at: Option<String>,
    /// End of the largest gap: the next recovery point, or the end of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_gap_end_at: Option<String>,
    /// Gaps longer than the objective.
    pub breaches: u64,
    /// Share of the period during which the newest recovery point was at most the
    /// objective old, in percent.
    pub covered_percent: f64,
    /// The newest recovery point at or before the end of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_recovery_point_at: Option<String>,
    /// `pass` when no gap is longer than the objective.
    pub result: Verdict,
}

/// Recovery time objective of one stanza: every measured restore.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RtoFigures {
    /// Restores and drills that measured an RTO in the period.
    pub measurements: u64,
    /// Those within the objective.
    pub within_target: u64,
    /// Restores that failed (status `error`).
    pub failed_restores: u64,
    /// The longest measured RTO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_s: Option<f64>,
    /// The median measured RTO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_s: Option<f64>,
    /// The newest measured RTO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_s: Option<f64>,
    /// When the newest measurement was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    /// `pass` when every measurement is within the objective.
    pub result: Verdict,
}

/// Verification coverage of one stanza's backups taken in the period.
///
/// A backup counts at a level when its newest verdict at that level passed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CoverageFigures {
    /// Complete backups taken in the period.
    pub backups: u64,
    /// Backups whose newest `manifest`-level verdict passed.
    pub manifest_verified: u64,
    /// Backups whose newest `checksum`-level verdict passed.
    pub checksum_verified: u64,
    /// Backups whose newest `restore`-level verdict passed.
    pub restore_verified: u64,
    /// Backups verified in DESIGN.md's sense: a passing checksum or restore verdict.
    pub verified: u64,
    /// `verified / backups` in percent (0 without backups).
    pub verified_percent: f64,
    /// Backups whose newest verdict at some level failed.
    pub failed: u64,
    /// The newest passing restore-level verification of any backup of the stanza.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_restore_verification_at: Option<String>,
    /// Its age at the end of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_restore_verification_age_s: Option<f64>,
    /// `fail` when a verdict failed, `no_data` when nothing is verified, else `pass`.
    pub result: Verdict,
}

/// Size and duration of one stanza's backups over the period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrendFigures {
    /// Successful backups in the period.
    pub backups: u64,
    /// Stored size of the first backup of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_stored_bytes: Option<u64>,
    /// Stored size of the last backup of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stored_bytes: Option<u64>,
    /// Growth of the stored size per day (least-squares slope; absent with fewer than two backups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_bytes_per_day: Option<f64>,
    /// Mean backup duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_duration_s: Option<f64>,
    /// Longest backup duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration_s: Option<f64>,
    /// Duration of the last backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_duration_s: Option<f64>,
}

/// Every figure of one stanza.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StanzaFigures {
    /// The stanza.
    pub stanza: String,
    /// Recovery point objective.
    pub rpo: RpoFigures,
    /// Recovery time objective.
    pub rto: RtoFigures,
    /// Verification coverage.
    pub verification: CoverageFigures,
    /// Size and duration trends.
    pub trend: TrendFigures,
}

/// Availability of one host's service, from its `status` history (pra-status).
///
/// A sample stands for the time until the next one, unless that silence is longer
/// than twice the expected interval: then it stands for one interval and the rest
/// is unknown. Time without samples counts as unknown, never as up.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostAvailability {
    /// The host whose `status` events these are.
    pub host: String,
    /// `status` samples read (all of the host's, the period's neighbours included).
    pub samples: u64,
    /// The expected interval between samples used to find gaps.
    pub interval_s: f64,
    /// Time known up in the period.
    pub up_s: f64,
    /// Time known down in the period.
    pub down_s: f64,
    /// Time not covered by samples.
    pub unknown_s: f64,
    /// `up / period` in percent: unknown time counts as not up.
    pub percent: f64,
    /// Samples that came too far out of time order to be used.
    #[serde(default)]
    pub out_of_order: u64,
    /// `pass` when `percent` reaches the target.
    pub result: Verdict,
}

/// All `error` events of one class about one stanza.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IncidentGroup {
    /// The stanza, absent for events about none (a host-wide check, a usage error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stanza: Option<String>,
    /// The events' `error_class` (`unclassified` for events from before it existed).
    pub error_class: String,
    /// How many.
    pub count: u64,
    /// The first one.
    pub first_at: String,
    /// The last one.
    pub last_at: String,
    /// The kinds of the events (`backup`, `check`, …).
    pub kinds: Vec<String>,
    /// The message of the last one.
    pub last_message: String,
}

/// A compliance report over a period, written by pra-report.
///
/// The envelope's `status` is `error` when an objective failed (with `error_class`
/// `sla`), `warn` when one had no data or history lines were malformed, else `ok`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReportFields {
    /// Start of the period reported on.
    pub period_start_at: String,
    /// End of the period.
    pub period_end_at: String,
    /// The recovery point objective.
    pub rpo_target_s: f64,
    /// The recovery time objective.
    pub rto_target_s: f64,
    /// The availability target, in percent.
    pub availability_target_percent: f64,
    /// The failed objectives, as `rpo:<stanza>`, `rto:<stanza>`,
    /// `verification:<stanza>`, `availability:<host>`.
    #[serde(default)]
    pub failed: Vec<String>,
    /// The figures of each stanza, by name.
    #[serde(default)]
    pub stanzas: Vec<StanzaFigures>,
    /// The availability of each host with a `status` history, by name.
    #[serde(default)]
    pub availability: Vec<HostAvailability>,
    /// The `error` events of the period, grouped by stanza and class, most frequent first.
    #[serde(default)]
    pub incidents: Vec<IncidentGroup>,
    /// The history read (file names; `-` for stdin).
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The repositories read, secrets redacted.
    #[serde(default)]
    pub repos: Vec<String>,
    /// History lines read.
    pub lines: u64,
    /// Of which `pra.v1` events.
    pub events: u64,
    /// Of which not `pra.v1` events (counted, reported, skipped).
    pub malformed_lines: u64,
    /// Where the HTML report was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Where the Markdown report was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}
