//! A repository is created explicitly (DESIGN.md, "Repository"): `pra-backup --init`
//! calls [`Repository::create`]; every other writer opens with [`Repository::open_existing`],
//! which refuses a missing location or one without `pra.json`, so that a typo in
//! `--repo` or an unmounted disk (an empty mount point) never becomes a new repository.

use super::{RepoError, Repository};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
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
        Repository::create_with(location, false)
    }

    /// [`Repository::create`], and with `group_readable` records in `pra.json` that
    /// files are group-readable (0640, directories 0750) for a monitoring user in the
    /// owner's group; every later writer keeps it. On an existing private repository it
    /// records it too (files written before keep their mode: `chmod -R g+rX` them).
    pub fn create_with(location: &str, group_readable: bool) -> Result<Repository, RepoError> {
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
                let mode = if group_readable { 0o750 } else { 0o700 };
                match std::fs::DirBuilder::new().mode(mode).create(dir) {
                    Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| RepoError::io(&dir.display().to_string(), e))?,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(RepoError::io(&dir.display().to_string(), e)),
                }
            }
        }
        let repo = Repository::open(location)?;
        repo.init()?;
        match repo.info()? {
            Some(mut info) if group_readable && !info.group_readable => {
                info.group_readable = true;
                let mut bytes = serde_json::to_vec_pretty(&info).unwrap_or_default();
                bytes.push(b'\n');
                repo.storage.write("pra.json", &bytes)?;
                if let Some(dir) = local_dir(location) {
                    let open = std::fs::Permissions::from_mode(0o640);
                    let _ = std::fs::set_permissions(Path::new(dir).join("pra.json"), open);
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750));
                }
                Repository::open(location)
            }
            _ => Ok(repo),
        }
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

/// What identifies a repository location, so that one named twice (`/r`, `file:///r/`,
/// `/r/.`, a symbolic link to it) is recognised as one repository: a writer that
/// locked its stanza through the first name would otherwise wait for itself on the
/// second. Local paths are resolved (or made absolute and tidied when they do not
/// exist yet); object-storage URLs lose their trailing slashes.
pub fn location_key(location: &str) -> String {
    match local_dir(location.trim()) {
        Some(dir) => {
            let path = Path::new(dir);
            let resolved = std::fs::canonicalize(path)
                .or_else(|_| std::path::absolute(path))
                .unwrap_or_else(|_| path.to_path_buf());
            let tidy: std::path::PathBuf = resolved.components().collect();
            format!("file://{}", tidy.display())
        }
        None => location.trim().trim_end_matches('/').to_string(),
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

    #[test]
    fn a_group_readable_repository_stays_group_readable_for_later_writers() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pra");
        let loc = dir.to_str().unwrap();
        Repository::create_with(loc, true).unwrap();
        // A later writer opens it without saying anything: pra.json says it.
        let repo = Repository::open_existing(loc).unwrap();
        assert!(repo.info().unwrap().unwrap().group_readable);
        let id = repo.new_backup("app", crate::time::now()).unwrap();
        let mut f = repo.create_file("app", &id, "dump.pgc.zst").unwrap();
        std::io::Write::write_all(&mut f, b"x").unwrap();
        f.commit().unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o750);
        assert_eq!(mode(&dir.join("pra.json")), 0o640);
        assert_eq!(mode(&dir.join("app/backup")), 0o750);
        assert_eq!(mode(&dir.join(format!("app/backup/{id}"))), 0o750);
        assert_eq!(
            mode(&dir.join(format!("app/backup/{id}/dump.pgc.zst"))),
            0o640
        );
        // The default stays private.
        let private = tmp.path().join("private");
        let repo = Repository::create(private.to_str().unwrap()).unwrap();
        assert!(!repo.info().unwrap().unwrap().group_readable);
        assert_eq!(mode(&private.join("pra.json")), 0o600);
        assert!(
            !String::from_utf8(std::fs::read(private.join("pra.json")).unwrap())
                .unwrap()
                .contains("group_readable")
        );
    }

    /// Issue 22, item 15: whatever opened it, no write creates the repository's
    /// missing parents (an unmounted disk); the repository directory itself, under an
    /// existing parent, is still made by the first write as before.
    #[test]
    fn no_write_creates_the_parents_of_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let unmounted = tmp.path().join("mnt/backup/pra");
        let repo = Repository::open(unmounted.to_str().unwrap()).unwrap();
        let now = crate::time::now();
        let e = repo.new_backup("app", now).unwrap_err().to_string();
        assert!(
            e.contains("parent directory") && e.contains("mnt/backup"),
            "{e}"
        );
        let e = repo.lock_stanza("app", "pra-backup", std::time::Duration::ZERO);
        assert!(e.is_err());
        assert!(repo.init().is_err());
        assert!(!tmp.path().join("mnt").exists(), "no parent created");

        let fresh = Repository::open(tmp.path().join("pra").to_str().unwrap()).unwrap();
        fresh.new_backup("app", now).unwrap();
        assert!(tmp.path().join("pra/app/backup").is_dir());
    }

    /// Issue 22, item 15: the spellings of one repository have one key.
    #[test]
    fn one_repository_spelled_several_ways_has_one_key() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        std::fs::create_dir(&dir).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let d = dir.to_str().unwrap();
        let key = location_key(d);
        for same in [
            format!("file://{d}/"),
            format!("{d}/."),
            format!("{d}//"),
            link.to_str().unwrap().to_string(),
        ] {
            assert_eq!(location_key(&same), key, "{same}");
        }
        assert_ne!(
            location_key(tmp.path().join("other").to_str().unwrap()),
            key
        );
        let missing = tmp.path().join("later");
        let m = missing.to_str().unwrap();
        assert_eq!(location_key(&format!("file://{m}/")), location_key(m));
        assert_eq!(location_key("s3://b/p/"), location_key("s3://b/p"));
        assert_ne!(location_key("s3://b/p"), location_key("s3://b/q"));
    }

    use crate::exit::ExitStatus;
}
