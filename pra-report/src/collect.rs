//! The aggregation of the history while it is read: each event updates a few
//! counters and per-backup records and is dropped. What is kept grows with the
//! number of backups, stanzas, hosts and incident classes, never with the
//! number of status samples.

use crate::figures::availability::AvailabilityAcc;
use crate::figures::coverage::LevelVerdicts;
use crate::figures::incidents::Incidents;
use crate::figures::rto::RtoSample;
use crate::period::Period;
use pra_core::event::kinds::{BackupFields, DrillFields, RestoreFields, VerifyFields};
use pra_core::event::{Event, Kind, Status};
use pra_core::manifest::{Manifest, VerifyLevel};
use pra_core::verdicts::Verdicts;
use std::collections::BTreeMap;

/// The stanza of events that name none.
pub const NO_STANZA: &str = "-";

/// One successful backup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackupRec {
    /// When it completed (the manifest's finish, else the event's time), in ms.
    pub at: i64,
    /// Stored bytes.
    pub stored_bytes: u64,
    /// Wall time.
    pub duration_s: f64,
    /// True when read from a manifest (its times win over an event's).
    pub from_manifest: bool,
}

/// What is known of one stanza.
#[derive(Debug, Default)]
pub struct StanzaAcc {
    /// Successful backups completed in the period, by id.
    pub backups: BTreeMap<String, BackupRec>,
    /// The newest recovery point at or before the start of the period.
    pub before: Option<i64>,
    /// Archived WAL in the period, in ms.
    pub wal: Vec<i64>,
    /// The newest verdicts of every backup, by id.
    pub verdicts: BTreeMap<String, LevelVerdicts>,
    /// RTOs measured in the period.
    pub rto: Vec<RtoSample>,
    /// Restores that failed in the period.
    pub failed_restores: u64,
}

impl StanzaAcc {
    fn recovery_point(&mut self, period: Period, at: i64) -> bool {
        if at <= period.start {
            self.before = self.before.max(Some(at));
            return false;
        }
        at <= period.end
    }

    fn backup(&mut self, period: Period, id: String, rec: BackupRec) {
        if !self.recovery_point(period, rec.at) {
            return;
        }
        match self.backups.get(&id) {
            Some(old) if old.from_manifest && !rec.from_manifest => {}
            _ => {
                self.backups.insert(id, rec);
            }
        }
    }
}

/// Everything collected from the history and the repositories.
#[derive(Debug)]
pub struct Collector {
    /// The period reported on.
    pub period: Period,
    /// Only this stanza, when asked.
    pub only: Option<String>,
    /// Per stanza.
    pub stanzas: BTreeMap<String, StanzaAcc>,
    /// Per host with `status` events.
    pub hosts: BTreeMap<String, AvailabilityAcc>,
    /// The error events of the period.
    pub incidents: Incidents,
    /// Width of a timeline bucket, in ms.
    pub bucket_ms: i64,
    /// The expected interval between status samples, when given.
    pub interval_ms: Option<i64>,
}

fn ms_of(s: f64) -> i64 {
    (s * 1000.0).round() as i64
}

impl Collector {
    /// An empty collection for `period`.
    pub fn new(period: Period, only: Option<String>, interval_ms: Option<i64>) -> Collector {
        Collector {
            period,
            only,
            stanzas: BTreeMap::new(),
            hosts: BTreeMap::new(),
            incidents: Incidents::default(),
            bucket_ms: bucket_ms(period),
            interval_ms,
        }
    }

    fn stanza(&mut self, name: Option<&str>) -> Option<&mut StanzaAcc> {
        let name = name.unwrap_or(NO_STANZA);
        if self.only.as_deref().is_some_and(|o| o != name) {
            return None;
        }
        Some(self.stanzas.entry(name.to_string()).or_default())
    }

    /// Takes one event into account.
    pub fn event(&mut self, ev: &Event) {
        let at = ev.ts.timestamp_millis();
        let period = self.period;
        if ev.kind == Kind::Status {
            // Samples after the period still close its last stretch.
            let up = ev.fields.get("up").and_then(serde_json::Value::as_bool);
            let (bucket, interval) = (self.bucket_ms, self.interval_ms);
            self.hosts
                .entry(ev.host.clone())
                .or_insert_with(|| AvailabilityAcc::new(period, bucket, interval))
                .push(at, up.unwrap_or(ev.status != Status::Error));
        }
        if at > period.end {
            return;
        }
        let in_period = at >= period.start;
        if ev.status == Status::Error
            && in_period
            && ev.kind != Kind::Report
            && self
                .only
                .as_deref()
                .is_none_or(|o| ev.stanza.as_deref().is_none_or(|s| s == o))
        {
            self.incidents.add(ev);
        }
        let ok = ev.status != Status::Error;
        match ev.kind {
            Kind::Backup if ok => {
                let f: BackupFields = ev.fields_as().unwrap_or_default();
                let id = f.id.unwrap_or_else(|| format!("@{at}"));
                let rec = BackupRec {
                    at,
                    stored_bytes: f.stored_bytes,
                    duration_s: f.duration_s,
                    from_manifest: false,
                };
                if let Some(s) = self.stanza(ev.stanza.as_deref()) {
                    s.backup(period, id, rec);
                }
            }
            Kind::Wal if ok => {
                if let Some(s) = self.stanza(ev.stanza.as_deref()) {
                    if s.recovery_point(period, at) {
                        s.wal.push(at);
                    }
                }
            }
            Kind::Verify => {
                let f: VerifyFields = ev.fields_as().unwrap_or_default();
                let level = f
                    .level
                    .as_deref()
                    .and_then(|l| serde_json::from_value::<VerifyLevel>(l.into()).ok());
                if let (Some(id), Some(level), Some(s)) =
                    (f.id, level, self.stanza(ev.stanza.as_deref()))
                {
                    s.verdicts.entry(id).or_default().record(level, at, ok);
                }
            }
            Kind::Restore if in_period => {
                let f: RestoreFields = ev.fields_as().unwrap_or_default();
                let name = ev.stanza.clone().or(f.source_database);
                if let Some(s) = self.stanza(name.as_deref()) {
                    if !ok {
                        s.failed_restores += 1;
                    } else if f.rto_s > 0.0 {
                        s.rto.push(RtoSample { at, rto_s: f.rto_s });
                    }
                }
            }
            Kind::Drill if in_period => {
                let f: DrillFields = ev.fields_as().unwrap_or_default();
                let name = ev.stanza.clone().or(f.database);
                if let (Some(rto_s), Some(s)) = (f.rto_s, self.stanza(name.as_deref())) {
                    s.rto.push(RtoSample { at, rto_s });
                }
            }
            _ => {}
        }
    }

    /// Takes a complete backup of a repository into account.
    pub fn manifest(&mut self, m: &Manifest) {
        let rec = BackupRec {
            at: m.finished_at.timestamp_millis(),
            stored_bytes: m.stored_bytes(),
            duration_s: ms_of(m.duration_s()) as f64 / 1000.0,
            from_manifest: true,
        };
        let period = self.period;
        if let Some(s) = self.stanza(Some(&m.stanza)) {
            s.backup(period, m.id.clone(), rec);
        }
    }

    /// Takes a backup's `verify.json` (every level's verdict) into account.
    pub fn verify_record(&mut self, stanza: &str, v: &Verdicts) {
        if let Some(s) = self.stanza(Some(stanza)) {
            let levels = s.verdicts.entry(v.backup_id.clone()).or_default();
            for r in &v.verdicts {
                levels.record(r.level, r.verified_at.timestamp_millis(), r.passed());
            }
        }
    }
}

/// Timeline buckets: hours for up to two days, days up to a year and a bit, weeks beyond.
fn bucket_ms(period: Period) -> i64 {
    const HOUR: i64 = 3_600_000;
    match period.len_ms() {
        l if l <= 2 * 24 * HOUR => HOUR,
        l if l <= 400 * 24 * HOUR => 24 * HOUR,
        _ => 7 * 24 * HOUR,
    }
}
