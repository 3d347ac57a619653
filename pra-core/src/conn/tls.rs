//! TLS for the tools' own connections, with libpq's rules (`sslmode`, `sslrootcert`,
//! `sslcert`, `sslkey`, `sslpassword`, `sslcrl`, `sslcrldir`, `sslsni`,
//! `ssl_min_protocol_version`, `ssl_max_protocol_version`).
//!
//! It uses OpenSSL through `postgres-openssl`, the library libpq itself links: the
//! same certificate store, key formats (encrypted PEM keys with `sslpassword`), CRL
//! handling and protocol versions as `pg_dump` and `psql`, so a tool and its
//! children accept and refuse the same servers. Files default to
//! `~/.postgresql/{root.crt,root.crl,postgresql.crt,postgresql.key}` as in libpq.

use openssl::pkey::PKey;
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::store::{X509Lookup, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use postgres_openssl::MakeTlsConnector;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// libpq's `sslmode` values, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// Plain first, TLS if the server refuses plain.
    Allow,
    /// TLS first, plain if the server has no TLS (libpq's default).
    Prefer,
    /// TLS only; the certificate is checked when a root certificate file exists.
    Require,
    /// TLS only, the server's certificate chain checked.
    VerifyCa,
    /// TLS only, the chain checked and the host name matched.
    VerifyFull,
}

impl SslMode {
    const NAMES: [(&'static str, SslMode); 6] = [
        ("disable", SslMode::Disable),
        ("allow", SslMode::Allow),
        ("prefer", SslMode::Prefer),
        ("require", SslMode::Require),
        ("verify-ca", SslMode::VerifyCa),
        ("verify-full", SslMode::VerifyFull),
    ];

    fn parse(s: &str) -> Result<SslMode, String> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "invalid sslmode {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }

    /// libpq's name of the mode.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("prefer", |(n, _)| n)
    }

    /// True when the connection must be encrypted.
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }
}

/// The TLS parameters, as given, and `$HOME` for libpq's default file locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    sslcert: Option<String>,
    sslkey: Option<String>,
    sslpassword: Option<String>,
    sslcrl: Option<String>,
    sslcrldir: Option<String>,
    sslsni: Option<String>,
    min_protocol: Option<String>,
    max_protocol: Option<String>,
    pub(super) home: Option<PathBuf>,
}

/// The TLS parameters with their `PG*` variables (sslpassword has none in libpq).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLCRL", "sslcrl"),
    ("PGSSLCRLDIR", "sslcrldir"),
    ("PGSSLSNI", "sslsni"),
    ("PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"),
    ("PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"),
];

fn parse_version(v: &str) -> Result<Option<SslVersion>, String> {
    match v {
        "" => Ok(None),
        "TLSv1" => Ok(Some(SslVersion::TLS1)),
        "TLSv1.1" => Ok(Some(SslVersion::TLS1_1)),
        "TLSv1.2" => Ok(Some(SslVersion::TLS1_2)),
        "TLSv1.3" => Ok(Some(SslVersion::TLS1_3)),
        other => Err(format!(
            "invalid SSL protocol version {other:?} (expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"
        )),
    }
}

impl TlsParams {
    /// Sets a TLS parameter; `Ok(false)` when `key` is not one.
    pub fn set(&mut self, key: &str, value: String) -> Result<bool, String> {
        let slot = match key {
            "sslmode" => {
                SslMode::parse(&value)?;
                &mut self.sslmode
            }
            "sslrootcert" => &mut self.sslrootcert,
            "sslcert" => &mut self.sslcert,
            "sslkey" => &mut self.sslkey,
            "sslpassword" => &mut self.sslpassword,
            "sslcrl" => &mut self.sslcrl,
            "sslcrldir" => &mut self.sslcrldir,
            "sslsni" => {
                if value != "0" && value != "1" {
                    return Err(format!("invalid sslsni {value:?} (expected 0 or 1)"));
                }
                &mut self.sslsni
            }
            "ssl_min_protocol_version" => {
                parse_version(&value)?;
                &mut self.min_protocol
            }
            "ssl_max_protocol_version" => {
                parse_version(&value)?;
                &mut self.max_protocol
            }
            _ => return Ok(false),
        };
        *slot = Some(value);
        Ok(true)
    }

    /// The effective sslmode: as given, else `verify-full` with `sslrootcert=system`
    /// (libpq 16), else `prefer`.
    pub fn mode(&self) -> SslMode {
        match &self.sslmode {
            Some(m) => SslMode::parse(m).unwrap_or(SslMode::Prefer),
            None if self.is_system_root() => SslMode::VerifyFull,
            None => SslMode::Prefer,
        }
    }

    fn is_system_root(&self) -> bool {
        self.sslrootcert.as_deref() == Some("system")
    }

    /// Checks the combinations libpq refuses before connecting.
    pub fn validate(&self) -> Result<(), String> {
        let mode = self.mode();
        if self.is_system_root() && mode != SslMode::VerifyFull {
            return Err(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.name()
            ));
        }
        let min = parse_version(self.min_protocol.as_deref().unwrap_or("TLSv1.2"))?;
        let max = parse_version(self.max_protocol.as_deref().unwrap_or(""))?;
        if let (Some(lo), Some(hi)) = (min, max) {
            if version_rank(lo) > version_rank(hi) {
                return Err("invalid SSL protocol version range: ssl_min_protocol_version is above ssl_max_protocol_version".to_string());
            }
        }
        Ok(())
    }

    /// True when a password is given for the client key (libpq has no variable for it).
    pub fn has_key_password(&self) -> bool {
        self.sslpassword.is_some()
    }

    /// The `PGSSL*` variables a libpq child needs to make the same choices.
    pub fn child_env(&self) -> Vec<(String, String)> {
        let mut env = vec![("PGSSLMODE".to_string(), self.mode().name().to_string())];
        let given = [
            ("PGSSLROOTCERT", &self.sslrootcert),
            ("PGSSLCERT", &self.sslcert),
            ("PGSSLKEY", &self.sslkey),
            ("PGSSLCRL", &self.sslcrl),
            ("PGSSLCRLDIR", &self.sslcrldir),
            ("PGSSLSNI", &self.sslsni),
            ("PGSSLMINPROTOCOLVERSION", &self.min_protocol),
            ("PGSSLMAXPROTOCOLVERSION", &self.max_protocol),
        ];
        for (var, value) in given {
            if let Some(v) = value {
                env.push((var.to_string(), v.clone()));
            }
        }
        env
    }

    /// A libpq default file under `~/.postgresql/`, or the given path.
    fn file(&self, given: &Option<String>, default_name: &str) -> Option<PathBuf> {
        match given {
            Some(p) => Some(PathBuf::from(p)),
            None => self
                .home
                .as_ref()
                .map(|h| h.join(".postgresql").join(default_name)),
        }
    }

    /// Builds the OpenSSL connector for these parameters (libpq's `initialize_SSL`).
    pub fn connector(&self) -> Result<MakeTlsConnector, String> {
        self.validate()?;
        let mode = self.mode();
        let mut b = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| ssl_err("cannot set up TLS", e))?;
        // Only what sslrootcert names is trusted, never OpenSSL's default store
        // implicitly (SslConnector loads it).
        let mut store = X509StoreBuilder::new().map_err(|e| ssl_err("cannot set up TLS", e))?;
        let mut have_root = false;
        if self.is_system_root() {
            store
                .set_default_paths()
                .map_err(|e| ssl_err("could not load system root certificate paths", e))?;
            have_root = true;
        } else if let Some(root) = self
            .file(&self.sslrootcert, "root.crt")
            .filter(|p| p.exists())
        {
            store
                .add_lookup(X509Lookup::file())
                .and_then(|l| l.load_cert_file(&root, SslFiletype::PEM))
                .map_err(|e| {
                    ssl_err(
                        &format!(
                            "could not read root certificate file \"{}\"",
                            root.display()
                        ),
                        e,
                    )
                })?;
            self.load_crls(&mut store)?;
            have_root = true;
        } else if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) {
            let root = self.file(&self.sslrootcert, "root.crt").unwrap_or_default();
            return Err(format!(
                "root certificate file \"{}\" does not exist; either provide the file, use the \
                 system's trusted roots with sslrootcert=system, or change sslmode to disable \
                 server certificate verification",
                root.display()
            ));
        }
        b.set_cert_store(store.build());
        // As libpq: with a root certificate the chain is checked, even for `require`.
        b.set_verify(if have_root {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        let min = parse_version(self.min_protocol.as_deref().unwrap_or("TLSv1.2"))?;
        let max = parse_version(self.max_protocol.as_deref().unwrap_or(""))?;
        b.set_min_proto_version(min)
            .and_then(|_| b.set_max_proto_version(max))
            .map_err(|e| ssl_err("cannot set the TLS protocol versions", e))?;
        self.load_client_cert(&mut b)?;
        let mut connector = MakeTlsConnector::new(b.build());
        let verify_host = mode == SslMode::VerifyFull;
        let sni = self.sslsni.as_deref() != Some("0");
        connector.set_callback(move |cfg, _domain| {
            cfg.set_verify_hostname(verify_host);
            cfg.set_use_server_name_indication(sni);
            Ok(())
        });
        Ok(connector)
    }

    fn load_crls(&self, store: &mut X509StoreBuilder) -> Result<(), String> {
        let mut any = false;
        if let Some(crl) = self.file(&self.sslcrl, "root.crl").filter(|p| p.exists()) {
            store
                .add_lookup(X509Lookup::file())
                .and_then(|l| l.load_crl_file(&crl, SslFiletype::PEM))
                .map_err(|e| {
                    ssl_err(
                        &format!(
                            "could not load SSL certificate revocation list \"{}\"",
                            crl.display()
                        ),
                        e,
                    )
                })?;
            any = true;
        }
        if let Some(dir) = self.sslcrldir.as_deref().filter(|d| Path::new(d).is_dir()) {
            store
                .add_lookup(X509Lookup::hash_dir())
                .and_then(|l| l.add_dir(dir, SslFiletype::PEM))
                .map_err(|e| {
                    ssl_err(
                        &format!(
                            "could not load SSL certificate revocation list directory \"{dir}\""
                        ),
                        e,
                    )
                })?;
            any = true;
        }
        if any {
            store
                .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
                .map_err(|e| ssl_err("cannot enable CRL checks", e))?;
        }
        Ok(())
    }

    fn load_client_cert(&self, b: &mut openssl::ssl::SslConnectorBuilder) -> Result<(), String> {
        // As libpq: a missing certificate file means no client certificate.
        let Some(cert) = self
            .file(&self.sslcert, "postgresql.crt")
            .filter(|p| p.exists())
        else {
            return Ok(());
        };
        b.set_certificate_chain_file(&cert).map_err(|e| {
            ssl_err(
                &format!("could not read certificate file \"{}\"", cert.display()),
                e,
            )
        })?;
        let key = self
            .file(&self.sslkey, "postgresql.key")
            .unwrap_or_default();
        let meta = std::fs::metadata(&key).map_err(|_| {
            format!(
                "certificate present, but not private key file \"{}\"",
                key.display()
            )
        })?;
        check_key_permissions(&key, &meta)?;
        let pem = std::fs::read(&key)
            .map_err(|e| format!("could not read private key file \"{}\": {e}", key.display()))?;
        let password = self.sslpassword.clone().unwrap_or_default();
        // Never OpenSSL's terminal prompt: without sslpassword an encrypted key fails.
        let pkey = PKey::private_key_from_pem_callback(&pem, |buf| {
            let n = password.len().min(buf.len());
            buf[..n].copy_from_slice(&password.as_bytes()[..n]);
            Ok(n)
        })
        .map_err(|e| {
            let hint = if self.sslpassword.is_none() {
                " (an encrypted key needs sslpassword)"
            } else {
                ""
            };
            let msg = format!("could not load private key file \"{}\"", key.display());
            ssl_err(&msg, e) + hint
        })?;
        b.set_private_key(&pkey)
            .and_then(|_| b.check_private_key())
            .map_err(|e| {
                ssl_err(
                    &format!(
                        "certificate does not match private key file \"{}\"",
                        key.display()
                    ),
                    e,
                )
            })
    }
}

fn ssl_err(what: &str, e: openssl::error::ErrorStack) -> String {
    format!("{what}: {}", ssl_words(&e.to_string()))
}

/// OpenSSL's error text in libpq's fewer words: the reasons of an error stack
/// (`error:0A000086:SSL routines:func:certificate verify failed:file:line:`) and
/// the certificate verification result, without codes, functions and source lines.
pub fn ssl_words(text: &str) -> String {
    let Some(start) = text.find("error:") else {
        return text.to_string();
    };
    let mut reasons: Vec<&str> = Vec::new();
    for chunk in text[start..].split("error:").skip(1) {
        if let Some(r) = chunk.split(':').nth(3).filter(|r| !r.is_empty()) {
            let r = r.trim();
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
    }
    if let Some((_, verify)) = text.rsplit_once(":: ") {
        reasons.push(verify.trim());
    }
    format!("SSL error: {}", reasons.join(": "))
}

fn version_rank(v: SslVersion) -> u8 {
    [
        SslVersion::TLS1,
        SslVersion::TLS1_1,
        SslVersion::TLS1_2,
        SslVersion::TLS1_3,
    ]
    .iter()
    .position(|x| *x == v)
    .map_or(0, |p| p as u8)
}

/// libpq's rule: a key owned by root may be 0640 (a group can share it), any other
/// key at most 0600.
pub fn check_key_permissions(key: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!(
            "private key file \"{}\" is not a regular file",
            key.display()
        ));
    }
    let mode = meta.mode();
    let too_open = if meta.uid() == 0 {
        mode & 0o037 != 0
    } else {
        mode & 0o077 != 0
    };
    if too_open {
        return Err(format!(
            "private key file \"{}\" has group or world access; file must have permissions \
             u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) \
             or less if owned by root",
            key.display()
        ));
    }
    Ok(())
}
