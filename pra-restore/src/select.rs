//! Choosing what to restore: the repository (the first of several that holds the
//! backup), the stanza, and the logical backup the `--backup`/`--since` selection
//! names there ([`pra_core::select`]).

use crate::Error;
use pra_core::manifest::{BackupKind, Manifest};
use pra_core::repo::Repository;
use pra_core::select::{backup_is_verified, only_stanza, verified_level, Selection};
use pra_core::verdicts::level_name;

/// A backup chosen for restore, with the repository it lives in.
pub struct Chosen {
    /// The repository holding it.
    pub repo: Repository,
    /// Its manifest.
    pub manifest: Manifest,
    /// The level that makes it verified (`pra_core::select::verified_level`), if it is.
    pub verified_level: Option<&'static str>,
}

/// The stanza to restore from: the flag; else the target's name when the repository
/// has that stanza; else the repository's only stanza.
fn stanza_for(repo: &Repository, flag: Option<&str>, target: &str) -> Result<String, Error> {
    if let Some(s) = flag {
        return Ok(s.to_string());
    }
    let stanzas = repo.stanzas()?;
    if stanzas.iter().any(|s| s == target) {
        return Ok(target.to_string());
    }
    only_stanza(&repo.location(), &stanzas, "--stanza NAME").map_err(Error::Usage)
}

/// The logical backup `selection` names in one repository, if it has it.
pub(crate) fn find_in(
    repo: &Repository,
    stanza: &str,
    selection: &Selection,
) -> Result<Option<Manifest>, Error> {
    let mut complete: Vec<Manifest> = repo
        .complete_backups(stanza)?
        .into_iter()
        .filter(|m| m.kind == BackupKind::Logical)
        .collect();
    let ids: Vec<String> = complete.iter().map(|m| m.id.clone()).collect();
    let picked = selection.pick(&ids, pra_core::time::now(), |id| {
        backup_is_verified(repo, stanza, id)
    })?;
    Ok(match picked.last() {
        Some(id) => complete
            .iter()
            .position(|m| &&m.id == id)
            .map(|i| complete.swap_remove(i)),
        None => None,
    })
}

/// Opens the repositories in order and returns the first that holds the backup asked for.
pub fn choose(
    locations: &[String],
    stanza: Option<&str>,
    target: &str,
    selection: &Selection,
) -> Result<Chosen, Error> {
    let mut looked = Vec::new();
    for location in locations {
        let repo = Repository::open(location)?;
        let stanza = stanza_for(&repo, stanza, target)?;
        if let Some(manifest) = find_in(&repo, &stanza, selection)? {
            let verified_level = repo
                .read_verify(&stanza, &manifest.id)?
                .as_ref()
                .and_then(verified_level)
                .map(level_name);
            return Ok(Chosen {
                repo,
                manifest,
                verified_level,
            });
        }
        let ids: Vec<String> = repo
            .backups(&stanza)?
            .into_iter()
            .filter(|b| b.complete)
            .map(|b| b.id)
            .collect();
        looked.push(format!(
            "{} (stanza {stanza}: {})",
            repo.location(),
            pra_core::select::what_exists(&repo, &stanza, &ids)
        ));
    }
    Err(Error::Usage(format!(
        "{} in {}",
        selection.nothing_found(),
        looked.join(", ")
    )))
}
