//! A repository is created explicitly (DESIGN.md, "Repository"): `pra-backup --init`
//! calls [`Repository::create`]; every other writer opens with [`Repository::open_existing`],
//! which refuses a missing location or one without `pra.json`, so that a typo in
//! `--repo` or an unmounted disk (an empty mount point) never becomes a new repository.

use super::{RepoError, Repository};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

/// The flag that creates a repository, named by every refusal.
pub const INIT_FLAG: &str = "pra-backup --init";

/// The local directory of a location (a path or `file://`), `None` for object storage.
fn local_dir(location: &str) -> Option<&str> {
    match location.strip_prefix("file://") {
        Some(rest) => Some(rest),
        None if location.contains("://") => None,
        None => Some(location),
    }
}

fn missing(location: &str, reason: String) -> RepoError {
    RepoError::Missing {
        location: location.to_string(),
        reason,
    }
}

impl Repository {
    /// Opens a repository that must already exist: a missing location or one without
    /// `pra.json` is a [`RepoError::Missing`] naming the path and `pra-backup --init`.
    pub fn open_existing(location: &str) -> Result<Repository, RepoError> {
        let repo = Repository::open(location)?;
        if repo.info()?.is_some() {
            return Ok(repo);
        }
        let shown = repo.location();
        let reason = match local_dir(location).map(Path::new) {
            Some(dir) if !dir.exists() => format!(
                "{shown} does not exist (a typo in --repo / PRA_REPO, or a disk not mounted?)"
            ),
            Some(dir) if is_empty_dir(dir) => format!(
                "{shown} is an empty directory, not a repository (an unmounted mount point?)"
            ),
            _ => format!("{shown} holds no pra.json: it is not a pra repository"),
        };
        Err(missing(
            &shown,
            format!("{reason}; to create a repository there, run {INIT_FLAG} --repo {shown}"),
        ))
    }

    /// Creates the repository at `location` if it does not exist: the directory itself
    /// (never its parents: a missing parent is a disk not mounted, and creating it would
    /// fill the root filesystem), then `pra.json`. A no-op on an existing repository,
    /// so scripts may always pass `--init`.
    pub fn create(location: &str) -> Result<Repository, RepoError> {
        if let Some(dir) = local_dir(location).filter(|d| !d.trim().is_empty()) {
            let dir = Path::new(dir);
            if !dir.exists() {
                let parent = dir
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if !parent.is_dir() {
                    return Err(missing(
                        &dir.display().to_string(),
                        format!(
                            "its parent directory {} does not exist; --init creates the \
                             repository directory but never its parents (an unmounted disk \
                             must not fill the root filesystem): mount the disk or create \
                             the parent first",
                            parent.display()
                        ),
                    ));
                }
                match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(RepoError::io(&dir.display().to_string(), e)),
                }
            }
        }
        let repo = Repository::open(location)?;
        repo.init()?;
        Ok(repo)
    }

    /// Checks, for a local repository, that this OS user may write `stanza`
    /// ([`super::access::check_writable`]): a writer calls it before it starts, so
    /// that the wrong user is told who owns what. Object storage answers for itself.
    pub fn check_writer(location: &str, stanza: &str, tool: &str) -> Result<(), RepoError> {
        match local_dir(location) {
            Some(dir) => super::access::check_writable(Path::new(dir), stanza, tool),
            None => Ok(()),
        }
    }
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_location_is_refused_naming_the_path_and_the_flag() {
        let tmp = tempfile::tempdir().unwrap();
        let typo = tmp.path().join("bakcups");
        let loc = typo.to_str().unwrap();
        let err = Repository::open_existing(loc).unwrap_err().to_string();
        assert!(err.contains(loc) && err.contains("--init"), "{err}");
        assert!(err.contains("does not exist"), "{err}");
        assert!(!typo.exists(), "opening created nothing");

        std::fs::create_dir(&typo).unwrap();
        let err = Repository::open_existing(loc).unwrap_err().to_string();
        assert!(
            err.contains("empty directory") && err.contains("--init"),
            "{err}"
        );
        assert_eq!(
            Repository::open_existing(loc).unwrap_err().exit(),
            crate::exit::Exit::Runtime
        );
    }

    #[test]
    fn create_makes_the_directory_not_its_parents_and_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let unmounted = tmp.path().join("mnt/backup/pra");
        let err = Repository::create(unmounted.to_str().unwrap()).unwrap_err();
        assert!(err.to_string().contains("parent directory"), "{err}");
        assert!(!tmp.path().join("mnt").exists(), "no parent created");

        let repo_dir = tmp.path().join("pra");
        let loc = repo_dir.to_str().unwrap();
        let repo = Repository::create(loc).unwrap();
        let first = repo.info().unwrap().unwrap();
        let again = Repository::create(&format!("file://{loc}")).unwrap();
        assert_eq!(
            again.info().unwrap().unwrap(),
            first,
            "a no-op the second time"
        );
        assert!(Repository::open_existing(loc).is_ok());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&repo_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    use crate::exit::ExitStatus;
}
