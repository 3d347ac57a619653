//! Running the PostgreSQL client programs (`pg_restore`): where they are and their
//! connection environment (password never on argv).

use pra_core::conn::ConnSettings;
use std::path::PathBuf;
use std::process::Command;

/// The path of a PostgreSQL client program: in `$PRA_PG_BINDIR` when set (to pick a
/// version explicitly), else found on `PATH`.
pub fn program(name: &str) -> PathBuf {
    match std::env::var_os("PRA_PG_BINDIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join(name),
        None => PathBuf::from(name),
    }
}

/// A command for `name` that connects like `server` to database `db`.
///
/// On Linux the child is asked to die with us (`PR_SET_PDEATHSIG`): a restore
/// killed with SIGKILL must not leave a `pg_restore` running on into a database
/// the next run will clean up.
pub fn command(name: &str, server: &ConnSettings, db: &str) -> Command {
    let mut cmd = Command::new(program(name));
    server.with_dbname(db).apply_to(&mut cmd);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}

/// The connection string a client program gets on its command line: only the
/// database name (host, user and password travel in the environment).
pub fn dbname_arg(db: &str) -> String {
    // libpq conninfo quoting: backslash escapes a quote or a backslash.
    format!("dbname='{}'", db.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbname_is_quoted_for_conninfo() {
        assert_eq!(dbname_arg("app"), "dbname='app'");
        assert_eq!(dbname_arg("it's"), "dbname='it\\'s'");
    }
}
