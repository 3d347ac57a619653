//! pra-loadtest: the SLA drill. It loads a database with concurrent clients,
//! takes a backup under that load (pra-backup's library), restores it into a
//! scratch database (pra-restore's library), and measures what an operator
//! promises: the RPO (committed work a backup misses), the RTO (restore time,
//! end to end), the latency impact of the backup, and the application's
//! availability. One `drill` event carries every figure and a verdict per SLA;
//! `--report` writes the compliance report for people.
//!
//! [`run`] is the command line; the phases are in [`drill`], the load generator
//! in [`load`], the figures' meaning in [`sla`] and [`rpo`].

mod cli;
pub mod drill;
pub mod histogram;
pub mod keys;
pub mod load;
pub mod probe;
pub mod recovery;
pub mod report;
pub mod rpo;
pub mod sla;
pub mod workload;

pub use cli::Args;

use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::{DrillFields, TimelinePoint};
use pra_core::event::{stream::forward_stdin, Event, EventWriter, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use std::sync::Arc;
use std::time::Instant;

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-loadtest";

/// Most timeline points an event carries; longer drills are aggregated.
const MAX_TIMELINE_POINTS: usize = 120;

/// What can stop a drill.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag value or file that cannot work (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Bad connection settings (exit 2) or an unreachable server (exit 3).
    #[error(transparent)]
    Conn(#[from] pra_core::conn::ConnError),
    /// A statement of the drill failed (exit 3).
    #[error("database error: {0}")]
    Db(String),
    /// The drill's backup cannot be opened, read back or removed (exit 3).
    #[error("backup failed: {0}")]
    Backup(String),
    /// Local I/O: the report, the temporary repository (exit 3).
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// SIGINT or SIGTERM arrived; the drill cleaned up and stopped.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.0))]
    Interrupted(i32),
    /// The drill's backup or restore made no progress for `--stall-timeout`.
    #[error(transparent)]
    Stalled(#[from] pra_core::stall::Stalled),
    /// The drill's identities do not open what it encrypts (exit 3), or a key file
    /// cannot be used (exit 2).
    #[error(transparent)]
    Key(#[from] pra_core::crypt::CryptError),
    /// pra-backup's library failed to take the drill's backup (its class is kept).
    #[error("backup failed: {0}")]
    BackupFailed(pra_backup::Error),
    /// A failure whose `drill` error event was already emitted: `main` prints it
    /// and exits by it, without a second event.
    #[error(transparent)]
    Reported(Box<Error>),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Db(pra_core::conn::describe_pg_error(&e))
    }
}

impl Error {
    fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Usage(_) => ErrorClass::Usage,
            Error::Conn(e) => e.class(),
            Error::Db(_) => ErrorClass::Query,
            // The drill's backup reads badly back from the repository.
            Error::Backup(_) => ErrorClass::Repository,
            Error::Io { .. } => ErrorClass::Io,
            Error::Interrupted(_) => ErrorClass::Interrupted,
            Error::Stalled(e) => e.class(),
            Error::Key(e) => e.class(),
            Error::BackupFailed(e) => e.class(),
            Error::Reported(e) => e.class(),
        }
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Error::Interrupted(sig) => Some(*sig),
            Error::BackupFailed(e) => e.signal(),
            Error::Reported(e) => e.signal(),
            _ => None,
        }
    }

    fn reported(&self) -> bool {
        matches!(self, Error::Reported(_))
    }
}

/// Averages consecutive points so that at most `max` remain.
pub fn downsample(points: Vec<TimelinePoint>, max: usize) -> Vec<TimelinePoint> {
    if points.len() <= max || max == 0 {
        return points;
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            TimelinePoint {
                t_s: c.last().map_or(0.0, |p| p.t_s),
                tps: c.iter().map(|p| p.tps).sum::<f64>() / n,
                // The worst second of the chunk: a spike must not be averaged away.
                p95_s: c.iter().map(|p| p.p95_s).fold(0.0, f64::max),
                phase: c.last().map(|p| p.phase.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn check_flags(args: &Args) -> Result<(), Error> {
    if !(args.max_slowdown.is_finite() && args.max_slowdown > 0.0) {
        return Err(Error::Usage(format!(
            "--max-slowdown {} must be a positive ratio (e.g. 2.0)",
            args.max_slowdown
        )));
    }
    if args.duration.as_secs_f64() < 3.0 {
        return Err(Error::Usage(format!(
            "--duration {} is too short: a third of it is the baseline; give at least 3s",
            pra_core::time::format_duration(args.duration)
        )));
    }
    // The drill's backup and restore need these: a missing one is said before any load.
    for program in ["pg_dump", "pg_dumpall", "pg_restore"] {
        args.pg_bin
            .program(program)
            .map_err(|e| Error::Usage(e.to_string()))?;
    }
    Ok(())
}

/// Runs pra-loadtest: see [`Args`].
pub fn run(args: Args) -> Result<Exit, Error> {
    args.output.init_logging(TOOL);
    // One signal policy for the drill and the backup and restore it drives: their
    // libraries watch the same flag and remove what they made on SIGINT/SIGTERM.
    pra_core::signals::install().map_err(|e| Error::io("installing the signal handler", e))?;
    check_flags(&args)?;
    // Before the server is touched: a drill that could not open its own backup fails here.
    let encrypt = keys::prepare(&args)?;
    let workload = read_workload(&args)?;
    let settings = args.db.settings()?;
    let stanza = pra_core::cli::stanza_or_dbname(args.repo.stanza.as_deref(), &settings.dbname());
    pra_core::repo::validate_stanza(&stanza).map_err(|e| Error::Usage(e.to_string()))?;

    let mut out = EventWriter::stdout(args.output.format);
    forward_stdin(&mut out, TOOL).map_err(|e| Error::io("forwarding stdin", e))?;

    // Without --repo the drill's backup goes to a private temporary repository.
    let temp_repo = if args.repo.repos.is_empty() {
        Some(
            tempfile::Builder::new()
                .prefix("pra-drill-repo-")
                .tempdir()
                .map_err(|e| Error::io("creating a temporary repository", e))?,
        )
    } else {
        None
    };
    let repos = match &temp_repo {
        Some(dir) => vec![dir.path().display().to_string()],
        None => args.repo.repos.clone(),
    };
    let plan = plan_drill(&args, settings, stanza, repos, workload, encrypt);
    let clock = Instant::now();
    let mut f = initial_fields(&args, &plan);
    // What failed after a signal or a stall (a severed session, a stopped child) is its doing.
    let outcome = drill::run_drill(&plan, &mut f)
        .map_err(|e| pra_core::stall::blame(e, Error::Interrupted, Error::Stalled));
    f.duration_s = clock.elapsed().as_secs_f64();
    f.timeline = downsample(std::mem::take(&mut f.timeline), MAX_TIMELINE_POINTS);
    if let Err(e) = &outcome {
        f.error = Some(e.to_string());
    }
    let status = if outcome.is_err() || !f.failed_slas.is_empty() {
        Status::Error
    } else {
        Status::Ok
    };
    let message = drill::message(&f, status);
    for c in f.slas.iter().filter(|c| c.result == "fail") {
        log::error!("{} not met: {}", c.name.to_uppercase(), c.detail);
    }
    let report_error = write_report_file(&args, &mut f, status, &message);
    emit_drill(&mut out, &plan, &f, status, &message, &outcome)?;
    drop(temp_repo);
    match outcome {
        // The drill event reported it: main prints it and exits by it, once.
        Err(e) => Err(Error::Reported(Box::new(e))),
        Ok(()) => match report_error {
            Some(e) => Err(e),
            None if status == Status::Error => Ok(Exit::Problem),
            None => {
                log::info!("{message}");
                Ok(Exit::Ok)
            }
        },
    }
}

/// The workload: the `--workload` file, else the built-in TPC-B-like one at `--scale`.
fn read_workload(args: &Args) -> Result<workload::Workload, Error> {
    match &args.workload {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::Usage(format!("cannot read --workload {}: {e}", path.display()))
            })?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok(workload::Workload::custom(&name, &text)?)
        }
        None => Ok(workload::Workload::tpcb(args.scale)?),
    }
}

/// What the drill will do, from the flags.
fn plan_drill(
    args: &Args,
    settings: pra_core::conn::ConnSettings,
    stanza: String,
    repos: Vec<String>,
    workload: workload::Workload,
    encrypt: Option<Arc<pra_core::crypt::Recipients>>,
) -> drill::Plan {
    drill::Plan {
        settings,
        user_repo: !args.repo.repos.is_empty(),
        repos,
        stanza,
        pg_bindir: args.pg_bin.pg_bindir.clone(),
        duration: args.duration,
        clients: args.clients,
        workload: Arc::new(workload),
        targets: sla::Targets {
            rpo: args.rpo,
            rto: args.rto,
            max_slowdown: args.max_slowdown,
            max_app_failures: args.max_app_failures,
        },
        app_url: args.app_url.clone(),
        http_timeout: args.http_timeout,
        keep: args.keep,
        progress: load::progress_wanted() && !args.output.quiet,
        stall_timeout: args.stall.stall_timeout,
        encrypt,
    }
}

/// The drill event's fields known before it runs (repository and URL redacted).
fn initial_fields(args: &Args, plan: &drill::Plan) -> DrillFields {
    DrillFields {
        database: Some(plan.settings.dbname()),
        repo: (!args.repo.repos.is_empty()).then(|| {
            args.repo
                .repos
                .iter()
                .map(|r| pra_core::redact::redact_url(r))
                .collect::<Vec<_>>()
                .join(",")
        }),
        workload: plan.workload.label(),
        clients: args.clients,
        scale: plan.workload.scale(),
        started_at: Some(pra_core::time::format_ts(&pra_core::time::now())),
        app_url: args.app_url.as_deref().map(pra_core::redact::redact_url),
        kept: args.keep,
        ..Default::default()
    }
}

/// Writes `--report` when asked; a failure to write it is returned, not fatal to the event.
fn write_report_file(
    args: &Args,
    f: &mut DrillFields,
    status: Status,
    message: &str,
) -> Option<Error> {
    let path = args.report.as_ref()?;
    let host = pra_core::time::hostname();
    f.report = Some(path.display().to_string());
    let input = report::ReportInput {
        fields: f,
        status,
        message,
        host: &host,
    };
    match report::write_report(path, &input) {
        Ok(()) => None,
        Err(e) => {
            f.report = None;
            Some(Error::io(
                format!("writing the report {}", path.display()),
                e,
            ))
        }
    }
}

/// The one `drill` event of the run.
fn emit_drill(
    out: &mut EventWriter<impl std::io::Write>,
    plan: &drill::Plan,
    f: &DrillFields,
    status: Status,
    message: &str,
    outcome: &Result<(), Error>,
) -> Result<(), Error> {
    let class = match outcome {
        Err(e) => e.class(),
        Ok(()) => ErrorClass::Sla,
    };
    let mut event = Event::new(TOOL, Kind::Drill, status, message.to_string())
        .with_error_class(class)
        .with_fields(f);
    if f.database.is_some() {
        event = event.with_stanza(plan.stanza.clone());
    }
    out.emit(&event).map_err(|e| Error::io("writing events", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_spikes_and_bounds() {
        let points: Vec<TimelinePoint> = (1..=1000)
            .map(|i| TimelinePoint {
                t_s: f64::from(i),
                tps: 10.0,
                p95_s: if i == 500 { 1.0 } else { 0.001 },
                phase: "baseline".into(),
            })
            .collect();
        let d = downsample(points, 120);
        assert!(d.len() <= 120);
        assert!(d.iter().any(|p| p.p95_s == 1.0));
        assert!(d.iter().all(|p| (p.tps - 10.0).abs() < 1e-9));
        assert_eq!(d.last().map(|p| p.t_s), Some(1000.0));
    }

    #[test]
    fn errors_map_to_exit_codes() {
        assert_eq!(Error::Usage("x".into()).exit(), Exit::Usage);
        assert_eq!(Error::Backup("x".into()).exit(), Exit::Runtime);
        assert_eq!(Error::Interrupted(libc::SIGINT).exit().code(), 130);
        assert!(Error::Interrupted(libc::SIGTERM)
            .to_string()
            .contains("SIGTERM"));
    }
}
