//! The threads that work on the temporary database while `pg_restore -j` goes on
//! (overlap.rs): each runs one kind of statement, table after table, on a
//! connection of its own, and can be stopped between two tables.

use pra_core::conn::ConnSettings;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A table, as `(schema, name)`.
pub(crate) type Table = (String, String);

/// Where a worker registers the cancel token of its connection.
pub(crate) type CancelSlot = Arc<Mutex<Option<postgres::CancelToken>>>;

/// The tables a worker took on, and whether it may take more.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    stopped: bool,
    tables: Vec<Table>,
}

/// Shared between a worker and the thread that stops it.
pub(crate) type ClaimSlot = Arc<Mutex<Claims>>;

/// Lets the worker take no more tables; returns those it took.
pub(crate) fn stop(claims: &ClaimSlot) -> Vec<Table> {
    claims
        .lock()
        .map(|mut c| {
            c.stopped = true;
            c.tables.clone()
        })
        .unwrap_or_default()
}

/// A worker thread: runs `job` on each table `next` gives, on a connection of its
/// own, until `next` ends or it is stopped; what fails is left to validation.
pub(crate) fn run_each<T>(
    mut next: impl FnMut() -> Option<Table>,
    settings: &ConnSettings,
    timeout: Duration,
    claims: &Mutex<Claims>,
    cancel: &Mutex<Option<postgres::CancelToken>>,
    mut job: impl FnMut(&mut postgres::Client, &Table) -> Result<T, postgres::Error>,
) -> Vec<T> {
    let mut done = Vec::new();
    let mut client: Option<postgres::Client> = None;
    while let Some(t) = next() {
        let taken = claims.lock().is_ok_and(|mut c| {
            if !c.stopped {
                c.tables.push(t.clone());
            }
            !c.stopped
        });
        if !taken {
            break;
        }
        let c = match client.as_mut() {
            Some(c) => c,
            None => match connect(settings, timeout) {
                Ok(c) => {
                    if let Ok(mut slot) = cancel.lock() {
                        *slot = Some(c.cancel_token());
                    }
                    client.insert(c)
                }
                Err(e) => {
                    log::info!("tables left to validation: {e}");
                    break;
                }
            },
        };
        match job(c, &t) {
            Ok(d) => done.push(d),
            Err(e) => {
                log::info!(
                    "{}.{} left to validation: {}",
                    t.0,
                    t.1,
                    pra_core::conn::describe_pg_error(&e)
                );
                if c.is_closed() {
                    break;
                }
            }
        }
    }
    done
}

/// A connection for counting, each statement bounded by `timeout` (0: none).
fn connect(settings: &ConnSettings, timeout: Duration) -> Result<postgres::Client, String> {
    let mut c = settings.connect().map_err(|e| e.to_string())?;
    let ms = timeout.as_millis();
    if ms > 0 {
        c.batch_execute(&format!("SET statement_timeout = {ms}"))
            .map_err(|e| pra_core::conn::describe_pg_error(&e))?;
    }
    Ok(c)
}
