//! The whole restore, in order: choose the backup, checksum it, connect, clean up
//! after interrupted runs, check the target and the roles, restore under a
//! temporary name, validate, rename, and report one `restore` event.

use crate::select::Chosen;
use crate::validate;
use crate::{load, roles, server, Args, Error, LoadOptions};
use postgres::Client;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::stream::forward_stdin;
use pra_core::event::{Event, EventWriter, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::fetch::{check_key, check_stored, fetch_file};
use pra_core::manifest::FileRole;
use pra_core::repo::LockMode;
use pra_core::scratch::DropOnStop;
use pra_core::signals;
use pra_core::stall::Watchdog;
use std::collections::BTreeSet;
use std::time::Instant;

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-restore";

/// Where the events go.
pub(crate) type Out = EventWriter<std::io::Stdout>;

/// Runs pra-restore: one `restore` event on stdout, after the forwarded input.
pub fn run(args: Args) -> Result<Exit, Error> {
    args.output.init_logging(TOOL);
    signals::install().map_err(|e| Error::io("installing the signal handler", e))?;
    let started = Instant::now();
    let mut out = EventWriter::stdout(args.output.format);
    forward_stdin(&mut out, TOOL).map_err(|e| Error::io("forwarding stdin", e))?;
    args.decrypt
        .install()
        .map_err(|e| Error::Usage(e.to_string()))?;
    if args.physical.physical {
        return crate::physical::run(&args, &mut out, started);
    }
    if args.all_stanzas {
        return crate::whole::restore_all(&args, &mut out);
    }
    restore_one(&args, &mut out, started)
}

/// One restore (of `--target-db`), its `restore` event and its `--report`.
pub(crate) fn restore_one(args: &Args, out: &mut Out, started: Instant) -> Result<Exit, Error> {
    let mut fields = RestoreFields {
        target: args.target_db.clone().unwrap_or_default(),
        jobs: args.jobs(),
        rto_target_s: args.rto.map(|d| d.as_secs_f64()),
        ..Default::default()
    };
    let mut stanza = None;
    // What failed after a signal or a stall (pg_restore stopped, a session ended) is its doing.
    let user = args.db.settings().map(|s| s.user()).unwrap_or_default();
    let result = restore(args, &mut fields, &mut stanza, started)
        .map_err(|e| e.or_stopped().with_privilege_hint(&user));
    fields.rto_s = started.elapsed().as_secs_f64();
    let (status, message) = match &result {
        Ok(()) => {
            let over = fields.rto_target_s.is_some_and(|t| fields.rto_s > t);
            let rto = match fields.rto_target_s {
                Some(t) if over => format!(" (over the {t:.0} s RTO)"),
                Some(t) => format!(" (within the {t:.0} s RTO)"),
                None => String::new(),
            };
            // The event is never better than its worst validation step.
            let warned: Vec<String> = fields
                .validation
                .iter()
                .filter(|c| c.status == Status::Warn)
                .map(|c| format!("{} {}: {}", c.check, c.target, c.detail))
                .collect();
            let warnings = if warned.is_empty() {
                String::new()
            } else {
                format!("; warning: {}", warned.join("; "))
            };
            (
                if over || !warned.is_empty() {
                    Status::Warn
                } else {
                    Status::Ok
                },
                format!(
                    "restored {} into {} in {:.1} s{rto}; {} tables, {} rows validated{warnings}",
                    fields.backup_id.as_deref().unwrap_or("?"),
                    fields.target,
                    fields.rto_s,
                    fields.tables,
                    fields.rows
                ),
            )
        }
        Err(e) => {
            fields.error = Some(e.to_string());
            let where_ = match &fields.temp_database {
                Some(t) => format!(" (restored data kept as {t})"),
                None => String::new(),
            };
            (
                Status::Error,
                format!("restore into {} failed{where_}: {e}", fields.target),
            )
        }
    };
    let mut event = Event::new(TOOL, Kind::Restore, status, message).with_fields(&fields);
    if let Err(e) = &result {
        event = event.with_error_class(e.class());
    }
    if let Some(s) = stanza {
        event = event.with_stanza(s);
    }
    out.emit(&event)
        .map_err(|e| Error::io("writing the event", e))?;
    if let Some(path) = &args.report {
        crate::report::write(path, &crate::report::render(&event, &fields))
            .map_err(|e| Error::io(format!("writing the report {}", path.display()), e))?;
    }
    // The event above reported the failure: main prints it and exits by it, once.
    result
        .map(|()| Exit::Ok)
        .map_err(|e| Error::Reported(Box::new(e)))
}

fn restore(
    args: &Args,
    fields: &mut RestoreFields,
    stanza: &mut Option<String>,
    started: Instant,
) -> Result<(), Error> {
    let target = server::usable_target(args)?;
    let selection = args.backups.selection();
    selection.require_one(TOOL).map_err(Error::Usage)?;
    // A missing pg_restore is a configuration error: said before anything is read.
    args.pg_bin
        .program("pg_restore")
        .map_err(|e| Error::Usage(e.to_string()))?;
    let Chosen {
        repo,
        manifest,
        verified_level,
    } = crate::select::choose(
        &args.repo.repos,
        args.repo.stanza.as_deref(),
        target,
        &selection,
    )?;
    *stanza = Some(manifest.stanza.clone());
    fields.backup_id = Some(manifest.id.clone());
    fields.verified_level = verified_level.map(String::from);
    fields.repo = Some(repo.location());
    fields.source_database = manifest.database.clone();
    let what = format!("backup {}/{}", manifest.stanza, manifest.id);
    // Rotation must not delete the backup while we read it.
    let _lock = repo.lock_backup(&manifest.stanza, &manifest.id, TOOL, LockMode::Shared)?;

    // A corrupt backup is refused before the server is touched. With several jobs the
    // dump is decoded to a local file first, which checks its digests on the way:
    // no separate pass over it.
    let opts = LoadOptions {
        jobs: args.jobs(),
        no_owner: args.no_owner,
        temp_dir: args.temp_dir.clone(),
        pg_bindir: args.pg_bin.pg_bindir.clone(),
        stall_timeout: args.stall.stall_timeout,
    };
    crate::progress::phase(&format!("checking the checksums of {what}"));
    for file in &manifest.files {
        signals::check()?;
        check_key(&repo, &manifest, file)?;
        if !(opts.jobs > 1 && file.role == FileRole::Dump) {
            check_stored(&repo, &manifest, file)?;
        }
    }
    let prepared = load::prepare(&repo, &manifest, &opts)?;
    fields.fetch_s = started.elapsed().as_secs_f64();

    let server_settings = args.db.settings()?.with_application_name(TOOL);
    // Our own statements on a server that froze would wait forever: the phases
    // without a byte counter are bounded by --stall-timeout as a whole.
    let bounded = |what: String| Watchdog::start(what, opts.stall_timeout);
    let preparing = bounded(format!("preparing the restore into {target}"));
    let admin_db = server::admin_db(target);
    let mut admin = server_settings.with_dbname(admin_db).connect()?;
    server::refuse_template(&mut admin, target)?;

    let leftovers = server::clean_leftovers(&mut admin, target)?;
    fields.cleaned_temp_databases = leftovers.cleaned;
    fields.leftover_temp_databases = leftovers.left;
    for l in &fields.leftover_temp_databases {
        log::warn!("temporary database of an earlier run left in place: {l}");
    }
    if server::exists(&mut admin, target)? && !args.clean {
        return Err(Error::TargetExists(target.to_string()));
    }

    if args.globals || !args.no_owner {
        let mut needs = roles::dump_needs(
            &server_settings,
            &repo,
            &manifest,
            prepared.path(),
            opts.pg_bindir.as_deref(),
        )?;
        // With --globals, the roles the database-level state names are created too.
        if let (true, false, Some(state)) =
            (args.globals, args.no_db_settings, &manifest.database_state)
        {
            needs.roles.extend(state.roles());
        }
        prepare_roles(args, &needs, &mut admin, &repo, &manifest, fields)?;
    }

    let temp = server::derived_name(target, server::TEMP_MARK, &std::process::id().to_string());
    server::drop_db(&mut admin, &temp)?;
    // A signal or a stall stops pg_restore (load.rs) and drops what it loaded into,
    // also while validation queries keep this thread waiting, and also when the
    // server froze: the drop is then queued on a connection held for it.
    let on_signal = DropOnStop::new(&server_settings.with_dbname(admin_db), &temp)
        .map_err(server::scratch_err)?;
    server::create_temp(&mut admin, &temp, &what)?;
    drop(preparing);
    crate::progress::phase(&format!("restoring {what} into {temp}"));
    let load = load::load_prepared(
        &server_settings,
        &repo,
        &manifest,
        &temp,
        &opts,
        &prepared,
        true,
    );
    let loaded = match load {
        Ok(l) => l,
        Err(e) => {
            // Half-restored data is of no use: drop it (a killed run's is dropped by the next).
            let _dropping = bounded(format!("dropping {temp}"));
            if let Err(d) = server::drop_db(&mut admin, &temp) {
                log::warn!("could not drop {temp}: {d}");
            }
            return Err(e);
        }
    };
    fields.restore_s = loaded.stats.restore_s;
    fields.raw_bytes = loaded.stats.raw_bytes;

    crate::progress::phase(&format!("validating {temp}"));
    let failures = validate::failures(
        args,
        &server_settings,
        &temp,
        &manifest,
        &loaded.during,
        fields,
    );
    if let Err(e) = signals::check() {
        drop(on_signal);
        server::drop_db(&mut admin, &temp)?;
        return Err(e.into());
    }
    if !failures.is_empty() {
        let why = failures.join("; ");
        server::mark_kept(&mut admin, &temp, &why)?;
        fields.temp_database = Some(temp);
        return Err(Error::Validation(why));
    }

    let old = match server::swap_in(&mut admin, &temp, target, args.clean) {
        Ok(old) => old,
        Err(e) => {
            // The data is restored and validated: keep it for a manual rename.
            server::mark_kept(
                &mut admin,
                &temp,
                &format!("validated, but the rename failed: {e}"),
            )?;
            fields.temp_database = Some(temp);
            return Err(e);
        }
    };
    drop(on_signal);
    let after = crate::dbstate::apply_state(args, &mut admin, &manifest, target, &what, fields)
        .and_then(|()| match &old {
            Some(old) if !args.keep_old => server::drop_db(&mut admin, old),
            _ => Ok(()),
        });
    match (after, old) {
        (Ok(()), old) => {
            fields.old_database = old.filter(|_| args.keep_old);
            Ok(())
        }
        (Err(e), Some(old)) => {
            // A failed restore leaves the target as it found it.
            match server::put_back(&mut admin, target, &old, &temp, &e.to_string()) {
                Ok(()) => {
                    log::warn!("{old} is back as {target}; the restored copy is kept as {temp}")
                }
                Err(p) => {
                    log::error!("{p}: the replaced database is still {old}");
                    fields.old_database = Some(old);
                }
            }
            fields.temp_database = Some(temp);
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// Finds the roles and tablespaces the dump needs; creates the missing ones from the
/// globals with `--globals`, else refuses (unless `--no-owner`) before anything is restored.
fn prepare_roles(
    args: &Args,
    needs: &roles::Needs,
    admin: &mut Client,
    repo: &pra_core::repo::Repository,
    manifest: &pra_core::manifest::Manifest,
    fields: &mut RestoreFields,
) -> Result<(), Error> {
    let names = |sql: &str, admin: &mut Client| -> Result<BTreeSet<String>, Error> {
        Ok(admin
            .query(sql, &[])
            .map_err(|e| Error::db("listing roles and tablespaces", &e))?
            .into_iter()
            .map(|r| r.get::<_, String>(0))
            .collect())
    };
    let existing_roles = names("SELECT rolname::text FROM pg_roles", admin)?;
    let existing_ts = names("SELECT spcname::text FROM pg_tablespace", admin)?;
    let missing_roles: BTreeSet<String> =
        needs.roles.difference(&existing_roles).cloned().collect();
    let missing_ts: BTreeSet<String> = needs
        .tablespaces
        .difference(&existing_ts)
        .cloned()
        .collect();
    fields.roles_existing = needs.roles.intersection(&existing_roles).cloned().collect();
    if !fields.roles_existing.is_empty() {
        log::info!(
            "roles the backup needs that exist already (left alone): {}",
            fields.roles_existing.join(", ")
        );
    }
    if missing_roles.is_empty() && missing_ts.is_empty() {
        return Ok(());
    }
    let describe = |roles: &BTreeSet<String>, ts: &BTreeSet<String>| -> String {
        roles
            .iter()
            .map(|r| format!("role {r}"))
            .chain(ts.iter().map(|t| format!("tablespace {t}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !args.globals {
        fields.roles_missing = missing_roles.iter().cloned().collect();
        if args.no_owner {
            return Ok(());
        }
        return Err(Error::MissingRoles(describe(&missing_roles, &missing_ts)));
    }
    let Some(file) = manifest.file(FileRole::Globals) else {
        fields.roles_missing = missing_roles.iter().cloned().collect();
        return Err(Error::MissingRoles(format!(
            "{} (and the backup has no globals file to create them from)",
            describe(&missing_roles, &missing_ts)
        )));
    };
    let mut sql = Vec::new();
    fetch_file(repo, manifest, file, &mut sql)?;
    let sql = String::from_utf8_lossy(&sql);
    let (statements, found) = roles::plan(&sql, &missing_roles, &missing_ts, &existing_roles);
    let not_in_globals: BTreeSet<String> = missing_roles.difference(&found).cloned().collect();
    let ts_not_in_globals: BTreeSet<String> = missing_ts.difference(&found).cloned().collect();
    if !not_in_globals.is_empty() || !ts_not_in_globals.is_empty() {
        fields.roles_missing = not_in_globals.iter().cloned().collect();
        return Err(Error::MissingRoles(format!(
            "{} (not in the backup's globals either)",
            describe(&not_in_globals, &ts_not_in_globals)
        )));
    }
    for stmt in &statements {
        // The statement may carry a password hash: errors name the object, never the text.
        admin.batch_execute(stmt).map_err(|e| {
            Error::db(
                "creating roles and tablespaces from the backup's globals",
                &e,
            )
        })?;
    }
    fields.roles_created = missing_roles.into_iter().collect();
    log::info!(
        "created from the backup's globals: {}",
        fields.roles_created.join(", ")
    );
    Ok(())
}
