//! The roles and tablespaces a dump needs, and recreating the missing ones from
//! the backup's globals (`pg_dumpall --globals-only` output).
//!
//! What the dump needs is read from its own DDL (`pg_restore --schema-only`, which
//! stops after the table of contents at the start of the archive, so it costs
//! little even for a large dump): owners (`OWNER TO`), grantees (`GRANT … TO`,
//! `REVOKE … FROM`, default privileges) and tablespaces (`SET default_tablespace`).
//! Only the globals statements about roles and tablespaces that are needed AND
//! missing are run; everything else in the globals file is left alone.

use crate::programs;
use crate::Error;
use pra_core::child::StderrTail;
use pra_core::conn::ConnSettings;
use pra_core::fetch::{fetch_file, FetchError};
use pra_core::manifest::{FileRole, Manifest};
use pra_core::repo::Repository;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// What a dump refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Roles (owners, grantees).
    pub roles: BTreeSet<String>,
    /// Tablespaces.
    pub tablespaces: BTreeSet<String>,
}

/// Reads the roles and tablespaces the dump of `manifest` refers to.
///
/// `decoded` is the dump already decoded to a file, if it is (else it is streamed);
/// `pg_bindir` is where `pg_restore` is (`--pg-bindir`).
pub fn dump_needs(
    server: &ConnSettings,
    repo: &Repository,
    manifest: &Manifest,
    decoded: Option<&std::path::Path>,
    pg_bindir: Option<&std::path::Path>,
) -> Result<Needs, Error> {
    let Some(file) = manifest.file(FileRole::Dump) else {
        return Ok(Needs::default());
    };
    let mut cmd = programs::command(pg_bindir, "pg_restore", server, "postgres")?;
    cmd.args(["--schema-only", "--file=-"]);
    match decoded {
        Some(path) => cmd.arg(path).stdin(Stdio::null()),
        None => cmd.stdin(Stdio::piped()),
    };
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("cannot run pg_restore --schema-only", e))?;
    let tail = StderrTail::from_child(&mut child, "pg_restore");
    let reader = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut needs = Needs::default();
            for line in BufReader::new(out).split(b'\n').map_while(Result::ok) {
                scan_line(&String::from_utf8_lossy(&line), &mut needs);
            }
            needs
        })
    });
    let fed = match child.stdin.take() {
        Some(mut stdin) => fetch_file(repo, manifest, file, &mut stdin).map(|_| ()),
        None => Ok(()),
    };
    let status = child
        .wait()
        .map_err(|e| Error::io("waiting for pg_restore --schema-only", e))?;
    let needs = reader.and_then(|h| h.join().ok()).unwrap_or_default();
    match fed {
        // pg_restore stops reading once it has the table of contents: a closed pipe is normal.
        Ok(()) | Err(FetchError::Sink { .. }) if status.success() => Ok(needs),
        Err(e @ FetchError::Corrupt { .. }) => Err(e.into()),
        _ => Err(Error::Program {
            program: "pg_restore --schema-only".to_string(),
            db: "(none: reading the dump's table of contents)".to_string(),
            status: status.to_string(),
            stderr: tail.join(" | "),
        }),
    }
}

/// Role names that are keywords, not roles.
fn is_pseudo_role(r: &str) -> bool {
    matches!(
        r.to_ascii_uppercase().as_str(),
        "PUBLIC" | "CURRENT_USER" | "SESSION_USER" | "CURRENT_ROLE" | "GROUP"
    ) || r.starts_with("pg_")
}

/// Parses one identifier at the start of `s` (quoted or bare); returns it and the rest.
pub fn ident(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    out.push('"');
                    chars.next();
                } else {
                    return Some((out, &rest[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        None
    } else {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(s.len());
        (end > 0).then(|| (s[..end].to_string(), &s[end..]))
    }
}

/// A comma-separated list of role names, up to `;` or a trailing clause.
fn role_list(mut s: &str, needs: &mut Needs) {
    while let Some((r, rest)) = ident(s) {
        if r.eq_ignore_ascii_case("GROUP") {
            s = rest;
            continue;
        }
        if !is_pseudo_role(&r) {
            needs.roles.insert(r);
        }
        match rest.trim_start().strip_prefix(',') {
            Some(more) => s = more,
            None => break,
        }
    }
}

/// Records what one line of `pg_restore --schema-only` output refers to.
pub fn scan_line(line: &str, needs: &mut Needs) {
    if line.starts_with("--") {
        return;
    }
    if let Some(rest) = line.strip_prefix("SET default_tablespace = ") {
        if let Some((t, _)) = ident(rest.trim_end_matches(';')) {
            needs.tablespaces.insert(t);
        }
        return;
    }
    if line.starts_with("ALTER ") {
        if let Some(i) = line.rfind(" OWNER TO ") {
            role_list(&line[i + 10..], needs);
        }
    }
    if let Some(rest) = line.strip_prefix("ALTER DEFAULT PRIVILEGES FOR ROLE ") {
        role_list(rest, needs);
    }
    let grant = line.starts_with("GRANT ") || line.contains(" GRANT ");
    if grant && line.trim_end().ends_with(';') {
        if let Some(i) = line.rfind(" TO ") {
            role_list(&line[i + 4..], needs);
        }
    }
    let revoke = line.starts_with("REVOKE ") || line.contains(" REVOKE ");
    if revoke && line.trim_end().ends_with(';') {
        if let Some(i) = line.rfind(" FROM ") {
            role_list(&line[i + 6..], needs);
        }
    }
}

/// Splits SQL text into statements at `;` outside quotes and comments.
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = sql.chars().peekable();
    let (mut in_single, mut in_double) = (false, false);
    while let Some(c) = chars.next() {
        if !in_single && !in_double && c == '-' && chars.peek() == Some(&'-') {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            cur.push('\n');
            continue;
        }
        match c {
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single => in_double = !in_double,
            ';' if !in_single && !in_double => {
                let s = cur.trim();
                if !s.is_empty() {
                    out.push(s.to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    let s = cur.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    out
}

/// What a globals statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Session settings (`SET …`), run first.
    Session,
    /// About one role.
    Role(String),
    /// A membership: `GRANT role TO member`.
    Membership(String, String),
    /// About one tablespace.
    Tablespace(String),
    /// Something else: not run.
    Other,
}

/// Classifies one statement of `pg_dumpall --globals-only` output.
pub fn subject(stmt: &str) -> Subject {
    let after = |p: &str| stmt.strip_prefix(p).and_then(ident).map(|(n, _)| n);
    if stmt.starts_with("SET ") {
        return Subject::Session;
    }
    if stmt.contains(" IN DATABASE ") {
        // Per-database role settings name databases that may not exist here.
        return Subject::Other;
    }
    for p in ["CREATE ROLE ", "ALTER ROLE ", "COMMENT ON ROLE "] {
        if let Some(r) = after(p) {
            return Subject::Role(r);
        }
    }
    for p in [
        "CREATE TABLESPACE ",
        "ALTER TABLESPACE ",
        "COMMENT ON TABLESPACE ",
    ] {
        if let Some(t) = after(p) {
            return Subject::Tablespace(t);
        }
    }
    if let Some(rest) = stmt.strip_prefix("GRANT ") {
        if let Some(i) = rest.find(" ON TABLESPACE ") {
            if let Some((t, _)) = ident(&rest[i + 15..]) {
                return Subject::Tablespace(t);
            }
        }
        if let Some((role, rest)) = ident(rest) {
            if let Some(m) = rest.trim_start().strip_prefix("TO ") {
                if let Some((member, _)) = ident(m) {
                    return Subject::Membership(role, member);
                }
            }
        }
    }
    Subject::Other
}

/// Drops a ` GRANTED BY x` clause: the grantor may not exist on this server.
fn without_grantor(stmt: &str) -> String {
    match stmt.find(" GRANTED BY ") {
        Some(i) => stmt[..i].to_string(),
        None => stmt.to_string(),
    }
}

/// The statements to run to create `roles` and `tablespaces` from the globals SQL, in
/// order: session settings, then each object's statements, then memberships between
/// roles that exist afterwards (`existing` are the server's roles).
pub fn plan(
    globals_sql: &str,
    roles: &BTreeSet<String>,
    tablespaces: &BTreeSet<String>,
    existing: &BTreeSet<String>,
) -> (Vec<String>, BTreeSet<String>) {
    let mut session = Vec::new();
    let mut objects = Vec::new();
    let mut members = Vec::new();
    let mut found = BTreeSet::new();
    for stmt in statements(globals_sql) {
        match subject(&stmt) {
            Subject::Session => session.push(stmt),
            Subject::Role(r) if roles.contains(&r) => {
                found.insert(r);
                objects.push(stmt);
            }
            Subject::Tablespace(t) if tablespaces.contains(&t) => {
                found.insert(t);
                objects.push(stmt);
            }
            Subject::Membership(role, member) => {
                let new = roles.contains(&role) || roles.contains(&member);
                let will_exist = |r: &String| roles.contains(r) || existing.contains(r);
                if new && will_exist(&role) && will_exist(&member) {
                    members.push(without_grantor(&stmt));
                }
            }
            _ => {}
        }
    }
    session.extend(objects);
    session.extend(members);
    (session, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOBALS: &str = "--\n-- PostgreSQL database cluster dump\n--\n\n\
        SET default_transaction_read_only = off;\nSET client_encoding = 'UTF8';\n\n\
        CREATE ROLE \"odd \"\"name\";\nALTER ROLE \"odd \"\"name\" WITH NOSUPERUSER NOLOGIN;\n\
        CREATE ROLE owner1;\nALTER ROLE owner1 WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:a;b';\n\
        COMMENT ON ROLE owner1 IS 'it''s; the owner';\n\
        CREATE ROLE postgres;\nALTER ROLE postgres WITH SUPERUSER;\n\
        ALTER ROLE owner1 IN DATABASE app SET work_mem TO '64MB';\n\
        GRANT owner1 TO postgres GRANTED BY postgres;\nGRANT owner1 TO ghost;\n\
        CREATE TABLESPACE fast OWNER owner1 LOCATION '/ssd';\n";

    #[test]
    fn splits_statements_outside_quotes_and_comments() {
        let s = statements(GLOBALS);
        assert_eq!(s[0], "SET default_transaction_read_only = off");
        assert!(s
            .iter()
            .any(|x| x == "ALTER ROLE owner1 WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:a;b'"));
        assert!(s
            .iter()
            .any(|x| x == "COMMENT ON ROLE owner1 IS 'it''s; the owner'"));
        assert_eq!(
            subject("CREATE ROLE \"odd \"\"name\""),
            Subject::Role("odd \"name".into())
        );
    }

    #[test]
    fn plans_only_missing_needed_objects() {
        let roles: BTreeSet<String> = ["owner1".to_string()].into();
        let existing: BTreeSet<String> = ["postgres".to_string()].into();
        let (stmts, found) = plan(GLOBALS, &roles, &BTreeSet::new(), &existing);
        assert_eq!(found, roles);
        assert_eq!(
            stmts,
            vec![
                "SET default_transaction_read_only = off",
                "SET client_encoding = 'UTF8'",
                "CREATE ROLE owner1",
                "ALTER ROLE owner1 WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:a;b'",
                "COMMENT ON ROLE owner1 IS 'it''s; the owner'",
                "GRANT owner1 TO postgres",
            ]
        );
    }

    #[test]
    fn scans_owners_grantees_and_tablespaces() {
        let mut n = Needs::default();
        for l in [
            "ALTER TABLE rental.leases OWNER TO pra_sample_owner;",
            "GRANT SELECT ON TABLE rental.tenants TO pra_sample_reader;",
            "GRANT ALL ON SCHEMA s TO \"Mixed Case\" WITH GRANT OPTION;",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
            "ALTER DEFAULT PRIVILEGES FOR ROLE admin IN SCHEMA s GRANT SELECT ON TABLES TO app, pg_read_all_data;",
            "SET default_tablespace = fast;",
            "SET default_tablespace = '';",
            "-- GRANT x TO commented;",
        ] {
            scan_line(l, &mut n);
        }
        let roles: Vec<&str> = n.roles.iter().map(String::as_str).collect();
        assert_eq!(
            roles,
            [
                "Mixed Case",
                "admin",
                "app",
                "pra_sample_owner",
                "pra_sample_reader"
            ]
        );
        assert_eq!(n.tablespaces.iter().collect::<Vec<_>>(), ["fast"]);
    }
}
