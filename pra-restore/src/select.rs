//! Choosing what to restore: the repository (the first of several that holds the
//! backup), the stanza, and the backup (`ID`, `latest`, `latest-verified`).

use crate::Error;
use pra_core::event::Status;
use pra_core::manifest::{BackupKind, Manifest};
use pra_core::repo::Repository;

/// A backup chosen for restore, with the repository it lives in.
pub struct Chosen {
    /// The repository holding it.
    pub repo: Repository,
    /// Its manifest.
    pub manifest: Manifest,
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
    match stanzas.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::Usage(format!(
            "repository {} holds no backups",
            repo.location()
        ))),
        many => Err(Error::Usage(format!(
            "repository {} holds several stanzas ({}); say which with --stanza",
            repo.location(),
            many.join(", ")
        ))),
    }
}

/// The backup `which` (`latest`, `latest-verified` or an id) of one repository, if it has it.
fn find_in(repo: &Repository, stanza: &str, which: &str) -> Result<Option<Manifest>, Error> {
    let complete: Vec<Manifest> = repo
        .complete_backups(stanza)?
        .into_iter()
        .filter(|m| m.kind == BackupKind::Logical)
        .collect();
    Ok(match which {
        "latest" => complete.into_iter().last(),
        "latest-verified" => {
            let mut found = None;
            for m in complete.into_iter().rev() {
                let verified = repo
                    .read_verify(stanza, &m.id)?
                    .is_some_and(|v| v.status == Status::Ok);
                if verified {
                    found = Some(m);
                    break;
                }
            }
            found
        }
        id => complete.into_iter().find(|m| m.id == id),
    })
}

/// Opens the repositories in order and returns the first that holds the backup asked for.
pub fn choose(
    locations: &[String],
    stanza: Option<&str>,
    target: &str,
    which: &str,
) -> Result<Chosen, Error> {
    let mut looked = Vec::new();
    for location in locations {
        let repo = Repository::open(location)?;
        let stanza = stanza_for(&repo, stanza, target)?;
        if let Some(manifest) = find_in(&repo, &stanza, which)? {
            return Ok(Chosen { repo, manifest });
        }
        looked.push(format!("{} (stanza {stanza})", repo.location()));
    }
    let what = match which {
        "latest" => "no complete logical backup".to_string(),
        "latest-verified" => {
            "no complete logical backup whose last verification passed (run pra-verify, or use --backup latest)"
                .to_string()
        }
        id => format!("no complete logical backup {id}"),
    };
    Err(Error::Usage(format!("{what} in {}", looked.join(", "))))
}
