//! Scratch databases of the restore level: `pra_verify_<stanza>_<id>`, created empty
//! on the verification server, dropped afterwards whatever happens.
//!
//! A run holds a session advisory lock named after its scratch database on its
//! maintenance connection, whose `application_name` is the scratch database's name,
//! while the database exists. A run killed with SIGKILL cannot clean up, but its
//! connection dies with it: the next run finds `pra_verify_*` databases whose lock it
//! can take and whose name no session carries, knows their owner is gone, drops them
//! and reports it. Databases of runs still alive are left alone (the session check
//! also covers a live run whose maintenance connection is to another database, where
//! its advisory lock is not visible: advisory locks are per database).

use crate::signals;
use pra_core::catalog::{quote_ident, quote_literal};
use pra_core::conn::{describe_pg_error, ConnError, ConnSettings};
use std::time::Duration;

/// Prefix of every scratch database.
pub const PREFIX: &str = "pra_verify_";

/// First key of the two-key advisory locks ("prav").
const LOCK_CLASS: i32 = 0x7072_6176;

/// PostgreSQL's limit on identifiers.
const MAX_NAME: usize = 63;

/// The scratch database name for a backup: lowercase, `[a-z0-9_]`, at most 63 bytes
/// (the stanza part is shortened, never the backup id).
pub fn scratch_name(stanza: &str, id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let id = clean(id);
    let mut stanza = clean(stanza);
    let room = MAX_NAME.saturating_sub(PREFIX.len() + 1 + id.len());
    stanza.truncate(room);
    format!("{PREFIX}{stanza}_{id}")
}

/// Errors around scratch databases, in plain words.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    /// The server could not be reached.
    #[error(transparent)]
    Connect(#[from] ConnError),
    /// A statement failed.
    #[error("{what}: {reason}")]
    Sql {
        /// What we were doing.
        what: String,
        /// The server's words.
        reason: String,
    },
    /// Another live run is verifying the same backup on this server.
    #[error("scratch database {0} is in use by another pra-verify run")]
    Busy(String),
}

fn sql_err(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> ScratchError {
    let what = what.into();
    move |e| ScratchError::Sql {
        what,
        reason: describe_pg_error(&e),
    }
}

fn lock_sql(func: &str, name: &str) -> String {
    format!(
        "SELECT {func}({LOCK_CLASS}, hashtext({}))",
        quote_literal(name)
    )
}

/// Drops a database, ending the sessions connected to it (the test restore's).
pub fn drop_database(server: &ConnSettings, name: &str) -> Result<(), ScratchError> {
    let mut client = server.connect()?;
    drop_with(&mut client, name)
}

fn drop_with(client: &mut postgres::Client, name: &str) -> Result<(), ScratchError> {
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(sql_err("reading the server version"))?
        .get(0);
    let mut last = None;
    // pg_restore -j may open a new session right after we ended the others: retry.
    for _ in 0..10 {
        let sql = if version >= 130000 {
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))
        } else {
            let _ = client.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&name],
            );
            format!("DROP DATABASE IF EXISTS {}", quote_ident(name))
        };
        match client.batch_execute(&sql) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    match last {
        Some(e) => Err(sql_err(format!("dropping scratch database {name}"))(e)),
        None => Ok(()),
    }
}

/// Drops the scratch databases of runs that were killed (their lock is free);
/// returns their names.
pub fn drop_leftovers(server: &ConnSettings) -> Result<Vec<String>, ScratchError> {
    let mut client = server.connect()?;
    let pattern = format!("{}%", PREFIX.replace('_', "\\_"));
    let names: Vec<String> = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY 1",
            &[&pattern],
        )
        .map_err(sql_err("listing databases"))?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let mut dropped = Vec::new();
    for name in names {
        let free: bool = client
            .query_one(&lock_sql("pg_try_advisory_lock", &name), &[])
            .map_err(sql_err("taking an advisory lock"))?
            .get(0);
        let owners: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .map_err(sql_err("looking for the owner of a scratch database"))?
            .get(0);
        if !free || owners > 0 {
            if free {
                let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
            }
            log::info!("scratch database {name} belongs to a running pra-verify; left alone");
            continue;
        }
        let result = drop_with(&mut client, &name);
        let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
        result?;
        log::warn!("dropped leftover scratch database {name} of an interrupted pra-verify run");
        dropped.push(name);
    }
    Ok(dropped)
}

/// A scratch database that exists while this value lives: dropped on drop.
pub struct Scratch {
    server: ConnSettings,
    name: String,
    /// Holds the advisory lock that marks the database as ours.
    client: postgres::Client,
    dropped: bool,
}

impl Scratch {
    /// Creates the (empty) scratch database for a backup.
    pub fn create(server: &ConnSettings, name: &str) -> Result<Scratch, ScratchError> {
        // The session's name marks the database as ours for other runs (see above).
        let mut client = server.with_application_name(name).connect()?;
        let ours: bool = client
            .query_one(&lock_sql("pg_try_advisory_lock", name), &[])
            .map_err(sql_err("taking an advisory lock"))?
            .get(0);
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .map_err(sql_err("looking for another run on the same backup"))?
            .get(0);
        if !ours || others > 0 {
            return Err(ScratchError::Busy(name.to_string()));
        }
        // From here on a signal drops it, even before it exists (harmless).
        signals::set_scratch(Some((server.clone(), name.to_string())));
        let mut scratch = Scratch {
            server: server.clone(),
            name: name.to_string(),
            client,
            dropped: false,
        };
        // A leftover of the same name (its lock was free: its run is gone).
        drop_with(&mut scratch.client, name)?;
        scratch
            .client
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                quote_ident(name)
            ))
            .map_err(sql_err(format!("creating scratch database {name}")))?;
        Ok(scratch)
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Settings that connect to the scratch database.
    pub fn settings(&self) -> ConnSettings {
        self.server.with_dbname(&self.name)
    }

    /// Drops the database now, reporting a failure.
    pub fn drop_now(mut self) -> Result<(), ScratchError> {
        self.drop_inner()
    }

    fn drop_inner(&mut self) -> Result<(), ScratchError> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        let result = drop_with(&mut self.client, &self.name);
        let _ = self
            .client
            .batch_execute(&lock_sql("pg_advisory_unlock", &self.name));
        signals::set_scratch(None);
        result
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = self.drop_inner() {
            log::error!("could not drop scratch database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers_within_63_bytes() {
        assert_eq!(
            scratch_name("app", "20261125T110000Z"),
            "pra_verify_app_20261125t110000z"
        );
        assert_eq!(
            scratch_name("My-App.prod", "20261125T110000Z-1"),
            "pra_verify_my_app_prod_20261125t110000z_1"
        );
        let long = scratch_name(&"x".repeat(100), "20261125T110000Z-12");
        assert!(long.len() <= 63, "{long}");
        assert!(long.ends_with("_20261125t110000z_12"), "{long}");
    }
}
