//! PostgreSQL connection settings, the libpq way.
//!
//! `-d/--dbname` takes a database name, a `key=value` conninfo string or a
//! `postgresql://` URI; whatever it does not say comes from `PGHOST`, `PGPORT`
//! (a socket directory in `PGHOST` is a Unix socket), `PGUSER`, `PGDATABASE`,
//! `PGPASSWORD`, `PGPASSFILE` (else `~/.pgpass`), `PGSSLMODE`, `PGCONNECT_TIMEOUT`.
//!
//! [`ConnSettings`] produces a `postgres::Config` for the tools' own connections
//! and the environment for child processes (`pg_dump`, `pg_restore`, `psql`): the
//! password travels in `PGPASSWORD`, never on a command line. Its `Display` form
//! is redacted and safe for logs and events.

pub mod conninfo;
pub mod pgpass;

use crate::exit::{Exit, ExitStatus};
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
    fn exit(&self) -> Exit {
        match self {
            ConnError::Invalid(_) => Exit::Usage,
            ConnError::Connect { .. } => Exit::Runtime,
        }
    }
}

/// Connection settings: what was given, with libpq's defaults applied by the accessors.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnSettings {
    host: Option<String>,
    port: Option<String>,
    user: Option<String>,
    dbname: Option<String>,
    password: Option<String>,
    sslmode: Option<String>,
    passfile: Option<PathBuf>,
    connect_timeout: Option<u64>,
    application_name: Option<String>,
}

impl fmt::Debug for ConnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password, not even in a debug dump.
        write!(f, "ConnSettings({self})")
    }
}

impl ConnSettings {
    /// Settings from the process environment and an optional `-d` value.
    pub fn from_env(dbname_arg: Option<&str>) -> Result<Self, ConnError> {
        Self::from_lookup(dbname_arg, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })
    }

    /// Settings from an environment lookup function and an optional `-d` value
    /// (the `-d` value wins over the environment, as in libpq).
    pub fn from_lookup(
        dbname_arg: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConnError> {
        let mut s = ConnSettings::default();
        let from_env = [
            ("PGHOST", "host"),
            ("PGHOSTADDR", "hostaddr"),
            ("PGPORT", "port"),
            ("PGUSER", "user"),
            ("PGDATABASE", "dbname"),
            ("PGPASSWORD", "password"),
            ("PGSSLMODE", "sslmode"),
            ("PGPASSFILE", "passfile"),
            ("PGCONNECT_TIMEOUT", "connect_timeout"),
            ("PGAPPNAME", "application_name"),
        ];
        for (var, key) in from_env {
            if let Some(v) = env(var) {
                s.set(key, v)
                    .map_err(|e| ConnError::Invalid(format!("{var}: {e}")))?;
            }
        }
        if s.passfile.is_none() {
            s.passfile = env("HOME").map(|h| Path::new(&h).join(".pgpass"));
        }
        if s.user.is_none() {
            s.user = env("USER").or_else(|| env("LOGNAME"));
        }
        if let Some(arg) = dbname_arg.filter(|a| !a.is_empty()) {
            if conninfo::is_conninfo(arg) {
                let pairs = conninfo::parse(arg).map_err(ConnError::Invalid)?;
                for (k, v) in pairs {
                    s.set(&k, v).map_err(ConnError::Invalid)?;
                }
            } else {
                s.dbname = Some(arg.to_string());
            }
        }
        Ok(s)
    }

    fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        match key {
            "host" | "hostaddr" => self.host = Some(value),
            "port" => {
                for p in value.split(',') {
                    p.parse::<u16>()
                        .map_err(|_| format!("invalid port {p:?}"))?;
                }
                self.port = Some(value);
            }
            "user" => self.user = Some(value),
            "dbname" => self.dbname = Some(value),
            "password" => self.password = Some(value),
            "sslmode" => {
                const MODES: [&str; 6] = [
                    "disable",
                    "allow",
                    "prefer",
                    "require",
                    "verify-ca",
                    "verify-full",
                ];
                if !MODES.contains(&value.as_str()) {
                    return Err(format!(
                        "invalid sslmode {value:?} (expected one of {})",
                        MODES.join(", ")
                    ));
                }
                self.sslmode = Some(value);
            }
            "passfile" => self.passfile = Some(PathBuf::from(value)),
            "connect_timeout" => {
                let secs = value
                    .parse::<u64>()
                    .map_err(|_| format!("invalid connect_timeout {value:?} (seconds)"))?;
                self.connect_timeout = Some(secs);
            }
            "application_name" => self.application_name = Some(value),
            other => return Err(format!("unknown connection parameter {other:?}")),
        }
        Ok(())
    }

    /// The host (or comma-separated hosts); a value starting with `/` is a socket directory.
    pub fn host(&self) -> String {
        self.host.clone().unwrap_or_else(|| {
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

    /// The sslmode, default `prefer`.
    pub fn sslmode(&self) -> String {
        self.sslmode.clone().unwrap_or_else(|| "prefer".to_string())
    }

    /// The connection timeout, default 10 s (a tool run from cron must not hang).
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout.filter(|&s| s > 0).unwrap_or(10))
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

    /// The password: given explicitly, or found in the password file.
    pub fn password(&self) -> Option<String> {
        if self.password.is_some() {
            return self.password.clone();
        }
        let passfile = self.passfile.as_ref()?;
        let host = self.host();
        let port = self.port();
        let user = self.user();
        let dbname = self.dbname();
        // With several hosts, the first host's entry is used (as libpq does for the first try).
        let first_host = host.split(',').next().unwrap_or(&host);
        let first_port = port.split(',').next().unwrap_or(&port);
        pgpass::lookup(
            passfile,
            pgpass::Target {
                host: first_host,
                port: first_port,
                dbname: &dbname,
                user: &user,
            },
        )
    }

    /// A `postgres::Config` for these settings.
    pub fn postgres_config(&self) -> Result<postgres::Config, ConnError> {
        let mut cfg = postgres::Config::new();
        let host = self.host();
        for h in host.split(',') {
            cfg.host(h);
        }
        for p in self.port().split(',') {
            let port = p
                .parse::<u16>()
                .map_err(|_| ConnError::Invalid(format!("invalid port {p:?}")))?;
            cfg.port(port);
        }
        cfg.user(&self.user());
        cfg.dbname(&self.dbname());
        if let Some(pw) = self.password() {
            cfg.password(pw);
        }
        cfg.connect_timeout(self.connect_timeout());
        cfg.application_name(self.application_name.as_deref().unwrap_or("pra"));
        match self.sslmode().as_str() {
            "disable" | "allow" | "prefer" => {
                cfg.ssl_mode(postgres::config::SslMode::Disable);
            }
            other => {
                return Err(ConnError::Invalid(format!(
                    "sslmode={other} needs TLS, which this build of pra does not support yet; \
                     use sslmode=prefer or disable, or a local socket"
                )))
            }
        }
        Ok(cfg)
    }

    /// Connects with the `postgres` crate.
    pub fn connect(&self) -> Result<postgres::Client, ConnError> {
        let cfg = self.postgres_config()?;
        cfg.connect(postgres::NoTls)
            .map_err(|e| ConnError::Connect {
                target: self.to_string(),
                reason: describe_pg_error(&e),
            })
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
            ("PGSSLMODE".to_string(), self.sslmode()),
            (
                "PGCONNECT_TIMEOUT".to_string(),
                self.connect_timeout().as_secs().to_string(),
            ),
        ];
        if let Some(pw) = self.password() {
            env.push(("PGPASSWORD".to_string(), pw));
        }
        if let Some(app) = &self.application_name {
            env.push(("PGAPPNAME".to_string(), app.clone()));
        }
        env
    }

    /// Sets the child environment on a command (and clears a `PGSERVICE` that could override it).
    pub fn apply_to(&self, cmd: &mut Command) {
        cmd.env_remove("PGSERVICE").env_remove("PGHOSTADDR");
        if self.password().is_none() {
            cmd.env_remove("PGPASSWORD");
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
    // SAFETY: getpwuid returns a pointer into static storage or NULL; we copy the
    // name out before any other call could overwrite it.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
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
