//! Which backups to verify: those named by `backup` events on stdin, else the
//! `--backup`/`--since` selection ([`pra_core::select`]) of one stanza or of every stanza.

use pra_core::event::{Event, Kind, Status};
use pra_core::repo::{RepoError, Repository};
use pra_core::select::{backup_is_verified, only_stanza, Selection};

/// One backup to verify, or a selection that found nothing to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Verify this backup.
    Backup {
        /// The stanza.
        stanza: String,
        /// The backup id.
        id: String,
        /// Found by listing the repository (not named by a `backup` event): if it is
        /// gone when its turn comes, a rotation deleted it meanwhile.
        listed: bool,
    },
    /// Nothing to verify where something was asked for: a failed verification.
    Missing {
        /// The stanza.
        stanza: String,
        /// The id asked for, if one was.
        id: Option<String>,
        /// Why, in plain words.
        problem: String,
    },
}

/// The backups named by successful `backup` events on stdin (`None` when stdin
/// carried no `backup` event at all: then the flags choose).
///
/// A failed backup upstream is not re-reported here: its `error` event was forwarded.
pub fn from_events(events: &[Event]) -> Option<Vec<(String, String)>> {
    let backups: Vec<&Event> = events.iter().filter(|e| e.kind == Kind::Backup).collect();
    if backups.is_empty() {
        return None;
    }
    Some(
        backups
            .into_iter()
            .filter(|e| e.status != Status::Error)
            .filter_map(|e| Some((e.stanza.clone()?, e.str_field("id")?.to_string())))
            .collect(),
    )
}

/// The stanzas the flags name: `--stanza`, else every stanza of the repository
/// (`--all-stanzas` says so explicitly; a repository of several stanzas, as
/// `pra-backup --all-databases` makes, is verified whole rather than refused).
pub fn stanzas(
    repo: &Repository,
    stanza: Option<&str>,
    all: bool,
) -> Result<Vec<String>, SelectError> {
    if let Some(s) = stanza {
        return Ok(vec![s.to_string()]);
    }
    let found = repo.stanzas()?;
    if all || found.len() > 1 {
        return Ok(found);
    }
    only_stanza(&repo.location(), &found, "--stanza NAME or --all-stanzas")
        .map(|s| vec![s])
        .map_err(SelectError::Usage)
}

/// Why no selection could be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The repository could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The flags do not say what to verify.
    #[error("{0}")]
    Usage(String),
}

/// The backups of a stanza that `--backup` and `--since` name; a selection that
/// finds nothing is one [`Target::Missing`] (a failed verification, exit 1).
pub fn for_stanza(
    repo: &Repository,
    stanza: &str,
    selection: &Selection,
) -> Result<Vec<Target>, SelectError> {
    let complete: Vec<String> = repo
        .backups(stanza)?
        .into_iter()
        .filter(|b| b.complete)
        .map(|b| b.id)
        .collect();
    let picked = selection.pick(&complete, pra_core::time::now(), |id| {
        backup_is_verified(repo, stanza, id)
    })?;
    if picked.is_empty() {
        let id = match &selection.backup {
            pra_core::select::BackupSelector::Id(id) => Some(id.clone()),
            _ => None,
        };
        return Ok(vec![Target::Missing {
            stanza: stanza.to_string(),
            id,
            problem: format!(
                "stanza {stanza}: {}; {}",
                selection.nothing_found(),
                pra_core::select::what_exists(repo, stanza, &complete)
            ),
        }]);
    }
    Ok(picked
        .into_iter()
        .map(|id| Target::Backup {
            stanza: stanza.to_string(),
            id: id.clone(),
            listed: true,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup_event(stanza: &str, id: Option<&str>, status: Status) -> Event {
        let mut e = Event::new("pra-backup", Kind::Backup, status, "").with_stanza(stanza);
        if let Some(id) = id {
            e = e.with_field("id", id);
        }
        e
    }

    #[test]
    fn stdin_backup_events_choose_unless_absent() {
        assert_eq!(from_events(&[]), None);
        let other = Event::new("pra-x", Kind::Check, Status::Ok, "");
        assert_eq!(from_events(std::slice::from_ref(&other)), None);
        let evs = [
            other,
            backup_event("app", Some("20261125T110000Z"), Status::Ok),
            backup_event("app", None, Status::Error),
            backup_event("crm", Some("20261125T120000Z"), Status::Warn),
        ];
        assert_eq!(
            from_events(&evs),
            Some(vec![
                ("app".to_string(), "20261125T110000Z".to_string()),
                ("crm".to_string(), "20261125T120000Z".to_string())
            ])
        );
        assert_eq!(
            from_events(&[backup_event("app", None, Status::Error)]),
            Some(vec![])
        );
    }
}
