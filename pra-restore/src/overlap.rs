//! Row counting and ANALYZE overlapped with `pg_restore -j`: its `--verbose` stderr
//! says when each table's data is loaded (`pg_restore: finished item 3434 TABLE DATA
//! orders`), and that table is counted at once, on a connection of its own, while
//! pg_restore goes on with indexes and constraints; once every item touching a table
//! has finished (settled.rs), it is analyzed (on up to `--jobs` other connections)
//! while pg_restore works on other tables. Validation then counts and analyzes only
//! the tables not done here (validate.rs), while an ANALYZE begun here completes:
//! the overlap changes when, not whether.
//!
//! A count is one `SELECT count(*)` at a time: it holds one table's ACCESS SHARE
//! lock, waits behind pg_restore's ACCESS EXCLUSIVE ones (ADD PRIMARY KEY), and
//! never waits while holding another, so it cannot deadlock with pg_restore. Each
//! is bounded by `--stall-timeout` (`statement_timeout`); one that fails is left to
//! validation. ANALYZE of a settled table (SHARE UPDATE EXCLUSIVE) conflicts with no
//! lock pg_restore will still take on it.
//! When pg_restore fails, the statements under way are cancelled and the threads
//! end before the temporary database is dropped.

use crate::offsets::Entry;
use crate::overlap_worker::{run_each, stop, CancelSlot, ClaimSlot, Table};
use crate::settled::{done_item, Settling};
use pra_core::catalog::{count_rows, quote_ident};
use pra_core::child::{StderrTail, STDERR_LINES};
use pra_core::conn::ConnSettings;
use pra_core::manifest::TableRows;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// The table each `TABLE DATA` entry of a dump loads, by dump id.
pub(crate) type DataItems = HashMap<i64, (String, String)>;

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

/// What was done during the load: exact row counts, and the tables analyzed.
#[derive(Debug, Default)]
pub(crate) struct During {
    /// Tables counted as soon as their data was loaded.
    pub(crate) counted: Vec<TableRows>,
    /// Tables the analyzing threads took on before pg_restore ended: analyzed, or
    /// being analyzed (an ANALYZE under way goes on while validation does the rest).
    pub(crate) analyzing: Vec<Table>,
    analyzers: Vec<JoinHandle<Vec<Table>>>,
}

impl During {
    /// Waits for the ANALYZEs under way: the tables of `analyzing` that were analyzed.
    pub(crate) fn analyzed(&mut self) -> Vec<Table> {
        self.analyzers
            .drain(..)
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    }
}

impl Drop for During {
    fn drop(&mut self) {
        // No statement outlives the restore that started it.
        drop(self.analyzed());
    }
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
    /// not empty); each table of `plan` is counted in `db` on `server` when its data is
    /// loaded and analyzed when it settles (on up to `jobs` connections: tables often
    /// settle together as pg_restore ends), each statement bounded by `timeout` (0: none).
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

    /// pg_restore succeeded: what was done during the load (the statements under
    /// way complete, those not started are left to validation).
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

/// The stderr reader and the counting and analyzing threads of one `pg_restore` run.
pub(crate) struct Overlap {
    reader: JoinHandle<Vec<String>>,
    counter: JoinHandle<Vec<TableRows>>,
    analyzers: Vec<JoinHandle<Vec<Table>>>,
    /// The counter's and the analyzers'.
    claims: [ClaimSlot; 2],
    /// The counter's, then each analyzer's.
    cancels: Vec<CancelSlot>,
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
        let analyzers = settling.can_settle().min(jobs as usize).max(1);
        let (to_count, counts) = mpsc::channel::<Table>();
        let (to_analyze, analyzes) = mpsc::channel::<Table>();
        let reader = std::thread::spawn(move || {
            let mut tail = VecDeque::with_capacity(STDERR_LINES);
            for line in BufReader::new(stderr).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                log::debug!("pg_restore: {line}");
                if let Some(table) = finished_data(&line).and_then(|id| items.remove(&id)) {
                    // The counter stopped (pg_restore failed): nothing more to count.
                    let _ = to_count.send(table);
                }
                for table in done_item(&line)
                    .map(|id| settling.finished(id))
                    .unwrap_or_default()
                {
                    log::debug!("{}.{} settled: analyzed during the load", table.0, table.1);
                    let _ = to_analyze.send(table);
                }
                if !line.trim().is_empty() && !is_progress(&line) {
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
            tail.into()
        });
        let claims = [ClaimSlot::default(), ClaimSlot::default()];
        let cancels: Vec<CancelSlot> = (0..=analyzers).map(|_| CancelSlot::default()).collect();
        let worker = |claim: usize, i: usize| {
            (
                Arc::clone(&claims[claim]),
                Arc::clone(&cancels[i]),
                settings.clone(),
            )
        };
        let counter = {
            let (stop, cancel, settings) = worker(0, 0);
            std::thread::spawn(move || {
                run_each(
                    || counts.recv().ok(),
                    &settings,
                    timeout,
                    &stop,
                    &cancel,
                    |c, (schema, table)| count_rows(c, &[(schema.clone(), table.clone())]),
                )
                .into_iter()
                .flatten()
                .collect()
            })
        };
        let analyzes = Arc::new(std::sync::Mutex::new(analyzes));
        let analyzers = (1..cancels.len()).map(|i| {
            let (stop, cancel, settings) = worker(1, i);
            let analyzes = Arc::clone(&analyzes);
            std::thread::spawn(move || {
                run_each(
                    || analyzes.lock().ok()?.recv().ok(),
                    &settings,
                    timeout,
                    &stop,
                    &cancel,
                    |c, (schema, table)| {
                        let sql = format!("ANALYZE {}.{}", quote_ident(schema), quote_ident(table));
                        c.batch_execute(&sql)
                            .map(|()| (schema.clone(), table.clone()))
                    },
                )
            })
        });
        Overlap {
            reader,
            counter,
            analyzers: analyzers.collect(),
            claims,
            cancels,
        }
    }

    fn finish(self) -> During {
        // The reader ends with pg_restore's stderr. The statements under way
        // complete; tables still queued are left to validation, which works on
        // `--jobs` connections at once where these threads go one after the other.
        let _ = self.reader.join();
        stop(&self.claims[0]);
        let analyzing = stop(&self.claims[1]);
        During {
            counted: self.counter.join().unwrap_or_default(),
            analyzing,
            analyzers: self.analyzers,
        }
    }

    fn abandon(self) -> String {
        self.claims.iter().for_each(|c| drop(stop(c)));
        for cancel in &self.cancels {
            if let Ok(token) = cancel.lock() {
                if let Some(token) = token.as_ref() {
                    let _ = token.cancel_query(postgres::NoTls);
                }
            }
        }
        let tail = self.reader.join().unwrap_or_default();
        let _ = self.counter.join();
        self.analyzers.into_iter().for_each(|h| drop(h.join()));
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
