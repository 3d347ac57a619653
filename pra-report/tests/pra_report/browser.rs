//! The HTML report: self-contained, its SVG charts and numbers where they belong,
//! and rendered by headless Chromium without console errors.
//!
//! The Chromium test fails loudly when no `chromium` is installed (scripts/test.sh
//! installs Debian's); `PRA_SKIP_CHROMIUM=1` skips it on a machine without one, and
//! CI never sets it. `PRA_CHROMIUM` names another binary.

use crate::figures::failing_day;
use crate::history::run_day;
use std::path::{Path, PathBuf};
use std::process::Command;

fn html_report(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("report.html");
    let md = dir.join("report.md");
    let run = run_day(
        &failing_day(),
        &[
            "--rpo",
            "2h",
            "--availability-target",
            "99",
            "--html",
            path.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
        ],
    );
    run.code_is(1);
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("| Recovery point (RPO) | app | 2 h 00 min | largest gap 8 h 00 min; 50.000 % of the period covered; 3 breach(es) | FAIL |"), "{markdown}");
    assert!(markdown.contains("| db1 | 86.805 % |"), "{markdown}");
    (path.clone(), std::fs::read_to_string(&path).unwrap())
}

#[test]
fn html_is_self_contained_with_charts_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html) = html_report(dir.path());
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for external in ["<script", "src=", "href=", "@import", "url("] {
        assert!(
            !html.contains(external),
            "the page must not load anything: {external}"
        );
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(html.contains("@page{size:A4"));
    // Charts: per stanza the RPO sawtooth and size/duration; per host the availability.
    assert_eq!(html.matches("<svg").count(), 3);
    assert_eq!(html.matches("</svg>").count(), 3);
    assert!(html.contains("aria-label=\"age of the newest recovery point of app against the RPO\""));
    assert!(html.contains("aria-label=\"stored size and duration of the backups of app\""));
    assert!(html.contains("aria-label=\"availability of db1 over the period\""));
    assert_eq!(html.matches("<polyline").count(), 3);
    assert!(
        html.contains(">RPO 2 h 00 min</text>"),
        "the objective is drawn"
    );
    // One stacked bar per hour of the day, each with its tooltip.
    assert_eq!(html.matches("<g><title>").count(), 24);
    assert!(html.contains("<g><title>11-10 06:00: up 66.666 %, down 33.333 %, unknown 0 %</title>"));
    // The numbers, in the objectives table with their verdicts.
    assert!(html.contains("<td>largest gap 8 h 00 min; 50.000 % of the period covered; 3 breach(es)</td><td class=\"fail\">FAIL</td>"));
    assert!(html.contains(
        "<td>86.805 % (down 20 min 00 s, unknown 2 h 50 min)</td><td class=\"fail\">FAIL</td>"
    ));
    assert!(html.contains("<td>health</td><td class=\"num\">2</td>"));
    assert!(html.contains("3 malformed line(s) skipped"));
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        })
}

#[test]
fn chromium_renders_the_report_without_console_errors() {
    let Some(browser) = chromium() else {
        if std::env::var("PRA_SKIP_CHROMIUM").is_ok_and(|v| v == "1") {
            eprintln!("PRA_SKIP_CHROMIUM=1: the HTML report is not rendered in a browser");
            return;
        }
        panic!("chromium is not installed: apt-get install chromium (scripts/test.sh does), or set PRA_SKIP_CHROMIUM=1 on a machine without it");
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = html_report(dir.path());
    let png = dir.path().join("shot.png");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg("--user-data-dir=".to_string() + dir.path().join("profile").to_str().unwrap())
        .arg("--window-size=1000,2400")
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", path.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    assert!(
        !stderr.contains("CONSOLE") && !stderr.contains("Uncaught"),
        "console messages: {stderr}"
    );
    let shot = std::fs::read(&png).unwrap();
    assert!(
        shot.starts_with(b"\x89PNG") && shot.len() > 20_000,
        "a screenshot with content: {} bytes",
        shot.len()
    );
    let dom = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg("--user-data-dir=".to_string() + dir.path().join("profile").to_str().unwrap())
        .arg(format!("file://{}", path.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The browser parsed the inline SVG as SVG elements, charts and all.
    assert_eq!(dom.matches("<svg").count(), 3, "{dom}");
    assert_eq!(dom.matches("<polyline").count(), 3);
    assert!(dom.contains("86.805 %"));
}
