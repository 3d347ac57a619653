//! The report's charts, drawn with pra-core's shared chart code: backup size and
//! duration over time, the age of the newest recovery point against the RPO,
//! and the availability timeline.

use crate::figures::{HostSeries, Report, StanzaSeries};
use crate::period::Period;
use pra_core::chart::{nice_max, Axis, Band, Chart, Series, Side, Stack, Threshold};

const BLUE: &str = "#2c6fbb";
const RED: &str = "#c0392b";
const ORANGE: &str = "#d35400";
/// Colours of up, down and unknown time.
pub const UP: &str = "#4caf50";
/// Down.
pub const DOWN: &str = "#e53935";
/// Unknown.
pub const UNKNOWN: &str = "#c8c8c8";
/// Teeth drawn at most in the RPO chart: the largest gap of each stretch of the period.
const MAX_TEETH: usize = 600;

fn date_label(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn datetime_label(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn time_axis(p: Period) -> Axis {
    let format: fn(f64) -> String = if p.len_ms() <= 2 * 86_400_000 {
        datetime_label
    } else {
        date_label
    };
    Axis::new(p.end as f64, "date (UTC)")
        .from(p.start as f64)
        .format(format)
}

/// A unit for seconds so that an axis reads in small numbers: (seconds per unit, name).
fn time_unit(max_s: f64) -> (f64, &'static str) {
    match max_s {
        m if m >= 2.0 * 86400.0 => (86400.0, "days"),
        m if m >= 2.0 * 3600.0 => (3600.0, "hours"),
        m if m >= 120.0 => (60.0, "minutes"),
        _ => (1.0, "seconds"),
    }
}

fn byte_unit(max: f64) -> (f64, &'static str) {
    let mut unit = (1.0, "bytes");
    for (i, name) in ["KiB", "MiB", "GiB", "TiB"].into_iter().enumerate() {
        let size = 1024f64.powi(i as i32 + 1);
        if max >= size {
            unit = (size, name);
        }
    }
    unit
}

/// Backup stored size (left) and duration (right) over the period.
pub fn backups(r: &Report, s: &StanzaSeries) -> String {
    if s.backups.is_empty() {
        return "<p class=\"note\">No successful backup in the period.</p>\n".to_string();
    }
    let max_b = s
        .backups
        .iter()
        .map(|b| b.stored_bytes as f64)
        .fold(0.0, f64::max);
    let max_d = s.backups.iter().map(|b| b.duration_s).fold(0.0, f64::max);
    let (bu, bname) = byte_unit(max_b);
    let (du, dname) = time_unit(max_d);
    let mut c = Chart::new(
        format!("stored size and duration of the backups of {}", s.stanza),
        time_axis(r.period),
        Axis::new(nice_max(max_b / bu), format!("stored size ({bname})")).color(BLUE),
    );
    c.right = Some(Axis::new(nice_max(max_d / du), format!("duration ({dname})")).color(ORANGE));
    let markers = s.backups.len() <= 60;
    c.series = vec![
        Series {
            name: "stored size".into(),
            color: BLUE,
            width: 2.0,
            side: Side::Left,
            markers,
            points: s
                .backups
                .iter()
                .map(|b| (b.at as f64, b.stored_bytes as f64 / bu))
                .collect(),
        },
        Series {
            name: "duration".into(),
            color: ORANGE,
            width: 1.5,
            side: Side::Right,
            markers,
            points: s
                .backups
                .iter()
                .map(|b| (b.at as f64, b.duration_s / du))
                .collect(),
        },
    ];
    c.to_svg()
}

/// The age of the newest recovery point over the period (a sawtooth that drops at
/// each backup), the RPO dashed, stretches without any known point shaded.
pub fn rpo(r: &Report, s: &StanzaSeries) -> String {
    let rpo_s = r.fields.rpo_target_s;
    let max_s = s
        .gaps
        .iter()
        .map(|g| g.len_ms() as f64 / 1000.0)
        .fold(rpo_s, f64::max);
    let (u, name) = time_unit(max_s);
    let mut c = Chart::new(
        format!(
            "age of the newest recovery point of {} against the RPO",
            s.stanza
        ),
        time_axis(r.period),
        Axis::new(
            nice_max(max_s / u * 1.05),
            format!("age of newest recovery point ({name})"),
        )
        .color(RED),
    );
    c.thresholds.push(Threshold {
        value: rpo_s / u,
        side: Side::Left,
        label: format!("RPO {}", crate::summary::secs(rpo_s)),
        color: "#555",
    });
    let mut teeth: Vec<_> = s
        .gaps
        .iter()
        .filter(|g| g.from.is_some())
        .copied()
        .collect();
    if teeth.len() > MAX_TEETH {
        // Keep the largest gap ending in each stretch: the peaks are what the chart is for.
        let width = (r.period.len_ms() / MAX_TEETH as i64).max(1);
        let mut best: std::collections::BTreeMap<i64, crate::figures::rpo::Gap> =
            Default::default();
        for g in teeth {
            let e = best.entry((g.end - r.period.start) / width).or_insert(g);
            if g.len_ms() > e.len_ms() {
                *e = g;
            }
        }
        teeth = best.into_values().collect();
    }
    let mut points = Vec::with_capacity(teeth.len() * 3);
    for g in &teeth {
        let from = g.from.unwrap_or(g.start);
        let x0 = from.max(r.period.start);
        points.push((x0 as f64, (x0 - from) as f64 / 1000.0 / u));
        points.push((g.end as f64, (g.end - from) as f64 / 1000.0 / u));
        if g.to_point {
            points.push((g.end as f64, 0.0));
        }
    }
    for g in s.gaps.iter().filter(|g| g.from.is_none()) {
        c.bands.push(Band {
            x0: g.start as f64,
            x1: g.end as f64,
            label: "no recovery point known".into(),
            fill: "#fdecea",
            text: RED,
        });
    }
    c.series.push(Series {
        name: "age of the newest recovery point".into(),
        color: RED,
        width: 1.5,
        side: Side::Left,
        markers: false,
        points,
    });
    c.to_svg()
}

/// Up, down and unknown share of each bucket of the period.
pub fn availability(r: &Report, h: &HostSeries) -> String {
    let mut c = Chart::new(
        format!("availability of {} over the period", h.host),
        time_axis(r.period),
        Axis::new(100.0, "share of the time (%)"),
    );
    c.height = 240.0;
    for (i, b) in h.buckets.iter().enumerate() {
        let x0 = r.period.start + i as i64 * r.bucket_ms;
        let x1 = (x0 + r.bucket_ms).min(r.period.end);
        let total = (b.up + b.down + b.unknown).max(1) as f64;
        let pct = |v: i64| 100.0 * v as f64 / total;
        c.stacks.push(Stack {
            x0: x0 as f64,
            x1: x1 as f64,
            parts: vec![
                (pct(b.up), UP),
                (pct(b.down), DOWN),
                (pct(b.unknown), UNKNOWN),
            ],
            title: format!(
                "{}: up {}, down {}, unknown {}",
                datetime_label(x0 as f64),
                crate::summary::percent(pct(b.up)),
                crate::summary::percent(pct(b.down)),
                crate::summary::percent(pct(b.unknown))
            ),
        });
    }
    c.to_svg()
}
