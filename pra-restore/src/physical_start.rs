//! `pra-restore --physical --start`: start the restored server with `pg_ctl` and wait
//! until recovery reached its target and queries are accepted (promote), replay is
//! paused at the target (pause), or the server stopped there (shutdown). A server that
//! stops early (a missing WAL segment before the target) is reported with its log.

use crate::physical::POLL;
use crate::physical_args::{PhysicalArgs, TargetAction};
use crate::{Args, Error};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The server log pra-restore asks pg_ctl to write, inside the data directory.
pub const SERVER_LOG: &str = "pra-restore-server.log";

/// Starts the server on `pgdata` and waits for the target.
pub fn start_and_wait(args: &Args, p: &PhysicalArgs, pgdata: &Path) -> Result<(), Error> {
    let pg_ctl = args
        .pg_bin
        .program("pg_ctl")
        .map_err(|e| Error::Usage(e.to_string()))?;
    let log = pgdata.join(SERVER_LOG);
    let mut cmd = Command::new(&pg_ctl);
    cmd.arg("-D").arg(pgdata).arg("-l").arg(&log).arg("-W");
    if let Some(port) = p.port {
        cmd.arg("-o").arg(format!("-p {port}"));
    }
    cmd.arg("start");
    let out = cmd
        .output()
        .map_err(|e| Error::io(format!("running {}", pg_ctl.display()), e))?;
    if !out.status.success() {
        return Err(Error::Program {
            program: "pg_ctl start".into(),
            db: pgdata.display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let config = restored_config(&args.db.settings()?.postgres_config()?, p.port);
    let deadline = Instant::now() + p.recovery_timeout;
    loop {
        pra_core::signals::check()?;
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = fatal_line(&log_text) {
            return Err(Error::Db {
                what: format!("recovery of {}", pgdata.display()),
                reason: format!("{line} (server log: {})", log.display()),
            });
        }
        let stopped = !pgdata.join("postmaster.pid").exists();
        if p.target_action == TargetAction::Shutdown && stopped && log_text.contains("shut down") {
            return Ok(());
        }
        if let Ok(mut client) = config.connect(postgres::NoTls) {
            let reached = match p.target_action {
                // A hot standby answers while it replays: that is its target.
                _ if p.standby => client
                    .query_one("SELECT pg_is_in_recovery()", &[])
                    .map(|r| r.get::<_, bool>(0)),
                TargetAction::Promote => client
                    .query_one("SELECT NOT pg_is_in_recovery()", &[])
                    .map(|r| r.get::<_, bool>(0)),
                TargetAction::Pause => client
                    .query_one("SELECT pg_get_wal_replay_pause_state() = 'paused'", &[])
                    .map(|r| r.get::<_, bool>(0)),
                TargetAction::Shutdown => Ok(false),
            };
            if reached.unwrap_or(false) {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(Error::Db {
                what: format!("recovery of {}", pgdata.display()),
                reason: format!(
                    "target not reached within {} s (server log: {})",
                    p.recovery_timeout.as_secs(),
                    log.display()
                ),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// How to reach the restored server: the hosts, user and password of the connection
/// settings (PG* variables, -d), database `postgres`, on `port` when given. A new
/// config, since `postgres::Config::port` adds a port rather than replacing it.
fn restored_config(base: &postgres::Config, port: Option<u16>) -> postgres::Config {
    let mut config = postgres::Config::new();
    for host in base.get_hosts() {
        match host {
            postgres::config::Host::Tcp(h) => config.host(h),
            postgres::config::Host::Unix(p) => config.host_path(p),
        };
    }
    if let Some(user) = base.get_user() {
        config.user(user);
    }
    if let Some(pw) = base.get_password() {
        config.password(pw);
    }
    match port {
        Some(p) => config.port(p),
        None => config.port(base.get_ports().first().copied().unwrap_or(5432)),
    };
    config
        .dbname("postgres")
        .connect_timeout(std::time::Duration::from_secs(5));
    config
}

/// FATAL lines a client gets while the server starts: not a failed recovery.
const BENIGN: &[&str] = &[
    "starting up",
    "not yet accepting connections",
    "in recovery mode",
    "shutting down",
    "does not exist",
];

/// The server's first FATAL or PANIC line about recovery itself, if any: recovery
/// stopped for good.
fn fatal_line(log: &str) -> Option<&str> {
    log.lines()
        .find(|l| {
            l.contains("PANIC:") || (l.contains("FATAL:") && !BENIGN.iter().any(|b| l.contains(b)))
        })
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_line_is_found() {
        let log = "LOG:  starting\nFATAL:  recovery ended before configured recovery target was reached\n";
        assert!(fatal_line(log).unwrap().contains("recovery ended before"));
        assert_eq!(fatal_line("LOG:  ready\n"), None);
        assert_eq!(
            fatal_line("FATAL:  the database system is starting up\n"),
            None
        );
    }
}
