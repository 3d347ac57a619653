//! One HTTP POST attempt (ureq), classified for the retry loop: 2xx done; timeouts,
//! connection errors, 408, 429 and 5xx retried; other answers are final. A 429 waits
//! as long as its `Retry-After` header or the `retry_after` of its JSON body says
//! (Discord: seconds as a float at the top; Telegram: `parameters.retry_after`).

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
    let scrub = |text: String| pra_core::redact::scrub(&text, &[(url, shown_url.to_string())]);
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
            let after = after.max(retry_after_in_body(&text));
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

/// The wait a rate-limit answer asks for in its JSON body, if any.
fn retry_after_in_body(text: &str) -> Option<Duration> {
    let body: serde_json::Value = serde_json::from_str(text).ok()?;
    let seconds = body["retry_after"]
        .as_f64()
        .or_else(|| body["parameters"]["retry_after"].as_f64())?;
    // A negative, infinite or absurd value is no instruction; --max-wait bounds the rest.
    (seconds.is_finite() && (0.0..1e9).contains(&seconds)).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_from_discord_and_telegram_bodies() {
        let discord =
            r#"{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}"#;
        assert_eq!(
            retry_after_in_body(discord),
            Some(Duration::from_millis(1500))
        );
        let telegram = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#;
        assert_eq!(retry_after_in_body(telegram), Some(Duration::from_secs(7)));
        assert_eq!(retry_after_in_body("slow down"), None);
        assert_eq!(retry_after_in_body(r#"{"retry_after": -3}"#), None);
    }
}
