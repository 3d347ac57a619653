//! Verification coverage: which of the period's backups were verified, at which
//! level, by their newest verdict at that level (a later failure hides an earlier
//! pass, never the other way round), and how old the newest restore test is.

use crate::period::{format_ms, secs};
use pra_core::event::kinds::{CoverageFigures, Verdict};
use pra_core::manifest::VerifyLevel;
use std::collections::BTreeMap;

/// The newest verdict of one backup at each level: `(time in ms, passed)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelVerdicts([Option<(i64, bool)>; 3]);

fn index(level: VerifyLevel) -> usize {
    match level {
        VerifyLevel::Manifest => 0,
        VerifyLevel::Checksum => 1,
        VerifyLevel::Restore => 2,
    }
}

impl LevelVerdicts {
    /// Records a verdict; only a newer one replaces what is known at its level.
    pub fn record(&mut self, level: VerifyLevel, at: i64, passed: bool) {
        let slot = &mut self.0[index(level)];
        if slot.is_none_or(|(t, _)| t <= at) {
            *slot = Some((at, passed));
        }
    }

    /// True when the newest verdict at `level` passed.
    pub fn passed(&self, level: VerifyLevel) -> bool {
        self.0[index(level)].is_some_and(|(_, ok)| ok)
    }

    fn failed(&self) -> bool {
        self.0.iter().flatten().any(|(_, ok)| !ok)
    }

    fn restore_passed_at(&self) -> Option<i64> {
        self.0[index(VerifyLevel::Restore)].and_then(|(t, ok)| ok.then_some(t))
    }
}

/// The coverage of the backups `in_period` (ids), given every backup's verdicts.
pub fn figures<'a>(
    in_period: impl Iterator<Item = &'a str>,
    verdicts: &BTreeMap<String, LevelVerdicts>,
    end: i64,
) -> CoverageFigures {
    let mut f = CoverageFigures::default();
    let none = LevelVerdicts::default();
    for id in in_period {
        let v = verdicts.get(id).unwrap_or(&none);
        f.backups += 1;
        f.manifest_verified += u64::from(v.passed(VerifyLevel::Manifest));
        f.checksum_verified += u64::from(v.passed(VerifyLevel::Checksum));
        f.restore_verified += u64::from(v.passed(VerifyLevel::Restore));
        f.verified += u64::from(v.passed(VerifyLevel::Checksum) || v.passed(VerifyLevel::Restore));
        f.failed += u64::from(v.failed());
    }
    if f.backups > 0 {
        f.verified_percent = 100.0 * f.verified as f64 / f.backups as f64;
    }
    let newest = verdicts
        .values()
        .filter_map(LevelVerdicts::restore_passed_at)
        .filter(|t| *t <= end)
        .max();
    f.newest_restore_verification_at = newest.map(format_ms);
    f.newest_restore_verification_age_s = newest.map(|t| secs(end - t));
    f.result = if f.failed > 0 {
        Verdict::Fail
    } else if f.verified == 0 {
        Verdict::NoData
    } else {
        Verdict::Pass
    };
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_verdict_per_level_counts() {
        let mut v = BTreeMap::new();
        let mut a = LevelVerdicts::default();
        a.record(VerifyLevel::Checksum, 10, false);
        a.record(VerifyLevel::Checksum, 20, true); // fixed and re-verified
        a.record(VerifyLevel::Restore, 30, true);
        let mut b = LevelVerdicts::default();
        b.record(VerifyLevel::Checksum, 20, true);
        b.record(VerifyLevel::Checksum, 5, false); // older: does not hide the pass
        b.record(VerifyLevel::Manifest, 40, false);
        let mut old = LevelVerdicts::default();
        old.record(VerifyLevel::Restore, 50, true); // a backup from before the period
        v.insert("a".to_string(), a);
        v.insert("b".to_string(), b);
        v.insert("old".to_string(), old);
        let f = figures(["a", "b", "c", "d"].into_iter(), &v, 1050);
        assert_eq!(f.backups, 4);
        assert_eq!(
            (f.manifest_verified, f.checksum_verified, f.restore_verified),
            (0, 2, 1)
        );
        assert_eq!((f.verified, f.verified_percent, f.failed), (2, 50.0, 1));
        assert_eq!(f.newest_restore_verification_age_s, Some(1.0));
        assert_eq!(f.result, Verdict::Fail);
    }
}
