//! Running the PostgreSQL client programs (`pg_restore`): where they are
//! (`--pg-bindir`, see [`pra_core::child::program`]) and their connection
//! environment (password never on argv).

use crate::Error;
use pra_core::conn::ConnSettings;
use std::path::Path;
use std::process::Command;

/// A command for the client program `name` (in `bindir`, else on PATH) that connects like `server` to database `db`.
///
/// On Linux the child is asked to die with us (`PR_SET_PDEATHSIG`): a restore
/// killed with SIGKILL must not leave a `pg_restore` running on into a database
/// the next run will clean up.
///
/// A program that cannot be found is a configuration error (exit 2) naming `--pg-bindir`.
pub fn command(
    bindir: Option<&Path>,
    name: &str,
    server: &ConnSettings,
    db: &str,
) -> Result<Command, Error> {
    let program =
        pra_core::child::program(bindir, name).map_err(|e| Error::Usage(e.to_string()))?;
    let mut cmd = Command::new(program);
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
    Ok(cmd)
}
