//! A TCP listener on 127.0.0.1 that records every connection made to it: the
//! "attacker" a hostile database name points at. A test aims a name like
//! `host=127.0.0.1 port=<trap> dbname=x` at it and asserts nobody ever came.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A listener that counts the connections it accepted (and closes them at once).
pub struct ConnectionTrap {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl ConnectionTrap {
    /// Starts listening on a free port of 127.0.0.1.
    pub fn start() -> ConnectionTrap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok(_) => {
                        h.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        ConnectionTrap { port, hits, stop }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates in `c` a database whose name is a connection string pointing at this
    /// trap (`host=127.0.0.1 port=<trap> dbname=<suffix>`), with a table of 500 rows;
    /// returns its name.
    pub fn hostile_database(&self, c: &crate::PgCluster, suffix: &str) -> String {
        let name = format!("host=127.0.0.1 port={} dbname={suffix}", self.port);
        c.create_db(&name);
        c.connect(&name)
            .batch_execute(
                "CREATE TABLE t (id int PRIMARY KEY, v text);
                 INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g;",
            )
            .expect("fill the hostile database");
        name
    }

    /// How many connections it received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for ConnectionTrap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_connections() {
        let trap = ConnectionTrap::start();
        assert_eq!(trap.hits(), 0);
        let _c = std::net::TcpStream::connect(("127.0.0.1", trap.port())).unwrap();
        crate::wait_until(
            "the trap sees the connection",
            Duration::from_secs(5),
            || trap.hits() == 1,
        );
    }
}
