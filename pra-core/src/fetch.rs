//! Reading a stored backup file back: stream it out of the repository, decode it,
//! and check sizes and sha256 on both sides against the manifest.
//!
//! Used by pra-verify (`checksum` level, into a sink) and pra-restore (into
//! `pg_restore`). A mismatch names the file and says what differs. Framed zstd
//! files (what pra-backup writes with worker threads) decode on several threads.
//!
//! The raw sha256 of an unencrypted framed zstd file is not taken: its stored
//! sha256, every frame's content checksum and its raw size prove what it would
//! (see [`RawHash`], docs/VERIFY.md). A file with a frame that carries no content
//! checksum (pra-backup writes none) is read again for it after the decode: a rare
//! path that costs nothing on pra's own files, and that covers such a frame wherever
//! it is, where deciding from the first frame would still need it for a later one.

use crate::codec::{Codec, CopyError, Decoder, Digests, RawHash};
use crate::crypt::Unsealed;
use crate::error_class::ErrorClass;
use crate::exit::ExitStatus;
use crate::manifest::{Manifest, ManifestFile};
use crate::repo::{RepoError, Repository};
use std::io::{self, BufReader, Read, Write};

/// Size of the read buffer between storage, decoder and sink.
const BUF: usize = 1 << 20;

/// Why a stored file is not what its manifest says.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The repository could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The file is missing, truncated, altered or does not decode.
    #[error("{file}: {problem}")]
    Corrupt {
        /// The file name inside the backup.
        file: String,
        /// What is wrong, in plain words.
        problem: String,
    },
    /// The file is encrypted and no identity given opens it.
    #[error(transparent)]
    Key(crate::crypt::CryptError),
    /// Writing the decoded bytes failed (the consumer, e.g. `pg_restore`, went away).
    #[error("{file}: writing the decoded data failed: {source}")]
    Sink {
        /// The file name inside the backup.
        file: String,
        /// The I/O error.
        source: io::Error,
    },
}

impl ExitStatus for FetchError {
    fn class(&self) -> ErrorClass {
        match self {
            FetchError::Repo(e) => e.class(),
            FetchError::Corrupt { .. } => ErrorClass::Corrupt,
            FetchError::Key(e) => e.class(),
            FetchError::Sink { .. } => ErrorClass::Io,
        }
    }
}

impl FetchError {
    /// A [`FetchError::Corrupt`] naming `file`.
    pub fn corrupt(file: &ManifestFile, problem: impl Into<String>) -> FetchError {
        FetchError::Corrupt {
            file: file.name.clone(),
            problem: problem.into(),
        }
    }
}

fn corrupt(file: &ManifestFile, problem: impl Into<String>) -> FetchError {
    FetchError::corrupt(file, problem)
}

/// Checks that a file exists with the stored size its manifest records.
pub fn check_present(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
) -> Result<(), FetchError> {
    match repo.file_size(&manifest.stanza, &manifest.id, &file.name)? {
        None => Err(corrupt(file, "file is missing")),
        Some(size) if size != file.stored_bytes => Err(corrupt(
            file,
            format!(
                "stored size is {size} bytes, manifest says {}",
                file.stored_bytes
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// Streams a file out of the repository, decoded, into `sink`, and checks stored
/// and raw sizes and sha256 against the manifest once the stream ends (for an
/// encrypted file, the stored size and age's authentication instead of the stored
/// sha256: see [`compare_decoded_stored`]; for an unencrypted framed zstd file, every
/// frame's content checksum instead of the raw sha256: see the module doc).
///
/// The sink has received the data by the time a mismatch is known: callers that
/// must not act on bad data check first (e.g. [`check_stored`]).
pub fn fetch_file(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
    sink: &mut dyn Write,
) -> Result<Digests, FetchError> {
    check_present(repo, manifest, file)?;
    let explain = |e| explain_encrypted(repo, manifest, file, e);
    let source = repo.open_listed(manifest, file)?;
    let (digests, unchecked) =
        decode_checked(file, source, sink, RawHash::UnlessFramesChecked).map_err(explain)?;
    if unchecked == 0 || !digests.raw.sha256.is_empty() {
        return Ok(digests);
    }
    // A frame without a content checksum: only the raw sha256 proves its decode.
    log::debug!(
        "{}: {unchecked} frames without a content checksum: reading it again for its raw sha256",
        file.name
    );
    let source = repo.open_listed(manifest, file)?;
    decode_checked(file, source, &mut io::sink(), RawHash::Always)
        .map(|(digests, _)| digests)
        .map_err(explain)
}

/// Decodes `source` into `sink` and checks it against `file`; returns the digests
/// (the raw sha256 empty when `raw` let it off, see [`RawHash`]) and the number of
/// frames decoded without a content checksum.
fn decode_checked(
    file: &ManifestFile,
    source: Box<dyn Read + Send>,
    sink: &mut dyn Write,
    raw: RawHash,
) -> Result<(Digests, u64), FetchError> {
    // An encrypted file decrypts on the way (one thread: the cipher is much faster
    // than the decoder), its stored side counted in front of the decryption.
    let unsealed = crate::crypt::unseal(file, source)?;
    let hash = unsealed.stored_hash();
    let Unsealed { reader, tap } = unsealed;
    // Framed zstd decodes on several threads and reads frame by frame; the other
    // codecs read through a large buffer (zstd's own is small).
    let decoder = if file.codec == Codec::Zstd {
        Decoder::new_parallel_with(reader, file.codec, hash, raw)
    } else {
        Decoder::new_parallel_with(
            Box::new(BufReader::with_capacity(BUF, reader)) as Box<dyn Read + Send>,
            file.codec,
            hash,
            raw,
        )
    };
    let mut decoder = decoder.map_err(|e| corrupt(file, format!("cannot decode: {e}")))?;
    match decoder.copy_to(sink) {
        Ok(_) => {}
        Err(CopyError::Decode(e)) => {
            return Err(corrupt(
                file,
                format!(
                    "does not decode as {} after {} raw bytes: {e}",
                    file.codec.as_str(),
                    decoder.raw_bytes()
                ),
            ))
        }
        Err(CopyError::Write(source)) => {
            return Err(FetchError::Sink {
                file: file.name.clone(),
                source,
            })
        }
    }
    let unchecked = decoder.unchecked_frames();
    let mut digests = decoder
        .finish()
        .map_err(|e| corrupt(file, format!("cannot read to the end: {e}")))?;
    if let Some(tap) = tap {
        digests.stored = tap
            .finish()
            .map_err(|e| corrupt(file, format!("cannot read to the end: {e}")))?;
    }
    compare_decoded_stored(file, &digests.stored)?;
    compare_decoded_raw(file, &digests.raw)?;
    Ok((digests, unchecked))
}

/// Checks that an encrypted file opens with the identities of this process (reads
/// its age header only); a plain file passes. Run before anything is written to a
/// server, so that a missing or wrong identity changes nothing.
pub fn check_key(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
) -> Result<(), FetchError> {
    if file.encryption.is_none() {
        return Ok(());
    }
    let source = repo.open_listed(manifest, file)?;
    crate::crypt::unseal(file, source).map(|_| ())
}

/// Checks the stored bytes only (size and sha256), without decoding: the fast
/// check a restore runs before it touches the server.
pub fn check_stored(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
) -> Result<(), FetchError> {
    check_present(repo, manifest, file)?;
    let source = repo.open_listed(manifest, file)?;
    let digest = crate::codec::digest_of(BufReader::with_capacity(BUF, source))
        .map_err(|e| corrupt(file, format!("cannot read: {e}")))?;
    compare_stored(file, &digest)
}

/// Checks the stored side a decoder measured: size and sha256, or for an encrypted
/// file its size only, the ciphertext having been authenticated by age as it was
/// decrypted (see `crate::crypt::stream`; [`explain_encrypted`] when that failed).
pub fn compare_decoded_stored(
    file: &ManifestFile,
    d: &crate::codec::Digest,
) -> Result<(), FetchError> {
    match file.encryption {
        Some(_) => compare_stored_size(file, d.bytes),
        None => compare_stored(file, d),
    }
}

/// For an encrypted file that failed a decoding check: its stored sha256, taken by
/// reading the file again (decoding does not take it), is the plainest explanation
/// when it differs from the manifest's; otherwise `problem` stands (decryption or
/// decoding failed on a file whose stored sha256 matches, or the file cannot be read
/// again).
pub fn explain_encrypted(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
    problem: FetchError,
) -> FetchError {
    if file.encryption.is_none() || !matches!(problem, FetchError::Corrupt { .. }) {
        return problem;
    }
    match check_stored(repo, manifest, file) {
        Err(altered @ FetchError::Corrupt { .. }) => altered,
        _ => problem,
    }
}

fn compare_stored_size(file: &ManifestFile, bytes: u64) -> Result<(), FetchError> {
    if bytes != file.stored_bytes {
        return Err(corrupt(
            file,
            format!(
                "stored size is {bytes} bytes, manifest says {}",
                file.stored_bytes
            ),
        ));
    }
    Ok(())
}

/// Checks the stored side (size and sha256) of a file against its manifest entry.
pub fn compare_stored(file: &ManifestFile, d: &crate::codec::Digest) -> Result<(), FetchError> {
    compare_stored_size(file, d.bytes)?;
    if d.sha256 != file.stored_sha256 {
        return Err(corrupt(
            file,
            "stored sha256 does not match the manifest (the file was altered)",
        ));
    }
    Ok(())
}

/// Checks the raw side a decoder measured: size and sha256, or its size only when
/// the sha256 was not taken (framed zstd whose frames' content checksums proved the
/// decode of stored bytes matching their sha256: see [`RawHash`], docs/VERIFY.md).
pub fn compare_decoded_raw(
    file: &ManifestFile,
    d: &crate::codec::Digest,
) -> Result<(), FetchError> {
    if d.sha256.is_empty() {
        compare_raw_size(file, d.bytes)
    } else {
        compare_raw(file, d)
    }
}

/// Checks the decoded size of a file against its manifest entry.
fn compare_raw_size(file: &ManifestFile, bytes: u64) -> Result<(), FetchError> {
    if bytes != file.raw_bytes {
        return Err(corrupt(
            file,
            format!("decodes to {bytes} bytes, manifest says {}", file.raw_bytes),
        ));
    }
    Ok(())
}

/// Checks the raw side (decoded size and sha256) of a file against its manifest entry.
fn compare_raw(file: &ManifestFile, d: &crate::codec::Digest) -> Result<(), FetchError> {
    compare_raw_size(file, d.bytes)?;
    if d.sha256 != file.raw_sha256 {
        return Err(corrupt(file, "decoded sha256 does not match the manifest"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
