//! Validation of a restored database before it gets its name: the exact row count
//! of every table against the manifest, the critical tables, ANALYZE, and the
//! application URLs.

use crate::Error;
use pra_core::catalog::{compare_row_counts, count_rows, user_tables};
use pra_core::conn::ConnSettings;
use pra_core::event::kinds::RestoreCheck;
use pra_core::event::Status;
use pra_core::manifest::{Manifest, TableRows};
use std::time::{Duration, Instant};

/// How many problems of one check the event spells out.
const SHOWN: usize = 10;

/// What validation found.
#[derive(Debug, Default)]
pub struct Validation {
    /// Every step, in order.
    pub checks: Vec<RestoreCheck>,
    /// Tables counted.
    pub tables: u64,
    /// Rows counted.
    pub rows: u64,
}

impl Validation {
    /// The failed steps, in words.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Error)
            .map(|c| format!("{} {}: {}", c.check, c.target, c.detail))
            .collect()
    }

    fn push(&mut self, check: &str, target: &str, ok: bool, detail: String) {
        self.checks.push(RestoreCheck {
            check: check.to_string(),
            target: target.to_string(),
            status: if ok { Status::Ok } else { Status::Error },
            detail,
        });
    }
}

/// What to check besides the row counts.
pub struct Checks<'a> {
    /// `[schema.]table` names that must exist and hold rows.
    pub critical_tables: &'a [String],
    /// URLs that must answer 2xx; `{db}` is replaced by the database's name.
    pub urls: &'a [String],
    /// Timeout of each URL request.
    pub timeout: Duration,
}

/// Validates database `db` (restored from `manifest`) on the server of `server`.
pub fn validate(
    server: &ConnSettings,
    db: &str,
    manifest: &Manifest,
    checks: &Checks<'_>,
) -> Result<Validation, Error> {
    let mut v = Validation::default();
    {
        let mut client = server.with_dbname(db).connect()?;
        let tables = user_tables(&mut client)
            .map_err(|e| Error::db(format!("listing tables of {db}"), &e))?;
        let found = count_rows(&mut client, &tables)
            .map_err(|e| Error::db(format!("counting rows in {db}"), &e))?;
        v.tables = found.len() as u64;
        v.rows = found.iter().filter_map(|t| t.rows).sum();
        row_counts(&mut v, db, manifest, &found);
        for t in checks.critical_tables {
            critical(&mut v, t, &found);
        }
        let started = Instant::now();
        match client.batch_execute("ANALYZE") {
            Ok(()) => v.push(
                "analyze",
                db,
                true,
                format!(
                    "statistics refreshed in {:.1} s",
                    started.elapsed().as_secs_f64()
                ),
            ),
            Err(e) => v.push("analyze", db, false, pra_core::conn::describe_pg_error(&e)),
        }
    }
    for url in checks.urls {
        check_url(&mut v, &url.replace("{db}", db), checks.timeout);
    }
    Ok(v)
}

fn row_counts(v: &mut Validation, db: &str, manifest: &Manifest, found: &[TableRows]) {
    if manifest.tables.is_empty() {
        v.checks.push(RestoreCheck {
            check: "row_counts".to_string(),
            target: db.to_string(),
            status: Status::Warn,
            detail: format!(
                "the manifest has no row counts (backup taken with --count-rows none): {} tables, {} rows restored, not compared",
                v.tables, v.rows
            ),
        });
        return;
    }
    let problems = compare_row_counts(&manifest.tables, found);
    if problems.is_empty() {
        v.push(
            "row_counts",
            db,
            true,
            format!(
                "{} tables, {} rows: every count equals the manifest",
                v.tables, v.rows
            ),
        );
    } else {
        let mut detail = problems[..problems.len().min(SHOWN)].join("; ");
        if problems.len() > SHOWN {
            detail.push_str(&format!("; and {} more", problems.len() - SHOWN));
        }
        v.push("row_counts", db, false, detail);
    }
}

fn critical(v: &mut Validation, name: &str, found: &[TableRows]) {
    let (schema, table) = match name.split_once('.') {
        Some((s, t)) => (Some(s), t),
        None => (None, name),
    };
    let mut matches: Vec<&TableRows> = found
        .iter()
        .filter(|t| t.table == table && schema.is_none_or(|s| t.schema == s))
        .collect();
    // Unqualified: `public` first, as the default search_path would find it.
    matches.sort_by_key(|t| t.schema != "public");
    match matches.first() {
        None => v.push(
            "critical_table",
            name,
            false,
            "table does not exist".to_string(),
        ),
        Some(t) => {
            let rows = t.rows.unwrap_or(0);
            v.push(
                "critical_table",
                &t.qualified(),
                rows > 0,
                if rows > 0 {
                    format!("{rows} rows")
                } else {
                    "table is empty".to_string()
                },
            );
        }
    }
}

fn check_url(v: &mut Validation, url: &str, timeout: Duration) {
    let shown = pra_core::repo::redact_url(url);
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let started = Instant::now();
    let (ok, detail) = match agent.get(url).call() {
        Ok(resp) => {
            let code = resp.status();
            ((200..300).contains(&code), format!("HTTP {code}"))
        }
        Err(ureq::Error::Status(code, _)) => (false, format!("HTTP {code}")),
        Err(ureq::Error::Transport(t)) => (false, format!("no answer: {}", t.kind())),
    };
    let detail = format!("{detail} in {:.2} s", started.elapsed().as_secs_f64());
    v.push("check_url", &shown, ok, detail);
}
