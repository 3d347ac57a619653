//! The `--format text` rendering of events for people at a terminal.
//!
//! One line per event, in fixed-width columns so that a stream of them reads as
//! a table: time, kind, status, stanza, message. Colour (status only) is used
//! only when the writer says so: on a terminal, without `NO_COLOR`.

use super::{Event, Status};

const RESET: &str = "\x1b[0m";

fn status_color(status: Status) -> &'static str {
    match status {
        Status::Ok => "\x1b[32m",
        Status::Warn => "\x1b[33m",
        Status::Error => "\x1b[1;31m",
    }
}

/// Renders one event as an aligned line (no trailing newline).
pub fn render_line(event: &Event, color: bool) -> String {
    let time = event.ts.format("%Y-%m-%d %H:%M:%SZ");
    let status = format!("{:<5}", event.status.as_str().to_uppercase());
    let status = if color {
        format!("{}{status}{RESET}", status_color(event.status))
    } else {
        status
    };
    let stanza = event.stanza.as_deref().unwrap_or("-");
    format!(
        "{time}  {:<8} {status} {:<12} {}",
        event.kind.as_str(),
        stanza,
        event.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Kind;

    #[test]
    fn colour_only_when_asked() {
        let ev = Event::new("t", Kind::Verify, Status::Error, "checksum mismatch");
        assert!(render_line(&ev, true).contains("\x1b[1;31mERROR"));
        let plain = render_line(&ev, false);
        assert!(!plain.contains('\x1b'));
        assert!(
            plain.contains("verify   ERROR -            checksum mismatch"),
            "{plain}"
        );
    }
}
