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

mod fetch_to;
mod frames;
mod object;
mod segments;

pub use fetch_to::fetch_to;
pub use segments::{gaps, parse_segment, prunable, segment_name, DEFAULT_SEGMENT_SIZE};

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
    /// A fetched file cannot be written to its destination.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The destination.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
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
            WalError::Write { .. } => ErrorClass::Io,
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

/// A WAL file encoded once (compressed, hashed, maybe encrypted), ready to be stored
/// in every repository it goes to.
#[derive(Debug, Clone)]
pub struct Encoded {
    name: String,
    object: Vec<u8>,
    raw_bytes: u64,
    sha256: String,
}

/// Encodes `raw`, the content of WAL file `name`, encrypted to `recipients` when given.
pub fn encode(
    name: &str,
    raw: &[u8],
    recipients: Option<&Recipients>,
) -> Result<Encoded, WalError> {
    validate_name(name)?;
    let (object, sha256) = object::encode(raw, recipients).map_err(|e| RepoError::io(name, e))?;
    Ok(Encoded {
        name: name.to_string(),
        object,
        raw_bytes: raw.len() as u64,
        sha256,
    })
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
    store(storage, stanza, &encode(name, raw, recipients)?)
}

/// Stores an encoded WAL file in `stanza`: written once, atomically, never
/// overwritten.
pub fn store(storage: &dyn Storage, stanza: &str, encoded: &Encoded) -> Result<Pushed, WalError> {
    let name = &encoded.name;
    let key = key(stanza, name)?;
    let pushed = Pushed {
        raw_bytes: encoded.raw_bytes,
        stored_bytes: encoded.object.len() as u64,
        sha256: encoded.sha256.clone(),
        already: false,
    };
    if storage.put_if_absent(&key, &encoded.object)? {
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
