//! Row counting and ANALYZE overlapped with `pg_restore -j`: its `--verbose` stderr
//! says when each table's data is loaded (`pg_restore: finished item 3434 TABLE DATA
//! orders`), and that table is counted at once, on a connection of its own, while
//! pg_restore goes on with indexes and constraints. Once every item touching a table
//! has finished (settled.rs), the same connection analyzes it, but only while
//! pg_restore runs fewer items than its `--jobs`: ANALYZE then takes a core that
//! pg_restore leaves idle (typically while the largest table's COPY runs alone)
//! instead of slowing the critical path. Validation counts and analyzes only the
//! tables not done here (validate.rs): the overlap changes when, not whether.
//!
//! One statement at a time, on one connection. A count holds one table's ACCESS
//! SHARE lock, waits behind pg_restore's ACCESS EXCLUSIVE ones (ADD PRIMARY KEY), and
//! never waits while holding another, so it cannot deadlock with pg_restore. ANALYZE
//! of a settled table (SHARE UPDATE EXCLUSIVE) conflicts with no lock pg_restore will
//! still take on it. Each statement is bounded by `--stall-timeout`
//! (`statement_timeout`); one that fails is left to validation. When pg_restore
//! fails, the statement under way is cancelled and the thread ends before the
//! temporary database is dropped.

use crate::overlap_worker::{work, Job, Slots};
use crate::settled::{done_item, Settling};
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
use std::time::{Duration, Instant};

/// A table, as `(schema, name)`.
pub(crate) type Table = (String, String);

/// The table each `TABLE DATA` entry of a dump loads, by dump id.
type DataItems = HashMap<i64, Table>;

/// What to follow in a `pg_restore -j --verbose` run of one dump.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// The tables to count as their data lands.
    items: DataItems,
    /// The tables to analyze as they settle.
    settling: Settling,
}

impl Plan {
    /// The plan for a dump with this table of contents.
    pub(crate) fn new(toc: &[Entry]) -> Plan {
        let settling = Settling::new(toc);
        if settling.is_empty() {
            log::debug!("no table can be analyzed before pg_restore ends");
        }
        Plan {
            items: data_items(toc),
            settling,
        }
    }

    /// True when there is nothing to do during the load.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The `TABLE DATA` entries of a dump's table of contents.
fn data_items(toc: &[Entry]) -> DataItems {
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

/// What was done during the load.
#[derive(Debug, Default)]
pub(crate) struct During {
    /// Tables counted as soon as their data was loaded.
    pub(crate) counted: Vec<TableRows>,
    /// Tables analyzed once pg_restore was done with them.
    pub(crate) analyzed: Vec<Table>,
    /// Seconds waited, once pg_restore had ended, for the statement under way.
    pub(crate) finish_s: f64,
}

/// What became of pg_restore's stderr: the last lines for an error message and, with
/// counting, the tables counted and analyzed during the load.
pub(crate) enum Stderr {
    /// Only its last lines are kept.
    Tail(StderrTail),
    /// Read as it comes: finished tables are counted while pg_restore goes on.
    Counting(Overlap),
}

impl Stderr {
    /// Starts reading the stderr of `child` (spawned with `--verbose` when `plan` is
    /// not empty); each table of `plan` is counted in `db` on `server` when its data
    /// is loaded, and analyzed when it settles while pg_restore runs fewer than
    /// `jobs` items; each statement bounded by `timeout` (0: none).
    pub(crate) fn start(
        child: &mut Child,
        plan: Plan,
        server: &ConnSettings,
        db: &str,
        (jobs, timeout): (u32, Duration),
    ) -> Stderr {
        match child.stderr.take() {
            Some(err) if !plan.is_empty() => Stderr::Counting(Overlap::start(
                err,
                plan,
                server.with_dbname(db),
                (jobs, timeout),
            )),
            Some(err) => Stderr::Tail(StderrTail::collect(err, "pg_restore")),
            None => Stderr::Tail(StderrTail::from_child(child, "pg_restore")),
        }
    }

    /// pg_restore succeeded: what was done during the load (the statement under way
    /// completes, the tables not started are left to validation).
    pub(crate) fn finish(self) -> During {
        match self {
            Stderr::Tail(t) => {
                drop(t.lines());
                During::default()
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

/// The stderr reader and the worker thread of one `pg_restore` run.
pub(crate) struct Overlap {
    reader: JoinHandle<Vec<String>>,
    worker: JoinHandle<(Vec<TableRows>, Vec<Table>)>,
    stop: Arc<AtomicBool>,
    cancel: Arc<Mutex<Option<postgres::CancelToken>>>,
}

impl Overlap {
    fn start(
        stderr: ChildStderr,
        plan: Plan,
        settings: ConnSettings,
        (jobs, timeout): (u32, Duration),
    ) -> Overlap {
        let Plan {
            mut items,
            mut settling,
        } = plan;
        let slots = Arc::new(Mutex::new(Slots::new(jobs)));
        let (tx, rx) = mpsc::channel::<Job>();
        let reader = {
            let slots = Arc::clone(&slots);
            std::thread::spawn(move || {
                let mut tail = VecDeque::with_capacity(STDERR_LINES);
                for line in BufReader::new(stderr).split(b'\n') {
                    let Ok(line) = line else { break };
                    let line = String::from_utf8_lossy(&line).trim_end().to_string();
                    log::debug!("pg_restore: {line}");
                    if let Ok(mut slots) = slots.lock() {
                        slots.see(&line, Instant::now());
                    }
                    // Sends fail only when the worker stopped (pg_restore failed).
                    if let Some(table) = finished_data(&line).and_then(|id| items.remove(&id)) {
                        let _ = tx.send(Job::Count(table));
                    }
                    for table in done_item(&line)
                        .map(|id| settling.finished(id))
                        .unwrap_or_default()
                    {
                        log::debug!(
                            "{}.{} settled: analyzed when a slot is idle",
                            table.0,
                            table.1
                        );
                        let _ = tx.send(Job::Analyze(table));
                    }
                    if !line.trim().is_empty() && !is_progress(&line) {
                        if tail.len() == STDERR_LINES {
                            tail.pop_front();
                        }
                        tail.push_back(line);
                    }
                }
                tail.into()
            })
        };
        let stop = Arc::new(AtomicBool::new(false));
        let cancel = Arc::new(Mutex::new(None));
        let worker = {
            let (stop, cancel) = (Arc::clone(&stop), Arc::clone(&cancel));
            let idle = move || slots.lock().is_ok_and(|s| s.idle(Instant::now()));
            std::thread::spawn(move || work(&rx, &settings, timeout, idle, (&stop, &cancel)))
        };
        Overlap {
            reader,
            worker,
            stop,
            cancel,
        }
    }

    fn finish(self) -> During {
        // The reader ends with pg_restore's stderr. The statement under way
        // completes; tables still queued are left to validation, which works on
        // `--jobs` connections at once where this thread goes one after the other.
        let _ = self.reader.join();
        let waiting = Instant::now();
        self.stop.store(true, Ordering::SeqCst);
        let (counted, analyzed) = self.worker.join().unwrap_or_default();
        During {
            counted,
            analyzed,
            finish_s: waiting.elapsed().as_secs_f64(),
        }
    }

    fn abandon(self) -> String {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(token) = self.cancel.lock() {
            if let Some(token) = token.as_ref() {
                let _ = token.cancel_query(postgres::NoTls);
            }
        }
        let tail = self.reader.join().unwrap_or_default();
        let _ = self.worker.join();
        tail.join(" | ")
    }
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
