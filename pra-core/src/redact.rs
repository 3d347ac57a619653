//! Redaction: the one place that decides what of a URL, a phone number or an error
//! message may appear in an event or a log line (DESIGN.md: no secret ever does).
//!
//! Two URL policies, because URLs hold secrets in two ways:
//! - [`redact_url`] for locations people need to read (a repository, a health URL): the
//!   path stays, the userinfo password, the query and the fragment go, and so do the
//!   token segments of webhook paths that are known to be secrets (Slack's
//!   `/services/T…/B…/secret`);
//! - [`redact_webhook`] for URLs that are credentials as a whole (webhooks, SMS
//!   providers): only scheme, host and port stay.

/// What replaces a secret.
pub const MASK: &str = "***";

/// The parts of a URL: `scheme://[userinfo@]authority[/path][?query][#fragment]`.
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    authority: &'a str,
    path: &'a str,
    /// The query and fragment, with their leading `?` or `#`.
    tail: &'a str,
}

/// Splits a URL; `None` when it has no `scheme://`.
fn split(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    // The authority ends at the first `/`, `?` or `#`; an `@` after that (an e-mail
    // address in a query) is not userinfo.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let (userinfo, authority) = match authority.rsplit_once('@') {
        Some((u, a)) => (Some(u), a),
        None => (None, authority),
    };
    let path_end = after.find(['?', '#']).unwrap_or(after.len());
    let (path, tail) = after.split_at(path_end);
    Some(UrlParts {
        scheme,
        userinfo,
        authority,
        path,
        tail,
    })
}

/// A URL safe to show where its path matters: `user:***@` for userinfo with a password
/// (`***@` without one),
/// `?***` for a query (tokens live there), the fragment dropped, and the secret segments
/// of known webhook paths masked (`https://hooks.slack.com/services/***`).
/// Text that is not a URL is returned as is: a local path holds no secret.
pub fn redact_url(url: &str) -> String {
    let Some(p) = split(url) else {
        return url.to_string();
    };
    let mut out = format!("{}://", p.scheme);
    if let Some(userinfo) = p.userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => out.push_str(&format!("{user}:{MASK}@")),
            // A lone user name may itself be the token (`https://TOKEN@host`).
            None => out.push_str(&format!("{MASK}@")),
        }
    }
    out.push_str(p.authority);
    out.push_str(&redact_token_path(p.authority, p.path));
    if p.tail.starts_with('?') {
        out.push_str(&format!("?{MASK}"));
    }
    out
}

/// The path of a URL with the segments that are tokens masked, for the hosts known to
/// put a secret in the path (chat webhooks).
fn redact_token_path(authority: &str, path: &str) -> String {
    token_path_prefix(authority, path)
        .map(|prefix| format!("{prefix}{MASK}"))
        .unwrap_or_else(|| path.to_string())
}

/// The kind-naming prefix of a known chat-webhook path whose rest is a token.
fn token_path_prefix(authority: &str, path: &str) -> Option<&'static str> {
    let host = authority.split(':').next().unwrap_or(authority);
    // host suffix, the path prefix that names the kind of URL, kept.
    const TOKEN_PATHS: &[(&str, &str)] = &[
        ("slack.com", "/services/"),
        ("slack.com", "/workflows/"),
        ("slack.com", "/triggers/"),
        ("discord.com", "/api/webhooks/"),
        ("discordapp.com", "/api/webhooks/"),
        ("office.com", "/webhookb2/"),
        ("api.telegram.org", "/bot"),
        // Mattermost (and Rocket.Chat, Gitea …) are self-hosted, so any host:
        // `https://chat.example.com/hooks/<key>`.
        ("", "/hooks/"),
    ];
    TOKEN_PATHS
        .iter()
        .find(|(suffix, prefix)| {
            host.ends_with(suffix) && path.starts_with(prefix) && path.len() > prefix.len()
        })
        .map(|(_, prefix)| *prefix)
}

/// A URL that is a credential as a whole, safe to show: scheme, host and port, then
/// `/***` when there was a path or a query. The prefix of a known chat-webhook path
/// stays (`/services/***` for Slack, `/api/webhooks/***` for Discord, `/bot***` for
/// Telegram, `/hooks/***`): it tells which kind of URL it is and reveals nothing.
/// Userinfo is dropped entirely; text that is not a URL becomes `***`.
pub fn redact_webhook(url: &str) -> String {
    let Some(p) = split(url) else {
        return MASK.to_string();
    };
    let scheme = p.scheme;
    let authority = p.authority;
    if p.tail.is_empty() && (p.path.is_empty() || p.path == "/") {
        return format!("{scheme}://{authority}{}", p.path);
    }
    if let Some(prefix) = token_path_prefix(authority, p.path) {
        return format!("{scheme}://{authority}{prefix}{MASK}");
    }
    let keep = if authority.ends_with("slack.com") {
        p.path
            .trim_start_matches('/')
            .split('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(|s| format!("/{s}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!("{scheme}://{authority}{keep}/{MASK}")
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

/// Replaces every occurrence of each secret in `text` by its shown form (error
/// messages from HTTP and SMTP libraries may quote the URL they failed on).
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
    fn url_passwords_and_queries_are_hidden_paths_kept() {
        assert_eq!(
            redact_url("s3://key:secret@bucket/p"),
            "s3://key:***@bucket/p"
        );
        assert_eq!(
            redact_url("https://hooks.example/x?token=abc"),
            "https://hooks.example/x?***"
        );
        assert_eq!(
            redact_url("https://app.example/health?token=abc#frag"),
            "https://app.example/health?***"
        );
        // A lone user may be a token; an `@` in the query is not userinfo.
        assert_eq!(redact_url("https://tok@h/x"), "https://***@h/x");
        assert_eq!(
            redact_url("https://h/x?mail=a@b.example"),
            "https://h/x?***"
        );
        assert_eq!(
            redact_url("postgresql://u:pw@db:5432/app?sslmode=require"),
            "postgresql://u:***@db:5432/app?***"
        );
        assert_eq!(redact_url("/var/backups/pra"), "/var/backups/pra");
        assert_eq!(redact_url("file:///srv/r"), "file:///srv/r");
    }

    #[test]
    fn url_token_paths_of_known_webhooks_are_hidden() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T000/B000/XXXXsecret"),
            "https://hooks.slack.com/services/***"
        );
        assert_eq!(
            redact_url("https://discord.com/api/webhooks/123/tok"),
            "https://discord.com/api/webhooks/***"
        );
        assert_eq!(
            redact_url("https://api.telegram.org/bot123:ABC/sendMessage"),
            "https://api.telegram.org/bot***"
        );
        assert_eq!(
            redact_url("https://chat.example.com/hooks/xxx-generatedkey-xxx"),
            "https://chat.example.com/hooks/***"
        );
        // Teams Workflows: the signature is in the query.
        assert_eq!(
            redact_url(
                "https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/\
                 paths/invoke?api-version=2016-06-01&sp=x&sv=1.0&sig=SECRET"
            ),
            "https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/\
             paths/invoke?***"
        );
        // Not a known webhook host: the path is shown.
        assert_eq!(
            redact_url("https://shop.example/services/health"),
            "https://shop.example/services/health"
        );
    }

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
            redact_webhook("https://ntfy.sh?auth=tok"),
            "https://ntfy.sh/***"
        );
        assert_eq!(
            redact_webhook("http://user:pw@127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/***"
        );
        assert_eq!(redact_webhook("http://127.0.0.1:80"), "http://127.0.0.1:80");
        assert_eq!(
            redact_webhook("http://127.0.0.1:80/"),
            "http://127.0.0.1:80/"
        );
        assert_eq!(redact_webhook("garbage-secret"), "***");
        // Known chat webhooks keep the part of the path that says what they are.
        assert_eq!(
            redact_webhook("https://discord.com/api/webhooks/123/tok"),
            "https://discord.com/api/webhooks/***"
        );
        assert_eq!(
            redact_webhook("https://api.telegram.org/bot123:ABC/sendMessage"),
            "https://api.telegram.org/bot***"
        );
        assert_eq!(
            redact_webhook("https://chat.example.com/hooks/xxx-generatedkey-xxx"),
            "https://chat.example.com/hooks/***"
        );
        assert_eq!(
            redact_webhook("https://x.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d"),
            "https://x.webhook.office.com/webhookb2/***"
        );
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
            &[("http://h/tok", "http://h/***".into()), ("", "x".into())],
        );
        assert_eq!(s, "error for http://h/***: refused");
    }
}
