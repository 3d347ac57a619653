//! Data offsets and row counts of a custom-format dump that was written to a pipe.
//!
//! `pg_dump -Fc` writing to a file goes back at the end and records, in each table
//! of contents entry, where that entry's data block starts. Written to a pipe (as
//! pra-backup runs it) it cannot seek, so the entries say "position not set", and
//! `pg_restore -j N` then makes every worker walk the file from the start, chunk
//! header by chunk header (one chunk per row), to find its table: measured at +4 to
//! +10 s on a 40 s restore of the 1 GB `app` dump (docs/PERFORMANCE.md).
//!
//! [`OffsetScanner`] watches the decoded dump on its way into the temporary file,
//! parses the header and table of contents, then follows the data blocks and notes
//! where each starts; [`Offsets::patch`] then writes those positions into the file's
//! table of contents in place (each field has a fixed size), exactly what `pg_dump`
//! does for a seekable file. Anything it does not fully understand (another archive
//! version, a malformed stream) leaves the file untouched: `pg_restore` still works,
//! only slower. `pg_restore` itself checks each block's id when it seeks to it.
//!
//! pra-backup runs the same scanner over `pg_dump`'s output on its way into the
//! repository and counts each table's rows as the lines of its COPY data
//! ([`RowCounter`]): the manifest's counts are those of the dump itself, for the
//! price of one pass over bytes already in cache instead of a second session's
//! `count(*)` scans competing with `pg_dump` for the CPU and the disk.
//!
//! The format is PostgreSQL's `pg_backup_archiver.c` / `pg_backup_custom.c`
//! (archive versions 1.12 to 1.15, PostgreSQL 9.5 to 16).

mod rows;
mod toc;
mod writer;

pub use rows::RowCounter;
pub use toc::{Entry, Section};
pub use writer::OffsetWriter;

use std::collections::HashMap;
use std::io::{self, Write};
use toc::{le_value, parse_toc, ParseError, Toc, MAX_TOC};

/// `K_OFFSET_POS_SET`: the entry's data starts at the recorded position.
const POS_SET: u8 = 2;
/// `BLK_DATA`: a table's COPY data.
const BLK_DATA: u8 = 1;
/// `BLK_BLOBS`: large objects.
const BLK_BLOBS: u8 = 3;
/// `pg_dump` ends each table's COPY data with a chunk of its own: `\.` and three
/// newlines (`dumpTableData_copy`), which are no rows. Its five bytes, big-endian.
const COPY_END: u64 = 0x5c_2e_0a_0a_0a;
/// Write buffer of the decoded dump.
const BUF: usize = 1 << 20;

/// What the data section scanner expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A block type byte (or the end of the file).
    BlockType,
    /// The dump id of a block of this type.
    BlockId(u8),
    /// A chunk length in a table's data block (0 ends the block).
    DataChunk,
    /// A large object's oid (0 ends the block).
    BlobOid,
    /// A chunk length in a large object (0 ends the object).
    BlobChunk,
}

/// What the scanner learnt from the bytes written last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEvent {
    /// The table of contents is complete (all of it has been written).
    Toc(Vec<Entry>),
    /// The data block of this entry is complete; `field` is its offset field, as
    /// `(position in the file, bytes to write there)`.
    Block {
        /// The entry's dump id.
        dump_id: i64,
        /// Where its offset field is and what to write there, when it had none.
        field: Option<(u64, Vec<u8>)>,
        /// The rows of a table's data block, when the scanner counts them
        /// ([`OffsetScanner::counting_rows`]); `None` for large objects.
        rows: Option<u64>,
    },
}

/// Follows the decoded dump as it is written and notes where each data block starts.
#[derive(Debug)]
pub struct OffsetScanner<W> {
    inner: W,
    /// Bytes seen so far.
    pos: u64,
    state: State,
    /// Learnt and not yet taken by [`OffsetScanner::take_events`].
    events: Vec<ScanEvent>,
    /// Whether table data lines are counted.
    count: bool,
}

#[derive(Debug)]
enum State {
    /// Collecting the header and table of contents.
    Head(Vec<u8>),
    /// Walking the data blocks.
    Data {
        toc: Toc,
        expect: Expect,
        /// Bytes of the current fixed-size field read so far.
        field: Vec<u8>,
        /// Data bytes still to skip.
        skip: u64,
        /// Position of the current block's type byte.
        block_at: u64,
        /// Dump id of the current block.
        current: i64,
        /// Lines of the current table data block so far (when counting).
        rows: u64,
        /// The last bytes of the current table data block, one per byte of the u64.
        tail: u64,
        /// Length of the current block's last chunk.
        last_chunk: u64,
        /// Dump id -> block start.
        found: HashMap<i64, u64>,
    },
    /// Not understood: no offsets will be written.
    GaveUp(String),
}

impl<W: Write> OffsetScanner<W> {
    /// Wraps the writer that receives the decoded dump.
    pub fn new(inner: W) -> Self {
        OffsetScanner {
            inner,
            pos: 0,
            state: State::Head(Vec::new()),
            events: Vec::new(),
            count: false,
        }
    }

    /// Also counts the rows of each table's data block: COPY's text format ends every
    /// row with a newline and escapes the newlines inside values (`\n`), so rows are
    /// the lines of the block (`pg_dump` stores no `\.` terminator in an archive).
    pub fn counting_rows(mut self) -> Self {
        self.count = true;
        self
    }

    /// True when the bytes seen end exactly between two data blocks (or after the
    /// table of contents): a stream that stopped anywhere else was cut short.
    pub fn at_block_boundary(&self) -> bool {
        matches!(
            &self.state,
            State::Data { expect: Expect::BlockType, field, skip: 0, .. } if field.is_empty()
        )
    }

    /// What was learnt since the last call: the table of contents, finished blocks.
    pub fn take_events(&mut self) -> Vec<ScanEvent> {
        std::mem::take(&mut self.events)
    }

    /// The writer the dump goes to.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Why the scanner stopped following the dump, if it did.
    pub fn gave_up(&self) -> Option<&str> {
        match &self.state {
            State::GaveUp(why) => Some(why),
            _ => None,
        }
    }

    fn scan(&mut self, data: &[u8]) {
        let base = self.pos;
        self.pos += data.len() as u64;
        match &mut self.state {
            State::GaveUp(_) => {}
            State::Head(buf) => {
                buf.extend_from_slice(data);
                match parse_toc(buf) {
                    Ok(toc) => {
                        let rest = buf.split_off(toc.len);
                        self.events.push(ScanEvent::Toc(toc.entries.clone()));
                        self.state = State::Data {
                            expect: Expect::BlockType,
                            field: Vec::new(),
                            skip: 0,
                            block_at: toc.len as u64,
                            current: 0,
                            rows: 0,
                            tail: 0,
                            last_chunk: 0,
                            found: HashMap::new(),
                            toc,
                        };
                        self.pos = base + data.len() as u64 - rest.len() as u64;
                        self.scan(&rest);
                    }
                    Err(ParseError::More) if buf.len() <= MAX_TOC => {}
                    Err(ParseError::More) => {
                        self.state = State::GaveUp("table of contents too large".into());
                    }
                    Err(ParseError::Bad(why)) => self.state = State::GaveUp(why),
                }
            }
            State::Data { .. } => {
                if let Err(why) = self.walk(base, data) {
                    self.state = State::GaveUp(why);
                }
            }
        }
    }

    /// Walks data-section bytes starting at file position `base`.
    fn walk(&mut self, base: u64, mut data: &[u8]) -> Result<(), String> {
        let State::Data {
            toc,
            expect,
            field,
            skip,
            block_at,
            current,
            rows,
            tail,
            last_chunk,
            found,
        } = &mut self.state
        else {
            return Ok(());
        };
        let count = self.count;
        let events = &mut self.events;
        let mut done = |id: i64, start: u64, rows: Option<u64>| {
            let field = toc
                .unset
                .iter()
                .find(|s| s.dump_id == id)
                .map(|s| (s.at, offset_field(start, toc.off_size)));
            events.push(ScanEvent::Block {
                dump_id: id,
                field,
                rows,
            });
        };
        let mut at = base;
        while !data.is_empty() {
            if *skip > 0 {
                let n = usize::try_from((*skip).min(data.len() as u64)).unwrap_or(data.len());
                if count && *expect == Expect::DataChunk {
                    *rows += count_lines(&data[..n]);
                    *tail = data[n.saturating_sub(8)..n]
                        .iter()
                        .fold(*tail, |t, &b| (t << 8) | u64::from(b));
                }
                *skip -= n as u64;
                data = &data[n..];
                at += n as u64;
                continue;
            }
            // The common case: a run of a table's rows (one chunk each) wholly in
            // `data`, read without going through `field`, and its lines counted in
            // one pass over the run, less the newline bytes of the chunks' lengths.
            if *expect == Expect::DataChunk && field.is_empty() {
                let head = 1 + toc.int_size;
                let (mut i, mut in_heads, mut last) = (0, 0, None);
                while let Some(n) = whole_chunk(&data[i..], toc.int_size) {
                    if count {
                        in_heads += count_lines(&data[i..i + head]);
                    }
                    last = Some((i + head, n));
                    i += head + n;
                }
                if let Some((start, n)) = last {
                    if count {
                        *rows += count_lines(&data[..i]) - in_heads;
                        if n == 5 {
                            *tail = data[start..i]
                                .iter()
                                .fold(0, |t, &b| (t << 8) | u64::from(b));
                        }
                    }
                    *last_chunk = n as u64;
                    data = &data[i..];
                    at += i as u64;
                    continue;
                }
            }
            let width = if *expect == Expect::BlockType {
                1
            } else {
                1 + toc.int_size
            };
            if field.is_empty() && *expect == Expect::BlockType {
                *block_at = at;
            }
            let take = (width - field.len()).min(data.len());
            field.extend_from_slice(&data[..take]);
            data = &data[take..];
            at += take as u64;
            if field.len() < width {
                break;
            }
            let value = if width == 1 {
                i64::from(field[0])
            } else {
                let v = le_value(&field[1..]);
                if field[0] == 0 {
                    v
                } else {
                    -v
                }
            };
            field.clear();
            *expect = match *expect {
                Expect::BlockType => match u8::try_from(value) {
                    Ok(t @ (BLK_DATA | BLK_BLOBS)) => Expect::BlockId(t),
                    _ => return Err(format!("unknown block type {value} at byte {block_at}")),
                },
                Expect::BlockId(t) => {
                    if found.insert(value, *block_at).is_some() {
                        return Err(format!("two data blocks for dump id {value}"));
                    }
                    *current = value;
                    *rows = 0;
                    *tail = 0;
                    *last_chunk = 0;
                    if t == BLK_DATA {
                        Expect::DataChunk
                    } else {
                        Expect::BlobOid
                    }
                }
                Expect::DataChunk | Expect::BlobChunk if value < 0 => {
                    return Err(format!("negative chunk length at byte {at}"));
                }
                Expect::DataChunk if value == 0 => {
                    let ends = *last_chunk == 5 && *tail & 0xff_ffff_ffff == COPY_END;
                    let lines = if ends { rows.saturating_sub(3) } else { *rows };
                    done(*current, *block_at, count.then_some(lines));
                    Expect::BlockType
                }
                Expect::BlobChunk if value == 0 => Expect::BlobOid,
                e @ (Expect::DataChunk | Expect::BlobChunk) => {
                    *skip = value.unsigned_abs();
                    *last_chunk = *skip;
                    e
                }
                Expect::BlobOid if value == 0 => {
                    done(*current, *block_at, None);
                    Expect::BlockType
                }
                Expect::BlobOid => Expect::BlobChunk,
            };
        }
        Ok(())
    }
}

impl<W: Write> Write for OffsetScanner<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The length of the data chunk at the start of `data` when its length field and
/// all of its bytes are there and it is not the block's end (length 0).
fn whole_chunk(data: &[u8], int_size: usize) -> Option<usize> {
    let len = data.get(1..1 + int_size)?;
    if data[0] != 0 {
        return None;
    }
    let n = usize::try_from(le_value(len)).ok().filter(|&n| n > 0)?;
    (data.len() - 1 - int_size >= n).then_some(n)
}

/// The newlines in `data`, eight bytes at a time: each byte of a word XORed with
/// `\n` is zero where the newline was, and the usual carry-free test sets the low
/// bit of each zero byte and of no other; those bits are added up per byte for up
/// to 255 words, then across the bytes (no `popcnt` needed: baseline x86-64 has none).
fn count_lines(data: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const EVEN: u64 = 0x00ff_00ff_00ff_00ff;
    let mut n = 0u64;
    let words = data.chunks_exact(8);
    for block in data[..data.len() - words.remainder().len()].chunks(8 * 255) {
        let mut lanes = 0u64;
        for w in block.chunks_exact(8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            let x = u64::from_le_bytes(b) ^ (ONES * u64::from(b'\n'));
            lanes += (!(((x & LOW7) + LOW7) | x) >> 7) & ONES;
        }
        let pairs = (lanes & EVEN) + ((lanes >> 8) & EVEN);
        n += pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48;
    }
    n + words.remainder().iter().filter(|&&b| b == b'\n').count() as u64
}

/// The bytes of an offset field saying "data at `data`" (`WriteOffset`).
fn offset_field(data: u64, off_size: usize) -> Vec<u8> {
    let mut field = vec![POS_SET];
    field.extend((0..off_size).map(|i| if i < 8 { (data >> (8 * i)) as u8 } else { 0 }));
    field
}

#[cfg(test)]
mod tests;
