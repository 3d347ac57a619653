//! Real servers on 127.0.0.1 for pra-notify's tests: an HTTP receiver that records
//! every request and answers from a script, and an SMTP server (Python aiosmtpd).

// Test support: failing loudly (unwrap, panic) is the point here.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with these extra headers.
    Status(u16, Vec<(&'static str, &'static str)>),
    /// Read the request, then never answer (until the client gives up).
    Hang,
}

/// An HTTP/1.1 receiver on 127.0.0.1 (one thread per connection).
pub struct Receiver {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// Starts a receiver answering from `script` in order, then `200` forever.
    pub fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let recorded = recorded.clone();
                let script = script.clone();
                std::thread::spawn(move || serve(stream, &recorded, &script));
            }
        });
        Receiver { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Request>>, script: &Mutex<VecDeque<Reply>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    // Keep-alive: serve requests on this connection until the client closes it.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        recorded.lock().unwrap().push(Request {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let reply = script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Reply::Status(200, vec![]));
        match reply {
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
            Reply::Status(code, extra) => {
                let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\n");
                for (k, v) in extra {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\nok");
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}

/// A port where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A real SMTP server (aiosmtpd), writing each message it receives to a directory.
pub struct SmtpServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts it; with `auth`, it requires AUTH with this user and password.
    /// Fails loudly when python3 or aiosmtpd is missing (scripts/test.sh installs it).
    pub fn start(auth: Option<(&str, &str)>) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let port = closed_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((u, p)) = auth {
            cmd.env("SMTP_TEST_USER", u).env("SMTP_TEST_PASSWORD", p);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("python3 is needed for the SMTP test server (scripts/test.sh): {e}")
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(
            first.trim(),
            "ready",
            "the aiosmtpd test server did not start: is aiosmtpd installed? \
             (python3 -m pip install aiosmtpd, as scripts/test.sh does)"
        );
        SmtpServer { port, dir, child }
    }

    /// The messages received so far (raw RFC 5322 text), oldest first.
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
