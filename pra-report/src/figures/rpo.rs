//! Recovery point objective: from the times recovery points became available
//! (successful backups, archived WAL), the gaps between them, the largest one,
//! and the share of the period when the newest point was within the objective.

use crate::period::{format_ms, secs, Period};
use pra_core::event::kinds::{RpoFigures, Verdict};

/// One stretch between recovery points (or from the start of the period, or to its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The recovery point it follows; `None` when none was known before the period.
    pub from: Option<i64>,
    /// Where the gap starts on the timeline: `from`, or the start of the period.
    pub start: i64,
    /// The next recovery point, or the end of the period.
    pub end: i64,
    /// True when `end` is a recovery point, false for the gap still open at the end.
    pub to_point: bool,
}

impl Gap {
    /// Its length: how old the newest recovery point got (from the period's start
    /// when none was known).
    pub fn len_ms(&self) -> i64 {
        self.end - self.start
    }
}

/// The gaps of a period, from the newest point at or before its start (if any) and
/// the points inside it, sorted or not, duplicates allowed.
pub fn gaps(period: Period, before: Option<i64>, points: &[i64]) -> Vec<Gap> {
    let mut inside: Vec<i64> = points
        .iter()
        .copied()
        .filter(|&p| p > period.start && p <= period.end)
        .collect();
    inside.sort_unstable();
    inside.dedup();
    let mut out = Vec::with_capacity(inside.len() + 1);
    let mut from = before.filter(|&b| b <= period.start);
    let mut start = from.unwrap_or(period.start);
    for p in inside {
        out.push(Gap {
            from,
            start,
            end: p,
            to_point: true,
        });
        from = Some(p);
        start = p;
    }
    if start < period.end {
        out.push(Gap {
            from,
            start,
            end: period.end,
            to_point: false,
        });
    }
    out
}

/// The RPO figures from the gaps, against the objective.
pub fn figures(period: Period, gaps: &[Gap], objective_ms: i64) -> RpoFigures {
    let largest = gaps.iter().max_by_key(|g| g.len_ms());
    let covered: i64 = gaps
        .iter()
        .filter_map(|g| {
            g.from
                .map(|f| period.overlap(f, (f + objective_ms).min(g.end)))
        })
        .sum();
    let points = gaps.iter().filter(|g| g.to_point).count();
    let last = gaps
        .iter()
        .rev()
        .find_map(|g| if g.to_point { Some(g.end) } else { g.from });
    let breaches = gaps.iter().filter(|g| g.len_ms() > objective_ms).count() as u64;
    let any_point = last.is_some();
    RpoFigures {
        recovery_points: points as u64,
        largest_gap_s: any_point
            .then(|| largest.map(|g| secs(g.len_ms())))
            .flatten(),
        largest_gap_start_at: any_point
            .then(|| largest.map(|g| format_ms(g.start)))
            .flatten(),
        largest_gap_end_at: any_point
            .then(|| largest.map(|g| format_ms(g.end)))
            .flatten(),
        breaches,
        covered_percent: 100.0 * covered as f64 / period.len_ms() as f64,
        last_recovery_point_at: last.map(format_ms),
        result: match (any_point, breaches) {
            (false, _) => Verdict::NoData,
            (true, 0) => Verdict::Pass,
            (true, _) => Verdict::Fail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn largest_gap_and_coverage_are_exact() {
        // A day; a backup before it (22:00 the day before), then at 02:00, 03:00, 09:30,
        // 10:00 (twice: two repositories' events), 20:00; objective 1 h.
        let p = Period {
            start: 0,
            end: 24 * H,
        };
        let pts = [10 * H, 2 * H, 3 * H, 19 * H / 2, 10 * H, 20 * H, 25 * H];
        let g = gaps(p, Some(-2 * H), &pts);
        let lens: Vec<i64> = g.iter().map(Gap::len_ms).collect();
        assert_eq!(lens, [4 * H, H, 13 * H / 2, H / 2, 10 * H, 4 * H]);
        let f = figures(p, &g, H);
        assert_eq!(f.largest_gap_s, Some(36_000.0));
        assert_eq!(
            f.largest_gap_start_at.as_deref(),
            Some("1970-01-01T10:00:00.000Z")
        );
        assert_eq!(
            f.largest_gap_end_at.as_deref(),
            Some("1970-01-01T20:00:00.000Z")
        );
        assert_eq!(f.breaches, 4);
        assert_eq!(f.recovery_points, 5);
        // Covered: 00:00-00:00 (the 22:00 point is 2 h old at midnight: nothing),
        // 02-03, 03-04, 09:30-10, 10-11, 20-21.
        let covered_h = 1.0 + 1.0 + 0.5 + 1.0 + 1.0;
        assert_eq!(f.covered_percent, 100.0 * covered_h / 24.0);
        assert_eq!(
            f.last_recovery_point_at.as_deref(),
            Some("1970-01-01T20:00:00.000Z")
        );
        assert_eq!(f.result, Verdict::Fail);
    }

    #[test]
    fn without_a_point_before_the_period_its_start_is_uncovered() {
        let p = Period {
            start: 0,
            end: 10 * H,
        };
        let g = gaps(p, None, &[3 * H, 5 * H]);
        assert_eq!(
            g[0],
            Gap {
                from: None,
                start: 0,
                end: 3 * H,
                to_point: true
            }
        );
        let f = figures(p, &g, 2 * H);
        assert_eq!(
            f.largest_gap_s,
            Some(5.0 * 3600.0),
            "5 h from the last point to the end"
        );
        assert_eq!(f.covered_percent, 100.0 * 4.0 / 10.0);
        let none = figures(p, &gaps(p, None, &[]), H);
        assert_eq!(
            (none.result, none.largest_gap_s, none.covered_percent),
            (Verdict::NoData, None, 0.0)
        );
        let ok = figures(
            p,
            &gaps(p, Some(0), &(1..=10).map(|i| i * H).collect::<Vec<_>>()),
            H,
        );
        assert_eq!(
            (ok.result, ok.covered_percent, ok.breaches),
            (Verdict::Pass, 100.0, 0)
        );
    }
}
