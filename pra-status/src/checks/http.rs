//! `app` and `api`: HTTP GETs that must answer in time with the right code.
//! URLs are shown redacted (no userinfo password, no query: tokens live there).

use crate::check::CheckResult;
use crate::cli::ApiUrl;
use crate::runner::Job;
use pra_core::event::Status;
use pra_core::repo::redact_url;
use std::time::{Duration, Instant};

/// The answer of a URL: its HTTP code and latency, or why there was none.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// An HTTP response.
    Code(u16, f64),
    /// No response: connection refused, timeout, TLS, DNS.
    Failed(String, f64),
}

/// GETs a URL within `timeout`, following up to `redirects` redirects.
pub fn get(url: &str, timeout: Duration, redirects: u32) -> Answer {
    let agent = ureq::AgentBuilder::new()
        .timeout(timeout)
        .redirects(redirects)
        .user_agent(concat!("pra-status/", env!("CARGO_PKG_VERSION")))
        .build();
    let started = Instant::now();
    let result = agent.get(url).call();
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(resp) => Answer::Code(resp.status(), secs),
        Err(ureq::Error::Status(code, _)) => Answer::Code(code, secs),
        Err(ureq::Error::Transport(t)) => {
            // The transport error may quote the URL; keep only its kind and cause.
            let mut why = t.kind().to_string();
            if let Some(msg) = t.message() {
                why = format!("{why}: {msg}");
            }
            if let Some(src) = std::error::Error::source(&t) {
                why = format!("{why}: {src}");
            }
            Answer::Failed(why, secs)
        }
    }
}

/// The `app` job: 2xx within the timeout, redirects followed.
pub fn app_job(url: String, timeout: Duration) -> Job {
    let shown = redact_url(&url);
    let mut job = Job::new(
        &["app"],
        Box::new(move |tx| {
            let _ = tx.send(check("app", &url, None, timeout, 5));
        }),
    );
    job.expected[0].1 = Some(shown);
    job
}

/// One `api` job: the expected code (default any 2xx), redirects not followed.
pub fn api_job(api: ApiUrl, timeout: Duration) -> Job {
    let shown = redact_url(&api.url);
    let mut job = Job::new(
        &["api"],
        Box::new(move |tx| {
            let _ = tx.send(check("api", &api.url, api.expect, timeout, 0));
        }),
    );
    job.expected[0].1 = Some(shown);
    job
}

fn check(
    name: &str,
    url: &str,
    expect: Option<u16>,
    timeout: Duration,
    redirects: u32,
) -> CheckResult {
    let shown = redact_url(url);
    let wanted = expect.map_or("2xx".to_string(), |c| c.to_string());
    let mut r = match get(url, timeout, redirects) {
        Answer::Code(code, secs) => {
            let good = match expect {
                Some(c) => code == c,
                None => (200..300).contains(&code),
            };
            let status = if good { Status::Ok } else { Status::Error };
            CheckResult::new(
                name,
                status,
                format!(
                    "{shown} answered {code} in {:.0} ms (expected {wanted})",
                    secs * 1000.0
                ),
            )
            .value(secs, "s")
            .detail("http_code", code)
        }
        Answer::Failed(why, secs) => CheckResult::error(
            name,
            format!("{shown}: no answer after {:.1} s: {why}", secs),
        )
        .value(secs, "s"),
    };
    r.fields.threshold = Some(format!(
        "code {wanted} within {}",
        pra_core::time::format_duration(timeout)
    ));
    r.fields.crit = Some(timeout.as_secs_f64());
    r.fields.duration_s = r.fields.value.unwrap_or(0.0);
    r.target(shown).detail("expected", wanted)
}
