//! The recovery point: how much committed work the drill's backup does not hold.
//!
//! Every drill transaction appends one row to the workload's marker table (see
//! [`crate::workload`]) in the same transaction, and the manifest records the marker
//! table's exact row count in the dump's own snapshot. So the committed
//! transactions the backup misses are `live rows - manifest rows`, exactly; their
//! time span runs from the newest marker the restored backup holds to the newest
//! marker in the live database. With WAL archiving, the archive lag (WAL not yet
//! archived) is what point-in-time recovery would lose instead.

use crate::workload::SCHEMA;
use crate::Error;
use pra_core::manifest::Manifest;

/// Rows of the marker table in the backup's snapshot, from the manifest.
pub fn marker_rows_in_backup(manifest: &Manifest, marker_table: &str) -> Result<u64, Error> {
    manifest
        .tables
        .iter()
        .find(|t| t.schema == SCHEMA && t.table == marker_table)
        .and_then(|t| t.rows)
        .ok_or_else(|| {
            Error::Backup(format!(
                "the manifest of backup {} has no row count for {SCHEMA}.{marker_table}; \
                 the drill cannot measure the RPO without it",
                manifest.id
            ))
        })
}

/// The marker table's row count and newest marker time (Unix seconds; `None` when empty).
pub fn marker_state(
    client: &mut postgres::Client,
    marker_table: &str,
    time_column: &str,
) -> Result<(u64, Option<f64>), Error> {
    let row = client.query_one(
        &format!(
            "SELECT count(*), extract(epoch FROM max({time_column}))::float8 FROM {SCHEMA}.{marker_table}"
        ),
        &[],
    )?;
    let n: i64 = row.get(0);
    Ok((n.max(0) as u64, row.get(1)))
}

/// WAL archiving as `pg_stat_archiver` sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveState {
    /// `archive_mode` is on (or always) and an archive command or library is set.
    pub enabled: bool,
    /// WAL bytes written after the end of the last archived segment.
    pub lag_bytes: Option<u64>,
    /// Age of the last archived segment when WAL waits to be archived, else 0.
    pub lag_s: Option<f64>,
    /// The archiver fails more recently than it succeeds.
    pub failing: bool,
}

/// Reads the archiver's state (never fails the drill: a server that hides it just has no figure).
pub fn archive_state(client: &mut postgres::Client) -> ArchiveState {
    match read_archive_state(client) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("cannot read the WAL archiver's state: {e}");
            ArchiveState::default()
        }
    }
}

fn read_archive_state(client: &mut postgres::Client) -> Result<ArchiveState, postgres::Error> {
    let mode: String = client.query_one("SHOW archive_mode", &[])?.get(0);
    let command: String = client.query_one("SHOW archive_command", &[])?.get(0);
    // archive_library exists from PostgreSQL 15 on.
    let library: String = client
        .query_one(
            "SELECT coalesce((SELECT setting FROM pg_settings WHERE name = 'archive_library'), '')",
            &[],
        )?
        .get(0);
    let enabled = mode != "off" && (!command.is_empty() || !library.is_empty());
    if !enabled {
        return Ok(ArchiveState::default());
    }
    let row = client.query_one(
        "SELECT last_archived_wal, \
                extract(epoch FROM clock_timestamp() - last_archived_time)::float8, \
                coalesce(last_failed_time > last_archived_time OR (last_failed_time IS NOT NULL AND last_archived_time IS NULL), false), \
                (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size') * \
                  CASE WHEN (SELECT unit FROM pg_settings WHERE name = 'wal_segment_size') = '8kB' THEN 8192 ELSE 1 END, \
                (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8 \
         FROM pg_stat_archiver",
        &[],
    )?;
    let last_wal: Option<String> = row.get(0);
    let age_s: Option<f64> = row.get(1);
    let failing: bool = row.get(2);
    let seg_size: i64 = row.get(3);
    let current: f64 = row.get(4);
    let archived_end = last_wal
        .as_deref()
        .and_then(|w| segment_end_lsn(w, seg_size.max(1) as u64));
    let lag_bytes = archived_end.map(|end| (current as u64).saturating_sub(end));
    let lag_s = match (lag_bytes, age_s) {
        (Some(0), _) => Some(0.0),
        (Some(_), Some(age)) => Some(age.max(0.0)),
        _ => None,
    };
    Ok(ArchiveState {
        enabled,
        lag_bytes,
        lag_s,
        failing,
    })
}

/// The WAL position just after a segment, from its file name (`TTTTTTTTXXXXXXXXYYYYYYYY`).
pub fn segment_end_lsn(name: &str, segment_size: u64) -> Option<u64> {
    let name = name.get(..24)?;
    let log = u64::from_str_radix(&name[8..16], 16).ok()?;
    let seg = u64::from_str_radix(&name[16..24], 16).ok()?;
    let per_log = 0x1_0000_0000u64 / segment_size;
    Some((log * per_log + seg + 1) * segment_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_map_to_positions() {
        let mib16 = 16 * 1024 * 1024;
        assert_eq!(
            segment_end_lsn("000000010000000000000001", mib16),
            Some(2 * mib16)
        );
        assert_eq!(
            segment_end_lsn("0000000100000002000000FF", mib16),
            Some(0x2_0000_0000 + 0x100 * mib16)
        );
        assert_eq!(
            segment_end_lsn("00000001000000000000000A.partial", mib16),
            Some(11 * mib16)
        );
        assert_eq!(segment_end_lsn("short", mib16), None);
    }
}
