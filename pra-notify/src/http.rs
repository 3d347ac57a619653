//! One HTTP POST attempt (ureq), classified for the retry loop: 2xx done; timeouts,
//! connection errors, 408, 429 and 5xx retried; other answers are final.

use crate::retry::Attempt;
use std::time::Duration;

/// POSTs `body` as JSON to `url` with `headers`, within `timeout`.
///
/// `shown_url` replaces the URL in error messages (it holds a token).
pub fn post_json(
    url: &str,
    shown_url: &str,
    headers: &[(String, String)],
    body: &str,
    timeout: Duration,
) -> Attempt {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout(timeout)
        // A redirect would resend to a place the operator did not configure.
        .redirects(0)
        .user_agent(concat!("pra-notify/", env!("CARGO_PKG_VERSION")))
        .build();
    let mut request = agent.post(url).set("Content-Type", "application/json");
    for (k, v) in headers {
        request = request.set(k, v);
    }
    let scrub = |text: String| crate::redact::scrub(&text, &[(url, shown_url.to_string())]);
    match request.send_string(body) {
        Ok(response) if (200..300).contains(&response.status()) => {
            Attempt::Done(Some(response.status()))
        }
        Ok(response) => Attempt::Fail {
            why: format!("unexpected answer HTTP {}", response.status()),
            http_status: Some(response.status()),
        },
        Err(ureq::Error::Status(code, response)) => {
            let after = response
                .header("Retry-After")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.into_string().unwrap_or_default();
            let why = format!(
                "HTTP {code}{}{}",
                if text.trim().is_empty() { "" } else { ": " },
                crate::message::truncate(text.trim(), 200)
            );
            let why = scrub(why);
            if code == 408 || code == 429 || code >= 500 {
                Attempt::Retry {
                    why,
                    after: if code == 429 { after } else { None },
                    http_status: Some(code),
                }
            } else {
                Attempt::Fail {
                    why,
                    http_status: Some(code),
                }
            }
        }
        Err(ureq::Error::Transport(t)) => {
            use ureq::ErrorKind::*;
            // Built from the kind and the cause, not from the error's Display, which
            // names the URL (its token) in a normalized form a scrub might miss.
            let mut why = t.kind().to_string();
            if let Some(m) = t.message() {
                why = format!("{why}: {m}");
            }
            if let Some(source) = std::error::Error::source(&t) {
                why = format!("{why}: {source}");
            }
            let why = scrub(why);
            match t.kind() {
                Dns | ConnectionFailed | Io | ProxyConnect | BadStatus => Attempt::Retry {
                    why,
                    after: None,
                    http_status: None,
                },
                _ => Attempt::Fail {
                    why,
                    http_status: None,
                },
            }
        }
    }
}
