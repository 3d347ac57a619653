//! A real SMTP server on 127.0.0.1 for tests (Python's aiosmtpd, `python/smtp_server.py`),
//! writing each message it receives to a directory the test reads back.
//!
//! A missing python3 or aiosmtpd is a loud failure naming the install command
//! (scripts/test.sh installs aiosmtpd), never a skipped test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The server script, shipped with this crate.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/smtp_server.py");

/// A running SMTP server; killed when dropped.
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it writes the messages (`NNNN.eml`) and its own log (`server.log`).
    pub dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts it; with `auth`, it requires AUTH with this user and password.
    pub fn start(auth: Option<(&str, &str)>) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::cluster::free_port();
        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(SCRIPT)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some((u, p)) = auth {
            cmd.env("SMTP_TEST_USER", u).env("SMTP_TEST_PASSWORD", p);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("python3 is needed for the SMTP test server (scripts/test.sh installs it): {e}")
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        if first.trim() != "ready" {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!(
                "the aiosmtpd test server did not start ({status}): {}\n\
                 is aiosmtpd installed? (python3 -m pip install aiosmtpd, as scripts/test.sh does)",
                stderr.trim()
            );
        }
        SmtpServer { port, dir, child }
    }

    /// The messages received so far (raw RFC 5322 text with the `X-Test-*` envelope
    /// lines on top), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
