//! Connection service files, as libpq reads them (`service=NAME` or `PGSERVICE`).
//!
//! The service is looked up first in the user's file (`PGSERVICEFILE`, else
//! `~/.pg_service.conf`), then in the system's (`PGSYSCONFDIR/pg_service.conf`,
//! by default Debian's `/etc/postgresql-common`). The first file that defines the
//! service is the only one used. Its settings are defaults for what the conninfo
//! string does not say, and take precedence over the `PG*` variables.

use std::path::{Path, PathBuf};

/// Where Debian's libpq looks for `pg_service.conf` when `PGSYSCONFDIR` is unset.
pub const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The files to search for a service, in order.
pub fn service_files(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    match env("PGSERVICEFILE") {
        Some(f) => files.push(PathBuf::from(f)),
        None => {
            if let Some(home) = env("HOME") {
                files.push(Path::new(&home).join(".pg_service.conf"));
            }
        }
    }
    let sysconf = env("PGSYSCONFDIR").unwrap_or_else(|| DEFAULT_SYSCONFDIR.to_string());
    files.push(Path::new(&sysconf).join("pg_service.conf"));
    files
}

/// The (key, value) settings of service `name`, from the first file that defines it.
pub fn lookup(name: &str, files: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    for file in files {
        // A missing file is skipped, as libpq does; an unreadable one is an error.
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read service file {}: {e}", file.display())),
        };
        if let Some(pairs) = find_in(&text, name, file)? {
            return Ok(pairs);
        }
    }
    let searched: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Err(format!(
        "definition of service \"{name}\" not found (searched {})",
        searched.join(", ")
    ))
}

/// The settings of service `name` in the text of one service file, if it defines it.
pub fn find_in(
    text: &str,
    name: &str,
    file: &Path,
) -> Result<Option<Vec<(String, String)>>, String> {
    let mut in_group = false;
    let mut found = false;
    let mut pairs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("service file {}, line {}", file.display(), i + 1);
        if let Some(group) = line.strip_prefix('[') {
            let group = group
                .strip_suffix(']')
                .ok_or_else(|| format!("syntax error in {}: unterminated [", at()))?;
            if found && in_group {
                // The service's group ended: later groups are other services.
                break;
            }
            in_group = group == name;
            found |= in_group;
            continue;
        }
        if !in_group {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("syntax error in {}: expected key=value", at()))?;
        let key = key.trim();
        if key == "service" {
            return Err(format!(
                "nested service specifications not supported in {}",
                at()
            ));
        }
        pairs.push((key.to_string(), value.trim().to_string()));
    }
    Ok(found.then_some(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# comment\n[other]\nhost=elsewhere\n\n[app]\n host = /run/pg \nport=5499\ndbname=app db\n[next]\nport=1\n";

    #[test]
    fn finds_the_group_and_only_it() {
        let p = find_in(FILE, "app", Path::new("f")).unwrap().unwrap();
        assert_eq!(
            p,
            vec![
                ("host".to_string(), "/run/pg".to_string()),
                ("port".to_string(), "5499".to_string()),
                ("dbname".to_string(), "app db".to_string()),
            ]
        );
        assert_eq!(find_in(FILE, "missing", Path::new("f")).unwrap(), None);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = find_in("[a]\nservice=b\n", "a", Path::new("/x")).unwrap_err();
        assert!(e.contains("nested") && e.contains("/x, line 2"), "{e}");
        let e = find_in("[a]\njunk\n", "a", Path::new("/x")).unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn user_file_first_then_system_file() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.conf");
        let sys = dir.path().join("sys");
        std::fs::create_dir(&sys).unwrap();
        std::fs::write(&user, "[a]\nport=1\n").unwrap();
        std::fs::write(sys.join("pg_service.conf"), "[a]\nport=2\n[b]\nport=3\n").unwrap();
        let env = |k: &str| match k {
            "PGSERVICEFILE" => Some(user.display().to_string()),
            "PGSYSCONFDIR" => Some(sys.display().to_string()),
            _ => None,
        };
        let files = service_files(&env);
        assert_eq!(lookup("a", &files).unwrap()[0].1, "1");
        assert_eq!(lookup("b", &files).unwrap()[0].1, "3");
        let e = lookup("c", &files).unwrap_err();
        assert!(e.contains("\"c\" not found"), "{e}");
        // HOME's .pg_service.conf when PGSERVICEFILE is unset.
        let home = |k: &str| (k == "HOME").then(|| "/h".to_string());
        assert_eq!(
            service_files(&home),
            vec![
                PathBuf::from("/h/.pg_service.conf"),
                PathBuf::from("/etc/postgresql-common/pg_service.conf")
            ]
        );
    }
}
