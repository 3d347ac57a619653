//! The availability probe: a thread that asks the application URL every second
//! during the whole drill ([`pra_core::probe`]: 2xx after redirects within
//! `--http-timeout`) and counts the probes that failed.

use pra_core::probe::Prober;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The probe's findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeResult {
    /// Probes sent.
    pub probes: u64,
    /// Probes that failed.
    pub failures: u64,
    /// The first failure, in words (status or transport error), secrets-free.
    pub first_failure: Option<String>,
    /// Seconds since the drill started of the first failures (at most 20 kept).
    pub failure_times_s: Vec<f64>,
}

/// A running probe.
pub struct Probe {
    stop: Arc<AtomicBool>,
    result: Arc<Mutex<ProbeResult>>,
    thread: Option<JoinHandle<()>>,
}

impl Probe {
    /// Starts probing `url` every second, each probe within `timeout`; `origin` is
    /// the drill's start.
    pub fn start(url: &str, timeout: Duration, origin: Instant) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let result = Arc::new(Mutex::new(ProbeResult::default()));
        let thread = {
            let stop = Arc::clone(&stop);
            let result = Arc::clone(&result);
            let url = url.to_string();
            let prober = Prober::new(timeout);
            std::thread::spawn(move || probe_loop(&prober, &url, origin, &stop, &result))
        };
        Probe {
            stop,
            result,
            thread: Some(thread),
        }
    }

    /// Stops probing and returns the counts.
    pub fn stop(mut self) -> ProbeResult {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let r = self
            .result
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.clone()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn probe_loop(
    prober: &Prober,
    url: &str,
    origin: Instant,
    stop: &AtomicBool,
    result: &Mutex<ProbeResult>,
) {
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next {
            next += Duration::from_secs(1);
            let outcome = prober.probe(url);
            let mut r = result
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            r.probes += 1;
            if !outcome.is_success() {
                let why = outcome.describe();
                r.failures += 1;
                if r.first_failure.is_none() {
                    log::warn!("application probe failed: {why}");
                    r.first_failure = Some(why);
                }
                if r.failure_times_s.len() < 20 {
                    r.failure_times_s.push(origin.elapsed().as_secs_f64());
                }
            }
            // A slow answer must not make the probes pile up.
            if next < Instant::now() {
                next = Instant::now() + Duration::from_secs(1);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
