//! Reading a stored backup file back: stream it out of the repository, decode it,
//! and check sizes and sha256 on both sides against the manifest.
//!
//! Used by pra-verify (`checksum` level, into a sink) and pra-restore (into
//! `pg_restore`). A mismatch names the file and says what differs. Framed zstd
//! files (what pra-backup writes with worker threads) decode on several threads.

use crate::codec::{Codec, CopyError, Decoder, Digests};
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
/// sha256: see [`compare_decoded_stored`]).
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
    let source = repo.open_listed(manifest, file)?;
    decode_checked(file, source, sink).map_err(|e| explain_encrypted(repo, manifest, file, e))
}

fn decode_checked(
    file: &ManifestFile,
    source: Box<dyn Read + Send>,
    sink: &mut dyn Write,
) -> Result<Digests, FetchError> {
    // An encrypted file decrypts on the way (one thread: the cipher is much faster
    // than the decoder), its stored side counted in front of the decryption.
    let unsealed = crate::crypt::unseal(file, source)?;
    let hash = unsealed.stored_hash();
    let Unsealed { reader, tap } = unsealed;
    // Framed zstd decodes on several threads and reads frame by frame; the other
    // codecs read through a large buffer (zstd's own is small).
    let decoder = if file.codec == Codec::Zstd {
        Decoder::new_parallel_with(reader, file.codec, hash)
    } else {
        Decoder::new_parallel_with(
            Box::new(BufReader::with_capacity(BUF, reader)) as Box<dyn Read + Send>,
            file.codec,
            hash,
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
    let mut digests = decoder
        .finish()
        .map_err(|e| corrupt(file, format!("cannot read to the end: {e}")))?;
    if let Some(tap) = tap {
        digests.stored = tap
            .finish()
            .map_err(|e| corrupt(file, format!("cannot read to the end: {e}")))?;
    }
    compare(file, &digests)?;
    Ok(digests)
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

fn compare(file: &ManifestFile, d: &Digests) -> Result<(), FetchError> {
    compare_decoded_stored(file, &d.stored)?;
    compare_raw(file, &d.raw)
}

/// Checks the decoded size of a file against its manifest entry: the raw side's only
/// check when its sha256 was not taken (pra-verify's checksum level on framed zstd,
/// whose frames' content checksums proved the decode; docs/VERIFY.md).
pub fn compare_raw_size(file: &ManifestFile, bytes: u64) -> Result<(), FetchError> {
    if bytes != file.raw_bytes {
        return Err(corrupt(
            file,
            format!("decodes to {bytes} bytes, manifest says {}", file.raw_bytes),
        ));
    }
    Ok(())
}

/// Checks the raw side (decoded size and sha256) of a file against its manifest entry.
pub fn compare_raw(file: &ManifestFile, d: &crate::codec::Digest) -> Result<(), FetchError> {
    compare_raw_size(file, d.bytes)?;
    if d.sha256 != file.raw_sha256 {
        return Err(corrupt(file, "decoded sha256 does not match the manifest"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{EncodeOptions, Encoder};
    use crate::manifest::FileRole;

    fn backup_with(data: &[u8]) -> (tempfile::TempDir, Repository, Manifest) {
        backup_encoded(data, EncodeOptions::default())
    }

    fn backup_encoded(
        data: &[u8],
        opts: EncodeOptions,
    ) -> (tempfile::TempDir, Repository, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
        let id = repo.new_backup("app", crate::time::now()).unwrap();
        let staged = repo.create_file("app", &id, "dump.pgc.zst").unwrap();
        let mut enc = Encoder::new(staged, opts).unwrap();
        enc.write_all(data).unwrap();
        let (staged, d) = enc.finish().unwrap();
        staged.commit().unwrap();
        let mut m = crate::manifest::tests::sample(&id);
        m.files = vec![ManifestFile {
            name: "dump.pgc.zst".into(),
            role: FileRole::Dump,
            raw_bytes: d.raw.bytes,
            stored_bytes: d.stored.bytes,
            raw_sha256: d.raw.sha256,
            stored_sha256: d.stored.sha256,
            codec: Codec::Zstd,
            encryption: None,
        }];
        repo.write_manifest(&m).unwrap();
        (dir, repo, m)
    }

    #[test]
    fn intact_file_fetches_and_checks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (_d, repo, m) = backup_with(&data);
        let mut out = Vec::new();
        fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
        assert!(out == data);
        check_stored(&repo, &m, &m.files[0]).unwrap();
    }

    #[test]
    fn framed_and_single_stream_files_fetch() {
        let data: Vec<u8> = (0..(2 * crate::codec::frames::FRAME + 5) as u32)
            .map(|i| ((i / 3) ^ (i >> 13)) as u8)
            .collect();
        for threads in [2, 0] {
            let opts = EncodeOptions {
                threads,
                ..EncodeOptions::default()
            };
            let (_d, repo, m) = backup_encoded(&data, opts);
            let mut out = Vec::new();
            let d = fetch_file(&repo, &m, &m.files[0], &mut out).unwrap();
            assert!(out == data, "threads {threads}");
            assert_eq!(d.raw.bytes, data.len() as u64);
        }
    }

    #[test]
    fn flipped_byte_truncation_and_missing_file_are_named() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let (dir, repo, m) = backup_with(&data);
        let path = dir.path().join(format!("app/backup/{}/dump.pgc.zst", m.id));
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        flipped[good.len() / 2] ^= 0x40;
        std::fs::write(&path, &flipped).unwrap();
        let e = fetch_file(&repo, &m, &m.files[0], &mut io::sink()).unwrap_err();
        assert!(e.to_string().starts_with("dump.pgc.zst:"), "{e}");
        assert!(check_stored(&repo, &m, &m.files[0]).is_err());
        std::fs::write(&path, &good[..good.len() - 10]).unwrap();
        assert!(fetch_file(&repo, &m, &m.files[0], &mut io::sink())
            .unwrap_err()
            .to_string()
            .contains("size"));
        std::fs::remove_file(&path).unwrap();
        assert!(fetch_file(&repo, &m, &m.files[0], &mut io::sink())
            .unwrap_err()
            .to_string()
            .contains("missing"));
    }
}
