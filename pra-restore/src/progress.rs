//! Progress on stderr (phase, bytes, rate) while data streams, only when stderr is
//! a terminal: cron mail and pipes stay clean.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the progress line is redrawn.
const EVERY: Duration = Duration::from_millis(500);

/// A writer that counts what passes through it and redraws a progress line.
pub struct Progress<W: Write> {
    inner: W,
    phase: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
    enabled: bool,
    counter: Option<pra_core::stall::Progress>,
}

impl<W: Write> Progress<W> {
    /// Wraps `inner`; `total` is the expected byte count (0 when unknown).
    pub fn new(inner: W, phase: &'static str, total: u64) -> Self {
        let now = Instant::now();
        Progress {
            inner,
            phase,
            total,
            done: 0,
            started: now,
            last: now,
            enabled: io::stderr().is_terminal(),
            counter: None,
        }
    }

    /// Also bumps a stall watchdog's counter with every write.
    pub fn with_counter(self, counter: pra_core::stall::Progress) -> Self {
        Progress {
            counter: Some(counter),
            ..self
        }
    }

    /// Clears the progress line and returns the inner writer.
    pub fn finish(self) -> W {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
        self.inner
    }

    fn draw(&mut self) {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        let of = if self.total > 0 {
            format!(
                " / {} ({:.0}%)",
                pra_core::time::format_bytes(self.total),
                100.0 * self.done as f64 / self.total as f64
            )
        } else {
            String::new()
        };
        eprint!(
            "\r\x1b[2Kpra-restore: {}: {}{of}, {}/s",
            self.phase,
            pra_core::time::format_bytes(self.done),
            pra_core::time::format_bytes(rate as u64)
        );
    }
}

impl<W: Write> Write for Progress<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Decoding a large dump takes long: a signal stops it here, not at its end.
        pra_core::signals::check().map_err(io::Error::other)?;
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        if let Some(c) = &self.counter {
            c.bump(n as u64);
        }
        if self.enabled && self.last.elapsed() >= EVERY {
            self.last = Instant::now();
            self.draw();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Prints a phase line on stderr when it is a terminal.
pub fn phase(msg: &str) {
    if io::stderr().is_terminal() {
        eprintln!("pra-restore: {msg}");
    }
}
