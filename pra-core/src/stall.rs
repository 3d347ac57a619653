//! Stalls: a dump, restore, upload or download that makes no progress for
//! `--stall-timeout` ([`STALL_TIMEOUT_ENV`], default [`DEFAULT_STALL_TIMEOUT`]) is an
//! error, not a wait. The streaming loops bump a [`Progress`] counter; a [`Watchdog`]
//! thread notices when it has not moved for the timeout and stops the run through
//! the same path as a signal ([`crate::signals::abort`]: connections to PostgreSQL
//! shut down, children stopped, scratch databases dropped). The main flow then fails
//! with [`Stalled`] (class `timeout`, exit 3), whatever it was blocked on.
//!
//! Only the streaming phases are watched: waiting for a lock with `--wait` is not a
//! stall, and a slow dump that moves is not one either.

use crate::error_class::ErrorClass;
use crate::exit::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The environment variable of `--stall-timeout`.
pub const STALL_TIMEOUT_ENV: &str = "PRA_STALL_TIMEOUT";

/// The stall timeout when none is given: long enough for a server busy with a big
/// table's first rows, short enough that a frozen one is noticed within the hour.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(600);

/// A phase made no progress for its timeout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stalled: {what} made no progress for {}", crate::time::format_duration(*.after))]
pub struct Stalled {
    /// The phase (`pg_dump of app`, `pg_restore into app`).
    pub what: String,
    /// How long it went without progress.
    pub after: Duration,
}

impl ExitStatus for Stalled {
    fn class(&self) -> ErrorClass {
        ErrorClass::Timeout
    }
}

/// The stall of this run, once there was one.
static STALLED: Mutex<Option<Stalled>> = Mutex::new(None);

/// The stall that stopped this run, if any.
pub fn stalled() -> Option<Stalled> {
    STALLED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Fails with [`Stalled`] once a watchdog found a stall.
pub fn check() -> Result<(), Stalled> {
    stalled().map_or(Ok(()), Err)
}

/// What stopped a run before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT or SIGTERM.
    Signal(i32),
    /// A watchdog found a stall.
    Stall(Stalled),
}

/// Why the run is stopping, if it is: an error seen afterwards (a killed child, a
/// connection shut down) is only its consequence, and is reported as it.
pub fn stop_reason() -> Option<Stop> {
    crate::signals::pending()
        .map(Stop::Signal)
        .or_else(|| stalled().map(Stop::Stall))
}

/// `e`, or what stopped the run when a signal or a stall did: the error seen then
/// (a killed child, a connection shut down) is only its consequence. `signal` and
/// `stall` build the tool's own error for each.
pub fn blame<E: ExitStatus + std::fmt::Display>(
    e: E,
    signal: impl FnOnce(i32) -> E,
    stall: impl FnOnce(Stalled) -> E,
) -> E {
    if e.signal().is_some() || e.class() == ErrorClass::Timeout {
        return e;
    }
    match stop_reason() {
        Some(stop) => {
            log::debug!("after {stop:?}: {e}");
            match stop {
                Stop::Signal(sig) => signal(sig),
                Stop::Stall(s) => stall(s),
            }
        }
        None => e,
    }
}

/// A progress counter for a watched phase; cheap to clone and to bump.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Records progress (bytes or items; only the change matters).
    pub fn bump(&self, n: u64) {
        self.0.fetch_add(n.max(1), Ordering::Relaxed);
    }

    fn value(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

type Source = Box<dyn Fn() -> u64 + Send>;

/// Watches a [`Progress`] counter while it lives; dropping it ends the watch.
pub struct Watchdog {
    progress: Progress,
    done: Arc<AtomicBool>,
    /// A child whose I/O (with its descendants') counts as progress; 0 for none.
    child: Arc<AtomicU32>,
    /// Another count whose change is progress ([`Watchdog::with_source`]).
    source: Arc<Mutex<Option<Source>>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching `what` (named in the error) with `timeout`. A zero timeout
    /// watches nothing.
    pub fn start(what: impl Into<String>, timeout: Duration) -> Watchdog {
        let progress = Progress::default();
        let done = Arc::new(AtomicBool::new(false));
        let child = Arc::new(AtomicU32::new(0));
        let source: Arc<Mutex<Option<Source>>> = Arc::new(Mutex::new(None));
        let thread = (!timeout.is_zero())
            .then(|| {
                let (progress, done, what) = (progress.clone(), done.clone(), what.into());
                let (child, source) = (child.clone(), source.clone());
                let value = move || {
                    let extra = source
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .as_ref()
                        .map_or(0, |f| f());
                    progress
                        .value()
                        .wrapping_add(tree_io(child.load(Ordering::SeqCst)))
                        .wrapping_add(extra)
                };
                std::thread::Builder::new()
                    .name("stall-watchdog".into())
                    .spawn(move || watch(&what, timeout, &value, &done))
                    .map_err(|e| log::warn!("cannot start the stall watchdog: {e}"))
                    .ok()
            })
            .flatten();
        Watchdog {
            progress,
            done,
            child,
            source,
            thread,
        }
    }

    /// Starts watching `what` with `timeout`, where a change of `source()` (a count
    /// kept elsewhere: transactions committed by a load) also counts as progress.
    pub fn with_source(
        what: impl Into<String>,
        timeout: Duration,
        source: impl Fn() -> u64 + Send + 'static,
    ) -> Watchdog {
        let dog = Watchdog::start(what, timeout);
        *dog.source.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(source));
        dog
    }

    /// Counts the I/O of process `pid` and its descendants as progress (`pg_restore
    /// -j`, whose workers talk to the server while we only wait): reading its input
    /// or talking to the server moves; a child blocked on a frozen server does not.
    pub fn watch_process(&self, pid: u32) {
        self.child.store(pid, Ordering::SeqCst);
    }

    /// The counter the watched loop bumps.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // Wakes it from its tick: a phase's end must not wait up to 250 ms (a
            // backup drops several watchdogs, issue 23).
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The watchdog's loop: a short tick so that dropping the watchdog is quick.
fn watch(what: &str, timeout: Duration, value: &dyn Fn() -> u64, done: &AtomicBool) {
    let tick = (timeout / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
    let mut seen = value();
    let mut since = Instant::now();
    while !done.load(Ordering::SeqCst) {
        // Unparked by the drop; an early (spurious) wake only samples sooner.
        std::thread::park_timeout(tick);
        if done.load(Ordering::SeqCst) {
            break;
        }
        let now = value();
        if now != seen {
            seen = now;
            since = Instant::now();
        } else if since.elapsed() >= timeout && !crate::signals::stopping() {
            let stall = Stalled {
                what: what.to_string(),
                after: timeout,
            };
            *STALLED.lock().unwrap_or_else(|p| p.into_inner()) = Some(stall.clone());
            crate::signals::abort(&stall.to_string());
            return;
        }
    }
}

/// Bytes read and written (`rchar` + `wchar` of `/proc/<pid>/io`, sockets and pipes
/// included) by `pid` and its descendants; 0 for pid 0.
fn tree_io(pid: u32) -> u64 {
    if pid == 0 {
        return 0;
    }
    let mut total = 0u64;
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        if let Ok(io) = std::fs::read_to_string(format!("/proc/{p}/io")) {
            total = io
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("rchar: ")
                        .or_else(|| l.strip_prefix("wchar: "))
                })
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .fold(total, u64::wrapping_add);
        }
        let tasks = std::fs::read_dir(format!("/proc/{p}/task"))
            .into_iter()
            .flatten();
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            todo.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moving_counter_is_not_a_stall() {
        let dog = Watchdog::start("moving", Duration::from_millis(300));
        let p = dog.progress();
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(60));
            p.bump(1);
        }
        drop(dog);
        // A stall would stop every test of this binary: the stalled path itself is
        // exercised by the tools' frozen-server tests.
        assert_eq!(stalled(), None);
        assert!(check().is_ok());
    }

    #[test]
    fn a_process_tree_io_is_counted() {
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "head -c 100000 /dev/zero | cat >/dev/null; exec sleep 5",
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let io = tree_io(child.id());
        let _ = child.kill();
        let _ = child.wait();
        // The shell's own reads, and its children's (reaped ones are added to it).
        // `exec`: the kill reaches the sleep, which would otherwise outlive the test
        // holding its output pipes (nextest's LEAK).
        assert!(io > 0, "{io}");
        assert_eq!(tree_io(0), 0);
    }

    #[test]
    fn the_error_names_the_phase_and_is_a_timeout() {
        let s = Stalled {
            what: "pg_dump of app".into(),
            after: Duration::from_secs(5),
        };
        assert!(
            s.to_string().contains("pg_dump of app made no progress"),
            "{s}"
        );
        assert_eq!(s.class(), ErrorClass::Timeout);
    }
}
