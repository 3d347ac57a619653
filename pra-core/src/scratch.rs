//! Scratch databases: created empty for a test restore (pra-verify), a drill
//! (pra-loadtest) or a restore under a temporary name (pra-restore), owned by the
//! run that made them, and dropped without filling the server log.
//!
//! Dropping: our own sessions (the row count's, `pg_restore`'s) are closed and
//! our children have exited before [`drop_database`] runs; it waits a moment for
//! the server to see those sessions end, ends only the ones still there, then
//! drops. `DROP DATABASE … WITH (FORCE)` needs PostgreSQL 13 and the tools support
//! 12, so FORCE is used only where the server has it ([`DropStrategy`]).
//!
//! Owning ([`Scratch`]): the run holds a session advisory lock named after the
//! scratch database on a maintenance connection whose `application_name` is the
//! scratch database's name, while the database exists. A run killed with SIGKILL
//! cannot clean up, but its connection dies with it: the next run finds scratch
//! databases whose lock it can take and whose name no session carries, knows their
//! owner is gone, drops them and reports it ([`drop_leftovers`]). A run stopped by a
//! signal or a stall drops its database on the way out; when the server does not
//! answer then (frozen), the drop is queued on that maintenance connection and the
//! server runs it when it resumes ([`DropOnStop`]). Databases of runs
//! still alive are left alone (the session check also covers a live run whose
//! maintenance connection is to another database, where its advisory lock is not
//! visible: advisory locks are per database).

use crate::catalog::{quote_ident, quote_literal};
use crate::conn::{describe_pg_error, ConnError, ConnSettings};
use crate::signals;
use postgres::Client;
use std::time::{Duration, Instant};

mod held;

pub use held::DropOnStop;
use held::Held;

/// First key of the two-key advisory locks ("prav").
const LOCK_CLASS: i32 = 0x7072_6176;

/// Name prefix of pra-verify's test restores.
pub const VERIFY_PREFIX: &str = "pra_verify_";
/// Name prefix of pra-loadtest's drill restores.
pub const DRILL_PREFIX: &str = "pra_drill_";
/// Every tool's scratch prefix: what [`sweep_leftovers`] looks at.
pub const PREFIXES: [&str; 2] = [VERIFY_PREFIX, DRILL_PREFIX];

/// Comment prefix of a scratch database kept on purpose (`--keep`): never a leftover.
const KEPT: &str = "pra: kept";

/// PostgreSQL's limit on identifiers.
const MAX_NAME: usize = 63;

/// How long sessions that are closing (ours, just disconnected) get to leave
/// before they are ended.
const GRACE: Duration = Duration::from_secs(3);

/// Client sessions in a database other than ours (autovacuum workers are DROP's business).
const OTHERS: &str = "FROM pg_stat_activity WHERE datname = $1 \
     AND pid <> pg_backend_pid() AND backend_type = 'client backend'";

/// How a database is dropped when sessions are still connected to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropStrategy {
    /// `WITH (FORCE)` on PostgreSQL 13 and newer, [`DropStrategy::Terminate`] before.
    Auto,
    /// End the remaining sessions with `pg_terminate_backend`, then a plain DROP
    /// (retried: a new session may slip in between). What PostgreSQL 12 gets.
    Terminate,
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
    /// Another live run uses a scratch database of that name.
    #[error("scratch database {0} is in use by another run")]
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

/// A scratch database name: `<prefix><stanza>_<id>`, lowercase, `[a-z0-9_]`, at most
/// 63 bytes (the stanza part is shortened, never the backup id).
pub fn scratch_name(prefix: &str, stanza: &str, id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '_',
            })
            .collect()
    };
    let id = clean(id);
    let mut stanza = clean(stanza);
    stanza.truncate(MAX_NAME.saturating_sub(prefix.len() + 1 + id.len()));
    format!("{prefix}{stanza}_{id}")
}

/// Creates the empty database `name` (from template0).
pub fn create_database(client: &mut Client, name: &str) -> Result<(), ScratchError> {
    client
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            quote_ident(name)
        ))
        .map_err(sql_err(format!("creating database {name}")))
}

fn others(client: &mut Client, name: &str) -> Result<i64, ScratchError> {
    Ok(client
        .query_one(&format!("SELECT count(*) {OTHERS}"), &[&name])
        .map_err(sql_err(format!("listing the sessions of {name}")))?
        .get(0))
}

/// Drops database `name` if it exists, from a session connected to another database
/// of the same server. Sessions still connected get [`GRACE`] to leave before they
/// are ended; close yours (and wait for your children) first, so that nothing needs
/// ending and the server logs nothing.
pub fn drop_database(
    client: &mut Client,
    name: &str,
    strategy: DropStrategy,
) -> Result<(), ScratchError> {
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(sql_err("reading the server version"))?
        .get(0);
    let force = strategy == DropStrategy::Auto && version >= 130_000;
    let started = Instant::now();
    while others(client, name)? > 0 && started.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sql = format!(
        "DROP DATABASE IF EXISTS {}{}",
        quote_ident(name),
        if force { " WITH (FORCE)" } else { "" }
    );
    let mut last = None;
    // pg_restore -j may open a new session right after we ended the others: retry.
    for _ in 0..10 {
        let ended: i64 = client
            .query_one(
                &format!("SELECT count(pg_terminate_backend(pid)) {OTHERS}"),
                &[&name],
            )
            .map_err(sql_err(format!("ending the sessions of {name}")))?
            .get(0);
        if ended > 0 {
            log::info!("ended {ended} session(s) still connected to {name}");
        }
        match client.batch_execute(&sql) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    match last {
        Some(e) => Err(sql_err(format!("dropping database {name}"))(e)),
        None => Ok(()),
    }
}

/// Connects to `server` and drops `name` ([`drop_database`], [`DropStrategy::Auto`]).
pub fn connect_and_drop(server: &ConnSettings, name: &str) -> Result<(), ScratchError> {
    drop_database(&mut server.connect()?, name, DropStrategy::Auto)
}

/// Whether a session carrying `name` as its application_name, other than ours, exists.
fn owned_elsewhere(client: &mut Client, name: &str) -> Result<bool, ScratchError> {
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .map_err(sql_err(format!("looking for the owner of {name}")))?
        .get(0);
    Ok(n > 0)
}

/// Drops the databases named `<prefix>…` whose runs are gone (their lock is free and
/// no session carries their name); returns their names.
pub fn drop_leftovers(server: &ConnSettings, prefix: &str) -> Result<Vec<String>, ScratchError> {
    let mut client = server.connect()?;
    let mut dropped = Vec::new();
    for name in orphans(&mut client, prefix)? {
        let free: bool = client
            .query_one(&lock_sql("pg_try_advisory_lock", &name), &[])
            .map_err(sql_err("taking an advisory lock"))?
            .get(0);
        if !free || owned_elsewhere(&mut client, &name)? {
            if free {
                let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
            }
            log::info!("scratch database {name} belongs to a running run; left alone");
            continue;
        }
        let result = drop_database(&mut client, &name, DropStrategy::Auto);
        let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
        result?;
        log::warn!("dropped leftover scratch database {name} of an interrupted run");
        dropped.push(name);
    }
    Ok(dropped)
}

/// The databases named `<prefix>…`, except those kept on purpose ([`Scratch::keep`]).
fn orphans(client: &mut Client, prefix: &str) -> Result<Vec<String>, ScratchError> {
    let pattern = format!("{}%", prefix.replace('_', "\\_"));
    Ok(client
        .query(
            "SELECT datname::text FROM pg_database d WHERE datname LIKE $1 \
             AND coalesce(shobj_description(d.oid, 'pg_database'), '') NOT LIKE $2 ORDER BY 1",
            &[&pattern, &format!("{KEPT}%")],
        )
        .map_err(sql_err("listing databases"))?
        .into_iter()
        .map(|r| r.get(0))
        .collect())
}

/// Drops the scratch databases of every tool ([`PREFIXES`]) whose runs are gone:
/// what a run that the server kept from cleaning up (frozen, unreachable when it
/// was stopped) left. Any run that makes scratch databases sweeps them first, so
/// nothing outlives the next such run on that server. Only failing to connect is
/// an error; a database that cannot be dropped (another role's) is logged and left.
pub fn sweep_leftovers(server: &ConnSettings) -> Result<Vec<String>, ScratchError> {
    let mut dropped = Vec::new();
    for prefix in PREFIXES {
        match drop_leftovers(server, prefix) {
            Ok(names) => dropped.extend(names),
            Err(ScratchError::Connect(e)) => return Err(ScratchError::Connect(e)),
            Err(e) => log::warn!("leftover scratch databases {prefix}*: {e}"),
        }
    }
    Ok(dropped)
}

/// A scratch database that exists while this value lives: dropped on drop, and
/// when the run stops (a signal, a stall) meanwhile ([`DropOnStop`]).
pub struct Scratch {
    server: ConnSettings,
    name: String,
    /// Its maintenance connection holds the advisory lock and carries the name
    /// that mark the database as ours.
    guard: DropOnStop,
    strategy: DropStrategy,
    dropped: bool,
}

impl Scratch {
    /// Creates the (empty) scratch database `name` on `server`, after dropping a
    /// leftover of the same name whose run is gone; [`ScratchError::Busy`] when a
    /// live run owns it.
    pub fn create(
        server: &ConnSettings,
        name: &str,
        strategy: DropStrategy,
    ) -> Result<Scratch, ScratchError> {
        let held = Held::connect(server, &server.with_application_name(name), name)?;
        {
            let mut client = held.client();
            let Some(client) = client.as_mut() else {
                return Err(ScratchError::Busy(name.to_string()));
            };
            let ours: bool = client
                .query_one(&lock_sql("pg_try_advisory_lock", name), &[])
                .map_err(sql_err("taking an advisory lock"))?
                .get(0);
            if !ours || owned_elsewhere(client, name)? {
                return Err(ScratchError::Busy(name.to_string()));
            }
        }
        // From here on a stopping run drops it, even before it exists (harmless).
        let scratch = Scratch {
            server: server.clone(),
            name: name.to_string(),
            guard: DropOnStop::arm(held),
            strategy,
            dropped: false,
        };
        let made = scratch.with_client(|client| {
            drop_database(client, name, strategy)?;
            create_database(client, name)
        })?;
        match made {
            Some(()) => Ok(scratch),
            None => Err(ScratchError::Sql {
                what: format!("creating database {name}"),
                reason: "the run is stopping".into(),
            }),
        }
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

    /// Runs `f` on the maintenance connection; when the run is stopping, leaves the
    /// server to the cleanup ([`DropOnStop`]), which copes with one that froze, and
    /// returns `Ok(None)`.
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, ScratchError>,
    ) -> Result<Option<T>, ScratchError> {
        let held = self.guard.held();
        let mut client = held.client();
        match client.as_mut() {
            // Checked with the connection taken: the cleanup spares it only when idle.
            Some(c) if !signals::stopping() => {
                let result = f(c);
                let flushed = held::owe_nothing(c);
                let value = result?;
                flushed.map(|()| Some(value))
            }
            _ => {
                drop(client);
                held.settle();
                Ok(None)
            }
        }
    }

    /// Keeps the database (`--keep`, to inspect it): marked with a comment saying
    /// so, which later sweeps ([`sweep_leftovers`]) respect; the operator drops it.
    pub fn keep(mut self, why: &str) -> Result<(), ScratchError> {
        self.dropped = true;
        let name = self.name.clone();
        self.with_client(|client| {
            let result = client
                .batch_execute(&format!(
                    "COMMENT ON DATABASE {} IS {}",
                    quote_ident(&name),
                    quote_literal(&format!("{KEPT}: {why}; drop it when done"))
                ))
                .map_err(sql_err(format!("marking {name} as kept")));
            let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
            result
        })?;
        self.guard.held().mark_dropped();
        Ok(())
    }

    fn drop_inner(&mut self) -> Result<(), ScratchError> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        let (name, strategy) = (self.name.clone(), self.strategy);
        self.with_client(|client| {
            let result = drop_database(client, &name, strategy);
            let _ = client.batch_execute(&lock_sql("pg_advisory_unlock", &name));
            result
        })?;
        self.guard.held().mark_dropped();
        Ok(())
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
        let name = |stanza, id| scratch_name("pra_verify_", stanza, id);
        assert_eq!(
            name("app", "20261125T110000Z"),
            "pra_verify_app_20261125t110000z"
        );
        assert_eq!(
            name("My-App.prod", "20261125T110000Z-1"),
            "pra_verify_my_app_prod_20261125t110000z_1"
        );
        assert_eq!(name("café", "x"), "pra_verify_caf__x");
        let long = name(&"x".repeat(100), "20261125T110000Z-12");
        assert!(long.len() <= 63, "{long}");
        assert!(long.ends_with("_20261125t110000z_12"), "{long}");
    }
}
