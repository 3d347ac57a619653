//! `restore_command`'s half of the archive: an archived WAL file decoded into the
//! path PostgreSQL gave, its sha256 checked on one thread while the bytes are written
//! on another, the file renamed into place only once the check passed.

use super::{key, object, WalError};
use crate::codec::hex;
use crate::repo::{RepoError, Storage};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

/// Writes archived `name` of `stanza` to `dest`, decrypted with this process's
/// identities ([`crate::crypt::install`]) when it is encrypted and verified against
/// its checksum and size; returns its size, or `None` when it is not archived.
///
/// `dest` appears complete or not at all: the bytes go to a temporary name first,
/// renamed once written and verified, so PostgreSQL never reads half a segment or an
/// unverified one, even if this process is killed. The file is not fsynced:
/// PostgreSQL reads it at once, fsyncs itself what it keeps of it (a restored history
/// file, a segment kept on a standby: `durable_rename`), and after a crash simply
/// runs restore_command again; pgBackRest's archive-get does not sync either.
pub fn fetch_to(
    storage: &dyn Storage,
    stanza: &str,
    name: &str,
    dest: &Path,
) -> Result<Option<u64>, WalError> {
    let key = key(stanza, name)?;
    let stored = match storage.read(&key) {
        Ok(b) => b,
        Err(RepoError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (raw, header) = object::decode_unverified(name, &stored)?;
    drop(stored);
    let mut tmp = dest.as_os_str().to_owned();
    tmp.push(".pra-wal.tmp");
    let tmp = PathBuf::from(tmp);
    let write_err = |source| WalError::Write {
        path: dest.to_path_buf(),
        source,
    };
    // The sha256 (~12 ms for 16 MiB) overlaps the write into the page cache.
    let (written, sha256) = std::thread::scope(|s| {
        let hash = s.spawn(|| hex(&Sha256::digest(&raw)));
        let written = std::fs::write(&tmp, &raw);
        (written, hash.join())
    });
    let checked = sha256
        .map_err(|_| write_err(std::io::Error::other("the sha256 thread panicked")))
        .and_then(|sha256| object::verify(name, &header, &raw, &sha256))
        .and_then(|()| written.map_err(write_err))
        .and_then(|()| std::fs::rename(&tmp, dest).map_err(write_err));
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(Some(raw.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::super::{fetch, push};
    use super::*;
    use crate::repo::LocalStorage;

    #[test]
    fn a_fetched_file_appears_only_verified_and_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(tmp.path().join("repo"));
        let name = "000000010000000000000021";
        // Several frames on any machine with two cores or more.
        let raw: Vec<u8> = (0..(12u32 << 20))
            .map(|i| (i % 241) as u8 ^ (i >> 18) as u8)
            .collect();
        push(&s, "app", name, &raw, None).unwrap();
        let dest = tmp.path().join("RECOVERYXLOG");
        assert_eq!(
            fetch_to(&s, "app", name, &dest).unwrap(),
            Some(raw.len() as u64)
        );
        assert!(std::fs::read(&dest).unwrap() == raw);
        assert_eq!(fetch(&s, "app", name).unwrap(), Some(raw.clone()));
        let other = tmp.path().join("other");
        assert_eq!(
            fetch_to(&s, "app", "000000010000000000000022", &other).unwrap(),
            None
        );
        assert!(!other.exists());

        // Frames that decode to other bytes than the header's sha256: nothing appears.
        let path = tmp.path().join("repo").join(key("app", name).unwrap());
        let object = std::fs::read(&path).unwrap();
        let start = object.iter().position(|&b| b == b'\n').unwrap() + 1;
        let mut other_raw = raw.clone();
        other_raw[5] ^= 1;
        let body: Vec<u8> = super::super::frames::compress(&other_raw, 3)
            .unwrap()
            .concat();
        std::fs::write(&path, [&object[..start], &body[..]].concat()).unwrap();
        std::fs::remove_file(&dest).unwrap();
        let err = fetch_to(&s, "app", name, &dest).unwrap_err();
        assert!(matches!(err, WalError::Corrupt { .. }), "{err}");
        assert!(!dest.exists());
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
