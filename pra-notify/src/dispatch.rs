//! Runs the deliveries of a run: each sink in its own thread, with one `--max-wait`
//! budget for the whole run, so that a dead receiver neither delays the others nor
//! holds the pipeline longer than `--max-wait` however many alerts there are.
//!
//! The deliveries run apart from the main thread, which only waits for them: on
//! SIGINT or SIGTERM it gives up at once, leaving a delivery blocked on a silent
//! receiver to die with the process (ureq has no way to cancel a call in flight).

use crate::retry::{Outcome, Policy, MIN_ATTEMPT};
use crate::select::Alert;
use crate::sinks::{Payload, Sink};
use pra_core::signals::{self, Interrupted};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often the waiting main thread looks for a signal.
const POLL: Duration = Duration::from_millis(100);

/// What is delivered: each alert alone, or one digest of them all.
pub fn payloads(alerts: &[Alert], digest: bool) -> Vec<Payload<'_>> {
    match (digest, alerts.is_empty()) {
        (_, true) => Vec::new(),
        (true, false) => vec![Payload::Digest(alerts)],
        (false, false) => alerts.iter().map(Payload::One).collect(),
    }
}

/// Delivers the [`payloads`] of `alerts` to every sink; returns the outcomes as
/// `[sink][payload]`, or [`Interrupted`] as soon as a signal arrives.
pub fn deliver_all(
    sinks: &[Sink],
    alerts: &[Alert],
    digest: bool,
    policy: Policy,
) -> Result<Vec<Vec<Outcome>>, Interrupted> {
    let failed = |why: &str| {
        let count = payloads(alerts, digest).len();
        let none = || (0..count).map(|_| not_attempted(why.to_string())).collect();
        sinks.iter().map(|_| none()).collect()
    };
    // Owned copies: the thread may outlive this call when a signal abandons it.
    let (owned_sinks, owned_alerts) = (sinks.to_vec(), alerts.to_vec());
    let (done, outcomes) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("deliveries".into())
        .spawn(move || {
            let payloads = payloads(&owned_alerts, digest);
            // The receiver is gone only when the main thread gave up on a signal.
            let _ = done.send(deliver_each(&owned_sinks, &payloads, policy));
        });
    if let Err(e) = spawned {
        return Ok(failed(&format!("cannot start the deliveries: {e}")));
    }
    loop {
        signals::check()?;
        match outcomes.recv_timeout(POLL) {
            Ok(outcomes) => return Ok(outcomes),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Ok(failed("the delivery thread failed"));
            }
        }
    }
}

/// Delivers every payload to every sink, each sink in its own thread.
fn deliver_each(sinks: &[Sink], payloads: &[Payload], policy: Policy) -> Vec<Vec<Outcome>> {
    let deadline = Instant::now() + policy.max_wait;
    std::thread::scope(|scope| {
        let workers: Vec<_> = sinks
            .iter()
            .map(|sink| scope.spawn(move || deliver_to(sink, payloads, policy, deadline)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    payloads
                        .iter()
                        .map(|_| not_attempted("the delivery thread failed".into()))
                        .collect()
                })
            })
            .collect()
    })
}

fn deliver_to(
    sink: &Sink,
    payloads: &[Payload],
    policy: Policy,
    deadline: Instant,
) -> Vec<Outcome> {
    payloads
        .iter()
        .map(|payload| {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < MIN_ATTEMPT {
                return not_attempted(format!(
                    "not attempted: the --max-wait budget ({} s) was spent on earlier \
                     deliveries to this sink",
                    policy.max_wait.as_secs()
                ));
            }
            sink.deliver(
                payload,
                Policy {
                    max_wait: left,
                    ..policy
                },
            )
        })
        .collect()
}

fn not_attempted(why: String) -> Outcome {
    Outcome {
        attempts: 0,
        latency: Duration::ZERO,
        http_status: None,
        error: Some(why),
    }
}
