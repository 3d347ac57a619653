//! Tests of the shared chart code: coordinates, drawing order, stacks.
use super::*;

#[test]
fn axes_are_round() {
    assert_eq!(nice_max(0.0), 1.0);
    assert_eq!(nice_max(7.3), 10.0);
    assert_eq!(nice_max(130.0), 200.0);
    assert_eq!(nice_max(4.0), 5.0);
    assert_eq!(label(2.5), "2.5");
    assert_eq!(label(250.4), "250");
}

fn chart() -> Chart {
    let mut c = Chart::new("a <test>", Axis::new(10.0, "x"), Axis::new(100.0, "left"));
    c.right = Some(Axis::new(4.0, "right").color("#00f"));
    c.series = vec![
        Series {
            name: "first".into(),
            color: "#f00",
            width: 2.0,
            side: Side::Left,
            markers: true,
            points: vec![(0.0, 0.0), (10.0, 100.0)],
        },
        Series {
            name: "second".into(),
            color: "#00f",
            width: 1.5,
            side: Side::Right,
            markers: false,
            points: vec![(5.0, 2.0)],
        },
    ];
    c.thresholds.push(Threshold {
        value: 50.0,
        side: Side::Left,
        label: "target".into(),
        color: "#0a0",
    });
    c.stacks.push(Stack {
        x0: 0.0,
        x1: 5.0,
        parts: vec![(60.0, "#0f0"), (0.0, "#f00"), (40.0, "#999")],
        title: "day 1".into(),
    });
    c
}

#[test]
fn coordinates_map_the_axes_onto_the_plot_area() {
    let svg = chart().to_svg();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    assert!(svg.contains("aria-label=\"a &lt;test&gt;\""));
    // Left axis 0..100 onto y 270..20, x 0..10 onto 70..830; right 0..4.
    assert!(svg.contains("points=\"70.0,270.0 830.0,20.0\""), "{svg}");
    assert!(svg.contains("points=\"450.0,145.0\""), "{svg}");
    assert!(svg.contains("y1=\"145.0\"") && svg.contains(">target</text>"));
    // The first series is drawn last (on top) and listed first.
    let first = svg.find("stroke=\"#f00\"").unwrap();
    let second = svg.find("stroke=\"#00f\"").unwrap();
    assert!(second < first);
    assert!(svg.find(">— first<").unwrap() < svg.find(">— second<").unwrap());
    assert_eq!(svg.matches("<circle").count(), 2);
    // A stack: the zero part is not drawn, the others fill the bar bottom up.
    assert_eq!(svg.matches("<g><title>day 1</title>").count(), 1);
    assert!(svg.contains("y=\"120.00\" width=\"380.00\" height=\"150.00\" fill=\"#0f0\""));
    assert!(svg.contains("y=\"20.00\" width=\"380.00\" height=\"100.00\" fill=\"#999\""));
    let bar = &svg[svg.find("<g>").unwrap()..svg.find("</g>").unwrap()];
    assert_eq!(bar.matches("<rect").count(), 2, "{bar}");
}

#[test]
fn a_chart_without_right_axis_has_no_right_ticks() {
    let mut c = chart();
    c.right = None;
    let svg = c.to_svg();
    assert!(!svg.contains("rotate(90 "));
    assert!(!svg.contains(">right<"));
}
