//! Reading the event history: JSON-lines files and stdin, one line at a time
//! (pra-core's [`EventReader`]), each event handed on and dropped. Lines that are
//! not `pra.v1` events are counted, the first few remembered for the report, and
//! skipped: a corrupt stretch of a history file must not hide a year of it.

use crate::error::Error;
use pra_core::event::{Event, EventReader};
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

/// Where history comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// The name the report gives it: the path, or `-`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// How many malformed lines are quoted in the report; the rest are only counted.
const EXAMPLES: usize = 5;

/// What the reading saw.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReadStats {
    /// The sources, as named in the report, in the order read.
    pub inputs: Vec<String>,
    /// Lines read.
    pub lines: u64,
    /// Lines that were `pra.v1` events.
    pub events: u64,
    /// Lines that were not.
    pub malformed: u64,
    /// The first malformed lines: `source:line: reason`.
    pub examples: Vec<String>,
}

/// The sources to read: the files (`-` is stdin), or stdin when none is given and it
/// is not a terminal. Without stdin among them, files are ordered by the time of
/// their first event, so that `status.jsonl.2 status.jsonl.1 status.jsonl` and
/// `status.jsonl*` read the same history in the same order.
pub fn sources(files: &[PathBuf]) -> Vec<Source> {
    if files.is_empty() {
        return if io::stdin().is_terminal() {
            Vec::new()
        } else {
            vec![Source::Stdin]
        };
    }
    let mut out: Vec<Source> = files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                Source::Stdin
            } else {
                Source::File(f.clone())
            }
        })
        .collect();
    if !out.contains(&Source::Stdin) {
        // A stable sort: files without any event keep their place relative to each other, last.
        out.sort_by_cached_key(|s| match s {
            Source::File(p) => first_event_time(p).unwrap_or(i64::MAX),
            Source::Stdin => i64::MAX,
        });
    }
    out
}

/// The time of the first event of a file, if it has one (an unreadable file is
/// reported when it is read).
fn first_event_time(path: &Path) -> Option<i64> {
    let file = std::fs::File::open(path).ok()?;
    EventReader::new(BufReader::new(file))
        .map_while(Result::ok)
        .find_map(|l| l.parsed.ok())
        .map(|e| e.ts.timestamp_millis())
}

/// Reads every source, handing each event to `on_event`.
pub fn read(sources: &[Source], mut on_event: impl FnMut(Event)) -> Result<ReadStats, Error> {
    let mut stats = ReadStats::default();
    for source in sources {
        let name = source.name();
        let fail = |e: io::Error| Error::History {
            path: PathBuf::from(&name),
            source: e,
        };
        stats.inputs.push(name.clone());
        match source {
            // A silent upstream must not hold the run past SIGINT/SIGTERM.
            Source::Stdin => read_one(
                BufReader::with_capacity(1 << 16, pra_core::signals::stdin()),
                &name,
                &mut stats,
                &mut on_event,
            ),
            Source::File(p) => {
                let file = std::fs::File::open(p).map_err(fail)?;
                read_one(
                    BufReader::with_capacity(1 << 16, file),
                    &name,
                    &mut stats,
                    &mut on_event,
                )
            }
        }
        .map_err(fail)?;
    }
    if stats.malformed > 0 {
        log::warn!(
            "{} history lines are not pra.v1 events and were skipped (first: {})",
            stats.malformed,
            stats.examples.first().map(String::as_str).unwrap_or("")
        );
    }
    Ok(stats)
}

fn read_one<R: BufRead>(
    reader: R,
    name: &str,
    stats: &mut ReadStats,
    on_event: &mut impl FnMut(Event),
) -> io::Result<()> {
    for line in EventReader::new(reader) {
        let line = line?;
        stats.lines += 1;
        match line.parsed {
            Ok(ev) => {
                stats.events += 1;
                on_event(ev);
            }
            Err(reason) => {
                stats.malformed += 1;
                if stats.examples.len() < EXAMPLES {
                    stats
                        .examples
                        .push(format!("{name}:{}: {reason}", line.number));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::{Kind, Status};

    fn line(ts: &str) -> String {
        let mut e = Event::new("t", Kind::Backup, Status::Ok, "m");
        e.ts = pra_core::time::parse_ts(ts).unwrap();
        e.to_json_line() + "\n"
    }

    #[test]
    fn files_are_read_oldest_first_and_bad_lines_counted() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("h.jsonl");
        let old = dir.path().join("h.jsonl.1");
        std::fs::write(&new, line("2026-11-02T00:00:00Z") + "garbage\n\n").unwrap();
        std::fs::write(
            &old,
            "{\"not\":\"an event\"}\n".to_string() + &line("2026-11-01T00:00:00Z"),
        )
        .unwrap();
        let srcs = sources(&[new.clone(), old.clone()]);
        assert_eq!(srcs, [Source::File(old.clone()), Source::File(new.clone())]);
        let mut seen = Vec::new();
        let stats = read(&srcs, |e| seen.push(e.ts)).unwrap();
        assert_eq!((stats.lines, stats.events, stats.malformed), (5, 2, 3));
        assert!(seen[0] < seen[1]);
        assert_eq!(stats.examples.len(), 3);
        assert!(
            stats.examples[0].starts_with(&format!("{}:1: no \"schema\"", old.display())),
            "{:?}",
            stats.examples
        );
        assert!(stats.examples[1].contains("h.jsonl:2: not JSON"));
        assert!(stats.examples[2].contains("h.jsonl:3: empty line"));
        let missing = read(&[Source::File(dir.path().join("nope"))], |_| {}).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}
