//! Runs the deliveries of a run: each sink in its own thread, with one `--max-wait`
//! budget for the whole run, so that a dead receiver neither delays the others nor
//! holds the pipeline longer than `--max-wait` however many alerts there are.

use crate::retry::{Outcome, Policy, MIN_ATTEMPT};
use crate::sinks::{Payload, Sink};
use std::time::{Duration, Instant};

/// Delivers every payload to every sink; returns the outcomes as `[sink][payload]`.
pub fn deliver_all(sinks: &[Sink], payloads: &[Payload], policy: Policy) -> Vec<Vec<Outcome>> {
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
