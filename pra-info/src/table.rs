//! The text rendering of pra-info: the same `info` events, as a header per repository
//! and stanza and one aligned row per backup, for people at a terminal.

use pra_core::event::kinds::{InfoFields, InfoItem};
use pra_core::event::Event;
use pra_core::time::{format_bytes, format_duration};
use std::io::{self, Write};
use std::time::Duration;

const HEADER: [&str; 9] = [
    "ID",
    "KIND",
    "STARTED (UTC)",
    "TOOK",
    "RAW",
    "STORED",
    "DB / PG",
    "VERIFIED",
    "RETENTION",
];

fn age(s: f64) -> String {
    format_duration(Duration::from_secs_f64(s.max(0.0)))
}

/// One row of a backup's cells.
fn row(f: &InfoFields) -> [String; 9] {
    let id = f.id.clone().unwrap_or_default();
    if f.complete == Some(false) {
        let mut cells: [String; 9] = Default::default();
        cells[0] = id;
        cells[1] = "INCOMPLETE".to_string();
        cells[5] = f.stored_bytes.map(format_bytes).unwrap_or_default();
        cells[7] = f
            .age_s
            .map(|a| format!("{} old", age(a)))
            .unwrap_or_default();
        return cells;
    }
    let verified = match (
        &f.verified_level,
        f.verdicts.iter().find(|v| v.status == "error"),
    ) {
        (Some(level), _) => {
            let at = f.verdicts.iter().find(|v| &v.level == level);
            format!(
                "{level} {} ago",
                at.map(|v| age(v.age_s)).unwrap_or_default()
            )
        }
        (None, Some(failed)) => format!("FAILED {}", failed.level),
        (None, None) => f
            .verdicts
            .last()
            .map(|v| format!("{} only", v.level))
            .unwrap_or_else(|| "no".to_string()),
    };
    let retention = match f.retention.as_deref() {
        Some("keep") => format!("keep ({})", f.retention_reasons.join(",")),
        Some(other) => other.to_string(),
        None => "-".to_string(),
    };
    [
        id,
        f.backup_kind.clone().unwrap_or_default(),
        f.started_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        f.duration_s.map(age).unwrap_or_default(),
        f.raw_bytes.map(format_bytes).unwrap_or_default(),
        f.stored_bytes.map(format_bytes).unwrap_or_default(),
        format!(
            "{} / {}",
            f.database.as_deref().unwrap_or("-"),
            f.server_version.as_deref().unwrap_or("-")
        ),
        verified,
        retention,
    ]
}

fn write_rows(out: &mut impl Write, rows: &[[String; 9]]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "  (no backups)");
    }
    let mut widths = HEADER.map(str::len);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header = HEADER.map(str::to_string);
    for r in std::iter::once(&header).chain(rows) {
        let mut line = String::from(" ");
        for (cell, w) in r.iter().zip(widths) {
            line.push_str(&format!(" {cell:<w$}"));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes the events as text: a line per repository and stanza, a table of backups.
/// Events that are not pra-info's (forwarded ones are not passed here) are skipped.
pub fn write(out: &mut impl Write, events: &[Event]) -> io::Result<()> {
    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut in_stanza = false;
    let mut first = true;
    for ev in events {
        let Ok(f) = ev.fields_as::<InfoFields>() else {
            continue;
        };
        match f.item {
            InfoItem::Backup
                if f.id.is_some() && (f.complete == Some(false) || f.started_at.is_some()) =>
            {
                rows.push(row(&f))
            }
            InfoItem::Backup => writeln!(out, "  warning: {}", ev.message)?,
            item => {
                if in_stanza {
                    write_rows(out, &rows)?;
                    rows.clear();
                }
                in_stanza = item == InfoItem::Stanza;
                if !in_stanza && !first {
                    writeln!(out)?;
                }
                first = false;
                writeln!(out, "{}", ev.message)?;
            }
        }
    }
    if in_stanza {
        write_rows(out, &rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::kinds::InfoVerdict;
    use pra_core::event::{Kind, Status};

    fn backup(id: &str, verified: Option<&str>) -> Event {
        let f = InfoFields {
            item: InfoItem::Backup,
            id: Some(id.to_string()),
            complete: Some(true),
            backup_kind: Some("logical".into()),
            started_at: pra_core::time::parse_ts("2026-11-25T11:00:00Z").ok(),
            duration_s: Some(5.1),
            raw_bytes: Some(812 << 20),
            stored_bytes: Some(340 << 20),
            database: Some("app".into()),
            server_version: Some("16.4".into()),
            verdicts: vec![InfoVerdict {
                level: "checksum".into(),
                status: if verified.is_some() { "ok" } else { "error" }.into(),
                verified_at: None,
                age_s: 7200.0,
            }],
            verified_level: verified.map(str::to_string),
            retention: Some("keep".into()),
            retention_reasons: vec!["daily".into(), "newest".into()],
            ..InfoFields::default()
        };
        Event::new("pra-info", Kind::Info, Status::Ok, "").with_fields(&f)
    }

    #[test]
    fn a_table_row_per_backup_under_its_stanza() {
        let stanza = Event::new(
            "pra-info",
            Kind::Info,
            Status::Ok,
            "stanza app: 2 backup(s)",
        )
        .with_fields(&InfoFields {
            item: InfoItem::Stanza,
            ..InfoFields::default()
        });
        let mut out = Vec::new();
        write(
            &mut out,
            &[
                stanza,
                backup("20261125T110000Z", Some("checksum")),
                backup("20261126T110000Z", None),
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "stanza app: 2 backup(s)");
        assert!(
            lines[1].contains("ID") && lines[1].contains("RETENTION"),
            "{text}"
        );
        assert!(
            lines[2].contains("checksum 2 h 00 min ago")
                && lines[2].contains("keep (daily,newest)"),
            "{text}"
        );
        assert!(
            lines[3].contains("FAILED checksum") && lines[3].contains("812 MiB"),
            "{text}"
        );
        assert_eq!(
            lines[2].find("logical"),
            lines[1].find("KIND"),
            "aligned:\n{text}"
        );
    }
}
