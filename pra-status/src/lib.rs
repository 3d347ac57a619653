//! pra-status: health checks of PostgreSQL, its backups and its applications,
//! reported as `check` events and one `status` event, with monitoring-plugin exit
//! codes (see [`plugin`]), a node_exporter textfile ([`prometheus`]) and an
//! availability history ([`history`], [`availability`]).
//!
//! The checks run in parallel threads ([`runner`]), each bounded by `--timeout`.

pub mod availability;
pub mod check;
pub mod checks;
mod cli;
mod error;
pub mod history;
pub mod plugin;
pub mod prometheus;
pub mod runner;
pub mod text;

pub use cli::{parse_api_url, parse_percent, parse_size, ApiUrl, Args};
pub use error::Error;

use check::{CheckResult, SERVICE_CHECKS, TOOL};
use checks::{backup, database, disk, http, server};
use plugin::PluginState;
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::{AvailabilityFields, StatusFields};
use pra_core::event::{Event, EventWriter, Kind, OutputFormat, Status};
use pra_core::repo::{RepoError, Repository};
use runner::Job;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Runs the checks and reports them; the result is the plugin state to exit with.
pub fn run(args: Args) -> Result<PluginState, Error> {
    args.output.init_logging(TOOL);
    // The checks' threads are abandoned on a signal as at the deadline: nothing to clean up.
    pra_core::signals::install().map_err(|e| Error::File {
        what: "installing the signal handler",
        path: PathBuf::new(),
        source: e,
    })?;
    let started = Instant::now();
    let (jobs, mut results) = plan(&args)?;
    results.extend(runner::run_jobs(jobs, args.timeout));
    if let Some(sig) = pra_core::signals::pending() {
        return Err(Error::Interrupted(sig));
    }
    results.sort_by(|a, b| {
        a.order()
            .cmp(&b.order())
            .then_with(|| a.fields.target.cmp(&b.fields.target))
    });
    let up = !results
        .iter()
        .any(|r| SERVICE_CHECKS.contains(&r.fields.name.as_str()) && r.status == Status::Error);

    let mut avail_fields = None;
    if let (Some(window), Some(path)) = (args.availability, &args.history) {
        let (r, fields) = availability_check(&args, window, path, up)?;
        results.push(r);
        avail_fields = fields;
    }

    let worst = results.iter().map(|r| r.status).max().unwrap_or(Status::Ok);
    let state = PluginState::from_status(worst);
    let count = |s: Status| results.iter().filter(|r| r.status == s).count() as u64;
    let failing: Vec<String> = results
        .iter()
        .filter(|r| r.status != Status::Ok)
        .map(CheckResult::label)
        .collect();
    let fields = StatusFields {
        exit_code: state.code(),
        state: state.as_str().to_string(),
        up,
        checks: results.len() as u64,
        ok: count(Status::Ok),
        warn: count(Status::Warn),
        error: count(Status::Error),
        skipped: results
            .iter()
            .filter(|r| r.fields.skipped.is_some())
            .count() as u64,
        failing: failing.clone(),
        duration_s: started.elapsed().as_secs_f64(),
        availability: avail_fields.clone(),
    };
    let message = if failing.is_empty() {
        format!("{}: {} checks ok", state.as_str(), results.len())
    } else {
        format!("{}: {}", state.as_str(), failing.join(", "))
    };
    // Check events are stamped before the status event, in the order they are printed.
    let check_events: Vec<Event> = results.iter().map(CheckResult::to_event).collect();
    // CRITICAL for the reason of the first critical check.
    let class = results
        .iter()
        .find(|r| r.status == Status::Error)
        .map_or(ErrorClass::Health, CheckResult::error_class);
    let status_event = Event::new(TOOL, Kind::Status, worst, message)
        .with_error_class(class)
        .with_fields(&fields);

    // Files first, then stdout; a file that cannot be written makes the run UNKNOWN,
    // but the events are still printed so a pipeline sees the checks.
    let mut file_error = None;
    if let Some(path) = &args.history {
        if let Err(source) = history::append(path, &status_event) {
            file_error = Some(Error::File {
                what: "cannot append to the history",
                path: path.clone(),
                source,
            });
        }
    }
    if let Some(path) = &args.prometheus {
        let summary = prometheus::RunSummary {
            state,
            timestamp_s: status_event.ts.timestamp_millis() as f64 / 1000.0,
            duration_s: fields.duration_s,
            availability_ratio: avail_fields.as_ref().map(|a| a.percent / 100.0),
        };
        let content = prometheus::render(&results, &summary);
        if let Err(source) = prometheus::write_atomic(path, &content) {
            file_error = Some(Error::File {
                what: "cannot write the metrics file",
                path: path.clone(),
                source,
            });
        }
    }
    emit(&args, state, &results, &check_events, &status_event).map_err(Error::Stdout)?;
    match file_error {
        Some(e) => Err(e),
        None => Ok(state),
    }
}

fn emit(
    args: &Args,
    state: PluginState,
    results: &[CheckResult],
    checks: &[Event],
    status: &Event,
) -> std::io::Result<()> {
    match args.output.format {
        OutputFormat::Json => {
            let mut w = EventWriter::stdout(OutputFormat::Json);
            for ev in checks {
                w.emit(ev)?;
            }
            w.emit(status)
        }
        OutputFormat::Text => {
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let out = text::render(state, results, color);
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // `pra-status --format text | head -1` is a normal end.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other,
            }
        }
    }
}

/// Validates the flags and builds the jobs; checks that do not apply are returned as
/// skipped results right away.
fn plan(args: &Args) -> Result<(Vec<Job>, Vec<CheckResult>), Error> {
    if args.disk_crit > args.disk_warn {
        return Err(Error::Config(format!(
            "--disk-crit ({:.0}%) must not be above --disk-warn ({:.0}%)",
            args.disk_crit * 100.0,
            args.disk_warn * 100.0
        )));
    }
    if args.timeout.is_zero() {
        return Err(Error::Config("--timeout must be more than 0".into()));
    }
    let settings = args.db.settings()?;
    // A malformed conninfo or an unsupported parameter is a configuration error (UNKNOWN),
    // not a database outage.
    settings.postgres_config()?;
    for r in &args.repo.repos {
        if let Err(e @ RepoError::Location { .. }) = Repository::open(r) {
            return Err(e.into());
        }
    }
    let disk_limits = disk::thresholds(args.disk_warn, args.disk_crit);
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();

    jobs.push(database::job(database::DbPlan {
        settings: settings.clone(),
        timeout: args.timeout,
        critical_tables: args.critical_tables.clone(),
        data_dir_disk: args.disks.is_empty().then_some(disk_limits),
        server: server::ServerLimits {
            rpo: args.rpo,
            max_lag: args.replication_max_lag,
            max_lag_bytes: args.replication_max_lag_bytes,
        },
    }));

    let mut disk_paths: Vec<PathBuf> = args.disks.clone();
    if disk_paths.is_empty() {
        for r in &args.repo.repos {
            let local = r.strip_prefix("file://").unwrap_or(r);
            if let Some(p) = disk::existing_ancestor(std::path::Path::new(local)) {
                disk_paths.push(p);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    disk_paths.retain(|p| seen.insert(p.clone()));
    for path in disk_paths {
        let shown = path.display().to_string();
        let mut job = Job::new(
            &["disk"],
            Box::new(move |tx| {
                let _ = tx.send(disk::check_path(&path, &disk_limits));
            }),
        );
        job.expected[0].1 = Some(shown);
        jobs.push(job);
    }

    if args.repo.repos.is_empty() {
        skipped.push(CheckResult::skipped(
            "backup_age",
            "no repository (--repo, PRA_REPO)",
        ));
        skipped.push(CheckResult::skipped(
            "backup_verified",
            "no repository (--repo, PRA_REPO)",
        ));
    }
    let stanzas = if args.all_stanzas {
        backup::Stanzas::All
    } else {
        backup::Stanzas::Named(vec![pra_core::cli::stanza_or_dbname(
            args.repo.stanza.as_deref(),
            &settings.dbname(),
        )])
    };
    for repo in &args.repo.repos {
        jobs.push(backup::job(backup::BackupPlan {
            repo: repo.clone(),
            label_repo: args.repo.repos.len() > 1,
            stanzas: stanzas.clone(),
            rpo: args.rpo,
            verify_max_age: args.verify_max_age,
        }));
    }

    match &args.app_url {
        Some(url) => jobs.push(http::app_job(url.clone(), args.probe_timeout())),
        None => skipped.push(CheckResult::skipped("app", "no --app-url given")),
    }
    if args.api_urls.is_empty() {
        skipped.push(CheckResult::skipped("api", "no --api-url given"));
    }
    for api in &args.api_urls {
        jobs.push(http::api_job(api.clone(), args.probe_timeout()));
    }
    Ok((jobs, skipped))
}

/// The `availability` check: the history (with this run as its newest sample)
/// against `--availability-target`.
fn availability_check(
    args: &Args,
    window: std::time::Duration,
    path: &std::path::Path,
    up_now: bool,
) -> Result<(CheckResult, Option<AvailabilityFields>), Error> {
    let now = pra_core::time::now();
    let since = now - chrono::Duration::milliseconds(window.as_millis() as i64);
    let hist = history::read(path, since).map_err(|source| Error::File {
        what: "cannot read the history",
        path: path.to_path_buf(),
        source,
    })?;
    if hist.unreadable > 0 {
        log::warn!(
            "{}: {} unreadable line(s) ignored",
            path.display(),
            hist.unreadable
        );
    }
    let mut samples = hist.samples;
    samples.push(availability::Sample {
        at: now,
        up: up_now,
    });
    let a = match availability::compute(&samples, now, window, args.history_interval) {
        Some(a) if a.measured_s > 0.0 => a,
        // Only this run's own sample: nothing measured yet.
        _ => {
            let reason = format!("no history yet in {}", path.display());
            return Ok((CheckResult::skipped("availability", reason), None));
        }
    };
    let target = args.availability_target;
    let status = if a.percent + 1e-9 >= target {
        Status::Ok
    } else {
        Status::Warn
    };
    let window_words = pra_core::time::format_duration(window);
    let mut message = format!(
        "{:.3} % over {window_words} (target {target} %): down {}, unknown {}",
        a.percent,
        pra_core::time::format_duration(std::time::Duration::from_secs_f64(a.down_s)),
        pra_core::time::format_duration(std::time::Duration::from_secs_f64(a.unknown_s)),
    );
    if a.measured_s + 1.0 < a.window_s {
        message.push_str(&format!(
            "; the history covers only {}",
            pra_core::time::format_duration(std::time::Duration::from_secs_f64(a.measured_s))
        ));
    }
    let fields = AvailabilityFields {
        window_s: a.window_s,
        measured_s: a.measured_s,
        up_s: a.up_s,
        down_s: a.down_s,
        unknown_s: a.unknown_s,
        percent: a.percent,
        target_percent: target,
        samples: a.samples,
    };
    let mut r = CheckResult::new("availability", status, message)
        .value(a.percent, "percent")
        .detail("window_s", a.window_s)
        .detail("measured_s", a.measured_s)
        .detail("up_s", a.up_s)
        .detail("down_s", a.down_s)
        .detail("unknown_s", a.unknown_s)
        .detail("interval_s", a.interval_s);
    r.fields.warn = Some(target);
    r.fields.threshold = Some(format!("warn < {target} %"));
    Ok((r, Some(fields)))
}
