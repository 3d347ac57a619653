//! Who may write a local repository: before a writer starts, the files it must write
//! are checked against the OS user running it, so that running as the wrong user (root
//! once, then the postgres cron job) fails with who ran, who owns what and what to do,
//! instead of a bare "Permission denied" on every later run.

use super::RepoError;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The name of OS user `uid` (`postgres`), or `uid N` when it has none.
pub fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid returns a pointer into static storage or NULL; the name is
    // copied out before any other call could overwrite it.
    let name = unsafe {
        let pw = libc::getpwuid(uid);
        if pw.is_null() || (*pw).pw_name.is_null() {
            None
        } else {
            Some(
                std::ffi::CStr::from_ptr((*pw).pw_name)
                    .to_string_lossy()
                    .into_owned(),
            )
        }
    };
    name.unwrap_or_else(|| format!("uid {uid}"))
}

/// The effective user of this process.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() }
}

fn writable(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) == 0 }
}

/// Checks that this process may write stanza `stanza` of the local repository at
/// `root` (the repository, the stanza, its backups and lock directories, the lock and
/// `pra.json`, those that exist). A refusal says which OS user runs, who owns the file,
/// and what to do.
pub fn check_writable(root: &Path, stanza: &str, tool: &str) -> Result<(), RepoError> {
    let s = root.join(stanza);
    let paths: [PathBuf; 7] = [
        root.to_path_buf(),
        root.join("pra.json"),
        s.clone(),
        s.join("backup"),
        s.join("lease"),
        s.join("lock"),
        s.join(super::LEGACY_STANZA_LOCK),
    ];
    for path in paths.iter().filter(|p| p.exists()) {
        if writable(path) {
            continue;
        }
        let me = effective_uid();
        let (owner, mode) = std::fs::metadata(path)
            .map(|m| (m.uid(), m.mode() & 0o7777))
            .unwrap_or((u32::MAX, 0));
        let owner_name = user_name(owner);
        let me = user_name(me);
        let todo = if owner == 0 {
            format!(
                ": a run as root created it; give the files back: chown -R {me}: {}, and run \
                 every pra job as {me} (sudo -u {me}, User= in the systemd unit, the {me} \
                 crontab), never as root",
                root.display()
            )
        } else {
            format!(
                "; run the pra jobs as {owner_name} (sudo -u {owner_name} {tool} …, User= in \
                 the systemd unit), or make {me} the owner: chown -R {me}: {}",
                root.display()
            )
        };
        return Err(RepoError::Permission {
            path: path.display().to_string(),
            reason: format!(
                "{tool} runs as OS user {me} but {} is owned by {owner_name} (mode {mode:04o}){todo}",
                path.display()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_users_and_passes_on_own_files() {
        assert_eq!(user_name(0), "root");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("app/lock")).unwrap();
        check_writable(tmp.path(), "app", "pra-backup").unwrap();
        check_writable(tmp.path(), "absent", "pra-backup").unwrap();
    }
}
