//! The Markdown restore report (`--report FILE`): what was restored, from which
//! backup, where to, the timings against the RTO, and the validation table.

use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Event, Status};
use std::fmt::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the report of a restore event.
pub fn render(event: &Event, f: &RestoreFields) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Restore report: {}\n", f.target);
    let _ = writeln!(
        md,
        "**Status: {}** — {}\n",
        event.status.as_str(),
        event.message
    );
    let _ = writeln!(md, "| | |\n|---|---|");
    let rows: [(&str, String); 9] = [
        ("When", pra_core::time::format_ts(&event.ts)),
        ("Host", event.host.clone()),
        ("Stanza", event.stanza.clone().unwrap_or_default()),
        ("Backup", f.backup_id.clone().unwrap_or_else(|| "-".into())),
        ("Repository", f.repo.clone().unwrap_or_default()),
        (
            "Source database",
            f.source_database.clone().unwrap_or_default(),
        ),
        ("Target database", f.target.clone()),
        (
            "Restored data is under",
            f.temp_database
                .clone()
                .map(|t| format!("{t} (temporary name, kept for inspection)"))
                .unwrap_or_else(|| f.target.clone()),
        ),
        ("pg_restore jobs", f.jobs.to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {} |", cell(&v));
    }
    if let Some(old) = &f.old_database {
        let _ = writeln!(md, "| Previous database kept as | {} |", cell(old));
    }
    let _ = writeln!(md, "\n## Timings\n\n| phase | seconds |\n|---|---:|");
    for (k, v) in [
        ("fetch (checksum, decode)", f.fetch_s),
        ("restore (pg_restore)", f.restore_s),
        ("validate", f.validate_s),
        ("**total (RTO)**", f.rto_s),
    ] {
        let _ = writeln!(md, "| {k} | {v:.1} |");
    }
    match f.rto_target_s {
        Some(t) => {
            // A failed restore recovered nothing: however fast it failed, the objective
            // is not met.
            let verdict = if f.error.is_some() || event.status == Status::Error {
                "NOT MET (the restore failed)"
            } else if f.rto_s <= t {
                "met"
            } else {
                "MISSED"
            };
            let _ = writeln!(
                md,
                "\nRTO objective {t:.0} s: **{verdict}** ({:.1} s).",
                f.rto_s
            );
        }
        None => {
            let _ = writeln!(md, "\nNo RTO objective given (--rto).");
        }
    }
    let _ = writeln!(
        md,
        "\n{} decoded, {} tables, {} rows.",
        pra_core::time::format_bytes(f.raw_bytes),
        f.tables,
        f.rows
    );
    let _ = writeln!(md, "\n## Validation\n");
    if f.validation.is_empty() {
        let _ = writeln!(md, "No validation ran.");
    } else {
        let _ = writeln!(md, "| check | on | status | detail |\n|---|---|---|---|");
        for c in &f.validation {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&c.check),
                cell(&c.target),
                c.status.as_str(),
                cell(&c.detail)
            );
        }
    }
    let lists = [
        ("Roles created from the backup's globals", &f.roles_created),
        ("Roles already present (left alone)", &f.roles_existing),
        ("Roles missing", &f.roles_missing),
        (
            "Temporary databases of earlier runs dropped",
            &f.cleaned_temp_databases,
        ),
        (
            "Temporary databases of earlier runs left in place",
            &f.leftover_temp_databases,
        ),
    ];
    for (title, items) in lists {
        if !items.is_empty() {
            let _ = writeln!(md, "\n{title}: {}.", items.join(", "));
        }
    }
    if let Some(e) = &f.error {
        let _ = writeln!(md, "\n## Error\n\n```\n{e}\n```");
    }
    md
}

/// Writes the report to `path`, created 0600 whatever the umask (under `umask 000` a
/// plain create would make it world-writable, and it names databases, sizes and errors);
/// an existing file keeps its mode, so a path such as `/dev/stdout` still works.
pub fn write(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all().or_else(|e| match e.raw_os_error() {
        // A pipe or a terminal cannot be synced, and needs not be.
        Some(libc::EINVAL) | Some(libc::EROFS) => Ok(()),
        _ => Err(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Kind;

    /// Issue 22, item 15 (the binary under `umask 000` is tests/pra_restore/limits.rs).
    #[test]
    fn the_report_is_created_private_and_rewritten_in_place() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("restore.md");
        write(&path, "# report\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        write(&path, "# again\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# again\n");
    }

    fn report(status: Status, rto_s: f64, error: Option<&str>) -> String {
        let f = RestoreFields {
            target: "app".into(),
            rto_s,
            rto_target_s: Some(60.0),
            error: error.map(String::from),
            ..Default::default()
        };
        let event = Event::new("pra-restore", Kind::Restore, status, "m").with_fields(&f);
        render(&event, &f)
    }

    #[test]
    fn a_failed_restore_never_meets_the_rto() {
        let failed = report(Status::Error, 2.0, Some("pg_restore failed"));
        assert!(!failed.contains("**met**"), "{failed}");
        assert!(failed.contains("NOT MET (the restore failed)"), "{failed}");
        assert!(report(Status::Ok, 2.0, None).contains("**met**"));
        assert!(report(Status::Warn, 90.0, None).contains("**MISSED**"));
    }
}
