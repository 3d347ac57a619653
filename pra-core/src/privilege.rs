//! Which privilege a role lacks, from PostgreSQL's permission errors, said in one
//! line: an operator who reads "GRANT pg_read_all_data TO pra_backup" grants that,
//! instead of reaching for a superuser. The roles each tool needs, and why, are in
//! docs/CONNECTING.md ("Least privilege").

/// What the failing tool was doing, which decides what a "permission denied for
/// table" means: a backup must read everything, a restore creates what it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading a database (pra-backup, pra-status's critical tables).
    Read,
    /// Creating databases and objects (pra-restore, pra-verify's test restore).
    Write,
}

/// The marker that starts every hint, so that a hint is never added twice.
const MARK: &str = "(hint: ";

/// The hint for the first PostgreSQL permission error in `text`, if `text` has one:
/// the statement to run (as a superuser) that gives `user` what it lacked.
pub fn privilege_hint(text: &str, user: &str, access: Access) -> Option<String> {
    let role = role_name(user);
    if text.contains("query would be affected by row-level security policy") {
        return Some(format!(
            "ALTER ROLE {role} BYPASSRLS: a table has row-level security, and a backup must see every row"
        ));
    }
    if let Some(rest) = after(text, "permission denied for large object ") {
        let oid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return Some(format!(
            "GRANT SELECT ON LARGE OBJECT {oid} TO {role}, or GRANT <its owner> TO {role}: pg_read_all_data does not cover large objects"
        ));
    }
    if text.contains("permission denied to create database") {
        return Some(format!(
            "ALTER ROLE {role} CREATEDB: the restore goes into a new database"
        ));
    }
    if let Some(ext) = after(text, "permission denied to create extension \"").and_then(quoted) {
        return Some(format!(
            "extension {ext} is not trusted: only a superuser can create it, so restore this backup as one"
        ));
    }
    if let Some(owner) = after(text, "must be member of role \"").and_then(quoted) {
        return Some(format!(
            "GRANT {} TO {role} to restore objects owned by it, or restore with --no-owner",
            role_name(&owner)
        ));
    }
    if let Some(db) = after(text, "permission denied for database \"").and_then(quoted) {
        return Some(format!(
            "GRANT CONNECT ON DATABASE {} TO {role}",
            role_name(&db)
        ));
    }
    let read_denied = [
        "permission denied for table ",
        "permission denied for schema ",
        "permission denied for sequence ",
        "permission denied for view ",
        "permission denied for materialized view ",
    ];
    if access == Access::Read && read_denied.iter().any(|p| text.contains(p)) {
        return Some(format!(
            "GRANT pg_read_all_data TO {role}: it reads tables, sequences and schemas it does not own"
        ));
    }
    None
}

/// `text` with the hint for its permission error (if any) appended to the line that
/// holds the error, so that a one-line summary of `text` carries it too.
pub fn with_privilege_hint(text: &str, user: &str, access: Access) -> String {
    if text.contains(MARK) {
        return text.to_string();
    }
    let Some(hint) = privilege_hint(text, user, access) else {
        return text.to_string();
    };
    let at = text
        .lines()
        .position(|l| privilege_hint(l, user, access).is_some())
        .unwrap_or(0);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match lines.get_mut(at) {
        Some(line) => line.push_str(&format!(" {MARK}{hint})")),
        None => lines.push(format!("{MARK}{hint})")),
    }
    lines.join("\n")
}

/// The part of `text` after the first `needle`.
fn after<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
    text.find(needle).map(|i| &text[i + needle.len()..])
}

/// The text up to the closing double quote.
fn quoted(rest: &str) -> Option<String> {
    rest.find('"').map(|end| rest[..end].to_string())
}

/// A role or database name as SQL needs it: bare when it is a plain lower-case
/// identifier, double-quoted otherwise.
fn role_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        crate::catalog::quote_ident(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_without_read_rights_is_told_to_grant_pg_read_all_data() {
        let stderr = "pg_dump: error: query failed: ERROR:  permission denied for table t\n\
                      pg_dump: detail: Query was: LOCK TABLE public.t IN ACCESS SHARE MODE";
        let out = with_privilege_hint(stderr, "pra_backup", Access::Read);
        let first = out.lines().next().unwrap_or_default();
        assert!(
            first.ends_with(
                "permission denied for table t (hint: GRANT pg_read_all_data TO pra_backup: \
                 it reads tables, sequences and schemas it does not own)"
            ),
            "{out}"
        );
        assert_eq!(out.lines().count(), 2);
        assert_eq!(with_privilege_hint(&out, "pra_backup", Access::Read), out);
    }

    #[test]
    fn each_permission_error_names_its_grant() {
        let cases = [
            (
                "ERROR: query would be affected by row-level security policy for table \"s\"",
                "ALTER ROLE u BYPASSRLS",
            ),
            (
                "ERROR:  permission denied for large object 16489",
                "GRANT SELECT ON LARGE OBJECT 16489 TO u",
            ),
            (
                "ERROR: permission denied to create database",
                "ALTER ROLE u CREATEDB",
            ),
            (
                "ERROR:  permission denied to create extension \"pg_stat_statements\"",
                "extension pg_stat_statements is not trusted",
            ),
            (
                "ERROR:  must be member of role \"App Owner\" | Command was: ALTER SCHEMA",
                "GRANT \"App Owner\" TO u",
            ),
            (
                "FATAL:  permission denied for database \"app\"",
                "GRANT CONNECT ON DATABASE app TO u",
            ),
            (
                "ERROR:  permission denied for schema rental",
                "GRANT pg_read_all_data TO u",
            ),
        ];
        for (error, grant) in cases {
            let hint = privilege_hint(error, "u", Access::Read).unwrap_or_default();
            assert!(hint.starts_with(grant), "{error}: {hint}");
        }
    }

    #[test]
    fn other_errors_and_write_denials_get_no_read_hint() {
        assert_eq!(
            privilege_hint("ERROR: relation \"t\" does not exist", "u", Access::Read),
            None
        );
        assert_eq!(
            privilege_hint(
                "ERROR: permission denied for schema public",
                "u",
                Access::Write
            ),
            None
        );
        assert_eq!(
            with_privilege_hint("disk full", "u", Access::Write),
            "disk full"
        );
    }
}
