//! Reading, forwarding and writing event streams.
//!
//! Every tool that reads stdin forwards every input line, in order, unchanged,
//! then adds its own events. A line that is not a `pra.v1` event is forwarded
//! too, followed by an `input` event with `status: error`, its line number and
//! the reason, and the tool goes on. Output is flushed line by line so that a
//! pipeline streams in real time, and a closed stdout (`| head`) is a normal end.

use super::kinds::InputFields;
use super::{render, Event, Kind, Status};
use crate::error_class::ErrorClass;
use std::io::{self, BufRead, IsTerminal, Write};

/// How events are written on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line (`pra.v1`), for the next tool or a script.
    #[default]
    Json,
    /// Aligned lines for people; coloured only on a terminal without `NO_COLOR`.
    Text,
}

/// One line read from the input, kept raw for forwarding and parsed for use.
#[derive(Debug, Clone)]
pub struct InputLine {
    /// 1-based line number in the input.
    pub number: u64,
    /// The bytes of the line, without its terminating `\n`.
    pub raw: Vec<u8>,
    /// The event, or why the line is not one.
    pub parsed: Result<Event, String>,
    /// The length of a line longer than the reader's limit, whose bytes were skipped
    /// (`raw` is empty): it is not forwarded, its `input` error event stands for it.
    pub skipped_bytes: Option<u64>,
}

/// The longest input line read: 16 MiB, a thousand times the largest event a tool
/// writes. A longer line is not an event anyone meant; it is skipped in bounded memory
/// and replaced by an `input` error event, so that a runaway upstream cannot make every
/// stage of a pipeline hold (and parse) hundreds of MiB.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Reads input lines one at a time; each line is held in memory only while it is
/// handled, and never more than [`MAX_LINE_BYTES`] of it.
pub struct EventReader<R> {
    inner: R,
    number: u64,
    max_line: usize,
}

impl<R: BufRead> EventReader<R> {
    /// Reads events from any buffered reader.
    pub fn new(inner: R) -> Self {
        EventReader {
            inner,
            number: 0,
            max_line: MAX_LINE_BYTES,
        }
    }

    /// The same reader with another line limit (tests use a small one).
    pub fn with_max_line(self, max_line: usize) -> Self {
        EventReader { max_line, ..self }
    }

    /// Reads one line of at most `max_line` bytes into `raw`; for a longer one, drops
    /// what was kept and skips the rest of it, returning its whole length.
    fn read_line(&mut self, raw: &mut Vec<u8>) -> io::Result<Option<u64>> {
        let limit = u64::try_from(self.max_line)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = io::Read::take(&mut self.inner, limit).read_until(b'\n', raw)?;
        if n == 0 {
            return Ok(None);
        }
        let newline = raw.last() == Some(&b'\n');
        if newline || raw.len() <= self.max_line {
            return Ok(Some((raw.len() - usize::from(newline)) as u64));
        }
        let mut length = raw.len() as u64;
        *raw = Vec::new();
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let (used, end) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            self.inner.consume(used);
            length += (used - usize::from(end)) as u64;
            if end {
                break;
            }
        }
        Ok(Some(length))
    }
}

impl EventReader<io::BufReader<crate::signals::Stdin>> {
    /// A reader over stdin, or `None` when stdin is a terminal (a person, not a pipe).
    /// It gives up on SIGINT or SIGTERM ([`crate::signals::Stdin`]).
    pub fn stdin() -> Option<Self> {
        if io::stdin().is_terminal() {
            None
        } else {
            Some(EventReader::new(
                io::BufReader::new(crate::signals::stdin()),
            ))
        }
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = io::Result<InputLine>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut raw = Vec::new();
        match self.read_line(&mut raw) {
            Ok(None) => None,
            Ok(Some(length)) => {
                if raw.last() == Some(&b'\n') {
                    raw.pop();
                }
                self.number += 1;
                let skipped_bytes = (length > self.max_line as u64).then_some(length);
                let parsed = if let Some(length) = skipped_bytes {
                    Err(format!(
                        "a line of {length} bytes, longer than the {} limit (not forwarded)",
                        crate::time::format_bytes(self.max_line as u64)
                    ))
                } else if raw.is_empty() {
                    Err("empty line".to_string())
                } else {
                    Event::parse_line(&raw)
                };
                Some(Ok(InputLine {
                    number: self.number,
                    raw,
                    parsed,
                    skipped_bytes,
                }))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The `input` error event for a line that is not a `pra.v1` event.
pub fn input_error(tool: &str, line: u64, reason: &str) -> Event {
    Event::error(
        tool,
        Kind::Input,
        ErrorClass::Input,
        format!("input line {line} is not a pra.v1 event: {reason}"),
    )
    .with_fields(&InputFields {
        line,
        reason: reason.to_string(),
    })
}

/// Writes events (and forwarded lines) to a stream, one flushed line at a time.
pub struct EventWriter<W: Write> {
    out: W,
    format: OutputFormat,
    color: bool,
    closed: bool,
}

impl EventWriter<io::Stdout> {
    /// A writer on stdout. Text is coloured only when stdout is a terminal and `NO_COLOR` is unset.
    pub fn stdout(format: OutputFormat) -> Self {
        let color = format == OutputFormat::Text
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        EventWriter::new(io::stdout(), format, color)
    }
}

impl<W: Write> EventWriter<W> {
    /// A writer on any stream.
    pub fn new(out: W, format: OutputFormat, color: bool) -> Self {
        EventWriter {
            out,
            format,
            color,
            closed: false,
        }
    }

    /// Writes one of this tool's events.
    ///
    /// An `error` event without a class is a bug (the DESIGN promises one on every
    /// error): it is written with class `internal`, which the test runner rejects,
    /// rather than without one, which a consumer grouping incidents could not place.
    pub fn emit(&mut self, event: &Event) -> io::Result<()> {
        if event.status == Status::Error && event.error_class.is_none() {
            log::error!("bug: error event without an error class: {}", event.message);
            let classed = Event {
                error_class: Some(ErrorClass::Internal.as_str().to_string()),
                ..event.clone()
            };
            return self.emit(&classed);
        }
        let line = match self.format {
            OutputFormat::Json => event.to_json_line().into_bytes(),
            OutputFormat::Text => render::render_line(event, self.color).into_bytes(),
        };
        self.write_line(&line)
    }

    /// Forwards an input line: unchanged in JSON, rendered in text; a line skipped
    /// for its length is not written (its `input` error event stands for it).
    pub fn forward(&mut self, line: &InputLine) -> io::Result<()> {
        if line.skipped_bytes.is_some() {
            return Ok(());
        }
        match (self.format, &line.parsed) {
            (OutputFormat::Text, Ok(ev)) => {
                let text = render::render_line(ev, self.color);
                self.write_line(text.as_bytes())
            }
            (OutputFormat::Text, Err(_)) => {
                let text = String::from_utf8_lossy(&line.raw).into_owned();
                self.write_line(text.as_bytes())
            }
            (OutputFormat::Json, _) => self.write_line(&line.raw),
        }
    }

    /// True once the reader of our output has gone away (broken pipe).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The format this writer writes.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The underlying stream (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self
            .out
            .write_all(bytes)
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| self.out.flush());
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                // The next stage of the pipeline exited (`| head`): that is a normal
                // end of our output, not a failure of our work.
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// What [`forward_input`] saw on its input.
#[derive(Debug, Default)]
pub struct Forwarded {
    /// The input lines that were `pra.v1` events, in order.
    pub events: Vec<Event>,
    /// How many lines were not events (each got an `input` error event).
    pub invalid_lines: u64,
}

/// Forwards every line of `reader` to `writer`, adding an `input` error event after
/// each line that is not an event, and returns the events for the tool to act on.
pub fn forward_input<R: BufRead, W: Write>(
    reader: EventReader<R>,
    writer: &mut EventWriter<W>,
    tool: &str,
) -> io::Result<Forwarded> {
    let mut seen = Forwarded::default();
    for line in reader {
        let line = line?;
        writer.forward(&line)?;
        match line.parsed {
            Ok(ev) => seen.events.push(ev),
            Err(reason) => {
                seen.invalid_lines += 1;
                log::warn!("input line {}: {reason}", line.number);
                writer.emit(&input_error(tool, line.number, &reason))?;
            }
        }
    }
    Ok(seen)
}

/// Forwards stdin when it is not a terminal; returns what it saw (nothing for a terminal).
pub fn forward_stdin<W: Write>(writer: &mut EventWriter<W>, tool: &str) -> io::Result<Forwarded> {
    match EventReader::stdin() {
        Some(reader) => forward_input(reader, writer, tool),
        None => Ok(Forwarded::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Kind, Status};

    fn event_line(n: u32) -> Vec<u8> {
        Event::new("pra-test", Kind::Backup, Status::Ok, format!("event {n}"))
            .to_json_line()
            .into_bytes()
    }

    #[test]
    fn forwarding_preserves_every_line_byte_for_byte() {
        let big = {
            // A 10 MiB line: a valid event with a huge field.
            let ev = Event::new("pra-test", Kind::Check, Status::Ok, "big")
                .with_field("blob", "x".repeat(10 * 1024 * 1024));
            ev.to_json_line().into_bytes()
        };
        let lines: Vec<Vec<u8>> = vec![
            event_line(1),
            b"this is not json".to_vec(),
            b"\xff\xfe\x00 invalid utf-8".to_vec(),
            event_line(2),
            big.clone(),
            b"{\"schema\":\"other\"}".to_vec(),
            b"".to_vec(),
            event_line(3),
        ];
        let mut input = Vec::new();
        for l in &lines {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        let mut writer = EventWriter::new(Vec::new(), OutputFormat::Json, false);
        let seen = forward_input(EventReader::new(&input[..]), &mut writer, "pra-test").unwrap();
        assert_eq!(seen.events.len(), 4);
        assert_eq!(seen.invalid_lines, 4);

        let out = writer.into_inner();
        let out_lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        // Every input line comes out unchanged and in order; each bad one is followed
        // by exactly one input error event naming its line number.
        let mut i = 0;
        for (n, l) in lines.iter().enumerate() {
            assert_eq!(out_lines[i], &l[..], "line {} changed", n + 1);
            i += 1;
            if Event::parse_line(l).is_err() {
                let ev = Event::parse_line(out_lines[i]).unwrap();
                assert_eq!(ev.kind, Kind::Input);
                assert_eq!(ev.status, Status::Error);
                let f: InputFields = ev.fields_as().unwrap();
                assert_eq!(f.line, n as u64 + 1);
                i += 1;
            }
        }
        assert_eq!(out_lines[i], b"", "trailing newline only");
        assert_eq!(i + 1, out_lines.len());
    }

    #[test]
    fn last_line_without_newline_is_forwarded() {
        let input = [event_line(1), b"\n".to_vec(), event_line(2)].concat();
        let mut writer = EventWriter::new(Vec::new(), OutputFormat::Json, false);
        let seen = forward_input(EventReader::new(&input[..]), &mut writer, "t").unwrap();
        assert_eq!(seen.events.len(), 2);
        let mut expected = input.clone();
        expected.push(b'\n');
        assert_eq!(writer.into_inner(), expected);
    }

    /// Issue 22, item 14: a line over the limit is skipped, not held, and replaced by
    /// one `input` error event giving its length; the lines around it are untouched.
    #[test]
    fn a_line_over_the_limit_is_replaced_by_an_input_error() {
        let ok = event_line(1);
        let limit = ok.len() + 10;
        let long = vec![b'x'; limit * 3 + 7];
        let at_limit = [b"x".repeat(limit - 1), b"y".to_vec()].concat();
        let input = [
            &ok[..],
            b"\n",
            &long,
            b"\n",
            &at_limit,
            b"\n",
            &event_line(2),
            b"\n",
            &long,
        ]
        .concat();
        let reader = EventReader::new(&input[..]).with_max_line(limit);
        let lines: Vec<InputLine> = reader.map(Result::unwrap).collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[1].skipped_bytes, Some(long.len() as u64));
        assert!(lines[1].raw.is_empty());
        let reason = lines[1].parsed.as_ref().unwrap_err();
        assert!(reason.contains(&long.len().to_string()), "{reason}");
        assert_eq!(
            lines[2].raw, at_limit,
            "a line of exactly the limit is kept"
        );
        assert!(lines[2].skipped_bytes.is_none());
        assert!(lines[3].parsed.is_ok());
        assert_eq!(
            lines[4].skipped_bytes,
            Some(long.len() as u64),
            "last, no newline"
        );

        let mut writer = EventWriter::new(Vec::new(), OutputFormat::Json, false);
        let reader = EventReader::new(&input[..]).with_max_line(limit);
        let seen = forward_input(reader, &mut writer, "t").unwrap();
        assert_eq!((seen.events.len(), seen.invalid_lines), (2, 3));
        let out = writer.into_inner();
        assert!(!out.windows(limit).any(|w| w.iter().all(|&b| b == b'x')));
        let out: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        assert_eq!(out[0], &ok[..]);
        let ev = Event::parse_line(out[1]).unwrap();
        assert_eq!((&ev.kind, ev.status), (&Kind::Input, Status::Error));
        assert_eq!(ev.fields_as::<InputFields>().unwrap().line, 2);
        assert_eq!(out[2], &at_limit[..]);
    }

    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_a_normal_end() {
        let mut w = EventWriter::new(ClosedPipe, OutputFormat::Json, false);
        let ev = Event::new("t", Kind::Backup, Status::Ok, "m");
        w.emit(&ev).unwrap();
        assert!(w.is_closed());
        w.emit(&ev).unwrap();
    }

    #[test]
    fn text_format_renders_events_for_people() {
        let mut w = EventWriter::new(Vec::new(), OutputFormat::Text, false);
        w.emit(&Event::new("pra-backup", Kind::Backup, Status::Warn, "slow").with_stanza("app"))
            .unwrap();
        let out = String::from_utf8(w.into_inner()).unwrap();
        assert!(
            out.contains("backup")
                && out.contains("WARN")
                && out.contains("app")
                && out.contains("slow")
        );
        assert!(!out.contains('\x1b'), "no colour when not asked: {out:?}");
    }
}
