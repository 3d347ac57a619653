//! The roles and tablespaces (`pg_dumpall --globals-only`) dumped beside the
//! database's dump rather than after it: a separate process with its own snapshot,
//! as before, its file staged and hashed on a thread of its own while
//! `pg_dump` runs; the backup joins it and names it after the dump, before the manifest.

use crate::backup::{extension, stage_output, BackupOptions, Output, Stored};
use crate::snapshot::SnapshotInfo;
use crate::Error;
use pra_core::conn::conninfo::dbname_conninfo;
use pra_core::manifest::FileRole;
use pra_core::repo::{Repository, StagedFile};
use std::path::PathBuf;
use std::process::Command;
use std::thread::{Scope, ScopedJoinHandle};

/// The `pg_dumpall` command of the globals; adds the warning of a backup role that is
/// not a superuser to `warnings`.
fn command(info: &SnapshotInfo, pg_dumpall: PathBuf, warnings: &mut Vec<String>) -> Command {
    let mut globals = Command::new(pg_dumpall);
    globals
        .args(["--globals-only", "--no-password", "-l"])
        .arg(dbname_conninfo(&info.database));
    if !info.superuser {
        globals.arg("--no-role-passwords");
        warnings.push(
            "globals taken with --no-role-passwords (the backup role is not a superuser): \
             role passwords must be set again after a restore onto an empty server"
                .to_string(),
        );
    }
    globals
}

/// The globals dump running beside the database's dump.
pub(crate) struct Globals<'scope> {
    handle: ScopedJoinHandle<'scope, Result<Staged, Error>>,
}

/// The globals file, complete and hashed, not named yet: committed after the dump.
pub(crate) struct Staged {
    file: Box<dyn StagedFile>,
    stored: Stored,
}

impl Staged {
    /// Gives the file its final name.
    pub(crate) fn commit(self) -> Result<Stored, Error> {
        self.file.commit()?;
        Ok(self.stored)
    }
}

impl<'scope> Globals<'scope> {
    /// Starts `pg_dumpall` into `globals.sql…` of backup `id` in `first`, on a thread
    /// of `scope`. Its stall watchdog, signal checks and cleanup of the staged file on
    /// failure are those of every stored output ([`stage_output`]).
    pub(crate) fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        (opts, first, id): (&'env BackupOptions, &'env Repository, &'env str),
        info: &SnapshotInfo,
        pg_dumpall: PathBuf,
        warnings: &mut Vec<String>,
    ) -> Globals<'scope> {
        let cmd = command(info, pg_dumpall, warnings);
        let name = format!("globals.sql{}", extension(opts));
        let handle = scope.spawn(move || {
            let out = Output {
                tool: "pg_dumpall",
                name: &name,
                role: FileRole::Globals,
                rows: None,
            };
            let (file, stored) = stage_output(opts, first, id, cmd, out, None)?;
            Ok(Staged { file, stored })
        });
        Globals { handle }
    }

    /// Waits for the globals file (staged) or the reason it failed.
    pub(crate) fn join(self) -> Result<Staged, Error> {
        self.handle
            .join()
            .map_err(|_| Error::Usage("the globals thread panicked".to_string()))?
    }
}
