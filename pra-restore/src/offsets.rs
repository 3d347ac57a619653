//! Data offsets for a custom-format dump that was written to a pipe.
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
//! The format is PostgreSQL's `pg_backup_archiver.c` / `pg_backup_custom.c`
//! (archive versions 1.12 to 1.15, PostgreSQL 9.5 to 16).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;

/// `K_OFFSET_POS_NOT_SET`: the entry has data, its position is unknown.
const POS_NOT_SET: u8 = 1;
/// `K_OFFSET_POS_SET`: the entry's data starts at the recorded position.
const POS_SET: u8 = 2;
/// `BLK_DATA`: a table's COPY data.
const BLK_DATA: u8 = 1;
/// `BLK_BLOBS`: large objects.
const BLK_BLOBS: u8 = 3;
/// Write buffer of the decoded dump.
const BUF: usize = 1 << 20;
/// The table of contents is parsed from memory: a larger one is not worth it.
const MAX_TOC: usize = 256 << 20;

/// Where an entry's offset field sits in the file, and the entry's dump id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    dump_id: i64,
    /// File position of the flag byte of the entry's offset field.
    at: u64,
}

/// One entry of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its dump id (what `pg_restore -L` lists name).
    pub dump_id: i64,
    /// What it is (`TABLE`, `TABLE DATA`, `INDEX`, ...).
    pub desc: String,
    /// Its section: pre-data, data, post-data or none.
    pub section: Section,
}

/// The section of an entry (`teSection` in pg_backup.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Not tied to a section (comments, ACLs, ...).
    None,
    /// Schema that data needs (tables, types, functions).
    PreData,
    /// Table data, sequence values, large objects.
    Data,
    /// What is built on the data (indexes, constraints, triggers).
    PostData,
}

/// What the header and table of contents say.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Toc {
    int_size: usize,
    off_size: usize,
    /// Entries whose data position is not set.
    unset: Vec<Slot>,
    /// Every entry, in order.
    entries: Vec<Entry>,
    /// Bytes the header and table of contents take (data blocks start here).
    len: usize,
}

enum ParseError {
    /// The buffer ends before the table of contents does.
    More,
    /// Not a custom-format archive this code understands.
    Bad(String),
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    int_size: usize,
}

impl Cursor<'_> {
    fn bytes(&mut self, n: usize) -> Result<&[u8], ParseError> {
        let end = self.pos.checked_add(n).ok_or(ParseError::More)?;
        let s = self.buf.get(self.pos..end).ok_or(ParseError::More)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, ParseError> {
        Ok(self.bytes(1)?[0])
    }

    /// `ReadInt`: a sign byte, then `int_size` bytes little-endian.
    fn int(&mut self) -> Result<i64, ParseError> {
        let int_size = self.int_size;
        let sign = self.byte()?;
        let v = le_value(self.bytes(int_size)?);
        Ok(if sign == 0 { v } else { -v })
    }

    /// `ReadStr`: a length (-1 for NULL), then the bytes.
    fn str(&mut self) -> Result<Option<&[u8]>, ParseError> {
        let len = self.int()?;
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| ParseError::Bad("string length".into()))?;
        if len > MAX_TOC {
            return Err(ParseError::Bad(format!("string of {len} bytes")));
        }
        self.bytes(len).map(Some)
    }

    /// Skips a string; false for NULL.
    fn skip_str(&mut self) -> Result<bool, ParseError> {
        Ok(self.str()?.is_some())
    }
}

fn le_value(bytes: &[u8]) -> i64 {
    bytes
        .iter()
        .rev()
        .fold(0i64, |acc, &b| acc.wrapping_shl(8) | i64::from(b))
}

/// Parses the header and table of contents at the start of `buf`.
fn parse_toc(buf: &[u8]) -> Result<Toc, ParseError> {
    let mut c = Cursor {
        buf,
        pos: 0,
        int_size: 4,
    };
    if c.bytes(5)? != b"PGDMP" {
        return Err(ParseError::Bad("not a custom-format dump".into()));
    }
    let version = (c.byte()?, c.byte()?, c.byte()?);
    if version.0 != 1 || !(12..=15).contains(&version.1) {
        return Err(ParseError::Bad(format!(
            "archive version {}.{}.{}",
            version.0, version.1, version.2
        )));
    }
    let minor = version.1;
    c.int_size = usize::from(c.byte()?);
    let off_size = usize::from(c.byte()?);
    let format = c.byte()?;
    if !(1..=8).contains(&c.int_size) || !(1..=8).contains(&off_size) || format != 1 {
        return Err(ParseError::Bad(format!(
            "int size {}, offset size {off_size}, format {format}",
            c.int_size
        )));
    }
    if minor >= 15 {
        c.byte()?; // compression algorithm
    } else {
        c.int()?; // compression level
    }
    for _ in 0..7 {
        c.int()?; // creation time, struct tm
    }
    for _ in 0..3 {
        c.skip_str()?; // database name, server version, pg_dump version
    }
    let count = c.int()?;
    let mut unset = Vec::new();
    let mut entries = Vec::new();
    for _ in 0..count {
        let dump_id = c.int()?;
        c.int()?; // has a data dumper
        for _ in 0..3 {
            c.skip_str()?; // table oid, oid, tag
        }
        let desc = String::from_utf8_lossy(c.str()?.unwrap_or_default()).into_owned();
        let section = match c.int()? {
            2 => Section::PreData,
            3 => Section::Data,
            4 => Section::PostData,
            _ => Section::None,
        };
        entries.push(Entry {
            dump_id,
            desc,
            section,
        });
        let strings = if minor >= 14 { 7 } else { 6 };
        // defn, drop, copy, namespace, tablespace, [table access method,] owner, with-oids
        for _ in 0..=strings {
            c.skip_str()?;
        }
        while c.skip_str()? {} // dependencies, NULL-terminated
        let at = c.pos as u64;
        let flag = c.byte()?;
        c.bytes(off_size)?;
        if flag == POS_NOT_SET {
            unset.push(Slot { dump_id, at });
        }
    }
    Ok(Toc {
        int_size: c.int_size,
        off_size,
        unset,
        entries,
        len: c.pos,
    })
}

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
        }
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
            found,
        } = &mut self.state
        else {
            return Ok(());
        };
        let events = &mut self.events;
        let mut done = |id: i64, start: u64| {
            let field = toc
                .unset
                .iter()
                .find(|s| s.dump_id == id)
                .map(|s| (s.at, offset_field(start, toc.off_size)));
            events.push(ScanEvent::Block { dump_id: id, field });
        };
        let mut at = base;
        while !data.is_empty() {
            if *skip > 0 {
                let n = usize::try_from((*skip).min(data.len() as u64)).unwrap_or(data.len());
                *skip -= n as u64;
                data = &data[n..];
                at += n as u64;
                continue;
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
                    done(*current, *block_at);
                    Expect::BlockType
                }
                Expect::BlobChunk if value == 0 => Expect::BlobOid,
                e @ (Expect::DataChunk | Expect::BlobChunk) => {
                    *skip = value.unsigned_abs();
                    e
                }
                Expect::BlobOid if value == 0 => {
                    done(*current, *block_at);
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

/// Writes the decoded dump into a file, and each data block's offset into the file's
/// table of contents as soon as the block is complete.
pub struct OffsetWriter {
    scanner: OffsetScanner<BufWriter<File>>,
    /// The same file, for writing into the table of contents.
    file: File,
    recorded: usize,
}

impl OffsetWriter {
    /// Writes into `file` (empty, at its start).
    pub fn new(file: File) -> io::Result<OffsetWriter> {
        Ok(OffsetWriter {
            scanner: OffsetScanner::new(BufWriter::with_capacity(BUF, file.try_clone()?)),
            file,
            recorded: 0,
        })
    }

    /// Flushes the file; says how many offsets were recorded, or why none could be.
    pub fn finish(mut self) -> io::Result<Result<usize, String>> {
        self.scanner.flush()?;
        Ok(match self.scanner.gave_up() {
            Some(why) => Err(why.to_string()),
            None => Ok(self.recorded),
        })
    }
}

impl Write for OffsetWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.scanner.write(buf)?;
        for event in self.scanner.take_events() {
            if let ScanEvent::Block {
                field: Some((at, bytes)),
                ..
            } = event
            {
                // The table of contents must be in the file before it is patched, or
                // the buffered copy would overwrite the patch when flushed.
                self.scanner.get_mut().flush()?;
                self.file.write_all_at(&bytes, at)?;
                self.recorded += 1;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.scanner.flush()
    }
}

/// The bytes of an offset field saying "data at `data`" (`WriteOffset`).
fn offset_field(data: u64, off_size: usize) -> Vec<u8> {
    let mut field = vec![POS_SET];
    field.extend((0..off_size).map(|i| if i < 8 { (data >> (8 * i)) as u8 } else { 0 }));
    field
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_testkit::{load_sample, PgCluster};
    use std::process::Command;

    fn pg_dump(c: &PgCluster, db: &str, to: Option<&std::path::Path>) -> Vec<u8> {
        let mut cmd = Command::new(c.bindir().join("pg_dump"));
        cmd.envs(c.env()).args(["-Fc", "-Z0", "-d", db]);
        if let Some(p) = to {
            cmd.arg("-f").arg(p);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Feeds `dump` in pieces of the given sizes, in turn (fields split across
    /// writes); returns what came through with the offsets written in, and the events.
    fn scan(dump: &[u8], pieces: &[usize]) -> (Vec<u8>, Vec<ScanEvent>, Option<String>) {
        let mut s = OffsetScanner::new(Vec::new());
        let mut events = Vec::new();
        let mut rest = dump;
        for &n in pieces.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(n.min(rest.len()));
            s.write_all(a).unwrap();
            events.extend(s.take_events());
            rest = b;
        }
        let gave_up = s.gave_up().map(str::to_string);
        let mut out = s.get_mut().clone();
        for e in &events {
            if let ScanEvent::Block {
                field: Some((at, bytes)),
                ..
            } = e
            {
                let at = *at as usize;
                out[at..at + bytes.len()].copy_from_slice(bytes);
            }
        }
        (out, events, gave_up)
    }

    /// A dump written to a pipe, once patched, is the dump pg_dump writes to a file
    /// (but for the creation time in the header), and pg_restore -j 2 restores it.
    #[test]
    fn patched_pipe_dump_equals_a_seekable_dump() {
        let c = PgCluster::start();
        load_sample(&c, "src", 1);
        // A large object: its block has a layout of its own.
        c.psql("src", "select lo_from_bytea(0, 'large object bytes')");
        let dir = tempfile::tempdir().unwrap();
        let seekable = dir.path().join("seek.pgc");
        pg_dump(&c, "src", Some(&seekable));
        let piped = pg_dump(&c, "src", None);
        let expected = std::fs::read(&seekable).unwrap();
        assert_eq!(piped.len(), expected.len());

        for pieces in [&[1usize, 2, 3, 5, 7][..], &[4096], &[1 << 20]] {
            let (patched, events, gave_up) = scan(&piped, pieces);
            assert_eq!(gave_up, None);
            let Some(ScanEvent::Toc(entries)) = events.first() else {
                panic!("the table of contents comes first: {events:?}");
            };
            let blocks: Vec<i64> = events
                .iter()
                .filter_map(|e| match e {
                    ScanEvent::Block { dump_id, .. } => Some(*dump_id),
                    ScanEvent::Toc(_) => None,
                })
                .collect();
            let data: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.desc == "TABLE DATA" || e.desc == "BLOBS")
                .collect();
            assert!(data.len() >= 5, "{entries:?}");
            assert!(data.iter().all(|e| e.section == Section::Data));
            let mut want: Vec<i64> = data.iter().map(|e| e.dump_id).collect();
            let mut got = blocks.clone();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "one block per data entry");
            let differing: Vec<usize> = (0..patched.len())
                .filter(|&i| patched[i] != expected[i])
                .collect();
            assert!(
                differing.iter().all(|&i| i < 64),
                "bytes differ past the header's creation time: {:?}",
                &differing[..differing.len().min(20)]
            );
            assert!(
                (0..piped.len()).any(|i| piped[i] != patched[i]),
                "the piped dump had no offsets to patch"
            );
            // The writer pra-restore uses does the same in a real file.
            let path = dir.path().join("patched.pgc");
            let mut w = OffsetWriter::new(File::create(&path).unwrap()).unwrap();
            let mut rest = &piped[..];
            for &n in pieces.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (a, b) = rest.split_at(n.min(rest.len()));
                w.write_all(a).unwrap();
                rest = b;
            }
            assert_eq!(w.finish().unwrap(), Ok(blocks.len()));
            assert!(std::fs::read(&path).unwrap() == patched);
        }

        let path = dir.path().join("patched.pgc");
        c.create_db("dst");
        let out = Command::new(c.bindir().join("pg_restore"))
            .envs(c.env())
            .args(["-j", "2", "--exit-on-error", "-d", "dst"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            pra_testkit::database_digest(&c, "src").diff(&pra_testkit::database_digest(&c, "dst")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn anything_not_understood_leaves_the_file_alone() {
        let (out, events, why) = scan(b"not a dump at all", &[3]);
        assert!(why.unwrap().contains("not a custom-format dump"));
        assert!(out == b"not a dump at all" && events.is_empty());
        let (_, events, why) = scan(b"PGDMP\x01\x0e", &[3]);
        assert!(
            why.is_none() && events.is_empty(),
            "still waiting for the rest"
        );
        let (_, _, why) = scan(b"PGDMP\x01\x63\x00\x04\x08\x01", &[64]);
        assert!(why.unwrap().contains("archive version 1.99"));
    }
}
