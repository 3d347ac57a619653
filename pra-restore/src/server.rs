//! The databases a restore creates, renames and drops on the server: the temporary
//! name it restores into, the swap to the target name, and the temporary
//! databases that earlier interrupted runs left behind.
//!
//! Each temporary database carries a comment saying what it is: `in progress`
//! (pid and host of the run) or `kept` (after a failed validation or rename, for
//! inspection). The next run for the same target drops interrupted ones nobody
//! uses, and only reports the ones kept on purpose.

use crate::Error;
use postgres::Client;
use pra_core::catalog::{quote_ident, quote_literal};
use pra_core::scratch::{self, DropStrategy, ScratchError};

/// PostgreSQL's identifier limit (NAMEDATALEN - 1).
const MAX_NAME: usize = 63;
/// What marks a temporary database of pra-restore.
pub const TEMP_MARK: &str = "__pra_restore_";
/// What marks a replaced database kept by `--keep-old`.
pub const OLD_MARK: &str = "__pra_old_";
/// Comment prefix of a temporary database being restored.
const IN_PROGRESS: &str = "pra-restore: in progress";
/// Comment prefix of a temporary database kept after a failed validation.
const KEPT: &str = "pra-restore: kept";

/// The maintenance database pra-restore connects to; a target only with
/// `--allow-postgres-target`.
pub const MAINTENANCE_DB: &str = "postgres";

/// The database the restore's own statements run in: the maintenance database,
/// or `template1` when that is the target (a database cannot be renamed while we
/// are connected to it).
pub fn admin_db(target: &str) -> &'static str {
    if target == MAINTENANCE_DB {
        "template1"
    } else {
        MAINTENANCE_DB
    }
}

/// `<target><mark><suffix>`, the target shortened (on a character boundary) to fit 63 bytes.
pub fn derived_name(target: &str, mark: &str, suffix: &str) -> String {
    let room = MAX_NAME.saturating_sub(mark.len() + suffix.len());
    let mut end = target.len().min(room);
    while !target.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}{suffix}", &target[..end])
}

/// True when `name` is a temporary database of a restore of `target`.
pub fn is_temp_of(name: &str, target: &str) -> bool {
    match name.split_once(TEMP_MARK) {
        Some((prefix, pid)) => {
            !prefix.is_empty()
                && !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && (prefix == target || (target.starts_with(prefix) && name.len() + 2 >= MAX_NAME))
        }
        None => false,
    }
}

/// True when a database of that name exists.
pub fn exists(client: &mut Client, name: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(|e| Error::db("looking up databases", &e))?;
    Ok(row.get::<_, i64>(0) > 0)
}

fn comment(client: &mut Client, db: &str, text: &str) -> Result<(), Error> {
    client
        .batch_execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(db),
            quote_literal(text)
        ))
        .map_err(|e| Error::db(format!("commenting database {db}"), &e))
}

/// Creates the empty database a restore goes into, marked as in progress.
pub fn create_temp(client: &mut Client, name: &str, what: &str) -> Result<(), Error> {
    scratch::create_database(client, name).map_err(scratch_err)?;
    comment(
        client,
        name,
        &format!(
            "{IN_PROGRESS} (pid {} on {}, {what})",
            std::process::id(),
            pra_core::time::hostname()
        ),
    )
}

/// Marks a temporary database as kept (failed validation, failed rename), so that later runs leave it alone.
pub fn mark_kept(client: &mut Client, name: &str, why: &str) -> Result<(), Error> {
    comment(
        client,
        name,
        &format!("{KEPT} for inspection, drop it when done: {why}"),
    )
}

/// Drops a database, disconnecting whoever is still connected once ours are gone.
pub fn drop_db(client: &mut Client, name: &str) -> Result<(), Error> {
    scratch::drop_database(client, name, DropStrategy::Auto).map_err(scratch_err)
}

/// A scratch-database failure in pra-restore's words.
pub fn scratch_err(e: ScratchError) -> Error {
    match e {
        ScratchError::Connect(e) => Error::Conn(e),
        ScratchError::Sql { what, reason } => Error::Db { what, reason },
        ScratchError::Busy(name) => Error::Usage(format!("database {name} is in use")),
    }
}

/// Temporary databases of earlier runs for `target`: those dropped (interrupted, unused)
/// and those left (kept after a failed validation, or in use by a running restore).
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Dropped by this run.
    pub cleaned: Vec<String>,
    /// Left in place, with why.
    pub left: Vec<String>,
}

/// Finds the temporary databases of earlier runs for `target`, drops the interrupted ones
/// that nobody uses, and reports the others.
pub fn clean_leftovers(client: &mut Client, target: &str) -> Result<Leftovers, Error> {
    let rows = client
        .query(
            "SELECT d.datname::text, coalesce(shobj_description(d.oid, 'pg_database'), ''), \
                    (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid) \
             FROM pg_database d WHERE strpos(d.datname, $1) > 0 ORDER BY 1",
            &[&TEMP_MARK],
        )
        .map_err(|e| Error::db("looking for temporary databases of earlier runs", &e))?;
    let mut out = Leftovers::default();
    let me = std::process::id();
    for row in rows {
        let (name, note, sessions): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
        if !is_temp_of(&name, target) || name.ends_with(&format!("{TEMP_MARK}{me}")) {
            continue;
        }
        if note.starts_with(KEPT) {
            out.left.push(format!(
                "{name} (kept after a failed validation; drop it when done)"
            ));
            continue;
        }
        let in_use = match run_on_this_host(&note) {
            // The run that made it is known: it alone decides (its sessions may
            // still be closing after it was killed).
            Some(alive) => alive,
            None => sessions > 0,
        };
        if in_use {
            out.left
                .push(format!("{name} (in use: another restore may be running)"));
        } else {
            log::warn!("dropping {name}, left by an interrupted restore");
            drop_db(client, &name)?;
            out.cleaned.push(name);
        }
    }
    Ok(out)
}

/// For an in-progress comment naming a process on this host: whether it is alive.
/// `None` when the comment names another host (or none).
fn run_on_this_host(note: &str) -> Option<bool> {
    let rest = note.strip_prefix(IN_PROGRESS)?;
    let mut words = rest.trim_start_matches(" (pid ").split_whitespace();
    let pid = words.next().and_then(|p| p.parse::<i32>().ok());
    let host = words.nth(1).map(|h| h.trim_end_matches(','));
    match (pid, host) {
        (Some(pid), Some(host)) if host == pra_core::time::hostname() => {
            // SAFETY: kill with signal 0 only checks that the process exists.
            let alive = unsafe { libc::kill(pid, 0) } == 0;
            Some(alive && pid as u32 != std::process::id())
        }
        _ => None,
    }
}

/// Moves the restored database to the target name. An existing target (`--clean`) is
/// renamed aside in the same transaction (nobody ever sees no target or a half one)
/// after its sessions are ended; returns the name it was moved to.
pub fn swap_in(
    client: &mut Client,
    temp: &str,
    target: &str,
    replace: bool,
) -> Result<Option<String>, Error> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut old = derived_name(target, OLD_MARK, &stamp);
    // Two replacements within a second (or a kept one) must not collide.
    for n in 1..100 {
        if !exists(client, &old)? {
            break;
        }
        old = derived_name(target, OLD_MARK, &format!("{stamp}_{n}"));
    }
    let mut last = None;
    // Applications may reconnect between ending their sessions and the rename: retry.
    for _ in 0..5 {
        let present = exists(client, target)?;
        if present && !replace {
            return Err(Error::TargetExists(target.to_string()));
        }
        let mut sql = String::from("BEGIN;");
        if present {
            end_sessions(client, target)?;
            sql.push_str(&format!(
                "ALTER DATABASE {} RENAME TO {};",
                quote_ident(target),
                quote_ident(&old)
            ));
        }
        sql.push_str(&format!(
            "ALTER DATABASE {} RENAME TO {}; COMMIT;",
            quote_ident(temp),
            quote_ident(target)
        ));
        match client.batch_execute(&sql) {
            Ok(()) => return Ok(present.then_some(old)),
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK");
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
    Err(match last {
        Some(e) => Error::db(format!("renaming {temp} to {target}"), &e),
        None => Error::Usage(format!("cannot rename {temp} to {target}")),
    })
}

fn end_sessions(client: &mut Client, db: &str) -> Result<(), Error> {
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db],
        )
        .map(drop)
        .map_err(|e| Error::db(format!("ending the sessions of {db}"), &e))
}

/// Undoes [`swap_in`] after a step that followed it failed: the restored database
/// goes back to `temp` (kept for inspection, with `why`) and the replaced one back
/// to `target`, in one transaction, so that a failed restore leaves the target as
/// it found it.
pub fn put_back(
    client: &mut Client,
    target: &str,
    old: &str,
    temp: &str,
    why: &str,
) -> Result<(), Error> {
    let sql = format!(
        "BEGIN; ALTER DATABASE {t} RENAME TO {tmp}; ALTER DATABASE {o} RENAME TO {t}; COMMIT;",
        t = quote_ident(target),
        tmp = quote_ident(temp),
        o = quote_ident(old)
    );
    let mut last = None;
    for _ in 0..5 {
        end_sessions(client, target)?;
        match client.batch_execute(&sql) {
            Ok(()) => return mark_kept(client, temp, why),
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK");
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
    Err(match last {
        Some(e) => Error::db(format!("putting {old} back as {target}"), &e),
        None => Error::Usage(format!("cannot put {old} back as {target}")),
    })
}

/// Refuses a target that is a template database (`datistemplate`): every new
/// database is copied from one, so replacing it would hand the backup's tables to
/// every database created afterwards.
pub fn refuse_template(client: &mut Client, target: &str) -> Result<(), Error> {
    let template = client
        .query_opt(
            "SELECT datistemplate FROM pg_database WHERE datname = $1",
            &[&target],
        )
        .map_err(|e| Error::db("looking up databases", &e))?
        .is_some_and(|r| r.get::<_, bool>(0));
    if template {
        return Err(Error::Usage(template_refusal(target)));
    }
    Ok(())
}

/// Why a template database is never a restore target.
pub fn template_refusal(target: &str) -> String {
    format!(
        "--target-db {target:?} is a template database (new databases are copied from it): \
         pra-restore never restores into one; choose another --target-db"
    )
}

/// Comments the restored database with where it came from.
pub fn mark_restored(client: &mut Client, db: &str, what: &str) -> Result<(), Error> {
    comment(client, db, &format!("restored by pra-restore from {what}"))
}

/// The `--target-db` name, refused when empty or when it carries the marks of our own
/// temporary and old databases.
pub(crate) fn usable_target(args: &crate::Args) -> Result<&str, Error> {
    let target = args.target_db.as_deref().unwrap_or_default();
    if ["template0", "template1"].contains(&target) {
        return Err(Error::Usage(template_refusal(target)));
    }
    if target == MAINTENANCE_DB && !args.allow_postgres_target {
        return Err(Error::Usage(format!(
            "--target-db {target} is the maintenance database other tools and sessions connect to: \
             add --allow-postgres-target to replace it"
        )));
    }
    if target.is_empty() || target.contains(TEMP_MARK) || target.contains(OLD_MARK) {
        return Err(Error::Usage(format!(
            "--target-db {target:?} is not usable: it must be non-empty and not contain {:?} or {:?}",
            TEMP_MARK,
            OLD_MARK
        )));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_fit_and_match_their_target() {
        let t = derived_name("app", TEMP_MARK, "123");
        assert_eq!(t, "app__pra_restore_123");
        assert!(is_temp_of(&t, "app"));
        assert!(!is_temp_of(&t, "app2"));
        assert!(!is_temp_of("app_x__pra_restore_1", "app"));
        assert!(!is_temp_of("app__pra_restore_x", "app"));
        let long = "é".repeat(40);
        let t = derived_name(&long, TEMP_MARK, "4194304");
        assert!(t.len() <= MAX_NAME, "{}", t.len());
        assert!(is_temp_of(&t, &long));
    }

    #[test]
    fn in_progress_note_of_this_process_is_not_foreign() {
        let note = format!(
            "{IN_PROGRESS} (pid {} on {}, backup app/x)",
            std::process::id(),
            pra_core::time::hostname()
        );
        assert_eq!(run_on_this_host(&note), Some(false));
        let note = format!(
            "{IN_PROGRESS} (pid 1 on {}, backup app/x)",
            pra_core::time::hostname()
        );
        assert_eq!(run_on_this_host(&note), Some(true), "pid 1 is alive");
        let note = format!("{IN_PROGRESS} (pid 1 on elsewhere.invalid, backup app/x)");
        assert_eq!(run_on_this_host(&note), None);
        assert_eq!(run_on_this_host("something else"), None);
    }
}
