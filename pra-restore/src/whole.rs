//! `--all-stanzas`: a whole server restored from a `pra-backup --all-databases` run:
//! the roles and tablespaces of the backup's globals first, then every database into
//! the name it was taken from, one `restore` event each.

use crate::restore::{restore_one, Out, TOOL};
use crate::roles::{self, Subject};
use crate::{Args, Error};
use postgres::Client;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Event, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::fetch::fetch_file;
use pra_core::manifest::{BackupKind, FileRole, Manifest};
use pra_core::repo::Repository;
use pra_core::select::{BackupSelector, Selection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::server::MAINTENANCE_DB;

/// Restores every stanza's backup the selection names (see `--all-stanzas`).
pub fn restore_all(args: &Args, out: &mut Out) -> Result<Exit, Error> {
    let selection = args.backups.selection();
    selection.require_one(TOOL).map_err(Error::Usage)?;
    let (location, repo, chosen) = choose_run(&args.repo.repos, &selection)?;
    // A missing or wrong identity is refused before the server is touched.
    for m in &chosen {
        for file in &m.files {
            pra_core::fetch::check_key(&repo, m, file)?;
        }
    }
    let server = args.db.settings()?.with_application_name(TOOL);
    let mut admin = server.with_dbname(MAINTENANCE_DB).connect()?;
    // Globals first: every role and tablespace of the run, not only those the dumps
    // name (login roles that own nothing are part of the server too).
    if let Some(m) = chosen
        .iter()
        .find(|m| m.database.as_deref() == Some(MAINTENANCE_DB))
        .or(chosen.first())
    {
        let created = create_globals(&mut admin, &repo, m)?;
        if !created.is_empty() {
            log::info!("created from the backup's globals: {}", created.join(", "));
        }
    }
    let mut last_error = None;
    for m in &chosen {
        pra_core::signals::check()?;
        let target = m.database.clone().unwrap_or_else(|| m.stanza.clone());
        let target_is_maintenance = target == MAINTENANCE_DB;
        if target_is_maintenance && crate::server::exists(&mut admin, &target)? {
            skip_maintenance_db(out, m, &target)?;
            continue;
        }
        let mut one = args.clone();
        one.all_stanzas = false;
        one.report = args.report.as_deref().map(|r| report_for(r, &target));
        one.target_db = Some(target);
        one.repo.repos = vec![location.clone()];
        one.repo.stanza = Some(m.stanza.clone());
        one.backups.backup = BackupSelector::Id(m.id.clone());
        one.backups.since = None;
        one.globals = true;
        // Only when it does not exist (an existing one was skipped above).
        one.allow_postgres_target = target_is_maintenance;
        if let Err(e) = restore_one(&one, out, Instant::now()) {
            if e.signal().is_some() {
                return Err(e);
            }
            log::error!("{e}");
            last_error = Some(e);
        }
    }
    last_error.map_or(Ok(Exit::Ok), Err)
}

/// The report of one database: `restore.md` becomes `restore-app.md`.
fn report_for(path: &Path, db: &str) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{db}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{db}"),
    };
    path.with_file_name(name)
}

/// The first repository (in `--repo` order) where the selection names a backup in some
/// stanza, and those backups, one per stanza.
fn choose_run(
    locations: &[String],
    selection: &Selection,
) -> Result<(String, Repository, Vec<Manifest>), Error> {
    let mut looked = Vec::new();
    for location in locations {
        let repo = Repository::open(location)?;
        let mut chosen = Vec::new();
        for stanza in repo.stanzas()? {
            if let Some(m) = pick(&repo, &stanza, selection)? {
                chosen.push(m);
            }
        }
        if !chosen.is_empty() {
            return Ok((location.clone(), repo, chosen));
        }
        looked.push(repo.location());
    }
    Err(Error::Usage(format!(
        "--all-stanzas: in no stanza of {}: {}",
        looked.join(", "),
        selection.nothing_found()
    )))
}

/// The stanza's logical backup the selection names; an id names a backup or the run
/// (`run_id`) of a `pra-backup --all-databases`.
fn pick(repo: &Repository, stanza: &str, selection: &Selection) -> Result<Option<Manifest>, Error> {
    if let BackupSelector::Id(id) = &selection.backup {
        return Ok(repo
            .complete_backups(stanza)?
            .into_iter()
            .filter(|m| m.kind == BackupKind::Logical)
            .rfind(|m| m.run_id.as_deref() == Some(id.as_str()) || &m.id == id));
    }
    crate::select::find_in(repo, stanza, selection)
}

/// Creates the roles and tablespaces of `m`'s globals that do not exist; their names.
fn create_globals(
    admin: &mut Client,
    repo: &Repository,
    m: &Manifest,
) -> Result<Vec<String>, Error> {
    let Some(file) = m.file(FileRole::Globals) else {
        return Ok(Vec::new());
    };
    let mut sql = Vec::new();
    fetch_file(repo, m, file, &mut sql)?;
    let sql = String::from_utf8_lossy(&sql);
    let (mut in_roles, mut in_ts) = (BTreeSet::new(), BTreeSet::new());
    for stmt in roles::statements(&sql) {
        match roles::subject(&stmt) {
            Subject::Role(r) => in_roles.insert(r),
            Subject::Tablespace(t) => in_ts.insert(t),
            _ => false,
        };
    }
    let mut names = |q: &str| -> Result<BTreeSet<String>, Error> {
        Ok(admin
            .query(q, &[])
            .map_err(|e| Error::db("listing roles and tablespaces", &e))?
            .into_iter()
            .map(|r| r.get::<_, String>(0))
            .collect())
    };
    let roles_there = names("SELECT rolname::text FROM pg_roles")?;
    let ts_there = names("SELECT spcname::text FROM pg_tablespace")?;
    let missing_roles: BTreeSet<String> = in_roles.difference(&roles_there).cloned().collect();
    let missing_ts: BTreeSet<String> = in_ts.difference(&ts_there).cloned().collect();
    let (statements, _) = roles::plan(&sql, &missing_roles, &missing_ts, &roles_there);
    for stmt in &statements {
        // The statement may carry a password hash: errors name the object, never the text.
        admin.batch_execute(stmt).map_err(|e| {
            Error::db(
                "creating roles and tablespaces from the backup's globals",
                &e,
            )
        })?;
    }
    Ok(missing_roles.into_iter().chain(missing_ts).collect())
}

/// The `postgres` database exists on every server and is where pra-restore connects:
/// it is not replaced; a `warn` event says how to restore it under another name.
fn skip_maintenance_db(out: &mut Out, m: &Manifest, target: &str) -> Result<(), Error> {
    let fields = RestoreFields {
        backup_id: Some(m.id.clone()),
        source_database: m.database.clone(),
        target: target.to_string(),
        ..Default::default()
    };
    let message = format!(
        "not restored: {target} exists and is the maintenance database; restore backup \
         {}/{} under another name with --stanza {} --backup {} --target-db NAME",
        m.stanza, m.id, m.stanza, m.id
    );
    log::warn!("{message}");
    let event = Event::new(TOOL, Kind::Restore, Status::Warn, message)
        .with_fields(&fields)
        .with_stanza(m.stanza.clone());
    out.emit(&event)
        .map_err(|e| Error::io("writing the event", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_database_gets_its_own_report_beside_the_one_asked_for() {
        assert_eq!(
            report_for(Path::new("/tmp/restore.md"), "app"),
            Path::new("/tmp/restore-app.md")
        );
        assert_eq!(
            report_for(Path::new("report"), "crm"),
            Path::new("report-crm")
        );
    }
}
