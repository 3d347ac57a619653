//! [`OffsetWriter`]: the decoded dump into a file, each data block's offset written
//! into the file's table of contents as soon as the block is complete.

use super::{Entry, OffsetScanner, ScanEvent, BUF};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;

/// Writes the decoded dump into a file, and each data block's offset into the file's
/// table of contents as soon as the block is complete.
pub struct OffsetWriter {
    scanner: OffsetScanner<BufWriter<File>>,
    /// The same file, for writing into the table of contents.
    file: File,
    recorded: usize,
    /// The table of contents, once it has been written.
    toc: Vec<Entry>,
}

impl OffsetWriter {
    /// Writes into `file` (empty, at its start).
    pub fn new(file: File) -> io::Result<OffsetWriter> {
        Ok(OffsetWriter {
            scanner: OffsetScanner::new(BufWriter::with_capacity(BUF, file.try_clone()?)),
            file,
            recorded: 0,
            toc: Vec::new(),
        })
    }

    /// The entries of the dump's table of contents (none when it was not understood).
    pub fn take_toc(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.toc)
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
            if let ScanEvent::Toc(entries) = event {
                self.toc = entries;
            } else if let ScanEvent::Block {
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
