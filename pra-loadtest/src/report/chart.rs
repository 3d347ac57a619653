//! The latency timeline as an inline SVG chart: p95 latency (left axis) and TPS
//! (right axis) per second, the backup's time shaded.

use pra_core::event::kinds::DrillFields;
use std::fmt::Write;

const W: f64 = 900.0;
const H: f64 = 320.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 70.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 50.0;

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `v`.
fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

fn label(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

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
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |t: f64| LEFT + t / t_max * pw;
    let y_ms = |v: f64| TOP + ph - v / ms_max * ph;
    let y_tps = |v: f64| TOP + ph - v / tps_max * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" \
         aria-label=\"p95 latency and transactions per second over the drill\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    // The backup's time, shaded: from the end of the baseline to the end of the backup.
    let b0 = f.baseline.duration_s;
    let b1 = b0 + f.during_backup.duration_s;
    if f.during_backup.duration_s > 0.0 {
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"#fff3cd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#8a6d3b\">backup</text>",
            x(b0),
            (x(b1) - x(b0)).max(1.0),
            x(b0) + 3.0,
            TOP + 14.0
        );
    }
    // Grid and axes.
    for i in 0..=5 {
        let frac = f64::from(i) / 5.0;
        let y = TOP + ph - frac * ph;
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c0392b\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#2c6fbb\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            label(ms_max * frac),
            W - RIGHT + 6.0,
            y + 4.0,
            label(tps_max * frac)
        );
        let t = t_max * frac;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(t),
            TOP + ph + 16.0,
            label(t)
        );
    }
    let _ = writeln!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">seconds since the load started</text>\
         <text x=\"14\" y=\"{:.1}\" fill=\"#c0392b\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">p95 latency (ms)</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#2c6fbb\" transform=\"rotate(90 {:.1} {:.1})\" text-anchor=\"middle\">transactions per second</text>",
        LEFT + pw / 2.0,
        H - 12.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        W - 16.0,
        TOP + ph / 2.0,
        W - 16.0,
        TOP + ph / 2.0
    );
    let line = |series: &dyn Fn(&pra_core::event::kinds::TimelinePoint) -> (f64, f64)| {
        points
            .iter()
            .map(|p| {
                let (px, py) = series(p);
                format!("{px:.1},{py:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let tps_line = line(&|p| (x(p.t_s), y_tps(p.tps)));
    let ms_line = line(&|p| (x(p.t_s), y_ms(p.p95_s * 1000.0)));
    let _ = writeln!(
        s,
        "<polyline points=\"{tps_line}\" fill=\"none\" stroke=\"#2c6fbb\" stroke-width=\"1.5\"/>\n\
         <polyline points=\"{ms_line}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c0392b\">— p95 latency</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#2c6fbb\">— TPS</text>\n</svg>",
        LEFT + 8.0,
        TOP + ph - 8.0,
        LEFT + 120.0,
        TOP + ph - 8.0
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::kinds::TimelinePoint;

    #[test]
    fn axes_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(130.0), 200.0);
        assert_eq!(nice_max(4.0), 5.0);
    }

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
