//! The worker thread of overlap.rs: one connection to the temporary database that
//! counts each table as soon as its data is loaded and analyzes each settled table
//! while `pg_restore -j` leaves one of its slots idle, one statement at a time.

use crate::overlap::Table;
use pra_core::catalog::{count_rows, quote_ident};
use pra_core::conn::ConnSettings;
use pra_core::manifest::TableRows;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// How often the worker looks again whether pg_restore left a slot idle, while a
/// settled table waits for one.
const IDLE_POLL: Duration = Duration::from_millis(20);

/// pg_restore's parallel slots as its `--verbose` lines tell them: a slot is idle
/// when it runs fewer items than its jobs, and only once that has lasted
/// [`IDLE_SETTLE`] is the idle core ours to take: between an item's end and the
/// next item's launch a slot is free for a moment only.
#[derive(Debug)]
pub(crate) struct Slots {
    jobs: usize,
    /// Items its workers run now.
    running: usize,
    /// Since when fewer than `jobs` run.
    idle_since: Option<Instant>,
    /// Its parallel part ended: it will soon exit, and validation analyzes what is
    /// left on `--jobs` connections at once.
    ended: bool,
}

/// How long a slot must have stayed idle before an ANALYZE takes its core.
const IDLE_SETTLE: Duration = Duration::from_millis(100);

impl Slots {
    pub(crate) fn new(jobs: u32) -> Slots {
        Slots {
            jobs: jobs.max(1) as usize,
            running: 0,
            idle_since: None,
            ended: false,
        }
    }

    /// Follows one line of `pg_restore -j --verbose`, read at `now`.
    pub(crate) fn see(&mut self, line: &str, now: Instant) {
        match line.strip_prefix("pg_restore: ") {
            Some(rest) if rest.starts_with("launching item ") => self.running += 1,
            Some(rest) if rest.starts_with("finished item ") => {
                self.running = self.running.saturating_sub(1);
            }
            Some("finished main parallel loop") => self.ended = true,
            _ => return,
        }
        if self.running >= self.jobs {
            self.idle_since = None;
        } else if self.idle_since.is_none() {
            self.idle_since = Some(now);
        }
    }

    /// True when a slot has been idle for [`IDLE_SETTLE`] at `now`, in the parallel
    /// part.
    pub(crate) fn idle(&self, now: Instant) -> bool {
        !self.ended
            && self
                .idle_since
                .is_some_and(|t| now.saturating_duration_since(t) >= IDLE_SETTLE)
    }
}

/// What the stderr reader hands the worker.
pub(crate) enum Job {
    /// A table whose data is loaded.
    Count(Table),
    /// A table pg_restore is done with.
    Analyze(Table),
}

/// The worker thread: counts each table as it is sent, and analyzes each settled
/// one while `idle()` says pg_restore leaves a slot idle and no count waits; until
/// the sender ends or `stop` is set. What fails is left to validation.
pub(crate) fn work(
    jobs: &mpsc::Receiver<Job>,
    settings: &ConnSettings,
    timeout: Duration,
    idle: impl Fn() -> bool,
    (stop, cancel): (&AtomicBool, &Mutex<Option<postgres::CancelToken>>),
) -> (Vec<TableRows>, Vec<Table>) {
    let (mut counted, mut analyzed) = (Vec::new(), Vec::new());
    let (mut to_count, mut to_analyze) = (VecDeque::new(), VecDeque::new());
    let mut client: Option<postgres::Client> = None;
    loop {
        let next = if to_count.is_empty() && to_analyze.is_empty() {
            jobs.recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else if to_count.is_empty() {
            jobs.recv_timeout(IDLE_POLL)
        } else {
            jobs.try_recv().map_err(|e| match e {
                mpsc::TryRecvError::Empty => mpsc::RecvTimeoutError::Timeout,
                mpsc::TryRecvError::Disconnected => mpsc::RecvTimeoutError::Disconnected,
            })
        };
        match next {
            Ok(Job::Count(t)) => to_count.push_back(t),
            Ok(Job::Analyze(t)) => to_analyze.push_back(t),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // pg_restore ended: what is queued is validation's.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let job = match to_count.pop_front() {
            Some(t) => Job::Count(t),
            None if idle() => match to_analyze.pop_front() {
                Some(t) => Job::Analyze(t),
                None => continue,
            },
            None => continue,
        };
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
        let (done, (schema, table)) = match job {
            Job::Count(t) => (
                count_rows(c, std::slice::from_ref(&t)).map(|rows| counted.extend(rows)),
                t,
            ),
            Job::Analyze(t) => {
                let sql = format!("ANALYZE {}.{}", quote_ident(&t.0), quote_ident(&t.1));
                let done = c.batch_execute(&sql);
                if done.is_ok() {
                    analyzed.push(t.clone());
                }
                (done, t)
            }
        };
        if let Err(e) = done {
            log::info!(
                "{schema}.{table} left to validation: {}",
                pra_core::conn::describe_pg_error(&e)
            );
            if c.is_closed() {
                break;
            }
        }
    }
    (counted, analyzed)
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
    fn a_slot_is_idle_once_it_stayed_free_for_a_while() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut s = Slots::new(2);
        // The lines of PostgreSQL 15's pg_restore -j 2 --verbose.
        s.see("pg_restore: entering main parallel loop", at(0));
        s.see("pg_restore: launching item 3432 TABLE DATA payments", at(0));
        s.see(
            "pg_restore: launching item 3434 TABLE DATA documents",
            at(1),
        );
        assert!(!s.idle(at(500)));
        // One item ends and the next is launched at once: never idle.
        s.see(
            "pg_restore: finished item 3434 TABLE DATA documents",
            at(600),
        );
        assert!(!s.idle(at(650)));
        s.see(
            "pg_restore: launching item 3277 CONSTRAINT documents documents_pkey",
            at(651),
        );
        assert!(!s.idle(at(900)));
        // Nothing left to launch beside the long COPY: idle after IDLE_SETTLE.
        s.see(
            "pg_restore: finished item 3277 CONSTRAINT documents documents_pkey",
            at(1000),
        );
        s.see("pg_restore: processing item 226 TABLE documents", at(1001));
        assert!(!s.idle(at(1050)));
        assert!(s.idle(at(1100)));
        s.see(
            "pg_restore: finished item 3432 TABLE DATA payments",
            at(2000),
        );
        assert!(s.idle(at(2000)), "still idle since 1000");
        s.see(
            "pg_restore: launching item 3272 INDEX payments_lease_id_idx",
            at(2001),
        );
        s.see(
            "pg_restore: launching item 3273 INDEX payments_paid_at_idx",
            at(2002),
        );
        assert!(!s.idle(at(3000)));
        s.see(
            "pg_restore: finished item 3273 INDEX payments_paid_at_idx",
            at(3001),
        );
        s.see(
            "pg_restore: finished item 3272 INDEX payments_lease_id_idx",
            at(3002),
        );
        assert!(s.idle(at(3200)));
        // The parallel part ended: what is left is validation's.
        s.see("pg_restore: finished main parallel loop", at(3300));
        assert!(!s.idle(at(4000)));
    }
}
