//! A PostgreSQL server started on a data directory a test restored (a base copy, a
//! physical backup): run as the server's OS user, on a private socket, until it has
//! finished archive recovery and accepts queries; stopped when dropped.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server on a restored data directory.
pub struct RecoveredServer {
    child: Child,
    socket_dir: tempfile::TempDir,
    log: PathBuf,
    port: u16,
}

/// Gives `path` and everything under it (symbolic links not followed) to `uid`:`gid`.
pub fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

impl RecoveredServer {
    /// Starts `postgres` from `bindir` on `data` (given to the OS user owning
    /// `owner_of`, e.g. the original cluster's data directory, and made 0700), its
    /// socket and log in a directory of its own.
    pub fn start(bindir: &Path, data: &Path, owner_of: &Path) -> RecoveredServer {
        Self::start_with_env(bindir, data, owner_of, &[])
    }

    /// [`RecoveredServer::start`] with variables in the server's environment (what its
    /// restore_command needs, e.g. the loopback S3 server's `AWS_*`).
    pub fn start_with_env(
        bindir: &Path,
        data: &Path,
        owner_of: &Path,
        env: &[(String, String)],
    ) -> RecoveredServer {
        let meta = std::fs::metadata(owner_of).unwrap();
        let (uid, gid) = (meta.uid(), meta.gid());
        chown_tree(data, uid, gid);
        std::fs::set_permissions(data, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let socket_dir = tempfile::tempdir().unwrap();
        chown_tree(socket_dir.path(), uid, gid);
        let port = crate::free_port();
        let log = socket_dir.path().join("server.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bindir.join("postgres"));
        cmd.arg("-D")
            .arg(data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=", "-k"])
            .arg(socket_dir.path())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .env("LC_ALL", "C.UTF-8")
            .envs(env.iter().cloned());
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            cmd.uid(uid).gid(gid);
        }
        RecoveredServer {
            child: cmd.spawn().unwrap(),
            socket_dir,
            log,
            port,
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (up to `timeout`) until recovery is over and queries are accepted; `Err`
    /// with the server log when the server exits first or the time runs out.
    pub fn wait_recovered(&mut self, timeout: Duration) -> Result<postgres::Client, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let conn = postgres::Config::new()
                .host_path(self.socket_dir.path())
                .port(self.port)
                .user("postgres")
                .dbname("postgres")
                .connect(postgres::NoTls);
            // A connection cut while recovery ends (or the server stops) is tried again;
            // a server that exited is reported below with its log.
            if let Ok(mut c) = conn {
                let recovering = c
                    .query_one("SELECT pg_is_in_recovery()", &[])
                    .map(|row| row.get::<_, bool>(0));
                if let Ok(false) = recovering {
                    return Ok(c);
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}); its log:\n{}",
                    self.log()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "recovery not over within {timeout:?}; log:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RecoveredServer {
    fn drop(&mut self) {
        // A server that exited was reaped already: its pid may belong to another
        // process by now.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: signalling our own child by pid (fast shutdown).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl crate::PgCluster {
    /// Switches to a new WAL segment and waits (60 s) until the one written so far is
    /// archived (`pg_stat_archiver`); returns its name. For clusters started with
    /// `archive_mode = on`.
    pub fn archive_current_segment(&self) -> String {
        let mut client = self.connect("postgres");
        // The name of the segment the switch completed, from the switch's own end:
        // pg_current_wal_lsn() is the write position, which lags behind what was
        // inserted under synchronous_commit = off (these clusters), so it could name
        // the previous, archived segment, and the wait below would return before
        // the segment holding the last rows is archived.
        let name: String = client
            .query_one("SELECT pg_walfile_name(pg_switch_wal())", &[])
            .unwrap()
            .get(0);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let row = client
                .query_one(
                    "SELECT coalesce(last_archived_wal, ''), failed_count, \
                     coalesce(last_failed_wal, '') FROM pg_stat_archiver",
                    &[],
                )
                .unwrap();
            let last: String = row.get(0);
            if last.as_str() >= name.as_str() {
                return name;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not archived within 60 s (last archived {last:?}, {} failures, last \
                 failed {:?}); server log:\n{}",
                row.get::<_, i64>(1),
                row.get::<_, String>(2),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
