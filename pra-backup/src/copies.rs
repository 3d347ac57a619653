//! Phase 3 of a logical backup: its files copied into every other repository, each
//! copy checked against the stored sha256 before it gets its name (3-2-1).

use crate::backup::{BackupOptions, Down};
use crate::Error;
use pra_core::codec::HashWriter;
use pra_core::exit::ExitStatus;
use pra_core::manifest::ManifestFile;
use pra_core::repo::Repository;
use pra_core::signals;

/// Copies a committed file of the backup into another repository, checking that the
/// copy hashes to the stored sha256 before it gets its name.
fn copy_file(
    from: &Repository,
    to: &Repository,
    stanza: &str,
    from_id: &str,
    to_id: &str,
    file: &ManifestFile,
) -> Result<(), Error> {
    let mut src = from.open_file(stanza, from_id, &file.name)?;
    let dest = to.create_file(stanza, to_id, &file.name)?;
    let mut w = HashWriter::new(dest);
    std::io::copy(&mut src, &mut w)
        .map_err(|e| Error::io(format!("copying {} to {}", file.name, to.location()), e))?;
    let (dest, digest) = w.finish();
    if digest.sha256 != file.stored_sha256 {
        return Err(Error::io(
            format!("copying {} to {}", file.name, to.location()),
            std::io::Error::other("the copy does not hash to the stored sha256"),
        ));
    }
    dest.commit()?;
    Ok(())
}

/// Phase 3: the same files into every other repository, each under its own id.
/// Returns the ids, the first repository's first; a copy that fails is removed from
/// its repository, recorded in `down` and `None` here: the others go on (3-2-1).
pub(crate) fn copy_to_other_repositories(
    opts: &BackupOptions,
    repos: &[Repository],
    id: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    files: &[ManifestFile],
    reserved: &mut Vec<(usize, String)>,
    down: &mut Down,
) -> Result<Vec<Option<String>>, Error> {
    let mut ids = vec![Some(id.to_string())];
    let Some(first) = repos.first() else {
        return Ok(ids);
    };
    for (i, repo) in repos.iter().enumerate().skip(1) {
        signals::check()?;
        let copied = repo
            .new_backup(&opts.stanza, started_at)
            .map_err(Error::from)
            .and_then(|copy_id| {
                reserved.push((i, copy_id.clone()));
                for f in files {
                    copy_file(first, repo, &opts.stanza, id, &copy_id, f)
                        .map_err(|e| e.or_stopped())?;
                }
                Ok(copy_id)
            });
        match copied {
            Ok(copy_id) => ids.push(Some(copy_id)),
            Err(e) if e.signal().is_some() => return Err(e),
            Err(e) => {
                give_up_copy(opts, repo, reserved, i);
                down.push((repo.location(), e));
                ids.push(None);
            }
        }
    }
    signals::check()?;
    Ok(ids)
}

/// Removes what a failed copy left in repository `i` (best effort: it may be down).
fn give_up_copy(
    opts: &BackupOptions,
    repo: &Repository,
    reserved: &mut Vec<(usize, String)>,
    i: usize,
) {
    reserved.retain(|(r, id)| {
        if *r != i {
            return true;
        }
        if let Err(e) = repo.delete_backup(&opts.stanza, id) {
            log::error!(
                "could not remove the partial copy {id} from {}: {e}",
                repo.location()
            );
        }
        false
    });
}
