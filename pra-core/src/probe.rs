//! HTTP probes, the one way the tools ask a URL whether it is up (pra-restore's
//! `--check-url`, pra-status's `app` and `api`, pra-loadtest's availability probe).
//!
//! One rule: success is a 2xx answer, after following at most [`MAX_REDIRECTS`]
//! redirects (a redirect loop, a 3xx left at the end, a 4xx or a 5xx are failures).
//! One time limit for the whole exchange, redirects included, set by the tools'
//! `--http-timeout` ([`HTTP_TIMEOUT_ENV`]). The result is typed and secret-free: the
//! reason of a failure never quotes the URL.

use crate::redact::{redact_url, scrub};
use std::time::{Duration, Instant};

/// Redirects followed by default: enough for `http` → `https` → `/login` → `/health`.
pub const MAX_REDIRECTS: u32 = 5;

/// The environment variable of `--http-timeout`, shared by every tool that probes.
pub const HTTP_TIMEOUT_ENV: &str = "PRA_HTTP_TIMEOUT";

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// The final HTTP status, when an answer came.
    pub status: Option<u16>,
    /// From the request to the answer or the failure.
    pub latency: Duration,
    /// Why no answer came (timeout, refused, too many redirects …), secret-free.
    pub error: Option<String>,
}

impl ProbeResult {
    /// The rule: a 2xx answer.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// In words, for events: `HTTP 200`, `no answer: timed out reading response`.
    pub fn describe(&self) -> String {
        match (&self.error, self.status) {
            (Some(why), _) => format!("no answer: {why}"),
            (None, Some(code)) => format!("HTTP {code}"),
            (None, None) => "no answer".to_string(),
        }
    }
}

/// A prober: a connection pool, a time limit and a redirect limit.
#[derive(Debug, Clone)]
pub struct Prober {
    agent: ureq::Agent,
}

impl Prober {
    /// A prober whose requests end within `timeout`, following [`MAX_REDIRECTS`].
    pub fn new(timeout: Duration) -> Prober {
        Prober::with_redirects(timeout, MAX_REDIRECTS)
    }

    /// A prober following at most `redirects` redirects; with 0 a 3xx is the answer
    /// (pra-status's `api` check compares it with the code the operator expects).
    pub fn with_redirects(timeout: Duration, redirects: u32) -> Prober {
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(redirects)
            .user_agent(concat!("pra/", env!("CARGO_PKG_VERSION")))
            .build();
        Prober { agent }
    }

    /// GETs `url` once.
    pub fn probe(&self, url: &str) -> ProbeResult {
        let started = Instant::now();
        let result = self.agent.get(url).call();
        let latency = started.elapsed();
        let (status, error) = match result {
            Ok(resp) => (Some(resp.status()), None),
            Err(ureq::Error::Status(code, _)) => (Some(code), None),
            Err(ureq::Error::Transport(t)) => (None, Some(transport_reason(&t, url))),
        };
        ProbeResult {
            status,
            latency,
            error,
        }
    }
}

/// The kind and cause of a transport error, without the URL it may quote.
fn transport_reason(t: &ureq::Transport, url: &str) -> String {
    let mut why = t.kind().to_string();
    if let Some(msg) = t.message() {
        why = format!("{why}: {msg}");
    }
    if let Some(src) = std::error::Error::source(t) {
        why = format!("{why}: {src}");
    }
    scrub(&why, &[(url, redact_url(url))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_testkit::http::{HttpServer, Reply};

    /// `/ok` 200, `/empty` 204, `/moved` 301 → `/ok`, `/loop` 302 → itself,
    /// `/gone` 302 → `/missing` (404), `/fail` 500, `/hang` never answers.
    fn server() -> HttpServer {
        HttpServer::start(|req| match req.route() {
            "/ok" => Reply::Status(200, vec![]),
            "/empty" => Reply::Status(204, vec![]),
            "/moved" => Reply::redirect(301, "/ok"),
            "/loop" => Reply::redirect(302, "/loop"),
            "/gone" => Reply::redirect(302, "/missing"),
            "/fail" => Reply::Status(500, vec![]),
            "/hang" => Reply::Hang,
            _ => Reply::Status(404, vec![]),
        })
    }

    #[test]
    fn success_is_2xx_after_redirects() {
        let s = server();
        let p = Prober::new(Duration::from_secs(5));
        for (path, status, ok) in [
            ("/ok", 200, true),
            ("/empty", 204, true),
            ("/moved", 200, true),
            ("/missing", 404, false),
            ("/fail", 500, false),
            ("/gone", 404, false),
        ] {
            let r = p.probe(&s.url(path));
            assert_eq!(r.status, Some(status), "{path}: {r:?}");
            assert_eq!(r.is_success(), ok, "{path}: {r:?}");
            assert_eq!(r.error, None, "{path}: {r:?}");
            assert_eq!(r.describe(), format!("HTTP {status}"));
        }
        // `/moved` was followed: the server saw `/ok` right after it.
        let routes: Vec<String> = s.requests().iter().map(|r| r.path.clone()).collect();
        assert!(
            routes.windows(2).any(|w| w == ["/moved", "/ok"]),
            "{routes:?}"
        );
    }

    #[test]
    fn a_redirect_loop_fails_after_the_limit() {
        let s = server();
        let r = Prober::new(Duration::from_secs(5)).probe(&s.url("/loop?token=s3cret"));
        assert!(!r.is_success(), "{r:?}");
        let why = r.error.clone().unwrap_or_default();
        assert!(why.contains("Too Many Redirects"), "{r:?}");
        assert!(!why.contains("s3cret"), "{why}");
        let asked = s.requests().len();
        assert!((1..=MAX_REDIRECTS as usize + 1).contains(&asked), "{asked}");
    }

    #[test]
    fn without_redirects_a_3xx_is_the_answer_and_not_a_success() {
        let s = server();
        let r = Prober::with_redirects(Duration::from_secs(5), 0).probe(&s.url("/moved"));
        assert_eq!(r.status, Some(301));
        assert!(!r.is_success());
        assert_eq!(s.requests().len(), 1);
    }

    #[test]
    fn a_server_that_never_answers_fails_within_the_timeout() {
        let s = server();
        let timeout = Duration::from_millis(500);
        let started = Instant::now();
        let r = Prober::new(timeout).probe(&s.url("/hang"));
        let took = started.elapsed();
        assert!(!r.is_success());
        assert_eq!(r.status, None);
        assert!(r.describe().starts_with("no answer: "), "{r:?}");
        assert!(took >= timeout && took < timeout * 4, "{took:?}");
        assert!(r.latency >= timeout && r.latency <= took, "{r:?}");
    }

    #[test]
    fn a_closed_port_fails_with_the_reason() {
        let port = pra_testkit::free_port();
        let r = Prober::new(Duration::from_secs(2)).probe(&format!("http://127.0.0.1:{port}/"));
        assert!(!r.is_success());
        assert!(
            r.error.as_deref().is_some_and(|e| e.contains("onnect")),
            "{r:?}"
        );
    }
}
