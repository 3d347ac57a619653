//! Drawing a [`Chart`] as SVG: the geometry (value to coordinate) and the elements,
//! back to front.

use super::{escape, Chart, Series, Side};
use std::fmt::Write;

const W: f64 = 900.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 70.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 50.0;
/// Grid divisions of every axis.
const DIVISIONS: u32 = 5;

/// A chart's geometry: value to SVG coordinate.
pub(super) struct Plot<'a> {
    c: &'a Chart,
    h: f64,
    pw: f64,
    ph: f64,
}

impl<'a> Plot<'a> {
    pub(super) fn new(c: &'a Chart) -> Plot<'a> {
        let h = c.height;
        Plot {
            c,
            h,
            pw: W - LEFT - RIGHT,
            ph: h - TOP - BOTTOM,
        }
    }

    fn x(&self, v: f64) -> f64 {
        LEFT + (v - self.c.x.min) / self.c.x.span() * self.pw
    }

    fn y(&self, side: Side, v: f64) -> f64 {
        let axis = match (side, &self.c.right) {
            (Side::Right, Some(r)) => r,
            _ => &self.c.left,
        };
        TOP + self.ph - (v - axis.min) / axis.span() * self.ph
    }

    pub(super) fn render(&self) -> String {
        let (c, h, pw, ph) = (self.c, self.h, self.pw, self.ph);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"100%\" role=\"img\" \
             aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"12\">",
            escape(&c.description)
        );
        for b in &c.bands {
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\">{}</text>",
                self.x(b.x0),
                (self.x(b.x1) - self.x(b.x0)).max(1.0),
                b.fill,
                self.x(b.x0) + 3.0,
                TOP + 14.0,
                b.text,
                escape(&b.label)
            );
        }
        self.grid(&mut s);
        self.stacks(&mut s);
        let _ = writeln!(
            s,
            "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{}>{}</text>\
             <text x=\"14\" y=\"{:.1}\"{} transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}</text>{}",
            LEFT + pw / 2.0,
            h - 12.0,
            c.x.fill(),
            escape(&c.x.title),
            TOP + ph / 2.0,
            c.left.fill(),
            TOP + ph / 2.0,
            escape(&c.left.title),
            self.right_title()
        );
        self.thresholds(&mut s);
        for series in c.series.iter().rev() {
            self.polyline(&mut s, series);
        }
        let mut lx = LEFT + 8.0;
        for series in &c.series {
            let name = format!("— {}", series.name);
            let _ = write!(
                s,
                "<text x=\"{lx:.1}\" y=\"{:.1}\" fill=\"{}\">{}</text>",
                TOP + ph - 8.0,
                series.color,
                escape(&name)
            );
            lx += (7.0 * name.chars().count() as f64 + 16.0).max(112.0);
        }
        s.push_str("\n</svg>\n");
        s
    }

    fn right_title(&self) -> String {
        let Some(r) = &self.c.right else {
            return String::new();
        };
        let (x, y) = (W - 16.0, TOP + self.ph / 2.0);
        format!(
            "<text x=\"{x:.1}\" y=\"{y:.1}\"{} transform=\"rotate(90 {x:.1} {y:.1})\" text-anchor=\"middle\">{}</text>",
            r.fill(),
            escape(&r.title)
        )
    }

    fn grid(&self, s: &mut String) {
        let c = self.c;
        for i in 0..=DIVISIONS {
            let frac = f64::from(i) / f64::from(DIVISIONS);
            let y = TOP + self.ph - frac * self.ph;
            let _ = write!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"{}>{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                c.left.fill(),
                (c.left.format)(c.left.min + c.left.span() * frac)
            );
            if let Some(r) = &c.right {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\"{}>{}</text>",
                    W - RIGHT + 6.0,
                    y + 4.0,
                    r.fill(),
                    (r.format)(r.min + r.span() * frac)
                );
            }
            s.push('\n');
            let t = c.x.min + c.x.span() * frac;
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                self.x(t),
                TOP + self.ph + 16.0,
                (c.x.format)(t)
            );
        }
    }

    fn stacks(&self, s: &mut String) {
        for bar in &self.c.stacks {
            let x0 = self.x(bar.x0);
            let width = (self.x(bar.x1) - x0).max(0.5);
            let _ = write!(s, "<g><title>{}</title>", escape(&bar.title));
            let mut base = self.c.left.min;
            for &(v, fill) in &bar.parts {
                if v <= 0.0 {
                    continue;
                }
                let (top, bottom) = (self.y(Side::Left, base + v), self.y(Side::Left, base));
                let _ = write!(
                    s,
                    "<rect x=\"{x0:.2}\" y=\"{top:.2}\" width=\"{width:.2}\" height=\"{:.2}\" fill=\"{fill}\"/>",
                    bottom - top
                );
                base += v;
            }
            s.push_str("</g>\n");
        }
    }

    fn thresholds(&self, s: &mut String) {
        for t in &self.c.thresholds {
            let y = self.y(t.side, t.value);
            let _ = writeln!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-dasharray=\"6 4\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
                W - RIGHT,
                t.color,
                W - RIGHT - 4.0,
                y - 4.0,
                t.color,
                escape(&t.label)
            );
        }
    }

    fn polyline(&self, s: &mut String, series: &Series) {
        let points: Vec<String> = series
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.x(x), self.y(series.side, y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"/>",
            points.join(" "),
            series.color,
            series.width
        );
        if series.markers {
            for &(x, y) in &series.points {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                    self.x(x),
                    self.y(series.side, y),
                    series.color
                );
            }
            s.push('\n');
        }
    }
}
