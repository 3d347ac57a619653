//! The load generator: `--clients` threads, each with its own connection, run the
//! workload's transaction in a loop and record every latency in bounded memory
//! (one histogram per phase and one for the current second, per client). A
//! sampler thread turns each second into a timeline point (TPS, p95) and, on a
//! terminal, shows progress on stderr.

use crate::histogram::Histogram;
use crate::workload::{run_transaction, Rng, Workload};
use crate::Error;
use pra_core::conn::ConnSettings;
use pra_core::event::kinds::{LoadPhase, TimelinePoint};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The phases of the load, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the backup.
    Baseline = 0,
    /// While the backup runs.
    Backup = 1,
    /// After the backup, until the end of the drill.
    After = 2,
}

impl Phase {
    /// All phases, in order.
    pub const ALL: [Phase; 3] = [Phase::Baseline, Phase::Backup, Phase::After];

    /// The name in events and reports.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Baseline => "baseline",
            Phase::Backup => "backup",
            Phase::After => "after",
        }
    }

    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Baseline,
            1 => Phase::Backup,
            _ => Phase::After,
        }
    }
}

/// What one client thread has recorded.
#[derive(Default)]
struct ClientStats {
    phases: [Histogram; 3],
    failed: [u64; 3],
    second: Histogram,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A client thread that panicked cannot have left the counters half-updated in a
    // way that matters for statistics; keep measuring.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// State shared by the clients, the sampler and the drill.
struct Shared {
    stop: AtomicBool,
    phase: AtomicU8,
    committed: AtomicU64,
    clients: Vec<Mutex<ClientStats>>,
    timeline: Mutex<Vec<TimelinePoint>>,
    /// What the drill is doing, for the progress line.
    activity: Mutex<String>,
    /// The first transaction error, in the server's words.
    first_error: Mutex<Option<String>>,
}

/// A running load.
pub struct Load {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    sampler: Option<JoinHandle<()>>,
    started: Instant,
    phase_started: [Option<Instant>; 3],
}

/// The load's figures once stopped.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Per phase: baseline, during the backup, after it.
    pub phases: [LoadPhase; 3],
    /// Per-second points.
    pub timeline: Vec<TimelinePoint>,
    /// All committed transactions.
    pub transactions: u64,
    /// All failed transactions.
    pub failed: u64,
}

impl Load {
    /// Connects `clients` sessions (failing early if one cannot) and starts them.
    pub fn start(
        settings: &ConnSettings,
        clients: u32,
        workload: Arc<Workload>,
        progress: bool,
    ) -> Result<Load, Error> {
        let mut conns = Vec::new();
        for _ in 0..clients {
            conns.push(settings.connect()?);
        }
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            phase: AtomicU8::new(Phase::Baseline as u8),
            committed: AtomicU64::new(0),
            clients: (0..clients)
                .map(|_| Mutex::new(ClientStats::default()))
                .collect(),
            timeline: Mutex::new(Vec::new()),
            activity: Mutex::new("baseline".to_string()),
            first_error: Mutex::new(None),
        });
        let started = Instant::now();
        let mut threads = Vec::new();
        for (i, client) in conns.into_iter().enumerate() {
            let shared = Arc::clone(&shared);
            let workload = Arc::clone(&workload);
            let settings = settings.clone();
            threads.push(std::thread::spawn(move || {
                client_loop(i, client, &workload, &settings, &shared)
            }));
        }
        let sampler = {
            let shared = Arc::clone(&shared);
            Some(std::thread::spawn(move || {
                sample_loop(&shared, started, progress)
            }))
        };
        Ok(Load {
            shared,
            threads,
            sampler,
            started,
            phase_started: [Some(started), None, None],
        })
    }

    /// Seconds since the load started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Switches the phase transactions are counted in (at their commit).
    pub fn set_phase(&mut self, phase: Phase) {
        self.phase_started[phase as usize] = Some(Instant::now());
        self.shared.phase.store(phase as u8, Ordering::SeqCst);
    }

    /// Says what the drill is doing, for the progress line.
    pub fn set_activity(&self, what: &str) {
        *lock(&self.shared.activity) = what.to_string();
    }

    /// Transactions committed so far.
    pub fn committed(&self) -> u64 {
        self.shared.committed.load(Ordering::Relaxed)
    }

    /// The committed count, readable from another thread (a stall watchdog's source).
    pub fn committed_source(&self) -> impl Fn() -> u64 + Send + 'static {
        let shared = Arc::clone(&self.shared);
        move || shared.committed.load(Ordering::Relaxed)
    }

    /// The first transaction error, if any.
    pub fn first_error(&self) -> Option<String> {
        lock(&self.shared.first_error).clone()
    }

    /// Stops the clients and returns the figures.
    pub fn stop(mut self) -> LoadResult {
        let stopped = Instant::now();
        self.shared.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(s) = self.sampler.take() {
            let _ = s.join();
        }
        let mut result = LoadResult::default();
        for phase in Phase::ALL {
            let mut hist = Histogram::default();
            let mut failed = 0;
            for c in &self.shared.clients {
                let c = lock(c);
                hist.merge(&c.phases[phase as usize]);
                failed += c.failed[phase as usize];
            }
            // A phase lasts until the next one that started, or the stop.
            let begin = self.phase_started[phase as usize];
            let end = Phase::ALL[phase as usize + 1..]
                .iter()
                .find_map(|p| self.phase_started[*p as usize])
                .unwrap_or(stopped);
            let duration_s = begin.map_or(0.0, |b| end.saturating_duration_since(b).as_secs_f64());
            result.phases[phase as usize] = phase_figures(&hist, failed, duration_s);
            result.transactions += hist.count();
            result.failed += failed;
        }
        result.timeline = std::mem::take(&mut *lock(&self.shared.timeline));
        result
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // Never leave client threads running behind a failed drill.
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

/// Throughput and percentiles of one phase.
pub fn phase_figures(hist: &Histogram, failed: u64, duration_s: f64) -> LoadPhase {
    LoadPhase {
        duration_s,
        transactions: hist.count(),
        failed_transactions: failed,
        tps: if duration_s > 0.0 {
            hist.count() as f64 / duration_s
        } else {
            0.0
        },
        p50_s: hist.quantile_s(0.50),
        p95_s: hist.quantile_s(0.95),
        p99_s: hist.quantile_s(0.99),
        max_s: hist.max_s(),
    }
}

fn client_loop(
    index: usize,
    mut client: postgres::Client,
    workload: &Workload,
    settings: &ConnSettings,
    shared: &Shared,
) {
    let mut rng = Rng::seeded(index as u64 + 1);
    let mut errors = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        let t0 = Instant::now();
        let outcome = run_transaction(&mut client, workload, &mut rng);
        let latency = t0.elapsed();
        let phase = shared.phase.load(Ordering::SeqCst) as usize;
        match outcome {
            Ok(()) => {
                let mut stats = lock(&shared.clients[index]);
                stats.phases[phase].record(latency);
                stats.second.record(latency);
                drop(stats);
                shared.committed.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                lock(&shared.clients[index]).failed[phase] += 1;
                errors += 1;
                let why = pra_core::conn::describe_pg_error(&e);
                if errors <= 3 {
                    log::warn!("client {}: transaction failed: {why}", index + 1);
                }
                lock(&shared.first_error).get_or_insert(why);
                if client.is_closed() {
                    // The server went away or killed us: reconnect, as an application would.
                    match reconnect(settings, shared) {
                        Some(c) => client = c,
                        None => return,
                    }
                } else {
                    // Deadlocks, serialization failures: back off a little before retrying.
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
}

fn reconnect(settings: &ConnSettings, shared: &Shared) -> Option<postgres::Client> {
    // A stopping run (a signal, a stall) does not reconnect: each attempt on a frozen
    // server would hold the load's end, and so the run's, for the connect timeout.
    while !shared.stop.load(Ordering::Relaxed) && !pra_core::signals::stopping() {
        if let Ok(c) = settings.connect() {
            return Some(c);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

fn sample_loop(shared: &Shared, started: Instant, progress: bool) {
    let mut last = started;
    let mut next = started + Duration::from_secs(1);
    loop {
        let stopping = shared.stop.load(Ordering::SeqCst);
        let now = Instant::now();
        if now >= next || stopping {
            let mut second = Histogram::default();
            for c in &shared.clients {
                let taken = std::mem::take(&mut lock(c).second);
                second.merge(&taken);
            }
            let interval = now.saturating_duration_since(last).as_secs_f64();
            // A sliver of a second at the stop would show a meaningless spike.
            if interval >= 0.25 {
                let point = TimelinePoint {
                    t_s: now.saturating_duration_since(started).as_secs_f64(),
                    tps: second.count() as f64 / interval,
                    p95_s: second.quantile_s(0.95),
                    phase: Phase::from_u8(shared.phase.load(Ordering::SeqCst))
                        .name()
                        .to_string(),
                };
                if progress {
                    let activity = lock(&shared.activity).clone();
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\rpra-loadtest: {activity:<22} {:>6.0} s {:>8.0} tps  p95 {:>7.1} ms \x1b[K",
                        point.t_s,
                        point.tps,
                        point.p95_s * 1000.0
                    );
                    let _ = err.flush();
                }
                lock(&shared.timeline).push(point);
            }
            last = now;
            next = now + Duration::from_secs(1);
        }
        if stopping {
            if progress {
                eprintln!();
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True when progress should be shown: stderr is a terminal.
pub fn progress_wanted() -> bool {
    std::io::stderr().is_terminal()
}
