//! The latency timeline as an inline SVG chart: p95 latency (left axis) and TPS
//! (right axis) per second, the backup's time shaded. Drawn by the shared chart
//! code of pra-core ([`pra_core::chart`]), as pra-report's charts are.

use pra_core::chart::{nice_max, Axis, Band, Chart, Series, Side};
use pra_core::event::kinds::{DrillFields, TimelinePoint};

/// The chart; a short note instead when there is no point to draw.
pub(super) fn timeline_svg(f: &DrillFields) -> String {
    let points = &f.timeline;
    if points.is_empty() {
        return "<p>No timeline: the load did not run long enough to sample.</p>\n".to_string();
    }
    // The x axis ends with the drill (a round axis would leave an empty end).
    let t_max = points
        .iter()
        .map(|p| p.t_s)
        .fold(0.0, f64::max)
        .ceil()
        .max(1.0);
    let ms_max = nice_max(points.iter().map(|p| p.p95_s * 1000.0).fold(0.0, f64::max));
    let tps_max = nice_max(points.iter().map(|p| p.tps).fold(0.0, f64::max));
    let mut chart = Chart::new(
        "p95 latency and transactions per second over the drill",
        Axis::new(t_max, "seconds since the load started"),
        Axis::new(ms_max, "p95 latency (ms)").color(RED),
    );
    chart.right = Some(Axis::new(tps_max, "transactions per second").color(BLUE));
    // The backup's time, shaded: from the end of the baseline to the end of the backup.
    if f.during_backup.duration_s > 0.0 {
        let b0 = f.baseline.duration_s;
        chart.bands.push(Band {
            x0: b0,
            x1: b0 + f.during_backup.duration_s,
            label: "backup".to_string(),
            fill: "#fff3cd",
            text: "#8a6d3b",
        });
    }
    let series = |name: &str, color, width, side, y: fn(&TimelinePoint) -> f64| Series {
        name: name.to_string(),
        color,
        width,
        side,
        markers: false,
        points: points.iter().map(|p| (p.t_s, y(p))).collect(),
    };
    chart.series = vec![
        series("p95 latency", RED, 2.0, Side::Left, |p| p.p95_s * 1000.0),
        series("TPS", BLUE, 1.5, Side::Right, |p| p.tps),
    ];
    chart.to_svg()
}

const RED: &str = "#c0392b";
const BLUE: &str = "#2c6fbb";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_draws_both_series_and_the_backup() {
        let mut f = DrillFields::default();
        f.baseline.duration_s = 5.0;
        f.during_backup.duration_s = 2.0;
        f.timeline = (1..=10)
            .map(|i| TimelinePoint {
                t_s: f64::from(i),
                tps: 100.0 + f64::from(i),
                p95_s: 0.002,
                phase: "baseline".into(),
            })
            .collect();
        let svg = timeline_svg(&f);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">backup</text>"));
        assert!(timeline_svg(&DrillFields::default()).contains("No timeline"));
    }
}
