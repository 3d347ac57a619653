//! The figures of a report, computed from what was collected: one module per
//! figure, each pure arithmetic on milliseconds, tested on histories whose
//! answers are known.

pub mod availability;
pub mod coverage;
pub mod incidents;
pub mod rpo;
pub mod rto;
pub mod trends;

use crate::collect::Collector;
use crate::history::ReadStats;
use crate::period::{format_ms, secs, Period};
use availability::Split;
use pra_core::event::kinds::{ReportFields, StanzaFigures, Verdict};
use pra_core::event::Status;
use rpo::Gap;
use trends::BackupPoint;

/// The objectives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    /// RPO, in ms.
    pub rpo_ms: i64,
    /// RTO, in seconds.
    pub rto_s: f64,
    /// Availability, in percent.
    pub availability_percent: f64,
}

/// What the charts of one stanza draw.
#[derive(Debug, Clone)]
pub struct StanzaSeries {
    /// The stanza.
    pub stanza: String,
    /// Its recovery-point gaps, in time order.
    pub gaps: Vec<Gap>,
    /// Its successful backups, in time order.
    pub backups: Vec<BackupPoint>,
}

/// What the availability chart of one host draws.
#[derive(Debug, Clone)]
pub struct HostSeries {
    /// The host.
    pub host: String,
    /// Up, down and unknown time per bucket.
    pub buckets: Vec<Split>,
}

/// A computed report: the event's figures and what the charts draw.
#[derive(Debug, Clone)]
pub struct Report {
    /// The figures, as the `report` event carries them.
    pub fields: ReportFields,
    /// The report's status: `error` when an objective failed.
    pub status: Status,
    /// The period.
    pub period: Period,
    /// Width of the availability timeline's buckets, in ms.
    pub bucket_ms: i64,
    /// Per stanza, for the charts.
    pub stanzas: Vec<StanzaSeries>,
    /// Per host, for the charts.
    pub hosts: Vec<HostSeries>,
    /// The first malformed history lines, quoted.
    pub malformed_examples: Vec<String>,
}

/// Computes every figure.
pub fn compute(c: Collector, t: Targets, stats: &ReadStats, repos: Vec<String>) -> Report {
    let period = c.period;
    let mut fields = ReportFields {
        period_start_at: format_ms(period.start),
        period_end_at: format_ms(period.end),
        rpo_target_s: secs(t.rpo_ms),
        rto_target_s: t.rto_s,
        availability_target_percent: t.availability_percent,
        inputs: stats.inputs.clone(),
        repos,
        lines: stats.lines,
        events: stats.events,
        malformed_lines: stats.malformed,
        ..Default::default()
    };
    let mut stanzas = Vec::new();
    for (name, s) in c.stanzas {
        let mut points: Vec<i64> = s.backups.values().map(|b| b.at).collect();
        points.extend(&s.wal);
        let gaps = rpo::gaps(period, s.before, &points);
        let mut backups: Vec<BackupPoint> = s
            .backups
            .values()
            .map(|b| BackupPoint {
                at: b.at,
                stored_bytes: b.stored_bytes,
                duration_s: b.duration_s,
            })
            .collect();
        backups.sort_by_key(|b| b.at);
        fields.stanzas.push(StanzaFigures {
            stanza: name.clone(),
            rpo: rpo::figures(period, &gaps, t.rpo_ms),
            rto: rto::figures(&s.rto, s.failed_restores, t.rto_s),
            verification: coverage::figures(
                s.backups.keys().map(String::as_str),
                &s.verdicts,
                period.end,
            ),
            trend: trends::figures(&backups),
        });
        stanzas.push(StanzaSeries {
            stanza: name,
            gaps,
            backups,
        });
    }
    let mut hosts = Vec::new();
    for (host, acc) in c.hosts {
        let (fig, buckets) = acc.finish(host.clone(), t.availability_percent);
        fields.availability.push(fig);
        hosts.push(HostSeries { host, buckets });
    }
    fields.incidents = c.incidents.finish();
    let mut verdicts = Vec::new();
    for s in &fields.stanzas {
        verdicts.push(("rpo", &s.stanza, s.rpo.result));
        verdicts.push(("rto", &s.stanza, s.rto.result));
        verdicts.push(("verification", &s.stanza, s.verification.result));
    }
    for a in &fields.availability {
        verdicts.push(("availability", &a.host, a.result));
    }
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|(_, _, v)| *v == Verdict::Fail)
        .map(|(what, whom, _)| format!("{what}:{whom}"))
        .collect();
    let doubtful = verdicts.iter().any(|(_, _, v)| *v == Verdict::NoData)
        || verdicts.is_empty()
        || stats.malformed > 0
        || fields.availability.iter().any(|a| a.out_of_order > 0);
    let status = if !failed.is_empty() {
        Status::Error
    } else if doubtful {
        Status::Warn
    } else {
        Status::Ok
    };
    fields.failed = failed;
    Report {
        fields,
        status,
        period,
        bucket_ms: c.bucket_ms,
        stanzas,
        hosts,
        malformed_examples: stats.examples.clone(),
    }
}
