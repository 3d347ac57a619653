//! Child processes of the tools (`pg_dump`, `pg_restore`, …): the last lines of
//! their stderr, collected on a thread of their own so that the pipe never fills
//! and blocks the child, in bounded memory, for the error event.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::thread::JoinHandle;

/// Lines of a child's stderr kept for the error message.
pub const STDERR_LINES: usize = 12;

/// The last lines of a child's stderr.
pub struct StderrTail(Option<JoinHandle<Vec<String>>>);

impl StderrTail {
    /// Starts collecting; every line is also logged (debug) with the child's name.
    pub fn collect(stderr: impl Read + Send + 'static, child_name: &str) -> StderrTail {
        let name = child_name.to_string();
        StderrTail(Some(std::thread::spawn(move || {
            let mut tail = VecDeque::with_capacity(STDERR_LINES);
            for line in BufReader::new(stderr).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                if line.trim().is_empty() {
                    continue;
                }
                log::debug!("{name}: {line}");
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            tail.into()
        })))
    }

    /// Collects the stderr of a child spawned with a piped stderr (nothing if it was not).
    pub fn from_child(child: &mut std::process::Child, child_name: &str) -> StderrTail {
        match child.stderr.take() {
            Some(err) => StderrTail::collect(err, child_name),
            None => StderrTail(None),
        }
    }

    /// Waits for the child's stderr to close and returns its last lines.
    pub fn lines(self) -> Vec<String> {
        self.0.and_then(|h| h.join().ok()).unwrap_or_default()
    }

    /// The last lines, joined with `sep`.
    pub fn join(self, sep: &str) -> String {
        self.lines().join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_without_blanks() {
        let text: String = (1..=30).map(|i| format!("line {i}\n\n")).collect();
        let tail = StderrTail::collect(std::io::Cursor::new(text.into_bytes()), "t");
        let lines = tail.lines();
        assert_eq!(lines.len(), STDERR_LINES);
        assert_eq!(lines.first().map(String::as_str), Some("line 19"));
        assert_eq!(lines.last().map(String::as_str), Some("line 30"));
    }
}
