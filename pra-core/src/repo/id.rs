//! Names in the repository: stanzas and backup ids.
//!
//! A backup id is the UTC start time `20261125T110000Z`, so ids sort by time;
//! a second backup in the same second gets a suffix (`-1`, `-2`, …).

use super::RepoError;
use chrono::{DateTime, Utc};

/// The base id for a backup started at `t`.
pub fn backup_id_for(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// True for `YYYYMMDDTHHMMSSZ` with an optional `-N` suffix.
pub fn is_valid_backup_id(id: &str) -> bool {
    let (base, suffix) = match id.split_once('-') {
        Some((b, s)) => (b, Some(s)),
        None => (id, None),
    };
    let base_ok = base.len() == 16
        && base.as_bytes()[8] == b'T'
        && base.as_bytes()[15] == b'Z'
        && base[..8].bytes().all(|b| b.is_ascii_digit())
        && base[9..15].bytes().all(|b| b.is_ascii_digit());
    base_ok && suffix.is_none_or(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// The start time encoded in a backup id.
pub fn backup_id_time(id: &str) -> Option<DateTime<Utc>> {
    let base = id.split('-').next()?;
    chrono::NaiveDateTime::parse_from_str(base, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Checks that a stanza name is usable as a directory name: letters, digits, `_`, `-`, `.`,
/// not starting with `.` or `-`, at most 63 characters.
pub fn validate_stanza(stanza: &str) -> Result<(), RepoError> {
    let ok = !stanza.is_empty()
        && stanza.len() <= 63
        && !stanza.starts_with('.')
        && !stanza.starts_with('-')
        && stanza
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(RepoError::InvalidName(format!(
            "stanza {stanza:?}: use letters, digits, '_', '-' or '.' (at most 63, not starting with '.' or '-')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_validate() {
        let t = crate::time::parse_ts("2026-11-25T11:00:00.900Z").unwrap();
        let id = backup_id_for(t);
        assert_eq!(id, "20261125T110000Z");
        assert!(is_valid_backup_id(&id) && is_valid_backup_id("20261125T110000Z-2"));
        assert!(
            !is_valid_backup_id("latest")
                && !is_valid_backup_id("20261125T110000Z-")
                && !is_valid_backup_id("../x")
        );
        assert_eq!(
            backup_id_time("20261125T110000Z-3"),
            Some(crate::time::parse_ts("2026-11-25T11:00:00Z").unwrap())
        );
        assert!(
            "20261125T110000Z" < "20261125T110000Z-1" && "20261125T110000Z-1" < "20261125T110001Z"
        );
    }

    #[test]
    fn stanza_names() {
        assert!(validate_stanza("app_prod-1.eu").is_ok());
        for bad in ["", "../etc", "a/b", ".hidden", "-x", "a b"] {
            assert!(validate_stanza(bad).is_err(), "{bad}");
        }
    }
}
