//! Delivery with retries: exponential backoff on transient failures, `Retry-After`
//! honoured, and never more than `--max-wait` in total.

use std::time::{Duration, Instant};

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// Delivered (with the receiver's HTTP status, if any).
    Done(Option<u16>),
    /// A transient failure: try again, after `after` if the receiver said so.
    Retry {
        /// Why it failed.
        why: String,
        /// The receiver's `Retry-After`, if any.
        after: Option<Duration>,
        /// The receiver's HTTP status, if any.
        http_status: Option<u16>,
    },
    /// A failure that another attempt would not fix (4xx, bad address).
    Fail {
        /// Why it failed.
        why: String,
        /// The receiver's HTTP status, if any.
        http_status: Option<u16>,
    },
}

/// How a delivery ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Attempts made.
    pub attempts: u32,
    /// From the first attempt to the end.
    pub latency: Duration,
    /// The last HTTP status seen.
    pub http_status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Timeouts and the total budget.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Total budget for one delivery.
    pub max_wait: Duration,
    /// First backoff delay; doubled after each failure.
    pub first_backoff: Duration,
}

/// An attempt shorter than this is not worth starting.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(200);
/// Backoff never grows beyond this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs `attempt` (given the time it may take) until it succeeds, fails for good, or
/// the budget is spent.
pub fn deliver(policy: Policy, mut attempt: impl FnMut(Duration) -> Attempt) -> Outcome {
    let start = Instant::now();
    let mut backoff = policy.first_backoff;
    let mut attempts = 0;
    loop {
        let left = policy.max_wait.saturating_sub(start.elapsed());
        let timeout = policy
            .timeout
            .min(left)
            .max(MIN_ATTEMPT.min(policy.timeout));
        attempts += 1;
        let (why, after, http_status) = match attempt(timeout) {
            Attempt::Done(http_status) => {
                return Outcome {
                    attempts,
                    latency: start.elapsed(),
                    http_status,
                    error: None,
                }
            }
            Attempt::Fail { why, http_status } => {
                return Outcome {
                    attempts,
                    latency: start.elapsed(),
                    http_status,
                    error: Some(why),
                }
            }
            Attempt::Retry {
                why,
                after,
                http_status,
            } => (why, after, http_status),
        };
        let wait = after.unwrap_or(backoff);
        let left = policy.max_wait.saturating_sub(start.elapsed());
        // Stop when waiting and one more short attempt would not fit in the budget.
        if wait + MIN_ATTEMPT > left {
            let why = match after {
                Some(a) if a > left => format!(
                    "{why}; the receiver asked to retry after {} s, beyond --max-wait",
                    a.as_secs()
                ),
                _ => format!(
                    "{why}; gave up after {attempts} attempt{} in {:.1} s (--max-wait)",
                    if attempts == 1 { "" } else { "s" },
                    start.elapsed().as_secs_f64(),
                ),
            };
            return Outcome {
                attempts,
                latency: start.elapsed(),
                http_status,
                error: Some(why),
            };
        }
        log::info!(
            "attempt {attempts} failed ({why}); retrying in {:.1} s",
            wait.as_secs_f64()
        );
        std::thread::sleep(wait);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_wait_ms: u64) -> Policy {
        Policy {
            timeout: Duration::from_secs(1),
            max_wait: Duration::from_millis(max_wait_ms),
            first_backoff: Duration::from_millis(10),
        }
    }

    fn retry() -> Attempt {
        Attempt::Retry {
            why: "503".into(),
            after: None,
            http_status: Some(503),
        }
    }

    #[test]
    fn retries_until_done() {
        let mut n = 0;
        let out = deliver(policy(5000), |_| {
            n += 1;
            if n < 3 {
                retry()
            } else {
                Attempt::Done(Some(200))
            }
        });
        assert_eq!(out.attempts, 3);
        assert!(out.error.is_none());
    }

    #[test]
    fn permanent_failure_is_not_retried() {
        let out = deliver(policy(5000), |_| Attempt::Fail {
            why: "404".into(),
            http_status: Some(404),
        });
        assert_eq!(out.attempts, 1);
        assert_eq!(out.http_status, Some(404));
    }

    #[test]
    fn budget_bounds_retries() {
        let out = deliver(policy(600), |_| retry());
        assert!(out.attempts >= 2, "{out:?}");
        assert!(out.error.unwrap().contains("gave up"));
        let out = deliver(policy(600), |_| Attempt::Retry {
            why: "429".into(),
            after: Some(Duration::from_secs(120)),
            http_status: Some(429),
        });
        assert_eq!(out.attempts, 1);
        assert!(out.error.unwrap().contains("retry after 120 s"));
    }
}
