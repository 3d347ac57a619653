//! The `--history` file: one `status` event per run, appended as a JSON line,
//! read back as availability samples.

use crate::availability::Sample;
use chrono::{DateTime, Utc};
use pra_core::event::Event;
use serde::Deserialize;
use std::io::{self, BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Appends an event as one line. One `write` of the whole line on an `O_APPEND`
/// file: two runs appending at once do not interleave their lines.
pub fn append(path: &Path, event: &Event) -> io::Result<()> {
    let mut line = event.to_json_line().into_bytes();
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)?;
    f.write_all(&line)?;
    f.sync_data()
}

/// Only the fields availability needs: decoding skips the rest without building it.
#[derive(Deserialize)]
struct Line {
    schema: String,
    kind: String,
    ts: String,
    status: String,
    #[serde(default)]
    up: Option<bool>,
}

/// What was read from the history.
#[derive(Debug, Default)]
pub struct History {
    /// The `status` samples, in file order.
    pub samples: Vec<Sample>,
    /// Lines that were not readable `status` events (other kinds are not counted).
    pub unreadable: u64,
}

/// Reads the samples at or after `since`, plus the last one before it (it covers
/// the start of the window). A missing file is an empty history.
pub fn read(path: &Path, since: DateTime<Utc>) -> io::Result<History> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(History::default()),
        Err(e) => return Err(e),
    };
    let mut out = History::default();
    let mut before: Option<Sample> = None;
    for line in io::BufReader::new(file).split(b'\n') {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let Ok(l) = serde_json::from_slice::<Line>(&line) else {
            out.unreadable += 1;
            continue;
        };
        if l.schema != pra_core::event::SCHEMA || l.kind != "status" {
            continue;
        }
        let Ok(at) = pra_core::time::parse_ts(&l.ts) else {
            out.unreadable += 1;
            continue;
        };
        // Events from before `up` existed: an error status counts as down.
        let up = l.up.unwrap_or(l.status != "error");
        let s = Sample { at, up };
        if at < since {
            if before.is_none_or(|b| b.at < at) {
                before = Some(s);
            }
        } else {
            out.samples.push(s);
        }
    }
    if let Some(b) = before {
        out.samples.insert(0, b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::{Kind, Status};

    #[test]
    fn appends_and_reads_back_ignoring_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        let e1 = Event::new("pra-status", Kind::Status, Status::Ok, "a").with_field("up", true);
        let e2 = Event::new("pra-status", Kind::Status, Status::Error, "b");
        append(&path, &e1).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"garbage\n")
            .unwrap();
        append(
            &path,
            &Event::new("pra-status", Kind::Check, Status::Ok, "c"),
        )
        .unwrap();
        append(&path, &e2).unwrap();
        let h = read(&path, e1.ts - chrono::Duration::seconds(1)).unwrap();
        assert_eq!(h.samples.len(), 2);
        assert!(h.samples[0].up && !h.samples[1].up);
        assert_eq!(h.unreadable, 1);
        let none = read(&dir.path().join("missing"), e1.ts).unwrap();
        assert!(none.samples.is_empty());
    }
}
