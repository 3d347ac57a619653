//! Runs the checks in parallel, each group in its own thread, and collects what
//! finished before the deadline. A check still running then is reported CRITICAL
//! ("did not finish within …") and abandoned: the process exits without waiting
//! for it, so a hung NFS mount or a stuck server cannot hang the monitoring run.

use crate::check::CheckResult;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Work that sends one or more check results.
pub type Work = Box<dyn FnOnce(&mpsc::Sender<CheckResult>) + Send>;

/// A group of checks run in one thread (they share a connection, or a listing).
pub struct Job {
    /// The checks this job reports, as (name, target); used to name the ones that time out.
    pub expected: Vec<(String, Option<String>)>,
    /// The work.
    pub work: Work,
}

impl Job {
    /// A job reporting the named checks (no target).
    pub fn new(names: &[&str], work: Work) -> Job {
        Job {
            expected: names.iter().map(|n| (n.to_string(), None)).collect(),
            work,
        }
    }
}

enum Msg {
    Result(usize, Box<CheckResult>),
    Done(usize),
}

/// Extra time past the checks' own timeout, so that a check that times out by itself
/// (connect_timeout, HTTP timeout) reports its own, more precise, error first.
const GRACE: Duration = Duration::from_millis(500);

/// Runs the jobs and returns every result, with a timeout error for each expected
/// check of a job that did not finish by `timeout` (plus a short grace).
pub fn run_jobs(jobs: Vec<Job>, timeout: Duration) -> Vec<CheckResult> {
    let deadline = Instant::now() + timeout + GRACE;
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut expected = Vec::new();
    for (i, job) in jobs.into_iter().enumerate() {
        expected.push(job.expected);
        let tx = tx.clone();
        let work = job.work;
        let spawned = std::thread::Builder::new()
            .name(format!("check-{i}"))
            .spawn(move || {
                let (rtx, rrx) = mpsc::channel::<CheckResult>();
                // Results are relayed as they come, so a job that hangs halfway
                // still reports what it finished.
                let relay_tx = tx.clone();
                let relay = std::thread::spawn(move || {
                    for r in rrx {
                        let _ = relay_tx.send(Msg::Result(i, Box::new(r)));
                    }
                });
                work(&rtx);
                drop(rtx);
                let _ = relay.join();
                let _ = tx.send(Msg::Done(i));
            });
        if let Err(e) = spawned {
            log::error!("cannot start a check thread: {e}");
        }
    }
    drop(tx);
    let mut results: Vec<(usize, CheckResult)> = Vec::new();
    let mut done = vec![false; expected.len()];
    while done.iter().any(|d| !d) {
        let left = deadline.saturating_duration_since(Instant::now());
        // A short wait at a time: SIGINT/SIGTERM end the run at once, whatever the checks.
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(Msg::Result(i, r)) => results.push((i, *r)),
            Ok(Msg::Done(i)) => done[i] = true,
            Err(mpsc::RecvTimeoutError::Timeout)
                if !left.is_zero() && pra_core::signals::pending().is_none() => {}
            // The deadline, a signal, or every sender gone (a thread that could not start).
            Err(_) => break,
        }
    }
    for (i, names) in expected.iter().enumerate() {
        if done[i] {
            continue;
        }
        for (name, target) in names {
            let reported = results.iter().any(|(j, r)| {
                *j == i
                    && r.fields.name == *name
                    && (target.is_none() || r.fields.target == *target)
            });
            if !reported {
                let mut r = CheckResult::error(
                    name,
                    format!(
                        "{name}: did not finish within {}",
                        pra_core::time::format_duration(timeout)
                    ),
                )
                .because(pra_core::error_class::ErrorClass::Timeout);
                r.fields.target = target.clone();
                r.fields.duration_s = timeout.as_secs_f64();
                results.push((i, r));
            }
        }
    }
    let mut out: Vec<CheckResult> = results.into_iter().map(|(_, r)| r).collect();
    // Stable order for people and for pra-notify --only-changes: check order, then target.
    out.sort_by(|a, b| {
        a.order()
            .cmp(&b.order())
            .then_with(|| a.fields.target.cmp(&b.fields.target))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Status;

    #[test]
    fn a_hung_job_is_critical_and_the_others_report() {
        let jobs = vec![
            Job::new(
                &["app"],
                Box::new(|tx| {
                    std::thread::sleep(Duration::from_secs(30));
                    let _ = tx.send(CheckResult::ok("app", "late"));
                }),
            ),
            Job::new(
                &["database", "critical_tables"],
                Box::new(|tx| {
                    let _ = tx.send(CheckResult::ok("database", "fine"));
                    std::thread::sleep(Duration::from_secs(30));
                }),
            ),
            Job::new(
                &["disk"],
                Box::new(|tx| {
                    let _ = tx.send(CheckResult::ok("disk", "fine").target("/b"));
                    let _ = tx.send(CheckResult::ok("disk", "fine").target("/a"));
                }),
            ),
        ];
        let started = Instant::now();
        let out = run_jobs(jobs, Duration::from_millis(200));
        assert!(started.elapsed() < Duration::from_secs(5));
        let labels: Vec<(String, Status)> = out.iter().map(|r| (r.label(), r.status)).collect();
        assert_eq!(
            labels,
            vec![
                ("database".to_string(), Status::Ok),
                ("critical_tables".to_string(), Status::Error),
                ("disk:/a".to_string(), Status::Ok),
                ("disk:/b".to_string(), Status::Ok),
                ("app".to_string(), Status::Error),
            ]
        );
        assert!(out[1].message.contains("did not finish"));
    }
}
