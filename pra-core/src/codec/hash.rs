//! Hashing and counting the bytes that pass, on either side of a codec.

use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};

/// Size and sha256 of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Number of bytes.
    pub bytes: u64,
    /// sha256 in lowercase hex; empty when the bytes were only counted
    /// ([`StoredHash::CountOnly`], [`RawHash::UnlessFramesChecked`]).
    pub sha256: String,
}

/// Whether a decoder hashes the stored bytes it reads or only counts them.
///
/// The bytes an encrypted file's decoder reads are the decrypted ones, not the
/// stored ones: their sha256 would prove nothing the manifest records, and the
/// stored (ciphertext) side is already authenticated chunk by chunk by age
/// (see `crate::crypt::stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredHash {
    /// sha256 and size.
    Sha256,
    /// Size only.
    CountOnly,
}

/// Whether a decoder takes the sha256 of the decoded bytes.
///
/// A framed zstd stream whose stored sha256 is taken need not have it: identical
/// stored bytes decode deterministically, and every frame's content checksum (xxh64,
/// which libzstd verifies as it decodes) proves that decode equals what the encoder
/// was given, so the raw sha256 adds nothing against storage damage (docs/VERIFY.md).
/// A frame without a content checksum (pra-backup writes none) leaves its decode
/// unproven: the decoder counts it (`unchecked_frames`) and the caller takes the raw
/// sha256 by reading the file again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawHash {
    /// Always (single-stream zstd, gzip, none and encrypted files take it anyway).
    Always,
    /// Not for a framed zstd stream whose stored sha256 is taken: its raw digest
    /// then has its size only (`sha256` empty).
    UnlessFramesChecked,
}

impl RawHash {
    /// Whether a framed zstd stream's raw sha256 is taken when its stored side is
    /// hashed or only counted: without the stored sha256 (an encrypted file), the raw
    /// one is the content check.
    pub fn framed_takes(self, stored: StoredHash) -> bool {
        self == RawHash::Always || stored != StoredHash::Sha256
    }
}

/// The digests of both sides of a codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// Before compression (what `pg_dump` wrote).
    pub raw: Digest,
    /// As stored.
    pub stored: Digest,
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A writer that hashes and counts what passes through it.
pub struct HashWriter<W> {
    pub(super) inner: W,
    pub(super) hasher: Sha256,
    pub(super) bytes: u64,
}

impl<W: Write> HashWriter<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Returns the inner writer and the digest of everything written.
    pub fn finish(self) -> (W, Digest) {
        let sha256 = hex(&self.hasher.finalize());
        (
            self.inner,
            Digest {
                bytes: self.bytes,
                sha256,
            },
        )
    }

    /// Bytes written so far.
    pub fn byte_count(&self) -> u64 {
        self.bytes
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what passes through it.
pub struct HashReader<R> {
    pub(super) inner: R,
    pub(super) hasher: Sha256,
    pub(super) bytes: u64,
    /// False: counted only ([`StoredHash::CountOnly`]).
    pub(super) hashing: bool,
}

impl<R: Read> HashReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        HashReader::with(inner, StoredHash::Sha256)
    }

    /// Wraps a reader, hashing or only counting.
    pub fn with(inner: R, hash: StoredHash) -> Self {
        HashReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            hashing: hash == StoredHash::Sha256,
        }
    }

    /// Reads the rest of the stream (so trailing bytes count) and returns its digest.
    pub fn finish(mut self) -> io::Result<(R, Digest)> {
        io::copy(&mut self, &mut io::sink())?;
        let sha256 = if self.hashing {
            hex(&self.hasher.finalize())
        } else {
            String::new()
        };
        Ok((
            self.inner,
            Digest {
                bytes: self.bytes,
                sha256,
            },
        ))
    }

    /// Bytes read so far.
    pub fn byte_count(&self) -> u64 {
        self.bytes
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hashing {
            self.hasher.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// sha256 (hex) and size of everything a reader yields.
pub fn digest_of(reader: impl Read) -> io::Result<Digest> {
    let (_, d) = HashReader::new(reader).finish()?;
    Ok(d)
}

/// Reads as much as fits in `buf` (short only at the end of the stream).
pub fn read_full<R: Read + ?Sized>(src: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
