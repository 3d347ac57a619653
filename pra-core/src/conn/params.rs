//! Reading connection parameters with libpq's precedence: the conninfo string or
//! URI, then the service it (or `PGSERVICE`) names, then the `PG*` variables.

use super::{conninfo, service, tls, ConnError, ConnSettings};
use std::path::{Path, PathBuf};

/// libpq's variables and the parameters they set.
const ENV_VARS: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGDATABASE", "dbname"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
];

/// libpq variables pra does not implement, with the values that change nothing for
/// it; any other value is refused rather than ignored (it would weaken security or
/// make pra connect differently from its libpq children).
const UNSUPPORTED_VARS: &[(&str, &[&str])] = &[
    ("PGREQUIREPEER", &[]),
    ("PGREQUIREAUTH", &[]),
    ("PGSSLCERTMODE", &["allow"]),
    ("PGSSLNEGOTIATION", &["postgres"]),
    ("PGGSSENCMODE", &["disable", "prefer"]),
    ("PGLOADBALANCEHOSTS", &["disable"]),
];

/// What [`ConnSettings::apply_to`] removes from a child's environment before
/// setting its own: everything libpq would otherwise read on its own.
pub(super) const CHILD_CLEARED_VARS: &[&str] = &[
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGHOSTADDR",
    "PGPASSWORD",
    "PGAPPNAME",
    "PGOPTIONS",
    "PGTARGETSESSIONATTRS",
    "PGCHANNELBINDING",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "PGSSLSNI",
    "PGSSLMINPROTOCOLVERSION",
    "PGSSLMAXPROTOCOLVERSION",
];

impl ConnSettings {
    /// Settings from the process environment and an optional `-d` value.
    pub fn from_env(dbname_arg: Option<&str>) -> Result<Self, ConnError> {
        Self::from_lookup(dbname_arg, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })
    }

    /// Settings from an environment lookup function and an optional `-d` value:
    /// the `-d` value wins over its service, which wins over the environment, as in libpq.
    pub fn from_lookup(
        dbname_arg: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConnError> {
        let given = match dbname_arg.filter(|a| !a.is_empty()) {
            Some(arg) if conninfo::is_conninfo(arg) => {
                conninfo::parse(arg).map_err(ConnError::Invalid)?
            }
            Some(name) => vec![("dbname".to_string(), name.to_string())],
            None => Vec::new(),
        };
        let mut s = ConnSettings::default();
        // Lowest precedence first: each layer overwrites what the previous one set.
        for (var, key) in ENV_VARS.iter().chain(tls::ENV_VARS) {
            if let Some(v) = env(var) {
                s.set(key, v)
                    .map_err(|e| ConnError::Invalid(format!("{var}: {e}")))?;
            }
        }
        for (var, harmless) in UNSUPPORTED_VARS {
            if let Some(v) = env(var).filter(|v| !harmless.contains(&v.as_str())) {
                return Err(ConnError::Invalid(format!(
                    "{var}={v} is not supported by pra; unset it"
                )));
            }
        }
        let service_name = given
            .iter()
            .rev()
            .find(|(k, _)| k == "service")
            .map(|(_, v)| v.clone())
            .or_else(|| env("PGSERVICE"));
        if let Some(name) = service_name {
            let pairs = service::lookup(&name, &service::service_files(&env))
                .map_err(ConnError::Invalid)?;
            for (k, v) in pairs {
                conninfo::check_key(&k)
                    .and_then(|()| s.set(&k, v))
                    .map_err(|e| ConnError::Invalid(format!("service \"{name}\": {e}")))?;
            }
        }
        for (k, v) in given.into_iter().filter(|(k, _)| k != "service") {
            s.set(&k, v).map_err(ConnError::Invalid)?;
        }
        let home = env("HOME").map(PathBuf::from);
        if s.passfile.is_none() {
            s.passfile = home.as_ref().map(|h| h.join(".pgpass"));
        }
        s.tls.home = home;
        if s.user.is_none() {
            s.user = env("USER").or_else(|| env("LOGNAME"));
        }
        if let Some(v) = env(super::CONNECT_TIMEOUT_ENV) {
            let secs = timeout_secs(&v).ok_or_else(|| {
                ConnError::Invalid(format!(
                    "{}: invalid value {v:?} (seconds, at most 100 years)",
                    super::CONNECT_TIMEOUT_ENV
                ))
            })?;
            s.default_connect_timeout = Some(secs);
        }
        s.tls.validate().map_err(ConnError::Invalid)?;
        s.targets()?;
        Ok(s)
    }

    pub(super) fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        if self.tls.set(key, value.clone())? || self.liveness.set(key, &value)? {
            return Ok(());
        }
        let one_of = |allowed: &[&str]| {
            if allowed.contains(&value.as_str()) {
                Ok(Some(value.clone()))
            } else {
                Err(format!(
                    "invalid {key} {value:?} (supported: {})",
                    allowed.join(", ")
                ))
            }
        };
        match key {
            "host" => self.host = Some(value),
            "hostaddr" => {
                for a in value.split(',') {
                    a.trim()
                        .parse::<std::net::IpAddr>()
                        .map_err(|_| format!("invalid hostaddr {a:?} (an IP address)"))?;
                }
                self.hostaddr = Some(value);
            }
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
            "passfile" => self.passfile = Some(Path::new(&value).to_path_buf()),
            "connect_timeout" => {
                let secs = timeout_secs(&value).ok_or_else(|| {
                    format!("invalid connect_timeout {value:?} (seconds, at most 100 years)")
                })?;
                self.connect_timeout = Some(secs);
            }
            "application_name" => self.application_name = Some(value),
            "options" => self.options = Some(value),
            "target_session_attrs" => {
                self.target_session_attrs = one_of(&["any", "read-write", "read-only"])?;
            }
            "channel_binding" => {
                self.channel_binding = one_of(&["disable", "prefer", "require"])?;
            }
            other => return Err(format!("unknown connection parameter {other:?}")),
        }
        Ok(())
    }
}

/// A timeout in seconds as libpq writes it, refused beyond [`crate::time::MAX_DURATION`]
/// (a deadline that far overflows `Instant` and would panic).
fn timeout_secs(value: &str) -> Option<u64> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|&s| s <= crate::time::MAX_DURATION.as_secs())
}
