//! Streaming encoders and decoders for stored files: zstd, gzip (flate2) or none,
//! each wrapped in sha256 hashers and byte counters on both sides, so that one pass
//! yields the raw and the stored digests.
//!
//! zstd with worker threads writes independent frames ([`frames`]) that
//! [`Decoder::new_parallel`] decodes on several threads ([`parallel`]); without
//! threads it writes one stream, as old backups are. Every decoder reads both.
//!
//! Memory is bounded by the codec's window and buffers, whatever the size of
//! the stream.

mod copy;
mod frame_encoder;
pub mod frames;
mod hash;
pub mod parallel;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_framed;
#[cfg(test)]
mod tests_overhead;
mod unframe;

pub use hash::{
    digest_of, hex, read_full, Digest, Digests, HashReader, HashWriter, RawHash, StoredHash,
};
pub use parallel::FrameDecoder;

use sha2::Digest as _;
use std::io::{self, BufReader, Read, Write};

/// How a stored file is compressed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// Zstandard: fast, multithreaded, the default.
    #[default]
    Zstd,
    /// gzip through flate2, for people who want `.gz`.
    Gzip,
    /// No compression.
    None,
}

impl Codec {
    /// The file-name suffix of the codec (`.zst`, `.gz`, or nothing).
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Zstd => ".zst",
            Codec::Gzip => ".gz",
            Codec::None => "",
        }
    }

    /// The codec's default level (zstd 3, gzip 6).
    pub fn default_level(self) -> i32 {
        match self {
            Codec::Zstd => 3,
            Codec::Gzip => 6,
            Codec::None => 0,
        }
    }

    /// The levels the codec accepts.
    pub fn level_range(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Codec::Zstd => 1..=19,
            Codec::Gzip => 1..=9,
            Codec::None => 0..=0,
        }
    }

    /// The lowercase name used in manifests and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::Gzip => "gzip",
            Codec::None => "none",
        }
    }
}

enum CodecWriter<W: Write> {
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Gzip(flate2::write::GzEncoder<W>),
    Plain(W),
}

impl<W: Write> CodecWriter<W> {
    fn finish(self) -> io::Result<W> {
        match self {
            CodecWriter::Zstd(e) => e.finish(),
            CodecWriter::Gzip(e) => e.finish(),
            CodecWriter::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
        }
    }
}

impl<W: Write> Write for CodecWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            CodecWriter::Zstd(e) => e.write(buf),
            CodecWriter::Gzip(e) => e.write(buf),
            CodecWriter::Plain(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            CodecWriter::Zstd(e) => e.flush(),
            CodecWriter::Gzip(e) => e.flush(),
            CodecWriter::Plain(w) => w.flush(),
        }
    }
}

/// The chunk size callers of [`Encoder::write_vec`] use with the single-stream codecs.
const STREAM_CHUNK: usize = 1 << 20;

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// The codec.
    pub codec: Codec,
    /// Compression level; `None` for the codec's default.
    pub level: Option<i32>,
    /// zstd worker threads (0: one stream compressed on the calling thread; more:
    /// independent frames compressed in parallel, see [`frames`]).
    pub threads: u32,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            codec: Codec::Zstd,
            level: None,
            threads: 2,
        }
    }
}

/// A streaming encoder: write raw bytes in, stored bytes go to the sink; both sides hashed.
pub struct Encoder<W: Write> {
    inner: EncoderKind<W>,
}

enum EncoderKind<W: Write> {
    Stream(HashWriter<CodecWriter<HashWriter<W>>>),
    Framed(frame_encoder::FrameEncoder<W>),
}

impl<W: Write> Encoder<W> {
    /// An encoder writing into `sink`.
    pub fn new(sink: W, opts: EncodeOptions) -> io::Result<Self> {
        Encoder::with_frame_size(sink, opts, frames::MAX_FRAME)
    }

    /// An encoder whose zstd frames (with worker threads) hold at most `frame` raw
    /// bytes instead of [`frames::MAX_FRAME`]: for tests and benchmarks.
    pub fn with_frame_size(sink: W, opts: EncodeOptions, frame: usize) -> io::Result<Self> {
        let level = opts.level.unwrap_or(opts.codec.default_level());
        if !opts.codec.level_range().contains(&level) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "level {level} is out of range for {} ({:?})",
                    opts.codec.as_str(),
                    opts.codec.level_range()
                ),
            ));
        }
        if opts.codec == Codec::Zstd && opts.threads > 0 {
            return Ok(Encoder {
                inner: EncoderKind::Framed(frame_encoder::FrameEncoder::new(
                    sink,
                    level,
                    opts.threads,
                    frame,
                )?),
            });
        }
        let stored = HashWriter::new(sink);
        let codec = match opts.codec {
            Codec::Zstd => {
                let mut e = zstd::stream::write::Encoder::new(stored, level)?;
                e.include_checksum(true)?;
                CodecWriter::Zstd(e)
            }
            Codec::Gzip => CodecWriter::Gzip(flate2::write::GzEncoder::new(
                stored,
                flate2::Compression::new(level.unsigned_abs()),
            )),
            Codec::None => CodecWriter::Plain(stored),
        };
        Ok(Encoder {
            inner: EncoderKind::Stream(HashWriter::new(codec)),
        })
    }

    /// Raw bytes written so far.
    pub fn raw_bytes(&self) -> u64 {
        match &self.inner {
            EncoderKind::Stream(w) => w.byte_count(),
            EncoderKind::Framed(f) => f.raw_bytes(),
        }
    }

    /// The read size to use with [`Encoder::write_vec`].
    pub fn preferred_chunk(&self) -> usize {
        match &self.inner {
            EncoderKind::Stream(_) => STREAM_CHUNK,
            EncoderKind::Framed(f) => f.frame(),
        }
    }

    /// Writes all of `buf` and returns it emptied for the next read.
    pub fn write_vec(&mut self, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
        match &mut self.inner {
            EncoderKind::Framed(f) => f.write_vec(buf),
            EncoderKind::Stream(w) => {
                w.write_all(&buf)?;
                buf.clear();
                Ok(buf)
            }
        }
    }

    /// Ends the stream (codec trailer), returns the sink and both digests.
    pub fn finish(self) -> io::Result<(W, Digests)> {
        match self.inner {
            EncoderKind::Framed(f) => f.finish(),
            EncoderKind::Stream(inner) => {
                let (codec, raw) = inner.finish();
                let stored_writer = codec.finish()?;
                let (sink, stored) = stored_writer.finish();
                Ok((sink, Digests { raw, stored }))
            }
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            EncoderKind::Stream(w) => w.write(buf),
            EncoderKind::Framed(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            EncoderKind::Stream(w) => w.flush(),
            EncoderKind::Framed(f) => f.flush(),
        }
    }
}

/// A source whose first bytes were already read (to recognise the format).
struct Peeked<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = (self.head.len() - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// The decoded frames of a framed stream, as a reader.
struct FramedReader {
    frames: FrameDecoder,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for FramedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.frames.next_frame()? {
                Some(next) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    self.frames.recycle(old);
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
        let n = (self.cur.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

enum CodecReader<R: Read> {
    Zstd(zstd::stream::read::Decoder<'static, BufReader<HashReader<Peeked<R>>>>),
    Gzip(flate2::read::MultiGzDecoder<HashReader<Peeked<R>>>),
    Plain(HashReader<Peeked<R>>),
    Framed(FramedReader),
}

impl<R: Read> Read for CodecReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            CodecReader::Zstd(d) => d.read(buf),
            CodecReader::Gzip(d) => d.read(buf),
            CodecReader::Plain(r) => r.read(buf),
            CodecReader::Framed(f) => f.read(buf),
        }
    }
}

/// Why [`Decoder::copy_to`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The stored stream does not decode (or cannot be read).
    #[error("{0}")]
    Decode(io::Error),
    /// The sink refused the decoded bytes.
    #[error("{0}")]
    Write(io::Error),
}

/// A streaming decoder: read stored bytes from the source, raw bytes come out; both sides hashed.
pub struct Decoder<R: Read> {
    inner: HashReader<CodecReader<R>>,
}

impl<R: Read + Send + 'static> Decoder<R> {
    /// A decoder that decodes framed zstd streams (see [`frames`]) on
    /// [`parallel::DECODE_THREADS`] threads, and anything else as [`Decoder::new`].
    ///
    /// Reads the first bytes of `source` to recognise the format.
    pub fn new_parallel(source: R, codec: Codec) -> io::Result<Self> {
        Decoder::new_parallel_with(source, codec, StoredHash::Sha256, RawHash::Always)
    }

    /// [`Decoder::new_parallel`], hashing the source's bytes or only counting them
    /// (`sha256` empty in [`Decoder::finish`]'s stored digest), and hashing the
    /// decoded bytes unless `raw` and the format let it off (`sha256` empty in the
    /// raw digest; see [`RawHash`], and [`Decoder::unchecked_frames`] after the end).
    pub fn new_parallel_with(
        mut source: R,
        codec: Codec,
        hash: StoredHash,
        raw: RawHash,
    ) -> io::Result<Self> {
        if codec != Codec::Zstd {
            return Decoder::with_head(Vec::new(), source, codec, hash);
        }
        let mut head = vec![0u8; frames::HEADER_LEN];
        let got = read_full(&mut source, &mut head)?;
        head.truncate(got);
        if frames::is_framed(&head) {
            let frames = FrameDecoder::spawn_with(head, source, hash)?;
            let raw_hash = if raw.framed_takes(hash) {
                StoredHash::Sha256
            } else {
                StoredHash::CountOnly
            };
            return Ok(Decoder {
                inner: HashReader::with(
                    CodecReader::Framed(FramedReader {
                        frames,
                        cur: Vec::new(),
                        pos: 0,
                    }),
                    raw_hash,
                ),
            });
        }
        Decoder::with_head(head, source, codec, hash)
    }
}

impl<R: Read> Decoder<R> {
    /// A decoder reading from `source`, on the calling thread.
    pub fn new(source: R, codec: Codec) -> io::Result<Self> {
        Decoder::with_head(Vec::new(), source, codec, StoredHash::Sha256)
    }

    fn with_head(head: Vec<u8>, source: R, codec: Codec, hash: StoredHash) -> io::Result<Self> {
        let stored = HashReader::with(
            Peeked {
                head,
                pos: 0,
                inner: source,
            },
            hash,
        );
        let reader = match codec {
            Codec::Zstd => CodecReader::Zstd(zstd::stream::read::Decoder::new(stored)?),
            Codec::Gzip => CodecReader::Gzip(flate2::read::MultiGzDecoder::new(stored)),
            Codec::None => CodecReader::Plain(stored),
        };
        Ok(Decoder {
            inner: HashReader::new(reader),
        })
    }

    /// Raw bytes decoded so far.
    pub fn raw_bytes(&self) -> u64 {
        self.inner.byte_count()
    }

    /// The frames decoded so far that carried no content checksum (framed zstd only;
    /// zero otherwise): when the raw sha256 was not taken ([`RawHash`]), nothing
    /// proved their decode.
    pub fn unchecked_frames(&self) -> u64 {
        match &self.inner.inner {
            CodecReader::Framed(f) => f.frames.unchecked_frames(),
            _ => 0,
        }
    }

    /// Decodes everything into `sink` (framed streams without an extra copy, their
    /// raw sha256 on a thread of its own: see [`copy`]) and returns the number of raw
    /// bytes; [`Decoder::finish`] then gives the digests.
    pub fn copy_to(&mut self, sink: &mut dyn Write) -> Result<u64, CopyError> {
        if let CodecReader::Framed(f) = &mut self.inner.inner {
            // What the reader has not handed out yet comes first.
            let rest = &f.cur[f.pos.min(f.cur.len())..];
            let mut hasher = self.inner.hashing.then_some(&mut self.inner.hasher);
            if let Some(h) = hasher.as_mut() {
                h.update(rest);
            }
            self.inner.bytes += rest.len() as u64;
            sink.write_all(rest).map_err(CopyError::Write)?;
            f.pos = f.cur.len();
            copy::copy_frames(&mut f.frames, hasher, &mut self.inner.bytes, sink)?;
            return Ok(self.inner.bytes);
        }
        let mut buf = vec![0u8; STREAM_CHUNK];
        loop {
            let n = match self.read(&mut buf) {
                Ok(0) => return Ok(self.inner.bytes),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Decode(e)),
            };
            sink.write_all(&buf[..n]).map_err(CopyError::Write)?;
        }
    }

    /// Reads to the end (raw and stored) and returns both digests.
    ///
    /// Trailing stored bytes after the end of the compressed stream are read and
    /// hashed too, so that they change the stored digest.
    pub fn finish(self) -> io::Result<Digests> {
        let (codec, raw) = self.inner.finish()?;
        let stored_reader = match codec {
            CodecReader::Zstd(d) => d.finish().into_inner(),
            CodecReader::Gzip(d) => d.into_inner(),
            CodecReader::Plain(r) => r,
            CodecReader::Framed(f) => {
                let stored = f.frames.finish()?;
                return Ok(Digests { raw, stored });
            }
        };
        let (_, stored) = stored_reader.finish()?;
        Ok(Digests { raw, stored })
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}
