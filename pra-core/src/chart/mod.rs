//! Inline SVG charts for the tools' HTML reports (pra-loadtest's drill report,
//! pra-report's compliance report): one self-contained `<svg>` element, no script,
//! no external file, so a report opens offline and prints as it shows.
//!
//! A [`Chart`] is a plot area with an x axis, a left and an optional right y axis
//! (five grid divisions each), and what is drawn in it, back to front: shaded
//! [`Band`]s, [`Stack`]ed bars, dashed [`Threshold`] lines, then the [`Series`]
//! polylines. The first series is the most important one: drawn on top of the
//! others and first in the legend.

mod render;
#[cfg(test)]
mod tests;

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `v`.
pub fn nice_max(v: f64) -> f64 {
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

/// A tick label for a plain number: no decimals for whole or large numbers, one otherwise.
pub fn label(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One axis: its range, its title and how its ticks read.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Value at the start of the axis.
    pub min: f64,
    /// Value at the end of the axis (greater than `min`).
    pub max: f64,
    /// What the axis measures, with its unit.
    pub title: String,
    /// Colour of the tick labels and the title (y axes: the colour of their series).
    pub color: Option<&'static str>,
    /// The text of a tick at a value.
    pub format: fn(f64) -> String,
}

impl Axis {
    /// An axis from 0 to `max`, ticks as plain numbers.
    pub fn new(max: f64, title: impl Into<String>) -> Axis {
        Axis {
            min: 0.0,
            max,
            title: title.into(),
            color: None,
            format: label,
        }
    }

    /// The same axis, in a colour.
    pub fn color(mut self, color: &'static str) -> Axis {
        self.color = Some(color);
        self
    }

    /// The same axis, its ticks written by `format`.
    pub fn format(mut self, format: fn(f64) -> String) -> Axis {
        self.format = format;
        self
    }

    /// The same axis, starting at `min`.
    pub fn from(mut self, min: f64) -> Axis {
        self.min = min;
        self
    }

    pub(crate) fn span(&self) -> f64 {
        let s = self.max - self.min;
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }

    pub(crate) fn fill(&self) -> String {
        self.color
            .map(|c| format!(" fill=\"{c}\""))
            .unwrap_or_default()
    }
}

/// Which y axis a series or threshold is read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The left axis.
    Left,
    /// The right axis.
    Right,
}

/// A line through points `(x, y)`.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Stroke width.
    pub width: f64,
    /// The y axis it is read against.
    pub side: Side,
    /// Draw a dot at each point (for sparse series, where a line alone hides a lone point).
    pub markers: bool,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded stretch of the x axis with a label (e.g. the time a backup ran).
#[derive(Debug, Clone)]
pub struct Band {
    /// Start, in x units.
    pub x0: f64,
    /// End, in x units.
    pub x1: f64,
    /// Its label, written at its top left.
    pub label: String,
    /// Fill colour.
    pub fill: &'static str,
    /// Label colour.
    pub text: &'static str,
}

/// A dashed horizontal line at a value, e.g. an objective.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// The value, on `side`'s axis.
    pub value: f64,
    /// The y axis.
    pub side: Side,
    /// Its label, written at the right end of the line.
    pub label: String,
    /// Line and label colour.
    pub color: &'static str,
}

/// A bar from `x0` to `x1` made of parts stacked from the bottom, on the left axis.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Start, in x units.
    pub x0: f64,
    /// End, in x units.
    pub x1: f64,
    /// The parts, bottom first: value (left axis units) and fill colour.
    pub parts: Vec<(f64, &'static str)>,
    /// A tooltip (`<title>`) for people pointing at the bar.
    pub title: String,
}

/// A chart: axes, then what is drawn in the plot area.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What the chart shows, for screen readers (`aria-label`).
    pub description: String,
    /// Total height in SVG units (the width is 900; the SVG scales to its container).
    pub height: f64,
    /// The x axis.
    pub x: Axis,
    /// The left y axis.
    pub left: Axis,
    /// The right y axis, for a second unit.
    pub right: Option<Axis>,
    /// Shaded stretches of x.
    pub bands: Vec<Band>,
    /// Stacked bars.
    pub stacks: Vec<Stack>,
    /// Dashed lines at a value.
    pub thresholds: Vec<Threshold>,
    /// Lines, the most important first.
    pub series: Vec<Series>,
}

impl Chart {
    /// An empty chart, 320 high, on these axes.
    pub fn new(description: impl Into<String>, x: Axis, left: Axis) -> Chart {
        Chart {
            description: description.into(),
            height: 320.0,
            x,
            left,
            right: None,
            bands: Vec::new(),
            stacks: Vec::new(),
            thresholds: Vec::new(),
            series: Vec::new(),
        }
    }

    /// The chart as an `<svg>` element, ending with a newline.
    pub fn to_svg(&self) -> String {
        render::Plot::new(self).render()
    }
}
