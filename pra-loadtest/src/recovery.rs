//! Backup and restore, through pra-backup's and pra-restore's libraries (the same
//! code the operators' cron jobs run, not a re-implementation): a backup of the
//! drilled database under load, then a restore into a scratch database on the same
//! server, validated against the manifest's row counts.

use crate::drill::Plan;
use crate::Error;
use pra_core::catalog::{compare_row_counts, count_rows, user_tables};
use pra_core::manifest::Manifest;
use pra_core::repo::Repository;
use pra_core::scratch::{DropStrategy, Scratch, ScratchError};
use std::time::{Duration, Instant};

/// A backup taken by the drill.
#[derive(Debug, Clone)]
pub struct BackupTaken {
    /// Its manifest.
    pub manifest: Manifest,
    /// Wall time, as the drill measured it.
    pub duration_s: f64,
}

/// Takes a logical backup of the drilled database into the drill's repositories
/// (pra-backup's library).
pub fn take_backup(plan: &Plan) -> Result<BackupTaken, Error> {
    let opts = pra_backup::BackupOptions {
        conn: plan.settings.with_application_name("pra-loadtest backup"),
        repos: plan.repos.clone(),
        stanza: plan.stanza.clone(),
        encode: pra_core::codec::EncodeOptions::default(),
        encrypt: plan.encrypt.clone(),
        // Every table counted: the RPO needs the marker table's count in the snapshot.
        count_rows: pra_backup::CountRows::All,
        critical_tables: Vec::new(),
        wait: Duration::from_secs(60),
        pg_bindir: plan.pg_bindir.clone(),
        progress: false,
        stall_timeout: plan.stall_timeout,
        // The temporary repository is the drill's own; the user's must exist already.
        init: !plan.user_repo,
        group_readable: false,
        run_id: None,
    };
    let started = Instant::now();
    match pra_backup::backup_database(&opts) {
        Ok(done) => Ok(BackupTaken {
            manifest: done.manifest,
            duration_s: started.elapsed().as_secs_f64(),
        }),
        Err(failure) => match failure.error {
            pra_backup::Error::Interrupted(sig) => Err(Error::Interrupted(sig)),
            e => Err(Error::BackupFailed(e)),
        },
    }
}

/// What the restore found.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// Seconds from the start of the restore to a validated database.
    pub rto_s: f64,
    /// Tables counted.
    pub tables: u64,
    /// Row-count differences with the manifest.
    pub problems: Vec<String>,
}

/// Restores the backup into a new database `scratch` on the drilled server and
/// validates it (pra-restore's library).
///
/// The RTO clock covers everything a real recovery needs before the application
/// could be pointed at the database: creating it, loading the dump, checking it.
///
/// The database is a [`Scratch`] put in `slot` as soon as it exists: owned by this
/// run (a run that could not drop it, the server frozen, leaves it to the next
/// run's sweep), dropped by a signal, and by the caller's cleanup.
pub fn restore_into(
    plan: &Plan,
    manifest: &Manifest,
    scratch: &str,
    slot: &mut Option<Scratch>,
) -> Result<Restored, String> {
    let clock = Instant::now();
    let server = &plan.settings;
    let location = plan.repos.first().ok_or("no repository")?;
    let repo = Repository::open(location).map_err(|e| e.to_string())?;
    let user = server.user();
    let made = Scratch::create(server, scratch, DropStrategy::Auto).map_err(|e| {
        pra_core::privilege::with_privilege_hint(
            &e.to_string(),
            &user,
            pra_core::privilege::Access::Write,
        )
    })?;
    *slot = Some(made);
    pra_restore::load_dump(
        server,
        &repo,
        manifest,
        scratch,
        &pra_restore::LoadOptions {
            pg_bindir: plan.pg_bindir.clone(),
            stall_timeout: plan.stall_timeout,
            ..pra_restore::LoadOptions::default()
        },
    )
    .map_err(|e| e.with_privilege_hint(&user).to_string())?;
    let mut client = server
        .with_dbname(scratch)
        .with_application_name("pra-loadtest")
        .connect()
        .map_err(|e| e.to_string())?;
    let counted = user_tables(&mut client)
        .and_then(|tables| count_rows(&mut client, &tables))
        .map_err(|e| {
            format!(
                "counting rows in {scratch}: {}",
                pra_core::conn::describe_pg_error(&e)
            )
        })?;
    let problems = compare_row_counts(&manifest.tables, &counted);
    Ok(Restored {
        rto_s: clock.elapsed().as_secs_f64(),
        tables: counted.len() as u64,
        problems,
    })
}

/// Drops the scratch database (its sessions are ours and closed by now).
pub fn drop_database(scratch: Scratch) -> Result<(), Error> {
    scratch.drop_now().map_err(|e| match e {
        ScratchError::Connect(e) => Error::Conn(e),
        other => Error::Db(other.to_string()),
    })
}

/// Deletes the drill's backup from every repository it was written to.
pub fn delete_backup(repos: &[String], manifest: &Manifest) -> Result<(), Error> {
    for location in repos {
        let repo = Repository::open(location).map_err(|e| Error::Backup(e.to_string()))?;
        repo.delete_backup(&manifest.stanza, &manifest.id)
            .map_err(|e| {
                Error::Backup(format!("deleting the drill's backup {}: {e}", manifest.id))
            })?;
    }
    Ok(())
}
