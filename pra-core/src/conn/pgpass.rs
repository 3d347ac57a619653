//! Password lookup in a libpq password file (`PGPASSFILE`, else `~/.pgpass`).
//!
//! Lines are `hostname:port:database:username:password`; `*` matches anything,
//! `\:` and `\\` escape. The first matching line wins. Like libpq, a file that
//! group or others can read is ignored with a warning, and a connection through
//! the default socket directory matches the host name `localhost`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The socket directory Debian's libpq uses when no host is given.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// What a password is looked up for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Host name or socket directory.
    pub host: &'a str,
    /// Port.
    pub port: &'a str,
    /// Database name.
    pub dbname: &'a str,
    /// User name.
    pub user: &'a str,
}

fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if let Some(last) = fields.last_mut() {
                        last.push(n);
                    }
                }
            }
            ':' => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// Finds the password for `target` in the text of a password file.
pub fn lookup_in(text: &str, target: Target<'_>) -> Option<String> {
    let host = if target.host.starts_with('/') && target.host == DEFAULT_SOCKET_DIR {
        "localhost"
    } else {
        target.host
    };
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f = split_fields(line);
        if f.len() < 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&f[0], host)
            && matches(&f[1], target.port)
            && matches(&f[2], target.dbname)
            && matches(&f[3], target.user)
        {
            // A password may itself contain (escaped) colons: rejoin the rest.
            return Some(f[4..].join(":"));
        }
    }
    None
}

/// Reads the password file at `path` and looks `target` up in it.
///
/// A missing file is no password; a file readable by group or others is ignored,
/// as libpq does, with a warning that says how to fix it.
pub fn lookup(path: &Path, target: Target<'_>) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        log::warn!(
            "password file {} has group or world access; ignored (chmod 0600 it)",
            path.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    lookup_in(&text, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# comment\n\
        db1:5432:app:alice:first\n\
        *:*:app:bob:with\\:colon\n\
        localhost:5433:*:carol:sock\n\
        /tmp/pg:5499:*:*:path\n\
        *:*:*:*:fallback\n";

    fn t<'a>(host: &'a str, port: &'a str, dbname: &'a str, user: &'a str) -> Target<'a> {
        Target {
            host,
            port,
            dbname,
            user,
        }
    }

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        assert_eq!(
            lookup_in(FILE, t("db1", "5432", "app", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup_in(FILE, t("db9", "1", "app", "bob")).as_deref(),
            Some("with:colon")
        );
        assert_eq!(
            lookup_in(FILE, t("db1", "5432", "other", "alice")).as_deref(),
            Some("fallback")
        );
    }

    #[test]
    fn default_socket_dir_matches_localhost_other_dirs_match_themselves() {
        assert_eq!(
            lookup_in(FILE, t(DEFAULT_SOCKET_DIR, "5433", "x", "carol")).as_deref(),
            Some("sock")
        );
        assert_eq!(
            lookup_in(FILE, t("/tmp/pg", "5499", "x", "dan")).as_deref(),
            Some("path")
        );
    }

    #[test]
    fn group_readable_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(lookup(&path, t("h", "1", "d", "u")), None);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            lookup(&path, t("h", "1", "d", "u")).as_deref(),
            Some("secret")
        );
    }
}
