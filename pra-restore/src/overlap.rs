//! Row counting overlapped with `pg_restore -j`: its `--verbose` stderr says when
//! each table's data is loaded (`pg_restore: finished item 3434 TABLE DATA orders`),
//! and that table is counted at once, on a connection of its own, while pg_restore
//! goes on with indexes and constraints. Validation then counts only the tables not
//! counted here (validate.rs): the overlap changes when a table is counted, not
//! whether.
//!
//! A count is one `SELECT count(*)` at a time: it holds one table's ACCESS SHARE
//! lock, waits behind pg_restore's ACCESS EXCLUSIVE ones (ADD PRIMARY KEY), and
//! never waits while holding another, so it cannot deadlock with pg_restore. Each
//! is bounded by `--stall-timeout` (`statement_timeout`); one that fails is left to
//! validation. When pg_restore fails, the count under way is cancelled and the
//! thread ends before the temporary database is dropped.

use pra_core::catalog::count_rows;
use pra_core::child::{StderrTail, STDERR_LINES};
use pra_core::conn::ConnSettings;
use pra_core::dumpscan::Entry;
use pra_core::manifest::TableRows;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The table each `TABLE DATA` entry of a dump loads, by dump id.
pub(crate) type DataItems = HashMap<i64, (String, String)>;

/// The `TABLE DATA` entries of a dump's table of contents.
pub(crate) fn data_items(toc: &[Entry]) -> DataItems {
    toc.iter()
        .filter(|e| e.desc == "TABLE DATA" && !e.namespace.is_empty() && !e.tag.is_empty())
        .map(|e| (e.dump_id, (e.namespace.clone(), e.tag.clone())))
        .collect()
}

/// The dump id of the `TABLE DATA` item a `pg_restore -j --verbose` line says is done.
fn finished_data(line: &str) -> Option<i64> {
    let rest = line.strip_prefix("pg_restore: finished item ")?;
    let (id, what) = rest.split_once(' ')?;
    if what.starts_with("TABLE DATA ") {
        id.parse().ok()
    } else {
        None
    }
}

/// True for a `--verbose` line that only reports progress: kept out of the lines an
/// error message quotes, which would otherwise be all "launching item" and "finished
/// item" (`from TOC entry` is the context of an error, kept).
fn is_progress(line: &str) -> bool {
    line.strip_prefix("pg_restore: ").is_some_and(|rest| {
        !["error:", "warning:", "detail:", "hint:", "from TOC entry"]
            .iter()
            .any(|p| rest.starts_with(p))
    })
}

/// What became of pg_restore's stderr: the last lines for an error message and, with
/// counting, the tables counted during the load.
pub(crate) enum Stderr {
    /// Only its last lines are kept.
    Tail(StderrTail),
    /// Read as it comes: finished tables are counted while pg_restore goes on.
    Counting(Overlap),
}

impl Stderr {
    /// Starts reading the stderr of `child` (spawned with `--verbose` when `items` is
    /// not empty); each finished table of `items` is counted in `db` on `server`, each
    /// count bounded by `timeout` (0: none).
    pub(crate) fn start(
        child: &mut Child,
        items: DataItems,
        server: &ConnSettings,
        db: &str,
        timeout: Duration,
    ) -> Stderr {
        match child.stderr.take() {
            Some(err) if !items.is_empty() => {
                Stderr::Counting(Overlap::start(err, items, server.with_dbname(db), timeout))
            }
            Some(err) => Stderr::Tail(StderrTail::collect(err, "pg_restore")),
            None => Stderr::Tail(StderrTail::from_child(child, "pg_restore")),
        }
    }

    /// pg_restore succeeded: the counts made during the load (the one under way
    /// completes, those not started are left to validation).
    pub(crate) fn finish(self) -> Vec<TableRows> {
        match self {
            Stderr::Tail(t) => {
                drop(t.lines());
                Vec::new()
            }
            Stderr::Counting(o) => o.finish(),
        }
    }

    /// pg_restore failed: stops counting, returns the last lines of its stderr.
    pub(crate) fn abandon(self) -> String {
        match self {
            Stderr::Tail(t) => t.join(" | "),
            Stderr::Counting(o) => o.abandon(),
        }
    }
}

/// The stderr reader and the counting thread of one `pg_restore` run.
pub(crate) struct Overlap {
    reader: JoinHandle<Vec<String>>,
    counter: JoinHandle<Vec<TableRows>>,
    stop: Arc<AtomicBool>,
    cancel: Arc<Mutex<Option<postgres::CancelToken>>>,
}

impl Overlap {
    fn start(
        stderr: ChildStderr,
        mut items: DataItems,
        settings: ConnSettings,
        timeout: Duration,
    ) -> Overlap {
        let (tx, rx) = mpsc::channel::<(String, String)>();
        let reader = std::thread::spawn(move || {
            let mut tail = VecDeque::with_capacity(STDERR_LINES);
            for line in BufReader::new(stderr).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                log::debug!("pg_restore: {line}");
                if let Some(table) = finished_data(&line).and_then(|id| items.remove(&id)) {
                    // The counter stopped (pg_restore failed): nothing more to count.
                    let _ = tx.send(table);
                } else if !line.trim().is_empty() && !is_progress(&line) {
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
            tail.into()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let cancel = Arc::new(Mutex::new(None));
        let counter = {
            let (stop, cancel) = (Arc::clone(&stop), Arc::clone(&cancel));
            std::thread::spawn(move || count_loaded(&rx, &settings, timeout, &stop, &cancel))
        };
        Overlap {
            reader,
            counter,
            stop,
            cancel,
        }
    }

    fn finish(self) -> Vec<TableRows> {
        // The reader ends with pg_restore's stderr. The count under way completes;
        // tables still queued are left to validation, which counts on `--jobs`
        // connections at once where this thread would count one after the other.
        let _ = self.reader.join();
        self.stop.store(true, Ordering::SeqCst);
        self.counter.join().unwrap_or_default()
    }

    fn abandon(self) -> String {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(token) = self.cancel.lock() {
            if let Some(token) = token.as_ref() {
                let _ = token.cancel_query(postgres::NoTls);
            }
        }
        let tail = self.reader.join().unwrap_or_default();
        let _ = self.counter.join();
        tail.join(" | ")
    }
}

/// The counting thread: counts each table it is sent, until the sender ends or
/// `stop` is set; what fails is left to validation.
fn count_loaded(
    tables: &mpsc::Receiver<(String, String)>,
    settings: &ConnSettings,
    timeout: Duration,
    stop: &AtomicBool,
    cancel: &Mutex<Option<postgres::CancelToken>>,
) -> Vec<TableRows> {
    let mut counted = Vec::new();
    let mut client: Option<postgres::Client> = None;
    for (schema, table) in tables {
        if stop.load(Ordering::SeqCst) {
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
                    log::info!("tables left to validation to count: {e}");
                    break;
                }
            },
        };
        match count_rows(c, &[(schema.clone(), table.clone())]) {
            Ok(rows) => counted.extend(rows),
            Err(e) => {
                log::info!(
                    "{schema}.{table} left to validation to count: {}",
                    pra_core::conn::describe_pg_error(&e)
                );
                if c.is_closed() {
                    break;
                }
            }
        }
    }
    counted
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_table_data_lines_are_recognised() {
        // The lines of PostgreSQL 15's pg_restore -j --verbose.
        assert_eq!(
            finished_data("pg_restore: finished item 3434 TABLE DATA documents"),
            Some(3434)
        );
        assert_eq!(
            finished_data("pg_restore: finished item 12 TABLE DATA my table"),
            Some(12)
        );
        for other in [
            "pg_restore: launching item 3434 TABLE DATA documents",
            "pg_restore: finished item 3277 CONSTRAINT documents documents_pkey",
            "pg_restore: finished item 3271 INDEX leases_tenant_id_idx",
            "pg_restore: finished item x TABLE DATA t",
            "pg_restore: finished main parallel loop",
        ] {
            assert_eq!(finished_data(other), None, "{other}");
        }
    }

    #[test]
    fn progress_lines_stay_out_of_the_error_tail() {
        for progress in [
            "pg_restore: launching item 3434 TABLE DATA documents",
            "pg_restore: creating TABLE \"public.documents\"",
            "pg_restore: entering main parallel loop",
        ] {
            assert!(is_progress(progress), "{progress}");
        }
        for kept in [
            "pg_restore: error: could not execute query: ERROR:  relation exists",
            "pg_restore: from TOC entry 215; 1259 16390 TABLE t postgres",
            "pg_restore: warning: errors ignored on restore: 1",
            "Command was: CREATE TABLE public.t (id integer);",
        ] {
            assert!(!is_progress(kept), "{kept}");
        }
    }
}
