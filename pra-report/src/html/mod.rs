//! The report as one self-contained HTML page: inline CSS and SVG, no script, no
//! external file, so it opens offline, passes through mail filters and prints on
//! A4. The verdict and the objectives come first; then each stanza's charts and
//! figures, the availability timelines, the incidents, and what was read.

pub mod charts;

use crate::figures::Report;
use crate::summary;
use pra_core::chart::escape;
use pra_core::event::Status;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1.05em}\
.sub{color:#555;margin-top:0}.verdict{font-size:1.25em;font-weight:bold;padding:.6em 1em;border-radius:6px}\
.ok{background:#e3f6e5;color:#1b5e20}.warn{background:#fff4e0;color:#8a5300}.error{background:#fdecea;color:#b71c1c}\
td.pass{color:#1b5e20;font-weight:bold}td.fail{color:#b71c1c;font-weight:bold}td.no_data{color:#8a5300;font-weight:bold}\
table{border-collapse:collapse;margin:.5em 0;width:100%}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f5f5f5}td.num{text-align:right;white-space:nowrap}.note{color:#666}.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}\
svg{display:block;margin:.5em 0}footer{margin-top:2em;color:#666;font-size:.9em}\
@page{size:A4;margin:14mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}h2{break-after:avoid}svg,table,tr,.stanza-figures{break-inside:avoid}section.stanza{break-before:page}}";

fn table<const N: usize>(
    out: &mut String,
    headers: [&str; N],
    rows: &[[String; N]],
    numeric: &[usize],
) {
    out.push_str("<table><tr>");
    for h in headers {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if numeric.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The page.
pub fn render(r: &Report, title: &str) -> String {
    let f = &r.fields;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
    let _ = writeln!(
        out,
        "<h1>{}</h1>\n<p class=\"sub\">Period {} to {} (UTC). Objectives: RPO {}, RTO {}, availability {}.</p>",
        escape(title),
        summary::when(&f.period_start_at),
        summary::when(&f.period_end_at),
        summary::secs(f.rpo_target_s),
        summary::secs(f.rto_target_s),
        summary::percent(f.availability_target_percent)
    );
    let class = match r.status {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Error => "error",
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\" id=\"verdict\">{}</p>",
        escape(&summary::headline(r))
    );
    out.push_str("<h2>Service levels</h2>\n<table id=\"objectives\"><tr><th>Objective</th><th>Scope</th><th>Target</th><th>Measured</th><th>Result</th></tr>\n");
    for (row, v) in summary::objectives(r) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&row[0]),
            escape(&row[1]),
            escape(&row[2]),
            escape(&row[3]),
            v.as_str(),
            escape(&row[4])
        );
    }
    out.push_str("</table>\n");
    if f.stanzas.is_empty() && f.availability.is_empty() {
        out.push_str("<p class=\"note\">Nothing to report on: the history and the repositories hold no backup, restore or status event in the period.</p>\n");
    }
    for (s, series) in f.stanzas.iter().zip(&r.stanzas) {
        let _ = writeln!(
            out,
            "<section class=\"stanza\">\n<h2>Stanza {}</h2>",
            escape(&s.stanza)
        );
        out.push_str("<h3>Age of the newest recovery point</h3>\n");
        out.push_str(&charts::rpo(r, series));
        out.push_str("<h3>Backup size and duration</h3>\n");
        out.push_str(&charts::backups(r, series));
        out.push_str("<table class=\"stanza-figures\">\n");
        for (k, v) in summary::stanza_details(s) {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(&k),
                escape(&v)
            );
        }
        out.push_str("</table>\n</section>\n");
    }
    if !r.hosts.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Availability</h2>\n<p class=\"legend\"><span style=\"background:{}\"></span>up<span style=\"background:{}\"></span>down<span style=\"background:{}\"></span>unknown (no sample)</p>",
            charts::UP,
            charts::DOWN,
            charts::UNKNOWN
        );
        for h in &r.hosts {
            let _ = writeln!(out, "<h3>{}</h3>", escape(&h.host));
            out.push_str(&charts::availability(r, h));
        }
        table(
            &mut out,
            ["Host", "Availability", "Up", "Down", "Unknown", "Samples"],
            &summary::availability(r),
            &[1, 2, 3, 4, 5],
        );
    }
    out.push_str("<h2>Incidents</h2>\n");
    let incidents = summary::incidents(r);
    if incidents.is_empty() {
        out.push_str("<p class=\"note\">No error event in the period.</p>\n");
    } else {
        table(
            &mut out,
            [
                "Stanza",
                "Error class",
                "Count",
                "First",
                "Last",
                "Kinds",
                "Last message",
            ],
            &incidents,
            &[2],
        );
    }
    out.push_str("<h2>Data</h2>\n<ul>\n");
    for line in summary::data_quality(r) {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str(FOOTER);
    out
}

const FOOTER: &str = "</ul>\n<footer>RPO: the age of the newest recovery point (successful backup or archived WAL) \
must never exceed the objective; a gap is the time between two recovery points, the last one still open at the end of the period. \
RTO: the time a restore or drill took until the database was usable. Availability: from the pra-status history; a silence longer than \
twice the sampling interval is unknown time, counted as not up. Verified: the newest checksum- or restore-level verdict of the backup passed. \
Generated by pra-report; the same figures are in its <code>report</code> event.</footer>\n</body></html>\n";
