//! Parsing of libpq connection strings: `key=value` conninfo and `postgresql://` URIs.
//!
//! Follows libpq's rules (section 34.1.1 of the PostgreSQL manual): conninfo values
//! may be single-quoted with `\'` and `\\` escapes; URIs carry
//! `user:password@host:port,host2:port2/dbname?key=value`, percent-encoded, with a
//! socket directory written `%2Ftmp` or `?host=/tmp`.

/// The connection parameters pra understands (libpq's names).
pub const KNOWN_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "passfile",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "application_name",
    "options",
    "target_session_attrs",
    "service",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
];

/// libpq parameters pra does not implement: refused by name, never silently dropped
/// (a dropped `requirepeer` or `channel_binding` would weaken security unnoticed).
pub const UNSUPPORTED_KEYS: &[&str] = &[
    "channel_binding",
    "client_encoding",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "krbsrvname",
    "load_balance_hosts",
    "replication",
    "require_auth",
    "requirepeer",
    "requiressl",
    "servicefile",
    "sslcertmode",
    "sslcompression",
    "sslkeylogfile",
    "sslnegotiation",
];

/// Checks that pra understands a connection parameter; the error names it.
pub fn check_key(k: &str) -> Result<(), String> {
    if KNOWN_KEYS.contains(&k) {
        Ok(())
    } else if UNSUPPORTED_KEYS.contains(&k) {
        Err(format!(
            "connection parameter {k:?} is not supported by pra (supported: {})",
            KNOWN_KEYS.join(", ")
        ))
    } else {
        Err(format!(
            "unknown connection parameter {k:?} (known: {})",
            KNOWN_KEYS.join(", ")
        ))
    }
}

/// True when the `-d` value is a conninfo string or URI rather than a plain database name.
pub fn is_conninfo(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://") || s.contains('=')
}

/// The conninfo string `dbname='<db>'` that names database `db` to a client program
/// (`pg_dump --dbname`, `pg_dumpall -l`, `pg_restore --dbname`).
///
/// libpq reads a database name given to a client program as a whole connection
/// string when it contains `=` or starts with a URI scheme (its `dbname` expansion):
/// a database called `host=elsewhere dbname=x` would send the password elsewhere.
/// Inside a conninfo string the value is never expanded again, so this form always
/// means the database of that exact name. Quoting: `\` escapes a quote or a backslash.
pub fn dbname_conninfo(db: &str) -> String {
    format!("dbname='{}'", db.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Parses a conninfo string or URI into (key, value) pairs in order.
pub fn parse(s: &str) -> Result<Vec<(String, String)>, String> {
    let pairs = if s.starts_with("postgresql://") || s.starts_with("postgres://") {
        parse_uri(s)?
    } else {
        parse_keyword_value(s)?
    };
    for (k, _) in &pairs {
        check_key(k)?;
    }
    Ok(pairs)
}

fn parse_keyword_value(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("missing \"=\" after {key:?} in connection string"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '\'' => {
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!(
                    "unterminated quoted value for {key:?} in connection string"
                ));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        if key.is_empty() {
            return Err("empty parameter name in connection string".to_string());
        }
        out.push((key, value));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "invalid percent-encoding in connection URI near {:?}",
                        &s[i..]
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "connection URI decodes to invalid UTF-8".to_string())
}

fn parse_uri(s: &str) -> Result<Vec<(String, String)>, String> {
    let rest = s
        .strip_prefix("postgresql://")
        .or_else(|| s.strip_prefix("postgres://"))
        .unwrap_or(s);
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before_query, None),
    };
    let mut out = Vec::new();
    let hostlist = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            match userinfo.split_once(':') {
                Some((u, p)) => {
                    out.push(("user".to_string(), percent_decode(u)?));
                    out.push(("password".to_string(), percent_decode(p)?));
                }
                None if !userinfo.is_empty() => {
                    out.push(("user".to_string(), percent_decode(userinfo)?))
                }
                None => {}
            }
            hosts
        }
        None => authority,
    };
    if !hostlist.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for h in hostlist.split(',') {
            let (host, port) = if let Some(inner) = h.strip_prefix('[') {
                // IPv6 literal: [::1]:5432
                let (addr, after) = inner
                    .split_once(']')
                    .ok_or_else(|| format!("unterminated IPv6 address in connection URI: {h:?}"))?;
                (
                    addr.to_string(),
                    after.strip_prefix(':').unwrap_or("").to_string(),
                )
            } else {
                match h.rsplit_once(':') {
                    Some((a, p)) => (a.to_string(), p.to_string()),
                    None => (h.to_string(), String::new()),
                }
            };
            hosts.push(percent_decode(&host)?);
            ports.push(port);
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            out.push(("host".to_string(), hosts.join(",")));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            out.push(("port".to_string(), ports.join(",")));
        }
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        out.push(("dbname".to_string(), percent_decode(db)?));
    }
    if let Some(q) = query {
        for kv in q.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("missing \"=\" in connection URI parameter {kv:?}"))?;
            out.push((percent_decode(k)?, percent_decode(v)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_becomes_a_conninfo_that_parses_back_to_it() {
        for db in [
            "app",
            "it's",
            "host=evil.example port=5432 dbname=x",
            "a\\'b c",
            "postgresql://h/x",
        ] {
            let info = dbname_conninfo(db);
            assert!(is_conninfo(&info));
            assert_eq!(
                parse(&info).unwrap(),
                [("dbname".to_string(), db.to_string())]
            );
        }
        assert_eq!(dbname_conninfo("it's"), "dbname='it\\'s'");
    }

    fn get<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn keyword_value_with_quotes_and_escapes() {
        let p = parse("host=/tmp port = 5433 dbname='my db' password='it\\'s' user=a\\ b").unwrap();
        assert_eq!(get(&p, "host"), Some("/tmp"));
        assert_eq!(get(&p, "port"), Some("5433"));
        assert_eq!(get(&p, "dbname"), Some("my db"));
        assert_eq!(get(&p, "password"), Some("it's"));
        assert_eq!(get(&p, "user"), Some("a b"));
    }

    #[test]
    fn uri_with_everything() {
        let p = parse("postgresql://alice:s%40cret@db1.example:6543,db2:6544/app?sslmode=disable&application_name=x")
            .unwrap();
        assert_eq!(get(&p, "user"), Some("alice"));
        assert_eq!(get(&p, "password"), Some("s@cret"));
        assert_eq!(get(&p, "host"), Some("db1.example,db2"));
        assert_eq!(get(&p, "port"), Some("6543,6544"));
        assert_eq!(get(&p, "dbname"), Some("app"));
        assert_eq!(get(&p, "sslmode"), Some("disable"));
    }

    #[test]
    fn uri_with_socket_directory() {
        let p = parse("postgresql://%2Fvar%2Frun%2Fpostgresql:5433/app").unwrap();
        assert_eq!(get(&p, "host"), Some("/var/run/postgresql"));
        let q = parse("postgres:///app?host=/tmp/pg&port=5499").unwrap();
        assert_eq!(get(&q, "host"), Some("/tmp/pg"));
        assert_eq!(get(&q, "port"), Some("5499"));
        assert_eq!(get(&q, "dbname"), Some("app"));
        let v6 = parse("postgresql://[::1]:5432/x").unwrap();
        assert_eq!(get(&v6, "host"), Some("::1"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse("host=/tmp bogus=1").unwrap_err().contains("bogus"));
        let e = parse("gssencmode=require").unwrap_err();
        assert!(e.contains("\"gssencmode\" is not supported"), "{e}");
        assert!(parse("dbname='open").unwrap_err().contains("unterminated"));
        assert!(parse("host").unwrap_err().contains("="));
        assert!(parse("postgresql://h/db?x").unwrap_err().contains("x"));
        assert!(is_conninfo("dbname=x") && is_conninfo("postgres://h") && !is_conninfo("app"));
    }
}
