//! E-mail delivery: SMTP through lettre (plain with opportunistic STARTTLS, required
//! STARTTLS, or implicit TLS), or the local `sendmail -t`. Credentials come from
//! PRA_SMTP_USER / PRA_SMTP_PASSWORD only, never from argv.

use crate::retry::Attempt;
use crate::Error;
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: STARTTLS when the server offers it, plain otherwise.
    Opportunistic,
    /// `smtp+starttls://`: STARTTLS or nothing.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// A parsed `--smtp` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
}

impl SmtpServer {
    /// Parses `smtp://host[:port]`, `smtp+starttls://host[:port]` or `smtps://host[:port]`.
    pub fn parse(url: &str) -> Result<SmtpServer, Error> {
        // Redacted: a mistyped scheme must not echo credentials refused further down.
        let shown = pra_core::redact::redact_url(url);
        let bad = |why: &str| Error::Usage(format!("--smtp {shown:?}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected smtp://host[:port], smtp+starttls:// or smtps://"))?;
        let (security, default_port) = match scheme {
            "smtp" => (SmtpSecurity::Opportunistic, 25),
            "smtp+starttls" => (SmtpSecurity::StartTls, 587),
            "smtps" => (SmtpSecurity::Implicit, 465),
            _ => return Err(bad("the scheme must be smtp, smtp+starttls or smtps")),
        };
        if rest.contains('@') {
            // Refuse rather than redact: a password on argv is visible in `ps`.
            return Err(Error::Usage(
                "--smtp must not contain credentials; set PRA_SMTP_USER and PRA_SMTP_PASSWORD"
                    .into(),
            ));
        }
        let authority = rest.trim_end_matches('/');
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            _ => (authority, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains('/') {
            return Err(bad("expected smtp://host[:port]"));
        }
        Ok(SmtpServer {
            host: host.to_string(),
            port,
            security,
        })
    }

    /// The URL as shown in events.
    pub fn shown(&self) -> String {
        let scheme = match self.security {
            SmtpSecurity::Opportunistic => "smtp",
            SmtpSecurity::StartTls => "smtp+starttls",
            SmtpSecurity::Implicit => "smtps",
        };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// How mail leaves this host.
#[derive(Debug, Clone)]
pub enum MailRoute {
    /// An SMTP server, with optional credentials (user, password).
    Smtp(SmtpServer, Option<(String, String)>),
    /// The local sendmail program.
    Sendmail(PathBuf),
}

/// The e-mail sink's configuration.
#[derive(Debug, Clone)]
pub struct Mailer {
    /// Sender.
    pub from: Mailbox,
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// The route.
    pub route: MailRoute,
}

impl Mailer {
    /// Parses addresses; reads the credentials from the environment.
    pub fn new(
        from: Option<&str>,
        to: &[String],
        smtp: Option<&str>,
        sendmail: Option<PathBuf>,
    ) -> Result<Mailer, Error> {
        let parse = |a: &str| {
            a.trim()
                .parse::<Mailbox>()
                .map_err(|e| Error::Usage(format!("bad e-mail address {a:?}: {e}")))
        };
        let default_from = format!("pra@{}", pra_core::time::hostname());
        let from = parse(from.unwrap_or(&default_from))?;
        let to = to.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
        let route = match (smtp, sendmail) {
            (_, Some(path)) => MailRoute::Sendmail(path),
            (Some(url), None) => {
                let user = std::env::var("PRA_SMTP_USER")
                    .ok()
                    .filter(|u| !u.is_empty());
                let password = std::env::var("PRA_SMTP_PASSWORD").unwrap_or_default();
                let server = SmtpServer::parse(url)?;
                let loopback = matches!(server.host.as_str(), "localhost" | "127.0.0.1" | "::1");
                if user.is_some() && server.security == SmtpSecurity::Opportunistic && !loopback {
                    // STARTTLS that is only opportunistic can be stripped on the way.
                    log::warn!(
                        "{}: the password is sent in clear if the server does not offer \
                         STARTTLS; prefer smtp+starttls:// or smtps://",
                        server.shown()
                    );
                }
                MailRoute::Smtp(server, user.map(|u| (u, password)))
            }
            (None, None) => {
                return Err(Error::Usage(
                    "--email-to needs --smtp URL (or PRA_SMTP) or --sendmail".into(),
                ))
            }
        };
        Ok(Mailer { from, to, route })
    }

    /// The sink name in `notify` events.
    pub fn sink_name(&self) -> &'static str {
        match self.route {
            MailRoute::Smtp(..) => "email",
            MailRoute::Sendmail(_) => "sendmail",
        }
    }

    /// Where mail goes, as shown in events (never the password).
    pub fn target(&self) -> String {
        let to: Vec<String> = self.to.iter().map(|m| m.email.to_string()).collect();
        match &self.route {
            MailRoute::Smtp(server, creds) => format!(
                "{} via {}{}",
                to.join(","),
                server.shown(),
                creds
                    .as_ref()
                    .map(|(u, _)| format!(" as {u}"))
                    .unwrap_or_default()
            ),
            MailRoute::Sendmail(path) => format!("{} via {} -t", to.join(","), path.display()),
        }
    }

    /// Builds the message.
    pub fn message(&self, subject: &str, body: String) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .message_id(Some(message_id()))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder.body(body).map_err(|e| e.to_string())
    }

    /// One attempt at sending `message`.
    pub fn send(&self, message: &Message, timeout: Duration) -> Attempt {
        match &self.route {
            MailRoute::Smtp(server, creds) => send_smtp(server, creds.as_ref(), message, timeout),
            MailRoute::Sendmail(path) => send_sendmail(path, message, timeout),
        }
    }
}

/// A unique Message-ID under this host's name (mail without one is often scored as spam).
fn message_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "<pra-notify.{}.{}.{}.{}@{}>",
        now.as_secs(),
        now.subsec_nanos(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        pra_core::time::hostname()
    )
}

fn send_smtp(
    server: &SmtpServer,
    creds: Option<&(String, String)>,
    message: &Message,
    timeout: Duration,
) -> Attempt {
    let tls = match TlsParameters::new(server.host.clone()) {
        Ok(params) => match server.security {
            SmtpSecurity::Opportunistic => Tls::Opportunistic(params),
            SmtpSecurity::StartTls => Tls::Required(params),
            SmtpSecurity::Implicit => Tls::Wrapper(params),
        },
        Err(e) => {
            return Attempt::Fail {
                why: format!("TLS setup for {}: {e}", server.host),
                http_status: None,
            }
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(server.host.as_str())
        .port(server.port)
        .tls(tls)
        .timeout(Some(timeout))
        .hello_name(ClientId::Domain(pra_core::time::hostname()));
    if let Some((user, password)) = creds {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = builder.build();
    match transport.send(message) {
        Ok(_) => Attempt::Done(None),
        // 5xx answers and local mistakes will not get better by retrying; the rest
        // (4xx, connection refused, timeouts, dropped connections) may.
        Err(e) if e.is_permanent() || e.is_client() => Attempt::Fail {
            why: format!("SMTP {}: {e}", server.shown()),
            http_status: None,
        },
        Err(e) => Attempt::Retry {
            why: format!("SMTP {}: {e}", server.shown()),
            after: None,
            http_status: None,
        },
    }
}

fn send_sendmail(path: &PathBuf, message: &Message, timeout: Duration) -> Attempt {
    let fail = |why: String| Attempt::Fail {
        why,
        http_status: None,
    };
    // -t: recipients from the headers; -i: a line with a single dot is not the end.
    let mut child = match Command::new(path)
        .args(["-t", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot run {}: {e}", path.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        if let Err(e) = stdin.write_all(&message.formatted()) {
            let _ = child.kill();
            let _ = child.wait();
            return fail(format!("writing to {}: {e}", path.display()));
        }
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Attempt::Done(None),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut s, &mut err);
                }
                // sendmail's EX_TEMPFAIL (75) says "try again later".
                let why = format!("{} exited with {status}: {}", path.display(), err.trim());
                return if status.code() == Some(75) {
                    Attempt::Retry {
                        why,
                        after: None,
                        http_status: None,
                    }
                } else {
                    fail(why)
                };
            }
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Attempt::Retry {
                    why: format!(
                        "{} did not finish within {} s",
                        path.display(),
                        timeout.as_secs()
                    ),
                    after: None,
                    http_status: None,
                };
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return fail(format!("waiting for {}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let s = SmtpServer::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 2525));
        assert_eq!(s.security, SmtpSecurity::Opportunistic);
        let s = SmtpServer::parse("smtps://mail.example.com").unwrap();
        assert_eq!((s.port, s.security), (465, SmtpSecurity::Implicit));
        let s = SmtpServer::parse("smtp+starttls://mail.example.com/").unwrap();
        assert_eq!((s.port, s.security), (587, SmtpSecurity::StartTls));
        assert!(SmtpServer::parse("smtp://u:pw@h:25").is_err());
        assert!(SmtpServer::parse("http://h").is_err());
        // Refused before the credential check, the message still hides the password.
        let e = SmtpServer::parse("smpt://u:s3cret@h:25")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u:***@h") && !e.contains("s3cret"), "{e}");
        assert!(SmtpServer::parse("smtp://h:port").is_err());
    }
}
