//! `app` and `api`: HTTP GETs ([`pra_core::probe`]) that must answer in time with the
//! right code. URLs are shown redacted (no userinfo password, no query: tokens live there).

use crate::check::CheckResult;
use crate::cli::ApiUrl;
use crate::runner::Job;
use pra_core::event::Status;
use pra_core::probe::{Prober, MAX_REDIRECTS};
use pra_core::redact::redact_url;
use std::time::Duration;

/// The `app` job: 2xx within the timeout, redirects followed.
pub fn app_job(url: String, timeout: Duration) -> Job {
    let shown = redact_url(&url);
    let mut job = Job::new(
        &["app"],
        Box::new(move |tx| {
            let _ = tx.send(check("app", &url, None, timeout, MAX_REDIRECTS));
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
    let answer = Prober::with_redirects(timeout, redirects).probe(url);
    let secs = answer.latency.as_secs_f64();
    let mut r = match (answer.status, &answer.error) {
        (Some(code), None) => {
            let good = match expect {
                Some(c) => code == c,
                None => answer.is_success(),
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
        _ => CheckResult::error(
            name,
            format!(
                "{shown}: no answer after {secs:.1} s: {}",
                answer.error.as_deref().unwrap_or("unknown")
            ),
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
