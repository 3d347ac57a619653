//! The newest point a stanza can be recovered to, for `backup_age`: its newest backup,
//! or, when WAL archiving is on for it (a physical backup and segments archived since
//! its start), the newest archived WAL segment, which a point-in-time recovery replays
//! up to (docs/PHYSICAL.md).

use chrono::{DateTime, Utc};
use pra_core::manifest::{BackupKind, Manifest};
use pra_core::physical::PhysicalSection;
use pra_core::repo::{BackupEntry, RepoError, Repository};
use pra_core::wal::{self, WalError};

/// The newest archived WAL segment that a physical backup of the stanza can replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedWal {
    /// The segment's name (`000000010000000000000007`).
    pub name: String,
    /// When it was stored: the archive holds every change written before it was switched.
    pub archived_at: DateTime<Utc>,
}

/// The newest archived segment of `stanza` that one of its physical backups can reach
/// (at or after the backup's start segment); `None` when the stanza has no archived
/// segment or no physical backup to replay it on (logical dumps cannot replay WAL).
/// `newest` is the newest complete backup, already read; older ones are read only
/// when it is not physical.
pub fn newest_replayable_wal(
    repo: &Repository,
    stanza: &str,
    backups: &[BackupEntry],
    newest: &Manifest,
) -> Result<Option<ArchivedWal>, WalError> {
    let archived = wal::archived(repo.storage(), stanza)?;
    // Names sort by timeline, then position: the last segment is the newest. History,
    // backup-history and partial files are not segments a recovery ends in.
    let Some(segment) = archived
        .iter()
        .rev()
        .find(|n| wal::parse_segment(n, wal::DEFAULT_SEGMENT_SIZE).is_some())
    else {
        return Ok(None);
    };
    let Some(start_wal) = newest_physical_start(repo, stanza, backups, newest)? else {
        return Ok(None);
    };
    if segment.as_str() < start_wal.as_str() {
        return Ok(None);
    }
    let key = wal::key(stanza, segment)?;
    let Some(modified) = repo.storage().modified(&key)? else {
        // Deleted between the listing and now (pra-rotate): as if not archived.
        return Ok(None);
    };
    Ok(Some(ArchivedWal {
        name: segment.clone(),
        archived_at: modified.into(),
    }))
}

/// The start segment of the newest complete physical backup, if any.
fn newest_physical_start(
    repo: &Repository,
    stanza: &str,
    backups: &[BackupEntry],
    newest: &Manifest,
) -> Result<Option<String>, RepoError> {
    let start = |m: &Manifest| {
        (m.kind == BackupKind::Physical)
            .then(|| PhysicalSection::of(m).map(|s| s.start_wal))
            .flatten()
    };
    if let Some(s) = start(newest) {
        return Ok(Some(s));
    }
    for b in backups
        .iter()
        .rev()
        .filter(|b| b.complete && b.id != newest.id)
    {
        if let Some(s) = start(&repo.read_manifest(stanza, &b.id)?) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}
