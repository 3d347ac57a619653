//! The `restore` level: a real test restore of the dump into a scratch database,
//! the exact row count of every table compared with the manifest, the `--check-sql`
//! assertions, and the scratch database dropped whatever happens.

use crate::checksql;
use pra_core::catalog::{compare_row_counts, count_rows, user_tables};
use pra_core::conn::{describe_pg_error, ConnSettings};
use pra_core::manifest::Manifest;
use pra_core::privilege::{privilege_hint, with_privilege_hint, Access};
use pra_core::repo::Repository;
use pra_core::scratch::{scratch_name, DropStrategy, Scratch, ScratchError};
use pra_core::stall::{Stop, Watchdog};
use pra_restore::{load_dump, LoadOptions};

/// Prefix of every scratch database of pra-verify.
pub const SCRATCH_PREFIX: &str = pra_core::scratch::VERIFY_PREFIX;

/// What a test restore found.
#[derive(Debug, Default)]
pub struct RestoreReport {
    /// The scratch database used.
    pub scratch: String,
    /// Seconds spent loading.
    pub restore_s: f64,
    /// Tables counted.
    pub tables: u64,
    /// Rows counted.
    pub rows: u64,
    /// Tables of the manifest without a row count: present, rows not compared.
    pub not_compared: u64,
    /// Assertions that held.
    pub assertions: u64,
    /// Mismatches, in plain words (empty: passed).
    pub problems: Vec<String>,
}

/// Why a test restore could not give a verdict.
#[derive(Debug)]
pub enum NoVerdict {
    /// The server could not be reached, or a lock is held (exit 3).
    Unreachable(String),
    /// A signal arrived.
    Interrupted(i32),
    /// The test restore stalled (a frozen server): no verdict on the backup.
    Stalled(String),
}

/// How the test restore runs.
pub struct RestoreSettings<'a> {
    /// The server where the scratch database is created.
    pub server: &'a ConnSettings,
    /// `pg_restore` jobs.
    pub jobs: u32,
    /// The `--check-sql` statements.
    pub checks: &'a [String],
    /// Directory of `pg_restore` (`--pg-bindir`).
    pub pg_bindir: Option<&'a std::path::Path>,
    /// `--stall-timeout`.
    pub stall_timeout: std::time::Duration,
}

/// Stops the test restore once a signal or a stall stopped the run: what failed
/// then is its consequence, not a verdict on the backup.
fn interrupted() -> Result<(), NoVerdict> {
    match pra_core::stall::stop_reason() {
        Some(Stop::Signal(sig)) => Err(NoVerdict::Interrupted(sig)),
        Some(Stop::Stall(s)) => Err(NoVerdict::Stalled(s.to_string())),
        None => Ok(()),
    }
}

/// Restores the backup into a scratch database and checks it; the database is
/// dropped before this returns, on every path.
pub fn test_restore(
    settings: &RestoreSettings<'_>,
    repo: &Repository,
    manifest: &Manifest,
) -> Result<RestoreReport, NoVerdict> {
    let name = scratch_name(SCRATCH_PREFIX, &manifest.stanza, &manifest.id);
    let mut report = RestoreReport {
        scratch: name.clone(),
        ..RestoreReport::default()
    };
    // Our own statements on a server that froze would wait forever: each phase
    // without a progress counter of its own is bounded by --stall-timeout as a whole.
    let bound = |what: String| Watchdog::start(what, settings.stall_timeout);
    let creating = bound(format!("creating scratch database {name}"));
    let scratch =
        Scratch::create(settings.server, &name, DropStrategy::Auto).map_err(|e| match e {
            ScratchError::Sql { .. } => NoVerdict::Unreachable(format!(
                "cannot create scratch database: {}",
                with_privilege_hint(&e.to_string(), &settings.server.user(), Access::Write)
            )),
            other => NoVerdict::Unreachable(other.to_string()),
        });
    drop(creating);
    interrupted()?;
    let scratch = scratch?;
    let result = check_in(settings, repo, manifest, &scratch, &mut report);
    // Dropped here, before the verdict, also when checking failed.
    let dropping = bound(format!("dropping scratch database {name}"));
    let dropped = scratch.drop_now();
    drop(dropping);
    interrupted()?;
    result?;
    if let Err(e) = dropped {
        return Err(NoVerdict::Unreachable(format!(
            "the backup restored but the scratch database could not be dropped: {e}"
        )));
    }
    Ok(report)
}

fn check_in(
    settings: &RestoreSettings<'_>,
    repo: &Repository,
    manifest: &Manifest,
    scratch: &Scratch,
    report: &mut RestoreReport,
) -> Result<(), NoVerdict> {
    let opts = LoadOptions {
        jobs: settings.jobs,
        // The verification server need not have the backup's roles: ownership and
        // grants are not what the row counts prove.
        no_owner: true,
        temp_dir: None,
        pg_bindir: settings.pg_bindir.map(std::path::Path::to_path_buf),
        stall_timeout: settings.stall_timeout,
    };
    log::info!(
        "restoring {}/{} into scratch database {}",
        manifest.stanza,
        manifest.id,
        scratch.name()
    );
    match load_dump(settings.server, repo, manifest, scratch.name(), &opts) {
        Ok(stats) => report.restore_s = stats.restore_s + stats.fetch_s,
        Err(e) => {
            interrupted()?;
            return match e {
                pra_restore::Error::Conn(_) | pra_restore::Error::Repo(_) => {
                    Err(NoVerdict::Unreachable(e.to_string()))
                }
                // pg_restore could not reach the server: nothing said about the backup.
                pra_restore::Error::Program { ref stderr, .. }
                    if stderr.contains("connection to server") =>
                {
                    Err(NoVerdict::Unreachable(e.to_string()))
                }
                other => {
                    let user = settings.server.user();
                    let failed = format!(
                        "test restore into {} failed: {}",
                        scratch.name(),
                        other.with_privilege_hint(&user)
                    );
                    // A privilege our role lacks says nothing about the backup.
                    if privilege_hint(&failed, &user, Access::Write).is_some() {
                        return Err(NoVerdict::Unreachable(failed));
                    }
                    report.problems.push(failed);
                    Ok(())
                }
            };
        }
    }
    interrupted()?;
    let _checking = Watchdog::start(
        format!("checking scratch database {}", scratch.name()),
        settings.stall_timeout,
    );
    let mut client = scratch
        .settings()
        .connect()
        .map_err(|e| NoVerdict::Unreachable(e.to_string()))?;
    let counted = user_tables(&mut client).and_then(|t| count_rows(&mut client, &t));
    let found = match counted {
        Ok(found) => found,
        Err(e) => {
            report.problems.push(format!(
                "counting rows in {} failed: {}",
                scratch.name(),
                describe_pg_error(&e)
            ));
            return Ok(());
        }
    };
    report.tables = found.len() as u64;
    report.rows = found.iter().filter_map(|t| t.rows).sum();
    report.not_compared = manifest.tables.iter().filter(|t| t.rows.is_none()).count() as u64;
    report
        .problems
        .extend(compare_row_counts(&manifest.tables, &found));
    if report.problems.is_empty() && !settings.checks.is_empty() {
        match checksql::run_assertions(&mut client, settings.checks) {
            Ok(n) => report.assertions = n,
            Err(problem) => report.problems.push(problem),
        }
    }
    Ok(())
}
