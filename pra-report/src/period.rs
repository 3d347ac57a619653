//! The period a report covers, in milliseconds since the epoch: every figure is
//! computed in whole milliseconds (event times have millisecond precision), so
//! sums of durations are exact.

use crate::cli::Since;
use chrono::{DateTime, TimeZone, Utc};

/// `[start, end]`, in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First millisecond of the period.
    pub start: i64,
    /// Last millisecond of the period.
    pub end: i64,
}

impl Period {
    /// The period the flags describe; `None` when it is empty or reversed.
    pub fn new(since: Since, until: DateTime<Utc>) -> Option<Period> {
        let end = until.timestamp_millis();
        let start = match since {
            Since::At(t) => t.timestamp_millis(),
            Since::Ago(d) => end.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        };
        (start < end).then_some(Period { start, end })
    }

    /// Length in milliseconds.
    pub fn len_ms(&self) -> i64 {
        self.end - self.start
    }

    /// True when `t` is inside the period, ends included.
    pub fn contains(&self, t: i64) -> bool {
        (self.start..=self.end).contains(&t)
    }

    /// The overlap of `[a, b]` with the period, in milliseconds.
    pub fn overlap(&self, a: i64, b: i64) -> i64 {
        (b.min(self.end) - a.max(self.start)).max(0)
    }
}

/// Milliseconds to seconds.
pub fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A time in milliseconds as an RFC 3339 string, as events write them.
pub fn format_ms(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| pra_core::time::format_ts(&t))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn period_from_flags() {
        let end = pra_core::time::parse_ts("2026-12-01T00:00:00Z").unwrap();
        let p = Period::new(Since::Ago(Duration::from_secs(86400)), end).unwrap();
        assert_eq!(p.len_ms(), 86_400_000);
        assert_eq!(format_ms(p.start), "2026-11-30T00:00:00.000Z");
        assert_eq!(p.overlap(p.start - 10, p.start + 10), 10);
        assert!(Period::new(Since::At(end), end).is_none());
    }
}
