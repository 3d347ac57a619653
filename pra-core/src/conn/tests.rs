//! Tests of connection settings: -d forms, environment, pgpass, redaction.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn plain_name_takes_the_rest_from_env() {
    let s = ConnSettings::from_lookup(
        Some("app"),
        env(&[
            ("PGHOST", "/tmp/sock"),
            ("PGPORT", "5499"),
            ("PGUSER", "ops"),
            ("PGDATABASE", "other"),
        ]),
    )
    .unwrap();
    assert_eq!(
        (s.host(), s.port(), s.user(), s.dbname()),
        (
            "/tmp/sock".into(),
            "5499".into(),
            "ops".into(),
            "app".into()
        )
    );
}

#[test]
fn conninfo_and_uri_override_env() {
    let e = env(&[
        ("PGHOST", "envhost"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
    ]);
    let s = ConnSettings::from_lookup(Some("host=/run/pg dbname=x"), &e).unwrap();
    assert_eq!(s.host(), "/run/pg");
    assert_eq!(s.user(), "envuser");
    assert_eq!(s.password().as_deref(), Some("envpw"));
    let u = ConnSettings::from_lookup(Some("postgresql://bob:pw@db:6000/y"), &e).unwrap();
    assert_eq!(
        (u.host(), u.port(), u.user(), u.dbname()),
        ("db".into(), "6000".into(), "bob".into(), "y".into())
    );
    assert_eq!(u.password().as_deref(), Some("pw"));
}

#[test]
fn dbname_defaults_to_user() {
    let s = ConnSettings::from_lookup(None, env(&[("PGUSER", "carol")])).unwrap();
    assert_eq!(s.dbname(), "carol");
}

#[test]
fn password_from_pgpass_file() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pgpass");
    std::fs::write(&pass, "/tmp/s:5499:app:ops:fromfile\n").unwrap();
    std::fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let s = ConnSettings::from_lookup(
        Some("app"),
        env(&[
            ("PGHOST", "/tmp/s"),
            ("PGPORT", "5499"),
            ("PGUSER", "ops"),
            ("PGPASSFILE", pass.to_str().unwrap()),
        ]),
    )
    .unwrap();
    assert_eq!(s.password().as_deref(), Some("fromfile"));
    assert!(s
        .child_env()
        .contains(&("PGPASSWORD".to_string(), "fromfile".to_string())));
    // The home-directory default is used when PGPASSFILE is not set.
    std::fs::write(dir.path().join(".pgpass"), "*:*:*:*:home\n").unwrap();
    std::fs::set_permissions(
        dir.path().join(".pgpass"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let h =
        ConnSettings::from_lookup(None, env(&[("HOME", dir.path().to_str().unwrap())])).unwrap();
    assert_eq!(h.password().as_deref(), Some("home"));
}

#[test]
fn display_and_debug_never_show_the_password() {
    let s = ConnSettings::from_lookup(Some("postgresql://u:hunter2@h/db"), env(&[])).unwrap();
    let shown = format!("{s} {s:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("password=***"));
}

#[test]
fn bad_values_are_usage_errors() {
    let e = ConnSettings::from_lookup(None, env(&[("PGPORT", "abc")])).unwrap_err();
    assert!(
        e.to_string().contains("PGPORT") && e.exit() == crate::exit::Exit::Usage,
        "{e}"
    );
    let e = ConnSettings::from_lookup(Some("sslmode=sometimes"), env(&[])).unwrap_err();
    assert!(e.to_string().contains("sometimes"));
}

/// Issue 22, item 13: a connection timeout too large for a deadline is refused, not a
/// panic ("overflow when adding duration to instant") when the tool connects.
#[test]
fn huge_connect_timeouts_are_usage_errors() {
    let huge = "18446744073709551615";
    let e = ConnSettings::from_lookup(Some(&format!("dbname=x connect_timeout={huge}")), env(&[]))
        .unwrap_err();
    assert!(
        e.to_string().contains(huge) && e.exit() == crate::exit::Exit::Usage,
        "{e}"
    );
    let e = ConnSettings::from_lookup(None, env(&[("PGCONNECT_TIMEOUT", huge)])).unwrap_err();
    assert!(e.to_string().contains("PGCONNECT_TIMEOUT"), "{e}");
    let ok = ConnSettings::from_lookup(Some("dbname=x connect_timeout=3600"), env(&[])).unwrap();
    assert_eq!(ok.connect_timeout(), std::time::Duration::from_secs(3600));
}

#[test]
fn postgres_config_carries_socket_and_port() {
    let s =
        ConnSettings::from_lookup(Some("host=/tmp/x port=5499 user=u dbname=d"), env(&[])).unwrap();
    let cfg = s.postgres_config().unwrap();
    assert_eq!(cfg.get_ports(), &[5499]);
    assert_eq!(cfg.get_dbname(), Some("d"));
    assert!(matches!(
        cfg.get_hosts()[0],
        postgres::config::Host::Unix(_)
    ));
}
