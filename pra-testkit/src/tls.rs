//! Certificates for a TLS test cluster, made by the machine's `openssl` command: a
//! CA, a server certificate for `localhost` only (no IP address, so `verify-full`
//! against 127.0.0.1 must fail), a client certificate for the role
//! [`CERT_USER`] (`cert` authentication), the same key encrypted, and a second CA
//! that signed nothing of this server's.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The role whose client certificate the kit makes (its CN).
pub const CERT_USER: &str = "pra_cert";

/// The password of [`TlsFiles::client_key_encrypted`].
pub const CLIENT_KEY_PASSWORD: &str = "pra-key-secret";

/// Where the generated files are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA that signed the server and client certificates.
    pub ca_cert: PathBuf,
    /// Another CA, which signed nothing of this server's.
    pub other_ca_cert: PathBuf,
    /// The server certificate (subject and SAN `localhost` only).
    pub server_cert: PathBuf,
    /// The server key (owned by the server's user, 0600).
    pub server_key: PathBuf,
    /// A client certificate, CN [`CERT_USER`].
    pub client_cert: PathBuf,
    /// Its key, unencrypted, 0600.
    pub client_key: PathBuf,
    /// The same key encrypted with [`CLIENT_KEY_PASSWORD`], 0600.
    pub client_key_encrypted: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}); install it: apt-get install -y openssl")
        });
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new EC key and a certificate signed by `ca` (or self-signed when `ca` is None).
fn issue(dir: &Path, name: &str, subject: &str, ca: Option<&str>, ext: &str) {
    let (key, crt, csr, extfile) = (
        format!("{name}.key"),
        format!("{name}.crt"),
        format!("{name}.csr"),
        format!("{name}.ext"),
    );
    std::fs::write(dir.join(&extfile), ext).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ],
    );
    let mut args = vec!["x509", "-req", "-in", &csr, "-out", &crt, "-days", "2"];
    args.extend(["-extfile", &extfile, "-set_serial", "1"]);
    let (ca_crt, ca_key);
    match ca {
        Some(ca) => {
            ca_crt = format!("{ca}.crt");
            ca_key = format!("{ca}.key");
            args.extend(["-CA", &ca_crt, "-CAkey", &ca_key]);
        }
        None => args.extend(["-signkey", &key]),
    }
    openssl(dir, &args);
    std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600)).unwrap();
}

impl TlsFiles {
    /// Makes the files in `dir` (which must exist).
    pub fn generate(dir: &Path) -> TlsFiles {
        let ca_ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
        issue(dir, "ca", "/CN=pra test CA", None, ca_ext);
        issue(dir, "other-ca", "/CN=pra other CA", None, ca_ext);
        issue(
            dir,
            "server",
            "/CN=localhost",
            Some("ca"),
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        );
        issue(
            dir,
            "client",
            &format!("/CN={CERT_USER}"),
            Some("ca"),
            "extendedKeyUsage=clientAuth\n",
        );
        let pass = format!("pass:{CLIENT_KEY_PASSWORD}");
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                "client.key",
                "-aes256",
                "-passout",
                &pass,
                "-out",
                "client-enc.key",
            ],
        );
        let enc = dir.join("client-enc.key");
        std::fs::set_permissions(&enc, std::fs::Permissions::from_mode(0o600)).unwrap();
        TlsFiles {
            ca_cert: dir.join("ca.crt"),
            other_ca_cert: dir.join("other-ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
            client_key_encrypted: enc,
        }
    }

    /// The `postgresql.conf` lines that turn TLS on with these files.
    pub fn server_conf(&self) -> Vec<String> {
        vec![
            "ssl = on".to_string(),
            format!("ssl_cert_file = '{}'", self.server_cert.display()),
            format!("ssl_key_file = '{}'", self.server_key.display()),
            format!("ssl_ca_file = '{}'", self.ca_cert.display()),
        ]
    }

    /// A `pg_hba.conf` that takes TCP connections over TLS only: [`CERT_USER`] by
    /// client certificate, everyone else with `tcp_method`; sockets stay `trust`.
    pub fn hba(tcp_method: &str) -> String {
        format!(
            "local all all trust\nlocal replication all trust\n\
             hostssl all {CERT_USER} 127.0.0.1/32 cert\n\
             hostssl all all 127.0.0.1/32 {tcp_method}\n\
             hostssl replication all 127.0.0.1/32 {tcp_method}\n\
             hostnossl all all 127.0.0.1/32 reject\n\
             hostnossl replication all 127.0.0.1/32 reject\n"
        )
    }
}
