//! Recovery time objective: every restore and drill that measured an RTO in the
//! period, against the objective.

use crate::period::format_ms;
use pra_core::event::kinds::{RtoFigures, Verdict};

/// One measured RTO.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RtoSample {
    /// When it was measured (the event's time), in ms.
    pub at: i64,
    /// The RTO, in seconds.
    pub rto_s: f64,
}

/// The RTO figures of a stanza's samples (any order) and failed restores.
pub fn figures(samples: &[RtoSample], failed_restores: u64, objective_s: f64) -> RtoFigures {
    let mut values: Vec<f64> = samples.iter().map(|s| s.rto_s).collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    };
    let last = samples.iter().max_by_key(|s| s.at);
    let within = values.iter().filter(|v| **v <= objective_s).count();
    RtoFigures {
        measurements: n as u64,
        within_target: within as u64,
        failed_restores,
        max_s: values.last().copied(),
        median_s: median,
        last_s: last.map(|s| s.rto_s),
        last_at: last.map(|s| format_ms(s.at)),
        result: if n == 0 {
            Verdict::NoData
        } else if within == n {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measurement_is_judged() {
        let s = |at, rto_s| RtoSample { at, rto_s };
        let f = figures(
            &[s(3, 900.0), s(1, 1900.0), s(2, 600.0), s(4, 1200.0)],
            1,
            1800.0,
        );
        assert_eq!(
            (f.measurements, f.within_target, f.failed_restores),
            (4, 3, 1)
        );
        assert_eq!(
            (f.max_s, f.median_s, f.last_s),
            (Some(1900.0), Some(1050.0), Some(1200.0))
        );
        assert_eq!(f.result, Verdict::Fail);
        assert_eq!(figures(&[], 0, 1.0).result, Verdict::NoData);
        assert_eq!(figures(&[s(1, 1.0)], 0, 1.0).result, Verdict::Pass);
    }
}
