//! Reads a repository into `info` events: one for the repository, one per stanza and
//! one per backup. Only reads: no lock is taken, so pra-info never delays a backup.
//!
//! Per backup it reads the manifest and `verify.json` and nothing else, so 2 000
//! backups list in well under a second (bench/info.sh).

use crate::Error;
use chrono::{DateTime, Utc};
use pra_core::event::kinds::{InfoFields, InfoItem, InfoVerdict};
use pra_core::event::{Event, Kind, Status};
use pra_core::repo::{LockHolder, RepoError, Repository};
use pra_core::select::{BackupSelector, Selection};
use pra_core::time::format_bytes;
use pra_core::verdicts::{Standing, Verdicts};
use pra_rotate::policy::{plan_retention, BackupInfo, Plan, RetentionPolicy};
use std::collections::HashMap;

/// What to list.
#[derive(Debug, Clone)]
pub struct Query {
    /// Only this stanza.
    pub stanza: Option<String>,
    /// Which backups.
    pub selection: Selection,
    /// The retention policy to judge by (empty: not judged).
    pub policy: RetentionPolicy,
    /// The time ages and windows are measured from.
    pub now: DateTime<Utc>,
}

fn age_s(now: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (now - t).num_milliseconds() as f64 / 1000.0
}

/// The `info` events of one repository.
pub fn repository_events(
    repo: &Repository,
    query: &Query,
    tool: &str,
) -> Result<Vec<Event>, Error> {
    let location = repo.location();
    let created = repo.info()?;
    let all_stanzas = repo.stanzas()?;
    let stanzas = match &query.stanza {
        Some(s) if !all_stanzas.contains(s) => {
            return Err(Error::UnknownStanza {
                stanza: s.clone(),
                repo: location,
                known: all_stanzas.join(", "),
            })
        }
        Some(s) => vec![s.clone()],
        None => all_stanzas.clone(),
    };
    let fields = InfoFields {
        item: InfoItem::Repository,
        repo: Some(location.clone()),
        format: created.as_ref().map(|i| i.format),
        created_at: created.as_ref().map(|i| i.created_at),
        stanzas: all_stanzas.clone(),
        ..InfoFields::default()
    };
    let mut events = vec![Event::new(
        tool,
        Kind::Info,
        Status::Ok,
        format!("repository {location}: {} stanza(s)", all_stanzas.len()),
    )
    .with_fields(&fields)];
    for stanza in &stanzas {
        stanza_events(repo, stanza, query, tool, &mut events)?;
    }
    Ok(events)
}

struct Complete {
    manifest: pra_core::manifest::Manifest,
    verdicts: Option<Verdicts>,
}

fn stanza_events(
    repo: &Repository,
    stanza: &str,
    query: &Query,
    tool: &str,
    events: &mut Vec<Event>,
) -> Result<(), Error> {
    let location = repo.location();
    let entries = repo.backups(stanza)?;
    let mut complete: HashMap<String, Complete> = HashMap::new();
    let mut unreadable = Vec::new();
    for e in entries.iter().filter(|e| e.complete) {
        match repo.read_manifest(stanza, &e.id) {
            Ok(manifest) => {
                let verdicts = repo.read_verify(stanza, &e.id).unwrap_or_else(|err| {
                    log::warn!("{stanza}/{}: verify.json unreadable: {err}", e.id);
                    None
                });
                complete.insert(e.id.clone(), Complete { manifest, verdicts });
            }
            Err(err) => unreadable.push((e.id.clone(), err)),
        }
    }
    let ids: Vec<String> = entries
        .iter()
        .filter(|e| complete.contains_key(&e.id))
        .map(|e| e.id.clone())
        .collect();
    let plan = (!query.policy.is_empty()).then(|| {
        let infos: Vec<BackupInfo> = ids
            .iter()
            .filter_map(|id| complete.get(id).map(|c| (id, c)))
            .map(|(id, c)| BackupInfo {
                id: id.clone(),
                started_at: c.manifest.started_at,
                verified: c.verdicts.as_ref().is_some_and(|v| v.verified().is_some()),
            })
            .collect();
        plan_retention(&infos, &query.policy, query.now)
    });
    let picked = query.selection.pick(&ids, query.now, |id| {
        Ok::<bool, RepoError>(
            complete
                .get(id)
                .and_then(|c| c.verdicts.as_ref())
                .is_some_and(|v| v.verified().is_some()),
        )
    })?;
    if picked.is_empty() && matches!(query.selection.backup, BackupSelector::Id(_)) {
        return Err(Error::UnknownBackup {
            stanza: stanza.to_string(),
            what: query.selection.nothing_found(),
            known: pra_core::select::what_exists(repo, stanza, &ids),
        });
    }

    let incomplete: Vec<&str> = entries
        .iter()
        .filter(|e| !e.complete)
        .map(|e| e.id.as_str())
        .collect();
    let stored: u64 = complete.values().map(|c| c.manifest.stored_bytes()).sum();
    let lock_holder = lock_holder(repo, stanza);
    let fields = InfoFields {
        item: InfoItem::Stanza,
        repo: Some(location.clone()),
        backups: Some(ids.len() as u64),
        incomplete: Some(incomplete.len() as u64),
        stored_bytes: Some(stored),
        lock_holder: lock_holder.clone(),
        ..InfoFields::default()
    };
    let mut message = format!(
        "stanza {stanza}: {} backup(s), {}",
        ids.len(),
        format_bytes(stored)
    );
    if !incomplete.is_empty() {
        message.push_str(&format!(", {} incomplete", incomplete.len()));
    }
    if let Some(h) = &lock_holder {
        message.push_str(&format!(", locked by {h}"));
    }
    events.push(
        Event::new(tool, Kind::Info, Status::Ok, message)
            .with_stanza(stanza)
            .with_fields(&fields),
    );

    for id in picked {
        if let Some(c) = complete.get(id.as_str()) {
            events.push(backup_event(
                repo,
                stanza,
                c,
                plan.as_ref(),
                query.now,
                tool,
            ));
        }
    }
    for (id, err) in unreadable {
        let fields = InfoFields {
            item: InfoItem::Backup,
            repo: Some(location.clone()),
            id: Some(id.clone()),
            complete: Some(true),
            ..InfoFields::default()
        };
        events.push(
            Event::new(
                tool,
                Kind::Info,
                Status::Warn,
                format!("{stanza}/{id}: {err}"),
            )
            .with_stanza(stanza)
            .with_fields(&fields),
        );
    }
    if query.selection.backup == BackupSelector::All {
        for id in incomplete {
            events.push(incomplete_event(repo, stanza, id, query.now, tool));
        }
    }
    Ok(())
}

fn backup_event(
    repo: &Repository,
    stanza: &str,
    c: &Complete,
    plan: Option<&Plan>,
    now: DateTime<Utc>,
    tool: &str,
) -> Event {
    let m = &c.manifest;
    let verdicts: Vec<InfoVerdict> = c
        .verdicts
        .iter()
        .flat_map(|v| v.verdicts.iter())
        .map(|v| InfoVerdict {
            level: v.level_name().to_string(),
            status: v.status.as_str().to_string(),
            verified_at: Some(v.verified_at),
            age_s: age_s(now, v.verified_at),
        })
        .collect();
    let standing = c.verdicts.as_ref().map(Verdicts::standing);
    let (status, verdict_words) = match standing {
        Some(Standing::Verified(v)) => (Status::Ok, format!("verified ({})", v.level_name())),
        Some(Standing::Failed(v)) => (Status::Warn, format!("FAILED {}", v.level_name())),
        _ => (Status::Ok, "not verified".to_string()),
    };
    let reasons = plan.and_then(|p| p.reasons(&m.id));
    let retention = plan.map(|_| if reasons.is_some() { "keep" } else { "delete" });
    let fields = InfoFields {
        item: InfoItem::Backup,
        repo: Some(repo.location()),
        id: Some(m.id.clone()),
        complete: Some(true),
        backup_kind: Some(kind_name(m.kind).to_string()),
        started_at: Some(m.started_at),
        duration_s: Some(m.duration_s()),
        raw_bytes: Some(m.raw_bytes()),
        stored_bytes: Some(m.stored_bytes()),
        database: m.database.clone(),
        server_version: Some(m.server_version.clone()),
        verdicts,
        verified_level: match standing {
            Some(Standing::Verified(v)) => Some(v.level_name().to_string()),
            _ => None,
        },
        retention: retention.map(str::to_string),
        retention_reasons: reasons
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect(),
        ..InfoFields::default()
    };
    let mut message = format!(
        "{stanza}/{}: {} -> {}, {verdict_words}",
        m.id,
        format_bytes(m.raw_bytes()),
        format_bytes(m.stored_bytes())
    );
    if let Some(r) = retention {
        message.push_str(&format!(", retention: {r}"));
    }
    Event::new(tool, Kind::Info, status, message)
        .with_stanza(stanza)
        .with_fields(&fields)
}

fn kind_name(kind: pra_core::manifest::BackupKind) -> &'static str {
    match kind {
        pra_core::manifest::BackupKind::Logical => "logical",
        pra_core::manifest::BackupKind::Physical => "physical",
    }
}

fn incomplete_event(
    repo: &Repository,
    stanza: &str,
    id: &str,
    now: DateTime<Utc>,
    tool: &str,
) -> Event {
    let modified = repo
        .backup_modified(stanza, id)
        .ok()
        .flatten()
        .map(DateTime::<Utc>::from);
    let stored: u64 = repo
        .list_backup_files(stanza, id)
        .map(|files| files.iter().map(|f| f.size).sum())
        .unwrap_or(0);
    let age = modified.map(|t| age_s(now, t));
    let fields = InfoFields {
        item: InfoItem::Backup,
        repo: Some(repo.location()),
        id: Some(id.to_string()),
        complete: Some(false),
        stored_bytes: Some(stored),
        age_s: age,
        ..InfoFields::default()
    };
    let age_words = age
        .map(|a| {
            format!(
                ", {} old",
                pra_core::time::format_duration(std::time::Duration::from_secs_f64(a.max(0.0)))
            )
        })
        .unwrap_or_default();
    Event::new(
        tool,
        Kind::Info,
        Status::Warn,
        format!(
            "{stanza}/{id}: incomplete (no manifest: in progress, or a leftover pra-rotate \
             removes){age_words}"
        ),
    )
    .with_stanza(stanza)
    .with_fields(&fields)
}

/// Who holds the stanza's writer lock, read from the note its holder writes (no lock
/// is taken). A note whose process is gone from this host is said to be stale.
fn lock_holder(repo: &Repository, stanza: &str) -> Option<String> {
    let keys = [
        pra_core::repo::stanza_lease_key(stanza),
        format!("{stanza}/{}", pra_core::repo::LEGACY_STANZA_LOCK),
    ];
    keys.iter().find_map(|key| {
        let bytes = repo.storage().read(key).ok()?;
        let holder: LockHolder = serde_json::from_slice(&bytes).ok()?;
        let gone = holder.host == pra_core::time::hostname()
            && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists();
        Some(if gone {
            format!("{holder}, stale: that process is gone")
        } else {
            holder.to_string()
        })
    })
}
