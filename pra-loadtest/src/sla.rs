//! The verdict per service-level objective: RPO, RTO, slowdown, availability.
//! A figure that could not be measured is `skipped` (not a pass in disguise: the
//! drill's message says what was not measured), except when its absence is
//! itself the failure (a backup that could not be restored fails the RTO).

use pra_core::event::kinds::{DrillFields, SlaCheck};
use pra_core::time::format_duration;
use std::time::Duration;

/// The targets of a drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Most work one may lose.
    pub rpo: Duration,
    /// Longest restore.
    pub rto: Duration,
    /// Largest p95 ratio during the backup.
    pub max_slowdown: f64,
    /// Failed application probes accepted.
    pub max_app_failures: u64,
}

fn check(
    name: &str,
    unit: &str,
    target: f64,
    measured: Option<f64>,
    pass: bool,
    detail: String,
) -> SlaCheck {
    SlaCheck {
        name: name.to_string(),
        result: match measured {
            None => "skipped",
            Some(_) if pass => "pass",
            Some(_) => "fail",
        }
        .to_string(),
        target: Some(target),
        measured,
        unit: unit.to_string(),
        detail,
    }
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s.max(0.0) * 1000.0)
    } else {
        format_duration(Duration::from_secs_f64(s))
    }
}

/// The four verdicts for the drill's figures. `restore_error` is why the restore
/// failed, if it did; `app_probed` says whether an application URL was given.
pub fn evaluate(
    targets: &Targets,
    f: &DrillFields,
    restore_error: Option<&str>,
    app_probed: bool,
) -> Vec<SlaCheck> {
    let rpo_target = targets.rpo.as_secs_f64();
    let rpo = match f.rpo_s {
        Some(s) => check(
            "rpo",
            "s",
            rpo_target,
            Some(s),
            s <= rpo_target,
            format!(
                "{} committed transactions ({}) not in the backup at the end of the drill; target {}",
                f.rpo_transactions.unwrap_or(0),
                secs(s),
                secs(rpo_target)
            ),
        ),
        None => check("rpo", "s", rpo_target, None, false, "not measured".to_string()),
    };
    let rto_target = targets.rto.as_secs_f64();
    let rto = match (f.rto_s, restore_error) {
        (_, Some(why)) => SlaCheck {
            result: "fail".to_string(),
            detail: format!("the backup could not be restored: {why}"),
            ..check("rto", "s", rto_target, f.rto_s, false, String::new())
        },
        (Some(s), None) if !f.validation_problems.is_empty() => check(
            "rto",
            "s",
            rto_target,
            Some(s),
            false,
            format!(
                "restored in {} but the restored database does not match the manifest: {}",
                secs(s),
                f.validation_problems.join("; ")
            ),
        ),
        (Some(s), None) => check(
            "rto",
            "s",
            rto_target,
            Some(s),
            s <= rto_target,
            format!(
                "restored and validated ({} tables) in {}; target {}",
                f.tables_validated,
                secs(s),
                secs(rto_target)
            ),
        ),
        (None, None) => check(
            "rto",
            "s",
            rto_target,
            None,
            false,
            "not measured".to_string(),
        ),
    };
    let slowdown = match f.slowdown_ratio {
        Some(r) => check(
            "slowdown",
            "ratio",
            targets.max_slowdown,
            Some(r),
            r <= targets.max_slowdown,
            format!(
                "p95 latency {:.1} ms during the backup vs {:.1} ms before: x{r:.2}; target x{:.2} at most",
                f.during_backup.p95_s * 1000.0,
                f.baseline.p95_s * 1000.0,
                targets.max_slowdown
            ),
        ),
        None => check(
            "slowdown",
            "ratio",
            targets.max_slowdown,
            None,
            false,
            "not measured (no transaction committed before or during the backup)".to_string(),
        ),
    };
    let availability = if app_probed {
        let failures = f.app_failures as f64;
        check(
            "availability",
            "failures",
            targets.max_app_failures as f64,
            Some(failures),
            f.app_failures <= targets.max_app_failures,
            format!(
                "{} of {} probes of the application failed; {} accepted",
                f.app_failures, f.app_probes, targets.max_app_failures
            ),
        )
    } else {
        check(
            "availability",
            "failures",
            targets.max_app_failures as f64,
            None,
            false,
            "not measured (no --app-url)".to_string(),
        )
    };
    vec![rpo, rto, slowdown, availability]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets {
            rpo: Duration::from_secs(3600),
            rto: Duration::from_secs(60),
            max_slowdown: 2.0,
            max_app_failures: 0,
        }
    }

    #[test]
    fn verdicts_follow_the_figures() {
        let mut f = DrillFields {
            rpo_s: Some(10.0),
            rpo_transactions: Some(500),
            rto_s: Some(61.0),
            slowdown_ratio: Some(1.2),
            app_probes: 30,
            app_failures: 1,
            ..Default::default()
        };
        let v = evaluate(&targets(), &f, None, true);
        let results: Vec<_> = v
            .iter()
            .map(|c| (c.name.as_str(), c.result.as_str()))
            .collect();
        assert_eq!(
            results,
            [
                ("rpo", "pass"),
                ("rto", "fail"),
                ("slowdown", "pass"),
                ("availability", "fail")
            ]
        );
        f.validation_problems = vec!["table a: 1 rows found, 2 expected".into()];
        f.rto_s = Some(1.0);
        let v = evaluate(&targets(), &f, None, false);
        assert_eq!(v[1].result, "fail");
        assert!(v[1].detail.contains("does not match"));
        assert_eq!(v[3].result, "skipped");
        let v = evaluate(&targets(), &f, Some("pg_restore failed"), false);
        assert_eq!(v[1].result, "fail");
        assert!(v[1].detail.contains("pg_restore failed"));
    }
}
