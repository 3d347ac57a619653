//! A real HTTP/1.1 server on 127.0.0.1 for tests: it records every request and
//! answers each from a rule of the test's choosing (a fixed status, a script, or a
//! closure of the request), including never answering at all.
//!
//! Keep-alive is honoured (the clients under test pool connections), one thread per
//! connection.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: path and query (`/health?token=x`).
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl Request {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with these extra headers (the body is `ok` when the status has one).
    Status(u16, Vec<(&'static str, &'static str)>),
    /// This status, these extra headers and this body (e.g. a JSON error document).
    Body(u16, Vec<(&'static str, &'static str)>, String),
    /// Read the request, then never answer (until the client gives up or the
    /// server is dropped).
    Hang,
}

impl Reply {
    /// A redirect (`code` 301, 302, 307 …) to `location`.
    pub fn redirect(code: u16, location: &'static str) -> Reply {
        Reply::Status(code, vec![("Location", location)])
    }

    /// This status with a JSON body (`Content-Type: application/json`), as APIs
    /// answer errors and rate limits.
    pub fn json(code: u16, body: serde_json::Value) -> Reply {
        Reply::Body(
            code,
            vec![("Content-Type", "application/json")],
            body.to_string(),
        )
    }
}

type Answer = dyn Fn(&Request) -> Reply + Send + Sync;

/// The server; it stops answering when dropped.
pub struct HttpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stopped: Arc<AtomicBool>,
}

impl HttpServer {
    /// Starts a server answering each request with `answer(request)`.
    pub fn start(answer: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stopped = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let (recorded, stop) = (requests.clone(), stopped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (recorded, answer, stop) = (recorded.clone(), answer.clone(), stop.clone());
                std::thread::spawn(move || serve(stream, &recorded, &*answer, &stop));
            }
        });
        HttpServer {
            port,
            requests,
            stopped,
        }
    }

    /// Starts a server answering from `script` in order, then `200` forever.
    pub fn scripted(script: Vec<Reply>) -> HttpServer {
        let script = Mutex::new(VecDeque::from(script));
        HttpServer::start(move |_| {
            script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Reply::Status(200, vec![]))
        })
    }

    /// Starts a server answering `code` to everything.
    pub fn always(code: u16) -> HttpServer {
        HttpServer::start(move |_| Reply::Status(code, vec![]))
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag and releases the port.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Request>>, answer: &Answer, stop: &AtomicBool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    // Keep-alive: serve requests on this connection until the client closes it.
    while let Some(request) = read_request(&mut reader) {
        recorded.lock().unwrap().push(request.clone());
        let (code, extra, body) = match answer(&request) {
            Reply::Hang => {
                let since = Instant::now();
                while !stop.load(Ordering::SeqCst) && since.elapsed() < Duration::from_secs(120) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Reply::Status(code, extra) => (code, extra, "ok".to_string()),
            Reply::Body(code, extra, body) => (code, extra, body),
        };
        let mut head = format!("HTTP/1.1 {code} X\r\n");
        // 1xx, 204 and 304 have no body: a client would read it as the next answer.
        let has_body = !(code < 200 || code == 204 || code == 304);
        if has_body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if has_body {
            head.push_str(&body);
        }
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request; `None` when the connection ends first.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return None;
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
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
