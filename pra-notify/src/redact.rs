//! Redaction of the secrets pra-notify handles: webhook URLs (tokens live in the
//! path, the query or the userinfo) and phone numbers.

/// A webhook URL safe to show: scheme, host and port only, then `/***` when there was
/// a path (a Slack URL's token is its path: `https://hooks.slack.com/services/***`).
///
/// For Slack the first path segment (`services`) is kept, as it tells which kind of
/// Slack URL it is without revealing anything.
pub fn redact_webhook(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_string();
    };
    // Userinfo is dropped entirely: it is a credential.
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if tail.is_empty() || tail == "/" {
        return format!("{scheme}://{authority}{tail}");
    }
    let keep = if authority.ends_with("slack.com") {
        tail.trim_start_matches('/')
            .split(['/', '?', '#'])
            .next()
            .filter(|s| !s.is_empty())
            .map(|s| format!("/{s}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!("{scheme}://{authority}{keep}/***")
}

/// A phone number safe to show: every digit but the last two replaced by `*`.
pub fn redact_phone(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 > digits {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

/// Replaces every occurrence of each secret in `text` (error messages from HTTP
/// libraries may quote the URL they failed on).
pub fn scrub(text: &str, secrets: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (secret, shown) in secrets {
        if !secret.is_empty() {
            out = out.replace(secret, shown);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_tokens_are_hidden() {
        assert_eq!(
            redact_webhook("https://hooks.slack.com/services/T000/B000/XXXXsecret"),
            "https://hooks.slack.com/services/***"
        );
        assert_eq!(
            redact_webhook("https://ntfy.sh/my-secret-topic?auth=tok"),
            "https://ntfy.sh/***"
        );
        assert_eq!(
            redact_webhook("http://user:pw@127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/***"
        );
        assert_eq!(redact_webhook("http://127.0.0.1:80"), "http://127.0.0.1:80");
        assert_eq!(redact_webhook("garbage-secret"), "***");
    }

    #[test]
    fn phones_keep_two_digits() {
        assert_eq!(redact_phone("+15551234567"), "+*********67");
        assert_eq!(redact_phone("06 12 34 56 78"), "** ** ** ** 78");
        assert_eq!(redact_phone("7"), "7");
    }

    #[test]
    fn scrub_replaces_secrets() {
        let s = scrub(
            "error for http://h/tok: refused",
            &[("http://h/tok", "http://h/***".into())],
        );
        assert_eq!(s, "error for http://h/***: refused");
    }
}
