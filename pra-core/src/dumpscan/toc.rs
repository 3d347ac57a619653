//! The header and table of contents of a custom-format dump (`ReadHead`, `ReadToc` of
//! `pg_backup_archiver.c`), parsed from memory.

/// `K_OFFSET_POS_NOT_SET`: the entry has data, its position is unknown.
const POS_NOT_SET: u8 = 1;
/// The table of contents is parsed from memory: a larger one is not worth it.
pub(super) const MAX_TOC: usize = 256 << 20;

/// Where an entry's offset field sits in the file, and the entry's dump id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) dump_id: i64,
    /// File position of the flag byte of the entry's offset field.
    pub(super) at: u64,
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
    /// Its schema (empty for objects without one), as the dump spells it.
    pub namespace: String,
    /// Its name (a table's for `TABLE DATA`), as the dump spells it.
    pub tag: String,
    /// The dump ids of the entries it depends on (an index's table, ...).
    pub deps: Vec<i64>,
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
pub(super) struct Toc {
    pub(super) int_size: usize,
    pub(super) off_size: usize,
    /// Entries whose data position is not set.
    pub(super) unset: Vec<Slot>,
    /// Every entry, in order.
    pub(super) entries: Vec<Entry>,
    /// Bytes the header and table of contents take (data blocks start here).
    pub(super) len: usize,
}

pub(super) enum ParseError {
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

pub(super) fn le_value(bytes: &[u8]) -> i64 {
    bytes
        .iter()
        .rev()
        .fold(0i64, |acc, &b| acc.wrapping_shl(8) | i64::from(b))
}

/// Parses the header and table of contents at the start of `buf`.
pub(super) fn parse_toc(buf: &[u8]) -> Result<Toc, ParseError> {
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
        c.skip_str()?; // table oid
        c.skip_str()?; // oid
        let text = |s: Option<&[u8]>| String::from_utf8_lossy(s.unwrap_or_default()).into_owned();
        let tag = text(c.str()?);
        let desc = text(c.str()?);
        let section = match c.int()? {
            2 => Section::PreData,
            3 => Section::Data,
            4 => Section::PostData,
            _ => Section::None,
        };
        for _ in 0..3 {
            c.skip_str()?; // defn, drop, copy
        }
        let namespace = text(c.str()?);
        // tablespace, [table access method,] owner, with-oids
        let strings = if minor >= 14 { 4 } else { 3 };
        for _ in 0..strings {
            c.skip_str()?;
        }
        // Dependencies: dump ids as text, NULL-terminated.
        let mut deps = Vec::new();
        while let Some(dep) = c.str()? {
            let dep = std::str::from_utf8(dep).ok().and_then(|d| d.parse().ok());
            deps.push(dep.ok_or_else(|| ParseError::Bad("dependency id".into()))?);
        }
        entries.push(Entry {
            dump_id,
            desc,
            section,
            namespace,
            tag,
            deps,
        });
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
