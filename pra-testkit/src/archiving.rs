//! A cluster archiving its WAL through the real pra-wal into a pra repository, as
//! docs/PHYSICAL.md sets it up: for the tests of physical backups, point-in-time
//! recovery and the archive's checks, in whichever crate they live.

use crate::recovered::chown_tree;
use crate::ClusterOptions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A workspace binary built beside the running test (`target/debug/<name>`); the
/// test fails, saying how to build it, when it is not there.
pub fn workspace_bin(name: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test> -> target/debug/<name>
    let path = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        path.exists(),
        "this test runs the real {name}: build it first (cargo build -p {name}; \
         scripts/test.sh builds the whole workspace)"
    );
    path.display().to_string()
}

/// The uid and gid of the server's OS user (`postgres`), who runs archive_command
/// and so must own a local repository.
pub fn server_user_ids() -> (u32, u32) {
    let fallback = std::fs::metadata("/var/lib/postgresql")
        .or_else(|_| std::fs::metadata("/tmp"))
        .unwrap();
    let id = |flag: &str, or: u32| -> u32 {
        let out = std::process::Command::new("id")
            .args([flag, "postgres"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(or)
    };
    (id("-u", fallback.uid()), id("-g", fallback.gid()))
}

/// Creates a local repository at `path` (its parent made 0755) owned by the server's
/// OS user.
pub fn server_owned_repo(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    pra_core::repo::Repository::create(path.to_str().unwrap()).unwrap();
    let (uid, gid) = server_user_ids();
    chown_tree(path, uid, gid);
}

/// Options of a cluster whose `archive_command` is `pra-wal push` into `repo`'s
/// `stanza`, with `env` (what pra-wal needs to reach an object store) in its
/// environment.
pub fn archiving_options(repo: &str, stanza: &str, env: &[(String, String)]) -> ClusterOptions {
    let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    ClusterOptions {
        conf: vec![
            "wal_level = replica".into(),
            "archive_mode = on".into(),
            format!(
                "archive_command = 'env {} {} push --repo {repo} --stanza {stanza} %p'",
                vars.join(" "),
                workspace_bin("pra-wal")
            ),
        ],
        ..ClusterOptions::default()
    }
}

/// Stops the server a tool started on a data directory (`pra-restore --start`) when
/// dropped, however the test ends: a failed assertion must not leave it running.
pub struct StopOnDrop {
    pg_ctl: PathBuf,
    data: PathBuf,
}

impl StopOnDrop {
    /// Guards the server on `data`, stopped with `bindir`'s pg_ctl as the server's user.
    pub fn new(bindir: &Path, data: &Path) -> StopOnDrop {
        StopOnDrop {
            pg_ctl: bindir.join("pg_ctl"),
            data: data.to_path_buf(),
        }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = std::process::Command::new("setpriv")
                .args(["--reuid", "postgres", "--regid", "postgres"])
                .args(["--clear-groups", "--"])
                .arg(&self.pg_ctl)
                .arg("-D")
                .arg(&self.data)
                .args(["stop", "-m", "immediate"])
                .output();
        }
    }
}
