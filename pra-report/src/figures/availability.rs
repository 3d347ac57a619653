//! Availability of a host's service from its `status` samples, aggregated while
//! reading: bounded memory whatever the length of the history.
//!
//! The rule is pra-status's: a sample stands for the time until the next one,
//! unless that silence is longer than twice the expected interval; then it stands
//! for one interval and the rest is a gap, counted as unknown, never as up. The
//! last sample is judged against the end of the period the same way. Time of the
//! period before the first sample is unknown too: a report does not know what it
//! was not told.
//!
//! Samples are expected roughly in time order (as appended). A small reorder
//! buffer absorbs the disorder of concurrent appends; a sample older than what
//! has already been accounted for is counted as out of order and not used. The
//! expected interval, unless given, is the median interval of the first
//! [`WARMUP`] samples, held until it is known.

use crate::period::{secs, Period};
use pra_core::event::kinds::{HostAvailability, Verdict};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Samples held to find the expected interval.
pub const WARMUP: usize = 1000;
/// Samples held back to put slightly disordered appends back in order.
const REORDER: usize = 64;
/// The interval assumed with fewer than two samples (pra-status's default cadence).
const DEFAULT_INTERVAL_MS: i64 = 300_000;

/// Where the time went, in milliseconds: up, down, unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// Known up.
    pub up: i64,
    /// Known down.
    pub down: i64,
    /// Not covered by samples.
    pub unknown: i64,
}

impl Split {
    fn add(&mut self, state: Option<bool>, ms: i64) {
        match state {
            Some(true) => self.up += ms,
            Some(false) => self.down += ms,
            None => self.unknown += ms,
        }
    }
}

/// The availability of one host, being aggregated.
#[derive(Debug)]
pub struct AvailabilityAcc {
    period: Period,
    bucket_ms: i64,
    interval: Option<i64>,
    pending: BinaryHeap<Reverse<(i64, bool)>>,
    last: Option<(i64, bool)>,
    /// Accounted time before the first sample is known to start at the period's start.
    started: bool,
    samples: u64,
    out_of_order: u64,
    total: Split,
    buckets: Vec<Split>,
}

impl AvailabilityAcc {
    /// A new accumulator for `period`, with timeline buckets of `bucket_ms`.
    pub fn new(period: Period, bucket_ms: i64, interval_ms: Option<i64>) -> AvailabilityAcc {
        let n = usize::try_from((period.len_ms() + bucket_ms - 1) / bucket_ms).unwrap_or(0);
        AvailabilityAcc {
            period,
            bucket_ms,
            interval: interval_ms,
            pending: BinaryHeap::new(),
            last: None,
            started: false,
            samples: 0,
            out_of_order: 0,
            total: Split::default(),
            buckets: vec![Split::default(); n],
        }
    }

    /// Adds one sample: at `t`, the service was `up` or not.
    pub fn push(&mut self, t: i64, up: bool) {
        self.samples += 1;
        self.pending.push(Reverse((t, up)));
        let hold = if self.interval.is_some() {
            REORDER
        } else {
            WARMUP
        };
        if self.pending.len() > hold {
            self.settle_interval();
            while self.pending.len() > REORDER {
                self.release();
            }
        }
    }

    fn settle_interval(&mut self) {
        if self.interval.is_some() {
            return;
        }
        let mut times: Vec<i64> = self.pending.iter().map(|Reverse((t, _))| *t).collect();
        times.sort_unstable();
        let mut d: Vec<i64> = times
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0)
            .collect();
        d.sort_unstable();
        let n = d.len();
        self.interval = Some(match n {
            0 => DEFAULT_INTERVAL_MS,
            _ if n % 2 == 1 => d[n / 2],
            _ => (d[n / 2 - 1] + d[n / 2]) / 2,
        });
    }

    fn release(&mut self) {
        let Some(Reverse((t, up))) = self.pending.pop() else {
            return;
        };
        match self.last {
            Some((p, _)) if t < p => self.out_of_order += 1,
            Some((p, state)) => {
                self.silence(p, t, state);
                self.last = Some((t, up));
            }
            None => {
                self.span(self.period.start, t, None);
                self.started = true;
                self.last = Some((t, up));
            }
        }
    }

    /// The time from sample `p` (in `state`) to `t`, the next sample or the end.
    fn silence(&mut self, p: i64, t: i64, state: bool) {
        let interval = self.interval.unwrap_or(DEFAULT_INTERVAL_MS);
        if t - p <= 2 * interval {
            self.span(p, t, Some(state));
        } else {
            self.span(p, p + interval, Some(state));
            self.span(p + interval, t, None);
        }
    }

    /// Accounts `[a, b)` in `state`, clipped to the period, split across buckets.
    fn span(&mut self, a: i64, b: i64, state: Option<bool>) {
        let (a, b) = (a.max(self.period.start), b.min(self.period.end));
        if a >= b {
            return;
        }
        self.total.add(state, b - a);
        let mut x = a;
        while x < b {
            let i = (x - self.period.start) / self.bucket_ms;
            let bucket_end = (self.period.start + (i + 1) * self.bucket_ms).min(b);
            if let Some(s) = usize::try_from(i)
                .ok()
                .and_then(|i| self.buckets.get_mut(i))
            {
                s.add(state, bucket_end - x);
            }
            x = bucket_end;
        }
    }

    /// The figures and the timeline (one [`Split`] per bucket), against `target` percent.
    pub fn finish(mut self, host: String, target: f64) -> (HostAvailability, Vec<Split>) {
        self.settle_interval();
        while !self.pending.is_empty() {
            self.release();
        }
        match self.last {
            Some((p, state)) => self.silence(p, self.period.end, state),
            None => self.span(self.period.start, self.period.end, None),
        }
        let t = self.total;
        let percent = 100.0 * t.up as f64 / self.period.len_ms() as f64;
        let result = if t.up + t.down == 0 {
            Verdict::NoData
        } else if percent >= target {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        let fig = HostAvailability {
            host,
            samples: self.samples,
            interval_s: secs(self.interval.unwrap_or(DEFAULT_INTERVAL_MS)),
            up_s: secs(t.up),
            down_s: secs(t.down),
            unknown_s: secs(t.unknown),
            percent,
            out_of_order: self.out_of_order,
            result,
        };
        (fig, self.buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn day() -> Period {
        Period {
            start: 0,
            end: 1440 * MIN,
        }
    }

    #[test]
    fn gaps_count_as_unknown_and_down_samples_as_down() {
        // Every 5 minutes from 00:00 to 23:55, except: down at 06:00 (one sample),
        // nothing between 12:00 and 14:00 (exclusive).
        let mut acc = AvailabilityAcc::new(day(), 60 * MIN, None);
        for i in 0..288 {
            let t = i * 5 * MIN;
            if t > 12 * 60 * MIN && t < 14 * 60 * MIN {
                continue;
            }
            acc.push(t, t != 6 * 60 * MIN);
        }
        let (f, buckets) = acc.finish("db1".into(), 99.0);
        // 12:00 stands for one interval (5 min), then 115 min unknown; the last sample
        // (23:55) stands for the 5 minutes to the end of the day.
        assert_eq!(f.interval_s, 300.0);
        assert_eq!(f.down_s, 300.0);
        assert_eq!(f.unknown_s, 115.0 * 60.0);
        assert_eq!(f.up_s, 86400.0 - 300.0 - 115.0 * 60.0);
        assert_eq!(f.percent, 100.0 * f.up_s / 86400.0);
        assert_eq!(f.result, Verdict::Fail);
        assert_eq!(buckets.len(), 24);
        assert_eq!(
            buckets[6],
            Split {
                up: 55 * MIN,
                down: 5 * MIN,
                unknown: 0
            }
        );
        assert_eq!(
            buckets[12],
            Split {
                up: 5 * MIN,
                down: 0,
                unknown: 55 * MIN
            }
        );
        assert_eq!(buckets[13].unknown, 60 * MIN);
    }

    #[test]
    fn disorder_is_absorbed_and_a_late_history_starts_unknown() {
        let mut acc = AvailabilityAcc::new(day(), 60 * MIN, Some(5 * MIN));
        // From 01:00 on, pairs swapped: 01:05 before 01:00, …
        let mut times: Vec<i64> = (12..288).map(|i| i * 5 * MIN).collect();
        for pair in times.chunks_mut(2) {
            pair.reverse();
        }
        for t in times {
            acc.push(t, true);
        }
        acc.push(0, true); // far too late: the first hour is already accounted
        let (f, _) = acc.finish("db1".into(), 90.0);
        assert_eq!(f.out_of_order, 1);
        assert_eq!(f.unknown_s, 3600.0);
        assert_eq!(f.up_s, 23.0 * 3600.0);
        assert_eq!(f.result, Verdict::Pass);
        let (none, _) = AvailabilityAcc::new(day(), 60 * MIN, None).finish("x".into(), 99.0);
        assert_eq!(
            (none.result, none.unknown_s, none.percent),
            (Verdict::NoData, 86400.0, 0.0)
        );
    }
}
