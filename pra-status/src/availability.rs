//! Availability over a window from the history of `status` samples: pure math,
//! no I/O.
//!
//! Each sample says whether the service was up when it was taken. A sample
//! stands for the time until the next one, unless that silence is longer than
//! twice the expected interval (`--history-interval`, else the median interval
//! of the history): then it stands for one interval and the rest is a **gap**,
//! counted as unknown, never as up. Time before the first sample is not
//! measured (the history did not exist yet), so a new history is not penalised
//! for its youth; the report says how much of the window it covers.
//!
//! `percent = up / measured`, where `measured = up + down + unknown`.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// One `status` sample of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// Whether the service was up.
    pub up: bool,
}

/// The interval assumed when the history has fewer than two samples and none was given.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// Availability over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    /// The window asked for.
    pub window_s: f64,
    /// The part of the window from the first sample to now.
    pub measured_s: f64,
    /// Known up.
    pub up_s: f64,
    /// Known down.
    pub down_s: f64,
    /// Gaps.
    pub unknown_s: f64,
    /// `up / measured` in percent (100 when nothing is measured yet and the only sample is up).
    pub percent: f64,
    /// Samples inside the window.
    pub samples: u64,
    /// The expected interval used to find gaps.
    pub interval_s: f64,
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

/// The median of the intervals between consecutive samples (sorted), if there are any.
pub fn median_interval(sorted: &[Sample]) -> Option<f64> {
    let mut d: Vec<f64> = sorted
        .windows(2)
        .map(|w| secs(w[0].at, w[1].at))
        .filter(|x| *x > 0.0)
        .collect();
    if d.is_empty() {
        return None;
    }
    d.sort_by(f64::total_cmp);
    let n = d.len();
    Some(if n % 2 == 1 {
        d[n / 2]
    } else {
        (d[n / 2 - 1] + d[n / 2]) / 2.0
    })
}

/// Computes the availability over `[now - window, now]`; `None` without any sample.
pub fn compute(
    samples: &[Sample],
    now: DateTime<Utc>,
    window: Duration,
    interval: Option<Duration>,
) -> Option<Availability> {
    let mut s: Vec<Sample> = samples.iter().copied().filter(|x| x.at <= now).collect();
    s.sort_by_key(|x| x.at);
    let first = s.first()?.at;
    let window_s = window.as_secs_f64();
    let start = now - chrono::Duration::milliseconds((window_s * 1000.0) as i64);
    let interval_s = interval
        .map(|i| i.as_secs_f64())
        .or_else(|| median_interval(&s))
        .unwrap_or(DEFAULT_INTERVAL.as_secs_f64());
    let max_gap = 2.0 * interval_s;
    // Length of [a, b) inside [start, now].
    let clip = |a: DateTime<Utc>, b: DateTime<Utc>| {
        let a = a.max(start);
        let b = b.min(now);
        if b > a {
            secs(a, b)
        } else {
            0.0
        }
    };
    let (mut up, mut down, mut unknown) = (0.0, 0.0, 0.0);
    for (i, x) in s.iter().enumerate() {
        let next = s.get(i + 1).map_or(now, |n| n.at);
        let d = secs(x.at, next);
        let known_end = if d <= max_gap {
            next
        } else {
            x.at + chrono::Duration::milliseconds((interval_s * 1000.0) as i64)
        };
        let known = clip(x.at, known_end);
        if x.up {
            up += known;
        } else {
            down += known;
        }
        if known_end < next {
            unknown += clip(known_end, next);
        }
    }
    let measured = clip(first, now);
    let samples_in = s.iter().filter(|x| x.at >= start).count() as u64;
    let percent = if measured > 0.0 {
        100.0 * up / measured
    } else if s.last().is_some_and(|x| x.up) {
        100.0
    } else {
        0.0
    };
    Some(Availability {
        window_s,
        measured_s: measured,
        up_s: up,
        down_s: down,
        unknown_s: unknown,
        percent,
        samples: samples_in,
        interval_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
    }

    fn sample(s: i64, up: bool) -> Sample {
        Sample { at: at(s), up }
    }

    /// Every 5 minutes: up, up, down, up, then 25 minutes of silence, then up.
    fn history() -> Vec<Sample> {
        vec![
            sample(0, true),
            sample(300, true),
            sample(600, false),
            sample(900, true),
            sample(2400, true),
        ]
    }

    #[test]
    fn known_up_down_and_gap_give_the_exact_percentage() {
        let a = compute(&history(), at(2700), Duration::from_secs(3600), None).unwrap();
        assert_eq!(a.interval_s, 300.0);
        // up: 0-300, 300-600, 900-1200 (one interval, then a gap), 2400-2700.
        assert_eq!(a.up_s, 1200.0);
        assert_eq!(a.down_s, 300.0);
        assert_eq!(a.unknown_s, 1200.0);
        assert_eq!(a.measured_s, 2700.0);
        assert!((a.percent - 100.0 * 1200.0 / 2700.0).abs() < 1e-9, "{a:?}");
        assert_eq!(a.samples, 5);
    }

    #[test]
    fn the_window_clips_and_an_earlier_sample_reaches_into_it() {
        // Window [1700, 2700]: 1700-2400 is the gap after the 900 sample, 2400-2700 up.
        let a = compute(&history(), at(2700), Duration::from_secs(1000), None).unwrap();
        assert_eq!((a.up_s, a.down_s, a.unknown_s), (300.0, 0.0, 700.0));
        assert!((a.percent - 30.0).abs() < 1e-9);
        assert_eq!(a.samples, 1);
    }

    #[test]
    fn a_given_interval_overrides_the_median() {
        // With a 15-minute interval the 25-minute silence is no gap (< 30 min).
        let a = compute(
            &history(),
            at(2700),
            Duration::from_secs(3600),
            Some(Duration::from_secs(900)),
        )
        .unwrap();
        assert_eq!((a.up_s, a.down_s, a.unknown_s), (2400.0, 300.0, 0.0));
        assert!((a.percent - 100.0 * 2400.0 / 2700.0).abs() < 1e-9);
    }

    #[test]
    fn a_silence_up_to_now_is_a_gap_and_no_samples_is_none() {
        let a = compute(
            &[sample(0, true)],
            at(3000),
            Duration::from_secs(3600),
            None,
        )
        .unwrap();
        // Default interval 300 s: 300 s up, then unknown.
        assert_eq!((a.up_s, a.unknown_s), (300.0, 2700.0));
        assert!((a.percent - 10.0).abs() < 1e-9);
        assert!(compute(&[], at(0), Duration::from_secs(60), None).is_none());
        let all_up: Vec<Sample> = (0..=12).map(|i| sample(i * 300, true)).collect();
        let a = compute(&all_up, at(3600), Duration::from_secs(3600), None).unwrap();
        assert_eq!(a.percent, 100.0);
        assert_eq!(median_interval(&all_up), Some(300.0));
    }
}
