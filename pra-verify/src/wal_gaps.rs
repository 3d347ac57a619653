//! WAL continuity of a physical backup: every segment from its start to its stop must be
//! archived for it to be restorable at all, and every segment after it, up to the
//! newest archived one of its timeline, for point-in-time recovery past it. Each gap
//! is named (docs/PHYSICAL.md).

use pra_core::physical::PhysicalSection;
use pra_core::repo::Repository;
use pra_core::wal::{self, WalError};

/// The problems of one physical backup's WAL: one line per missing segment.
pub fn gaps(
    repo: &Repository,
    stanza: &str,
    section: &PhysicalSection,
) -> Result<Vec<String>, WalError> {
    let size = match section.wal_segment_size {
        0 => wal::DEFAULT_SEGMENT_SIZE,
        n => n,
    };
    let archived = wal::archived(repo.storage(), stanza)?;
    let needed = wal::gaps(&archived, &section.start_wal, Some(&section.stop_wal), size);
    let mut problems: Vec<String> = needed
        .iter()
        .map(|s| {
            format!(
                "WAL gap: segment {s} is not archived; the backup needs {} to {} to be restorable",
                section.start_wal, section.stop_wal
            )
        })
        .collect();
    for s in wal::gaps(&archived, &section.stop_wal, None, size) {
        if !needed.contains(&s) {
            problems.push(format!(
                "WAL gap: segment {s} is not archived; point-in-time recovery from this backup stops before it"
            ));
        }
    }
    Ok(problems)
}
