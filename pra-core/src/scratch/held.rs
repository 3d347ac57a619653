//! Dropping a scratch database when the run stops (a signal, a stall), also when
//! the server no longer answers: the drop is then queued on the run's own idle,
//! authenticated maintenance connection, and the server runs it when it answers
//! again, with no process left behind to retry it.
//!
//! Why this works: a new connection to a frozen server (SIGSTOP, stuck storage)
//! never gets through its startup exchange, but the connection the run holds is
//! past it. `DROP DATABASE … WITH (FORCE)` sent on it as one simple query lands in
//! the kernel's socket buffers while the server is stopped; when the server resumes,
//! its backend reads the query and runs it before it could notice that the client
//! left (nothing is written to the client until the statement ends), and FORCE ends
//! the sessions of `pg_restore` or of the load that resume at the same moment. Only
//! the drop may be queued: a query sent before it would have the backend write its
//! answer to the departed client, and die of that before reading the drop.
//!
//! The connection survives the run stopping ([`crate::conn::spare`]) only while it
//! is idle; one the main flow is using is cut like every other, and the next run
//! drops the database ([`super::sweep_leftovers`]).

use super::{connect_and_drop, sql_err, ScratchError};
use crate::catalog::quote_ident;
use crate::conn::{self, describe_pg_error, ConnSettings, Spared};
use crate::signals;
use postgres::Client;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// How long a stopping run waits for a drop from a new connection: what the server
/// needs to answer at all (a frozen one never does), well within the seconds that
/// SIGTERM allows a tool.
const FRESH_WAIT: Duration = Duration::from_millis(2500);

/// How long a queued drop gets to be written to the socket (and, from a server that
/// answers after all, to be run) before the run goes on stopping.
const QUEUE_WAIT: Duration = Duration::from_millis(400);

/// How long the cleanup tries to take the connection from the main flow, which
/// holds it only for a moment once the run is stopping.
const TAKE_WAIT: Duration = Duration::from_millis(200);

/// A maintenance connection to the server of scratch database `name`, held while
/// the database exists.
pub(super) struct Held {
    /// Where a new connection for the drop goes.
    server: ConnSettings,
    name: String,
    /// PostgreSQL 13 or newer: the queued drop ends the sessions still connected.
    force: bool,
    /// `None` once the cleanup took it to queue the drop.
    client: Mutex<Option<Client>>,
    /// The database is dropped, or its drop queued: nothing left to clean up.
    settled: Mutex<bool>,
    spared: OnceLock<Spared>,
}

impl Held {
    /// Connects with `via` (settings of `server` naming the maintenance session);
    /// the connection is spared when the run stops, while idle.
    pub(super) fn connect(
        server: &ConnSettings,
        via: &ConnSettings,
        name: &str,
    ) -> Result<Arc<Held>, ScratchError> {
        let before = conn::postgres_sockets();
        let mut client = via.connect()?;
        let ours: Vec<_> = conn::postgres_sockets()
            .into_iter()
            .filter(|s| !before.contains(s))
            .collect();
        let version: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .map_err(sql_err("reading the server version"))?
            .get(0);
        owe_nothing(&mut client)?;
        let held = Arc::new(Held {
            server: server.clone(),
            name: name.to_string(),
            force: version >= 130_000,
            client: Mutex::new(Some(client)),
            settled: Mutex::new(false),
            spared: OnceLock::new(),
        });
        // Another thread connecting at the same moment makes ours ambiguous: then
        // it is cut like the others, and the next run drops what a frozen server kept.
        match ours[..] {
            [socket] => {
                let weak: Weak<Held> = Arc::downgrade(&held);
                let _ = held.spared.set(conn::spare(socket, move || {
                    weak.upgrade().is_some_and(|h| h.is_idle())
                }));
            }
            _ => log::debug!(
                "cannot tell the maintenance connection of {name} among {} new ones",
                ours.len()
            ),
        }
        Ok(held)
    }

    /// Whether the connection is there and nobody is using it (never blocks).
    fn is_idle(&self) -> bool {
        self.client.try_lock().is_ok_and(|c| c.is_some())
    }

    /// The connection, for the main flow.
    pub(super) fn client(&self) -> MutexGuard<'_, Option<Client>> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the database was dropped.
    pub(super) fn mark_dropped(&self) {
        *self.settled.lock().unwrap_or_else(|p| p.into_inner()) = true;
    }

    /// The cleanup of a stopping run, once: drops the database from a new
    /// connection, or, when the server does not answer in time, queues the drop on
    /// the held connection. Bounded by a few seconds.
    pub(super) fn settle(&self) {
        let mut settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        if *settled {
            return;
        }
        *settled = true;
        match self.drop_fresh() {
            Ok(()) => log::warn!("dropped scratch database {}", self.name),
            Err(why) => self.queue(&why),
        }
    }

    /// [`connect_and_drop`] on a thread of its own, waited for at most [`FRESH_WAIT`].
    fn drop_fresh(&self) -> Result<(), String> {
        let (server, name) = (self.server.clone(), self.name.clone());
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("scratch-drop".into())
            .spawn(move || {
                let _ = tx.send(connect_and_drop(&server, &name));
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        match rx.recv_timeout(FRESH_WAIT) {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("the server did not answer within {FRESH_WAIT:?}")),
        }
    }

    /// Sends the drop on the held connection from a thread that may stay blocked
    /// until the process ends, and waits [`QUEUE_WAIT`] for it.
    fn queue(&self, why: &str) {
        let name = &self.name;
        let Some(mut client) = self.take() else {
            log::error!("could not drop scratch database {name} ({why}); the next run drops it");
            return;
        };
        let sql = format!(
            "DROP DATABASE IF EXISTS {}{}",
            quote_ident(name),
            if self.force { " WITH (FORCE)" } else { "" }
        );
        let (tx, rx) = mpsc::channel();
        let sent = std::thread::Builder::new()
            .name("scratch-drop-queued".into())
            .spawn(move || {
                let _ = tx.send(
                    client
                        .batch_execute(&sql)
                        .map_err(|e| describe_pg_error(&e)),
                );
            });
        if let Err(e) = sent {
            log::error!("could not drop scratch database {name} ({why}; no thread: {e}); the next run drops it");
            return;
        }
        match rx.recv_timeout(QUEUE_WAIT) {
            Ok(Ok(())) => log::warn!("dropped scratch database {name}"),
            Ok(Err(e)) => log::error!(
                "could not drop scratch database {name} ({why}; then: {e}); the next run drops it"
            ),
            Err(_) => log::warn!(
                "could not drop scratch database {name} now ({why}): drop queued on the \
                 server; it runs when the server answers again; otherwise the next run drops it"
            ),
        }
    }

    /// Takes the connection, unless the main flow keeps it busy.
    fn take(&self) -> Option<Client> {
        let started = Instant::now();
        loop {
            if let Ok(mut client) = self.client.try_lock() {
                return client.take();
            }
            if started.elapsed() > TAKE_WAIT {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Sends what the connection still owes the server, with an empty simple query: a
/// statement used and dropped leaves a Close message that goes out only with the
/// next request, and the server's answer to it would kill a backend whose client
/// left before it could read a drop queued after it. Call it before leaving the
/// connection idle.
pub(super) fn owe_nothing(client: &mut Client) -> Result<(), ScratchError> {
    client
        .batch_execute("")
        .map_err(sql_err("closing the statements used"))
}

/// Drops scratch database `name` when the run stops (SIGINT, SIGTERM, a stall),
/// while this value lives: from a new connection, or queued on a held one when
/// the server does not answer ([`Held`]). Dropping the value while the run is
/// stopping does that cleanup too, should the signal thread not have got to it.
#[must_use = "the database is no longer dropped when the run stops once this is dropped"]
pub struct DropOnStop {
    held: Arc<Held>,
    _on_signal: signals::Hook,
}

impl DropOnStop {
    /// Opens a maintenance connection to `server` (the database it names must not
    /// be `name`), then guards `name`.
    pub fn new(server: &ConnSettings, name: &str) -> Result<DropOnStop, ScratchError> {
        Ok(DropOnStop::arm(Held::connect(server, server, name)?))
    }

    /// Guards the database of `held`.
    pub(super) fn arm(held: Arc<Held>) -> DropOnStop {
        let hooked = held.clone();
        let on_signal = signals::on_signal(format!("dropping {}", held.name), move || {
            hooked.settle();
        });
        DropOnStop {
            held,
            _on_signal: on_signal,
        }
    }

    pub(super) fn held(&self) -> &Held {
        &self.held
    }
}

impl Drop for DropOnStop {
    fn drop(&mut self) {
        if signals::stopping() {
            self.held.settle();
        }
    }
}
