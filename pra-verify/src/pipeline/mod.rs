//! The checksum pass over one stored file, in one streaming read.
//!
//! Framed zstd files (pra-backup with worker threads, see `pra_core::codec::frames`)
//! decode on two threads: pra-core's [`FrameDecoder`] reads and hashes the stored
//! bytes and hands whole frames to two decoding threads; this thread takes the frames
//! back in order, hashes the raw bytes (when needed, see [`RawHash`]) and
//! tees them into `pg_restore --list`. The decode, the critical path of `zstd -t`, is
//! split over both cores.
//!
//! The raw sha256 of a framed file is not taken (at either level, as in a restore)
//! when its stored sha256 is: identical stored bytes decode deterministically to the content whose
//! frame checksums (xxh64, verified by libzstd) the encoder computed from its input,
//! so the raw sha256 adds nothing against storage damage (docs/VERIFY.md). A file
//! with a frame that carries no content checksum (pra writes none) is read again to
//! take it.
//!
//! Other files (single-stream zstd of older backups, gzip, none) use three threads:
//! a reader hashes the stored bytes and hands 256 KiB chunks to the decoder over a
//! bounded channel; the decoder (this thread) decompresses; a third thread hashes
//! the raw bytes and tees them into `pg_restore --list` for dumps.
//!
//! The tee hands the buffers to a thread that writes them to pg_restore
//! (`toc::TocFeed`): its start-up does not hold the decoding up.
//!
//! An encrypted file is decrypted in front of all this; its stored bytes are then
//! counted, not hashed: age authenticates every chunk as it decrypts (see
//! `pra_core::crypt::stream`), and a file that fails is read again for its stored
//! sha256, the plainest explanation ([`explain_encrypted`]).
//!
//! Buffers go back to their producer: memory stays bounded (about 20-30 MiB)
//! whatever the file size (docs/PERFORMANCE.md, "Verify").

use chunks::{pipe, read_stored, ChunkReader, PipeEnd};
use pra_core::codec::frames::{is_framed, HEADER_LEN};
use pra_core::codec::{hex, read_full, Codec, Digest, FrameDecoder};
use pra_core::crypt::{StoredTap, Unsealed};
use pra_core::fetch::{
    check_present, check_stored, compare_decoded_raw, compare_decoded_stored, explain_encrypted,
    FetchError,
};
use pra_core::manifest::{Manifest, ManifestFile};
use pra_core::repo::Repository;
use sha2::{Digest as _, Sha256};
use std::io::{self, Read};
use std::path::Path;
use std::thread;
use toc::{compare_toc, spawn_toc_reader, TocFeed, TocReader};

mod chunks;
mod toc;

/// Whether the checksum pass takes the sha256 of the decoded bytes: the rule a
/// restore follows too (`pra_core::fetch`).
pub use pra_core::codec::RawHash;

/// What the checksum pass measured on a file that passed.
#[derive(Debug, Clone)]
pub struct FileDigests {
    /// The stored side (size only for an encrypted file: `sha256` empty).
    pub stored: Digest,
    /// The decoded side (size only when its frames' checksums proved the decode:
    /// `sha256` empty, see [`RawHash`]).
    pub raw: Digest,
    /// Entries in the dump's table of contents (dumps only).
    pub toc_entries: Option<u64>,
}

fn corrupt(file: &ManifestFile, problem: impl Into<String>) -> FetchError {
    FetchError::corrupt(file, problem)
}

/// Hands a hashed buffer to `pg_restore --list` while it reads; `recycle` gets back
/// the buffers it no longer needs (this one at once when pg_restore is done).
fn tee(feed: &mut Option<TocFeed>, buf: Vec<u8>, mut recycle: impl FnMut(Vec<u8>)) {
    let Some(f) = feed.as_mut() else {
        return recycle(buf);
    };
    if let Some(buf) = f.send(buf) {
        recycle(buf);
    }
    while let Some(buf) = f.returned() {
        recycle(buf);
    }
}

/// The raw side: hashes the decoded bytes and tees them into `pg_restore --list`,
/// which stops reading once it has the table of contents (a closed pipe is expected).
fn hash_raw(input: PipeEnd, mut feed: Option<TocFeed>) -> Digest {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    while let Ok(buf) = input.full_rx.recv() {
        hasher.update(&buf);
        bytes += buf.len() as u64;
        tee(&mut feed, buf, |b| {
            let _ = input.free_tx.try_send(b);
        });
    }
    if let Some(f) = feed {
        f.close();
    }
    Digest {
        bytes,
        sha256: hex(&hasher.finalize()),
    }
}

/// The framed path: stored hash and frame splitting on pra-core's reader thread,
/// decoding on its two workers, the raw hash (when `hash_raw`) and the tee here, in
/// order. Returns the raw digest, the decoding result, the stored digest, and the
/// number of frames without a content checksum.
fn check_framed(
    frames: FrameDecoder,
    mut feed: Option<TocFeed>,
    hash_raw: bool,
) -> (Digest, io::Result<()>, io::Result<Digest>, u64) {
    let mut frames = frames;
    let mut hasher = hash_raw.then(Sha256::new);
    let mut bytes = 0u64;
    let decoded = loop {
        match frames.next_frame() {
            Ok(Some(frame)) => {
                if let Some(h) = hasher.as_mut() {
                    h.update(&frame);
                }
                bytes += frame.len() as u64;
                tee(&mut feed, frame, |b| frames.recycle(b));
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    if let Some(f) = feed {
        f.close();
    }
    let unchecked = frames.unchecked_frames();
    let stored = frames.finish();
    let raw = Digest {
        bytes,
        sha256: hasher.map(|h| hex(&h.finalize())).unwrap_or_default(),
    };
    (raw, decoded, stored, unchecked)
}

/// Reads the first bytes of a zstd file to tell the framed format from a single stream.
fn peek(mut source: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0u8; HEADER_LEN];
    let n = read_full(&mut source, &mut head)?;
    head.truncate(n);
    Ok((head, source))
}

fn decoder_for(codec: Codec, src: ChunkReader) -> io::Result<Box<dyn Read>> {
    Ok(match codec {
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(src)?),
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(src)),
        Codec::None => Box::new(src),
    })
}

/// Checks one stored file in one pass: present with its size, stored sha256,
/// decodes (every frame's content checksum), raw size and sha256 (see [`RawHash`]),
/// and (when `list_toc`) the dump's table of contents.
///
/// Problems are reported in order of how plainly they explain the damage: the
/// stored bytes first, then decoding, then the raw side, then the table of contents.
pub fn check_file(
    repo: &Repository,
    manifest: &Manifest,
    file: &ManifestFile,
    list_toc: bool,
    pg_bindir: Option<&Path>,
    raw: RawHash,
) -> Result<FileDigests, FetchError> {
    check_present(repo, manifest, file)?;
    if let (Some(enc), None) = (&file.encryption, pra_core::crypt::installed()) {
        // Without a key the stored side is still checkable: a damaged file is a verdict.
        check_stored(repo, manifest, file)?;
        return Err(FetchError::Key(pra_core::crypt::missing_identity(
            &format!("{} (stored sha256 intact)", file.name),
            enc,
        )));
    }
    let mut raw = raw;
    // Twice at most: `None` only comes back when the raw sha256 was not taken.
    loop {
        let source = repo.open_listed(manifest, file)?;
        match check_stream(manifest, file, source, list_toc, pg_bindir, raw)
            .map_err(|e| explain_encrypted(repo, manifest, file, e))?
        {
            Some(d) => return Ok(d),
            None => raw = RawHash::Always,
        }
    }
}

/// [`check_file`] once the file is open; `None` when the file passed without its raw
/// sha256 but a frame carried no content checksum: only the raw sha256 proves that
/// frame's decode, to be checked again with [`RawHash::Always`].
fn check_stream(
    manifest: &Manifest,
    file: &ManifestFile,
    source: Box<dyn Read + Send>,
    list_toc: bool,
    pg_bindir: Option<&Path>,
    raw: RawHash,
) -> Result<Option<FileDigests>, FetchError> {
    // An encrypted file is decrypted in front of the decoder; its stored size is the
    // tap's, taken on the ciphertext.
    let unsealed = pra_core::crypt::unseal(file, source)?;
    let hash = unsealed.stored_hash();
    let Unsealed {
        reader: source,
        tap,
    } = unsealed;
    let mut toc = if list_toc {
        // Not the backup's fault: no verdict (see verify.rs), rather than a failure.
        Some(spawn_toc_reader(pg_bindir).map_err(|e| FetchError::Sink {
            file: file.name.clone(),
            source: io::Error::new(e.kind(), format!("cannot run pg_restore --list: {e}")),
        })?)
    } else {
        None
    };
    let mut source = source;
    if file.codec == Codec::Zstd {
        let (head, rest) = peek(source).map_err(|e| corrupt(file, format!("cannot read: {e}")))?;
        if is_framed(&head) {
            let frames = FrameDecoder::spawn_with(head, rest, hash)
                .map_err(|e| corrupt(file, format!("cannot start decoding: {e}")))?;
            let tee = toc
                .as_mut()
                .and_then(|t| t.child.stdin.take())
                .map(TocFeed::spawn);
            let hash_raw = raw.framed_takes(hash);
            let (raw, decoded, stored, unchecked) = check_framed(frames, tee, hash_raw);
            let stored =
                stored_side(tap, stored).map_err(|e| corrupt(file, format!("cannot read: {e}")))?;
            let d = conclude(file, stored, raw, decoded, toc)
                .and_then(|d| compare_toc(manifest, file, d))?;
            return Ok((hash_raw || unchecked == 0).then_some(d));
        }
        source = Box::new(io::Cursor::new(head).chain(rest));
    }
    let (stored_in, stored_out) = pipe();
    let reader = thread::spawn(move || read_stored(source, stored_in, hash));
    let (raw_in, raw_out) = pipe();
    let tee = toc
        .as_mut()
        .and_then(|t| t.child.stdin.take())
        .map(TocFeed::spawn);
    let raw_hasher = thread::spawn(move || hash_raw(raw_out, tee));

    let chunks = ChunkReader::new(stored_out);
    let decode_result = decoder_for(file.codec, chunks).and_then(|mut dec| loop {
        let mut buf = raw_in.buffer();
        let n = read_full(&mut dec, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        if raw_in.full_tx.send(buf).is_err() {
            return Ok(());
        }
    });
    // Dropping the decoder (done) and our sender ends both other threads' inputs.
    drop(raw_in);
    let raw = raw_hasher
        .join()
        .map_err(|_| corrupt(file, "the raw hashing thread failed"))?;
    let stored = reader
        .join()
        .map_err(|_| corrupt(file, "the reading thread failed"))?;
    let stored =
        stored_side(tap, stored).map_err(|e| corrupt(file, format!("cannot read: {e}")))?;
    conclude(file, stored, raw, decode_result, toc)
        .and_then(|d| compare_toc(manifest, file, d))
        .map(Some)
}

/// The stored digest: for an encrypted file the tap's (the ciphertext's size, read to
/// the end even when decryption failed), else what the reader measured.
fn stored_side(tap: Option<StoredTap>, measured: io::Result<Digest>) -> io::Result<Digest> {
    match tap {
        Some(tap) => tap.finish(),
        None => measured,
    }
}

/// The verdict, with problems in order of how plainly they explain the damage.
fn conclude(
    file: &ManifestFile,
    stored: Digest,
    raw: Digest,
    decode_result: io::Result<()>,
    toc: Option<TocReader>,
) -> Result<FileDigests, FetchError> {
    let toc_result = toc.map(TocReader::finish);

    // Stored-side problems first: they say the file itself was altered.
    compare_decoded_stored(file, &stored)?;
    if let Err(e) = decode_result {
        return Err(corrupt(
            file,
            format!(
                "does not decode as {} after {} raw bytes: {e}",
                file.codec.as_str(),
                raw.bytes
            ),
        ));
    }
    compare_decoded_raw(file, &raw)?;
    let toc_entries = match toc_result {
        Some(Err(problem)) => return Err(corrupt(file, problem)),
        Some(Ok(n)) => Some(n),
        None => None,
    };
    Ok(FileDigests {
        stored,
        raw,
        toc_entries,
    })
}

#[cfg(test)]
pub(crate) mod tests;
