//! The WAL archive (DESIGN.md, Repository: `<repo>/<stanza>/wal/<timeline>/<name>.zst`):
//! what `pra-wal push` stores and `pra-wal fetch` gives back to PostgreSQL.
//!
//! Each archived file (a segment, a `.history`, `.backup` or `.partial` file) is one
//! object: a header line naming the format, the codec, the sha256 and the size of the
//! raw bytes, then the zstd stream, encrypted with age when pushed with recipients
//! ([`object`]). Carrying its own checksum keeps an object self-verifying without a
//! manifest, and lets a second push of the same name compare checksums without
//! decoding (or any key). An encrypted object keeps the same key (`<name>.zst`), so
//! that put-if-absent still guards one name, whether it was pushed encrypted or not. Objects are written with put-if-absent, so a name is
//! written once, completely, and never overwritten: a second push of identical bytes
//! succeeds, one of different bytes is refused ([`WalError::Conflict`]).

mod object;

use crate::crypt::{CryptError, Recipients};
use crate::error_class::ErrorClass;
use crate::exit::ExitStatus;
use crate::repo::{RepoError, Storage};
use object::{KEY_CHECK_BYTES, MAX_HEADER};

/// Errors of the WAL archive.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// The name is not one PostgreSQL archives.
    #[error("{0:?} is not a WAL file name (a 24-hex-digit segment, or a .history, .backup or .partial file)")]
    Name(String),
    /// The repository refused a read or a write.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The name is archived already with different content: never overwritten.
    #[error("{name} is already archived with different content (stored sha256 {stored}, this one {new}): refusing to overwrite; two clusters may be archiving into stanza {stanza:?}")]
    Conflict {
        /// The WAL file name.
        name: String,
        /// The stanza.
        stanza: String,
        /// sha256 of the archived raw bytes.
        stored: String,
        /// sha256 of the bytes pushed now.
        new: String,
    },
    /// The object is encrypted and no identity given opens it.
    #[error(transparent)]
    Key(CryptError),
    /// The archived object does not decode or its checksum does not match.
    #[error("archived {name} is damaged: {reason}")]
    Corrupt {
        /// The WAL file name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl ExitStatus for WalError {
    fn class(&self) -> ErrorClass {
        match self {
            WalError::Name(_) => ErrorClass::Usage,
            WalError::Repo(e) => e.class(),
            WalError::Conflict { .. } => ErrorClass::Repository,
            WalError::Corrupt { .. } => ErrorClass::Corrupt,
            WalError::Key(e) => e.class(),
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks that `name` is a file PostgreSQL archives: a segment
/// (`000000010000000000000003`), a timeline history (`00000002.history`), a backup
/// history file (`000000010000000000000002.00000028.backup`) or a partial segment
/// (`000000010000000000000003.partial`). Nothing else may become a key.
pub fn validate_name(name: &str) -> Result<(), WalError> {
    let ok = is_hex(name, 24)
        || name.strip_suffix(".history").is_some_and(|t| is_hex(t, 8))
        || name.strip_suffix(".partial").is_some_and(|s| is_hex(s, 24))
        || name
            .strip_suffix(".backup")
            .and_then(|s| s.split_once('.'))
            .is_some_and(|(seg, off)| is_hex(seg, 24) && is_hex(off, 8));
    if ok {
        Ok(())
    } else {
        Err(WalError::Name(name.to_string()))
    }
}

/// The key of an archived file: `<stanza>/wal/<timeline>/<name>.zst`, the timeline
/// being the name's first 8 hex digits.
pub fn key(stanza: &str, name: &str) -> Result<String, WalError> {
    validate_name(name)?;
    Ok(format!("{stanza}/wal/{}/{name}.zst", &name[..8]))
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Raw size.
    pub raw_bytes: u64,
    /// Stored size (header and zstd stream).
    pub stored_bytes: u64,
    /// sha256 of the raw bytes.
    pub sha256: String,
    /// True when an identical copy was archived already (nothing written).
    pub already: bool,
}

/// Checks, from its first bytes only, that archived `name` opens with this process's
/// identities ([`crate::crypt::install`]): `Some(true)` encrypted and opens,
/// `Some(false)` not encrypted, `None` not archived. Run before recovery starts, so
/// that a missing or wrong identity is said at once, not by a failing
/// restore_command in the server log.
pub fn check_key(
    storage: &dyn Storage,
    stanza: &str,
    name: &str,
) -> Result<Option<bool>, WalError> {
    let key = key(stanza, name)?;
    match storage.read_range(&key, 0..KEY_CHECK_BYTES) {
        Ok(head) => object::check_key(name, &head).map(Some),
        Err(RepoError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Archives `raw` as `name` of `stanza`, encrypted to `recipients` when given:
/// written once, atomically, never overwritten.
pub fn push(
    storage: &dyn Storage,
    stanza: &str,
    name: &str,
    raw: &[u8],
    recipients: Option<&Recipients>,
) -> Result<Pushed, WalError> {
    let key = key(stanza, name)?;
    let (object, sha256) = object::encode(raw, recipients).map_err(|e| RepoError::io(&key, e))?;
    let pushed = Pushed {
        raw_bytes: raw.len() as u64,
        stored_bytes: object.len() as u64,
        sha256,
        already: false,
    };
    if storage.put_if_absent(&key, &object)? {
        return Ok(pushed);
    }
    // PostgreSQL retries an archive_command whose earlier run succeeded but did not
    // say so (a crash, a timeout): the same bytes again are a success. The raw
    // checksums are compared, never the objects: age output differs on every run.
    let head = storage.read_range(&key, 0..MAX_HEADER as u64)?;
    let stored = object::parse_header(name, &head)?.sha256;
    if stored == pushed.sha256 {
        Ok(Pushed {
            already: true,
            ..pushed
        })
    } else {
        Err(WalError::Conflict {
            name: name.to_string(),
            stanza: stanza.to_string(),
            stored,
            new: pushed.sha256,
        })
    }
}

/// The raw bytes of archived `name`, verified against its checksum and size, and
/// decrypted with this process's identities ([`crate::crypt::install`]) when it is
/// encrypted; `None` when it is not archived.
pub fn fetch(storage: &dyn Storage, stanza: &str, name: &str) -> Result<Option<Vec<u8>>, WalError> {
    let key = key(stanza, name)?;
    let object = match storage.read(&key) {
        Ok(b) => b,
        Err(RepoError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    object::decode(name, &object).map(Some)
}

/// The archived names of a stanza (every timeline), sorted.
pub fn archived(storage: &dyn Storage, stanza: &str) -> Result<Vec<String>, WalError> {
    let mut names: Vec<String> = storage
        .list_tree(&format!("{stanza}/wal"))?
        .into_iter()
        .filter_map(|f| {
            let (_, file) = f.name.rsplit_once('/')?;
            let name = file.strip_suffix(".zst")?;
            validate_name(name).ok().map(|()| name.to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}

/// The default WAL segment size (`initdb --wal-segsize` changes it).
pub const DEFAULT_SEGMENT_SIZE: u64 = 16 << 20;

/// A segment name as (timeline, segment number), for `segment_size`-byte segments.
pub fn parse_segment(name: &str, segment_size: u64) -> Option<(u32, u64)> {
    if !is_hex(name, 24) || segment_size == 0 {
        return None;
    }
    let tli = u32::from_str_radix(&name[..8], 16).ok()?;
    let log = u64::from_str_radix(&name[8..16], 16).ok()?;
    let seg = u64::from_str_radix(&name[16..], 16).ok()?;
    Some((tli, log * (0x1_0000_0000 / segment_size) + seg))
}

/// The name of segment `segno` of timeline `tli`.
pub fn segment_name(tli: u32, segno: u64, segment_size: u64) -> String {
    let per = 0x1_0000_0000 / segment_size.max(1);
    format!("{tli:08X}{:08X}{:08X}", segno / per, segno % per)
}

/// The segments of `from`'s timeline missing from `archived`, from `from` up to `to`
/// (inclusive), or up to the newest archived segment of that timeline when `to` is
/// `None`: the gaps that make a recovery through them stop early.
pub fn gaps(archived: &[String], from: &str, to: Option<&str>, segment_size: u64) -> Vec<String> {
    let Some((tli, first)) = parse_segment(from, segment_size) else {
        return Vec::new();
    };
    let have: std::collections::BTreeSet<u64> = archived
        .iter()
        .filter_map(|n| parse_segment(n, segment_size))
        .filter(|(t, _)| *t == tli)
        .map(|(_, s)| s)
        .collect();
    let last = match to.and_then(|t| parse_segment(t, segment_size)) {
        Some((_, s)) => s,
        None => have.iter().next_back().copied().unwrap_or(first),
    };
    (first..=last)
        .filter(|s| !have.contains(s))
        .map(|s| segment_name(tli, s, segment_size))
        .collect()
}

/// The segment a WAL file name belongs to (a segment, `.partial` or `.backup` file);
/// `None` for a `.history` file, which retention always keeps.
fn segment_of(name: &str) -> Option<&str> {
    let seg = name.get(..24)?;
    (is_hex(seg, 24) && !name.ends_with(".history")).then_some(seg)
}

/// The archived files no kept backup needs: those whose segment comes before the
/// start segment of every kept physical backup (`starts`, as segment names), on the
/// same or an older timeline. Timeline history files are always kept; with no
/// physical backup kept, nothing is prunable.
pub fn prunable(archived: &[String], starts: &[String], segment_size: u64) -> Vec<String> {
    let starts: Vec<(u32, u64)> = starts
        .iter()
        .filter_map(|s| parse_segment(s, segment_size))
        .collect();
    if starts.is_empty() {
        return Vec::new();
    }
    archived
        .iter()
        .filter(|name| {
            segment_of(name)
                .and_then(|seg| parse_segment(seg, segment_size))
                .is_some_and(|(t, s)| starts.iter().all(|&(bt, bs)| t < bt || (t == bt && s < bs)))
        })
        .cloned()
        .collect()
}

/// Deletes archived `names` of `stanza`; returns the stored bytes freed.
pub fn delete(storage: &dyn Storage, stanza: &str, names: &[String]) -> Result<u64, WalError> {
    let mut freed = 0;
    for name in names {
        let key = key(stanza, name)?;
        freed += storage.size(&key)?.unwrap_or(0);
        storage.delete(&key)?;
    }
    Ok(freed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::LocalStorage;

    fn segment(fill: u8) -> Vec<u8> {
        (0..(1u32 << 20)).map(|i| fill ^ (i % 251) as u8).collect()
    }

    #[test]
    fn names_are_checked_before_any_key_is_built() {
        for ok in [
            "000000010000000000000003",
            "00000002.history",
            "000000010000000000000002.00000028.backup",
            "000000010000000000000003.partial",
        ] {
            validate_name(ok).unwrap();
        }
        for bad in [
            "",
            "../../etc/passwd",
            "00000001000000000000000",
            "00000001000000000000000G",
            "0000000100000000000000030",
            "00000002.history/..",
            "000000010000000000000002.backup",
        ] {
            assert!(
                matches!(validate_name(bad), Err(WalError::Name(_))),
                "{bad}"
            );
        }
        assert_eq!(
            key("app", "000000020000000000000003").unwrap(),
            "app/wal/00000002/000000020000000000000003.zst"
        );
    }

    #[test]
    fn push_fetch_round_trip_is_idempotent_and_never_overwrites() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(tmp.path());
        let name = "000000010000000000000007";
        let a = segment(0);
        let first = push(&s, "app", name, &a, None).unwrap();
        assert!(!first.already && first.stored_bytes < first.raw_bytes);
        assert_eq!(fetch(&s, "app", name).unwrap().unwrap(), a);
        assert!(push(&s, "app", name, &a, None).unwrap().already);
        let err = push(&s, "app", name, &segment(1), None).unwrap_err();
        assert!(matches!(err, WalError::Conflict { .. }), "{err}");
        assert_eq!(
            fetch(&s, "app", name).unwrap().unwrap(),
            a,
            "not overwritten"
        );
        assert_eq!(fetch(&s, "app", "000000010000000000000008").unwrap(), None);
        assert_eq!(archived(&s, "app").unwrap(), vec![name.to_string()]);
    }

    #[test]
    fn gaps_are_named_on_the_backup_timeline() {
        let mb16 = DEFAULT_SEGMENT_SIZE;
        assert_eq!(
            parse_segment("0000000100000001000000FF", mb16),
            Some((1, 0x1FF))
        );
        assert_eq!(segment_name(1, 0x200, mb16), "000000010000000200000000");
        let archived: Vec<String> = [
            "000000010000000000000002",
            "000000010000000000000003",
            "000000010000000000000005",
            "000000020000000000000009",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let from = "000000010000000000000002";
        assert!(gaps(&archived, from, Some("000000010000000000000003"), mb16).is_empty());
        assert_eq!(
            gaps(&archived, from, None, mb16),
            vec!["000000010000000000000004".to_string()]
        );
        assert_eq!(
            gaps(
                &archived,
                "0000000100000000000000FF",
                Some("000000010000000100000000"),
                mb16
            ),
            vec!["0000000100000000000000FF", "000000010000000100000000"]
        );
    }

    #[test]
    fn retention_keeps_what_the_oldest_kept_backup_needs() {
        let names: Vec<String> = [
            "000000010000000000000001",
            "000000010000000000000002.00000028.backup",
            "000000010000000000000003",
            "000000010000000000000004",
            "00000002.history",
            "000000010000000000000004.partial",
            "000000020000000000000004",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let starts = ["000000010000000000000003".to_string()];
        assert_eq!(
            prunable(&names, &starts, DEFAULT_SEGMENT_SIZE),
            vec![
                "000000010000000000000001".to_string(),
                "000000010000000000000002.00000028.backup".to_string()
            ]
        );
        assert!(
            prunable(&names, &[], DEFAULT_SEGMENT_SIZE).is_empty(),
            "no backup: keep all"
        );
        // A backup on timeline 2 does not need timeline 1 before it, but one on 1 does.
        let both = [
            "000000020000000000000004".to_string(),
            "000000010000000000000003".to_string(),
        ];
        assert_eq!(prunable(&names, &both, DEFAULT_SEGMENT_SIZE).len(), 2);
    }

    #[test]
    fn a_damaged_object_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(tmp.path());
        let name = "000000010000000000000009";
        push(&s, "app", name, &segment(2), None).unwrap();
        let path = tmp.path().join(key("app", name).unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 40] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = fetch(&s, "app", name).unwrap_err();
        assert!(matches!(err, WalError::Corrupt { .. }), "{err}");
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            fetch(&s, "app", name),
            Err(WalError::Corrupt { .. })
        ));
    }
}
