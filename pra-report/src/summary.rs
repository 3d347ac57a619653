//! The report's content in words and table rows, the same for HTML and Markdown:
//! the verdict, one row per objective, the figures of each stanza, the
//! availability of each host, the incidents, and what was read.

use crate::figures::Report;
use pra_core::event::kinds::{StanzaFigures, Verdict};
use pra_core::event::Status;
use pra_core::time::{format_bytes, format_duration};
use std::time::Duration;

/// A duration in seconds for people.
pub fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format_duration(Duration::from_secs_f64(s))
    }
}

/// A percentage with the precision availability needs (99.95 % is not 100 %).
pub fn percent(p: f64) -> String {
    if p == 100.0 || p == 0.0 {
        format!("{p:.0} %")
    } else {
        format!("{:.3} %", (p * 1000.0).floor() / 1000.0)
    }
}

/// A time as `2026-11-25 11:00` (UTC).
pub fn when(ts: &str) -> String {
    pra_core::time::parse_ts(ts)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| ts.to_string())
}

/// A verdict as the tables write it.
pub fn result(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NoData => "NO DATA",
    }
}

/// The report's one line: the event's message and the page's verdict.
pub fn headline(r: &Report) -> String {
    let f = &r.fields;
    let scope = format!(
        "{} to {}, {} stanza(s), {} host(s)",
        when(&f.period_start_at),
        when(&f.period_end_at),
        f.stanzas.len(),
        f.availability.len()
    );
    match r.status {
        Status::Error => format!("FAIL: {} not met ({scope})", f.failed.join(", ")),
        Status::Warn => format!("PASS with reservations: no objective failed, but some could not be judged or history lines were unreadable ({scope})"),
        Status::Ok => format!("PASS: every objective met ({scope})"),
    }
}

/// One row of the objectives table: objective, scope, target, measured, result.
pub type ObjectiveRow = [String; 5];

/// The objectives table, stanza by stanza, then host by host.
pub fn objectives(r: &Report) -> Vec<(ObjectiveRow, Verdict)> {
    let f = &r.fields;
    let mut rows = Vec::new();
    for s in &f.stanzas {
        let rpo = match s.rpo.largest_gap_s {
            Some(g) => format!(
                "largest gap {}; {} of the period covered; {} breach(es)",
                secs(g),
                percent(s.rpo.covered_percent),
                s.rpo.breaches
            ),
            None => "no recovery point".to_string(),
        };
        rows.push(row(
            "Recovery point (RPO)",
            &s.stanza,
            secs(f.rpo_target_s),
            rpo,
            s.rpo.result,
        ));
        let rto = match s.rto.max_s {
            Some(m) => format!(
                "longest {} over {} restore(s), {} within target",
                secs(m),
                s.rto.measurements,
                s.rto.within_target
            ),
            None => "no restore or drill measured".to_string(),
        };
        rows.push(row(
            "Recovery time (RTO)",
            &s.stanza,
            secs(f.rto_target_s),
            rto,
            s.rto.result,
        ));
        let v = &s.verification;
        let newest = v
            .newest_restore_verification_age_s
            .map(|a| format!("; newest restore test {} ago", secs(a)))
            .unwrap_or_else(|| "; no restore test".to_string());
        let cov = format!(
            "{} of {} backups verified ({}){newest}",
            v.verified,
            v.backups,
            percent(v.verified_percent)
        );
        rows.push(row(
            "Verification",
            &s.stanza,
            "every backup".to_string(),
            cov,
            v.result,
        ));
    }
    for a in &f.availability {
        let m = format!(
            "{} (down {}, unknown {})",
            percent(a.percent),
            secs(a.down_s),
            secs(a.unknown_s)
        );
        rows.push(row(
            "Availability",
            &a.host,
            percent(f.availability_target_percent),
            m,
            a.result,
        ));
    }
    rows
}

fn row(
    what: &str,
    scope: &str,
    target: String,
    measured: String,
    v: Verdict,
) -> (ObjectiveRow, Verdict) {
    (
        [
            what.to_string(),
            scope.to_string(),
            target,
            measured,
            result(v).to_string(),
        ],
        v,
    )
}

/// The figures of one stanza, as label and value.
pub fn stanza_details(s: &StanzaFigures) -> Vec<(String, String)> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    let t = &s.trend;
    let v = &s.verification;
    vec![
        (
            "Recovery points in the period".into(),
            s.rpo.recovery_points.to_string(),
        ),
        (
            "Newest recovery point".into(),
            opt(s.rpo.last_recovery_point_at.as_deref().map(when)),
        ),
        (
            "Largest gap".into(),
            opt(s
                .rpo
                .largest_gap_start_at
                .as_ref()
                .zip(s.rpo.largest_gap_end_at.as_ref())
                .map(|(a, b)| format!("{} → {}", when(a), when(b)))),
        ),
        ("Backups (successful)".into(), t.backups.to_string()),
        (
            "Stored size, first → last".into(),
            opt(t
                .first_stored_bytes
                .zip(t.last_stored_bytes)
                .map(|(a, b)| format!("{} → {}", format_bytes(a), format_bytes(b)))),
        ),
        (
            "Growth per day".into(),
            opt(t.stored_bytes_per_day.map(|g| {
                format!(
                    "{}{}",
                    if g < 0.0 { "−" } else { "" },
                    format_bytes(g.abs() as u64)
                )
            })),
        ),
        (
            "Duration mean / longest / last".into(),
            opt(t.mean_duration_s.map(|m| {
                format!(
                    "{} / {} / {}",
                    secs(m),
                    secs(t.max_duration_s.unwrap_or(m)),
                    secs(t.last_duration_s.unwrap_or(m))
                )
            })),
        ),
        (
            "Verified: manifest / checksum / restore".into(),
            format!(
                "{} / {} / {} of {}",
                v.manifest_verified, v.checksum_verified, v.restore_verified, v.backups
            ),
        ),
        ("Failed verifications".into(), v.failed.to_string()),
        (
            "Newest restore test".into(),
            opt(v.newest_restore_verification_at.as_deref().map(when)),
        ),
        (
            "Restores: measured / failed".into(),
            format!("{} / {}", s.rto.measurements, s.rto.failed_restores),
        ),
        (
            "RTO median / last".into(),
            opt(s.rto.median_s.map(|m| {
                format!(
                    "{} / {}",
                    secs(m),
                    s.rto.last_s.map(secs).unwrap_or_default()
                )
            })),
        ),
    ]
}

/// The availability table: host, availability, up, down, unknown, samples.
pub fn availability(r: &Report) -> Vec<[String; 6]> {
    r.fields
        .availability
        .iter()
        .map(|a| {
            [
                a.host.clone(),
                percent(a.percent),
                secs(a.up_s),
                secs(a.down_s),
                secs(a.unknown_s),
                a.samples.to_string(),
            ]
        })
        .collect()
}

/// The incidents table: stanza, class, count, first, last, kinds, last message.
pub fn incidents(r: &Report) -> Vec<[String; 7]> {
    r.fields
        .incidents
        .iter()
        .map(|i| {
            [
                i.stanza.clone().unwrap_or_else(|| "—".to_string()),
                i.error_class.clone(),
                i.count.to_string(),
                when(&i.first_at),
                when(&i.last_at),
                i.kinds.join(", "),
                i.last_message.clone(),
            ]
        })
        .collect()
}

/// What was read, and what could not be.
pub fn data_quality(r: &Report) -> Vec<String> {
    let f = &r.fields;
    let mut out = vec![format!(
        "{} history line(s) read from {}: {} event(s), {} malformed line(s) skipped.",
        f.lines,
        if f.inputs.is_empty() {
            "nothing".to_string()
        } else {
            f.inputs.join(", ")
        },
        f.events,
        f.malformed_lines
    )];
    out.extend(
        r.malformed_examples
            .iter()
            .map(|e| format!("Malformed: {e}")),
    );
    if !f.repos.is_empty() {
        out.push(format!("Repositories read: {}.", f.repos.join(", ")));
    }
    for a in f.availability.iter().filter(|a| a.out_of_order > 0) {
        out.push(format!(
            "{}: {} status sample(s) too far out of time order, not used.",
            a.host, a.out_of_order
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(percent(99.9499), "99.949 %");
        assert_eq!(percent(100.0), "100 %");
        assert_eq!(secs(0.25), "250 ms");
        assert_eq!(secs(3600.0), "1 h 00 min");
        assert_eq!(when("2026-11-25T11:00:00.000Z"), "2026-11-25 11:00");
    }
}
