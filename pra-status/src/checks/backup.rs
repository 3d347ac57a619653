//! `backup_age` and `backup_verified`: what the repository says about the newest
//! complete backup of each stanza (its manifest) and the newest verification
//! (its `verify.json`, written by pra-verify). With WAL archiving on, the recovery
//! point is the newest archived segment ([`super::recovery_point`]).

use super::recovery_point::newest_replayable_wal;
use crate::check::{CheckResult, Thresholds};
use crate::runner::Job;
use pra_core::error_class::ErrorClass;
use pra_core::event::Status;
use pra_core::exit::ExitStatus;
use pra_core::repo::Repository;
use pra_core::time::{format_bytes, format_duration, format_ts};
use pra_core::verdicts::Standing;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// Which stanzas to look at.
#[derive(Debug, Clone)]
pub enum Stanzas {
    /// These.
    Named(Vec<String>),
    /// Every stanza in the repository.
    All,
}

/// What the backup job needs.
#[derive(Debug, Clone)]
pub struct BackupPlan {
    /// The repository location.
    pub repo: String,
    /// Label the repository in targets (several repositories).
    pub label_repo: bool,
    /// Which stanzas.
    pub stanzas: Stanzas,
    /// The RPO.
    pub rpo: Duration,
    /// The longest acceptable time since the newest verification.
    pub verify_max_age: Duration,
}

impl BackupPlan {
    fn target(&self, stanza: &str) -> String {
        if self.label_repo {
            format!("{stanza}@{}", self.repo)
        } else {
            stanza.to_string()
        }
    }
}

/// The job checking one repository.
pub fn job(plan: BackupPlan) -> Job {
    let mut expected = Vec::new();
    match &plan.stanzas {
        Stanzas::Named(names) => {
            for s in names {
                expected.push(("backup_age".to_string(), Some(plan.target(s))));
                expected.push(("backup_verified".to_string(), Some(plan.target(s))));
            }
        }
        Stanzas::All => {
            expected.push(("backup_age".to_string(), None));
            expected.push(("backup_verified".to_string(), None));
        }
    }
    Job {
        expected,
        work: Box::new(move |tx| run(&plan, tx)),
    }
}

fn run(plan: &BackupPlan, tx: &Sender<CheckResult>) {
    let repo = match Repository::open(&plan.repo) {
        Ok(r) => r,
        Err(e) => {
            for name in ["backup_age", "backup_verified"] {
                let _ = tx.send(
                    CheckResult::error(name, format!("repository {}: {e}", plan.repo))
                        .because(e.class()),
                );
            }
            return;
        }
    };
    let stanzas = match &plan.stanzas {
        Stanzas::Named(s) => s.clone(),
        Stanzas::All => match repo.stanzas() {
            Ok(s) if s.is_empty() => {
                for name in ["backup_age", "backup_verified"] {
                    let _ = tx.send(CheckResult::error(
                        name,
                        format!("repository {} has no stanza", repo.location()),
                    ));
                }
                return;
            }
            Ok(s) => s,
            Err(e) => {
                for name in ["backup_age", "backup_verified"] {
                    let _ = tx.send(
                        CheckResult::error(name, format!("cannot list stanzas: {e}"))
                            .because(e.class()),
                    );
                }
                return;
            }
        },
    };
    for stanza in &stanzas {
        let target = plan.target(stanza);
        let mut age = backup_age(&repo, stanza, plan.rpo).target(target.clone());
        age.stanza = Some(stanza.clone());
        let _ = tx.send(age.detail("repo", repo.location()));
        let mut ver = backup_verified(&repo, stanza, plan.verify_max_age).target(target);
        ver.stanza = Some(stanza.clone());
        let _ = tx.send(ver.detail("repo", repo.location()));
    }
}

fn seconds_since(t: chrono::DateTime<chrono::Utc>) -> f64 {
    (pra_core::time::now() - t).num_milliseconds() as f64 / 1000.0
}

fn age_words(s: f64) -> String {
    format_duration(Duration::from_secs_f64(s.max(0.0)))
}

/// The recovery point of a stanza against the RPO: its newest complete backup, or
/// the newest archived WAL segment when a physical backup can replay it
/// ([`newest_replayable_wal`]); `details.recovery_point` says which.
pub fn backup_age(repo: &Repository, stanza: &str, rpo: Duration) -> CheckResult {
    let started = Instant::now();
    let limits = Thresholds::max_with_warn_at_80(rpo.as_secs_f64(), "s");
    let backups = match repo.backups(stanza) {
        Ok(b) => b,
        Err(e) => {
            return CheckResult::error("backup_age", format!("{stanza}: {e}")).because(e.class())
        }
    };
    // Ids are start times, so the last complete id is the newest complete backup.
    let Some(newest) = backups.iter().rev().find(|b| b.complete) else {
        return CheckResult::error(
            "backup_age",
            format!("{stanza}: no complete backup in {}", repo.location()),
        )
        .thresholds(&limits);
    };
    let manifest = match repo.read_manifest(stanza, &newest.id) {
        Ok(m) => m,
        Err(e) => {
            return CheckResult::error("backup_age", format!("{stanza}: {e}")).because(e.class())
        }
    };
    let backup_age = seconds_since(manifest.finished_at);
    let newest_backup = format!(
        "newest backup {} finished {} ago",
        manifest.id,
        age_words(backup_age)
    );
    // With WAL archiving, a point-in-time recovery replays up to the newest archived
    // segment: that, when newer than the backup, is the recovery point.
    let wal = match newest_replayable_wal(repo, stanza, &backups, &manifest) {
        Ok(w) => w.filter(|w| w.archived_at > manifest.finished_at),
        Err(e) => {
            return CheckResult::error("backup_age", format!("{stanza}: WAL archive: {e}"))
                .because(e.class())
        }
    };
    let (age, source, what) = match &wal {
        Some(w) => {
            let age = seconds_since(w.archived_at);
            let what = format!(
                "newest archived WAL {} {} ago (RPO {}); {newest_backup}",
                w.name,
                age_words(age),
                format_duration(rpo)
            );
            (age, "wal_archive", what)
        }
        None => (
            backup_age,
            "backup",
            format!("{newest_backup} (RPO {})", format_duration(rpo)),
        ),
    };
    let status = limits.evaluate(age);
    let mut r = CheckResult::new(
        "backup_age",
        status,
        format!(
            "{stanza}: {what}, {}",
            format_bytes(manifest.stored_bytes())
        ),
    )
    .value(age, "s")
    .thresholds(&limits)
    .detail("recovery_point", source)
    .detail("backup_id", manifest.id.clone())
    .detail("finished_at", format_ts(&manifest.finished_at))
    .detail("stored_bytes", manifest.stored_bytes())
    .detail("backup_duration_s", manifest.duration_s());
    if let Some(w) = wal {
        r = r
            .detail("last_archived_wal", w.name)
            .detail("archived_at", format_ts(&w.archived_at));
    }
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}

/// The newest verified backup of a stanza: its result, and its age against the limit.
pub fn backup_verified(repo: &Repository, stanza: &str, max_age: Duration) -> CheckResult {
    let started = Instant::now();
    let limits = Thresholds::max_with_warn_at_80(max_age.as_secs_f64(), "s");
    let backups = match repo.backups(stanza) {
        Ok(b) => b,
        Err(e) => {
            return CheckResult::error("backup_verified", format!("{stanza}: {e}"))
                .because(e.class())
        }
    };
    // The newest backup that is verified or has a standing failure decides; a
    // manifest-level pass only says the files are there (pra_core::verdicts).
    let mut found = None;
    for b in backups.iter().rev().filter(|b| b.complete) {
        match repo.read_verify(stanza, &b.id) {
            Ok(Some(verdicts)) => match verdicts.standing() {
                Standing::Verified(v) | Standing::Failed(v) => {
                    found = Some((b.id.clone(), v.clone()));
                    break;
                }
                Standing::Unverified => {}
            },
            Ok(None) => {}
            Err(e) => {
                return CheckResult::error("backup_verified", format!("{stanza}/{}: {e}", b.id))
                    .because(e.class())
            }
        }
    }
    let Some((backup_id, rec)) = found else {
        return CheckResult::error(
            "backup_verified",
            format!(
                "{stanza}: no backup has been verified at the checksum or restore level \
                 (run pra-verify)"
            ),
        )
        .thresholds(&limits);
    };
    let age = seconds_since(rec.verified_at);
    let level = rec.level_name();
    let (status, message) = if rec.status == Status::Error {
        (
            Status::Error,
            format!(
                "{stanza}: verification of {} ({level}) FAILED {} ago: {}",
                backup_id,
                age_words(age),
                if rec.problems.is_empty() {
                    "no detail".to_string()
                } else {
                    rec.problems.join("; ")
                }
            ),
        )
    } else {
        (
            limits.evaluate(age).max(rec.status),
            format!(
                "{stanza}: {} verified ({level}) {} ago (max {})",
                backup_id,
                age_words(age),
                format_duration(max_age)
            ),
        )
    };
    let mut r = CheckResult::new("backup_verified", status, message)
        .because(if rec.status == Status::Error {
            ErrorClass::Verification
        } else {
            ErrorClass::Health
        })
        .value(age, "s")
        .thresholds(&limits)
        .detail("backup_id", backup_id)
        .detail("level", level)
        .detail("result", rec.status.as_str())
        .detail("verified_at", format_ts(&rec.verified_at));
    if !rec.problems.is_empty() {
        r = r.detail("problems", rec.problems.clone());
    }
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}
