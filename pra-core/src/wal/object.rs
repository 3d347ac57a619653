//! The format of one archived WAL object: a header line in the clear, then the zstd
//! frames ([`super::frames`]: one or more, concatenated), encrypted with age when
//! pushed with recipients (docs/PHYSICAL.md, docs/SECURITY.md).
//!
//! ```text
//! pra-wal/1 zstd sha256=<raw sha256> bytes=<raw size>\n<zstd frames>
//! pra-wal/1 zstd+age sha256=<raw sha256> bytes=<raw size> stored=<sha256 of the age file>\n<age file>
//! ```
//!
//! The header stays readable without any key, so that a second push compares the raw
//! checksum (age output is randomized: two encryptions of one segment never match),
//! and `stored=` tells a damaged object from a wrong identity when it does not open.
//! The body after the first line is zstd frames, or a standard age file of them:
//! `tail -n +2 OBJ | zstd -d`, or `tail -n +2 OBJ | age -d -i key.txt | zstd -d`,
//! gives the segment back.

use super::{frames, WalError};
use crate::codec::{hex, Codec, HashWriter};
use crate::crypt::{self, CryptError, DecryptFailure, Recipients};
use sha2::{Digest as _, Sha256};
use std::io::Read;

/// First word of every archived object's header line.
const MAGIC: &str = "pra-wal/1";
/// The codec word of an encrypted object: compressed, then age.
const SEALED: &str = "zstd+age";
/// The header line is short; anything longer is not ours.
pub(super) const MAX_HEADER: usize = 200;
/// What a key check reads of an object: its header line and the age header (one
/// stanza per recipient, well under this even for several ssh-rsa keys).
pub(super) const KEY_CHECK_BYTES: u64 = 64 << 10;

/// The parsed header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// sha256 of the raw bytes.
    pub sha256: String,
    /// Raw size.
    pub bytes: u64,
    /// For an encrypted object, the sha256 of the age file that follows.
    pub stored: Option<String>,
    /// Offset of the body.
    pub start: usize,
}

/// Encodes `raw` as an archived object (header line, then the zstd frames, sealed
/// with age for `recipients`); returns it with the raw sha256.
pub(super) fn encode(
    raw: &[u8],
    recipients: Option<&Recipients>,
) -> Result<(Vec<u8>, String), std::io::Error> {
    // The raw sha256 (~12 ms for 16 MiB) on its own thread, overlapping the
    // compression of the frames on the others.
    let (frames, sha256) = std::thread::scope(|s| {
        let hash = s.spawn(|| hex(&Sha256::digest(raw)));
        let frames = frames::compress(raw, Codec::Zstd.default_level());
        let sha256 = hash
            .join()
            .map_err(|_| std::io::Error::other("the sha256 thread panicked"))?;
        Ok::<_, std::io::Error>((frames?, sha256))
    })?;
    let stored: usize = frames.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(MAX_HEADER + stored + (stored >> 10) + 1024);
    match recipients {
        None => {
            out.extend_from_slice(
                format!("{MAGIC} zstd sha256={sha256} bytes={}\n", raw.len()).as_bytes(),
            );
            frames.iter().for_each(|f| out.extend_from_slice(f));
        }
        Some(r) => {
            // The same seal as a backup's files, hashed as stored for the header.
            let mut age = r.encryptor()?.wrap_output(HashWriter::new(Vec::new()))?;
            for f in &frames {
                std::io::Write::write_all(&mut age, f)?;
            }
            let (body, d) = age.finish()?.finish();
            out.extend_from_slice(
                format!(
                    "{MAGIC} {SEALED} sha256={sha256} bytes={} stored={}\n",
                    raw.len(),
                    d.sha256
                )
                .as_bytes(),
            );
            out.extend_from_slice(&body);
        }
    }
    Ok((out, sha256))
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn corrupt(name: &str, reason: impl Into<String>) -> WalError {
    WalError::Corrupt {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Parses the header line at the start of `bytes`.
pub(super) fn parse_header(name: &str, bytes: &[u8]) -> Result<Header, WalError> {
    let end = bytes
        .iter()
        .take(MAX_HEADER)
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt(name, "no pra-wal header line"))?;
    let line = std::str::from_utf8(&bytes[..end]).map_err(|_| corrupt(name, "header not UTF-8"))?;
    let mut words = line.split(' ');
    let sealed = match (words.next(), words.next()) {
        (Some(MAGIC), Some("zstd")) => false,
        (Some(MAGIC), Some(SEALED)) => true,
        _ => return Err(corrupt(name, format!("unknown header {line:?}"))),
    };
    let sha256 = words
        .next()
        .and_then(|w| w.strip_prefix("sha256="))
        .filter(|s| is_sha256(s))
        .ok_or_else(|| corrupt(name, "header has no sha256"))?;
    let size = words
        .next()
        .and_then(|w| w.strip_prefix("bytes="))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| corrupt(name, "header has no size"))?;
    let stored = if sealed {
        let s = words
            .next()
            .and_then(|w| w.strip_prefix("stored="))
            .filter(|s| is_sha256(s))
            .ok_or_else(|| corrupt(name, "encrypted, but the header has no stored sha256"))?;
        Some(s.to_string())
    } else {
        None
    };
    Ok(Header {
        sha256: sha256.to_string(),
        bytes: size,
        stored,
        start: end + 1,
    })
}

/// The error for an encrypted object read without any identity.
fn missing_identity(name: &str) -> WalError {
    WalError::Key(CryptError::Key(format!(
        "archived {name} is encrypted (age); give pra-wal fetch the key with --identity FILE \
         (PRA_IDENTITY) or --passphrase-file FILE"
    )))
}

/// Opens the age file `body` of archived `name` with this process's identities.
fn open_age<'a>(
    name: &str,
    body: &'a [u8],
) -> Result<age::stream::StreamReader<&'a [u8]>, WalError> {
    let ids = crypt::installed().ok_or_else(|| missing_identity(name))?;
    ids.decrypt(body, &format!("archived {name}"))
        .map_err(|e| match e {
            DecryptFailure::Key(e) => WalError::Key(e),
            DecryptFailure::Format(e) => corrupt(name, format!("not a readable age file: {e}")),
        })
}

/// Checks that an encrypted object opens with this process's identities, from its
/// first bytes (`head`: header line and age header); a plain object passes. Returns
/// whether the object is encrypted.
pub(super) fn check_key(name: &str, head: &[u8]) -> Result<bool, WalError> {
    let header = parse_header(name, head)?;
    if header.stored.is_none() {
        return Ok(false);
    }
    open_age(name, &head[header.start..])?;
    Ok(true)
}

/// The raw bytes of an archived object, decrypted when it is encrypted, NOT yet
/// checked against its header's sha256 ([`verify`] does, maybe while the caller
/// writes them out); the header says what to check.
pub(super) fn decode_unverified(name: &str, object: &[u8]) -> Result<(Vec<u8>, Header), WalError> {
    let header = parse_header(name, object)?;
    let body = &object[header.start..];
    let plain;
    let compressed = match &header.stored {
        None => body,
        Some(stored) => {
            // No sha256 of the ciphertext on the way: age authenticates its header and
            // every chunk, so damage shows as a failure to open or to read. Only a
            // failure to open needs it, to tell an altered object from a wrong key.
            let mut reader = open_age(name, body).map_err(|e| match e {
                WalError::Key(_) if &hex(&Sha256::digest(body)) != stored => corrupt(
                    name,
                    format!(
                        "stored sha256 differs from the header's {stored} (the object was altered)"
                    ),
                ),
                e => e,
            })?;
            let mut out = Vec::with_capacity(body.len());
            reader
                .read_to_end(&mut out)
                .map_err(|e| corrupt(name, format!("does not decrypt: {e}")))?;
            plain = out;
            &plain[..]
        }
    };
    let raw = frames::decompress(compressed, header.bytes)
        .map_err(|e| corrupt(name, format!("does not decode: {e}")))?;
    Ok((raw, header))
}

/// Checks decoded bytes against the sha256 and size of their header.
pub(super) fn verify(
    name: &str,
    header: &Header,
    raw: &[u8],
    sha256: &str,
) -> Result<(), WalError> {
    if sha256 != header.sha256 || raw.len() as u64 != header.bytes {
        return Err(corrupt(
            name,
            format!(
                "sha256 {sha256} ({} bytes), expected {} ({} bytes)",
                raw.len(),
                header.sha256,
                header.bytes
            ),
        ));
    }
    Ok(())
}

/// The raw bytes of an archived object, decrypted when it is encrypted, checked
/// against the sha256 and size of its header.
pub(super) fn decode(name: &str, object: &[u8]) -> Result<Vec<u8>, WalError> {
    let (raw, header) = decode_unverified(name, object)?;
    verify(name, &header, &raw, &hex(&Sha256::digest(&raw)))?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::super::{check_key, fetch, key, push, WalError};
    use crate::crypt::tests::{age_key, KEYS};
    use crate::crypt::{install, Identities, Recipients};
    use crate::repo::{LocalStorage, Storage};

    fn segment() -> Vec<u8> {
        (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn encrypted_objects_round_trip_stay_idempotent_and_need_the_right_key() {
        let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
        let keys = tempfile::tempdir().unwrap();
        let (right, public) = age_key(keys.path());
        let (wrong, _) = age_key(keys.path());
        let to = Recipients::load(&[public], None).unwrap().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let s = LocalStorage::new(tmp.path());
        let (name, raw) = ("000000010000000000000011", segment());
        let first = push(&s, "app", name, &raw, Some(&to)).unwrap();
        assert!(!first.already);
        // Age output is randomized: the second push compares raw checksums.
        assert!(push(&s, "app", name, &raw, Some(&to)).unwrap().already);
        assert!(push(&s, "app", name, &raw, None).unwrap().already);
        let other = push(&s, "app", name, &raw[1..], Some(&to)).unwrap_err();
        assert!(matches!(other, WalError::Conflict { .. }), "{other}");

        let object = s.read(&key("app", name).unwrap()).unwrap();
        let body = &object[super::parse_header(name, &object).unwrap().start..];
        assert!(body.starts_with(b"age-encryption.org/v1\n"));
        assert!(zstd::stream::decode_all(body).is_err(), "not zstd");

        install(None);
        let err = fetch(&s, "app", name).unwrap_err();
        assert!(matches!(err, WalError::Key(_)) && err.to_string().contains("--identity"));
        install(Identities::load(std::slice::from_ref(&wrong), None).unwrap());
        let err = check_key(&s, "app", name).unwrap_err();
        assert!(matches!(err, WalError::Key(_)), "{err}");
        assert!(matches!(fetch(&s, "app", name), Err(WalError::Key(_))));
        install(Identities::load(&[right], None).unwrap());
        assert_eq!(check_key(&s, "app", name).unwrap(), Some(true));
        assert_eq!(
            check_key(&s, "app", "000000010000000000000012").unwrap(),
            None
        );
        assert!(fetch(&s, "app", name).unwrap().unwrap() == raw);

        // A plain object pushed before encryption was turned on still reads, with or
        // without identities.
        let plain = "000000010000000000000013";
        push(&s, "app", plain, &raw, None).unwrap();
        assert_eq!(check_key(&s, "app", plain).unwrap(), Some(false));
        assert!(fetch(&s, "app", plain).unwrap().unwrap() == raw);

        // A flipped ciphertext byte is damage, not a wrong key.
        let path = tmp.path().join(key("app", name).unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 100] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = fetch(&s, "app", name).unwrap_err();
        assert!(matches!(err, WalError::Corrupt { .. }), "{err}");
        install(None);
        assert!(matches!(fetch(&s, "app", plain), Ok(Some(_))));
    }
}
