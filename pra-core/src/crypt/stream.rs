//! The encryption step of the stored-file pipeline: raw → sha256 → compress →
//! age → sha256(stored) → storage on the way in ([`seal`]), and its inverse on the
//! way out ([`unseal`]), where a tap in front of the decryption counts the stored
//! (ciphertext) bytes.
//!
//! The stored sha256 is what the levels without a key check (`check_stored`). Decoding
//! does not take it once the age header opens: age authenticates the header (its MAC)
//! and every 64 KiB chunk (Poly1305, the last one marked as last, so truncation shows),
//! so a ciphertext that decrypts is the one written, and the raw sha256 the decoder
//! checks proves the content is the one backed up. Hashing it (and the decrypted
//! stream, as the decoders do a plain file's) cost a fifth of the checksum
//! verification's CPU (docs/PERFORMANCE.md, "Encryption"). Callers that
//! find a problem read the file again for the stored sha256 (`fetch::explain_encrypted`):
//! the plainest explanation of a damaged file.

use super::{installed, missing_identity, DecryptFailure, Recipients};
use crate::codec::{hex, Digest, Digests, EncodeOptions, Encoder, HashWriter, StoredHash};
use crate::fetch::{compare_stored, FetchError};
use crate::manifest::ManifestFile;
use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

type AgeWriter<W> = age::stream::StreamWriter<HashWriter<W>>;

/// An encoder whose output is encrypted when recipients are given.
pub enum Sealed<W: Write> {
    /// No encryption: the codec's own encoder.
    Plain(Encoder<W>),
    /// Compressed, then encrypted; the stored side is hashed after encryption.
    Age(Encoder<AgeWriter<W>>),
}

/// An encoder writing into `sink`, encrypted to `recipients` when given.
pub fn seal<W: Write>(
    sink: W,
    opts: EncodeOptions,
    recipients: Option<&Recipients>,
) -> io::Result<Sealed<W>> {
    match recipients {
        None => Ok(Sealed::Plain(Encoder::new(sink, opts)?)),
        Some(r) => {
            let age = r.encryptor()?.wrap_output(HashWriter::new(sink))?;
            Ok(Sealed::Age(Encoder::new(age, opts)?))
        }
    }
}

impl<W: Write> Sealed<W> {
    /// Raw bytes written so far.
    pub fn raw_bytes(&self) -> u64 {
        match self {
            Sealed::Plain(e) => e.raw_bytes(),
            Sealed::Age(e) => e.raw_bytes(),
        }
    }

    /// See [`Encoder::preferred_chunk`].
    pub fn preferred_chunk(&self) -> usize {
        match self {
            Sealed::Plain(e) => e.preferred_chunk(),
            Sealed::Age(e) => e.preferred_chunk(),
        }
    }

    /// See [`Encoder::write_vec`].
    pub fn write_vec(&mut self, buf: Vec<u8>) -> io::Result<Vec<u8>> {
        match self {
            Sealed::Plain(e) => e.write_vec(buf),
            Sealed::Age(e) => e.write_vec(buf),
        }
    }

    /// Ends the stream (codec trailer, last age chunk) and returns the sink with the
    /// raw digest and the digest of the bytes as stored (the ciphertext).
    pub fn finish(self) -> io::Result<(W, Digests)> {
        match self {
            Sealed::Plain(e) => e.finish(),
            Sealed::Age(e) => {
                let (age, compressed) = e.finish()?;
                let (sink, stored) = age.finish()?.finish();
                Ok((
                    sink,
                    Digests {
                        raw: compressed.raw,
                        stored,
                    },
                ))
            }
        }
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sealed::Plain(e) => e.write(buf),
            Sealed::Age(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealed::Plain(e) => e.flush(),
            Sealed::Age(e) => e.flush(),
        }
    }
}

struct TapState {
    src: Box<dyn Read + Send>,
    hasher: Sha256,
    bytes: u64,
    /// True until the age header opens (after that, bytes are counted only).
    hashing: bool,
}

/// The reading end of a tap: what the decryption reads through.
struct TapReader(Arc<Mutex<TapState>>);

impl Read for TapReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self
            .0
            .lock()
            .map_err(|_| io::Error::other("stored-bytes hasher poisoned"))?;
        let n = s.src.read(buf)?;
        if s.hashing {
            s.hasher.update(&buf[..n]);
        }
        s.bytes += n as u64;
        Ok(n)
    }
}

/// Counts the stored (encrypted) bytes in front of the decryption.
pub struct StoredTap(Arc<Mutex<TapState>>);

impl StoredTap {
    /// Reads the rest of the stored file, so that trailing bytes count, and returns
    /// its size: a [`Digest`] without sha256 (see the module documentation).
    pub fn finish(self) -> io::Result<Digest> {
        let mut s = self
            .0
            .lock()
            .map_err(|_| io::Error::other("stored-bytes counter poisoned"))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match s.src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if s.hashing {
                s.hasher.update(&buf[..n]);
            }
            s.bytes += n as u64;
        }
        let sha256 = if s.hashing {
            hex(&std::mem::take(&mut s.hasher).finalize())
        } else {
            String::new()
        };
        Ok(Digest {
            bytes: s.bytes,
            sha256,
        })
    }
}

/// age's reader, its errors saying what they mean for a stored file.
struct Decrypting<R>(age::stream::StreamReader<R>);

impl<R: Read> Read for Decrypting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| match e.kind() {
            // A chunk that does not authenticate, a missing last chunk, bytes after it.
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => io::Error::new(
                e.kind(),
                format!("age decryption failed ({e}): the ciphertext was altered or truncated"),
            ),
            _ => e,
        })
    }
}

/// A stored file ready to decode: the compressed bytes, and for an encrypted file
/// the tap that counts the stored ciphertext.
pub struct Unsealed {
    /// The compressed bytes (decrypted when the file is encrypted).
    pub reader: Box<dyn Read + Send>,
    /// The stored-side counter of an encrypted file (`None`: the reader's bytes are
    /// the stored bytes).
    pub tap: Option<StoredTap>,
}

impl Unsealed {
    /// What a decoder of [`Unsealed::reader`] takes of the bytes it reads: their
    /// sha256 for a plain file (they are the stored bytes), only their number for an
    /// encrypted one (they are not; age authenticated them).
    pub fn stored_hash(&self) -> StoredHash {
        match self.tap {
            Some(_) => StoredHash::CountOnly,
            None => StoredHash::Sha256,
        }
    }
}

/// Opens the decryption of `file` over `source` with the identities of this process
/// ([`super::install`]); a plain file passes through. Reads the age header only.
/// No identity, or none that opens the file, is a [`FetchError::Key`]; a damaged
/// header is [`FetchError::Corrupt`].
pub fn unseal(file: &ManifestFile, source: Box<dyn Read + Send>) -> Result<Unsealed, FetchError> {
    let Some(enc) = &file.encryption else {
        return Ok(Unsealed {
            reader: source,
            tap: None,
        });
    };
    let ids = installed().ok_or_else(|| FetchError::Key(missing_identity(&file.name, enc)))?;
    let state = Arc::new(Mutex::new(TapState {
        src: source,
        hasher: Sha256::new(),
        bytes: 0,
        hashing: true,
    }));
    let failure = match ids.decrypt(TapReader(Arc::clone(&state)), &file.name) {
        Ok(reader) => {
            // The header opened: from here on age authenticates what it decrypts.
            if let Ok(mut s) = state.lock() {
                s.hashing = false;
            }
            return Ok(Unsealed {
                reader: Box::new(Decrypting(reader)),
                tap: Some(StoredTap(state)),
            });
        }
        Err(DecryptFailure::Key(e)) => FetchError::Key(e),
        Err(DecryptFailure::Format(e)) => {
            FetchError::corrupt(file, format!("not a readable age file: {e}"))
        }
    };
    // An altered header also fails to open: the stored sha256 tells it from a wrong key.
    let stored = StoredTap(state)
        .finish()
        .map_err(|e| FetchError::corrupt(file, format!("cannot read: {e}")))?;
    compare_stored(file, &stored)?;
    Err(failure)
}
