//! `--format text`: a first line in the monitoring-plugin form (`PRA-STATUS OK - …
//! | perfdata`, which Nagios shows as the service's status), then an aligned table.

use crate::check::CheckResult;
use crate::plugin::PluginState;
use pra_core::event::Status;
use pra_core::time::{format_bytes, format_duration};
use std::time::Duration;

/// The measured value for people, by unit.
pub fn show_value(r: &CheckResult) -> String {
    let Some(v) = r.fields.value else {
        return "-".to_string();
    };
    match r.fields.unit.as_deref() {
        Some("s") if v < 1.0 => format!("{:.0} ms", v * 1000.0),
        Some("s") => format_duration(Duration::from_secs_f64(v.max(0.0))),
        Some("ratio") => format!("{:.1} % free", v * 100.0),
        Some("percent") => format!("{v:.3} %"),
        Some("bytes") => format_bytes(v as u64),
        _ => format!("{v}"),
    }
}

/// Nagios performance data: `'label'=value[uom];warn;crit`.
pub fn perfdata(results: &[CheckResult]) -> String {
    let mut parts = Vec::new();
    for r in results {
        let (Some(v), Some(unit)) = (r.fields.value, r.fields.unit.as_deref()) else {
            continue;
        };
        let (scale, uom) = match unit {
            "s" => (1.0, "s"),
            "ratio" => (100.0, "%"),
            "percent" => (1.0, "%"),
            "bytes" => (1.0, "B"),
            _ => continue,
        };
        // Nagios ranges: `N` alerts above N, `N:` alerts below N (free space, availability).
        let lower_is_worse = matches!(unit, "ratio" | "percent");
        let t = |x: Option<f64>| {
            x.map(|x| {
                let n = crate::check::trim_number(x * scale);
                if lower_is_worse {
                    format!("{n}:")
                } else {
                    n
                }
            })
            .unwrap_or_default()
        };
        let label = r.label().replace(['\'', '='], "_");
        parts.push(format!(
            "'{label}'={}{uom};{};{}",
            crate::check::trim_number(v * scale),
            t(r.fields.warn),
            t(r.fields.crit)
        ));
    }
    parts.join(" ")
}

/// The plugin summary line.
pub fn summary(state: PluginState, results: &[CheckResult]) -> String {
    let bad: Vec<&CheckResult> = results.iter().filter(|r| r.status != Status::Ok).collect();
    let skipped = results
        .iter()
        .filter(|r| r.fields.skipped.is_some())
        .count();
    let text = if bad.is_empty() {
        format!("{} checks ok ({skipped} skipped)", results.len())
    } else {
        bad.iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let perf = perfdata(results);
    if perf.is_empty() {
        format!("PRA-STATUS {} - {text}", state.as_str())
    } else {
        format!("PRA-STATUS {} - {text} | {perf}", state.as_str())
    }
}

fn color_of(s: Status) -> &'static str {
    match s {
        Status::Ok => "\x1b[32m",
        Status::Warn => "\x1b[33m",
        Status::Error => "\x1b[1;31m",
    }
}

fn word(r: &CheckResult) -> &'static str {
    match (r.status, r.fields.skipped.is_some()) {
        (Status::Ok, true) => "SKIP",
        (Status::Ok, false) => "OK",
        (Status::Warn, _) => "WARNING",
        (Status::Error, _) => "CRITICAL",
    }
}

/// The whole text report: summary line, table, one blank-free block.
pub fn render(state: PluginState, results: &[CheckResult], color: bool) -> String {
    let header = ["CHECK", "TARGET", "STATUS", "VALUE", "THRESHOLD", "MESSAGE"];
    let rows: Vec<[String; 6]> = results
        .iter()
        .map(|r| {
            [
                r.fields.name.clone(),
                r.fields.target.clone().unwrap_or_else(|| "-".into()),
                word(r).to_string(),
                show_value(r),
                r.fields.threshold.clone().unwrap_or_else(|| "-".into()),
                r.message.clone(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6], status: Option<Status>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(cell.chars().count());
            let shown = match (i, status) {
                (2, Some(s)) if color => format!("{}{cell}\x1b[0m", color_of(s)),
                _ => cell.to_string(),
            };
            out.push_str(&shown);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out
    };
    let mut out = summary(state, results);
    out.push('\n');
    out.push_str(&line(header, None));
    out.push('\n');
    for (row, r) in rows.iter().zip(results) {
        let cells = [
            row[0].as_str(),
            row[1].as_str(),
            row[2].as_str(),
            row[3].as_str(),
            row[4].as_str(),
            row[5].as_str(),
        ];
        out.push_str(&line(cells, Some(r.status)));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Thresholds;

    #[test]
    fn aligned_table_with_plugin_first_line() {
        let results = vec![
            CheckResult::ok("database", "PostgreSQL 15 primary").value(0.004, "s"),
            CheckResult::new("disk", Status::Warn, "/data: 15 % free")
                .target("/data")
                .value(0.15, "ratio")
                .thresholds(&Thresholds {
                    warn: 0.2,
                    crit: 0.1,
                    higher_is_worse: false,
                    unit: "",
                }),
            CheckResult::skipped("app", "no --app-url given"),
        ];
        let out = render(PluginState::Warning, &results, false);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("PRA-STATUS WARNING - /data: 15 % free | "),
            "{out}"
        );
        assert!(lines[0].contains("'disk:/data'=15%;20:;10:"), "{out}");
        assert!(lines[1].starts_with("CHECK "));
        let col = lines[1].find("STATUS").unwrap();
        for l in &lines[2..] {
            assert!(
                l[col..].starts_with("OK")
                    || l[col..].starts_with("WARNING")
                    || l[col..].starts_with("SKIP"),
                "{out}"
            );
        }
        assert!(lines[2].contains("4 ms"));
        assert!(!out.contains('\x1b'));
        assert!(render(PluginState::Warning, &results, true).contains("\x1b[33mWARNING"));
    }
}
