//! Re-applying the backup's database-level state (owner, comment, privileges,
//! `ALTER DATABASE … SET` and `ALTER ROLE … IN DATABASE … SET`) to the restored
//! database under its final name, each part reported as applied or skipped.

use crate::Error;
use postgres::Client;
use pra_core::dbstate::DatabaseState;
use pra_core::event::kinds::RestoreFields;
use std::collections::BTreeSet;

/// Applies `state` to database `db`. A part whose role does not exist, or that the
/// server refuses, is skipped and reported: the data is restored and validated, and
/// the rest of the state still applies.
pub fn apply(
    admin: &mut Client,
    state: &DatabaseState,
    db: &str,
    fields: &mut RestoreFields,
) -> Result<(), Error> {
    let roles: BTreeSet<String> = admin
        .query("SELECT rolname::text FROM pg_roles", &[])
        .map_err(|e| Error::db("listing roles", &e))?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    for s in state.statements(db) {
        let missing: Vec<&String> = s.roles.iter().filter(|r| !roles.contains(*r)).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|r| r.as_str()).collect();
            fields.db_settings_skipped.push(format!(
                "{} (role {} does not exist; --globals creates it)",
                s.what,
                names.join(", ")
            ));
            continue;
        }
        match admin.batch_execute(&s.sql) {
            Ok(()) => fields.db_settings_applied.push(s.what),
            Err(e) => fields.db_settings_skipped.push(format!(
                "{}: {}",
                s.what,
                pra_core::conn::describe_pg_error(&e)
            )),
        }
    }
    for skipped in &fields.db_settings_skipped {
        log::warn!("database-level state of {db} not applied: {skipped}");
    }
    Ok(())
}

/// Re-applies the backup's database-level state to `target`, or says why not. The
/// backup's own comment (or none) replaces the provenance note when its state is
/// applied: the restore event says where it came from.
pub(crate) fn apply_state(
    args: &crate::Args,
    admin: &mut postgres::Client,
    manifest: &pra_core::manifest::Manifest,
    target: &str,
    what: &str,
    fields: &mut RestoreFields,
) -> Result<(), Error> {
    match (&manifest.database_state, args.no_db_settings) {
        (Some(state), false) => apply(admin, state, target, fields),
        (_, no_db_settings) => {
            fields.db_settings_skipped.push(if no_db_settings {
                "all (--no-db-settings)".to_string()
            } else {
                "all (the backup has no database-level state: taken by an older pra)".to_string()
            });
            crate::server::mark_restored(
                admin,
                target,
                &format!(
                    "{what} at {}",
                    pra_core::time::format_ts(&pra_core::time::now())
                ),
            )
        }
    }
}
