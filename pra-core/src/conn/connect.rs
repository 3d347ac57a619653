//! Opening a connection as libpq does: each host of the list in turn, TLS per
//! `sslmode` (`allow` and `prefer` retry the other way when the server refuses),
//! never TLS on a Unix socket, and failures worded like libpq's, with its hints.

use super::liveness::{connect_within, Attempt};
use super::tls::{self, SslMode};
use super::{describe_pg_error, os_user, ConnError, ConnSettings};
use postgres::config::{ChannelBinding, SslMode as PgSslMode, TargetSessionAttrs};
use postgres_openssl::MakeTlsConnector;
use std::net::IpAddr;

/// One host of the list: a name or socket directory, an address, a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    host: Option<String>,
    addr: Option<IpAddr>,
    port: u16,
}

impl Target {
    fn is_socket(&self) -> bool {
        self.addr.is_none()
            && self
                .host
                .as_deref()
                .is_some_and(|h| h.starts_with('/') || h.starts_with('@'))
    }

    /// Adds this host to a `postgres::Config`.
    pub(super) fn add_to(&self, cfg: &mut postgres::Config) {
        if !self.is_socket() {
            super::liveness::remember_port(self.port);
        }
        if let Some(h) = &self.host {
            cfg.host(h);
        }
        if let Some(a) = self.addr {
            cfg.hostaddr(a);
        }
        cfg.port(self.port);
    }

    /// The host name the password file and the messages use.
    fn name(&self) -> String {
        match (&self.host, self.addr) {
            (Some(h), _) => h.clone(),
            (None, Some(a)) => a.to_string(),
            (None, None) => String::new(),
        }
    }

    /// libpq's words for where it connected.
    fn describe(&self) -> String {
        if self.is_socket() {
            let dir = self.name();
            return format!(
                "connection to server on socket \"{}/.s.PGSQL.{}\"",
                dir.trim_end_matches('/'),
                self.port
            );
        }
        match (&self.host, self.addr) {
            (Some(h), Some(a)) => {
                format!("connection to server at \"{h}\" ({a}), port {}", self.port)
            }
            _ => format!(
                "connection to server at \"{}\", port {}",
                self.name(),
                self.port
            ),
        }
    }
}

impl ConnSettings {
    /// The hosts to try, in order, with their addresses and ports.
    pub(super) fn targets(&self) -> Result<Vec<Target>, ConnError> {
        let addrs: Vec<IpAddr> = match &self.hostaddr {
            Some(list) => list
                .split(',')
                .map(|a| {
                    a.trim().parse().map_err(|_| {
                        ConnError::Invalid(format!("invalid hostaddr {a:?} (an IP address)"))
                    })
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let hosts: Vec<Option<String>> = match (&self.host, addrs.is_empty()) {
            (Some(list), _) => list
                .split(',')
                .map(|h| Some(h.trim().to_string()).filter(|h| !h.is_empty()))
                .collect(),
            (None, false) => vec![None; addrs.len()],
            (None, true) => vec![Some(self.host())],
        };
        if !addrs.is_empty() && addrs.len() != hosts.len() {
            return Err(ConnError::Invalid(format!(
                "could not match {} host names to {} hostaddr values",
                hosts.len(),
                addrs.len()
            )));
        }
        let ports: Vec<u16> = self
            .port()
            .split(',')
            .map(|p| {
                p.trim()
                    .parse()
                    .map_err(|_| ConnError::Invalid(format!("invalid port {p:?}")))
            })
            .collect::<Result<_, _>>()?;
        if ports.len() != 1 && ports.len() != hosts.len() {
            return Err(ConnError::Invalid(format!(
                "could not match {} port numbers to {} hosts",
                ports.len(),
                hosts.len()
            )));
        }
        let default_host = self.host();
        Ok(hosts
            .into_iter()
            .enumerate()
            .map(|(i, host)| Target {
                // An empty entry of a list means the default, as in libpq.
                host: host.or_else(|| addrs.is_empty().then(|| default_host.clone())),
                addr: addrs.get(i).copied(),
                port: ports.get(i).or(ports.first()).copied().unwrap_or(5432),
            })
            .collect())
    }

    /// Everything but hosts, password and TLS.
    pub(super) fn base_config(&self) -> Result<postgres::Config, ConnError> {
        let mut cfg = postgres::Config::new();
        cfg.user(&self.user());
        cfg.dbname(&self.dbname());
        cfg.connect_timeout(self.connect_timeout());
        self.liveness.apply(&mut cfg);
        cfg.application_name(self.application_name.as_deref().unwrap_or("pra"));
        if let Some(o) = &self.options {
            cfg.options(o);
        }
        cfg.target_session_attrs(match self.target_session_attrs.as_deref() {
            Some("read-write") => TargetSessionAttrs::ReadWrite,
            Some("read-only") => TargetSessionAttrs::ReadOnly,
            _ => TargetSessionAttrs::Any,
        });
        cfg.channel_binding(match self.channel_binding.as_deref() {
            Some("disable") => ChannelBinding::Disable,
            Some("require") => ChannelBinding::Require,
            _ => ChannelBinding::Prefer,
        });
        Ok(cfg)
    }

    /// Connects with the `postgres` crate, as libpq would with these settings.
    pub fn connect(&self) -> Result<postgres::Client, ConnError> {
        let base = self.base_config()?;
        let targets = self.targets()?;
        let mode = self.tls.mode();
        let tls = if mode != SslMode::Disable && targets.iter().any(|t| !t.is_socket()) {
            Some(self.tls.connector().map_err(ConnError::Invalid)?)
        } else {
            None
        };
        let mut failures = Vec::new();
        for t in &targets {
            let mut cfg = base.clone();
            t.add_to(&mut cfg);
            if let Some(pw) = self.password_for(&t.name(), &t.port.to_string()) {
                cfg.password(pw);
            }
            match self.connect_target(&mut cfg, t, mode, tls.as_ref()) {
                Ok(client) => return Ok(client),
                Err(reason) => failures.push(reason),
            }
        }
        Err(ConnError::Connect {
            target: self.to_string(),
            reason: failures.join("; "),
        })
    }

    fn connect_target(
        &self,
        cfg: &mut postgres::Config,
        t: &Target,
        mode: SslMode,
        tls: Option<&MakeTlsConnector>,
    ) -> Result<postgres::Client, String> {
        // `true` is a TLS attempt. libpq never uses TLS on a Unix socket.
        let attempts: &[bool] = match (t.is_socket(), mode) {
            (true, _) | (false, SslMode::Disable) => &[false],
            (false, SslMode::Allow) => &[false, true],
            (false, SslMode::Prefer) => &[true, false],
            (false, _) => &[true],
        };
        if mode == SslMode::VerifyFull && !t.is_socket() && t.host.is_none() {
            return Err(format!(
                "{} failed: host name must be specified for a verified SSL connection",
                t.describe()
            ));
        }
        let mut last = None;
        for (i, &with_tls) in attempts.iter().enumerate() {
            let connector = match (with_tls, tls) {
                (true, Some(connector)) => {
                    // Prefer lets tokio-postgres go plain when the server has no TLS.
                    cfg.ssl_mode(if mode == SslMode::Prefer {
                        PgSslMode::Prefer
                    } else {
                        PgSslMode::Require
                    });
                    Some(connector.clone())
                }
                _ => {
                    cfg.ssl_mode(PgSslMode::Disable);
                    None
                }
            };
            let timeout = self.connect_timeout();
            let e = match connect_within(cfg.clone(), connector, timeout) {
                Attempt::Done(done) => match *done {
                    Ok(client) => return Ok(client),
                    Err(e) => e,
                },
                // libpq's words; the next host of the list is still tried.
                Attempt::TimedOut => {
                    return Err(format!(
                        "{} failed: timeout expired (connect_timeout {} s)",
                        t.describe(),
                        timeout.as_secs()
                    ))
                }
                Attempt::Abandoned => {
                    return Err(format!("{} abandoned: the run is stopping", t.describe()))
                }
            };
            // As libpq: the other way is tried when the server refused this one
            // (pg_hba.conf), and for prefer also when the TLS handshake failed.
            let refused = e.as_db_error().is_some()
                || (with_tls && mode == SslMode::Prefer && is_tls_error(&e));
            if !refused || i + 1 == attempts.len() {
                return Err(self.describe_failure(t, &e, mode));
            }
            last = Some(e);
        }
        Err(last.map_or_else(String::new, |e| self.describe_failure(t, &e, mode)))
    }

    /// A failure in libpq's words, with the hint psql would give.
    fn describe_failure(&self, t: &Target, e: &postgres::Error, mode: SslMode) -> String {
        let at = t.describe();
        if let Some(db) = e.as_db_error() {
            let mut msg = format!("{at} failed: {}: {}", db.severity(), db.message());
            if db.message().starts_with("Peer authentication failed") {
                msg.push_str(&format!(
                    " (pra runs as operating-system user \"{}\" and asked for database user \
                     \"{}\": peer authentication needs them to match, or a pg_ident.conf map; \
                     run pra as that user, set user=/PGUSER, or connect over TCP with a password)",
                    os_user().unwrap_or_else(|| "?".to_string()),
                    self.user()
                ));
            } else if db.message().contains("no encryption") && !mode.requires_tls() {
                msg.push_str(&format!(
                    " (the server accepts only TLS connections from here; sslmode is {}: use \
                     sslmode=require or stronger)",
                    mode.name()
                ));
            }
            return msg;
        }
        let io = std::iter::successors(std::error::Error::source(e), |s| s.source())
            .find_map(|s| s.downcast_ref::<std::io::Error>());
        let Some(io) = io else {
            let text = describe_pg_error(e);
            if text.contains("mismatch") && text.contains("certificate verify failed") {
                return format!(
                    "{at} failed: SSL error: certificate verify failed: server certificate does \
                     not match host name \"{}\"",
                    t.name()
                );
            }
            return format!("{at} failed: {}", tls::ssl_words(&text));
        };
        // libpq prints strerror's words, without Rust's "(os error N)".
        let text = io.to_string();
        let text = text.split(" (os error").next().unwrap_or(&text);
        use std::io::ErrorKind as K;
        if t.is_socket() && matches!(io.kind(), K::NotFound | K::ConnectionRefused) {
            format!(
                "{at} failed: {text}; is the server running locally and accepting connections \
                 on that socket?"
            )
        } else if matches!(io.kind(), K::ConnectionRefused | K::TimedOut) {
            format!(
                "{at} failed: {text}; is the server running on host \"{}\" and accepting \
                 TCP/IP connections on port {}?",
                t.name(),
                t.port
            )
        } else {
            format!("{at} failed: {text}")
        }
    }
}

fn is_tls_error(e: &postgres::Error) -> bool {
    e.to_string().contains("TLS")
}
