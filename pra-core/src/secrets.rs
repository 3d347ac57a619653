//! The secrets of this run, and the scrubbing of every log line against them.
//!
//! Redaction at the source ([`crate::redact`]) covers what pra itself writes; it
//! cannot cover what libraries log at debug level (`ureq`, `lettre`, `object_store`
//! print the URLs and credentials they were given). So every log line goes through
//! [`scrub_log_line`] in the logger's format hook (`cli::init_logging`): the
//! secrets registered here are replaced wherever they appear, URLs lose their
//! password and query, and `password=…` settings lose their value. DESIGN.md: no
//! secret ever appears in a log line, at any level.

use crate::redact::{redact_url, redact_webhook, MASK};
use std::sync::Mutex;

/// Secrets shorter than this are not registered: masking every `abc` in every log
/// line would make logs unreadable, and such a secret protects nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// (secret, what is shown instead), longest first.
static SECRETS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Registers a secret: from now on every log line shows `shown` in its place.
pub fn register(secret: &str, shown: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut list = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if list.iter().any(|(s, _)| s == secret) {
        return;
    }
    list.push((secret.to_string(), shown.to_string()));
    // Longest first: a URL is replaced whole before its password alone.
    list.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
}

/// Registers a URL that is a credential as a whole (a webhook, an SMS gateway): the
/// URL, its path and query, and its userinfo are hidden wherever they appear.
pub fn register_credential_url(url: &str) {
    register(url, &redact_webhook(url));
    register_url_parts(url, true);
}

/// Registers the secret parts of a location URL (repository, health URL, server
/// URI): its userinfo password and its query. The path stays readable.
pub fn register_url(url: &str) {
    register_url_parts(url, false);
}

fn register_url_parts(url: &str, path_is_secret: bool) {
    let Some((_, rest)) = url.split_once("://") else {
        return;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        match userinfo.split_once(':') {
            Some((user, password)) => {
                register(password, MASK);
                register(&percent_decoded(password), MASK);
                // What an HTTP client sends for it: `Authorization: Basic …`.
                let basic = format!("{}:{}", percent_decoded(user), percent_decoded(password));
                register(&base64(basic.as_bytes()), MASK);
            }
            None => register(userinfo, MASK),
        }
    }
    if path_is_secret {
        let path = after.split(['?', '#']).next().unwrap_or(after);
        for secret in [after, path] {
            if secret.len() > 1 {
                register(secret, &format!("/{MASK}"));
            }
        }
    }
    if let Some(q) = after.find('?').map(|i| &after[i + 1..]) {
        register(q, MASK);
        for pair in q.split('&') {
            if let Some((_, v)) = pair.split_once('=') {
                register(v, MASK);
            }
        }
    }
}

/// Standard base64 with padding (RFC 4648), as in HTTP basic authentication.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Environment variables whose values are secrets, by name: `PGPASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`, `PRA_SMTP_PASSWORD`, tokens, keys …
fn is_secret_var(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL"]
        .iter()
        .any(|w| n.contains(w))
        || n.ends_with("_KEY")
        || n == "PRA_WEBHOOK_HEADERS"
}

/// Registers what the environment and the command line carry: secret variables
/// by name, webhook variables as credential URLs, and the password and query of
/// every URL or `password=` setting on the command line. Called once, when
/// logging starts; tools register what they read from files themselves.
pub fn register_from_environment() {
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        let upper = name.to_ascii_uppercase();
        if upper.ends_with("WEBHOOK") || upper.ends_with("_SMTP") {
            // PRA_WEBHOOK may list several, comma-separated.
            value
                .split([',', '\n'])
                .for_each(|u| register_credential_url(u.trim()));
        } else if is_secret_var(name) && !upper.ends_with("_FILE") {
            for line in value.lines() {
                // A header line `Name: value` hides its value.
                match (upper.as_str(), line.split_once(':')) {
                    ("PRA_WEBHOOK_HEADERS", Some((_, v))) => register(v.trim(), MASK),
                    _ => register(line.trim(), MASK),
                }
            }
        } else if value.contains("://") {
            register_url(value);
        }
    }
    for arg in std::env::args_os().filter_map(|a| a.into_string().ok()) {
        register_settings(&arg);
    }
}

/// Registers the secret parts of one command-line value: a URL's password and
/// query, a conninfo string's `password`, a `Name: value` header's value.
fn register_settings(arg: &str) {
    if arg.contains("://") {
        register_url(arg);
    }
    let mut rest = arg;
    while let Some(i) = rest.find("password=") {
        let value = &rest[i + "password=".len()..];
        let len = password_value_len(value);
        let raw = &value[..len];
        let unquoted = raw
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .map(|v| v.replace("\\'", "'").replace("\\\\", "\\"));
        register(unquoted.as_deref().unwrap_or(raw), MASK);
        rest = &value[len..];
    }
}

/// The length of a `password=` value: up to the closing quote of a quoted one, else
/// up to the next whitespace.
fn password_value_len(value: &str) -> usize {
    let Some(quoted) = value.strip_prefix('\'') else {
        return value.find(char::is_whitespace).unwrap_or(value.len());
    };
    let mut escaped = false;
    let close = quoted.char_indices().find(|&(_, c)| {
        let end = c == '\'' && !escaped;
        escaped = c == '\\' && !escaped;
        end
    });
    close.map_or(value.len(), |(j, _)| j + 2)
}

/// A log line with every registered secret replaced, URLs stripped of password and
/// query, and the values of `password=` settings masked.
pub fn scrub_log_line(line: &str) -> String {
    let mut out = line.to_string();
    {
        let list = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
        for (secret, shown) in list.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), shown);
            }
        }
    }
    mask_password_settings(&mask_urls(&out))
}

/// Every `scheme://…` in the text through [`redact_url`].
fn mask_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-".contains(c)))
            .map_or(0, |j| j + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || "\"'<>`".contains(c))
            .map_or(rest.len(), |j| i + j);
        out.push_str(&rest[..start]);
        if start == i {
            out.push_str(&rest[start..end]);
        } else {
            out.push_str(&redact_url(&rest[start..end]));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `password=value` and `password='quoted value'` (conninfo) with the value masked.
fn mask_password_settings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("password=") {
        let value_at = i + "password=".len();
        out.push_str(&rest[..value_at]);
        let value = &rest[value_at..];
        let len = password_value_len(value);
        if len > 0 && !value.starts_with(MASK) {
            out.push_str(MASK);
        } else {
            out.push_str(&value[..len]);
        }
        rest = &value[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_urls_and_password_settings_are_masked() {
        register_credential_url("https://hooks.example/hook/s3cr3tpath?token=qtok3n");
        register("pgpass-pw-42", MASK);
        register("ab", MASK);
        let line = scrub_log_line(
            "POST https://hooks.example/hook/s3cr3tpath?token=qtok3n then /hook/s3cr3tpath \
             and qtok3n; pgpass-pw-42; ab stays; postgresql://u:uripw@db/app?sslmode=require; \
             host=h password='it\\'s secret' user=u password=plain",
        );
        for secret in [
            "s3cr3tpath",
            "qtok3n",
            "pgpass-pw-42",
            "uripw",
            "it\\'s",
            "secret'",
            "plain",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        assert!(line.contains("ab stays"), "{line}");
        assert!(line.contains("https://hooks.example/***"), "{line}");
        assert!(line.contains("postgresql://u:***@db/app?***"), "{line}");
        assert!(line.contains("user=u password=***"), "{line}");
    }

    #[test]
    fn basic_auth_headers_are_hidden_too() {
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        register_credential_url("http://alice:b4sic-pw@127.0.0.1:1/x");
        let line = scrub_log_line("authorization: Basic YWxpY2U6YjRzaWMtcHc=");
        assert_eq!(line, "authorization: Basic ***");
    }

    #[test]
    fn command_line_password_settings_are_registered() {
        register_settings("host=h password='q\\'uoted pw' user=u");
        register_settings("dbname=app password=bare-pw-7");
        let line = scrub_log_line("sent q'uoted pw and bare-pw-7");
        assert_eq!(line, "sent *** and ***");
    }

    #[test]
    fn url_parts_are_registered_decoded_too() {
        register_url("s3://key:p%40ss%2Fword@bucket/prefix?x=sig-value-1");
        let line = scrub_log_line("auth with p@ss/word signed sig-value-1 for /prefix");
        assert_eq!(line, "auth with *** signed *** for /prefix");
    }
}
