//! Timestamps and durations as the tools write and read them: RFC 3339 UTC with
//! milliseconds in events, humantime durations (`90s`, `1h`, `7d`) on the command line.

use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;

/// The current time in UTC.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Formats a time the way events write `ts` and `*_at` fields: `2026-11-25T11:00:00.123Z`.
pub fn format_ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time (any offset) into UTC.
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("invalid time {s:?} (expected RFC 3339, e.g. 2026-11-25T11:00:00Z): {e}")
        })
}

/// The longest duration any flag accepts: 100 years (`36500d`).
///
/// Every wait is a deadline `Instant::now() + d` and every window a `now - d`; a value
/// near `u64::MAX` seconds overflows them and panics at run time, so it is refused at
/// parse time instead. A century is longer than any retention, RPO or wait means.
pub const MAX_DURATION: Duration = Duration::from_secs(36_500 * 86_400);

/// Parses a human duration such as `90s`, `15m`, `1h`, `7d`, `1h 30m`, at most
/// [`MAX_DURATION`].
///
/// Used as the clap `value_parser` of every duration flag of every tool, so that a bad
/// or huge value is a usage error (exit 2) naming the flag, not a panic later.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?} (examples: 90s, 15m, 1h, 7d): {e}"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "duration {s:?} is too long: at most 100 years (36500d)"
        ));
    }
    Ok(d)
}

/// Formats a duration compactly for messages: `4.2 s`, `3 min 05 s`, `2 h 10 min`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s as u64) % 60)
    } else if s < 86400.0 * 2.0 {
        format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            ((s as u64) % 3600) / 60
        )
    } else {
        format!(
            "{} d {} h",
            (s / 86400.0) as u64,
            ((s as u64) % 86400) / 3600
        )
    }
}

/// The machine's host name, as events record it in `host`.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length; gethostname writes at most
    // that many bytes and we stop at the first NUL or the end.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Formats a byte count for people: `812 MiB`, `3.4 GiB`, `512 B`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_reject() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert!(parse_duration("soon").unwrap_err().contains("soon"));
    }

    /// Issue 22, item 13: a huge value is refused in one line, not a later panic.
    #[test]
    fn huge_durations_are_refused_at_the_maximum() {
        assert_eq!(parse_duration("36500d").unwrap(), MAX_DURATION);
        for huge in [
            "36501d",
            "9999999999999999999s",
            "18446744073709551615s",
            "200y",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
            assert!(e.contains(huge), "{e}");
        }
        // What humantime itself cannot hold is refused too.
        assert!(parse_duration("99999999999999999999999s").is_err());
    }

    #[test]
    fn timestamps_round_trip_with_millis() {
        let t = parse_ts("2026-11-25T12:00:00.123+01:00").unwrap();
        assert_eq!(format_ts(&t), "2026-11-25T11:00:00.123Z");
    }

    #[test]
    fn bytes_are_readable() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(812 * 1024 * 1024), "812 MiB");
        assert_eq!(
            format_bytes(3 * 1024 * 1024 * 1024 + 400 * 1024 * 1024),
            "3.4 GiB"
        );
    }
}
