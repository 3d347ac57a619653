//! The drill, phase by phase: prepare, baseline, backup under load, restore under
//! load, the rest of the load, RPO, and cleanup — the last one on every path out
//! (success, failure, SIGINT/SIGTERM), unless `--keep`.

use crate::load::{Load, Phase};
use crate::probe::Probe;
use crate::recovery::{self, BackupTaken};
use crate::rpo::{archive_state, marker_rows_in_backup, marker_state};
use crate::sla::{evaluate, Targets};
use crate::workload::{self, Workload};
use crate::Error;
use pra_core::conn::ConnSettings;
use pra_core::event::kinds::DrillFields;
use pra_core::event::Status;
use pra_core::manifest::Manifest;
use pra_core::scratch::{Scratch, DRILL_PREFIX};
use pra_core::stall::Watchdog;
use pra_core::time::format_duration;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything a drill needs, resolved from the flags.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The database drilled.
    pub settings: ConnSettings,
    /// Repositories for the drill's backup (a temporary one when none was given).
    pub repos: Vec<String>,
    /// True when the repositories are the user's (the drill's backup is deleted from them).
    pub user_repo: bool,
    /// Stanza of the drill's backup.
    pub stanza: String,
    /// Directory of pg_dump, pg_dumpall and pg_restore (`--pg-bindir`).
    pub pg_bindir: Option<std::path::PathBuf>,
    /// Total load time.
    pub duration: Duration,
    /// Client connections.
    pub clients: u32,
    /// What they run.
    pub workload: Arc<Workload>,
    /// The SLA targets.
    pub targets: Targets,
    /// Application URL to probe.
    pub app_url: Option<String>,
    /// Time limit of each probe of it.
    pub http_timeout: Duration,
    /// Keep the schema, scratch database and backup.
    pub keep: bool,
    /// Progress on stderr.
    pub progress: bool,
    /// `--stall-timeout` of the drill's backup and restore.
    pub stall_timeout: Duration,
    /// The keys the drill's backup is encrypted to (`None`: not encrypted); the
    /// restore's identities are this process's ([`pra_core::crypt::install`]).
    pub encrypt: Option<Arc<pra_core::crypt::Recipients>>,
}

/// What must be cleaned up, as the drill creates it.
#[derive(Default)]
struct Created {
    schema: bool,
    scratch: Option<Scratch>,
    backup: Option<Manifest>,
}

fn interrupted() -> Result<(), Error> {
    match pra_core::stall::stop_reason() {
        Some(pra_core::stall::Stop::Signal(sig)) => Err(Error::Interrupted(sig)),
        Some(pra_core::stall::Stop::Stall(s)) => Err(Error::Stalled(s)),
        None => Ok(()),
    }
}

/// Sleeps until the load has run `until` in all, watching for signals.
/// The shortest "during the backup" phase the slowdown is measured over.
const MIN_BACKUP_WINDOW: Duration = Duration::from_secs(1);

fn wait_until(load: &Load, until: Duration) -> Result<(), Error> {
    while load.elapsed() < until {
        interrupted()?;
        std::thread::sleep((until - load.elapsed()).min(Duration::from_millis(100)));
    }
    interrupted()
}

/// Runs the drill, filling `f` with every figure measured (also when it fails part way).
pub fn run_drill(plan: &Plan, f: &mut DrillFields) -> Result<(), Error> {
    let origin = Instant::now();
    let app_settings = plan.settings.with_application_name("pra-loadtest");
    let mut admin = app_settings.connect()?;
    // What earlier drills (or test restores) could not drop, their server frozen.
    match pra_core::scratch::sweep_leftovers(&app_settings) {
        Ok(dropped) if !dropped.is_empty() => {
            log::warn!(
                "dropped scratch databases of interrupted runs: {}",
                dropped.join(", ")
            );
        }
        Ok(_) => {}
        Err(e) => log::warn!("looking for leftover scratch databases: {e}"),
    }
    let mut created = Created::default();
    let result = (|| {
        workload::prepare(&mut admin, &plan.workload)?;
        created.schema = true;
        drive(plan, f, &mut admin, &mut created, origin)
    })();
    let cleaned = if plan.keep {
        match created.scratch.take() {
            Some(db) => {
                log::warn!(
                    "--keep: scratch database {}, schema {} and the drill's backup are kept",
                    db.name(),
                    workload::SCHEMA
                );
                db.keep("pra-loadtest --keep")
                    .map_err(|e| Error::Db(e.to_string()))
            }
            None => Ok(()),
        }
    } else {
        cleanup(plan, &mut admin, &mut created)
    };
    match (result, cleaned) {
        (Err(e), Err(c)) => {
            log::error!("cleanup after the failed drill also failed: {c}");
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
        (Ok(()), Err(c)) => Err(c),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Removes what the drill created, going on after a failure to remove the rest.
fn cleanup(plan: &Plan, admin: &mut postgres::Client, created: &mut Created) -> Result<(), Error> {
    let mut first_error = None;
    if let Some(db) = created.scratch.take() {
        let name = db.name().to_string();
        if let Err(e) = recovery::drop_database(db) {
            log::error!("cannot drop the scratch database {name}: {e}");
            first_error.get_or_insert(e);
        }
    }
    if created.schema {
        if let Err(e) = drop_schema(plan, admin) {
            log::error!("cannot drop schema {}: {e}", workload::SCHEMA);
            first_error.get_or_insert(e);
        }
    }
    if let (Some(manifest), true) = (&created.backup, plan.user_repo) {
        if let Err(e) = recovery::delete_backup(&plan.repos, manifest) {
            log::error!("{e}");
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Drops the drill's schema, on a new connection when the run's own was cut (a signal
/// or a stall shuts down every connection to the server first).
fn drop_schema(plan: &Plan, admin: &mut postgres::Client) -> Result<(), Error> {
    if workload::drop_schema(admin).is_ok() {
        return Ok(());
    }
    let mut fresh = plan
        .settings
        .with_application_name("pra-loadtest")
        .connect()?;
    workload::drop_schema(&mut fresh).map_err(Error::from)
}

/// The phases under load. The load is stopped (and its figures kept) on every path.
fn drive(
    plan: &Plan,
    f: &mut DrillFields,
    admin: &mut postgres::Client,
    created: &mut Created,
    origin: Instant,
) -> Result<(), Error> {
    let probe = plan
        .app_url
        .as_deref()
        .map(|u| Probe::start(u, plan.http_timeout, origin));
    let mut load = Load::start(
        &plan.settings.with_application_name("pra-loadtest client"),
        plan.clients,
        Arc::clone(&plan.workload),
        plan.progress,
    )?;
    // A server that froze stops every transaction: the drill is then stalled, and the
    // sessions blocked on it are shut down so that the load can stop.
    let watchdog = Watchdog::with_source(
        "the drill's load (no transaction committed)",
        plan.stall_timeout,
        load.committed_source(),
    );
    let mut restore_error = None;
    let under_load = phases_under_load(plan, f, admin, created, &mut load, &mut restore_error);
    drop(watchdog);
    let figures = load.stop();
    let [baseline, during, after] = figures.phases;
    f.slowdown_ratio =
        (baseline.p95_s > 0.0 && during.transactions > 0).then(|| during.p95_s / baseline.p95_s);
    f.baseline = baseline;
    f.during_backup = during;
    f.after_backup = after;
    f.transactions = figures.transactions;
    f.failed_transactions = figures.failed;
    f.timeline = figures.timeline;
    if let Some(p) = probe {
        let r = p.stop();
        f.app_probes = r.probes;
        f.app_failures = r.failures;
    }
    under_load?;
    if let Some(manifest) = &created.backup {
        measure_rpo(
            plan,
            f,
            admin,
            manifest,
            created
                .scratch
                .as_ref()
                .map(Scratch::name)
                .filter(|_| restore_error.is_none()),
        )?;
    }
    let archive = archive_state(admin);
    f.wal_archiving = archive.enabled;
    f.archive_lag_bytes = archive.lag_bytes;
    f.archive_lag_s = archive.lag_s;
    if archive.failing {
        log::warn!("the WAL archiver is failing (pg_stat_archiver.last_failed_time is newer than its last success)");
    }
    f.slas = evaluate(
        &plan.targets,
        f,
        restore_error.as_deref(),
        plan.app_url.is_some(),
    );
    f.failed_slas = f
        .slas
        .iter()
        .filter(|c| c.result == "fail")
        .map(|c| c.name.clone())
        .collect();
    Ok(())
}

fn phases_under_load(
    plan: &Plan,
    f: &mut DrillFields,
    admin: &mut postgres::Client,
    created: &mut Created,
    load: &mut Load,
    restore_error: &mut Option<String>,
) -> Result<(), Error> {
    wait_until(load, plan.duration / 3)?;
    // A workload that cannot commit would make every figure meaningless (and the RPO
    // trivially met): stop here, in the server's words.
    if load.committed() == 0 {
        return Err(Error::Usage(format!(
            "the workload committed no transaction during the baseline{}",
            load.first_error()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        )));
    }

    load.set_phase(Phase::Backup);
    load.set_activity("backup under load");
    log::info!(
        "baseline done ({} transactions); backing up under load",
        load.committed()
    );
    let BackupTaken {
        manifest,
        duration_s,
    } = recovery::take_backup(plan)?;
    // A p95 over a few hundred milliseconds of samples measures the processes the
    // backup starts more than what it costs the application: the phase lasts at least
    // a second (docs/DRILLS.md).
    let floor =
        load.elapsed() + MIN_BACKUP_WINDOW.saturating_sub(Duration::from_secs_f64(duration_s));
    wait_until(load, floor)?;
    load.set_phase(Phase::After);
    created.backup = Some(manifest.clone());
    f.backup_id = Some(manifest.id.clone());
    f.backup_duration_s = Some(duration_s);
    f.backup_stored_bytes = Some(manifest.stored_bytes());
    let (marker, time_col) = plan.workload.marker();
    let in_backup = marker_rows_in_backup(&manifest, marker)?;
    let (live, _) = marker_state(admin, marker, time_col)?;
    f.rpo_transactions_at_backup_end = Some(live.saturating_sub(in_backup));
    interrupted()?;

    load.set_activity("restore under load");
    let scratch = format!("{DRILL_PREFIX}{}", manifest.id.to_ascii_lowercase());
    log::info!(
        "backup {} taken in {}; restoring into {scratch}",
        manifest.id,
        format_duration(Duration::from_secs_f64(duration_s))
    );
    f.scratch_database = Some(scratch.clone());
    match recovery::restore_into(plan, &manifest, &scratch, &mut created.scratch) {
        Ok(r) => {
            f.rto_s = Some(r.rto_s);
            f.tables_validated = r.tables;
            f.validation_problems = r.problems;
        }
        Err(why) => {
            log::error!("restoring the drill's backup into {scratch} failed: {why}");
            *restore_error = Some(why);
        }
    }
    interrupted()?;

    load.set_activity("load after the backup");
    wait_until(load, plan.duration)
}

/// The committed work the backup misses, counted once the load has stopped.
fn measure_rpo(
    plan: &Plan,
    f: &mut DrillFields,
    admin: &mut postgres::Client,
    manifest: &Manifest,
    restored: Option<&str>,
) -> Result<(), Error> {
    let (marker, time_col) = plan.workload.marker();
    let in_backup = marker_rows_in_backup(manifest, marker)?;
    let (live, live_newest) = marker_state(admin, marker, time_col)?;
    let missed = live.saturating_sub(in_backup);
    // The newest transaction the backup holds: read in the restored copy itself;
    // without one, the backup's start (its snapshot is taken right after).
    let backup_newest = match restored {
        Some(db) => {
            let mut c = plan
                .settings
                .with_dbname(db)
                .with_application_name("pra-loadtest")
                .connect()?;
            marker_state(&mut c, marker, time_col)?.1
        }
        None => None,
    }
    .unwrap_or(manifest.started_at.timestamp_millis() as f64 / 1000.0);
    f.rpo_transactions = Some(missed);
    f.rpo_s = Some(match (missed, live_newest) {
        (0, _) | (_, None) => 0.0,
        (_, Some(newest)) => (newest - backup_newest).max(0.0),
    });
    Ok(())
}

/// The drill's one-line message: the verdict, then the figures.
pub fn message(f: &DrillFields, status: Status) -> String {
    let db = f.database.as_deref().unwrap_or("?");
    if let Some(e) = &f.error {
        return format!("drill of {db} did not complete: {e}");
    }
    let verdict = if status == Status::Error {
        let names: Vec<String> = f.failed_slas.iter().map(|n| n.to_uppercase()).collect();
        format!("FAIL ({} not met)", names.join(", "))
    } else {
        "PASS".to_string()
    };
    let secs = |s: f64| {
        if s < 1.0 {
            format!("{:.0} ms", s * 1000.0)
        } else {
            format_duration(Duration::from_secs_f64(s))
        }
    };
    let mut parts = Vec::new();
    if let (Some(n), Some(s)) = (f.rpo_transactions, f.rpo_s) {
        parts.push(format!("RPO {} ({n} transactions)", secs(s)));
    }
    parts.push(match f.rto_s {
        Some(s) => format!("RTO {}", secs(s)),
        None => "RTO: restore failed".to_string(),
    });
    if let Some(r) = f.slowdown_ratio {
        parts.push(format!("slowdown x{r:.2}"));
    }
    if f.app_url.is_some() {
        parts.push(format!(
            "app {}/{} probes failed",
            f.app_failures, f.app_probes
        ));
    }
    parts.push(format!("{:.0} tps baseline", f.baseline.tps));
    if f.failed_transactions > 0 {
        parts.push(format!("{} transactions failed", f.failed_transactions));
    }
    format!("drill of {db}: {verdict}: {}", parts.join(", "))
}
