//! Rotating one stanza of one repository: list its backups, plan with the policy,
//! delete what the plan and the safety rules allow, and report it all as one
//! `rotate` event.
//!
//! A real run holds the stanza lock throughout (one writer per stanza: no backup of
//! this stanza is in progress meanwhile), and an exclusive lock on each backup while
//! deleting it: a backup a reader holds (pra-verify, pra-restore) is kept and
//! reported `locked by …`. A dry run takes no lock and writes nothing.
//!
//! SIGINT and SIGTERM are honoured between two deletions: the one under way
//! finishes (its manifest goes first, so a backup is never left looking complete
//! without all its files), the rest are left for the next run, and the event is an
//! error of class `interrupted`.

use crate::policy::{id_order, plan_retention, BackupInfo, RetentionPolicy};
use crate::TOOL;
use chrono::{DateTime, Utc};
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::{FailedDelete, KeptBackup, RotateFields};
use pra_core::event::{Event, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::repo::{validate_stanza, LockMode, RepoError, Repository};
use pra_core::select::verified_level;
use pra_core::signals::{self, signal_name};
use pra_core::time::format_bytes;
use pra_core::verdicts::level_name;
use std::time::{Duration, Instant};

/// How a stanza is rotated (from the flags).
#[derive(Debug, Clone)]
pub struct Options {
    /// The time the plan is made as of (`--now`).
    pub now: DateTime<Utc>,
    /// Plan and report only.
    pub dry_run: bool,
    /// Incomplete backups whose directory is older than this are deleted.
    pub prune_incomplete_after: Duration,
    /// How long to wait for the stanza lock.
    pub lock_wait: Duration,
}

/// Why one backup was not deleted.
enum NotDeleted {
    /// Another process holds its lock (who, in words).
    Locked(String),
    /// The delete failed.
    Failed(RepoError),
}

/// Deletes one backup under an exclusive lock; in a dry run, only measures it.
/// Returns the bytes freed (or that would be).
fn delete_backup(
    repo: &Repository,
    stanza: &str,
    id: &str,
    dry_run: bool,
) -> Result<u64, NotDeleted> {
    if dry_run {
        let files = repo
            .list_backup_files(stanza, id)
            .map_err(NotDeleted::Failed)?;
        return Ok(files.iter().map(|f| f.size).sum());
    }
    let _lock = match repo.lock_backup(stanza, id, TOOL, LockMode::Exclusive) {
        Ok(lock) => lock,
        Err(RepoError::Locked { holder, .. }) => return Err(NotDeleted::Locked(holder)),
        Err(e) => return Err(NotDeleted::Failed(e)),
    };
    repo.delete_backup(stanza, id).map_err(NotDeleted::Failed)
}

/// What one stanza's rotation found and did.
struct Report {
    fields: RotateFields,
    status: Status,
    /// The class of the first failure, for the event's `error_class`.
    class: Option<ErrorClass>,
    exit: Exit,
    note: Option<String>,
}

impl Report {
    /// True once SIGINT or SIGTERM arrived: the deletions stop here, and the event
    /// says so with `why` (what is left undone).
    fn interrupted(&mut self, why: impl FnOnce() -> String) -> bool {
        let Some(sig) = signals::pending() else {
            return false;
        };
        let why = why();
        log::warn!("{why}");
        self.fields.error = Some(format!("interrupted by {}: {why}", signal_name(sig)));
        self.status = Status::Error;
        self.class = Some(ErrorClass::Interrupted);
        self.exit = Exit::Signal(sig);
        true
    }

    fn fail(&mut self, id: &str, error: &RepoError) {
        log::error!("deleting {id}: {error}");
        self.fields.failed.push(FailedDelete {
            id: id.to_string(),
            error: error.to_string(),
        });
        self.status = Status::Error;
        self.class = self.class.or(Some(error.class()));
        self.exit = self.exit.max(Exit::Problem);
    }
}

/// Rotates one stanza; returns its `rotate` event and the exit code it deserves.
pub fn rotate_stanza(
    repo: &Repository,
    stanza: &str,
    policy: &RetentionPolicy,
    opts: &Options,
) -> (Event, Exit) {
    let started = Instant::now();
    let mut report = Report {
        fields: RotateFields {
            repo: Some(repo.location()),
            dry_run: opts.dry_run,
            policy: Some(policy.describe()),
            timezone: Some(policy.zone.name().to_string()),
            planned_at: Some(opts.now),
            ..Default::default()
        },
        status: Status::Ok,
        class: None,
        exit: Exit::Ok,
        note: None,
    };
    if let Err(e) = rotate_into(repo, stanza, policy, opts, &mut report) {
        // A lock wait or a storage call cut short by the signal is the signal's.
        if !report.interrupted(|| e.to_string()) {
            log::error!("stanza {stanza}: {e}");
            report.fields.error = Some(e.to_string());
            report.status = Status::Error;
            report.class = Some(e.class());
            report.exit = report.exit.max(e.exit());
        }
    }
    report.fields.duration_s = started.elapsed().as_secs_f64();
    let message = message(stanza, &report);
    let class = report.class.unwrap_or(ErrorClass::Repository);
    let event = Event::new(TOOL, Kind::Rotate, report.status, message)
        .with_error_class(class)
        .with_stanza(stanza)
        .with_fields(&report.fields);
    (event, report.exit)
}

fn message(stanza: &str, r: &Report) -> String {
    let f = &r.fields;
    if let Some(e) = &f.error {
        return format!("rotate {stanza} failed: {e}");
    }
    if let Some(note) = &r.note {
        return format!("rotate {stanza}: {note}");
    }
    let incomplete = if f.incomplete_deleted.is_empty() {
        String::new()
    } else {
        format!(" (+{} incomplete)", f.incomplete_deleted.len())
    };
    let mut m = if f.dry_run {
        format!(
            "rotate {stanza} (dry run): would delete {}{incomplete}, freeing {}; keeps {}",
            f.deleted.len(),
            format_bytes(f.freed_bytes),
            f.kept.len()
        )
    } else {
        format!(
            "rotate {stanza}: kept {}, deleted {}{incomplete}, freed {}",
            f.kept.len(),
            f.deleted.len(),
            format_bytes(f.freed_bytes)
        )
    };
    if let Some(first) = f.failed.first() {
        m.push_str(&format!(
            "; {} delete(s) failed, first {}: {}",
            f.failed.len(),
            first.id,
            first.error
        ));
    }
    m
}

fn rotate_into(
    repo: &Repository,
    stanza: &str,
    policy: &RetentionPolicy,
    opts: &Options,
    report: &mut Report,
) -> Result<(), RepoError> {
    validate_stanza(stanza)?;
    // A stanza without backups (a typo, a stanza named upstream that this repository
    // does not hold) is reported without taking its lock, which would create it.
    if repo.backups(stanza)?.is_empty() {
        report.status = Status::Warn;
        report.note = Some(format!("no backups in {}", repo.location()));
        return Ok(());
    }
    // Held until the end of this function: no backup of this stanza starts meanwhile.
    let _stanza_lock = if opts.dry_run {
        None
    } else {
        Some(repo.lock_stanza(stanza, TOOL, opts.lock_wait)?)
    };
    // Listed again under the lock: what a backup finished meanwhile added counts.
    let entries = repo.backups(stanza)?;

    // The complete backups as the policy sees them; an unreadable manifest keeps its
    // backup (a newer pra may have written it) and is reported.
    let mut infos = Vec::new();
    let mut kept = Vec::new();
    let mut levels = std::collections::BTreeMap::new();
    for e in entries.iter().filter(|e| e.complete) {
        match repo.read_manifest(stanza, &e.id) {
            Ok(m) => {
                // "Verified" is the one rule of pra_core::select (checksum or restore).
                let level = match repo.read_verify(stanza, &e.id) {
                    Ok(v) => v.as_ref().and_then(verified_level),
                    Err(err) => {
                        log::warn!("{stanza}/{}: verify record unreadable: {err}", e.id);
                        None
                    }
                };
                if let Some(level) = level {
                    levels.insert(e.id.clone(), level_name(level).to_string());
                }
                infos.push(BackupInfo {
                    id: e.id.clone(),
                    started_at: m.started_at,
                    verified: level.is_some(),
                });
            }
            Err(err) => {
                log::warn!("{stanza}/{}: {err}", e.id);
                report.status = report.status.max(Status::Warn);
                kept.push(KeptBackup {
                    id: e.id.clone(),
                    reasons: vec![format!("unreadable manifest: {err}")],
                    verified_level: None,
                });
            }
        }
    }

    let plan = plan_retention(&infos, policy, opts.now);
    kept.extend(plan.keep.iter().map(|k| KeptBackup {
        id: k.id.clone(),
        reasons: k.reasons.iter().map(ToString::to_string).collect(),
        verified_level: levels.get(&k.id).cloned(),
    }));
    // Oldest first: an interrupted run has removed the oldest, and the next run
    // finishes with the rest.
    let mut deleted = Vec::new();
    for id in plan.delete.iter().rev() {
        let done = deleted.len();
        if report.interrupted(|| {
            format!(
                "{done} of {} backup(s) deleted, the rest are left for the next run",
                plan.delete.len()
            )
        }) {
            break;
        }
        match delete_backup(repo, stanza, id, opts.dry_run) {
            Ok(freed) => {
                log::info!("{stanza}/{id}: deleted ({})", format_bytes(freed));
                report.fields.freed_bytes += freed;
                deleted.push(id.clone());
            }
            Err(NotDeleted::Locked(holder)) => {
                log::warn!("{stanza}/{id}: kept, locked by {holder}");
                kept.push(KeptBackup {
                    id: id.clone(),
                    reasons: vec![format!("locked by {holder}")],
                    verified_level: levels.get(id).cloned(),
                });
            }
            Err(NotDeleted::Failed(e)) => report.fail(id, &e),
        }
    }
    deleted.reverse();
    // WAL no kept backup needs; a failure leaves the WAL (and fails the stanza).
    if !matches!(report.exit, Exit::Signal(_)) {
        let kept_ids: Vec<String> = kept.iter().map(|k| k.id.clone()).collect();
        let (wal, freed) = crate::wal_retention::prune(repo, stanza, &kept_ids, opts.dry_run)
            .map_err(|e| match e {
                pra_core::wal::WalError::Repo(r) => r,
                other => pra_core::repo::RepoError::InvalidName(other.to_string()),
            })?;
        report.fields.freed_bytes += freed;
        report.fields.wal_deleted = wal;
    }
    kept.sort_by(|a, b| id_order(&b.id).cmp(&id_order(&a.id)));
    report.fields.kept = kept;
    report.fields.deleted = deleted;
    if matches!(report.exit, Exit::Signal(_)) {
        return Ok(());
    }
    prune_incomplete(repo, stanza, &entries, opts, report)
}

/// Deletes incomplete backups that are old, or that started before the newest
/// complete backup (they cannot be in progress: backups of a stanza run one at a
/// time); leaves the others.
fn prune_incomplete(
    repo: &Repository,
    stanza: &str,
    entries: &[pra_core::repo::BackupEntry],
    opts: &Options,
    report: &mut Report,
) -> Result<(), RepoError> {
    let newest_complete = entries
        .iter()
        .filter(|e| e.complete)
        .map(|e| id_order(&e.id))
        .max();
    for e in entries.iter().filter(|e| !e.complete) {
        let Some(modified) = repo.backup_modified(stanza, &e.id)? else {
            continue; // gone meanwhile
        };
        let modified: DateTime<Utc> = modified.into();
        let age = (opts.now - modified).to_std().unwrap_or(Duration::ZERO);
        let stale = age > opts.prune_incomplete_after;
        let superseded = newest_complete
            .as_ref()
            .is_some_and(|n| id_order(&e.id) < *n);
        if !stale && !superseded {
            log::info!(
                "{stanza}/{}: incomplete, {} old: left (it may be in progress)",
                e.id,
                pra_core::time::format_duration(age)
            );
            report.fields.incomplete_kept.push(e.id.clone());
            continue;
        }
        if report.interrupted(|| "incomplete backups are left for the next run".into()) {
            return Ok(());
        }
        match delete_backup(repo, stanza, &e.id, opts.dry_run) {
            Ok(freed) => {
                log::info!("{stanza}/{}: incomplete, deleted", e.id);
                report.fields.freed_bytes += freed;
                report.fields.incomplete_deleted.push(e.id.clone());
            }
            Err(NotDeleted::Locked(holder)) => {
                log::warn!("{stanza}/{}: incomplete, locked by {holder}: left", e.id);
                report.fields.incomplete_kept.push(e.id.clone());
            }
            Err(NotDeleted::Failed(err)) => report.fail(&e.id, &err),
        }
    }
    Ok(())
}
