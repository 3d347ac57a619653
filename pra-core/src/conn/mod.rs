//! PostgreSQL connection settings, the libpq way.
//!
//! `-d/--dbname` takes a database name, a `key=value` conninfo string or a
//! `postgresql://` URI. As in libpq, what it does not say comes from the service
//! (`service=NAME` or `PGSERVICE`, see [`service`]), then from the `PG*` variables
//! (`PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
//! `PGPASSFILE` (else `~/.pgpass`), `PGOPTIONS`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`,
//! `PGTARGETSESSIONATTRS`, `PGCHANNELBINDING`, and the `PGSSL*` variables of [`tls`]).
//!
//! [`ConnSettings`] connects the tools' own sessions (TLS per `sslmode`, see [`tls`])
//! and produces the environment for child processes (`pg_dump`, `pg_restore`,
//! `psql`), so that both make the same choices: the password travels in
//! `PGPASSWORD`, never on a command line. Its `Display` form is redacted and safe
//! for logs and events.

mod connect;
pub mod conninfo;
mod liveness;
mod params;
pub mod pgpass;
pub mod service;
pub mod tls;

pub use liveness::{
    postgres_sockets, sever_all, spare, SocketId, Spared, CONNECT_TIMEOUT_ENV,
    DEFAULT_CONNECT_TIMEOUT,
};

use crate::error_class::ErrorClass;
use crate::exit::ExitStatus;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What can go wrong with connection settings or a connection.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The `-d` value or a `PG*` variable is malformed.
    #[error("invalid connection settings: {0}")]
    Invalid(String),
    /// The server could not be reached or refused us.
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        /// Where we tried to connect (redacted).
        target: String,
        /// Why it failed, in the server's or the OS's words.
        reason: String,
    },
}

impl ExitStatus for ConnError {
    fn class(&self) -> ErrorClass {
        match self {
            ConnError::Invalid(_) => ErrorClass::Config,
            ConnError::Connect { .. } => ErrorClass::Connection,
        }
    }
}

/// Connection settings: what was given, with libpq's defaults applied by the accessors.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnSettings {
    host: Option<String>,
    hostaddr: Option<String>,
    port: Option<String>,
    user: Option<String>,
    dbname: Option<String>,
    password: Option<String>,
    passfile: Option<PathBuf>,
    connect_timeout: Option<u64>,
    /// `PRA_CONNECT_TIMEOUT`: pra's default when libpq's settings give none.
    default_connect_timeout: Option<u64>,
    liveness: liveness::Liveness,
    application_name: Option<String>,
    options: Option<String>,
    target_session_attrs: Option<String>,
    channel_binding: Option<String>,
    tls: tls::TlsParams,
}

impl fmt::Debug for ConnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password, not even in a debug dump.
        write!(f, "ConnSettings({self})")
    }
}

impl ConnSettings {
    /// The host (or comma-separated hosts); a value starting with `/` is a socket directory.
    /// Without a host but with `hostaddr`, the address.
    pub fn host(&self) -> String {
        self.host
            .clone()
            .or_else(|| self.hostaddr.clone())
            .unwrap_or_else(|| {
                if Path::new(pgpass::DEFAULT_SOCKET_DIR).is_dir() {
                    pgpass::DEFAULT_SOCKET_DIR.to_string()
                } else {
                    "localhost".to_string()
                }
            })
    }

    /// The port (or comma-separated ports), default 5432.
    pub fn port(&self) -> String {
        self.port.clone().unwrap_or_else(|| "5432".to_string())
    }

    /// The user name, default the operating-system user.
    pub fn user(&self) -> String {
        self.user
            .clone()
            .or_else(os_user)
            .unwrap_or_else(|| "postgres".to_string())
    }

    /// The database name, default the user name.
    pub fn dbname(&self) -> String {
        self.dbname.clone().unwrap_or_else(|| self.user())
    }

    /// The effective sslmode (libpq's default `prefer`).
    pub fn sslmode(&self) -> String {
        self.tls.mode().name().to_string()
    }

    /// The TLS parameters.
    pub fn tls(&self) -> &tls::TlsParams {
        &self.tls
    }

    /// The connection timeout: `connect_timeout`/`PGCONNECT_TIMEOUT`, else
    /// `PRA_CONNECT_TIMEOUT`, else 30 s (a tool run from cron must not hang; 0 means
    /// that default, not libpq's "forever").
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
            .or(self.default_connect_timeout)
            .filter(|&s| s > 0)
            .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs)
    }

    /// The same settings for another database on the same server.
    pub fn with_dbname(&self, dbname: &str) -> ConnSettings {
        ConnSettings {
            dbname: Some(dbname.to_string()),
            ..self.clone()
        }
    }

    /// Sets the application name shown in `pg_stat_activity`.
    pub fn with_application_name(&self, name: &str) -> ConnSettings {
        ConnSettings {
            application_name: Some(name.to_string()),
            ..self.clone()
        }
    }

    /// Sets the connection timeout (whole seconds, as libpq; at least one).
    pub fn with_connect_timeout(&self, timeout: Duration) -> ConnSettings {
        let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        ConnSettings {
            connect_timeout: Some(secs.max(1)),
            ..self.clone()
        }
    }

    /// The password: given explicitly, or found in the password file for the first host.
    pub fn password(&self) -> Option<String> {
        let host = self.host();
        let port = self.port();
        // With several hosts, the first host's entry is used (as libpq does for the first try).
        let first_host = host.split(',').next().unwrap_or(&host);
        let first_port = port.split(',').next().unwrap_or(&port);
        self.password_for(first_host, first_port)
    }

    /// The password for one host of the list: given explicitly, or from the password file.
    fn password_for(&self, host: &str, port: &str) -> Option<String> {
        let password = match &self.password {
            Some(pw) => Some(pw.clone()),
            None => pgpass::lookup(
                self.passfile.as_ref()?,
                pgpass::Target {
                    host,
                    port,
                    dbname: &self.dbname(),
                    user: &self.user(),
                },
            ),
        };
        // Wherever it came from (flag, variable, service or password file), it never
        // shows in a log line.
        if let Some(pw) = &password {
            crate::secrets::register(pw, crate::redact::MASK);
        }
        password
    }

    /// A `postgres::Config` for these settings (every host; TLS is [`Self::connect`]'s
    /// business). Fails on settings libpq would refuse.
    pub fn postgres_config(&self) -> Result<postgres::Config, ConnError> {
        let mut cfg = self.base_config()?;
        for t in self.targets()? {
            t.add_to(&mut cfg);
        }
        if let Some(pw) = self.password() {
            cfg.password(pw);
        }
        Ok(cfg)
    }

    /// The environment a child process (`pg_dump`, `psql` …) needs to connect like us.
    ///
    /// The password is in `PGPASSWORD`: the environment of a process is private to
    /// its user, its command line is not.
    pub fn child_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PGHOST".to_string(), self.host()),
            ("PGPORT".to_string(), self.port()),
            ("PGUSER".to_string(), self.user()),
            ("PGDATABASE".to_string(), self.dbname()),
            (
                "PGCONNECT_TIMEOUT".to_string(),
                self.connect_timeout().as_secs().to_string(),
            ),
        ];
        env.extend(self.tls.child_env());
        if let Some(pw) = self.password() {
            env.push(("PGPASSWORD".to_string(), pw));
        }
        let optional = [
            ("PGHOSTADDR", &self.hostaddr),
            ("PGAPPNAME", &self.application_name),
            ("PGOPTIONS", &self.options),
            ("PGTARGETSESSIONATTRS", &self.target_session_attrs),
            ("PGCHANNELBINDING", &self.channel_binding),
        ];
        for (var, value) in optional {
            if let Some(v) = value {
                env.push((var.to_string(), v.clone()));
            }
        }
        env
    }

    /// Sets the child environment on a command. Every variable libpq reads that is
    /// not part of these settings is removed, so that the child cannot choose
    /// differently (a `PGSERVICE` would override what we pass, a stray `PGSSLCERT`
    /// would add a certificate).
    pub fn apply_to(&self, cmd: &mut Command) {
        for var in params::CHILD_CLEARED_VARS {
            cmd.env_remove(var);
        }
        if self.tls.has_key_password() {
            log::warn!(
                "sslpassword cannot be passed to pg_dump, pg_restore or psql (libpq has no \
                 variable for it): they need an unencrypted client key"
            );
        }
        for (k, v) in self.child_env() {
            cmd.env(k, v);
        }
    }
}

impl fmt::Display for ConnSettings {
    /// Redacted form for logs and events: never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "host={} port={} user={} dbname={}",
            self.host(),
            self.port(),
            self.user(),
            self.dbname()
        )?;
        if self.password.is_some() {
            write!(f, " password=***")?;
        }
        Ok(())
    }
}

/// The name of the effective operating-system user, as libpq defaults `user` to it.
fn os_user() -> Option<String> {
    Some(crate::repo::access::user_name(
        crate::repo::access::effective_uid(),
    ))
}

/// The most useful words of a `postgres` error: the server's message when there is one,
/// else the I/O cause ("Connection refused", "No such file or directory").
pub fn describe_pg_error(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg = format!("{msg}: {text}");
        }
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;
