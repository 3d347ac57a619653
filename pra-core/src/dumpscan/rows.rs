//! Each table's row count, read from a custom-format dump as it streams by.

use super::{OffsetScanner, ScanEvent};
use std::collections::HashMap;
use std::io::{self, Write};

/// Counts the rows of every `TABLE DATA` block of a `pg_dump -Fc -Z0` stream fed to
/// it in pieces; [`RowCounter::finish`] names them by schema and table.
#[derive(Debug)]
pub struct RowCounter {
    scanner: OffsetScanner<io::Sink>,
    /// `TABLE DATA` entries: dump id -> (schema, table).
    tables: HashMap<i64, (String, String)>,
    /// Counted blocks: dump id -> rows.
    rows: HashMap<i64, u64>,
}

impl Default for RowCounter {
    fn default() -> Self {
        RowCounter {
            scanner: OffsetScanner::new(io::sink()).counting_rows(),
            tables: HashMap::new(),
            rows: HashMap::new(),
        }
    }
}

impl RowCounter {
    /// A counter at the start of a dump.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next bytes of the dump.
    pub fn feed(&mut self, data: &[u8]) {
        // Writing to a sink never fails.
        let _ = self.scanner.write_all(data);
        for event in self.scanner.take_events() {
            match event {
                ScanEvent::Toc(entries) => {
                    self.tables = entries
                        .into_iter()
                        .filter(|e| e.desc == "TABLE DATA")
                        .map(|e| (e.dump_id, (e.namespace, e.tag)))
                        .collect();
                }
                ScanEvent::Block {
                    dump_id,
                    rows: Some(rows),
                    ..
                } => {
                    self.rows.insert(dump_id, rows);
                }
                ScanEvent::Block { .. } => {}
            }
        }
    }

    /// The rows of each table whose data block the dump held, by (schema, table) as
    /// the catalog spells them; an error says why the stream could not be followed
    /// to its end (the caller counts those tables another way).
    pub fn finish(self) -> Result<HashMap<(String, String), u64>, String> {
        if let Some(why) = self.scanner.gave_up() {
            return Err(why.to_string());
        }
        if !self.scanner.at_block_boundary() {
            return Err("the dump ended inside its table of contents or a data block".into());
        }
        let mut rows = self.rows;
        Ok(self
            .tables
            .into_iter()
            .filter_map(|(id, name)| rows.remove(&id).map(|n| (name, n)))
            .collect())
    }
}
