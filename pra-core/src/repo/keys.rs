//! Where things live in a repository: the keys of a backup, of its files and of a
//! stanza's writer lease (DESIGN.md, "Repository").

use super::RepoError;

pub(super) fn backup_key(stanza: &str, id: &str) -> String {
    format!("{stanza}/backup/{id}")
}

/// The key of a file of a backup; a name that is not a plain name inside the
/// backup ([`crate::manifest::check_file_name`]) never becomes one.
pub(super) fn file_key(stanza: &str, id: &str, name: &str) -> Result<String, RepoError> {
    crate::manifest::check_file_name(name).map_err(RepoError::InvalidName)?;
    Ok(format!("{}/{name}", backup_key(stanza, id)))
}

/// The key of a stanza's writer lease (DESIGN.md, "Repository").
pub fn stanza_lease_key(stanza: &str) -> String {
    format!("{stanza}/lease")
}

/// Where the stanza's writer lock was before leases, under `<stanza>/`: still
/// honoured when it exists.
pub const LEGACY_STANZA_LOCK: &str = "lock/stanza.lock";
