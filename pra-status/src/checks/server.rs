//! `wal_archive` and `replication`: the server-side checks of point-in-time
//! recovery and of standbys, run over the database job's connection.

use crate::check::{CheckResult, Thresholds};
use pra_core::conn::describe_pg_error;
use pra_core::event::Status;
use pra_core::time::{format_bytes, format_duration};
use std::time::{Duration, Instant};

/// Limits of the server-side checks.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// WAL waiting to be archived longer than this is CRITICAL (80 %: WARNING).
    pub rpo: Duration,
    /// Replication lag in time.
    pub max_lag: Duration,
    /// Replication lag in bytes.
    pub max_lag_bytes: u64,
}

fn age(s: f64) -> String {
    format_duration(Duration::from_secs_f64(s.max(0.0)))
}

/// `wal_archive`: when archive_mode is on, archiving must not be failing and no
/// segment may wait longer than the RPO.
pub fn wal_archive(
    client: &mut postgres::Client,
    archive_mode: &str,
    in_recovery: bool,
    limits: &ServerLimits,
) -> CheckResult {
    let started = Instant::now();
    if archive_mode == "off" {
        return CheckResult::skipped("wal_archive", "archive_mode is off");
    }
    if in_recovery && archive_mode != "always" {
        return CheckResult::skipped(
            "wal_archive",
            "standby with archive_mode=on: the primary archives",
        );
    }
    let row = client.query_one(
        "SELECT archived_count, last_archived_wal, \
                EXTRACT(EPOCH FROM now() - last_archived_time)::float8, \
                failed_count, last_failed_wal, \
                (last_failed_time IS NOT NULL AND \
                 (last_archived_time IS NULL OR last_failed_time > last_archived_time)) \
         FROM pg_stat_archiver",
        &[],
    );
    let stats = row.and_then(|r| {
        Ok((
            r.try_get::<_, i64>(0)?,
            r.try_get::<_, Option<String>>(1)?,
            r.try_get::<_, Option<f64>>(2)?,
            r.try_get::<_, i64>(3)?,
            r.try_get::<_, Option<String>>(4)?,
            r.try_get::<_, bool>(5)?,
        ))
    });
    let (archived, last_wal, last_age, failed, last_failed_wal, failing) = match stats {
        Ok(s) => s,
        Err(e) => {
            return CheckResult::error(
                "wal_archive",
                format!("cannot read pg_stat_archiver: {}", describe_pg_error(&e)),
            )
        }
    };
    // Segments waiting (.ready files) need pg_monitor or superuser; without them
    // the age of the last archived segment stands in for the oldest waiting one.
    let waiting = client
        .query_one(
            "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(modification)), 0)::float8 \
             FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'",
            &[],
        )
        .and_then(|r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, f64>(1)?)));
    let waiting = match waiting {
        Ok(w) => Some(w),
        Err(e) => {
            log::info!(
                "cannot list the archive status directory: {}",
                describe_pg_error(&e)
            );
            None
        }
    };
    let limits_t = Thresholds::max_with_warn_at_80(limits.rpo.as_secs_f64(), "s");
    let last = match (&last_wal, last_age) {
        (Some(w), Some(a)) => format!("last archived {w} {} ago", age(a)),
        _ => "nothing archived yet".to_string(),
    };
    let (status, value, message) = if failing {
        (
            Status::Error,
            last_age.unwrap_or(0.0),
            format!(
                "archiving is failing: {} failed (last failure {}); {last}",
                failed,
                last_failed_wal.as_deref().unwrap_or("?")
            ),
        )
    } else {
        match waiting {
            Some((0, _)) => (Status::Ok, 0.0, format!("no segment waiting; {last}")),
            Some((n, oldest)) => (
                limits_t.evaluate(oldest),
                oldest,
                format!("{n} segment(s) waiting, oldest for {}; {last}", age(oldest)),
            ),
            None => match last_age {
                Some(a) => (limits_t.evaluate(a), a, last),
                None => (Status::Warn, 0.0, last),
            },
        }
    };
    let mut r = CheckResult::new("wal_archive", status, message)
        .value(value, "s")
        .thresholds(&limits_t)
        .detail("archived_count", archived)
        .detail("failed_count", failed);
    if let Some(w) = last_wal {
        r = r.detail("last_archived_wal", w);
    }
    if let Some(a) = last_age {
        r = r.detail("last_archived_age_s", a);
    }
    if let Some((n, _)) = waiting {
        r = r.detail("waiting_segments", n);
    }
    if let Some(w) = last_failed_wal {
        r = r.detail("last_failed_wal", w);
    }
    r = r.detail("failing", failing);
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}

/// `replication`: the lag of each standby (on a primary) or of this standby.
pub fn replication(
    client: &mut postgres::Client,
    in_recovery: bool,
    limits: &ServerLimits,
) -> CheckResult {
    let started = Instant::now();
    let sql = if in_recovery {
        "SELECT 'this standby'::text, \
                pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8, \
                CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                     ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END::float8"
    } else {
        "SELECT COALESCE(NULLIF(application_name, ''), client_addr::text, 'local')::text, \
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8, \
                COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float8 \
         FROM pg_stat_replication"
    };
    let rows = match client.query(sql, &[]) {
        Ok(rows) => rows,
        Err(e) => {
            return CheckResult::error(
                "replication",
                format!(
                    "cannot read the replication state: {}",
                    describe_pg_error(&e)
                ),
            )
        }
    };
    let mut standbys = Vec::new();
    for row in &rows {
        let name: String = row.try_get(0).unwrap_or_default();
        let bytes: Option<f64> = row.try_get(1).unwrap_or(None);
        let secs: Option<f64> = row.try_get(2).unwrap_or(None);
        standbys.push((
            name,
            bytes.unwrap_or(0.0).max(0.0),
            secs.unwrap_or(0.0).max(0.0),
        ));
    }
    if standbys.is_empty() {
        return CheckResult::skipped("replication", "no standbys connected and not a standby");
    }
    let time_t = Thresholds::max_with_warn_at_80(limits.max_lag.as_secs_f64(), "s");
    let bytes_t = Thresholds::max_with_warn_at_80(limits.max_lag_bytes as f64, "bytes");
    let mut status = Status::Ok;
    let mut parts = Vec::new();
    let mut details = Vec::new();
    let mut max_s: f64 = 0.0;
    for (name, bytes, secs) in &standbys {
        status = status
            .max(time_t.evaluate(*secs))
            .max(bytes_t.evaluate(*bytes));
        max_s = max_s.max(*secs);
        parts.push(format!(
            "{name}: {} behind, {}",
            format_bytes(*bytes as u64),
            age(*secs)
        ));
        details.push(serde_json::json!({"name": name, "lag_bytes": bytes, "lag_s": secs}));
    }
    let mut r = CheckResult::new("replication", status, parts.join("; "))
        .value(max_s, "s")
        .thresholds(&time_t)
        .detail("max_lag_bytes", limits.max_lag_bytes)
        .detail("standbys", serde_json::Value::Array(details));
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}
