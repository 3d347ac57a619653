//! Freezing a cluster: SIGSTOP on the postmaster and every one of its children, the
//! way a stuck storage or a half-dead VM looks from a client. The kernel still
//! completes connections from the listen backlog (Unix socket and TCP alike), so a
//! client's connect "succeeds" and then nothing ever answers: exactly the case the
//! tools' timeouts are for. [`Frozen`] thaws on drop, so a failing test never leaves
//! a stopped server behind.

use crate::cluster::PgCluster;
use std::time::{Duration, Instant};

/// A frozen cluster; dropping it (or [`Frozen::thaw`]) lets the server run again.
#[must_use = "the cluster thaws when this is dropped"]
pub struct Frozen<'a> {
    cluster: &'a PgCluster,
}

impl Frozen<'_> {
    /// Lets the server run again.
    pub fn thaw(self) {}
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        self.cluster.thaw();
    }
}

impl PgCluster {
    /// Stops (SIGSTOP) the postmaster, then every child it has: the server accepts
    /// connections into its backlog and answers nothing, until the guard is dropped.
    pub fn freeze(&self) -> Frozen<'_> {
        let postmaster = self.postmaster_pid();
        signal(postmaster, libc::SIGSTOP);
        // Stopped first, the postmaster cannot fork a child we would miss.
        for pid in children_of(postmaster) {
            signal(pid, libc::SIGSTOP);
        }
        Frozen { cluster: self }
    }

    /// Resumes (SIGCONT) every process of the server; harmless when it is not frozen.
    pub fn thaw(&self) {
        let Some(postmaster) = self.try_postmaster_pid() else {
            return;
        };
        for pid in children_of(postmaster) {
            signal(pid, libc::SIGCONT);
        }
        signal(postmaster, libc::SIGCONT);
    }

    /// After a run stopped while the server was frozen, and the thaw: waits (at
    /// most `within`, running no tool) until no database `is_scratch` accepts is
    /// left, the drop the run queued having run, and until no session of the
    /// server holds an advisory lock (a scratch database's owner mark).
    pub fn wait_scratch_dropped(&self, within: Duration, is_scratch: impl Fn(&str) -> bool) {
        let mut left = Vec::new();
        let started = Instant::now();
        while started.elapsed() < within {
            left = self.databases();
            left.retain(|d| is_scratch(d));
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            left,
            Vec::<String>::new(),
            "not dropped within {within:?}; server log:\n{}",
            self.log()
        );
        wait_until("advisory locks released", within, || {
            self.psql(
                "postgres",
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
            ) == "0"
        });
    }

    /// The postmaster's pid, from `postmaster.pid`.
    pub fn postmaster_pid(&self) -> i32 {
        self.try_postmaster_pid()
            .unwrap_or_else(|| panic!("no postmaster.pid in {}", self.data_dir().display()))
    }

    fn try_postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }
}

/// Polls `cond` every 20 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < timeout,
            "{what}: not within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a server process of this test.
    unsafe { libc::kill(pid, sig) };
}

/// The pids whose parent is `parent`, from `/proc/*/stat`.
fn children_of(parent: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                == Some(parent)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_cluster_answers_nothing_until_thawed() {
        let c = PgCluster::start();
        let frozen = c.freeze();
        let conninfo = c.conninfo("postgres");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = postgres::Client::connect(&conninfo, postgres::NoTls).map(|_| ());
            let _ = tx.send(r.is_ok());
        });
        assert!(
            rx.recv_timeout(Duration::from_secs(1)).is_err(),
            "a frozen server answered"
        );
        let started = Instant::now();
        frozen.thaw();
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(true));
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
