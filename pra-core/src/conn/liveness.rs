//! Bounds on a connection to a server that stops answering (a stopped postmaster,
//! stuck storage, a half-dead VM still accepting TCP connections): the connection
//! timeout (libpq's `connect_timeout`/`PGCONNECT_TIMEOUT`, else [`CONNECT_TIMEOUT_ENV`],
//! else [`DEFAULT_CONNECT_TIMEOUT`]), TCP keepalives, and [`sever_all`].
//!
//! The `postgres` crate's own `connect_timeout` bounds only the socket's `connect`,
//! and a frozen server still completes that from its listen backlog: the startup
//! exchange then waits forever. So an attempt runs on a thread of its own and the
//! caller gives up on it at the deadline, or as soon as the run is stopping (a
//! signal, a stall). A query blocked on a frozen server cannot be cancelled either
//! (the cancel request goes to the same frozen postmaster), so a stopping run shuts
//! down its sockets to PostgreSQL servers ([`sever_all`]): the blocked call fails
//! at once and the main flow reports and cleans up as for any failure; an idle
//! connection a cleanup still needs is spared ([`spare`]).

use crate::signals;
use postgres_openssl::MakeTlsConnector;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The variable giving the connection timeout, in seconds, when neither
/// `connect_timeout` nor `PGCONNECT_TIMEOUT` does.
pub const CONNECT_TIMEOUT_ENV: &str = "PRA_CONNECT_TIMEOUT";

/// The connection timeout when nothing sets one (libpq's default is "forever",
/// which an unattended tool cannot afford).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Keepalive defaults: a peer that vanished is noticed after about two minutes of
/// silence (60 s idle, then 6 probes 10 s apart), not the kernel's two hours.
const DEFAULT_IDLE_S: u64 = 60;
const DEFAULT_INTERVAL_S: u64 = 10;
const DEFAULT_COUNT: u32 = 6;

/// libpq's `keepalives*` and `tcp_user_timeout` parameters, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Liveness {
    keepalives: Option<bool>,
    idle_s: Option<u64>,
    interval_s: Option<u64>,
    count: Option<u32>,
    tcp_user_timeout_ms: Option<u64>,
}

impl Liveness {
    /// Takes a parameter if it is one of ours; `Ok(false)` when it is not.
    pub(super) fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let number = |unit: &str| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("invalid {key} {value:?} ({unit})"))
        };
        match key {
            "keepalives" => self.keepalives = Some(number("0 or 1")? != 0),
            "keepalives_idle" => self.idle_s = Some(number("seconds")?),
            "keepalives_interval" => self.interval_s = Some(number("seconds")?),
            "keepalives_count" => {
                let n = number("a count")?;
                self.count = Some(u32::try_from(n).map_err(|_| format!("{key} {n} too large"))?);
            }
            "tcp_user_timeout" => self.tcp_user_timeout_ms = Some(number("milliseconds")?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Sets keepalives (on unless `keepalives=0`) and `tcp_user_timeout` on a config;
    /// 0 for a keepalive setting means the system default, as in libpq.
    pub(super) fn apply(&self, cfg: &mut postgres::Config) {
        let on = self.keepalives.unwrap_or(true);
        cfg.keepalives(on);
        if on {
            let secs = |v: Option<u64>, default: u64| {
                Duration::from_secs(v.filter(|&s| s > 0).unwrap_or(default))
            };
            cfg.keepalives_idle(secs(self.idle_s, DEFAULT_IDLE_S));
            cfg.keepalives_interval(secs(self.interval_s, DEFAULT_INTERVAL_S));
            cfg.keepalives_retries(self.count.filter(|&n| n > 0).unwrap_or(DEFAULT_COUNT));
        }
        if let Some(ms) = self.tcp_user_timeout_ms.filter(|&ms| ms > 0) {
            cfg.tcp_user_timeout(Duration::from_millis(ms));
        }
    }
}

/// How a bounded connection attempt ended.
pub(super) enum Attempt {
    /// The attempt finished, well or not.
    Done(Box<Result<postgres::Client, postgres::Error>>),
    /// The server did not complete the startup exchange in time.
    TimedOut,
    /// The run is stopping (a signal, a stall): the attempt was abandoned.
    Abandoned,
}

/// How long the cleanup of a stopping run (dropping a scratch database from a
/// signal hook) waits for a connection: SIGTERM must end a tool within seconds.
const CLEANUP_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Connects with `cfg` on a thread of its own, waiting at most `timeout` and no
/// longer than the run goes on. An abandoned attempt finishes (or not) on its own;
/// [`sever_all`] ends it when the run stops. The cleanup of a run that is already
/// stopping gets at most [`CLEANUP_CONNECT_TIMEOUT`].
pub(super) fn connect_within(
    cfg: postgres::Config,
    tls: Option<MakeTlsConnector>,
    timeout: Duration,
) -> Attempt {
    let cleanup = signals::stopping();
    let timeout = if cleanup {
        timeout.min(CLEANUP_CONNECT_TIMEOUT)
    } else {
        timeout
    };
    let attempt = move || match tls {
        Some(connector) => cfg.connect(connector),
        None => cfg.connect(postgres::NoTls),
    };
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("pg-connect".into())
        .spawn(move || {
            let _ = tx.send(attempt());
        });
    if let Err(e) = spawned {
        log::warn!("cannot start a thread for the connection attempt: {e}");
        return Attempt::TimedOut;
    }
    let deadline = Instant::now() + timeout;
    loop {
        if !cleanup && signals::stopping() {
            return Attempt::Abandoned;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Attempt::TimedOut;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(result) => return Attempt::Done(Box::new(result)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Attempt::TimedOut,
        }
    }
}

/// TCP ports this process connected to PostgreSQL on: what [`sever_all`] looks for.
static TCP_PORTS: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// Remembers a TCP port a connection goes to.
pub(super) fn remember_port(port: u16) {
    let mut ports = TCP_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    if !ports.contains(&port) {
        ports.push(port);
    }
}

/// A socket of this process: its descriptor and its inode (which a descriptor
/// number reused by another socket does not share).
pub type SocketId = (i32, u64);

/// Whether a spared socket is to stay open when the run stops.
type KeepOpen = Arc<dyn Fn() -> bool + Send + Sync>;

/// Sockets [`sever_all`] leaves open while their predicate says so.
static SPARED: Mutex<Vec<(u64, SocketId, KeepOpen)>> = Mutex::new(Vec::new());
static NEXT_SPARED: AtomicU64 = AtomicU64::new(1);

/// Every socket of this process connected to a PostgreSQL server: a Unix socket
/// named `.s.PGSQL.<port>`, or TCP to a port we connected to.
pub fn postgres_sockets() -> Vec<SocketId> {
    let ports = TCP_PORTS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| {
            let fd = entry.file_name().to_str()?.parse::<i32>().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            // "socket:[inode]"
            let inode = target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()?;
            is_postgres_peer(fd, &ports).then_some((fd, inode))
        })
        .collect()
}

/// Leaves `socket` open when the run stops ([`sever_all`]) if `keep_open` then
/// says so: an idle connection a cleanup hook still needs (a scratch database's
/// maintenance connection, [`crate::scratch`]). The predicate runs on the signal
/// thread and must not block. Spared until the returned guard is dropped.
pub fn spare(socket: SocketId, keep_open: impl Fn() -> bool + Send + Sync + 'static) -> Spared {
    let id = NEXT_SPARED.fetch_add(1, Ordering::SeqCst);
    SPARED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((id, socket, Arc::new(keep_open)));
    Spared(id)
}

/// What [`spare`] returns: dropping it lets [`sever_all`] shut the socket down again.
#[must_use = "the socket is no longer spared when this is dropped"]
pub struct Spared(u64);

impl Drop for Spared {
    fn drop(&mut self) {
        SPARED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(id, _, _)| *id != self.0);
    }
}

/// Shuts down (both ways) every socket of this process connected to a PostgreSQL
/// server ([`postgres_sockets`]) but the idle ones a cleanup still needs ([`spare`]).
/// Every call blocked on one fails at once. Returns how many were shut down.
pub fn sever_all() -> usize {
    // Copied out: a predicate may drop the last owner of what it looks at, whose
    // Spared guard then takes this lock.
    let spared: Vec<(SocketId, KeepOpen)> = SPARED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(_, s, keep)| (*s, keep.clone()))
        .collect();
    let mut severed = 0;
    for socket in postgres_sockets() {
        if spared.iter().any(|(s, keep)| *s == socket && keep()) {
            continue;
        }
        // SAFETY: shutdown on a descriptor of this process; it closes nothing,
        // so a descriptor reused meanwhile is at worst a socket shut down early.
        if unsafe { libc::shutdown(socket.0, libc::SHUT_RDWR) } == 0 {
            severed += 1;
        }
    }
    severed
}

/// Whether socket `fd` is connected to a PostgreSQL server.
fn is_postgres_peer(fd: i32, ports: &[u16]) -> bool {
    // SAFETY: getpeername fills a zeroed sockaddr_storage up to the length given.
    let (addr, len) = unsafe {
        let mut addr: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, std::ptr::addr_of_mut!(addr).cast(), &mut len) != 0 {
            return false;
        }
        (addr, len as usize)
    };
    match i32::from(addr.ss_family) {
        libc::AF_UNIX => {
            // SAFETY: an AF_UNIX address is a sockaddr_un, which fits in the storage.
            let un: &libc::sockaddr_un = unsafe { &*std::ptr::addr_of!(addr).cast() };
            let path_len = len.saturating_sub(std::mem::size_of::<libc::sa_family_t>());
            let path: Vec<u8> = un.sun_path[..path_len.min(un.sun_path.len())]
                .iter()
                .map(|&c| c as u8)
                .collect();
            path.windows(9).any(|w| w == b".s.PGSQL.")
        }
        libc::AF_INET => {
            // SAFETY: an AF_INET address is a sockaddr_in.
            let sin: &libc::sockaddr_in = unsafe { &*std::ptr::addr_of!(addr).cast() };
            ports.contains(&u16::from_be(sin.sin_port))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 address is a sockaddr_in6.
            let sin6: &libc::sockaddr_in6 = unsafe { &*std::ptr::addr_of!(addr).cast() };
            ports.contains(&u16::from_be(sin6.sin6_port))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_parameters_are_parsed_and_checked() {
        let mut l = Liveness::default();
        assert_eq!(l.set("keepalives", "0"), Ok(true));
        assert_eq!(l.set("keepalives_idle", "30"), Ok(true));
        assert_eq!(l.set("keepalives_count", "3"), Ok(true));
        assert_eq!(l.set("tcp_user_timeout", "5000"), Ok(true));
        assert_eq!(l.set("host", "x"), Ok(false));
        assert!(l.set("keepalives_interval", "soon").is_err());
        assert_eq!(l.keepalives, Some(false));
        assert_eq!((l.idle_s, l.count), (Some(30), Some(3)));
    }

    #[test]
    fn a_unix_socket_to_postgres_is_recognised() {
        use std::os::fd::AsRawFd;
        use std::os::unix::net::{UnixListener, UnixStream};
        // sever_all itself is exercised by the tools' frozen-server tests: here it
        // would cut the connections of the tests running beside this one.
        let dir = tempfile::tempdir().unwrap();
        let pg_path = dir.path().join(".s.PGSQL.5999");
        let other_path = dir.path().join("other.sock");
        let _pg_listener = UnixListener::bind(&pg_path).unwrap();
        let _other_listener = UnixListener::bind(&other_path).unwrap();
        let pg = UnixStream::connect(&pg_path).unwrap();
        let not_pg = UnixStream::connect(&other_path).unwrap();
        assert!(is_postgres_peer(pg.as_raw_fd(), &[]));
        assert!(!is_postgres_peer(not_pg.as_raw_fd(), &[]));
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert!(is_postgres_peer(stream.as_raw_fd(), &[port]));
        assert!(!is_postgres_peer(
            stream.as_raw_fd(),
            &[port.wrapping_add(1)]
        ));
    }
}
