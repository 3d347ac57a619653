//! Connections against a real TLS-only cluster: every sslmode, certificate checks,
//! client certificates, key rules, children's parity, and libpq's hints.

use super::*;
use pra_testkit::tls::{CERT_USER, CLIENT_KEY_PASSWORD};
use pra_testkit::{ClusterOptions, PgCluster};
use std::os::unix::fs::PermissionsExt;

fn tls_cluster() -> PgCluster {
    PgCluster::start_with(ClusterOptions {
        tls: true,
        ..Default::default()
    })
}

/// Settings from `conninfo` alone, with `home` as `$HOME` (libpq's default files).
fn settings(conninfo: &str, home: &Path) -> Result<ConnSettings, ConnError> {
    let home = home.display().to_string();
    ConnSettings::from_lookup(Some(conninfo), move |k| match k {
        "HOME" => Some(home.clone()),
        "PGPASSFILE" => Some("/nonexistent".to_string()),
        _ => None,
    })
}

fn tcp(c: &PgCluster, extra: &str) -> String {
    format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres {extra}",
        c.port()
    )
}

fn encrypted(client: &mut postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0)
}

fn connect_err(conninfo: &str, home: &Path) -> String {
    match settings(conninfo, home).and_then(|s| s.connect()) {
        Ok(_) => panic!("connected with {conninfo}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_sslmode_against_a_tls_only_server() {
    let c = tls_cluster();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let f = c.tls_files();
    let ca = format!("sslrootcert={}", f.ca_cert.display());
    let other = format!("sslrootcert={}", f.other_ca_cert.display());

    let e = connect_err(&tcp(&c, "sslmode=disable"), h);
    assert!(
        e.contains("no encryption") && e.contains("use sslmode=require"),
        "{e}"
    );
    for mode in ["allow", "prefer", "require"] {
        let s = settings(&tcp(&c, &format!("sslmode={mode}")), h).unwrap();
        let mut client = s.connect().unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(encrypted(&mut client), "{mode} connected without TLS");
    }
    // No sslmode at all: libpq's default, prefer.
    let mut client = settings(&tcp(&c, ""), h).unwrap().connect().unwrap();
    assert!(encrypted(&mut client));

    let mut client = settings(&tcp(&c, &format!("sslmode=verify-ca {ca}")), h)
        .unwrap()
        .connect()
        .unwrap();
    assert!(encrypted(&mut client));
    let e = connect_err(&tcp(&c, &format!("sslmode=verify-ca {other}")), h);
    assert!(e.contains("certificate verify failed"), "{e}");
    let e = connect_err(&tcp(&c, "sslmode=verify-ca"), h);
    assert!(
        e.contains("root certificate file") && e.contains(".postgresql/root.crt"),
        "{e}"
    );

    // The server's certificate names localhost only.
    let e = connect_err(&tcp(&c, &format!("sslmode=verify-full {ca}")), h);
    assert!(e.contains("certificate verify failed"), "{e}");
    let by_name = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=postgres sslmode=verify-full {ca}",
        c.port()
    );
    let mut client = settings(&by_name, h).unwrap().connect().unwrap();
    assert!(encrypted(&mut client));
    let e = connect_err(&by_name.replace("host=localhost", "host=db.invalid"), h);
    assert!(e.contains("certificate verify failed"), "{e}");

    // As libpq: with ~/.postgresql/root.crt present, require checks the chain.
    std::fs::create_dir(h.join(".postgresql")).unwrap();
    std::fs::copy(&f.other_ca_cert, h.join(".postgresql/root.crt")).unwrap();
    let e = connect_err(&tcp(&c, "sslmode=require"), h);
    assert!(e.contains("certificate verify failed"), "{e}");
    std::fs::copy(&f.ca_cert, h.join(".postgresql/root.crt")).unwrap();
    let mut client = settings(&tcp(&c, "sslmode=verify-ca"), h)
        .unwrap()
        .connect()
        .unwrap();
    assert!(encrypted(&mut client));
}

#[test]
fn client_certificates_keys_and_passwords() {
    let c = tls_cluster();
    c.psql("postgres", &format!("CREATE ROLE {CERT_USER} LOGIN"));
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let f = c.tls_files();
    let base = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user={CERT_USER} dbname=postgres \
         sslmode=verify-full sslrootcert={}",
        c.port(),
        f.ca_cert.display()
    );
    let e = connect_err(&base, h);
    assert!(e.contains("certificate"), "no client certificate: {e}");

    let with_cert = format!(
        "{base} sslcert={} sslkey={}",
        f.client_cert.display(),
        f.client_key.display()
    );
    let mut client = settings(&with_cert, h).unwrap().connect().unwrap();
    let who: String = client.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(who, CERT_USER);

    // The encrypted key needs sslpassword, and never prompts.
    let enc = format!(
        "{base} sslcert={} sslkey={}",
        f.client_cert.display(),
        f.client_key_encrypted.display()
    );
    let e = connect_err(&enc, h);
    assert!(e.contains("could not load private key file"), "{e}");
    let with_pw = format!("{enc} sslpassword={CLIENT_KEY_PASSWORD}");
    settings(&with_pw, h).unwrap().connect().unwrap();

    // libpq's permission rule: a key readable by others is refused.
    let open_key = h.join("open.key");
    std::fs::copy(&f.client_key, &open_key).unwrap();
    std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = connect_err(
        &format!(
            "{base} sslcert={} sslkey={}",
            f.client_cert.display(),
            open_key.display()
        ),
        h,
    );
    assert!(e.contains("has group or world access"), "{e}");
    let e = connect_err(&format!("{base} sslcert={}", f.client_cert.display()), h);
    assert!(
        e.contains("certificate present, but not private key file"),
        "{e}"
    );

    // libpq's default locations under ~/.postgresql/.
    let dot = h.join(".postgresql");
    std::fs::create_dir(&dot).unwrap();
    std::fs::copy(&f.ca_cert, dot.join("root.crt")).unwrap();
    std::fs::copy(&f.client_cert, dot.join("postgresql.crt")).unwrap();
    std::fs::copy(&f.client_key, dot.join("postgresql.key")).unwrap();
    std::fs::set_permissions(
        dot.join("postgresql.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let plain = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user={CERT_USER} dbname=postgres sslmode=verify-full",
        c.port()
    );
    let mut client = settings(&plain, h).unwrap().connect().unwrap();
    assert!(encrypted(&mut client));
}

#[test]
fn children_get_the_same_tls_settings() {
    let c = tls_cluster();
    let home = tempfile::tempdir().unwrap();
    let f = c.tls_files();
    let s = settings(
        &format!(
            "host=localhost hostaddr=127.0.0.1 port={} user=postgres dbname=postgres \
             sslmode=verify-full sslrootcert={}",
            c.port(),
            f.ca_cert.display()
        ),
        home.path(),
    )
    .unwrap();
    let env = s.child_env();
    for (k, v) in [
        ("PGSSLMODE", "verify-full".to_string()),
        ("PGSSLROOTCERT", f.ca_cert.display().to_string()),
        ("PGHOSTADDR", "127.0.0.1".to_string()),
    ] {
        assert!(env.contains(&(k.to_string(), v)), "{k} missing in {env:?}");
    }
    let psql = |s: &ConnSettings| {
        let mut cmd = std::process::Command::new(c.bindir().join("psql"));
        cmd.args(["-X", "-At", "-c"])
            .arg("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        // A stray variable of the parent must not change the child's choice.
        cmd.env("PGSSLMODE", "disable")
            .env("PGSERVICE", "nonexistent");
        s.apply_to(&mut cmd);
        cmd.output().unwrap()
    };
    let out = psql(&s);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t");
    // And what the tool refuses, the child refuses too.
    let wrong = settings(
        &format!(
            "host=127.0.0.1 port={} user=postgres sslmode=verify-full sslrootcert={}",
            c.port(),
            f.ca_cert.display()
        ),
        home.path(),
    )
    .unwrap();
    assert!(wrong.connect().is_err());
    assert!(!psql(&wrong).status.success());
}

#[test]
fn sockets_never_use_tls_and_failures_carry_libpq_hints() {
    let c = tls_cluster();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // libpq ignores sslmode on a Unix socket; so do we.
    let sock = format!(
        "host={} port={} user=postgres dbname=postgres sslmode=verify-full",
        c.socket_dir().display(),
        c.port()
    );
    let mut client = settings(&sock, h).unwrap().connect().unwrap();
    assert!(!encrypted(&mut client));

    let e = connect_err(&format!("host=/nonexistent port={}", c.port()), h);
    assert!(
        e.contains("socket \"/nonexistent/.s.PGSQL.")
            && e.contains(
                "is the server running locally and accepting connections on that socket?"
            )
            && !e.contains("os error"),
        "{e}"
    );
    let free = pra_testkit::free_port();
    let e = connect_err(&format!("host=127.0.0.1 port={free} sslmode=disable"), h);
    assert!(
        e.contains(&format!(
            "is the server running on host \"127.0.0.1\" and accepting TCP/IP connections on port {free}?"
        )),
        "{e}"
    );

    // Peer authentication: say which OS user we are and which role we asked for.
    std::fs::write(c.data_dir().join("pg_hba.conf"), "local all all peer\n").unwrap();
    client.execute("SELECT pg_reload_conf()", &[]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let e = connect_err(&sock.replace("user=postgres", "user=nobody_here"), h);
    assert!(
        e.contains("Peer authentication failed")
            && e.contains(&format!("operating-system user \"{}\"", os_user().unwrap()))
            && e.contains("database user \"nobody_here\""),
        "{e}"
    );
}

#[test]
fn service_file_settings_sit_between_conninfo_and_environment() {
    let c = pra_testkit::PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    std::fs::write(
        &file,
        format!(
            "[pra_test]\nhost={}\nport={}\nuser=postgres\ndbname=postgres\napplication_name=from_service\n",
            c.socket_dir().display(),
            c.port()
        ),
    )
    .unwrap();
    let file_s = file.display().to_string();
    let env = move |k: &str| match k {
        "PGSERVICEFILE" => Some(file_s.clone()),
        "PGSERVICE" => Some("pra_test".to_string()),
        "PGHOST" => Some("/env/loses".to_string()),
        "PGAPPNAME" => Some("from_env".to_string()),
        "PGPASSFILE" => Some("/nonexistent".to_string()),
        _ => None,
    };
    let s = ConnSettings::from_lookup(Some("application_name=from_conninfo"), &env).unwrap();
    assert_eq!(s.host(), c.socket_dir().display().to_string());
    let mut client = s.connect().unwrap();
    let app: String = client
        .query_one("SELECT current_setting('application_name')", &[])
        .unwrap()
        .get(0);
    assert_eq!(app, "from_conninfo");
    // service= in the conninfo names the service too; a missing one is an error.
    let s = ConnSettings::from_lookup(Some("service=pra_test"), &env).unwrap();
    assert_eq!(s.port(), c.port().to_string());
    let e = ConnSettings::from_lookup(Some("service=nope"), &env).unwrap_err();
    assert!(e.to_string().contains("\"nope\" not found"), "{e}");
}
