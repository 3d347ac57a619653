//! WAL retention: after the backups are rotated, the archived WAL that no kept physical
//! backup needs (before every kept backup's start segment) is deleted; timeline history
//! files and everything from the oldest kept backup on stay, so that each kept backup
//! remains restorable to any point after it. A stanza without physical backups keeps
//! all its WAL.

use pra_core::physical::PhysicalSection;
use pra_core::repo::Repository;
use pra_core::wal::{self, WalError};

/// The WAL files deleted (all of them listed in a dry run, none deleted) and the
/// bytes freed.
pub fn prune(
    repo: &Repository,
    stanza: &str,
    kept_ids: &[String],
    dry_run: bool,
) -> Result<(Vec<String>, u64), WalError> {
    let mut starts = Vec::new();
    let mut segment_size = wal::DEFAULT_SEGMENT_SIZE;
    for id in kept_ids {
        let Ok(m) = repo.read_manifest(stanza, id) else {
            // An unreadable manifest may be a physical backup: keep every segment.
            return Ok((Vec::new(), 0));
        };
        if let Some(section) = PhysicalSection::of(&m) {
            if section.wal_segment_size > 0 {
                segment_size = section.wal_segment_size;
            }
            starts.push(section.start_wal);
        }
    }
    let archived = wal::archived(repo.storage(), stanza)?;
    let names = wal::prunable(&archived, &starts, segment_size);
    if dry_run {
        let sizes = names
            .iter()
            .map(|n| {
                let key = wal::key(stanza, n)?;
                Ok(repo.storage().size(&key)?.unwrap_or(0))
            })
            .sum::<Result<u64, WalError>>()?;
        return Ok((names, sizes));
    }
    let freed = wal::delete(repo.storage(), stanza, &names)?;
    Ok((names, freed))
}
